//! Desperation matches behind a trait: the games the matchmaker formed after a player's rating
//! window had opened completely, whose results count with less information (docs/ranking.md §3).

use async_trait::async_trait;

use super::StoreError;

/// Days a desperation mark is kept; a result arriving later counts fully.
pub const DESPERATION_MARK_DAYS: i64 = 7;

/// Marks of desperation matches, by the game id their tickets carry.
#[async_trait]
pub trait DesperationMatches: Send + Sync {
    /// Marks `game_id` as formed by desperation (and forgets marks older than
    /// [`DESPERATION_MARK_DAYS`]).
    async fn mark_desperation_match(&self, game_id: u64, at: i64) -> Result<(), StoreError>;

    /// Whether `game_id` was marked.
    async fn is_desperation_match(&self, game_id: u64) -> Result<bool, StoreError>;
}
