//! The relay capability: `RelayCore` served over QUIC. Players connect with a match ticket,
//! prove their key, play through a per-match task, and get the certified result and records.
//!
//! Layout: `tls` (certificate bound to the relay key), `handshake` (ticket and challenge),
//! `link` (frames over a QUIC stream), `registry` (matches by game id), `match_task` (one task
//! per match), `results` (where certified results go), `outbox` (results bound for a remote
//! community), `replays` (replay files), `rooms` (custom games by code), `hosting` (this relay
//! as a place for matchmaking), `metrics`.

mod accept;
mod chat_restrictions;
mod clock;
mod handshake;
mod hosting;
mod link;
mod match_task;
mod metrics;
pub mod outbox;
mod registry;
pub mod replays;
mod results;
pub mod rooms;
mod shared_database;
mod spectators;
mod tls;

pub use clock::RelayClock;
pub use handshake::HandshakeError;
#[cfg(feature = "matchmaking")]
pub use hosting::LocalRelay;
pub use hosting::public_address;
pub use link::{FrameReader, write_coalesced};
pub use metrics::RelayMetrics;
pub use outbox::RemoteSink;
#[cfg(feature = "ranking")]
pub use results::AuthoritySink;
pub use results::{PlayerRecord, ResultSink, ResultSinkError};
pub use shared_database::DatabaseHandoff;
pub use tls::{TlsError, relay_certificate, server_config};

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use relay_core::ticket::{SignerKind, TicketVerifier};
use scr::{CommunityKey, KeyPair, RelayKey};
use tokio::task::JoinHandle;

use crate::community::Community;
use crate::config::RelaySettings;
use registry::Registry;

/// Receive and send buffer the relay asks for on its UDP socket.
///
/// The OS default (208 KiB on Linux) holds a few hundred small datagrams. With hundreds of
/// matches, a few milliseconds in which the endpoint gets no CPU overflow it; the kernel drops
/// datagrams, QUIC resends them only after its loss-detection timeout, and head-of-line blocking
/// on the match stream holds every later frame of that connection meanwhile, so order batches
/// arrive past their deadline and are dropped as late (the relay benchmark lost orders at 250
/// matches this way). The kernel caps the request at `net.core.rmem_max` / `wmem_max`.
pub const SOCKET_BUFFER_BYTES: usize = 4 << 20;

/// Binds the relay's UDP socket with [`SOCKET_BUFFER_BYTES`] buffers; also returns the receive
/// buffer the kernel granted (Linux reports twice the usable size).
fn bind_socket(address: SocketAddr) -> std::io::Result<(std::net::UdpSocket, usize)> {
    use socket2::{Domain, Protocol, Socket, Type};
    let socket = Socket::new(
        Domain::for_address(address),
        Type::DGRAM,
        Some(Protocol::UDP),
    )?;
    // Best effort: a smaller buffer still works, it only drops sooner under bursts.
    let _ = socket.set_recv_buffer_size(SOCKET_BUFFER_BYTES);
    let _ = socket.set_send_buffer_size(SOCKET_BUFFER_BYTES);
    socket.bind(&address.into())?;
    let granted = socket.recv_buffer_size()?;
    Ok((socket.into(), granted))
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
    /// Game time at the start within which leaving voids the match (zero: never).
    pub grace_void: Duration,
    /// Finalizing a tick later than this after its deadline is late (zero: never degraded).
    pub degraded_lateness: Duration,
    /// Late ticks in a row that mark the match degraded.
    pub degraded_late_ticks: u32,
    /// Loss to every player (permille of the relay's packets) that counts as the relay's own.
    pub degraded_loss_permille: u32,
    /// One-second windows of such loss in a row that degrade a match.
    pub degraded_loss_windows: u32,
    /// Pause rules of ranked matches.
    pub ranked_pauses: relay_core::pauses::PauseRules,
    /// Pause rules of unranked matches.
    pub casual_pauses: relay_core::pauses::PauseRules,
    /// Post-game window.
    pub post_game: Duration,
    /// Time between the last seat being taken and tick 0, so clients can get ready.
    pub start_lead: Duration,
    /// Connections at once.
    pub max_connections: usize,
    /// Handshakes in progress at once from one source (an IPv4 address, an IPv6 /64).
    pub max_handshakes_per_address: usize,
    /// Lag strikes before a kick.
    pub strike_threshold: u32,
    /// Flood strikes before a kick.
    pub flood_kick_threshold: u32,
    /// Extra community keys whose tickets are admitted.
    pub ticket_signers: Vec<CommunityKey>,
    /// Where replays are written (`None`: only their hash is kept, in the certified result).
    pub replay_dir: Option<std::path::PathBuf>,
    /// Spectators per match (0: none).
    pub spectators_per_match: usize,
    /// Spectator delay of unranked matches, in ticks.
    pub spectator_delay_ticks: u32,
    /// Spectator delay of ranked matches.
    pub ranked_spectator_delay: Duration,
}

