//! What the server's public player pages answer: profile, match history and achievements, as
//! typed values (and back to JSON for `--json`).

/// A player's public profile in one community (`GET /v1/players/{key}`).
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
pub struct Profile {
    /// The player.
    pub player_key: String,
    /// The running season, if the community runs seasons.
    pub season: Option<ProfileSeason>,
    /// One standing per game module.
    pub modules: Vec<ModuleStanding>,
}

/// The running season as a profile names it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
pub struct ProfileSeason {
    /// Its number.
    pub season: u32,
    /// Its name.
    pub name: String,
    /// Its planned end, Unix seconds.
    pub ends_at: i64,
}

/// A player's standing in one game module.
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
pub struct ModuleStanding {
    /// Game module.
    pub module: String,
    /// Rating ×1000.
    pub rating: i64,
    /// Deviation ×1000.
    pub deviation: i64,
    /// The rating as the community's algorithm shows it.
    pub display: String,
    /// Tier, once placed.
    pub tier: Option<String>,
    /// Rated matches still needed this season before a tier shows.
    pub placement_matches_left: u32,
    /// Leaderboard rank, when on the leaderboard.
    pub rank: Option<u32>,
    /// Percentile in tenths of a percent (share of the others ranked below).
    pub percentile: Option<u16>,
    /// Rated games this season.
    pub games_played: u32,
    /// Wins this season.
    pub wins: u32,
    /// Losses this season.
    pub losses: u32,
    /// Draws this season.
    pub draws: u32,
    /// Highest rating this season after placement.
    pub peak_rating: Option<i64>,
    /// The tier of that peak.
    pub peak_tier: Option<String>,
}

/// A page of a player's match history (`GET /v1/players/{key}/matches`).
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
pub struct MatchHistory {
    /// Newest first.
    pub matches: Vec<HistoryMatch>,
    /// The cursor of the next page, if there may be one.
    pub next: Option<u64>,
}

/// One certified match from the player's side.
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
pub struct HistoryMatch {
    /// Certified result id, hex.
    pub match_id: String,
    /// Game module.
    pub game_module: String,
    /// Map.
    pub map: String,
    /// When it ended, Unix seconds.
    pub played_at: i64,
    /// `win`, `loss`, `draw` or `abandoned`.
    pub result: String,
    /// Rating ×1000 before and after.
    pub rating_before: i64,
    /// Rating ×1000 after.
    pub rating_after: i64,
    /// Opponents' keys.
    pub opponents: Vec<String>,
}

/// The achievements a player holds (`GET /v1/players/{key}/achievements`).
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
pub struct PlayerAchievements {
    /// Oldest unlock first.
    pub achievements: Vec<HeldAchievement>,
}

/// One achievement as the server holds it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
pub struct HeldAchievement {
    /// The id in the record (`<id>@s<season>` for a per-season one).
    pub achievement_id: String,
    /// The definition's name, when the community still awards it.
    pub name: Option<String>,
    /// Game module.
    pub game_module: String,
    /// `optimistic` or `verified`.
    pub verification: String,
    /// When it was unlocked, Unix seconds.
    pub unlocked_at: i64,
    /// The certified match that earned it, hex.
    pub match_id: Option<String>,
    /// `pending` (an optimistic claim in its window), `challenged`, or none.
    pub claim: Option<String>,
}

/// What keeps the caller out of play (`GET /v1/sanctions/me`).
#[derive(Debug, Clone, PartialEq, serde::Deserialize, serde::Serialize)]
pub struct MySanctions {
    /// The cooldown earned by leaving matches, while it runs.
    pub leaver_cooldown: Option<LeaverCooldown>,
    /// Moderators' actions against the caller (empty without moderation).
    #[serde(default)]
    pub sanctions: Vec<ModeratorAction>,
    /// The moderation restriction on queueing in force, if any.
    #[serde(default)]
    pub queue_restriction: Option<serde_json::Value>,
    /// Until when chat is restricted (Unix seconds), if it is.
    #[serde(default)]
    pub chat_restricted_until: Option<i64>,
}

/// A leaver cooldown: matchmaking refuses the player until `until`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
pub struct LeaverCooldown {
    /// When it ends, Unix seconds.
    pub until: i64,
    /// Why, in words.
    pub reason: String,
    /// The abandoned match that started it (hex), which an appeal names.
    #[serde(default)]
    pub match_id: String,
}

/// One moderator action against the caller.
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
pub struct ModeratorAction {
    /// The case it rests on (name it in an appeal).
    pub case_id: String,
    /// The action, e.g. `queue_cooldown:24`.
    pub action: String,
    /// The moderator's reason.
    pub reason: String,
    /// When it ends, Unix seconds (none for a warning).
    pub ends_at: Option<i64>,
    /// Reversed on appeal.
    pub reversed: bool,
}
