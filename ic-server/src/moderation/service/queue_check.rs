//! The moderation capability seen from the matchmaker: a queue cooldown keeps a player out of
//! every queue until it ends (naming its case); a low-priority sanction delays its turn.

use async_trait::async_trait;
use scr::PlayerKey;

use super::{ModerationService, Restriction};
use crate::matchmaker::{QueueRestriction, QueueRestrictions};
use crate::store::StoreError;

#[async_trait]
impl QueueRestrictions for ModerationService {
    async fn restriction(
        &self,
        player: &PlayerKey,
        now: i64,
    ) -> Result<Option<QueueRestriction>, StoreError> {
        Ok(
            match self.queue_restriction(&player.public_key(), now).await? {
                Some(Restriction::QueueCooldown { until, case_id }) => {
                    Some(QueueRestriction::Cooldown {
                        until: u64::try_from(until).unwrap_or(0),
                        reason: format!("queue cooldown from moderation case {case_id}"),
                    })
                }
                Some(Restriction::LowPriority { .. }) => Some(QueueRestriction::LowPriority),
                None => None,
            },
        )
    }
}
