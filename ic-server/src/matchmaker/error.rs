//! Why the matchmaker refused a request; each reason has a stable code for the API.

use crate::store::StoreError;

/// A refused matchmaking request.
/// Serializable so that the process leading a shared queue can answer another process (the
/// two variants that only arise before a request reaches the queue are not).
#[derive(Debug, thiserror::Error, serde::Serialize, serde::Deserialize)]
pub enum MatchmakerError {
    /// The presented record does not verify (expired, revoked, stale, another community…).
    #[serde(skip)]
    #[error("the presented record is not valid here: {0}")]
    RecordInvalid(String),
    /// The record is valid but not a rating record.
    #[error("present a rating record")]
    NotARatingRecord,
    /// The rating record is from two or more seasons ago: the player refreshes it (and places
    /// again in the running season).
    #[serde(skip)]
    #[error(
        "the presented rating record is from season {season}, two or more before the running \
         season {running}; refresh it (POST /v1/credentials/refresh) and place again"
    )]
    SeasonExpired {
        /// The record's season.
        season: u32,
        /// The running season.
        running: u32,
    },
    /// The record belongs to another player.
    #[error("the presented record is not yours")]
    NotYourRecord,
    /// No queue for this module and mode.
    #[error("no {mode} queue for game module {module}")]
    UnknownQueue {
        /// Game module of the record.
        module: String,
        /// Mode asked for.
        mode: String,
    },
    /// A record presented for the queue's requirement was refused.
    #[serde(skip)]
    #[error("{0}")]
    Credential(#[from] crate::federation::CredentialError),
    /// The presented records do not meet the queue's requirement.
    #[error("{0}")]
    RequirementUnmet(#[from] crate::federation::Unmet),
    /// Already queued, in a party or in a ready check.
    #[error("already in the queue")]
    AlreadyQueued,
    /// Not in any queue.
    #[error("not in the queue")]
    NotQueued,
    /// A decline or moderation cooldown runs.
    #[error("joining the queue is blocked until {until} ({reason})")]
    Cooldown {
        /// Unix seconds when it ends.
        until: u64,
        /// `declined_match` or the moderation sanction.
        reason: String,
    },
    /// More avoided keys than allowed.
    #[error("at most {max} players may be avoided")]
    AvoidListTooLong {
        /// The limit.
        max: usize,
    },
    /// The party does not fit the mode.
    #[error("a party of {size} does not fit teams of {team_size}")]
    PartyTooLarge {
        /// Players in the party.
        size: usize,
        /// Players per team.
        team_size: usize,
    },
    /// Party members more than one tier apart.
    #[error("party members must be within one tier of each other")]
    PartyTierGap,
    /// Not invited to this party (or it is gone).
    #[error("no pending party invitation with this id")]
    NotInvited,
    /// No ready check with this id for this player.
    #[error("no match awaiting your answer with this id")]
    NoSuchMatch,
    /// In the map veto, the other side bans now.
    #[error("the other side bans now")]
    NotYourTurn,
    /// In the map veto, no map of this name is left.
    #[error("no map named {0:?} is left in the veto")]
    UnknownMap(String),
    /// The leading process did not answer in time (none leads, or it is taking over).
    #[serde(skip)]
    #[error(
        "the matchmaker did not answer in time; GET /v1/queue shows whether the request took effect"
    )]
    Unanswered,
    /// The database failed.
    #[serde(skip)]
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl MatchmakerError {
    /// Stable snake_case code.
    pub fn code(&self) -> &'static str {
        match self {
            Self::RecordInvalid(_) => "record_invalid",
            Self::NotARatingRecord => "not_a_rating_record",
            Self::SeasonExpired { .. } => "season_expired",
            Self::NotYourRecord => "not_your_record",
            Self::UnknownQueue { .. } => "unknown_queue",
            Self::Credential(error) => error.code(),
            Self::RequirementUnmet(unmet) => unmet.code(),
            Self::AlreadyQueued => "already_queued",
            Self::NotQueued => "not_queued",
            Self::Cooldown { .. } => "queue_cooldown",
            Self::AvoidListTooLong { .. } => "avoid_list_too_long",
            Self::PartyTooLarge { .. } => "party_too_large",
            Self::PartyTierGap => "party_tier_gap",
            Self::NotInvited => "not_invited",
            Self::NoSuchMatch => "no_such_match",
            Self::NotYourTurn => "not_your_turn",
            Self::UnknownMap(_) => "unknown_map",
            Self::Unanswered => "matchmaking_unavailable",
            Self::Store(_) => "storage_unavailable",
        }
    }
}
