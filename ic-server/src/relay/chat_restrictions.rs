//! Where the relay learns who may not chat: the moderation capability's chat restrictions,
//! asked once per admitted connection, so the match task itself never waits on a database.

use async_trait::async_trait;
use scr::PlayerKey;

/// Chat restrictions in force (moderation's `chat_restriction` sanctions).
#[async_trait]
pub trait ChatRestrictions: Send + Sync {
    /// Until when `player` may not chat (Unix seconds), if a restriction runs at `now`.
    async fn chat_restricted_until(&self, player: &PlayerKey, now: i64) -> Option<i64>;
}
