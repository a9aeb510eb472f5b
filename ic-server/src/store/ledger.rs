//! The community's ledger, the core store: players, their ratings and issued records, certified
//! matches, community keys, trusted relays, roles and login state, and the changes applied to them.

use async_trait::async_trait;
use scr::{PlayerKey, PublicKey, RelayKey};

use super::StoreError;

/// A record this server issued, as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssuedRecord {
    /// The player.
    pub player_key: PlayerKey,
    /// The record's sequence.
    pub sequence: u64,
    /// Record type byte.
    pub record_type: u8,
    /// The signed record bytes.
    pub bytes: Vec<u8>,
    /// The certified match it came from, if any.
    pub match_id: Option<[u8; 32]>,
    /// When it was issued.
    pub issued_at: i64,
}

/// A player's rating in one game module, as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RatingRow {
    /// Game module.
    pub game_module: String,
    /// Algorithm that produced it.
    pub algorithm_id: String,
    /// Rating ×1000.
    pub rating: i64,
    /// Deviation ×1000.
    pub deviation: i64,
    /// Volatility ×1 000 000.
    pub volatility: i64,
    /// Rated games.
    pub games_played: u32,
    /// Wins.
    pub wins: u32,
    /// Losses.
    pub losses: u32,
    /// Draws.
    pub draws: u32,
    /// Current streak.
    pub streak: i16,
    /// Unix seconds of the last rated match.
    pub last_played_at: Option<i64>,
    /// Sequence of the newest rating record for this module.
    pub rating_sequence: u64,
    /// Expiry of that record.
    pub rating_expires_at: i64,
    /// The season the games, wins, losses, draws and peak count in.
    pub season: u32,
    /// Highest rating this season after placement; `None` until placed.
    pub peak_rating: Option<i64>,
}

/// What the store knows about a player before a change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlayerSnapshot {
    /// The player.
    pub player_key: PlayerKey,
    /// Highest sequence issued so far.
    pub last_sequence: u64,
    /// The rating in the module asked for, if any.
    pub rating: Option<RatingRow>,
}

/// One player's part of a change: the sequence it was planned against and what to write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlayerChange {
    /// The player.
    pub player_key: PlayerKey,
    /// `last_sequence` the plan was computed from; the change fails if it moved.
    pub expected_last_sequence: u64,
    /// `last_sequence` after the change.
    pub new_last_sequence: u64,
    /// New rating rows.
    pub ratings: Vec<RatingRow>,
    /// Records issued by the change.
    pub records: Vec<IssuedRecord>,
    /// Opponents met (for leaderboard eligibility).
    pub opponents: Vec<PlayerKey>,
    /// A raised revocation minimum: (record type byte, minimum valid sequence).
    pub revocation: Option<(u8, u64)>,
    /// Achievement rows to write (inserted, or replacing the row of the same achievement).
    pub achievements: Vec<super::AchievementRow>,
}

/// A certified match to record, with every player's change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MatchChange {
    /// The certified result's id.
    pub match_id: [u8; 32],
    /// The certified result's bytes.
    pub cmr: Vec<u8>,
    /// SHA-256 over the sorted participant keys, for rematch counting.
    pub participants_hash: [u8; 32],
    /// When the match ended.
    pub played_at: i64,
    /// When the server accepted it.
    pub accepted_at: i64,
    /// Whether ratings changed.
    pub rated: bool,
    /// Per-player changes.
    pub players: Vec<PlayerChange>,
    /// Players who left the match for good (for the leaver cooldowns).
    pub abandons: Vec<super::Abandon>,
}

/// Outcome of applying a change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Applied {
    /// Written.
    Done,
    /// The match was applied before; these are the records it issued then.
    AlreadyApplied(Vec<IssuedRecord>),
    /// A player's sequence moved since the plan was made; plan again.
    Conflict,
}

