//! An in-process server with the relay on loopback: HTTP for joining, the ranking authority as
//! the relay's result sink, players with real wallets, and tickets signed by the community.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use ic_client::api::{ApiClient, MySanctions, Session};
use ic_client::identity::Identity;
use ic_client::relay::bot::{BotPlan, BotReport};
use ic_client::relay::{RelayClient, RelayClientError, RelaySession};
use ic_client::wallet::{CommunityStore, Wallet};
use ic_client::{Client, JoinOptions};
use ic_server::authority::Authority;
use ic_server::relay::{AuthoritySink, RelayMetrics, RelayOptions, RelayService, ResultSink};
use relay_core::cmr::{CertifiedMatchResult, EndReason, TrustedRelays};
use relay_core::frames::SimOutcome;
use relay_core::ids::{PlayerSlot, TeamId};
use relay_core::ticket::{MatchSettings, MatchTicket, SignerKind, TicketSeat, TicketSigner};
use scr::{CommunityKey, KeyPair, PublicKey};

#[allow(unused_imports)]
pub use relay_core::frames::KickReason;

/// A running server with its relay.
pub struct RelayEnv {
    pub url: String,
    pub relay: RelayService,
    pub address: SocketAddr,
    pub relay_key: PublicKey,
    pub signing: KeyPair,
    pub authority: Arc<Authority>,
    pub dir: tempfile::TempDir,
}

/// Test timings: short enough for a test, long enough for a loaded 2-core machine.
pub fn test_options() -> RelayOptions {
    RelayOptions {
        listen: "127.0.0.1:0".parse().unwrap(),
        auth_timeout: Duration::from_millis(800),
        lobby_timeout: Duration::from_secs(20),
        reconnect_timeout: Duration::from_secs(3),
        // Tests leave seconds into a match; the ones about the grace void set it.
        grace_void: Duration::ZERO,
        // A loaded test machine may stall a second; only relay_process.rs tests the default.
        degraded_lateness: Duration::from_secs(2),
        degraded_late_ticks: 20,
        degraded_loss_permille: 50,
        degraded_loss_windows: 10,
        // Test matches are ranked: one pause of a second each, from the start.
        ranked_pauses: relay_core::pauses::PauseRules {
            per_player: Some(1),
            max_duration_us: 1_000_000,
            min_game_time_us: 0,
        },
        casual_pauses: relay_core::pauses::PauseRules::CASUAL,
        post_game: Duration::from_secs(10),
        start_lead: Duration::from_millis(200),
        max_connections: 64,
        max_handshakes_per_address: 64,
        strike_threshold: 45,
        flood_kick_threshold: 32,
        ticket_signers: Vec::new(),
        replay_dir: None,
        spectators_per_match: 2,
        spectator_delay_ticks: 5,
        ranked_spectator_delay: Duration::from_secs(120),
    }
}

impl RelayEnv {
    pub async fn start(options: RelayOptions) -> Self {
        Self::start_with(options, "").await
    }

