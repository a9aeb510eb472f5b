//! Test harness: start the real `ic-server` binary on loopback, log in as a key, build and sign
//! certified match results with the server's relay key.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

pub mod database;
pub mod ledger;
pub mod log;
pub mod submit;
pub mod web;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use base64::Engine;
use relay_core::cmr::{CertifiedMatchResult, CmrPlayer, EndReason, MatchOutcome, PlayerResult};
use relay_core::ids::{PlayerSlot, TeamId};
use scr::{CommunityKey, KeyPair, PlayerKey, PublicKey};
use serde_json::{Value, json};

pub const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;

/// Settings that keep tests from tripping the per-IP limits (all requests come from 127.0.0.1).
pub const TEST_LIMITS: &str = "[http]\nrate_limit_per_minute = 100000\n\
    [ranking]\nregistrations_per_ip_per_day = 10000\n";

/// Awards no achievements: for tests about delivering the records a match issues, which count
/// them (the default definitions add a record to a player's first win).
pub const NO_ACHIEVEMENTS: &str = "[achievements]\ndefinitions = []\n";

/// The storage backend a test's servers run on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// The embedded default: a SQLite file in the data directory.
    Sqlite,
    /// A fresh database on the test PostgreSQL (the `test-postgres` crate).
    Postgres,
}

impl Backend {
    /// The config lines that put a server on this backend, each call a fresh database: empty
    /// for SQLite, a `[storage]` table for PostgreSQL. Append it to a test's config.
    pub fn storage(self) -> String {
        match self {
            Self::Sqlite => String::new(),
            Self::Postgres => format!(
                "\n[storage]\nurl = \"{}\"\n",
                test_postgres::fresh_database()
            ),
        }
    }
}

/// Runs each `async fn name(backend: Backend)` listed as two tests, `name::sqlite` and
/// `name::postgres`.
#[macro_export]
macro_rules! on_each_backend {
    ($($name:ident),+ $(,)?) => {
        $(
            mod $name {
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn sqlite() {
                    super::$name($crate::common::Backend::Sqlite).await
                }

                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn postgres() {
                    super::$name($crate::common::Backend::Postgres).await
                }
            }
        )+
    };
}

pub fn binary() -> &'static str {
    env!("CARGO_BIN_EXE_ic-server")
}