/// What planning a certified match reads from the store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MatchInputs {
    /// The match was applied before; these are the records it issued then.
    Applied(Vec<IssuedRecord>),
    /// The match is new.
    New {
        /// Snapshots of the players, in the order asked (`None` for an unregistered key).
        snapshots: Vec<Option<PlayerSnapshot>>,
        /// Rated matches with the same participants that ended at or after the time asked.
        prior_meetings: u32,
    },
}

/// Outcome of a registration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Registered {
    /// The player was created.
    Done,
    /// The key is already registered.
    AlreadyRegistered,
    /// This IP used up its registrations for the day.
    IpLimitReached,
}

/// A new player with its initial ratings and records.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Registration {
    /// The change (expected sequence 0).
    pub change: PlayerChange,
    /// Client address, for the per-day limit.
    pub ip: String,
    /// Day number (Unix seconds / 86400).
    pub day: i64,
    /// Registrations allowed per IP per day.
    pub ip_limit: u32,
    /// When.
    pub registered_at: i64,
}

/// A role a principal can hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Role {
    /// Runs the server.
    Admin,
    /// Acts on moderation cases.
    Moderator,
    /// Votes on moderation cases.
    Reviewer,
}

impl Role {
    /// Every role.
    pub const ALL: [Role; 3] = [Self::Admin, Self::Moderator, Self::Reviewer];

    /// Lowercase name.
    pub fn name(self) -> &'static str {
        match self {
            Self::Admin => "admin",
            Self::Moderator => "moderator",
            Self::Reviewer => "reviewer",
        }
    }

    /// Parses a lowercase name.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|role| role.name() == name)
    }
}

/// One leaderboard row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LeaderboardRow {
    /// The player.
    pub player_key: PlayerKey,
    /// The rating row.
    pub rating: RatingRow,
    /// Distinct opponents met in this module.
    pub distinct_opponents: u32,
}