impl RelayOptions {
    /// The run-time options `settings` describe.
    pub fn from_settings(settings: &RelaySettings) -> Self {
        RelayOptions {
            listen: settings.listen,
            auth_timeout: Duration::from_secs(settings.auth_timeout_secs),
            lobby_timeout: Duration::from_secs(settings.lobby_timeout_secs),
            reconnect_timeout: Duration::from_secs(settings.reconnect_timeout_secs),
            grace_void: Duration::from_secs(settings.grace_void_secs),
            degraded_lateness: Duration::from_millis(settings.degraded_lateness_ms),
            degraded_late_ticks: settings.degraded_late_ticks,
            degraded_loss_permille: settings.degraded_loss_percent.saturating_mul(10),
            degraded_loss_windows: settings.degraded_loss_secs,
            ranked_pauses: relay_core::pauses::PauseRules {
                per_player: Some(settings.ranked_pauses_per_player),
                max_duration_us: settings.ranked_pause_secs.saturating_mul(1_000_000),
                ..relay_core::pauses::PauseRules::RANKED
            },
            casual_pauses: relay_core::pauses::PauseRules {
                per_player: Some(settings.casual_pauses_per_player),
                max_duration_us: settings.casual_pause_secs.saturating_mul(1_000_000),
                ..relay_core::pauses::PauseRules::CASUAL
            },
            post_game: Duration::from_secs(settings.post_game_secs),
            start_lead: Duration::from_millis(500),
            max_connections: settings.max_connections,
            max_handshakes_per_address: settings.max_handshakes_per_address,
            strike_threshold: settings.strike_threshold,
            flood_kick_threshold: settings.flood_kick_threshold,
            ticket_signers: settings.ticket_signers.clone(),
            replay_dir: None,
            spectators_per_match: settings.spectators_per_match,
            spectator_delay_ticks: settings.spectator_delay_ticks,
            ranked_spectator_delay: Duration::from_secs(settings.ranked_spectator_delay_secs),
        }
    }
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

/// Starts the relay as `config.relay` says, sending certified results to `sink` (and to the
/// players in any case).
pub fn start_from_config(
    config: &crate::config::Config,
    data: &crate::data_dir::DataDir,
    community: Arc<Community>,
    metrics: &crate::metrics::Metrics,
    sink: Option<Arc<dyn ResultSink>>,
) -> Result<RelayService, RelayError> {
    let metrics = RelayMetrics::register(metrics)?;
    metrics
        .matches_capacity
        .set(i64::try_from(config.relay.max_matches).unwrap_or(i64::MAX));
    let mut options = RelayOptions::from_settings(&config.relay);
    if config.relay.replay_retention_days > 0 {
        options.replay_dir = Some(replay_dir(data));
    }
    RelayService::start(options, community, sink, metrics)
}

/// Where this server keeps replays: `<data dir>/replays`.
pub fn replay_dir(data: &crate::data_dir::DataDir) -> std::path::PathBuf {
    data.root().join("replays")
}

pub use chat_restrictions::ChatRestrictions;

/// How a drain went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DrainReport {
    /// Matches that finished on their own while the relay drained.
    pub finished: usize,
    /// Matches ended as server restarts when the drain ran out.
    pub restarted: usize,
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
    /// The verifier for the community key it was built for; rebuilt only after a rotation.
    verifier: std::sync::Mutex<Option<(scr::PublicKey, Arc<TicketVerifier>)>>,
    /// Who may not chat, once moderation is wired in (none: everyone may).
    chat: std::sync::OnceLock<Arc<dyn ChatRestrictions>>,
    /// Set when the drain runs out: every running match ends as a server restart.
    restart: tokio::sync::watch::Sender<bool>,
}

