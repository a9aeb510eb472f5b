//! The server's one typed configuration: every key with a default, a doc comment and a range.
//! Loading (file, environment, provenance, unknown keys) is in `load.rs`; the commented file
//! written on first run is in `template.rs`.

mod achievements;
mod campaigns;
mod conduct;
mod federation;
mod load;
mod moderation;
mod relay;
pub mod reload;
mod template;
mod transparency;
mod ui;

pub use achievements::{
    AchievementDefinition, AchievementPolicy, AchievementRule, AchievementsConfig,
};
pub use campaigns::CampaignsConfig;
pub use conduct::ConductConfig;
pub use load::{ConfigError, LoadedConfig, Source, load};

/// The configuration the server loads from a config file holding `text` (no environment),
/// for tests that show a key of the file reaches the code that acts on it.
#[cfg(test)]
pub(crate) fn from_file_text(text: &str) -> Config {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let file = dir.path().join("ic-server.toml");
    std::fs::write(&file, text).expect("writing the config file");
    let loaded = load(Some(&file), &[]).expect("a valid config file");
    // Every key of `text` is known (a build without some capabilities also warns that they
    // stay off, which is not about the text).
    let unknown: Vec<&String> = loaded
        .warnings
        .iter()
        .filter(|warning| warning.starts_with("unknown"))
        .collect();
    assert!(unknown.is_empty(), "{unknown:?}");
    loaded.config
}
pub use federation::{FederationConfig, POLICY_KINDS, SanctionPolicy, SubscriptionConfig};
pub use moderation::{
    CalibrationConfig, EligibilityConfig, ModerationConfig, RecommendationTable, RetentionConfig,
    SeverityBase,
};
pub use relay::RelaySettings;
pub use template::TEMPLATE;
pub use transparency::{TransparencyConfig, WitnessConfig, WitnessedLogConfig};
pub use ui::UiConfig;

use std::net::SocketAddr;

use serde::{Deserialize, Serialize};

/// The whole configuration.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(default)]
pub struct Config {
    /// Who the community is.
    pub community: CommunityConfig,
    /// Which capabilities run.
    pub capabilities: CapabilitiesConfig,
    /// The HTTP API.
    pub http: HttpConfig,
    /// The database.
    pub storage: StorageConfig,
    /// Challenge-response authentication.
    pub auth: AuthConfig,
    /// The ranking authority: registration, trusted relays, game modules.
    pub ranking: RankingAuthorityConfig,
    /// The rating math (algorithm and its parameters), from the `ranking` crate.
    pub rating: ranking::config::RankingConfig,
    /// Matchmaking queues and tuning (the rating window is `rating.matchmaking`).
    pub matchmaking: crate::matchmaking::MatchmakingSettings,
    /// The relay's QUIC listener, timeouts and admitted ticket signers.
    pub relay: RelaySettings,
    /// Logs.
    pub logging: LoggingConfig,
    /// The moderation review queue (used when the capability is enabled).
    pub moderation: ModerationConfig,
    /// The web pages under `/ui/`.
    pub ui: UiConfig,
    /// Achievements the ranking authority awards.
    pub achievements: AchievementsConfig,
    /// Opt-in campaign benchmarks.
    pub campaigns: CampaignsConfig,
    /// What leaving a match costs.
    pub conduct: ConductConfig,
    /// The transparency log's signed checkpoints.
    pub transparency: TransparencyConfig,
    /// Reading other communities' documents.
    pub federation: FederationConfig,
}

/// Who the community is.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct CommunityConfig {
    /// Display name, 1–64 characters.
    pub name: String,
    /// Public base URL players use to reach this server.
    pub url: String,
}

impl Default for CommunityConfig {
    fn default() -> Self {
        Self {
            name: "My Community".into(),
            url: "http://127.0.0.1:19710".into(),
        }
    }
}

/// A named set of capabilities.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Preset {
    /// Relay only.
    Minimal,
    /// Relay, ranking and matchmaking.
    Community,
    /// All four capabilities.
    Competitive,
}

/// Which capabilities run: a preset, then per-capability overrides.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct CapabilitiesConfig {
    /// `minimal`, `community` or `competitive`.
    pub preset: Preset,
    /// Overrides the preset for the relay.
    pub relay: Option<bool>,
    /// Overrides the preset for the ranking authority.
    pub ranking: Option<bool>,
    /// Overrides the preset for matchmaking.
    pub matchmaking: Option<bool>,
    /// Overrides the preset for the moderation review queue.
    pub moderation: Option<bool>,
}

