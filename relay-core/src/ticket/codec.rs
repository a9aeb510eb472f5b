//! The ticket byte layout: fixed little-endian fields, `u8`-length strings, signature last.
//! Decoding validates structure and meaning but not trust or the signature (see `verify`).

use scr::keys::{CommunityKey, KeyPair, PlayerKey, PublicKey};

use super::{MatchSettings, MatchTicket, SignerKind, TicketError, TicketSeat};
use crate::cmr::MAX_PLAYERS;
use crate::ids::{PlayerSlot, TeamId};
use crate::wire::{Reader, check_len};

/// The only layout version this code writes and reads (version 1 had no seat role).
pub const TICKET_VERSION: u8 = 2;
/// `seat_role` of a player ticket.
const ROLE_PLAYER: u8 = 1;
/// `seat_role` of an observer ticket.
const ROLE_OBSERVER: u8 = 2;
/// Largest ticket accepted; the longest valid ticket (two 255-byte strings) is 738 bytes.
pub const MAX_TICKET_BYTES: usize = 1024;
/// Ed25519 signature length; the signature is the last field.
const SIGNATURE_LEN: usize = 64;

/// A signed ticket: the exact bytes a player presents to the relay.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SignedTicket {
    bytes: Vec<u8>,
}

impl SignedTicket {
    /// The whole ticket, signature included.
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// Consumes the ticket into its bytes.
    pub fn into_bytes(self) -> Vec<u8> {
        self.bytes
    }
}

/// Signs tickets with one key in one role (the community's SK or the relay's key).
#[derive(Clone, Debug)]
pub struct TicketSigner {
    kind: SignerKind,
    keys: KeyPair,
}

impl TicketSigner {
    /// A signer of `kind` holding `keys`.
    pub fn new(kind: SignerKind, keys: KeyPair) -> Self {
        Self { kind, keys }
    }

    /// The signer's role.
    pub fn kind(&self) -> SignerKind {
        self.kind
    }

    /// The signer's public key, as tickets must name it.
    pub fn public_key(&self) -> PublicKey {
        self.keys.public_key()
    }

    /// Validates and signs `ticket`; its signer fields must name this signer.
    pub fn sign(&self, ticket: &MatchTicket) -> Result<SignedTicket, TicketError> {
        if ticket.signer_kind != self.kind || ticket.signer_key != self.keys.public_key() {
            return Err(TicketError::WrongSigningKey);
        }
        let mut bytes = ticket.signed_part()?;
        let signature = self.keys.sign(&bytes);
        bytes.extend_from_slice(&signature);
        Ok(SignedTicket { bytes })
    }
}

impl MatchTicket {
    /// Validates the ticket and encodes every field before the signature.
    pub fn signed_part(&self) -> Result<Vec<u8>, TicketError> {
        self.validate()?;
        let mut out = Vec::with_capacity(256);
        out.push(TICKET_VERSION);
        out.push(self.signer_kind.code());
        out.extend_from_slice(self.signer_key.as_bytes());
        out.extend_from_slice(self.community_key.as_bytes());
        out.extend_from_slice(&self.game_id.to_le_bytes());
        put_str(&mut out, "game_module", &self.game_module)?;
        out.extend_from_slice(self.player_key.as_bytes());
        match self.seat {
            TicketSeat::Player { slot, team } => {
                out.extend_from_slice(&[ROLE_PLAYER, slot.0, team.0])
            }
            // Slot and team stay in the layout (fixed offsets) and are zero for an observer.
            TicketSeat::Observer => out.extend_from_slice(&[ROLE_OBSERVER, 0, 0]),
        }
        out.push(u8::from(self.settings.ranked));
        out.extend_from_slice(&self.settings.tick_interval_us.to_le_bytes());
        put_str(&mut out, "map_name", &self.settings.map_name)?;
        out.extend_from_slice(&self.settings.map_hash);
        out.push(self.settings.player_count);
        out.extend_from_slice(&self.issued_at.to_le_bytes());
        out.extend_from_slice(&self.expires_at.to_le_bytes());
        Ok(out)
    }

