//! The CMR byte layout: fixed little-endian fields, `u8`-length strings, signature last.
//! Decoding validates structure and meaning but not the signature (see `verify`).

use scr::keys::{CommunityKey, KeyPair, PlayerKey, RelayKey};
use sha2::{Digest, Sha256};

use super::verify::MatchId;
use super::{CertifiedMatchResult, CmrError, CmrPlayer, EndReason, MatchOutcome, PlayerResult};
use crate::ids::{PlayerSlot, TeamId};
use crate::wire::Reader;

/// The only layout version this code writes and reads.
pub const CMR_VERSION: u8 = 1;
/// Most players a result may list.
pub const MAX_PLAYERS: usize = 32;
/// Ed25519 signature length; the signature is the last field.
pub const SIGNATURE_LEN: usize = 64;
/// `desync_tick` value meaning "no desync".
pub const NO_DESYNC_TICK: u64 = u64::MAX;

const OUTCOME_COMPLETED: u8 = 1;
const OUTCOME_DRAW: u8 = 2;
const OUTCOME_ABANDONED: u8 = 3;
const OUTCOME_REMADE: u8 = 4;
const OUTCOME_DESYNC: u8 = 5;
const OUTCOME_GRACE_VOIDED: u8 = 6;
const OUTCOME_SERVER_RESTART: u8 = 7;
const FLAG_DEGRADED: u8 = 0b0000_0001;

/// A signed result: the exact bytes that travel and that the id is computed from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SignedCmr {
    bytes: Vec<u8>,
}

impl SignedCmr {
    /// The whole record, signature included.
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// Consumes the record into its bytes.
    pub fn into_bytes(self) -> Vec<u8> {
        self.bytes
    }

    /// SHA-256 of the whole record, signature included.
    pub fn match_id(&self) -> MatchId {
        MatchId::of_record(&self.bytes)
    }
}

impl MatchId {
    /// The id of the certified result whose complete bytes (signature included) are `bytes`:
    /// their SHA-256. Callers holding bytes they have not decoded (an outbox) use this.
    pub fn of_record(bytes: &[u8]) -> Self {
        MatchId(Sha256::digest(bytes).into())
    }
}

impl CertifiedMatchResult {
    /// Validates the result and encodes every field before the signature.
    pub fn signed_part(&self) -> Result<Vec<u8>, CmrError> {
        self.validate()?;
        let mut out = Vec::with_capacity(400 + self.players.len() * 35);
        out.push(CMR_VERSION);
        out.extend_from_slice(self.relay_key.as_bytes());
        out.extend_from_slice(self.community_key.as_bytes());
        out.extend_from_slice(&self.game_id.to_le_bytes());
        put_str(&mut out, "game_module", &self.game_module)?;
        put_str(&mut out, "map_name", &self.map_name)?;
        out.extend_from_slice(&self.map_hash);
        out.push(u8::from(self.ranked));
        out.extend_from_slice(&self.tick_interval_us.to_le_bytes());
        out.extend_from_slice(&self.final_tick.to_le_bytes());
        out.extend_from_slice(&self.started_at_us.to_le_bytes());
        out.extend_from_slice(&self.ended_at_us.to_le_bytes());
        encode_outcome(&mut out, &self.outcome);
        out.extend_from_slice(&self.observer_delay_ticks.to_le_bytes());
        // validate() bounded the count by MAX_PLAYERS, so it fits a byte.
        out.push(self.players.len() as u8);
        for player in &self.players {
            out.push(player.slot.0);
            out.extend_from_slice(player.key.as_bytes());
            out.push(player.team.0);
            out.push(player.result.code());
        }
        out.extend_from_slice(&self.final_state_hash);
        out.extend_from_slice(&self.order_stream_hash);
        out.extend_from_slice(&self.replay_hash);
        out.extend_from_slice(&self.desync_tick.unwrap_or(NO_DESYNC_TICK).to_le_bytes());
        out.push(if self.degraded { FLAG_DEGRADED } else { 0 });
        Ok(out)
    }

