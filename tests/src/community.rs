//! One `ic-server` process for end-to-end tests: its own data directory, port and keys, the
//! operator's command line, and certified matches signed with its relay key.

use std::path::PathBuf;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use relay_core::cmr::{CertifiedMatchResult, CmrPlayer, EndReason, MatchOutcome, PlayerResult};
use relay_core::ids::{PlayerSlot, TeamId};
use scr::{CommunityKey, KeyPair, PlayerKey, RelayKey};
use serde_json::{Value, json};

use crate::{free_port, read_seed_file, server_binary, text, unix_now};

/// One `ic-server` with its own data directory and port.
pub struct Server {
    /// Its data directory (keys, config, database).
    pub dir: tempfile::TempDir,
    /// Community name.
    pub name: String,
    /// HTTP port on loopback.
    pub port: u16,
    /// The running process, once started.
    pub child: Option<Child>,
    /// HTTP client for its API.
    pub http: reqwest::Client,
}

impl Server {
    /// A server initialized in a fresh data directory on a free port (not started).
    pub fn new(name: &str) -> Self {
        let server = Self {
            dir: tempfile::tempdir().unwrap(),
            name: name.to_owned(),
            port: free_port(),
            child: None,
            http: reqwest::Client::new(),
        };
        let output = server.cli(&["init"]);
        assert!(output.status.success(), "{}", text(&output));
        server
    }

    /// A server like [`Server::new`] whose settings file holds `config` (TOML; what it leaves
    /// out keeps its default, and the test environment's variables still apply).
    pub fn with_config(name: &str, config: &str) -> Self {
        let server = Self::new(name);
        std::fs::write(server.dir.path().join("ic-server.toml"), config).unwrap();
        server
    }

    /// A server with fresh keys that answers on `other`'s port under `other`'s name.
    pub fn impostor_of(other: &Server) -> Self {
        let mut server = Self::new(&other.name);
        server.port = other.port;
        server
    }

    /// Its base URL.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// `ic-server` on this data directory with the test environment (name, URL, ports, limits).
    pub fn command(&self) -> Command {
        let mut command = Command::new(server_binary());
        command
            .arg("--data-dir")
            .arg(self.dir.path())
            .env("IC_COMMUNITY_NAME", &self.name)
            .env("IC_COMMUNITY_URL", self.url())
            .env("IC_HTTP_LISTEN", format!("127.0.0.1:{}", self.port))
            .env("IC_RELAY_LISTEN", "127.0.0.1:0")
            // A key rotation made by the CLI is followed within a second.
            .env("IC_STORAGE_KEY_REFRESH_SECS", "1")
            .env("IC_RANKING_REGISTRATIONS_PER_IP_PER_DAY", "1000")
            .env("IC_HTTP_RATE_LIMIT_PER_MINUTE", "100000")
            .env("IC_LOGGING_LEVEL", "warn")
            .env_remove("IC_DATA_DIR")
            .env_remove("IC_CONFIG");
        command
    }

    /// Runs an operator command and returns its output.
    pub fn cli(&self, args: &[&str]) -> Output {
        self.command().args(args).output().unwrap()
    }