    /// [`Self::start`] with `extra` TOML tables in the server's config.
    pub async fn start_with(options: RelayOptions, extra: &str) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let data = ic_server::data_dir::DataDir::new(dir.path().join("server"));
        data.init(&mut rand::rngs::OsRng).unwrap();
        let file = dir.path().join("server/ic-server.toml");
        std::fs::write(
            &file,
            format!(
                "[http]\nrate_limit_per_minute = 100000\n\
             [ranking]\nregistrations_per_ip_per_day = 10000\n{extra}"
            ),
        )
        .unwrap();
        let config = ic_server::config::load(Some(&file), &[]).unwrap().config;
        let mut services = ic_server::server::open(&data, &config).await.unwrap();
        // The queue, to see who it refuses (matches are made by the tests' tickets, so it hands
        // nothing to a relay).
        let parts = ic_server::matchmaker::MatchmakerParts::from_config(
            &config,
            services.state.community.clone(),
            services.state.store.clone(),
            &services.state.metrics,
            Arc::new(ic_server::clock::SystemClock),
            Arc::new(ic_server::matchmaker::relays::TicketHandoff::new(
                services.state.community.clone(),
                Vec::new(),
            )),
            None,
            services.stores.queue.clone(),
            services.state.remote_communities.clone(),
        )
        .unwrap();
        let matchmaker = Arc::new(ic_server::matchmaker::Matchmaker::new(parts));
        matchmaker
            .start(ic_server::matchmaker::Passes::OnRequest)
            .await
            .unwrap();
        services.state.capabilities.matchmaker = Some(matchmaker);
        let state = services.state.clone();
        state.ready.store(true, std::sync::atomic::Ordering::SeqCst);
        let authority = state.capabilities.authority.clone().unwrap();
        let sink: Arc<dyn ResultSink> = Arc::new(AuthoritySink::new(authority.clone()));
        let metrics = RelayMetrics::register(&state.metrics).unwrap();
        let relay =
            RelayService::start(options, state.community.clone(), Some(sink), metrics).unwrap();
        let address = relay.local_addr().unwrap();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let app = ic_server::http::router(state.clone())
            .into_make_service_with_connect_info::<SocketAddr>();
        tokio::spawn(async move { axum::serve(listener, app).await });
        let keys = data.keys().unwrap();
        Self {
            url,
            relay_key: relay.relay_key().public_key(),
            relay,
            address,
            signing: keys.signing,
            authority,
            dir,
        }
    }

    /// A player with a wallet that joined this community.
    pub async fn player(&self, name: &str) -> Player {
        let identity = Identity::generate(&mut rand::rngs::OsRng).unwrap();
        let keys = identity.key_pair().clone();
        let wallet = Wallet::open(&self.dir.path().join(name)).unwrap();
        let client = Client::new(wallet, identity);
        let joined = client
            .join(&self.url, &JoinOptions::default(), ic_client::unix_now())
            .await
            .unwrap();
        Player {
            keys,
            client,
            slug: joined.slug,
            relay: RelayClient::new("127.0.0.1:0".parse().unwrap()).unwrap(),
        }
    }

    /// Alice (slot 0) and Bob (slot 1), players with wallets, both connected to `game_id`.
    pub async fn seated_pair(
        &self,
        game_id: u64,
    ) -> ((Player, RelaySession), (Player, RelaySession)) {
        let alice = self.player("alice").await;
        let bob = self.player("bob").await;
        let a = alice
            .connect(self, &self.ticket(&alice.keys, game_id, 0))
            .await
            .unwrap();
        let b = bob
            .connect(self, &self.ticket(&bob.keys, game_id, 1))
            .await
            .unwrap();
        ((alice, a), (bob, b))
    }

    /// A ticket for `player` in `game_id`, slot and team as given, two seats, ranked.
    pub fn ticket(&self, player: &KeyPair, game_id: u64, slot: u8) -> Vec<u8> {
        let now = ic_server::clock::unix_now();
        self.ticket_with(player, game_id, slot, now - 5, now + 300)
    }

    pub fn ticket_with(
        &self,
        player: &KeyPair,
        game_id: u64,
        slot: u8,
        issued_at: i64,
        expires_at: i64,
    ) -> Vec<u8> {
        TicketSigner::new(SignerKind::Community, self.signing.clone())
            .sign(&match_ticket(
                &self.signing,
                player,
                game_id,
                slot,
                issued_at,
                expires_at,
            ))
            .unwrap()
            .into_bytes()
    }

    /// A ticket for `player` in `game_id` at `slot` on `team`, of a match with `seats` seats,
    /// unranked (a community-signed custom match).
    pub fn unranked_ticket(
        &self,
        player: &KeyPair,
        game_id: u64,
        (slot, team): (u8, u8),
        seats: u8,
    ) -> Vec<u8> {
        let now = ic_server::clock::unix_now();
        let mut ticket = match_ticket(&self.signing, player, game_id, slot, now - 5, now + 300);
        ticket.seat = TicketSeat::Player {
            slot: PlayerSlot(slot),
            team: TeamId(team),
        };
        ticket.settings.ranked = false;
        ticket.settings.player_count = seats;
        TicketSigner::new(SignerKind::Community, self.signing.clone())
            .sign(&ticket)
            .unwrap()
            .into_bytes()
    }

    /// The `/metrics` exposition of this server.
    pub async fn metrics(&self) -> String {
        reqwest::get(format!("{}/metrics", self.url))
            .await
            .unwrap()
            .text()
            .await
            .unwrap()
    }

    /// Polls until the relay counts no connection (links are dropped asynchronously).
    pub async fn connections_settle_to_zero(&self) {
        for _ in 0..50 {
            if crate::common::sample(&self.metrics().await, "ic_relay_connections") == 0.0 {
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!(
            "relay_connections did not return to 0: {}",
            crate::common::sample(&self.metrics().await, "ic_relay_connections")
        );
    }

    /// A signed-in API session of `player` (the challenge bound to this community's key).
    pub async fn session(&self, player: &Player) -> (ApiClient, Session) {
        let api = ApiClient::new(&self.url).unwrap();
        let session = api
            .login(&player.keys, &CommunityKey::from(self.signing.public_key()))
            .await
            .unwrap();
        (api, session)
    }

    /// What `GET /v1/sanctions/me` tells `player`.
    pub async fn sanctions(&self, player: &Player) -> MySanctions {
        let (api, session) = self.session(player).await;
        api.my_sanctions(&session).await.unwrap()
    }

    /// `player` joins the ranked 1v1 queue with its newest rating record (synced first): the
    /// status and body.
    pub async fn join_queue(&self, player: &Player) -> (u16, serde_json::Value) {
        use base64::Engine as _;
        player
            .client
            .sync(
                &player.slug,
                ic_client::sync::Reissue::Never,
                ic_client::unix_now(),
            )
            .await
            .unwrap();
        let (_, session) = self.session(player).await;
        let record = player
            .wallet()
            .await
            .ratings()
            .await
            .unwrap()
            .into_iter()
            .next()
            .unwrap()
            .bytes;
        let response = reqwest::Client::new()
            .post(format!("{}/v1/queue", self.url))
            .bearer_auth(session.bearer_token())
            .json(&serde_json::json!({
                "mode": "ranked_1v1",
                "record": base64::engine::general_purpose::STANDARD.encode(record),
            }))
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        (status, response.json().await.unwrap_or_default())
    }

    /// Verifies a certified result as the authority would.
    pub fn verify_cmr(&self, bytes: &[u8]) -> CertifiedMatchResult {
        TrustedRelays::new([self.relay_key.into()])
            .unwrap()
            .verify(bytes, &CommunityKey::from(self.signing.public_key()))
            .unwrap()
            .value()
            .clone()
    }
}

/// The match every test plays: module `ra`, 20 ticks per second, two seats, ranked.
pub fn match_ticket(
    signer: &KeyPair,
    player: &KeyPair,
    game_id: u64,
    slot: u8,
    issued_at: i64,
    expires_at: i64,
) -> MatchTicket {
    MatchTicket {
        signer_kind: SignerKind::Community,
        signer_key: signer.public_key(),
        community_key: CommunityKey::from(signer.public_key()),
        game_id,
        game_module: "ra".into(),
        player_key: player.public_key().into(),
        seat: TicketSeat::Player {
            slot: PlayerSlot(slot),
            team: TeamId(slot),
        },
        settings: MatchSettings {
            ranked: true,
            tick_interval_us: 50_000,
            map_name: "Test Arena".into(),
            map_hash: [0x5a; 32],
            player_count: 2,
        },
        issued_at,
        expires_at,
    }
}

/// The signed bytes of [`match_ticket`] for `player` in `game_id` (slot and team as given),
/// signed by the community key `community`, valid for five minutes.
pub fn community_ticket(community: &KeyPair, player: &KeyPair, game_id: u64, slot: u8) -> Vec<u8> {
    let now = ic_server::clock::unix_now();
    TicketSigner::new(SignerKind::Community, community.clone())
        .sign(&match_ticket(
            community,
            player,
            game_id,
            slot,
            now - 5,
            now + 300,
        ))
        .unwrap()
        .into_bytes()
}

/// A player: identity, wallet client and relay client endpoint.
pub struct Player {
    pub keys: KeyPair,
    pub client: Client,
    pub slug: String,
    pub relay: RelayClient,
}

impl Player {
    pub async fn connect(
        &self,
        env: &RelayEnv,
        ticket: &[u8],
    ) -> Result<RelaySession, RelayClientError> {
        self.relay
            .connect(env.address, env.relay_key, &self.keys, ticket)
            .await
    }

    pub async fn wallet(&self) -> CommunityStore {
        self.client
            .wallet()
            .open_community(&self.slug)
            .await
            .unwrap()
            .1
    }
}

/// Team 0 wins by elimination after `ticks`; wait for the rating and match record.
pub fn plan(ticks: u64) -> BotPlan {
    BotPlan {
        ticks,
        orders_per_second: 15,
        outcome: SimOutcome::Victory {
            winner: TeamId(0),
            reason: EndReason::Elimination,
        },
        expect_records: 2,
        leave_after_tick: None,
        timeout: Duration::from_secs(30),
    }
}

/// Plays two bots to the end.
pub async fn play_both(
    a: RelaySession,
    plan_a: BotPlan,
    b: RelaySession,
    plan_b: BotPlan,
) -> (BotReport, BotReport) {
    let ta = tokio::spawn(async move { ic_client::relay::bot::play(a, &plan_a).await });
    let tb = tokio::spawn(async move { ic_client::relay::bot::play(b, &plan_b).await });
    (ta.await.unwrap(), tb.await.unwrap())
}
