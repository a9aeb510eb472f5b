//! The moderation capability seen from the matchmaker: a queue cooldown keeps a player out of
//! every queue until it ends, with the case it rests on named in the refusal.

use async_trait::async_trait;
use scr::PlayerKey;

use super::{ModerationService, Restriction};
use crate::matchmaker::QueueRestrictions;
use crate::store::StoreError;

#[async_trait]
impl QueueRestrictions for ModerationService {
    async fn restriction(
        &self,
        player: &PlayerKey,
        now: i64,
    ) -> Result<Option<(u64, String)>, StoreError> {
        // A low-priority sanction lets the player queue; only a cooldown blocks joining.
        Ok(
            match self.queue_restriction(&player.public_key(), now).await? {
                Some(Restriction::QueueCooldown { until, case_id }) => Some((
                    u64::try_from(until).unwrap_or(0),
                    format!("queue cooldown from moderation case {case_id}"),
                )),
                Some(Restriction::LowPriority { .. }) | None => None,
            },
        )
    }
}
