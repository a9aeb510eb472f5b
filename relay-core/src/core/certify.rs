//! Turning a finished match into a signed CertifiedMatchResult.
//! Per-player results follow from the outcome and each player's status.

use scr::keys::KeyPair;

use super::{PlayerStatus, RelayCore};
use crate::cmr::{
    CertifiedMatchResult, CmrError, CmrPlayer, MatchOutcome, PlayerResult, SignedCmr,
};

/// Why a result could not be certified.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CertifyError {
    /// The match has no outcome yet.
    #[error("the match has not ended")]
    NotOver,
    /// The result could not be encoded or signed.
    #[error(transparent)]
    Cmr(#[from] CmrError),
}

impl RelayCore {
    /// The result as it would be certified, ending at Unix time `ended_at_us`.
    pub fn result(&self, ended_at_us: u64) -> Result<CertifiedMatchResult, CertifyError> {
        let outcome = self.outcome.ok_or(CertifyError::NotOver)?;
        let summary = self.summary();
        let to_i64 = |us: u64| i64::try_from(us).unwrap_or(i64::MAX);
        let players = self
            .roster
            .players()
            .map(|p| CmrPlayer {
                slot: p.slot,
                key: p.key,
                team: p.team,
                result: player_result(&outcome, p.status, p.team, self),
            })
            .collect();
        Ok(CertifiedMatchResult {
            relay_key: self.setup.relay_key,
            community_key: self.setup.community_key,
            game_id: self.setup.game_id,
            game_module: self.setup.game_module.clone(),
            map_name: self.setup.map_name.clone(),
            map_hash: self.setup.map_hash,
            ranked: self.setup.ranked,
            tick_interval_us: self.setup.tick_interval_us,
            final_tick: self.open_tick.saturating_sub(1),
            started_at_us: to_i64(self.setup.start_us),
            ended_at_us: to_i64(ended_at_us.max(self.setup.start_us)),
            outcome,
            observer_delay_ticks: summary.observer_delay_ticks,
            players,
            final_state_hash: self.final_state_hash,
            order_stream_hash: self.hasher.current(),
            replay_hash: summary.replay_hash.unwrap_or([0; 32]),
            desync_tick: match outcome {
                MatchOutcome::DesyncTerminated {
                    first_divergence_tick,
                } => Some(first_divergence_tick),
                _ => self.desync.first_divergence(),
            },
            degraded: self.degraded,
        })
    }

    /// Builds and signs the result with the relay's key pair.
    pub fn certify(&self, relay: &KeyPair, ended_at_us: u64) -> Result<SignedCmr, CertifyError> {
        Ok(self.result(ended_at_us)?.sign(relay)?)
    }
}

fn player_result(
    outcome: &MatchOutcome,
    status: PlayerStatus,
    team: crate::ids::TeamId,
    core: &RelayCore,
) -> PlayerResult {
    match outcome {
        MatchOutcome::Remade
        | MatchOutcome::ServerRestart
        | MatchOutcome::DesyncTerminated { .. } => {
            return PlayerResult::NoResult;
        }
        // Voided by an early leaver: only who left keeps a result, for the cooldown.
        MatchOutcome::GraceVoided { .. } => {
            return match status {
                PlayerStatus::Abandoned { .. } => PlayerResult::Abandoned,
                _ => PlayerResult::NoResult,
            };
        }
        _ => {}
    }
    match status {
        PlayerStatus::Abandoned { .. } => return PlayerResult::Abandoned,
        PlayerStatus::DroppedForDesync { .. } => return PlayerResult::DroppedForDesync,
        _ => {}
    }
    match outcome {
        MatchOutcome::Completed { winner, .. } if *winner == team => PlayerResult::Win,
        MatchOutcome::Completed { .. } => PlayerResult::Loss,
        MatchOutcome::Draw => PlayerResult::Draw,
        MatchOutcome::Abandoned { .. } => {
            // The side still in the match wins an abandoned match.
            if core.roster.teams_in_match().contains(&team) {
                PlayerResult::Win
            } else {
                PlayerResult::Loss
            }
        }
        MatchOutcome::Remade
        | MatchOutcome::GraceVoided { .. }
        | MatchOutcome::ServerRestart
        | MatchOutcome::DesyncTerminated { .. } => PlayerResult::NoResult,
    }
}