impl Default for CapabilitiesConfig {
    fn default() -> Self {
        Self {
            preset: Preset::Community,
            relay: None,
            ranking: None,
            matchmaking: None,
            moderation: None,
        }
    }
}

/// One capability of the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Capability {
    /// Lockstep relay and match certification.
    Relay,
    /// Ratings and credentials.
    Ranking,
    /// Skill-based queues.
    Matchmaking,
    /// Moderation review queue.
    Moderation,
}

impl Capability {
    /// Every capability, in display order.
    pub const ALL: [Capability; 4] = [
        Self::Relay,
        Self::Ranking,
        Self::Matchmaking,
        Self::Moderation,
    ];

    /// The lowercase name used in config and the community document.
    pub fn name(self) -> &'static str {
        match self {
            Self::Relay => "relay",
            Self::Ranking => "ranking",
            Self::Matchmaking => "matchmaking",
            Self::Moderation => "moderation",
        }
    }

    /// Whether this build contains the capability (Cargo features).
    pub fn compiled_in(self) -> bool {
        match self {
            Self::Relay => cfg!(feature = "relay"),
            Self::Ranking => cfg!(feature = "ranking"),
            Self::Matchmaking => cfg!(feature = "matchmaking"),
            Self::Moderation => cfg!(feature = "moderation"),
        }
    }
}

impl CapabilitiesConfig {
    /// Whether `capability` is switched on (preset, then override) and compiled in.
    pub fn enabled(&self, capability: Capability) -> bool {
        self.switched_on(capability) && capability.compiled_in()
    }

    /// Whether the config switches `capability` on (preset, then override).
    fn switched_on(&self, capability: Capability) -> bool {
        let from_preset = match (self.preset, capability) {
            (_, Capability::Relay) => true,
            (Preset::Minimal, _) => false,
            (Preset::Community, Capability::Moderation) => false,
            (Preset::Community | Preset::Competitive, _) => true,
        };
        let choice = match capability {
            Capability::Relay => self.relay,
            Capability::Ranking => self.ranking,
            Capability::Matchmaking => self.matchmaking,
            Capability::Moderation => self.moderation,
        };
        choice.unwrap_or(from_preset)
    }

    /// Capabilities switched on (preset or override) that this build does not contain.
    pub fn left_out_of_build(&self) -> Vec<Capability> {
        Capability::ALL
            .into_iter()
            .filter(|c| self.switched_on(*c) && !c.compiled_in())
            .collect()
    }

    /// The enabled capabilities, in display order.
    pub fn enabled_list(&self) -> Vec<Capability> {
        Capability::ALL
            .into_iter()
            .filter(|c| self.enabled(*c))
            .collect()
    }

    /// The names of the enabled capabilities, in the order of [`Capability::ALL`].
    pub fn enabled_names(&self) -> Vec<&'static str> {
        self.enabled_list().into_iter().map(|c| c.name()).collect()
    }
}

/// The HTTP API.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct HttpConfig {
    /// Address and port to listen on (API, health and metrics).
    pub listen: SocketAddr,
    /// Largest accepted request body in bytes, 1 KiB–16 MiB.
    pub max_body_bytes: usize,
    /// Time limit for one request in seconds, 1–300.
    pub request_timeout_secs: u64,
    /// Requests per minute one IP address may make to authentication and write routes, 1–100000.
    pub rate_limit_per_minute: u32,
    /// Seconds to let in-flight requests finish on shutdown, 0–300.
    pub shutdown_grace_secs: u64,
    /// Seconds between a shutdown signal and closing the listener, 0–60: the server keeps
    /// serving while `/ready` answers 503, so a load balancer can move traffic away first.
    pub drain_delay_secs: u64,
    /// Reverse proxies whose `X-Forwarded-For` names the client (rate limits and registration
    /// limits count per client address). Empty: the connection's address is the client.
    pub trusted_proxies: Vec<std::net::IpAddr>,
}

impl Default for HttpConfig {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([0, 0, 0, 0], 19710)),
            max_body_bytes: 64 * 1024,
            request_timeout_secs: 10,
            rate_limit_per_minute: 120,
            shutdown_grace_secs: 10,
            drain_delay_secs: 1,
            trusted_proxies: Vec::new(),
        }
    }
}