    /// Reads a ticket without checking trust or the signature; returns it and the signature.
    ///
    /// Use [`super::TicketVerifier::verify`] to admit a player; this is for inspection tools
    /// and for cheap checks before any signature work.
    pub fn decode_unverified(bytes: &[u8]) -> Result<(Self, [u8; 64]), TicketError> {
        check_len("ticket", bytes.len(), MAX_TICKET_BYTES)?;
        let mut r = Reader::new(bytes);
        let version = r.u8()?;
        if version != TICKET_VERSION {
            return Err(TicketError::UnknownVersion(version));
        }
        let kind_code = r.u8()?;
        let signer_kind =
            SignerKind::from_code(kind_code).ok_or_else(|| undefined("signer_kind", kind_code))?;
        let signer_key = PublicKey::from_bytes(r.array()?);
        let community_key = CommunityKey::from_bytes(r.array()?);
        let game_id = r.u64()?;
        let game_module = r.str_u8()?;
        let player_key = PlayerKey::from_bytes(r.array()?);
        let role = r.u8()?;
        let slot = PlayerSlot(r.u8()?);
        let team = TeamId(r.u8()?);
        let seat = match role {
            ROLE_PLAYER => TicketSeat::Player { slot, team },
            ROLE_OBSERVER if slot.0 != 0 => return Err(undefined("slot", slot.0)),
            ROLE_OBSERVER if team.0 != 0 => return Err(undefined("team", team.0)),
            ROLE_OBSERVER => TicketSeat::Observer,
            other => return Err(undefined("seat_role", other)),
        };
        let ranked = match r.u8()? {
            0 => false,
            1 => true,
            value => return Err(undefined("ranked", value)),
        };
        let tick_interval_us = r.u32()?;
        let map_name = r.str_u8()?;
        let map_hash = r.array()?;
        let player_count = r.u8()?;
        let issued_at = r.i64()?;
        let expires_at = r.i64()?;
        let signature = r.array::<SIGNATURE_LEN>()?;
        r.finish()?;
        let ticket = Self {
            signer_kind,
            signer_key,
            community_key,
            game_id,
            game_module,
            player_key,
            seat,
            settings: MatchSettings {
                ranked,
                tick_interval_us,
                map_name,
                map_hash,
                player_count,
            },
            issued_at,
            expires_at,
        };
        ticket.validate()?;
        Ok((ticket, signature))
    }

    /// The rules every ticket obeys, checked when encoding and when decoding.
    fn validate(&self) -> Result<(), TicketError> {
        let count = self.settings.player_count;
        if count == 0 || usize::from(count) > MAX_PLAYERS {
            return Err(undefined("player_count", count));
        }
        if let TicketSeat::Player { slot, .. } = self.seat
            && slot.0 >= count
        {
            return Err(TicketError::SlotOutOfRange {
                slot: slot.0,
                player_count: count,
            });
        }
        if self.settings.tick_interval_us == 0 {
            return Err(undefined("tick_interval_us", 0u8));
        }
        if self.expires_at <= self.issued_at {
            return Err(TicketError::ExpiresBeforeIssued);
        }
        match self.signer_kind {
            SignerKind::Community => {
                if self.community_key.public_key() != self.signer_key {
                    return Err(TicketError::SignerMismatch(
                        "a community-signed ticket must name its signer as the community",
                    ));
                }
            }
            SignerKind::Relay => {
                // A relay alone cannot put a match on anyone's rating.
                if self.settings.ranked {
                    return Err(TicketError::SignerMismatch(
                        "a relay-signed ticket cannot be ranked",
                    ));
                }
            }
        }
        Ok(())
    }
}

fn undefined(field: &'static str, value: impl Into<u64>) -> TicketError {
    TicketError::UndefinedValue {
        field,
        value: value.into(),
    }
}

fn put_str(out: &mut Vec<u8>, field: &'static str, text: &str) -> Result<(), TicketError> {
    let len = u8::try_from(text.len()).map_err(|_| TicketError::StringTooLong(field))?;
    out.push(len);
    out.extend_from_slice(text.as_bytes());
    Ok(())
}