impl Shared {
    /// Tickets are checked against the community's current key (so a rotation is followed at
    /// once), the configured community keys, and this relay's own key for unranked rooms.
    fn verifier(&self) -> Result<Arc<TicketVerifier>, relay_core::ticket::TicketError> {
        let current = self.community.signing_key().public_key();
        let mut cached = self
            .verifier
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some((key, verifier)) = &*cached
            && *key == current
        {
            return Ok(verifier.clone());
        }
        let verifier = Arc::new(self.build_verifier(current)?);
        *cached = Some((current, verifier.clone()));
        Ok(verifier)
    }

    fn build_verifier(
        &self,
        community: scr::PublicKey,
    ) -> Result<TicketVerifier, relay_core::ticket::TicketError> {
        let mut signers = vec![
            (SignerKind::Community, community),
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
        let bind_error = |source| RelayError::Bind {
            address: options.listen,
            source,
        };
        let (socket, receive_buffer) = bind_socket(options.listen).map_err(bind_error)?;
        if receive_buffer < SOCKET_BUFFER_BYTES {
            tracing::warn!(
                receive_buffer,
                wanted = SOCKET_BUFFER_BYTES,
                "the relay's UDP receive buffer is small (raise net.core.rmem_max); \
                 bursts will drop datagrams and delay orders"
            );
        }
        let runtime = quinn::default_runtime()
            .ok_or_else(|| std::io::Error::other("no async runtime"))
            .map_err(bind_error)?;
        let endpoint = quinn::Endpoint::new(
            quinn::EndpointConfig::default(),
            Some(server),
            socket,
            runtime,
        )
        .map_err(bind_error)?;
        let shared = Arc::new(Shared {
            relay,
            options,
            clock: RelayClock::new(),
            sink,
            registry: Registry::default(),
            metrics,
            community,
            verifier: std::sync::Mutex::new(None),
            chat: std::sync::OnceLock::new(),
            restart: tokio::sync::watch::Sender::new(false),
        });
        let accept = tokio::spawn(accept::accept_loop(endpoint.clone(), shared.clone()));
        Ok(Self {
            endpoint,
            shared,
            accept,
        })
    }

    /// Enforces the chat restrictions `restrictions` report in matches admitted from now on: a
    /// restricted player's chat reaches nobody. Set once; a second call is ignored.
    pub fn restrict_chat_with(&self, restrictions: Arc<dyn ChatRestrictions>) {
        let _ = self.shared.chat.set(restrictions);
    }

    /// The bound UDP address.
    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.endpoint.local_addr()
    }

    /// The key players pin.
    pub fn relay_key(&self) -> RelayKey {
        self.shared.relay.public_key().into()
    }

    /// How the match of `game_id` stands on this relay.
    pub fn game_state(&self, game_id: u64) -> rooms::GameState {
        self.shared.registry.game_state(game_id)
    }

    /// Whether this relay still keeps the replay with `replay_hash` (replays are kept for
    /// `[relay] replay_retention_days`; none when that is 0).
    pub fn keeps_replay(&self, replay_hash: &[u8; 32]) -> bool {
        self.shared
            .options
            .replay_dir
            .as_ref()
            .is_some_and(|dir| replays::kept_path(dir, replay_hash).is_file())
    }

    /// The bytes of the replay kept under `replay_hash` (`None` when replays are off or it is
    /// no longer kept), read off the async runtime.
    pub async fn kept_replay(&self, replay_hash: [u8; 32]) -> std::io::Result<Option<Vec<u8>>> {
        let Some(dir) = self.shared.options.replay_dir.clone() else {
            return Ok(None);
        };
        tokio::task::spawn_blocking(move || replays::read_kept(&dir, &replay_hash))
            .await
            .map_err(std::io::Error::other)?
    }

    /// Matches currently running.
    pub fn running_matches(&self) -> usize {
        self.shared.registry.running()
    }

    /// Whether the relay is draining (it takes no new match).
    pub fn is_draining(&self) -> bool {
        self.shared.registry.is_draining()
    }

