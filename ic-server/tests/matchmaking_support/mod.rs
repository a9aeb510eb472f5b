//! An in-process server with the matchmaker on a hand-moved clock: rating records minted with
//! the community's key, players that log in, join, read their event stream and answer.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use base64::Engine;
use ic_server::clock::{Clock, ManualClock};
use ic_server::matchmaker::handoff::HandoffError;
use ic_server::matchmaker::{
    HandedOff, MatchPlan, Matchmaker, MatchmakerParts, Passes, QueueRestrictions, RelayHandoff,
};
use relay_core::ids::{PlayerSlot, TeamId};
use relay_core::ticket::{MatchSettings, MatchTicket, SignerKind, TicketSeat};
use scr::payload::{Payload, RatingPayload};
use scr::{KeyPair, PlayerKey, RecordBuilder};
use serde_json::{Value, json};

pub const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;

/// Where the manual clock starts (Unix ms).
pub const START_MS: u64 = 1_900_000_000_000;

/// A relay stand-in that accepts every match, remembers its plan and hands out recognisable
/// tickets.
#[derive(Default)]
pub struct TestRelay {
    plans: std::sync::Mutex<Vec<MatchPlan>>,
}

impl TestRelay {
    /// The plans handed off so far.
    pub fn plans(&self) -> Vec<MatchPlan> {
        self.plans.lock().unwrap().clone()
    }
}

#[async_trait]
impl RelayHandoff for TestRelay {
    async fn hand_off(&self, plan: &MatchPlan, _now_ms: u64) -> Result<HandedOff, HandoffError> {
        self.plans.lock().unwrap().push(plan.clone());
        let players: Vec<PlayerKey> = plan.teams.iter().flatten().copied().collect();
        let community = KeyPair::from_seed([8; 32]);
        Ok(HandedOff {
            relay_address: "127.0.0.1:19711".into(),
            relay_key: scr::RelayKey::from(KeyPair::from_seed([9; 32]).public_key()),
            terms: MatchTicket {
                signer_kind: SignerKind::Community,
                signer_key: community.public_key(),
                community_key: community.public_key().into(),
                game_id: 77,
                game_module: plan.module.clone(),
                player_key: players[0],
                seat: TicketSeat::Player {
                    slot: PlayerSlot(0),
                    team: TeamId(0),
                },
                settings: MatchSettings {
                    ranked: plan.ranked,
                    tick_interval_us: 66_667,
                    map_name: plan.ticket_map().0,
                    map_hash: plan.ticket_map().1,
                    player_count: u8::try_from(players.len()).unwrap(),
                },
                issued_at: 0,
                expires_at: 1,
            },
            tickets: players
                .iter()
                .map(|p| (*p, [b"ticket-".as_slice(), p.as_bytes()].concat()))
                .collect(),
        })
    }
}

/// A server under test.
pub struct Mm {
    pub url: String,
    pub http: reqwest::Client,
    pub clock: Arc<ManualClock>,
    pub matchmaker: Arc<Matchmaker>,
    pub signing: KeyPair,
    pub relay: Arc<TestRelay>,
    pub authority: Arc<ic_server::authority::Authority>,
    _dir: tempfile::TempDir,
}