/// The database.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct StorageConfig {
    /// Where the database is: empty for the SQLite file `sqlite_path`, `sqlite://<file>`, or
    /// `postgres://user:password@host:port/database` for PostgreSQL (15 or newer).
    pub url: String,
    /// SQLite database file, relative to the data directory (used when `url` is empty).
    pub sqlite_path: String,
    /// Seconds between looks for a key rotation stored by another process or the CLI, 1–3600.
    pub key_refresh_secs: u64,
}

impl Default for StorageConfig {
    fn default() -> Self {
        Self {
            url: String::new(),
            sqlite_path: "ic-server.db".into(),
            key_refresh_secs: 30,
        }
    }
}

impl StorageConfig {
    /// Where the database is, for a server whose data directory is `data_dir`.
    pub fn location(
        &self,
        data_dir: &std::path::Path,
    ) -> Result<crate::store::Location, crate::store::LocationError> {
        crate::store::Location::parse(&self.url, &self.sqlite_path, data_dir)
    }
}

/// Challenge-response authentication.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct AuthConfig {
    /// Seconds a challenge may be answered, 5–600.
    pub challenge_ttl_secs: u64,
    /// Seconds a token stays valid, 60–86400.
    pub token_ttl_secs: u64,
    /// Keys with the admin role, as `ed25519:<hex>`.
    pub admins: Vec<scr::PublicKey>,
}

impl Default for AuthConfig {
    fn default() -> Self {
        Self {
            challenge_ttl_secs: 60,
            token_ttl_secs: 3600,
            admins: Vec::new(),
        }
    }
}

/// Who may register.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RegistrationPolicy {
    /// Anyone with a key.
    Open,
    /// Only with an invite code.
    Invite,
}

/// The ranking authority.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct RankingAuthorityConfig {
    /// Game modules rated here; each registered player gets an initial rating per module.
    pub game_modules: Vec<String>,
    /// `open` or `invite`.
    pub registration: RegistrationPolicy,
    /// Invite codes accepted when `registration = "invite"`.
    pub invite_codes: Vec<String>,
    /// New registrations allowed per IP address per day, 1–10000.
    pub registrations_per_ip_per_day: u32,
    /// Days a rating record stays valid before it must be refreshed, 1–365.
    pub rating_validity_days: u32,
    /// Seconds before expiry from which `refresh` re-issues a rating record, 0–31536000.
    pub refresh_window_secs: i64,
    /// Relay keys trusted besides this server's own (more can be added with `relays trust`).
    pub trusted_relays: Vec<scr::RelayKey>,
    /// Largest accepted certified match result in bytes, 256–65536.
    pub max_match_bytes: usize,
    /// A player's most recent certified matches shown in their public history
    /// (`GET /v1/players/{key}/matches`), 0–1000; 0 shows none.
    pub match_history_per_player: u32,
}

impl Default for RankingAuthorityConfig {
    fn default() -> Self {
        Self {
            game_modules: vec!["ra".into()],
            registration: RegistrationPolicy::Open,
            invite_codes: Vec::new(),
            registrations_per_ip_per_day: 3,
            rating_validity_days: 7,
            refresh_window_secs: 24 * 3600,
            trusted_relays: Vec::new(),
            max_match_bytes: 16 * 1024,
            match_history_per_player: 100,
        }
    }
}

/// Log output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// Readable lines.
    Human,
    /// One JSON object per line.
    Json,
}

/// Logs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct LoggingConfig {
    /// `human` or `json`.
    pub format: LogFormat,
    /// Filter, e.g. `info` or `ic_server=debug,info`.
    pub level: String,
}

impl Default for LoggingConfig {
    fn default() -> Self {
        Self {
            format: LogFormat::Human,
            level: "info".into(),
        }
    }
}

/// A value outside its allowed range.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("config key {key}: {problem}")]
pub struct InvalidValue {
    /// Dotted key, e.g. `http.max_body_bytes`.
    pub key: String,
    /// What is wrong and what is allowed.
    pub problem: String,
}

/// `value` within `low..=high`, or an error naming `key` and the range.
pub(crate) fn range<T: PartialOrd + std::fmt::Display>(
    key: &str,
    value: T,
    low: T,
    high: T,
) -> Result<(), InvalidValue> {
    if value < low || value > high {
        return Err(InvalidValue {
            key: key.into(),
            problem: format!("{value} is outside the allowed range {low}..={high}"),
        });
    }
    Ok(())
}

