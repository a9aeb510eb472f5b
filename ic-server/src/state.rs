//! The state every request handler and background task shares: configuration, community keys,
//! stores, authentication, metrics, and the services of the enabled capabilities.
//! It sits below `http/` and the capability wiring; the relay and the other services never see it.

use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

use crate::auth::Auth;
#[cfg(feature = "ranking")]
use crate::authority::Authority;
use crate::community::Community;
use crate::config::Config;
use crate::live_setting::Live;
#[cfg(feature = "matchmaking")]
use crate::matchmaker::Matchmaker;
use crate::matchmaking::RelayListing;
use crate::metrics::Metrics;
#[cfg(feature = "moderation")]
use crate::moderation::ModerationService;
use crate::store::Store;

/// Shared state of every handler.
#[derive(Clone)]
pub struct AppState {
    /// Effective configuration.
    pub config: Arc<Config>,
    /// Keys and chain.
    pub community: Arc<Community>,
    /// Database.
    pub store: Arc<dyn Store>,
    /// Authentication.
    pub auth: Arc<Auth>,
    /// The services of the enabled capabilities.
    pub capabilities: Capabilities,
    /// Metrics.
    pub metrics: Arc<Metrics>,
    /// False while starting and draining.
    pub ready: Arc<AtomicBool>,
    /// Becomes true when the server starts shutting down: long-lived responses (event streams)
    /// end then, so that draining does not wait for them until the grace period runs out.
    pub stopping: Arc<tokio::sync::watch::Sender<bool>>,
    /// Certified results on their way from a relay to a ranking authority (the operator's
    /// dashboard lists and retries them).
    pub outbox: Arc<dyn crate::store::OutboxStore>,
    /// Unix second the server started.
    pub started_at: i64,
    /// This community as a witness of other communities' transparency logs.
    pub witness: Arc<crate::transparency::witness::Witness>,
    /// Other communities' keys, for records players present to meet a trust requirement.
    pub remote_communities: Arc<crate::federation::RemoteCommunities>,
    /// Per-IP limiter of authentication and write routes (replaced when a reload changes
    /// `http.rate_limit_per_minute`).
    pub limiter: Arc<Live<DefaultKeyedRateLimiter<IpAddr>>>,
}

impl AppState {
    /// A per-IP limiter allowing `per_minute` requests a minute (bursts up to that).
    pub fn limiter(per_minute: u32) -> DefaultKeyedRateLimiter<IpAddr> {
        let per_minute = NonZeroU32::new(per_minute).unwrap_or(NonZeroU32::MIN);
        RateLimiter::keyed(Quota::per_minute(per_minute))
    }
}

/// The services of the capabilities this server runs (`None`: disabled in config).
#[derive(Clone, Default)]
pub struct Capabilities {
    /// Ranking authority.
    #[cfg(feature = "ranking")]
    pub authority: Option<Arc<Authority>>,
    /// The running season, kept current by the ranking authority's season schedule.
    #[cfg(feature = "ranking")]
    pub seasons: Option<Arc<crate::seasons::SeasonClock>>,
    /// Matchmaker.
    #[cfg(feature = "matchmaking")]
    pub matchmaker: Option<Arc<Matchmaker>>,
    /// Moderation review queue.
    #[cfg(feature = "moderation")]
    pub moderation: Option<Arc<ModerationService>>,
    /// The reader of other communities' sanction feeds, when `[federation] subscriptions`
    /// lists any.
    #[cfg(feature = "moderation")]
    pub subscriber: Option<Arc<crate::federation::subscriber::Subscriber>>,
    /// The QUIC relay, once started.
    #[cfg(feature = "relay")]
    pub relay: Option<Arc<crate::relay::RelayService>>,
    /// Custom rooms on that relay.
    #[cfg(feature = "relay")]
    pub rooms: Option<Arc<crate::relay::rooms::Rooms>>,
    /// The relay's outbox of certified results for a remote community (`[relay] community_url`,
    /// ranking not in this process), once started.
    #[cfg(feature = "relay")]
    pub outbox: Option<Arc<crate::relay::RemoteSink>>,
    /// Relays players are sent to (this server's own first), for the community document.
    pub relays: Vec<RelayListing>,
}

impl Capabilities {
    /// How this server's own relay is listed to players, when it runs (it is listed first).
    #[cfg(feature = "relay")]
    pub fn own_relay(&self) -> Option<&RelayListing> {
        self.relay.as_ref().and(self.relays.first())
    }

    /// Whether this server's relay still keeps the replay with `replay_hash` (none without
    /// the relay, or when it is older than `[relay] replay_retention_days`).
    pub fn keeps_replay(&self, replay_hash: &[u8; 32]) -> bool {
        #[cfg(feature = "relay")]
        if let Some(relay) = &self.relay {
            return relay.keeps_replay(replay_hash);
        }
        let _ = replay_hash;
        false
    }
}