    /// Signs the result with the relay's key pair, which must match `relay_key`.
    pub fn sign(&self, relay: &KeyPair) -> Result<SignedCmr, CmrError> {
        if relay.public_key() != self.relay_key.public_key() {
            return Err(CmrError::WrongSigningKey);
        }
        let mut bytes = self.signed_part()?;
        let signature = relay.sign(&bytes);
        bytes.extend_from_slice(&signature);
        Ok(SignedCmr { bytes })
    }

    /// Reads a record without checking its signature; returns the result and the signature.
    ///
    /// Use [`super::TrustedRelays::verify`] to accept a result; this is for inspection tools.
    pub fn decode_unverified(bytes: &[u8]) -> Result<(Self, [u8; 64]), CmrError> {
        let mut r = Reader::new(bytes);
        let version = r.u8()?;
        if version != CMR_VERSION {
            return Err(CmrError::UnknownVersion(version));
        }
        let relay_key = RelayKey::from_bytes(r.array()?);
        let community_key = CommunityKey::from_bytes(r.array()?);
        let game_id = r.u64()?;
        let game_module = r.str_u8()?;
        let map_name = r.str_u8()?;
        let map_hash = r.array()?;
        let ranked = match r.u8()? {
            0 => false,
            1 => true,
            value => return Err(undefined("ranked", value)),
        };
        let tick_interval_us = r.u32()?;
        let final_tick = r.u64()?;
        let started_at_us = r.i64()?;
        let ended_at_us = r.i64()?;
        let outcome = decode_outcome(&mut r)?;
        let observer_delay_ticks = r.u32()?;
        let count = usize::from(r.u8()?);
        crate::wire::check_len("player_count", count, MAX_PLAYERS)?;
        // Bounded by the remaining input too, so a short record cannot reserve 32 entries.
        let mut players = Vec::with_capacity(count.min(r.remaining() / 35));
        for _ in 0..count {
            let slot = PlayerSlot(r.u8()?);
            let key = PlayerKey::from_bytes(r.array()?);
            let team = TeamId(r.u8()?);
            let code = r.u8()?;
            let result = PlayerResult::from_code(code).ok_or_else(|| undefined("result", code))?;
            players.push(CmrPlayer {
                slot,
                key,
                team,
                result,
            });
        }
        let final_state_hash = r.array()?;
        let order_stream_hash = r.array()?;
        let replay_hash = r.array()?;
        let desync_tick = match r.u64()? {
            NO_DESYNC_TICK => None,
            tick => Some(tick),
        };
        let flags = r.u8()?;
        if flags & !FLAG_DEGRADED != 0 {
            return Err(undefined("flags", flags));
        }
        let signature = r.array::<64>()?;
        r.finish()?;
        let result = Self {
            relay_key,
            community_key,
            game_id,
            game_module,
            map_name,
            map_hash,
            ranked,
            tick_interval_us,
            final_tick,
            started_at_us,
            ended_at_us,
            outcome,
            observer_delay_ticks,
            players,
            final_state_hash,
            order_stream_hash,
            replay_hash,
            desync_tick,
            degraded: flags & FLAG_DEGRADED != 0,
        };
        result.validate()?;
        Ok((result, signature))
    }

