//! The relay capability: `RelayCore` served over QUIC. Players connect with a match ticket,
//! prove their key, play through a per-match task, and get the certified result and records.
//!
//! Layout: `tls` (certificate bound to the relay key), `handshake` (ticket and challenge),
//! `link` (frames over a QUIC stream), `registry` (matches by game id), `match_task` (one task
//! per match), `results` (where certified results go), `metrics`.

mod clock;
mod handshake;
mod link;
mod match_task;
mod metrics;
mod registry;
mod results;
mod tls;

pub use clock::RelayClock;
pub use handshake::HandshakeError;
pub use metrics::RelayMetrics;
pub use results::{AuthoritySink, PlayerRecord, ResultSink, ResultSinkError};
pub use tls::{TlsError, relay_certificate, server_config};

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use relay_core::ticket::{SignerKind, TicketVerifier};
use scr::{CommunityKey, KeyPair, RelayKey};
use serde::{Deserialize, Serialize};
use tokio::sync::Semaphore;
use tokio::task::JoinHandle;

use crate::community::Community;
use registry::Registry;

/// The `[relay]` section of the configuration.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct RelaySettings {
    /// UDP address the relay listens on.
    pub listen: SocketAddr,
    /// Seconds a new connection has to present a valid ticket and prove its key, 1–60.
    pub auth_timeout_secs: u64,
    /// Seconds a match waits for all its players before it is dropped, 5–3600.
    pub lobby_timeout_secs: u64,
    /// Seconds a disconnected or unresponsive player may take to come back, 5–600.
    pub reconnect_timeout_secs: u64,
    /// Seconds after the match end during which players receive the result and records, 1–600.
    pub post_game_secs: u64,
    /// Connections at once (authenticating or attached), 1–100000.
    pub max_connections: usize,
    /// Missed deadlines after which a player is kicked (0 = never), 0–10000.
    pub strike_threshold: u32,
    /// Batches losing orders to the filters after which a player is kicked (0 = never), 0–10000.
    pub flood_kick_threshold: u32,
    /// Community keys besides this server's own whose tickets the relay admits (a relay-only
    /// server serving another community's matches).
    pub ticket_signers: Vec<CommunityKey>,
}

impl Default for RelaySettings {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([0, 0, 0, 0], 19711)),
            auth_timeout_secs: 10,
            lobby_timeout_secs: 120,
            reconnect_timeout_secs: 60,
            post_game_secs: 30,
            max_connections: 10_000,
            strike_threshold: 45,
            flood_kick_threshold: 32,
            ticket_signers: Vec::new(),
        }
    }
}

impl RelaySettings {
    /// Checks every range; the error names the key and the allowed values.
    pub fn validate(&self) -> Result<(), crate::config::InvalidValue> {
        let checks: [(&str, u64, u64, u64); 7] = [
            ("relay.auth_timeout_secs", self.auth_timeout_secs, 1, 60),
            ("relay.lobby_timeout_secs", self.lobby_timeout_secs, 5, 3600),
            (
                "relay.reconnect_timeout_secs",
                self.reconnect_timeout_secs,
                5,
                600,
            ),
            ("relay.post_game_secs", self.post_game_secs, 1, 600),
            (
                "relay.max_connections",
                self.max_connections as u64,
                1,
                100_000,
            ),
            (
                "relay.strike_threshold",
                u64::from(self.strike_threshold),
                0,
                10_000,
            ),
            (
                "relay.flood_kick_threshold",
                u64::from(self.flood_kick_threshold),
                0,
                10_000,
            ),
        ];
        for (key, value, low, high) in checks {
            if value < low || value > high {
                return Err(crate::config::InvalidValue {
                    key: key.into(),
                    problem: format!("{value} is outside the allowed range {low}..={high}"),
                });
            }
        }
        Ok(())
    }

