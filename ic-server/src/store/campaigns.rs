//! Campaign benchmarks behind a trait: which players opted in to sharing their single-player
//! campaign progress, and the progress of those who did (never of anyone else).

use async_trait::async_trait;
use scr::PlayerKey;

use super::StoreError;
use super::columns::{Columns, count_u32, key32};

/// One player's progress in one campaign version, module and difficulty.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CampaignProgress {
    /// The campaign.
    pub campaign_id: String,
    /// Its version.
    pub version: String,
    /// Game module.
    pub game_module: String,
    /// Difficulty.
    pub difficulty: String,
    /// The player.
    pub player_key: PlayerKey,
    /// Missions completed so far.
    pub missions_completed: u32,
    /// Whether the campaign is finished.
    pub completed: bool,
    /// The ending reached, once finished.
    pub ending: Option<String>,
    /// When it was last reported.
    pub updated_at: i64,
}

/// Opt-ins and the progress of opted-in players.
#[async_trait]
pub trait Campaigns: Send + Sync {
    /// Opts `player` in (`true`) or out; opting out deletes their progress in the same
    /// transaction, so no aggregate counts them afterwards.
    async fn set_campaign_opt_in(
        &self,
        player: &PlayerKey,
        opt_in: bool,
        now: i64,
    ) -> Result<(), StoreError>;

    /// Stores `progress` (replacing the player's earlier report of the same campaign version,
    /// module and difficulty) only if the player is opted in at that moment; false if not.
    async fn record_campaign_progress(
        &self,
        progress: &CampaignProgress,
    ) -> Result<bool, StoreError>;

    /// The progress of opted-in players in `campaign_id`, every version, module and difficulty.
    async fn campaign_progress(
        &self,
        campaign_id: &str,
    ) -> Result<Vec<CampaignProgress>, StoreError>;
}

/// A `campaign_progress` row.
pub(crate) fn progress_from_row(row: &impl Columns) -> Result<CampaignProgress, StoreError> {
    Ok(CampaignProgress {
        campaign_id: row.text("campaign_id")?,
        version: row.text("version")?,
        game_module: row.text("game_module")?,
        difficulty: row.text("difficulty")?,
        player_key: PlayerKey::from_bytes(key32(&row.blob("player_key")?)?),
        missions_completed: count_u32(row.int("missions_completed")?)?,
        completed: row.flag("completed")?,
        ending: row.opt_text("ending")?,
        updated_at: row.int("updated_at")?,
    })
}