/// Runs the CLI with `args` on `data_dir`; returns (status code, stdout, stderr).
pub fn cli(data_dir: &Path, args: &[&str]) -> (i32, String, String) {
    let out = Command::new(binary())
        .arg("--data-dir")
        .arg(data_dir)
        .args(args)
        .env_remove("IC_DATA_DIR")
        .env_remove("IC_CONFIG")
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Initializes `dir` with `config` and the keys of the initialized `from`: another process of
/// the same community (or a replay of it).
pub fn init_sharing_keys(from: &Path, dir: &Path, config: &str) {
    let (code, _, err) = cli(dir, &["init"]);
    assert_eq!(code, 0, "{err}");
    for file in [
        "keys/signing.key",
        "keys/relay.key",
        "keys/recovery.pub",
        "keys/witness.key",
    ] {
        std::fs::copy(from.join(file), dir.join(file)).unwrap();
    }
    std::fs::write(dir.join("ic-server.toml"), config).unwrap();
}

/// A loopback TCP port free right now (for a server that must listen where others expect it).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A running server process.
pub struct Server {
    pub child: Child,
    pub url: String,
    pub data_dir: PathBuf,
    pub http: reqwest::Client,
}

impl Server {
    /// Initializes `data_dir` with `config` (TOML appended to the defaults) and starts serving.
    pub fn start(data_dir: &Path, config: &str) -> Self {
        Self::init(data_dir, config);
        Self::spawn(data_dir)
    }

    /// Initializes `data_dir` with `config` (TOML appended to the defaults) unless it already is.
    pub fn init(data_dir: &Path, config: &str) {
        if !data_dir.join("ic-server.toml").exists() {
            let (code, _, err) = cli(data_dir, &["init"]);
            assert_eq!(code, 0, "{err}");
            std::fs::write(data_dir.join("ic-server.toml"), config).unwrap();
        }
    }

    /// Starts serving an already initialized `data_dir`.
    pub fn spawn(data_dir: &Path) -> Self {
        Self::spawn_with(
            data_dir,
            &[("IC_LOGGING_LEVEL", "\"warn\"")],
            Stdio::inherit(),
        )
    }

    /// Starts serving `data_dir` with extra environment variables and the server's stderr
    /// (its log) sent to `stderr`.
    pub fn spawn_with(data_dir: &Path, env: &[(&str, &str)], stderr: Stdio) -> Self {
        Self::spawn_at(data_dir, "127.0.0.1:0", env, stderr)
    }

    /// Starts serving `data_dir` with its HTTP API on `listen` (a fixed port, so the server can
    /// be restarted where others expect it).
    pub fn spawn_at(data_dir: &Path, listen: &str, env: &[(&str, &str)], stderr: Stdio) -> Self {
        let mut child = Command::new(binary())
            .arg("--data-dir")
            .arg(data_dir)
            .args(["run", "--listen", listen])
            .env_remove("IC_DATA_DIR")
            .env_remove("IC_CONFIG")
            // Many servers run at once in tests: each relay takes a free UDP port.
            .env("IC_RELAY_LISTEN", "127.0.0.1:0")
            // A key rotation made by the CLI is followed within a second.
            .env("IC_STORAGE_KEY_REFRESH_SECS", "1")
            .envs(env.iter().copied())
            .stdout(Stdio::piped())
            .stderr(stderr)
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let mut lines = BufReader::new(stdout).lines();
        let url = loop {
            let line = lines
                .next()
                .expect("server exited before listening")
                .unwrap();
            if let Some(url) = line.strip_prefix("ic-server listening on ") {
                break url.trim().to_owned();
            }
        };
        // Keep draining stdout so the child never blocks on a full pipe.
        std::thread::spawn(move || for _ in lines {});
        Self {
            child,
            url,
            data_dir: data_dir.to_owned(),
            http: reqwest::Client::new(),
        }
    }

    /// Reads the server's log (its stderr, when spawned with `Stdio::piped()`) until it exits;
    /// join the handle after stopping the server.
    pub fn read_log(&mut self) -> std::thread::JoinHandle<String> {
        let mut log = self
            .child
            .stderr
            .take()
            .expect("spawned with a piped stderr");
        std::thread::spawn(move || {
            let mut text = String::new();
            std::io::Read::read_to_string(&mut log, &mut text).unwrap();
            text
        })
    }

    pub fn relay_key(&self) -> KeyPair {
        ic_server::data_dir::read_key_file(&self.data_dir.join("keys/relay.key")).unwrap()
    }

    pub fn signing_key(&self) -> KeyPair {
        ic_server::data_dir::read_key_file(&self.data_dir.join("keys/signing.key")).unwrap()
    }

    pub async fn document(&self) -> Value {
        self.get("/.well-known/ic-community", None).await.1
    }

    pub async fn community_key(&self) -> CommunityKey {
        self.document().await["signing_key"]
            .as_str()
            .unwrap()
            .parse()
            .unwrap()
    }

    pub async fn get(&self, path: &str, token: Option<&str>) -> (u16, Value) {
        let mut request = self.http.get(format!("{}{path}", self.url));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        decode(request.send().await.unwrap()).await
    }

    pub async fn post_json(&self, path: &str, body: &Value, token: Option<&str>) -> (u16, Value) {
        let mut request = self.http.post(format!("{}{path}", self.url)).json(body);
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        decode(request.send().await.unwrap()).await
    }

    pub async fn post_bytes(&self, path: &str, body: Vec<u8>) -> (u16, Value) {
        let request = self
            .http
            .post(format!("{}{path}", self.url))
            .header("content-type", "application/octet-stream")
            .body(body);
        decode(request.send().await.unwrap()).await
    }

    /// Challenge, sign, token: returns the bearer token for `key`.
    pub async fn login(&self, key: &KeyPair) -> String {
        let public = key.public_key().to_string();
        let (status, challenge) = self
            .post_json("/v1/auth/challenge", &json!({ "key": public }), None)
            .await;
        assert_eq!(status, 200, "{challenge}");
        let bytes: [u8; 32] = B64
            .decode(challenge["challenge"].as_str().unwrap())
            .unwrap()
            .try_into()
            .unwrap();
        let message = ic_server::auth::challenge_message(&bytes, &self.community_key().await);
        let signature = B64.encode(key.sign(&message));
        let (status, token) = self
            .post_json(
                "/v1/auth/token",
                &json!({ "key": public, "challenge": challenge["challenge"], "signature": signature }),
                None,
            )
            .await;
        assert_eq!(status, 200, "{token}");
        token["token"].as_str().unwrap().to_owned()
    }

    /// Logs in and registers; returns the decoded initial records.
    pub async fn register(&self, key: &KeyPair) -> Vec<Vec<u8>> {
        let token = self.login(key).await;
        let (status, body) = self
            .post_json("/v1/players", &json!({}), Some(&token))
            .await;
        assert_eq!(status, 201, "{body}");
        records(&body["records"])
    }

    /// The Prometheus exposition at `/metrics`.
    pub async fn metrics_text(&self) -> String {
        self.http
            .get(format!("{}/metrics", self.url))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap()
    }

    /// The value of the unlabelled Prometheus sample `name` at `/metrics` (0 when absent).
    pub async fn metric(&self, name: &str) -> f64 {
        sample(&self.metrics_text().await, name)
    }

    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Sends SIGTERM (the server starts draining) without waiting.
    pub fn terminate(&self) {
        self.signal("TERM");
    }

    /// Sends the signal `name` (`TERM`, `STOP`, `CONT`, …) to the process.
    pub fn signal(&self, name: &str) {
        let _ = Command::new("kill")
            .arg(format!("-{name}"))
            .arg(self.child.id().to_string())
            .status();
    }

    /// Waits for the process to exit (after [`Self::terminate`]).
    pub fn wait(&mut self) -> std::process::ExitStatus {
        self.child.wait().unwrap()
    }

    /// SIGTERM and wait for a clean exit.
    pub fn stop(&mut self) -> std::process::ExitStatus {
        self.terminate();
        self.child.wait().unwrap()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill();
    }
}

async fn decode(response: reqwest::Response) -> (u16, Value) {
    let status = response.status().as_u16();
    let text = response.text().await.unwrap();
    let value = serde_json::from_str(&text).unwrap_or(Value::String(text));
    (status, value)
}

/// Base64 strings of a JSON array, decoded.
/// The replay file the server in `data_dir` keeps under `replay_hash`; it is completed when the
/// match task ends (once the players have left), so this waits for it up to ten seconds.
pub async fn replay_file(data_dir: &Path, replay_hash: &[u8; 32]) -> Vec<u8> {
    let replay = data_dir.join(format!("replays/{}.replay", hex::encode(replay_hash)));
    for _ in 0..100 {
        if replay.exists() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    std::fs::read(&replay).expect("the replay file")
}

/// Polls `GET /v1/queue` until the caller's standing includes an event named `name`.
pub async fn queue_event(server: &Server, token: &str, name: &str) -> Value {
    for _ in 0..100 {
        let (status, body) = server.get("/v1/queue", Some(token)).await;
        assert_eq!(status, 200, "{body}");
        if let Some(event) = body["events"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["event"] == name)
        {
            return event.clone();
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("no {name} event within 10 s");
}

/// Registers `players` on `server`, queues them ranked 1v1 with their initial rating records
/// and accepts the match they are offered; returns their tokens and the match's id.
pub async fn queue_and_accept(server: &Server, players: &[KeyPair]) -> (Vec<String>, u64) {
    let mut tokens = Vec::new();
    for key in players {
        let initial = server.register(key).await;
        let token = server.login(key).await;
        let join = json!({ "record": B64.encode(&initial[0]), "mode": "ranked_1v1" });
        let (status, body) = server.post_json("/v1/queue", &join, Some(&token)).await;
        assert_eq!(status, 202, "{body}");
        tokens.push(token);
    }
    let mut match_id = 0;
    for token in &tokens {
        let found = queue_event(server, token, "match_found").await;
        match_id = found["match_id"].as_u64().unwrap();
        let accept = format!("/v1/queue/matches/{match_id}/accept");
        let (status, body) = server.post_json(&accept, &json!({}), Some(token)).await;
        assert_eq!(status, 200, "{body}");
    }
    (tokens, match_id)
}

/// Connects `key` to the relay an API answer names by its `relay_address`, `relay_key` and
/// `ticket` (a room seat, a `match_ready` event, a spectator ticket). The client endpoint must
/// outlive the session.
pub async fn connect_as(
    answer: &Value,
    key: &KeyPair,
) -> (
    ic_client::relay::RelayClient,
    ic_client::relay::RelaySession,
) {
    let ticket = B64.decode(answer["ticket"].as_str().unwrap()).unwrap();
    let address = answer["relay_address"].as_str().unwrap().parse().unwrap();
    let relay_key: PublicKey = answer["relay_key"].as_str().unwrap().parse().unwrap();
    let client = ic_client::relay::RelayClient::new("127.0.0.1:0".parse().unwrap()).unwrap();
    let session = client
        .connect(address, relay_key, key, &ticket)
        .await
        .unwrap();
    (client, session)
}

/// The value of the unlabelled sample `name` in a Prometheus text exposition (0 if absent).
pub fn sample(exposition: &str, name: &str) -> f64 {
    exposition
        .lines()
        .find_map(|line| line.strip_prefix(name)?.strip_prefix(' '))
        .map_or(0.0, |value| value.trim().parse().unwrap())
}

pub fn records(value: &Value) -> Vec<Vec<u8>> {
    value
        .as_array()
        .unwrap()
        .iter()
        .map(|r| B64.decode(r.as_str().unwrap()).unwrap())
        .collect()
}

pub fn player(seed: u8) -> KeyPair {
    KeyPair::from_seed([seed; 32])
}

pub fn player_from(index: u32) -> KeyPair {
    let mut seed = [7u8; 32];
    seed[..4].copy_from_slice(&index.to_le_bytes());
    KeyPair::from_seed(seed)
}

/// A 1v1 result in module `ra`: `winner` beats `loser`; `game_id` makes it unique.
pub fn duel(
    relay: &KeyPair,
    community: CommunityKey,
    winner: &KeyPair,
    loser: &KeyPair,
    game_id: u64,
) -> Vec<u8> {
    duel_as(relay, community, winner, loser, game_id, false)
}

/// [`duel`], marked degraded or not.
pub fn duel_as(
    relay: &KeyPair,
    community: CommunityKey,
    winner: &KeyPair,
    loser: &KeyPair,
    game_id: u64,
    degraded: bool,
) -> Vec<u8> {
    let players = vec![
        CmrPlayer {
            slot: PlayerSlot(0),
            key: PlayerKey::from(winner.public_key()),
            team: TeamId(1),
            result: PlayerResult::Win,
        },
        CmrPlayer {
            slot: PlayerSlot(1),
            key: PlayerKey::from(loser.public_key()),
            team: TeamId(2),
            result: PlayerResult::Loss,
        },
    ];
    certified_as(
        relay,
        community,
        players,
        MatchOutcome::Completed {
            winner: TeamId(1),
            reason: EndReason::Elimination,
        },
        game_id,
        degraded,
    )
}

/// Registers `players` and plays a round robin of duels in module `ra` where each player beats
/// everyone after them: the first wins every game, the last loses every game.
pub async fn play_ladder(server: &Server, players: &[KeyPair]) {
    for p in players {
        server.register(p).await;
    }
    let community = server.community_key().await;
    let relay = server.relay_key();
    let mut game = 0;
    for (w, winner) in players.iter().enumerate() {
        for loser in &players[w + 1..] {
            game += 1;
            let (status, body) = server
                .post_bytes("/v1/matches", duel(&relay, community, winner, loser, game))
                .await;
            assert_eq!(status, 201, "{body}");
        }
    }
}

/// Signs a certified result with the given players and outcome.
pub fn certified(
    relay: &KeyPair,
    community: CommunityKey,
    players: Vec<CmrPlayer>,
    outcome: MatchOutcome,
    game_id: u64,
) -> Vec<u8> {
    certified_as(relay, community, players, outcome, game_id, false)
}

/// [`certified`], marked degraded (the relay lost the whole match's connectivity) or not.
pub fn certified_as(
    relay: &KeyPair,
    community: CommunityKey,
    players: Vec<CmrPlayer>,
    outcome: MatchOutcome,
    game_id: u64,
    degraded: bool,
) -> Vec<u8> {
    let started = 1_767_225_600_000_000i64 + game_id as i64 * 1_000_000;
    CertifiedMatchResult {
        relay_key: relay.public_key().into(),
        community_key: community,
        game_id,
        game_module: "ra".into(),
        map_name: "Coastal Influence".into(),
        map_hash: [3; 32],
        ranked: true,
        tick_interval_us: 66_667,
        final_tick: 13_500,
        started_at_us: started,
        ended_at_us: started + 900_000_000,
        outcome,
        observer_delay_ticks: 0,
        players,
        final_state_hash: [4; 32],
        order_stream_hash: [5; 32],
        replay_hash: [6; 32],
        desync_tick: None,
        degraded,
    }
    .sign(relay)
    .unwrap()
    .into_bytes()
}

pub fn public(key: &KeyPair) -> PublicKey {
    key.public_key()
}

/// The community's verdict on one record (`POST /v1/credentials/verify`).
pub async fn verdict(server: &Server, record: &[u8]) -> Value {
    use base64::Engine;
    let (status, body) = server
        .post_json(
            "/v1/credentials/verify",
            &serde_json::json!({ "records": [B64.encode(record)] }),
            None,
        )
        .await;
    assert_eq!(status, 200, "{body}");
    body["results"][0].clone()
}
