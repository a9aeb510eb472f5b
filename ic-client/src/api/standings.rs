//! The community's public standings and goals: the leaderboard, the seasons, the achievements
//! on offer and claiming one, and campaign benchmarks a player may share progress with.

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::{ApiClient, ApiError, Session};

/// One row of the live leaderboard.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub struct LeaderboardEntry {
    /// Rank.
    pub rank: Option<u32>,
    /// Share of the others ranked below, in tenths of a percent.
    pub percentile: Option<u16>,
    /// Tier.
    pub tier: Option<String>,
    /// The player.
    pub player_key: String,
    /// Rating ×1000.
    pub rating: i64,
    /// Deviation ×1000.
    pub deviation: i64,
    /// The rating as shown to people.
    pub display: String,
    /// Rated games this season.
    pub games_played: u32,
    /// Wins.
    pub wins: u32,
    /// Losses.
    pub losses: u32,
    /// Draws.
    pub draws: u32,
    /// Distinct opponents met.
    pub distinct_opponents: u32,
}

/// A page of the live leaderboard.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub struct LeaderboardPage {
    /// Game module.
    pub module: String,
    /// Best first.
    pub entries: Vec<LeaderboardEntry>,
    /// Pass as `after` for the next page; none on the last.
    pub next: Option<String>,
}

/// A ranked season.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub struct Season {
    /// Its number.
    pub season: u32,
    /// Its name.
    pub name: String,
    /// Unix seconds.
    pub starts_at: i64,
    /// Unix seconds.
    pub ends_at: i64,
    /// Whether it is the running one.
    pub running: bool,
}

/// An achievement the community awards.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub struct AchievementDefinition {
    /// Its id.
    pub id: String,
    /// Its name.
    pub name: String,
    /// How it is earned: a rule name, or `claim`.
    pub rule: String,
    /// The rule's count.
    pub count: u32,
    /// The game modules it counts in (empty: all).
    pub game_modules: Vec<String>,
    /// Whether it is earned again each season.
    pub per_season: bool,
}

/// The community's achievements and how claims are treated.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub struct AchievementOffer {
    /// `refused`, `optimistic` or `verified`.
    pub policy: String,
    /// Hours an optimistic claim stays open to challenge.
    pub challenge_window_hours: u32,
    /// The achievements.
    pub definitions: Vec<AchievementDefinition>,
}

/// A progress report for a campaign (`POST /v1/campaigns/{id}/progress`).
#[derive(Debug, Clone, Default, Serialize)]
pub struct CampaignProgress {
    /// Campaign version.
    pub version: String,
    /// Game module.
    pub game_module: String,
    /// Difficulty.
    pub difficulty: String,
    /// Missions completed.
    pub missions_completed: u32,
    /// Whether the campaign is finished.
    pub completed: bool,
    /// The ending reached, with `completed`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ending: Option<String>,
}

impl ApiClient {
    /// `GET /v1/leaderboard`: a page of `module` (default: the community's first), best first,
    /// after the cursor of the previous page.
    pub async fn leaderboard(
        &self,
        module: Option<&str>,
        limit: u32,
        after: Option<&str>,
    ) -> Result<LeaderboardPage, ApiError> {
        let mut url = self.url("v1/leaderboard")?;
        {
            let mut query = url.query_pairs_mut();
            query.append_pair("limit", &limit.to_string());
            if let Some(module) = module {
                query.append_pair("module", module);
            }
            if let Some(after) = after {
                query.append_pair("after", after);
            }
        }
        self.json(self.http.get(url.clone()), &url).await
    }

    /// `GET /v1/seasons`: the seasons, oldest first.
    pub async fn seasons(&self) -> Result<Vec<Season>, ApiError> {
        #[derive(Deserialize)]
        struct List {
            seasons: Vec<Season>,
        }
        let url = self.url("v1/seasons")?;
        let list: List = self.json(self.http.get(url.clone()), &url).await?;
        Ok(list.seasons)
    }

    /// `GET /v1/achievements`: what the community awards and its claim policy.
    pub async fn achievement_offer(&self) -> Result<AchievementOffer, ApiError> {
        let url = self.url("v1/achievements")?;
        self.json(self.http.get(url.clone()), &url).await
    }

    /// `POST /v1/achievements/claims`: claims an achievement of rule `claim`; the issued
    /// record's bytes.
    pub async fn claim_achievement(
        &self,
        session: &Session,
        game_module: &str,
        achievement_id: &str,
    ) -> Result<Vec<Vec<u8>>, ApiError> {
        let url = self.url("v1/achievements/claims")?;
        let body = json!({ "game_module": game_module, "achievement_id": achievement_id });
        let list: super::RecordList = self
            .json(self.post(&url, session).json(&body), &url)
            .await?;
        super::decode_records(&list.records, &url)
    }

    /// `POST /v1/campaigns/opt-in`: shares campaign progress, or stops and deletes it.
    pub async fn campaign_opt_in(&self, session: &Session, opt_in: bool) -> Result<(), ApiError> {
        let url = self.url("v1/campaigns/opt-in")?;
        self.send(self.post(&url, session).json(&json!({ "opt_in": opt_in })))
            .await
            .map(drop)
    }

    /// `POST /v1/campaigns/{id}/progress` (opted-in players only).
    pub async fn campaign_progress(
        &self,
        session: &Session,
        campaign_id: &str,
        progress: &CampaignProgress,
    ) -> Result<(), ApiError> {
        let url = self.url(&format!(
            "v1/campaigns/{}/progress",
            super::rooms::path_segment(campaign_id)
        ))?;
        self.send(self.post(&url, session).json(progress))
            .await
            .map(drop)
    }

    /// `GET /v1/campaigns/{id}/benchmarks`: the signed aggregates (JSON as the server sends it).
    pub async fn campaign_benchmarks(&self, campaign_id: &str) -> Result<Value, ApiError> {
        let url = self.url(&format!(
            "v1/campaigns/{}/benchmarks",
            super::rooms::path_segment(campaign_id)
        ))?;
        self.json(self.http.get(url.clone()), &url).await
    }
}
