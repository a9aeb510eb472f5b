//! Ranked suspensions as the authority sees them: a check it asks before issuing rating records,
//! answered by the moderation capability when that is enabled (otherwise nobody is suspended).

use async_trait::async_trait;
use scr::PlayerKey;

use super::{Authority, AuthorityError};
use crate::store::StoreError;

/// Answers whether a player is serving a ranked suspension.
#[async_trait]
pub trait SuspensionCheck: Send + Sync + 'static {
    /// The first of `players` (in the order given) serving a ranked suspension at `now`, with
    /// the end (Unix seconds) of that suspension. One call for all players of a match, so a
    /// store can answer with one query.
    async fn suspended_until(
        &self,
        players: &[PlayerKey],
        now: i64,
    ) -> Result<Option<(PlayerKey, i64)>, StoreError>;
}

impl Authority {
    /// Sets the suspension check consulted before issuing rating records.
    pub fn with_suspensions(mut self, check: std::sync::Arc<dyn SuspensionCheck>) -> Self {
        self.suspensions = Some(check);
        self
    }

    /// Refuses when any of `players` is serving a ranked suspension at `now`: no rating record
    /// is issued to a suspended player, neither by refresh nor by a certified match.
    pub(super) async fn refuse_suspended(
        &self,
        players: &[PlayerKey],
        now: i64,
    ) -> Result<(), AuthorityError> {
        let Some(check) = &self.suspensions else {
            return Ok(());
        };
        match check.suspended_until(players, now).await? {
            Some((player, until)) => Err(AuthorityError::Suspended { player, until }),
            None => Ok(()),
        }
    }
}
