//! Match conduct outside the relay: the cooldowns leavers earn, read from the abandons the
//! ranking authority records with each certified match, and enforced by matchmaking.

pub mod leavers;

use std::sync::Arc;

use scr::PlayerKey;

pub use leavers::{LeaverCooldown, LeaverPolicy, LeaverReason};

use crate::store::{Abandons, StoreError};

/// Leaver cooldowns as recorded in the store.
pub struct LeaverCooldowns {
    store: Arc<dyn Abandons>,
    policy: LeaverPolicy,
}

impl LeaverCooldowns {
    /// Reads abandons from `store` and judges them by `policy`.
    pub fn new(store: Arc<dyn Abandons>, policy: LeaverPolicy) -> Self {
        Self { store, policy }
    }

    /// The cooldown `player` serves at `now`, if any.
    pub async fn cooldown(
        &self,
        player: &PlayerKey,
        now: i64,
    ) -> Result<Option<LeaverCooldown>, StoreError> {
        let since = now.saturating_sub(self.policy.lookback_secs());
        let abandons = self.store.abandons_since(player, since).await?;
        Ok(self.policy.cooldown(&abandons, now))
    }
}

// Matchmaking keeps a player under a cooldown out of every queue.
#[cfg(feature = "matchmaking")]
#[async_trait::async_trait]
impl crate::matchmaker::QueueRestrictions for LeaverCooldowns {
    async fn restriction(
        &self,
        player: &PlayerKey,
        now: i64,
    ) -> Result<Option<crate::matchmaker::QueueRestriction>, StoreError> {
        Ok(self.cooldown(player, now).await?.map(|cooldown| {
            crate::matchmaker::QueueRestriction::Cooldown {
                until: u64::try_from(cooldown.until).unwrap_or(0),
                reason: cooldown.explain(),
            }
        }))
    }
}