/// Whether `url` is an http(s) URL: the one check of configured and presented URLs alike.
pub(crate) fn is_http_url(url: &str) -> bool {
    url.starts_with("http://") || url.starts_with("https://")
}

/// `url` an http(s) URL, or an error naming `key`.
pub(crate) fn http_url(key: &str, url: &str) -> Result<(), InvalidValue> {
    if is_http_url(url) {
        return Ok(());
    }
    Err(InvalidValue {
        key: key.into(),
        problem: "must start with http:// or https://".into(),
    })
}

impl Config {
    /// Checks every range; the error names the key and the allowed values.
    pub fn validate(&self) -> Result<(), InvalidValue> {
        range(
            "community.name (length)",
            self.community.name.chars().count(),
            1,
            64,
        )?;
        http_url("community.url", &self.community.url)?;
        range(
            "http.max_body_bytes",
            self.http.max_body_bytes,
            1024,
            16 << 20,
        )?;
        range(
            "http.request_timeout_secs",
            self.http.request_timeout_secs,
            1,
            300,
        )?;
        range(
            "http.rate_limit_per_minute",
            self.http.rate_limit_per_minute,
            1,
            100_000,
        )?;
        range(
            "http.shutdown_grace_secs",
            self.http.shutdown_grace_secs,
            0,
            300,
        )?;
        range("http.drain_delay_secs", self.http.drain_delay_secs, 0, 60)?;
        if self.storage.sqlite_path.trim().is_empty() {
            return Err(InvalidValue {
                key: "storage.sqlite_path".into(),
                problem: "must not be empty".into(),
            });
        }
        range(
            "storage.key_refresh_secs",
            self.storage.key_refresh_secs,
            1,
            3600,
        )?;
        if let Err(error) = self.storage.location(std::path::Path::new(".")) {
            return Err(InvalidValue {
                key: "storage.url".into(),
                problem: error.to_string(),
            });
        }
        range(
            "auth.challenge_ttl_secs",
            self.auth.challenge_ttl_secs,
            5,
            600,
        )?;
        range("auth.token_ttl_secs", self.auth.token_ttl_secs, 60, 86_400)?;
        self.ui.validate()?;
        self.transparency.validate()?;
        self.federation
            .validate(self.capabilities.enabled(Capability::Moderation))?;
        let ranking = &self.ranking;
        if ranking.game_modules.is_empty()
            || ranking
                .game_modules
                .iter()
                .any(|m| m.is_empty() || m.len() > 255)
        {
            return Err(InvalidValue {
                key: "ranking.game_modules".into(),
                problem: "needs at least one module name of 1–255 bytes".into(),
            });
        }
        range(
            "ranking.registrations_per_ip_per_day",
            ranking.registrations_per_ip_per_day,
            1,
            10_000,
        )?;
        range(
            "ranking.rating_validity_days",
            ranking.rating_validity_days,
            1,
            365,
        )?;
        range(
            "ranking.refresh_window_secs",
            ranking.refresh_window_secs,
            0,
            31_536_000,
        )?;
        range(
            "ranking.max_match_bytes",
            ranking.max_match_bytes,
            256,
            65_536,
        )?;
        range(
            "ranking.match_history_per_player",
            ranking.match_history_per_player,
            0,
            1_000,
        )?;
        self.rating.validate().map_err(|error| InvalidValue {
            key: "rating".into(),
            problem: error.to_string(),
        })?;
        self.relay.validate()?;
        self.matchmaking
            .validate()
            .map_err(|problem| InvalidValue {
                key: "matchmaking".into(),
                problem,
            })?;
        if let Some(queue) = self
            .matchmaking
            .queues
            .iter()
            .find(|q| !self.ranking.game_modules.contains(&q.module))
        {
            return Err(InvalidValue {
                key: "matchmaking.queues".into(),
                problem: format!(
                    "queue {}/{} names a game module missing from ranking.game_modules",
                    queue.module, queue.mode
                ),
            });
        }
        self.moderation.validate()?;
        self.achievements.validate(&self.ranking.game_modules)?;
        self.campaigns.validate()?;
        self.conduct.validate()?;
        tracing_subscriber::EnvFilter::try_new(&self.logging.level).map_err(|error| {
            InvalidValue {
                key: "logging.level".into(),
                problem: error.to_string(),
            }
        })?;
        Ok(())
    }
}