/// Everything the server keeps.
#[async_trait]
pub trait Store:
    super::WebSessions
    + super::Seasons
    + super::Achievements
    + super::Campaigns
    + super::DesperationMatches
    + super::Abandons
    + super::TransparencyLog
    + super::WitnessLog
    + Send
    + Sync
    + 'static
{
    // --- players and credentials ---

    /// Creates a player with its initial ratings and records, once.
    async fn register(&self, registration: &Registration) -> Result<Registered, StoreError>;
    /// Snapshots of these players (`None` for an unregistered key), with their rating in `module`.
    async fn snapshots(
        &self,
        players: &[PlayerKey],
        module: &str,
    ) -> Result<Vec<Option<PlayerSnapshot>>, StoreError>;
    /// All rating rows of a player.
    async fn ratings(&self, player: &PlayerKey) -> Result<Vec<RatingRow>, StoreError>;
    /// Applies a one-player change (refresh, revocation) if its sequence still matches.
    async fn apply_player_change(&self, change: &PlayerChange) -> Result<Applied, StoreError>;
    /// Applies a certified match once; all players' changes in one transaction.
    async fn apply_match(&self, change: &MatchChange) -> Result<Applied, StoreError>;
    /// Everything planning a certified match reads, in one call so a backend can answer it
    /// with one round trip: the records of `match_id` if it was applied, else the snapshots of
    /// `players` in `module` and the rated matches with the same `participants_hash` that ended
    /// at or after `meetings_since`.
    async fn match_inputs(
        &self,
        match_id: &[u8; 32],
        players: &[PlayerKey],
        module: &str,
        participants_hash: &[u8; 32],
        meetings_since: i64,
    ) -> Result<MatchInputs, StoreError>;
    /// The records a certified match issued (by player key and sequence), if it was applied.
    async fn match_records(
        &self,
        match_id: &[u8; 32],
    ) -> Result<Option<Vec<IssuedRecord>>, StoreError>;
    /// Records issued to `player` with a sequence above `since`, oldest first.
    async fn records_since(
        &self,
        player: &PlayerKey,
        since: u64,
    ) -> Result<Vec<IssuedRecord>, StoreError>;
    /// The match records issued to `player` with a sequence below `before` (any, when `None`),
    /// newest first, at most `limit`, each with its certified result's bytes when the result
    /// was applied here.
    async fn match_history(
        &self,
        player: &PlayerKey,
        before: Option<u64>,
        limit: u32,
    ) -> Result<Vec<(IssuedRecord, Option<Vec<u8>>)>, StoreError>;
    /// The player's revocation minimums: (record type byte, minimum valid sequence).
    async fn revocations(&self, player: &PlayerKey) -> Result<Vec<(u8, u64)>, StoreError>;
    /// Players eligible for the leaderboard of `module`, best first, after the cursor
    /// `(rating, player key)` when given.
    async fn leaderboard(
        &self,
        module: &str,
        min_matches: u32,
        min_opponents: u32,
        limit: u32,
        after: Option<(i64, PlayerKey)>,
    ) -> Result<Vec<LeaderboardRow>, StoreError>;

    // --- community keys and relays ---

    /// Key rotation records, oldest first.
    async fn rotations(&self) -> Result<Vec<Vec<u8>>, StoreError>;
    /// Stores a key rotation record under its rotation number.
    async fn add_rotation(&self, sequence: u64, record: &[u8], now: i64) -> Result<(), StoreError>;
    /// How many players are registered.
    async fn player_count(&self) -> Result<u64, StoreError>;
    /// Relay keys trusted through the CLI.
    async fn trusted_relays(&self) -> Result<Vec<(RelayKey, String)>, StoreError>;
    /// Trusts a relay key; returns false if it was already trusted.
    async fn trust_relay(&self, key: &RelayKey, label: &str, now: i64) -> Result<bool, StoreError>;
    /// Stops trusting a relay key; returns false if it was not trusted.
    async fn untrust_relay(&self, key: &RelayKey) -> Result<bool, StoreError>;

    // --- roles and authentication ---

    /// Roles stored for a principal.
    async fn roles_of(&self, principal: &PublicKey) -> Result<Vec<Role>, StoreError>;
    /// Every stored role grant.
    async fn all_roles(&self) -> Result<Vec<(PublicKey, Role)>, StoreError>;
    /// Grants a role; returns false if already held.
    async fn grant_role(
        &self,
        principal: &PublicKey,
        role: Role,
        now: i64,
    ) -> Result<bool, StoreError>;
    /// Revokes a role; returns false if not held.
    async fn revoke_role(&self, principal: &PublicKey, role: Role) -> Result<bool, StoreError>;
    /// Stores a login challenge.
    async fn insert_challenge(
        &self,
        challenge: &[u8; 32],
        principal: &PublicKey,
        expires_at: i64,
    ) -> Result<(), StoreError>;
    /// Deletes and reports a challenge issued to `principal` that has not expired at `now`.
    async fn take_challenge(
        &self,
        challenge: &[u8; 32],
        principal: &PublicKey,
        now: i64,
    ) -> Result<bool, StoreError>;
    /// Stores a token by its hash.
    async fn insert_token(
        &self,
        token_hash: &[u8; 32],
        principal: &PublicKey,
        expires_at: i64,
    ) -> Result<(), StoreError>;
    /// The principal of an unexpired token.
    async fn token_principal(
        &self,
        token_hash: &[u8; 32],
        now: i64,
    ) -> Result<Option<PublicKey>, StoreError>;
    /// Deletes expired challenges and tokens.
    async fn purge_expired(&self, now: i64) -> Result<(), StoreError>;

    // --- operations ---

    /// Whether the database answers.
    async fn ping(&self) -> Result<(), StoreError>;
    /// Flushes the write-ahead log into the database file and closes.
    async fn close(&self) -> Result<(), StoreError>;
}

impl std::str::FromStr for Role {
    type Err = String;

    fn from_str(name: &str) -> Result<Self, Self::Err> {
        Self::from_name(name)
            .ok_or_else(|| format!("unknown role {name:?} (admin, moderator, reviewer)"))
    }
}