impl Mm {
    /// Starts with the test limits plus `extra` TOML, and `restrictions` as moderation.
    pub async fn start(
        backend: super::common::Backend,
        extra: &str,
        restrictions: Option<Arc<dyn QueueRestrictions>>,
    ) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let data = ic_server::data_dir::DataDir::new(dir.path());
        data.init(&mut rand::rngs::OsRng).unwrap();
        let file = dir.path().join("ic-server.toml");
        std::fs::write(
            &file,
            format!(
                "[http]\nrate_limit_per_minute = 100000\n\
                 [ranking]\nregistrations_per_ip_per_day = 10000\n{extra}{}",
                backend.storage()
            ),
        )
        .unwrap();
        let config = ic_server::config::load(Some(&file), &[]).unwrap().config;
        let mut services = ic_server::server::open(&data, &config).await.unwrap();
        let clock = Arc::new(ManualClock::new(START_MS));
        let relay = Arc::new(TestRelay::default());
        let state = &mut services.state;
        let parts = MatchmakerParts::from_config(
            &config,
            state.community.clone(),
            state.store.clone(),
            &state.metrics,
            clock.clone(),
            relay.clone(),
            restrictions,
            services.stores.queue.clone(),
            state.remote_communities.clone(),
        )
        .unwrap();
        let matchmaker = Arc::new(Matchmaker::new(parts));
        matchmaker.start(Passes::OnRequest).await.unwrap();
        state.capabilities.matchmaker = Some(matchmaker.clone());
        state.ready.store(true, std::sync::atomic::Ordering::SeqCst);
        let authority = state.capabilities.authority.clone().unwrap();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let app = ic_server::http::router(services.state.clone())
            .into_make_service_with_connect_info::<std::net::SocketAddr>();
        tokio::spawn(async move { axum::serve(listener, app).await });
        let keys = data.keys().unwrap();
        Self {
            url,
            http: reqwest::Client::new(),
            clock,
            matchmaker,
            signing: keys.signing,
            relay,
            authority,
            _dir: dir,
        }
    }

    pub fn now_secs(&self) -> i64 {
        (self.clock.now_ms() / 1000) as i64
    }

    /// A rating record for `player` as this community issues them, valid for a week.
    pub fn rating_record(&self, player: &KeyPair, rating: i64, deviation: i64) -> Vec<u8> {
        self.rating_record_with(player, rating, deviation, 1, self.now_secs() + 7 * 86_400)
    }

    pub fn rating_record_with(
        &self,
        player: &KeyPair,
        rating: i64,
        deviation: i64,
        sequence: u64,
        expires_at: i64,
    ) -> Vec<u8> {
        self.rating_record_signed(
            &self.signing,
            player,
            rating,
            deviation,
            sequence,
            expires_at,
        )
    }

    pub fn rating_record_signed(
        &self,
        signer: &KeyPair,
        player: &KeyPair,
        rating: i64,
        deviation: i64,
        sequence: u64,
        expires_at: i64,
    ) -> Vec<u8> {
        RecordBuilder::new(Payload::Rating(RatingPayload {
            game_module: "ra".into(),
            algorithm_id: "glicko2".into(),
            rating: rating * 1000,
            deviation: deviation * 1000,
            volatility: 60_000,
            games_played: 30,
            wins: 15,
            losses: 15,
            draws: 0,
            streak: 0,
            rank: 0,
            percentile: 0,
            // The first layout: the server places it in the season its issue time falls in.
            season: None,
        }))
        .player(player.public_key().into())
        .sequence(sequence)
        .issued_at(self.now_secs() - 60)
        .expires_at(expires_at)
        .sign(signer)
        .unwrap()
        .into_bytes()
    }

    /// Challenge, sign, token.
    pub async fn login(&self, key: &KeyPair) -> String {
        let public = key.public_key().to_string();
        let (_, challenge) = self
            .post("/v1/auth/challenge", json!({ "key": public }), None)
            .await;
        let bytes: [u8; 32] = B64
            .decode(challenge["challenge"].as_str().unwrap())
            .unwrap()
            .try_into()
            .unwrap();
        let message = ic_server::auth::challenge_message(&bytes, &self.signing.public_key().into());
        let signature = B64.encode(key.sign(&message));
        let (status, token) = self
            .post(
                "/v1/auth/token",
                json!({ "key": public, "challenge": challenge["challenge"], "signature": signature }),
                None,
            )
            .await;
        assert_eq!(status, 200, "{token}");
        token["token"].as_str().unwrap().to_owned()
    }

    pub async fn post(&self, path: &str, body: Value, token: Option<&str>) -> (u16, Value) {
        let mut request = self.http.post(format!("{}{path}", self.url)).json(&body);
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    pub async fn request(&self, method: reqwest::Method, path: &str, token: &str) -> (u16, Value) {
        let response = self
            .http
            .request(method, format!("{}{path}", self.url))
            .bearer_auth(token)
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    /// Logs `key` in, opens its event stream and joins with `record`.
    pub async fn queue(&self, key: &KeyPair, record: &[u8], body: Value) -> Player {
        let token = self.login(key).await;
        let events = Events::open(self, &token).await;
        let mut body = body;
        body["record"] = json!(B64.encode(record));
        let (status, reply) = self.post("/v1/queue", body, Some(&token)).await;
        assert_eq!(status, 202, "{reply}");
        Player { token, events }
    }

    /// Moves the clock and runs the matchmaker once.
    pub async fn tick_after(&self, ms: u64) {
        self.clock.advance(ms);
        self.matchmaker.tick().await.unwrap();
    }
}

/// A queued player: its token and event stream.
pub struct Player {
    pub token: String,
    pub events: Events,
}

/// A server-sent event stream, read event by event.
pub struct Events {
    response: reqwest::Response,
    buffer: String,
}

impl Events {
    pub async fn open(mm: &Mm, token: &str) -> Self {
        let response = mm
            .http
            .get(format!("{}/v1/queue/events", mm.url))
            .bearer_auth(token)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status().as_u16(), 200);
        Self {
            response,
            buffer: String::new(),
        }
    }

    /// The next event's JSON, or `None` if none arrives within `wait`.
    pub async fn next_within(&mut self, wait: Duration) -> Option<Value> {
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            if let Some(end) = self.buffer.find("\n\n") {
                let block: String = self.buffer.drain(..end + 2).collect();
                let data: String = block
                    .lines()
                    .filter_map(|line| line.strip_prefix("data:"))
                    .map(str::trim)
                    .collect();
                if data.is_empty() {
                    continue; // keep-alive comment
                }
                return Some(serde_json::from_str(&data).unwrap());
            }
            let chunk = tokio::time::timeout_at(deadline, self.response.chunk())
                .await
                .ok()?
                .unwrap()?;
            self.buffer.push_str(&String::from_utf8_lossy(&chunk));
        }
    }

    /// The next event, which must come within two seconds.
    pub async fn next(&mut self) -> Value {
        self.next_within(Duration::from_secs(2))
            .await
            .expect("an event")
    }

    /// Asserts that no event is pending.
    pub async fn quiet(&mut self) {
        if let Some(event) = self.next_within(Duration::from_millis(200)).await {
            panic!("unexpected event {event}");
        }
    }

    /// Skips events until one named `name`.
    pub async fn until(&mut self, name: &str) -> Value {
        loop {
            let event = self.next().await;
            if event["event"] == name {
                return event;
            }
        }
    }
}
