//! The ranking authority: registers players, turns relay-certified results into rating and
//! match records, refreshes and revokes them. Transport-free: HTTP and the CLI call in here.

mod achievements;
mod credentials;
mod desperation;
pub mod handoff;
mod history;
mod ingest;
mod leavers;
mod player_locks;
mod players;
mod rank_board;
mod ranks;
mod records;
mod seasons;
mod suspension;

pub use credentials::{AchievementStatus, VerifyOutcome};
pub use history::HistoryEntry;
pub use ingest::Ingested;
pub use rank_board::{RankBoard, percentile};
pub use ranks::Built as BuiltBoard;
pub use suspension::SuspensionCheck;

use std::sync::Arc;

use ranking::provider::RankingProvider;
use scr::PlayerKey;

use crate::community::Community;
use crate::config::{RankingAuthorityConfig, RegistrationPolicy};
use crate::metrics::Metrics;
use crate::store::{Store, StoreError};

/// How often a change is re-planned when concurrent writers moved a player's sequence.
const MAX_PLAN_ATTEMPTS: usize = 32;

/// Why the authority refused or failed a request. `code()` is the API's error code.
#[derive(Debug, thiserror::Error)]
pub enum AuthorityError {
    /// The certified result is malformed, untrusted, for another community or badly signed.
    #[error("certified match result rejected: {0}")]
    Cmr(#[from] relay_core::cmr::CmrError),
    /// A player of the match never registered here.
    #[error("player {0} is not registered in this community")]
    UnregisteredPlayer(PlayerKey),
    /// The match is for a game module this community does not rate.
    #[error("game module {0:?} is not rated by this community")]
    UnknownGameModule(String),
    /// The match cannot be rated (for example a player without a result).
    #[error("match cannot be rated: {0}")]
    InvalidMatch(String),
    /// The key is already registered.
    #[error("this key is already registered")]
    AlreadyRegistered,
    /// The key is not registered.
    #[error("this key is not registered")]
    NotRegistered,
    /// Registration needs a valid invite code.
    #[error("registration needs a valid invite code")]
    InviteRequired,
    /// Too many registrations from this address today.
    #[error("too many registrations from this address today")]
    RegistrationLimit,
    /// A player is serving a ranked suspension: no rating records until it ends.
    #[error("player {player} is serving a ranked suspension until {until} (Unix seconds)")]
    Suspended {
        /// The suspended player.
        player: PlayerKey,
        /// When the suspension ends.
        until: i64,
    },
    /// Concurrent changes kept moving the player's sequence.
    #[error("too many concurrent changes for these players, try again")]
    Busy,
    /// A record could not be built (a bug or a bad configuration value).
    #[error("record could not be built: {0}")]
    Encode(#[from] scr::EncodeError),
    /// The database failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// This process may not sign: the community rotated past the key it holds.
    #[error(transparent)]
    SigningKeySuperseded(#[from] crate::community::Superseded),
    /// The achievement policy is `relay_attested`: only certified matches earn achievements.
    #[error("this community issues achievements only for relay-certified matches")]
    ClaimsRefused,
    /// No achievement with this id is defined (or the player does not hold it).
    #[error("unknown achievement {0:?}")]
    UnknownAchievement(String),
    /// The achievement is earned in certified matches, not claimed.
    #[error("achievement {0:?} is earned in certified matches and cannot be claimed")]
    NotClaimable(String),
    /// The player holds the achievement already.
    #[error("achievement {0:?} is already held")]
    AchievementHeld(String),
    /// The achievement is not an optimistic claim inside its challenge window.
    #[error("achievement {0:?} is not a claim open to challenge")]
    NotChallengeable(String),
}

impl AuthorityError {
    /// The snake_case error code of the HTTP API.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Cmr(error) => error.code(),
            Self::UnregisteredPlayer(_) => "unregistered_player",
            Self::UnknownGameModule(_) => "unknown_game_module",
            Self::InvalidMatch(_) => "invalid_match",
            Self::AlreadyRegistered => "already_registered",
            Self::NotRegistered => "not_registered",
            Self::InviteRequired => "invite_required",
            Self::RegistrationLimit => "registration_limit",
            Self::Suspended { .. } => "ranked_suspended",
            Self::Busy => "busy",
            Self::SigningKeySuperseded(_) => "signing_key_superseded",
            Self::Encode(_) => "internal",
            Self::Store(_) => "storage_unavailable",
            Self::ClaimsRefused => "claims_not_accepted",
            Self::UnknownAchievement(_) => "unknown_achievement",
            Self::NotClaimable(_) => "not_claimable",
            Self::AchievementHeld(_) => "achievement_held",
            Self::NotChallengeable(_) => "not_challengeable",
        }
    }
}

/// The ranking authority of one community.
pub struct Authority {
    store: Arc<dyn Store>,
    community: Arc<Community>,
    provider: Box<dyn RankingProvider>,
    settings: RankingAuthorityConfig,
    rating: ranking::config::RankingConfig,
    metrics: Arc<Metrics>,
    locks: player_locks::PlayerLocks,
    // The server's own relay key and the configured ones, prepared at start (and on a reload
    // of `ranking.trusted_relays`): checking a result from them needs no database read and no
    // key decompression.
    fixed_relays: crate::live_setting::Live<FixedRelays>,
    // Set when the moderation capability runs: consulted before any rating record is issued.
    suspensions: Option<Arc<dyn SuspensionCheck>>,
    // The running season, for rows that do not exist yet (a new player, a new game module).
    seasons: Arc<crate::seasons::SeasonClock>,
    // Ranks among each module's eligible players.
    ranks: Arc<ranks::RankBoards>,
    // The achievements awarded and the policy for claims.
    achievements: crate::config::AchievementsConfig,
    held: achievements::HeldCache,
    // What leaving costs beyond the loss: habitual leavers' deviation rises.
    leavers: crate::conduct::LeaverPolicy,
}

/// The relay keys trusted without a database read: the server's own and the configured ones.
pub(crate) struct FixedRelays {
    keys: Vec<scr::RelayKey>,
    verifier: relay_core::cmr::TrustedRelays,
}

impl FixedRelays {
    fn new(own: scr::RelayKey, configured: &[scr::RelayKey]) -> Result<Self, SetupError> {
        let mut keys = vec![own];
        keys.extend(configured.iter().copied());
        let verifier = relay_core::cmr::TrustedRelays::new(keys.iter().copied())?;
        Ok(Self { keys, verifier })
    }
}

/// Why the authority could not be set up from the configuration.
#[derive(Debug, thiserror::Error)]
pub enum SetupError {
    /// The rating configuration names no known algorithm or has a bad value.
    #[error("rating configuration: {0}")]
    Rating(#[from] ranking::error::ConfigError),
    /// A configured trusted relay key cannot verify anything.
    #[error("ranking.trusted_relays: {0}")]
    Relay(#[from] relay_core::cmr::CmrError),
}

impl Authority {
    /// Wires the authority; fails if the rating configuration names no known algorithm.
    pub fn new(
        store: Arc<dyn Store>,
        community: Arc<Community>,
        settings: RankingAuthorityConfig,
        rating: ranking::config::RankingConfig,
        metrics: Arc<Metrics>,
        seasons: Arc<crate::seasons::SeasonClock>,
    ) -> Result<Self, SetupError> {
        let provider = ranking::provider::provider_for(&rating)?;
        let fixed_relays = FixedRelays::new(
            scr::RelayKey::from(community.relay.public_key()),
            &settings.trusted_relays,
        )?;
        Ok(Self {
            fixed_relays: crate::live_setting::Live::new(fixed_relays),
            store,
            community,
            provider,
            settings,
            rating,
            metrics,
            locks: player_locks::PlayerLocks::new(1024),
            suspensions: None,
            seasons,
            ranks: Arc::default(),
            achievements: crate::config::AchievementsConfig::default(),
            held: achievements::HeldCache::default(),
            leavers: crate::conduct::LeaverPolicy::new(&crate::config::ConductConfig::default()),
        })
    }

    /// Applies `conduct` (`[conduct]`) instead of the defaults (set once, before serving).
    pub fn with_conduct(mut self, conduct: &crate::config::ConductConfig) -> Self {
        self.leavers = crate::conduct::LeaverPolicy::new(conduct);
        self
    }

    /// Awards `achievements` instead of the defaults (set once, before serving).
    pub fn with_achievements(mut self, achievements: crate::config::AchievementsConfig) -> Self {
        self.achievements = achievements;
        self
    }

    /// Trusts `configured` (a reloaded `ranking.trusted_relays`) besides the server's own
    /// relay, from the next certified result on.
    pub fn set_trusted_relays(&self, configured: &[scr::RelayKey]) -> Result<(), SetupError> {
        let own = scr::RelayKey::from(self.community.relay.public_key());
        self.fixed_relays.set(FixedRelays::new(own, configured)?);
        Ok(())
    }

    /// The community this authority signs for.
    pub fn community(&self) -> &Community {
        &self.community
    }

    /// Whether `code` opens registration under the configured policy.
    fn registration_allowed(&self, code: Option<&str>) -> bool {
        match self.settings.registration {
            RegistrationPolicy::Open => true,
            RegistrationPolicy::Invite => {
                code.is_some_and(|code| self.settings.invite_codes.iter().any(|c| c == code))
            }
        }
    }

    /// A player's starting rating row in `module` (the provider's initial rating, no games).
    fn initial_row(
        &self,
        player: &PlayerKey,
        module: &str,
        rating_sequence: u64,
        rating_expires_at: i64,
        season: u32,
    ) -> crate::store::RatingRow {
        let initial = self
            .provider
            .initial_rating(ranking::description::PlayerId(*player.as_bytes()));
        crate::store::RatingRow {
            game_module: module.to_owned(),
            algorithm_id: self.provider.algorithm_id().to_owned(),
            rating: initial.rating.rating,
            deviation: initial.rating.deviation,
            volatility: initial.rating.volatility,
            games_played: 0,
            wins: 0,
            losses: 0,
            draws: 0,
            streak: 0,
            last_played_at: None,
            rating_sequence,
            rating_expires_at,
            season,
            peak_rating: None,
        }
    }

    fn rating_validity_secs(&self) -> i64 {
        i64::from(self.settings.rating_validity_days) * 86_400
    }
}