    /// The rules that hold for every result, checked when encoding and when decoding.
    fn validate(&self) -> Result<(), CmrError> {
        if self.players.is_empty() {
            return Err(CmrError::NoPlayers);
        }
        crate::wire::check_len("player_count", self.players.len(), MAX_PLAYERS)?;
        if self.players.windows(2).any(|w| w[0].slot >= w[1].slot) {
            return Err(CmrError::SlotsNotAscending);
        }
        if self.tick_interval_us == 0 {
            return Err(undefined("tick_interval_us", 0u32));
        }
        if self.ended_at_us < self.started_at_us {
            return Err(CmrError::EndsBeforeStart);
        }
        match self.outcome {
            MatchOutcome::Completed { winner, .. } => {
                if !self.players.iter().any(|p| p.team == winner) {
                    return Err(CmrError::OutcomeNotInPlayers);
                }
            }
            MatchOutcome::Abandoned { leaver } | MatchOutcome::GraceVoided { leaver } => {
                if !self.players.iter().any(|p| p.slot == leaver) {
                    return Err(CmrError::OutcomeNotInPlayers);
                }
            }
            MatchOutcome::DesyncTerminated {
                first_divergence_tick,
            } => {
                if self.desync_tick != Some(first_divergence_tick) {
                    return Err(CmrError::DesyncTickMismatch);
                }
            }
            MatchOutcome::Draw | MatchOutcome::Remade | MatchOutcome::ServerRestart => {}
        }
        if self.desync_tick == Some(NO_DESYNC_TICK) {
            return Err(CmrError::DesyncTickMismatch);
        }
        Ok(())
    }
}

fn undefined(field: &'static str, value: impl Into<u64>) -> CmrError {
    CmrError::UndefinedValue {
        field,
        value: value.into(),
    }
}

fn put_str(out: &mut Vec<u8>, field: &'static str, text: &str) -> Result<(), CmrError> {
    let len = u8::try_from(text.len()).map_err(|_| CmrError::StringTooLong(field))?;
    out.push(len);
    out.extend_from_slice(text.as_bytes());
    Ok(())
}

/// Appends the `outcome` field (also used by the `MatchEnd` frame).
pub(crate) fn encode_outcome(out: &mut Vec<u8>, outcome: &MatchOutcome) {
    match *outcome {
        MatchOutcome::Completed { winner, reason } => {
            out.extend_from_slice(&[OUTCOME_COMPLETED, winner.0, reason.code()]);
        }
        MatchOutcome::Draw => out.push(OUTCOME_DRAW),
        MatchOutcome::Abandoned { leaver } => out.extend_from_slice(&[OUTCOME_ABANDONED, leaver.0]),
        MatchOutcome::Remade => out.push(OUTCOME_REMADE),
        MatchOutcome::ServerRestart => out.push(OUTCOME_SERVER_RESTART),
        MatchOutcome::GraceVoided { leaver } => {
            out.extend_from_slice(&[OUTCOME_GRACE_VOIDED, leaver.0]);
        }
        MatchOutcome::DesyncTerminated {
            first_divergence_tick,
        } => {
            out.push(OUTCOME_DESYNC);
            out.extend_from_slice(&first_divergence_tick.to_le_bytes());
        }
    }
}

/// Reads the `outcome` field (also used by the `MatchEnd` frame).
pub(crate) fn decode_outcome(r: &mut Reader<'_>) -> Result<MatchOutcome, CmrError> {
    Ok(match r.u8()? {
        OUTCOME_COMPLETED => {
            let winner = TeamId(r.u8()?);
            let code = r.u8()?;
            let reason = EndReason::from_code(code).ok_or_else(|| undefined("end_reason", code))?;
            MatchOutcome::Completed { winner, reason }
        }
        OUTCOME_DRAW => MatchOutcome::Draw,
        OUTCOME_ABANDONED => MatchOutcome::Abandoned {
            leaver: PlayerSlot(r.u8()?),
        },
        OUTCOME_REMADE => MatchOutcome::Remade,
        OUTCOME_SERVER_RESTART => MatchOutcome::ServerRestart,
        OUTCOME_GRACE_VOIDED => MatchOutcome::GraceVoided {
            leaver: PlayerSlot(r.u8()?),
        },
        OUTCOME_DESYNC => MatchOutcome::DesyncTerminated {
            first_divergence_tick: r.u64()?,
        },
        value => return Err(undefined("outcome", value)),
    })
}
