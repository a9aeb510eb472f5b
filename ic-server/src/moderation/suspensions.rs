//! The ranking authority's suspension check, answered from moderator actions: a ranked
//! suspension that has not ended and was not reversed on appeal blocks rating records.

use std::sync::Arc;

use async_trait::async_trait;
use scr::{PlayerKey, PublicKey};

use super::ActionKind;
use crate::authority::SuspensionCheck;
use crate::store::{ModerationStore, StoreError};

/// Ranked suspensions as recorded by moderators.
pub struct RankedSuspensions {
    store: Arc<dyn ModerationStore>,
}

impl RankedSuspensions {
    /// Reads suspensions from `store`.
    pub fn new(store: Arc<dyn ModerationStore>) -> Self {
        Self { store }
    }
}

#[async_trait]
impl SuspensionCheck for RankedSuspensions {
    async fn suspended_until(
        &self,
        players: &[PlayerKey],
        now: i64,
    ) -> Result<Option<(PlayerKey, i64)>, StoreError> {
        let targets: Vec<PublicKey> = players.iter().map(|p| p.public_key()).collect();
        let in_force = self.store.actions_in_force(&targets, now).await?;
        Ok(players.iter().find_map(|player| {
            in_force
                .iter()
                .filter(|a| {
                    a.target == player.public_key()
                        && matches!(a.action, ActionKind::Apply(m) if m.touches_ranked())
                })
                .filter_map(|a| a.ends_at)
                .max()
                .map(|until| (*player, until))
        }))
    }
}