    /// The run-time options these settings describe.
    pub fn options(&self) -> RelayOptions {
        RelayOptions {
            listen: self.listen,
            auth_timeout: Duration::from_secs(self.auth_timeout_secs),
            lobby_timeout: Duration::from_secs(self.lobby_timeout_secs),
            reconnect_timeout: Duration::from_secs(self.reconnect_timeout_secs),
            post_game: Duration::from_secs(self.post_game_secs),
            start_lead: Duration::from_millis(500),
            max_connections: self.max_connections,
            strike_threshold: self.strike_threshold,
            flood_kick_threshold: self.flood_kick_threshold,
            ticket_signers: self.ticket_signers.clone(),
        }
    }
}

/// Run-time options of the relay service (from [`RelaySettings`], or finer-grained in tests).
#[derive(Debug, Clone, PartialEq)]
pub struct RelayOptions {
    /// UDP address to bind.
    pub listen: SocketAddr,
    /// Time to authenticate.
    pub auth_timeout: Duration,
    /// Time for a lobby to fill.
    pub lobby_timeout: Duration,
    /// Time to come back after a disconnect.
    pub reconnect_timeout: Duration,
    /// Post-game window.
    pub post_game: Duration,
    /// Time between the last seat being taken and tick 0, so clients can get ready.
    pub start_lead: Duration,
    /// Connections at once.
    pub max_connections: usize,
    /// Lag strikes before a kick.
    pub strike_threshold: u32,
    /// Flood strikes before a kick.
    pub flood_kick_threshold: u32,
    /// Extra community keys whose tickets are admitted.
    pub ticket_signers: Vec<CommunityKey>,
}

