//! The moderation capability seen from the relay: a chat restriction withholds the player's
//! chat in matches admitted while it runs.

use async_trait::async_trait;
use scr::PlayerKey;

use super::ModerationService;

// The relay asks once per admitted connection; a database that fails then must not keep a
// player out of a match, so the failure is logged and the chat let through.
#[async_trait]
impl crate::relay::ChatRestrictions for ModerationService {
    async fn chat_restricted_until(&self, player: &PlayerKey, now: i64) -> Option<i64> {
        match ModerationService::chat_restricted_until(self, &player.public_key(), now).await {
            Ok(until) => until,
            Err(error) => {
                tracing::warn!(%error, "could not read chat restrictions; chat allowed");
                None
            }
        }
    }
}