    /// Starts serving and waits until `/ready` answers.
    pub async fn start(&mut self) {
        let child = self
            .command()
            .arg("run")
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let ready = self.http.get(format!("{}/ready", self.url())).send().await;
            if ready.is_ok_and(|r| r.status().is_success()) {
                return;
            }
            let exited = self.child.as_mut().unwrap().try_wait().unwrap();
            assert!(
                exited.is_none(),
                "ic-server {} exited: {exited:?}",
                self.name
            );
            assert!(
                Instant::now() < deadline,
                "ic-server {} not ready",
                self.name
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Kills the process (as a crash would).
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// The community's current signing key, read from the data directory.
    pub fn signing_key(&self) -> KeyPair {
        read_seed_file(&self.dir.path().join("keys").join("signing.key"))
    }

    /// The relay's key, read from the data directory.
    pub fn relay_key(&self) -> KeyPair {
        read_seed_file(&self.dir.path().join("keys").join("relay.key"))
    }

    /// Where `init` wrote the recovery key.
    pub fn recovery_key_file(&self) -> PathBuf {
        self.dir.path().join("RECOVERY-KEY-MOVE-OFFLINE.key")
    }

    /// `GET /.well-known/ic-community`.
    pub async fn document(&self) -> Value {
        self.http
            .get(format!("{}/.well-known/ic-community", self.url()))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }

    /// Certifies a match `winner` beat `loser` with this community's relay key and submits it.
    pub async fn play(&self, game_id: u64, winner: PlayerKey, loser: PlayerKey) {
        let ended_at_us = unix_now() * 1_000_000;
        let mut players = vec![
            CmrPlayer {
                slot: PlayerSlot(0),
                key: winner,
                team: TeamId(1),
                result: PlayerResult::Win,
            },
            CmrPlayer {
                slot: PlayerSlot(1),
                key: loser,
                team: TeamId(2),
                result: PlayerResult::Loss,
            },
        ];
        players.sort_by_key(|p| p.slot.0);
        let relay = self.relay_key();
        let cmr = CertifiedMatchResult {
            relay_key: RelayKey::from(relay.public_key()),
            community_key: CommunityKey::from(self.signing_key().public_key()),
            game_id,
            game_module: "ra".into(),
            map_name: "Coastal".into(),
            map_hash: [7; 32],
            ranked: true,
            tick_interval_us: 66_667,
            final_tick: 9_000,
            started_at_us: ended_at_us - 600_000_000,
            ended_at_us,
            outcome: MatchOutcome::Completed {
                winner: TeamId(1),
                reason: EndReason::Elimination,
            },
            observer_delay_ticks: 0,
            players,
            final_state_hash: [1; 32],
            order_stream_hash: [2; 32],
            replay_hash: [u8::try_from(game_id % 256).unwrap(); 32],
            desync_tick: None,
            degraded: false,
        }
        .sign(&relay)
        .unwrap();
        let response = self
            .http
            .post(format!("{}/v1/matches", self.url()))
            .header("content-type", "application/octet-stream")
            .body(cmr.into_bytes())
            .send()
            .await
            .unwrap();
        let status = response.status();
        assert!(
            status.is_success(),
            "{status}: {}",
            response.text().await.unwrap()
        );
    }

    /// A bearer token for `key`, from the challenge login.
    pub async fn login(&self, key: &KeyPair) -> String {
        let api = ic_client::api::ApiClient::with_http(self.http.clone(), &self.url()).unwrap();
        let community: CommunityKey = self.document().await["signing_key"]
            .as_str()
            .unwrap()
            .parse()
            .unwrap();
        let session = api.login(key, &community).await.unwrap();
        session.bearer_token().to_owned()
    }

    /// Logs `key` in and registers it.
    pub async fn register(&self, key: &KeyPair) {
        let token = self.login(key).await;
        let (status, body) = self
            .post_json("/v1/players", &json!({}), Some(&token))
            .await;
        assert_eq!(status, 201, "{body}");
    }

    /// `GET path`: status and JSON body.
    pub async fn get(&self, path: &str, token: Option<&str>) -> (u16, Value) {
        let mut request = self.http.get(format!("{}{path}", self.url()));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        answer(request).await
    }

    /// `POST path` with a JSON body: status and JSON body.
    pub async fn post_json(&self, path: &str, body: &Value, token: Option<&str>) -> (u16, Value) {
        let mut request = self.http.post(format!("{}{path}", self.url())).json(body);
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        answer(request).await
    }

    /// Polls `GET /v1/queue` until the caller's standing holds an event named `name`.
    pub async fn queue_event(&self, token: &str, name: &str) -> Value {
        for _ in 0..100 {
            let (status, body) = self.get("/v1/queue", Some(token)).await;
            assert_eq!(status, 200, "{body}");
            let events = body["events"].as_array().unwrap();
            if let Some(event) = events.iter().find(|e| e["event"] == name) {
                return event.clone();
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("no {name} event within 10 s");
    }

    /// The replay the relay keeps under `replay_hash`; it is written when the match task ends
    /// (once the players left), so this waits for it up to ten seconds.
    pub async fn replay_file(&self, replay_hash: &[u8; 32]) -> Vec<u8> {
        let name = format!("replays/{}.replay", hex::encode(replay_hash));
        let replay = self.dir.path().join(name);
        for _ in 0..100 {
            if replay.exists() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        std::fs::read(&replay).expect("the replay file")
    }

    /// The community's own verdicts on `records`: (valid, error code).
    pub async fn verify(&self, records: &[Vec<u8>]) -> Vec<(bool, Option<String>)> {
        let encoded: Vec<String> = records.iter().map(|r| BASE64.encode(r)).collect();
        let body: Value = self
            .http
            .post(format!("{}/v1/credentials/verify", self.url()))
            .json(&serde_json::json!({ "records": encoded }))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        body["results"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| {
                (
                    r["valid"].as_bool().unwrap(),
                    r["error"].as_str().map(str::to_owned),
                )
            })
            .collect()
    }
}

async fn answer(request: reqwest::RequestBuilder) -> (u16, Value) {
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop();
    }
}