    /// Drains the relay for a shutdown: no new match from now on (a ticket for an unknown game
    /// is refused with `server restart`), running matches may finish for up to `within`, and
    /// those still running then end as server restarts (certified, nobody rated or penalized).
    /// Returns once no match runs, or the restarted ones had `post_game` plus a few seconds to
    /// hand out their results.
    pub async fn drain(&self, within: Duration) -> DrainReport {
        self.shared.registry.start_draining();
        let running = self.running_matches();
        tracing::info!(
            running,
            drain_secs = within.as_secs(),
            "relay draining: no new matches; running ones may finish"
        );
        let deadline = tokio::time::Instant::now() + within;
        while self.running_matches() > 0 && tokio::time::Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let restarted = self.running_matches();
        if restarted > 0 {
            tracing::warn!(restarted, "drain ran out: ending the remaining matches");
            self.shared.restart.send_replace(true);
            let wrap_up = tokio::time::Instant::now()
                + self.shared.options.post_game
                + Duration::from_secs(5);
            while self.running_matches() > 0 && tokio::time::Instant::now() < wrap_up {
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
        DrainReport {
            finished: running.saturating_sub(restarted),
            restarted,
        }
    }

    /// Stops accepting, closes every connection and waits briefly for the UDP socket to drain.
    pub async fn shutdown(&self) {
        self.accept.abort();
        self.endpoint.close(0u32.into(), b"relay shutting down");
        let _ = tokio::time::timeout(Duration::from_secs(2), self.endpoint.wait_idle()).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every `[relay]` key the match task reads reaches its option from the config file: the
    /// behaviour each option drives is tested on `RelayOptions` (tests/relay.rs,
    /// tests/match_conduct.rs), so a key dropped here would do nothing.
    #[test]
    fn every_relay_key_in_the_file_reaches_its_option() {
        let config = crate::config::from_file_text(
            "[relay]\nlisten = \"127.0.0.1:4000\"\nauth_timeout_secs = 3\n\
             lobby_timeout_secs = 40\nreconnect_timeout_secs = 20\ngrace_void_secs = 90\n\
             degraded_lateness_ms = 400\ndegraded_late_ticks = 7\n\
             degraded_loss_percent = 8\ndegraded_loss_secs = 4\n\
             ranked_pauses_per_player = 2\nranked_pause_secs = 45\n\
             casual_pauses_per_player = 4\ncasual_pause_secs = 100\npost_game_secs = 12\n\
             max_connections = 77\nmax_handshakes_per_address = 6\nstrike_threshold = 9\n\
             flood_kick_threshold = 5\n\
             spectators_per_match = 3\nspectator_delay_ticks = 15\n\
             ranked_spectator_delay_secs = 200\n",
        );
        let options = RelayOptions::from_settings(&config.relay);
        let secs = Duration::from_secs;
        assert_eq!(options.listen, "127.0.0.1:4000".parse().unwrap());
        assert_eq!(
            [
                options.auth_timeout,
                options.lobby_timeout,
                options.reconnect_timeout,
                options.grace_void,
                options.degraded_lateness,
                options.post_game,
                options.ranked_spectator_delay,
            ],
            [
                secs(3),
                secs(40),
                secs(20),
                secs(90),
                Duration::from_millis(400),
                secs(12),
                secs(200),
            ]
        );
        assert_eq!(
            [
                options.degraded_late_ticks,
                options.degraded_loss_permille,
                options.degraded_loss_windows,
                options.strike_threshold,
                options.flood_kick_threshold,
                options.spectator_delay_ticks,
            ],
            [7, 80, 4, 9, 5, 15]
        );
        assert_eq!(
            (
                options.max_connections,
                options.max_handshakes_per_address,
                options.spectators_per_match
            ),
            (77, 6, 3)
        );
        let pauses =
            |rules: relay_core::pauses::PauseRules| (rules.per_player, rules.max_duration_us);
        assert_eq!(pauses(options.ranked_pauses), (Some(2), 45_000_000));
        assert_eq!(pauses(options.casual_pauses), (Some(4), 100_000_000));
    }

    #[test]
    fn the_relay_socket_gets_large_buffers() {
        let (socket, granted) = bind_socket("127.0.0.1:0".parse().unwrap()).unwrap();
        assert!(socket.local_addr().unwrap().port() != 0);
        // Whatever the host allows up to the request: at least the request or the cap.
        let cap: usize = std::fs::read_to_string("/proc/sys/net/core/rmem_max")
            .ok()
            .and_then(|s| s.trim().parse().ok())
            .unwrap_or(SOCKET_BUFFER_BYTES);
        assert!(
            granted >= SOCKET_BUFFER_BYTES.min(cap),
            "granted {granted}, cap {cap}"
        );
    }
}