/// Why the relay could not start.
#[derive(Debug, thiserror::Error)]
pub enum RelayError {
    /// TLS or certificate setup failed.
    #[error(transparent)]
    Tls(#[from] TlsError),
    /// The relay's metrics could not be registered.
    #[error("relay metrics: {0}")]
    Metrics(#[from] prometheus::Error),
    /// The UDP socket could not be bound.
    #[error("binding the relay to {address}: {source}")]
    Bind {
        /// The address.
        address: SocketAddr,
        /// The error.
        source: std::io::Error,
    },
}

/// Starts the relay as `config.relay` says; certified results go to the in-process ranking
/// authority when that capability runs, otherwise only to the players.
pub fn start_from_config(
    config: &crate::config::Config,
    state: &crate::http::AppState,
) -> Result<RelayService, RelayError> {
    let sink = state
        .authority
        .clone()
        .map(|authority| Arc::new(AuthoritySink::new(authority)) as Arc<dyn ResultSink>);
    let metrics = RelayMetrics::register(state.metrics.registry())?;
    RelayService::start(
        config.relay.options(),
        state.community.clone(),
        sink,
        metrics,
    )
}

/// What every task of the relay shares.
pub(crate) struct Shared {
    relay: KeyPair,
    options: RelayOptions,
    clock: RelayClock,
    sink: Option<Arc<dyn ResultSink>>,
    registry: Registry,
    metrics: RelayMetrics,
    community: Arc<Community>,
}

impl Shared {
    /// Tickets are checked against the community's current key (so a rotation is followed at
    /// once), the configured community keys, and this relay's own key for unranked rooms.
    fn verifier(&self) -> Result<TicketVerifier, relay_core::ticket::TicketError> {
        let mut signers = vec![
            (
                SignerKind::Community,
                self.community.signing_key().public_key(),
            ),
            (SignerKind::Relay, self.relay.public_key()),
        ];
        signers.extend(
            self.options
                .ticket_signers
                .iter()
                .map(|key| (SignerKind::Community, key.public_key())),
        );
        TicketVerifier::new(signers)
    }
}

/// A running relay. Dropping it does not stop it; call [`RelayService::shutdown`].
pub struct RelayService {
    endpoint: quinn::Endpoint,
    shared: Arc<Shared>,
    accept: JoinHandle<()>,
}

impl RelayService {
    /// Binds the UDP socket and starts accepting connections. Results go to `sink` when the
    /// match was community-signed (`None`: results are only sent to the players).
    pub fn start(
        options: RelayOptions,
        community: Arc<Community>,
        sink: Option<Arc<dyn ResultSink>>,
        metrics: RelayMetrics,
    ) -> Result<Self, RelayError> {
        let relay = community.relay.clone();
        let mut server = server_config(&relay)?;
        let mut transport = quinn::TransportConfig::default();
        // Clients send keep-alives; a peer silent this long is gone.
        if let Ok(idle) = quinn::IdleTimeout::try_from(Duration::from_secs(15)) {
            transport.max_idle_timeout(Some(idle));
        }
        transport.max_concurrent_bidi_streams(1u8.into());
        transport.max_concurrent_uni_streams(0u8.into());
        server.transport_config(Arc::new(transport));
        let endpoint =
            quinn::Endpoint::server(server, options.listen).map_err(|source| RelayError::Bind {
                address: options.listen,
                source,
            })?;
        let shared = Arc::new(Shared {
            relay,
            options,
            clock: RelayClock::new(),
            sink,
            registry: Registry::default(),
            metrics,
            community,
        });
        let accept = tokio::spawn(accept_loop(endpoint.clone(), shared.clone()));
        Ok(Self {
            endpoint,
            shared,
            accept,
        })
    }

    /// The bound UDP address.
    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.endpoint.local_addr()
    }

    /// The key players pin.
    pub fn relay_key(&self) -> RelayKey {
        self.shared.relay.public_key().into()
    }

    /// Matches currently running.
    pub fn running_matches(&self) -> usize {
        self.shared.registry.running()
    }

    /// Stops accepting, closes every connection and waits briefly for the UDP socket to drain.
    pub async fn shutdown(self) {
        self.accept.abort();
        self.endpoint.close(0u32.into(), b"relay shutting down");
        let _ = tokio::time::timeout(Duration::from_secs(2), self.endpoint.wait_idle()).await;
    }
}

async fn accept_loop(endpoint: quinn::Endpoint, shared: Arc<Shared>) {
    // Bounds connections being authenticated or attached; a permit lives as long as its
    // handshake task (attached connections are bounded by their matches' seats).
    let permits = Arc::new(Semaphore::new(shared.options.max_connections));
    while let Some(incoming) = endpoint.accept().await {
        let Ok(permit) = permits.clone().try_acquire_owned() else {
            shared.metrics.refused("too_many_connections");
            incoming.refuse();
            continue;
        };
        let shared = shared.clone();
        tokio::spawn(async move {
            let _permit = permit;
            let timeout = shared.options.auth_timeout;
            let admitted = tokio::time::timeout(timeout, async {
                let quic = incoming.await.map_err(HandshakeError::from)?;
                let verifier = shared.verifier().map_err(HandshakeError::Ticket)?;
                let closer = quic.clone();
                match handshake::admit(quic, &verifier, shared.clock.now_secs()).await {
                    Ok(admitted) => Ok(admitted),
                    Err(error) => {
                        // Give the Kick a moment to leave before the connection closes.
                        let _ =
                            tokio::time::timeout(Duration::from_millis(500), closer.closed()).await;
                        closer.close(2u32.into(), b"authentication failed");
                        Err(error)
                    }
                }
            })
            .await;
            match admitted {
                Ok(Ok(admitted)) => Registry::route(&shared, admitted).await,
                Ok(Err(error)) => {
                    tracing::info!(%error, "relay connection refused");
                    shared.metrics.refused(error.code());
                }
                Err(_) => {
                    // Dropping the connection handle inside the timed-out future closed it.
                    tracing::info!("relay connection did not authenticate in time");
                    shared.metrics.refused(HandshakeError::Timeout.code());
                }
            }
        });
    }
}
