//! End to end: real `ic-server` processes on loopback, real `ic` processes for the player.
//! Two communities, one player in both; certified matches, rotations, revocation, an impostor,
//! a sync killed with SIGKILL, and recovery from the backup phrase (issue 6, "Show").

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::Write as _;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use ic_client::present::Presentation;
use ic_client::wallet::CommunityStore;
use relay_core::cmr::{CertifiedMatchResult, CmrPlayer, EndReason, MatchOutcome, PlayerResult};
use relay_core::ids::{PlayerSlot, TeamId};
use scr::payload::{Payload, RatingPayload};
use scr::{CommunityKey, KeyPair, PlayerKey, RecordBuilder, RelayKey};
use serde_json::Value;

/// The `ic-server` binary of this workspace.
fn server_binary() -> PathBuf {
    ic_e2e::binary("ic-server", "ic-server")
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn unix_now() -> i64 {
    ic_client::unix_now()
}

fn text(output: &Output) -> String {
    format!(
        "status {:?}\nstdout:\n{}\nstderr:\n{}",
        output.status.code(),
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

fn read_seed_file(path: &Path) -> KeyPair {
    let content = std::fs::read_to_string(path).unwrap();
    let line = content
        .lines()
        .find(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .unwrap();
    let mut seed = [0u8; 32];
    hex::decode_to_slice(line.trim(), &mut seed).unwrap();
    KeyPair::from_seed(seed)
}

/// One `ic-server` with its own data directory and port.
struct Server {
    dir: tempfile::TempDir,
    name: String,
    port: u16,
    child: Option<Child>,
    http: reqwest::Client,
}

impl Server {
    fn new(name: &str) -> Self {
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

    /// A server with fresh keys that answers on `other`'s port under `other`'s name.
    fn impostor_of(other: &Server) -> Self {
        let mut server = Self::new(&other.name);
        server.port = other.port;
        server
    }

    fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    fn command(&self) -> Command {
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

    fn cli(&self, args: &[&str]) -> Output {
        self.command().args(args).output().unwrap()
    }

    async fn start(&mut self) {
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

    fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    fn signing_key(&self) -> KeyPair {
        read_seed_file(&self.dir.path().join("keys").join("signing.key"))
    }

    fn relay_key(&self) -> KeyPair {
        read_seed_file(&self.dir.path().join("keys").join("relay.key"))
    }

    fn recovery_key_file(&self) -> PathBuf {
        self.dir.path().join("RECOVERY-KEY-MOVE-OFFLINE.key")
    }

    async fn document(&self) -> Value {
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
    async fn play(&self, game_id: u64, winner: PlayerKey, loser: PlayerKey) {
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

    /// The community's own verdicts on `records`: (valid, error code).
    async fn verify(&self, records: &[Vec<u8>]) -> Vec<(bool, Option<String>)> {
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

impl Drop for Server {
    fn drop(&mut self) {
        self.stop();
    }
}

/// A player: an `ic` data directory, optionally with a passphrase-sealed identity.
struct Player {
    dir: tempfile::TempDir,
    passphrase: Option<&'static str>,
}

impl Player {
    fn new(passphrase: Option<&'static str>) -> Self {
        let player = Self::empty(passphrase);
        let args: &[&str] = if passphrase.is_some() {
            &["identity", "new"]
        } else {
            &["identity", "new", "--unencrypted"]
        };
        player.ok(args);
        player
    }

    fn empty(passphrase: Option<&'static str>) -> Self {
        Self {
            dir: tempfile::tempdir().unwrap(),
            passphrase,
        }
    }

    fn command(&self, args: &[&str]) -> Command {
        let mut command = Command::new(ic_e2e::binary("ic-client", "ic"));
        command
            .arg("--data-dir")
            .arg(self.dir.path())
            .args(args)
            .env_remove("IC_DATA_DIR");
        match self.passphrase {
            Some(passphrase) => command.env("IC_PASSPHRASE", passphrase),
            None => command.env_remove("IC_PASSPHRASE"),
        };
        command
    }

    fn run(&self, args: &[&str]) -> Output {
        self.command(args).stdin(Stdio::null()).output().unwrap()
    }

    fn ok(&self, args: &[&str]) -> Output {
        let output = self.run(args);
        assert!(output.status.success(), "ic {args:?}: {}", text(&output));
        output
    }

    fn key(&self) -> PlayerKey {
        let output = self.ok(&["identity", "show", "--json"]);
        let json: Value = serde_json::from_slice(&output.stdout).unwrap();
        json["public_key"].as_str().unwrap().parse().unwrap()
    }

    fn wallet_file(&self, slug: &str) -> PathBuf {
        self.dir
            .path()
            .join("communities")
            .join(format!("{slug}.db"))
    }

    /// `ic records <slug> --json`.
    fn records(&self, slug: &str) -> Vec<Value> {
        let output = self.ok(&["records", slug, "--json"]);
        serde_json::from_slice::<Value>(&output.stdout)
            .unwrap()
            .as_array()
            .unwrap()
            .clone()
    }

    /// The stored record bytes of one community, read through the library.
    async fn stored(&self, slug: &str) -> Vec<Vec<u8>> {
        let store = CommunityStore::open(&self.wallet_file(slug)).await.unwrap();
        let records = store
            .records()
            .await
            .unwrap()
            .into_iter()
            .map(|r| r.bytes)
            .collect();
        store.close().await;
        records
    }

    /// `ic present <slug>` decoded into records.
    fn present(&self, slug: &str) -> Vec<Vec<u8>> {
        let output = self.ok(&["present", slug]);
        Presentation::from_text_or_bytes(&output.stdout)
            .unwrap()
            .records()
            .to_vec()
    }
}

fn of_type(records: &[Value], record_type: &str) -> Vec<Value> {
    records
        .iter()
        .filter(|r| r["record"]["record_type"] == record_type)
        .cloned()
        .collect()
}

fn record_type_of(bytes: &[u8]) -> scr::RecordType {
    scr::Record::decode(bytes).unwrap().record_type()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_player_two_communities_records_verification_revocation_and_an_impostor() {
    let mut alpha = Server::new("Alpha League");
    let mut bravo = Server::new("Bravo Clan");
    alpha.start().await;
    bravo.start().await;
    let player = Player::new(Some("correct horse battery"));
    let rival = Player::new(None);

    // Join A with its fingerprint (given out of band), B on trust-on-first-use.
    let fingerprint = alpha.document().await["fingerprint"]
        .as_str()
        .unwrap()
        .to_owned();
    let wrong = bravo.document().await["fingerprint"]
        .as_str()
        .unwrap()
        .to_owned();
    let refused = player.run(&["join", &alpha.url(), "--fingerprint", &wrong]);
    assert!(!refused.status.success());
    assert!(
        String::from_utf8_lossy(&refused.stderr).contains("REFUSED"),
        "{}",
        text(&refused)
    );
    assert!(!player.wallet_file("alpha-league").exists());

    let joined = player.ok(&["join", &alpha.url(), "--fingerprint", &fingerprint]);
    assert!(!String::from_utf8_lossy(&joined.stderr).contains("trust on first use"));
    let joined = player.ok(&["join", &bravo.url()]);
    assert!(
        String::from_utf8_lossy(&joined.stderr).contains("WARNING: trust on first use"),
        "{}",
        text(&joined)
    );
    rival.ok(&["join", &alpha.url()]);
    rival.ok(&["join", &bravo.url()]);
    let communities = player.ok(&["communities", "--json"]);
    let communities: Value = serde_json::from_slice(&communities.stdout).unwrap();
    assert_eq!(communities.as_array().unwrap().len(), 2);

    // A certified match in each community; `ic refresh` files the records where they belong.
    alpha.play(1, player.key(), rival.key()).await;
    bravo.play(2, rival.key(), player.key()).await;
    player.ok(&["refresh"]);
    let alpha_records = player.records("alpha-league");
    let bravo_records = player.records("bravo-clan");
    let alpha_match = of_type(&alpha_records, "match");
    let bravo_match = of_type(&bravo_records, "match");
    assert_eq!(alpha_match.len(), 1);
    assert_eq!(bravo_match.len(), 1);
    assert_eq!(alpha_match[0]["record"]["payload"]["result"], "win");
    assert_eq!(bravo_match[0]["record"]["payload"]["result"], "loss");
    assert!(
        alpha_records
            .iter()
            .chain(&bravo_records)
            .all(|r| r["status"] == "valid")
    );
    let alpha_key = alpha.signing_key().public_key().to_string();
    assert!(
        alpha_records
            .iter()
            .all(|r| r["record"]["community_key"] == alpha_key.as_str())
    );

    // Each community accepts its own records and refuses the other's as wrong_community.
    let alpha_rating = player.present("alpha-league");
    let bravo_rating = player.present("bravo-clan");
    let both = vec![alpha_rating[0].clone(), bravo_rating[0].clone()];
    assert_eq!(
        alpha.verify(&both).await,
        vec![(true, None), (false, Some("wrong_community".into()))]
    );
    assert_eq!(
        bravo.verify(&both).await,
        vec![(false, Some("wrong_community".into())), (true, None)]
    );
    // `ic verify` checks each record against the community that signed it.
    let file = player.dir.path().join("presented.b64");
    std::fs::write(&file, Presentation::new(both.clone()).to_base64()).unwrap();
    let verified = player.ok(&["verify", file.to_str().unwrap()]);
    let out = String::from_utf8_lossy(&verified.stdout).to_string();
    assert!(
        out.contains("alpha-league") && out.contains("bravo-clan"),
        "{out}"
    );

    // A revokes the player's ratings: the wallet marks them, A refuses them, B is unaffected.
    let revoked = alpha.cli(&[
        "players",
        "revoke",
        &player.key().to_string(),
        "--record-type",
        "rating",
    ]);
    assert!(revoked.status.success(), "{}", text(&revoked));
    player.ok(&["refresh", "--reissue", "never"]);
    let ratings = of_type(&player.records("alpha-league"), "rating");
    assert!(!ratings.is_empty());
    assert!(
        ratings
            .iter()
            .all(|r| r["revoked"] == true && r["status"] == "revoked"),
        "{ratings:?}"
    );
    assert_eq!(
        alpha.verify(&alpha_rating).await,
        vec![(false, Some("revoked".into()))]
    );
    assert_eq!(bravo.verify(&bravo_rating).await, vec![(true, None)]);
    assert!(
        of_type(&player.records("bravo-clan"), "rating")
            .iter()
            .all(|r| r["status"] == "valid")
    );
    assert!(!player.run(&["present", "alpha-league"]).status.success());

    // A server with another key and no rotation chain answers at A's address: refused loudly,
    // A's wallet file untouched; B still syncs.
    alpha.stop();
    let mut impostor = Server::impostor_of(&alpha);
    impostor.start().await;
    let before = std::fs::read(player.wallet_file("alpha-league")).unwrap();
    let refresh = player.run(&["refresh"]);
    assert!(!refresh.status.success());
    let stderr = String::from_utf8_lossy(&refresh.stderr).to_string();
    assert!(
        stderr.contains("alpha-league") && stderr.contains("REFUSED"),
        "{}",
        text(&refresh)
    );
    assert!(
        String::from_utf8_lossy(&refresh.stdout).contains("bravo-clan"),
        "{}",
        text(&refresh)
    );
    assert_eq!(
        std::fs::read(player.wallet_file("alpha-league")).unwrap(),
        before
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_wallet_follows_voluntary_and_emergency_rotations() {
    let mut alpha = Server::new("Alpha League");
    alpha.start().await;
    let player = Player::new(None);
    let rival = Player::new(None);
    player.ok(&["join", &alpha.url()]);
    rival.ok(&["join", &alpha.url()]);
    alpha.play(1, player.key(), rival.key()).await;
    player.ok(&["refresh"]);
    let before_rotation: Vec<Vec<u8>> = player.stored("alpha-league").await;
    let old_match: Vec<Vec<u8>> = before_rotation
        .iter()
        .filter(|r| record_type_of(r) == scr::RecordType::Match)
        .cloned()
        .collect();
    assert_eq!(old_match.len(), 1);

    // Voluntary rotation: followed; what the old key signed stays valid through the grace.
    alpha.stop();
    let rotated = alpha.cli(&["keys", "rotate"]);
    assert!(rotated.status.success(), "{}", text(&rotated));
    alpha.start().await;
    let refresh = player.ok(&["refresh"]);
    assert!(
        String::from_utf8_lossy(&refresh.stdout).contains("followed a key rotation"),
        "{}",
        text(&refresh)
    );
    let current = alpha.signing_key().public_key().to_string();
    let communities: Value =
        serde_json::from_slice(&player.ok(&["communities", "--json"]).stdout).unwrap();
    assert_eq!(communities[0]["signing_key"], current.as_str());
    assert_ne!(communities[0]["pinned_key"], current.as_str());
    assert_eq!(alpha.verify(&old_match).await, vec![(true, None)]);
    assert!(
        player
            .records("alpha-league")
            .iter()
            .all(|r| r["status"] == "valid")
    );
    alpha.play(2, player.key(), rival.key()).await;
    player.ok(&["refresh"]);
    let matches = of_type(&player.records("alpha-league"), "match");
    assert_eq!(matches.len(), 2);
    assert!(
        matches
            .iter()
            .any(|m| m["record"]["community_key"] == current.as_str() && m["status"] == "valid")
    );

    // Emergency rotation with the recovery key: followed, new records verify, and what the
    // retired key signs after the rotation took effect is refused.
    let retired = alpha.signing_key();
    alpha.stop();
    let recovery = alpha.recovery_key_file();
    let emergency = alpha.cli(&[
        "keys",
        "emergency-rotate",
        "--recovery-key",
        recovery.to_str().unwrap(),
    ]);
    assert!(emergency.status.success(), "{}", text(&emergency));
    alpha.start().await;
    // The retired key's grace ends at the rotation's second (inclusive); step past it.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    alpha.play(3, player.key(), rival.key()).await;
    let refresh = player.ok(&["refresh"]);
    assert!(
        String::from_utf8_lossy(&refresh.stdout).contains("followed a key rotation"),
        "{}",
        text(&refresh)
    );
    let records = player.records("alpha-league");
    let retired_text = retired.public_key().to_string();
    let by_retired: Vec<&Value> = records
        .iter()
        .filter(|r| r["record"]["community_key"] == retired_text.as_str())
        .collect();
    assert!(!by_retired.is_empty());
    assert!(
        by_retired
            .iter()
            .all(|r| r["status"] == "key_outside_grace"),
        "{by_retired:?}"
    );
    let presented = player.present("alpha-league");
    let newest = alpha.signing_key().public_key();
    assert_eq!(
        scr::Record::decode(&presented[0]).unwrap().community_key(),
        newest
    );
    assert_eq!(alpha.verify(&presented).await, vec![(true, None)]);

    let forged = RecordBuilder::new(Payload::Rating(RatingPayload {
        game_module: "ra".into(),
        algorithm_id: "glicko2".into(),
        rating: 2_900_000,
        deviation: 50_000,
        volatility: 60_000,
        games_played: 500,
        wins: 500,
        losses: 0,
        draws: 0,
        streak: 500,
        rank: 1,
        percentile: 1000,
    }))
    .player(player.key())
    .sequence(1_000)
    .issued_at(unix_now() + 5)
    .sign(&retired)
    .unwrap();
    assert_eq!(
        alpha.verify(&[forged.as_bytes().to_vec()]).await,
        vec![(false, Some("key_outside_grace".into()))]
    );
    let file = player.dir.path().join("forged.scr");
    std::fs::write(&file, forged.as_bytes()).unwrap();
    let checked = player.run(&["verify", file.to_str().unwrap()]);
    assert!(!checked.status.success());
    assert!(
        String::from_utf8_lossy(&checked.stdout).contains("key_outside_grace"),
        "{}",
        text(&checked)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_sync_leaves_no_partial_records_and_the_backup_phrase_restores_everything() {
    let mut alpha = Server::new("Alpha League");
    alpha.start().await;
    let player = Player::new(Some("correct horse battery"));
    let rival = Player::new(None);
    player.ok(&["join", &alpha.url()]);
    rival.ok(&["join", &alpha.url()]);
    const MATCHES: u64 = 12;
    for game in 0..MATCHES {
        alpha.play(100 + game, player.key(), rival.key()).await;
    }
    let wallet = player.wallet_file("alpha-league");
    let count_matches = |bytes: &[Vec<u8>]| {
        bytes
            .iter()
            .filter(|r| record_type_of(r) == scr::RecordType::Match)
            .count()
    };

    // Kill `ic refresh` at different moments; after each, the wallet opens cleanly and holds
    // either none of the new match records or all of them.
    let mut completed_by_a_killed_run = false;
    for delay_ms in [0u64, 20, 60, 120, 200, 300, 450] {
        let mut child = player
            .command(&["refresh"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(delay_ms));
        child.kill().unwrap();
        child.wait().unwrap();
        let store = CommunityStore::open(&wallet).await.unwrap();
        store.check_integrity().await.unwrap();
        let records: Vec<Vec<u8>> = store
            .records()
            .await
            .unwrap()
            .into_iter()
            .map(|r| r.bytes)
            .collect();
        store.close().await;
        let stored = count_matches(&records);
        assert!(
            stored == 0 || stored == usize::try_from(MATCHES).unwrap(),
            "partial sync: {stored} matches"
        );
        completed_by_a_killed_run |= stored > 0;
        if completed_by_a_killed_run {
            break;
        }
    }
    player.ok(&["refresh"]);
    assert_eq!(
        count_matches(&player.stored("alpha-league").await),
        usize::try_from(MATCHES).unwrap()
    );

    // Backup phrase -> recover in a fresh data directory -> same key, same registration.
    let backup = player.ok(&["identity", "backup"]);
    let phrase: Vec<String> = String::from_utf8_lossy(&backup.stdout)
        .lines()
        .map(|line| line.split_whitespace().nth(1).unwrap().to_owned())
        .collect();
    assert_eq!(phrase.len(), 24);
    let restored = Player::empty(Some("another passphrase"));
    let mut recover = restored
        .command(&["identity", "recover"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    recover
        .stdin
        .take()
        .unwrap()
        .write_all(phrase.join(" ").as_bytes())
        .unwrap();
    let recovered = recover.wait_with_output().unwrap();
    assert!(recovered.status.success(), "{}", text(&recovered));
    assert_eq!(restored.key(), player.key());
    let joined = restored.ok(&["join", &alpha.url()]);
    assert!(
        String::from_utf8_lossy(&joined.stdout).contains("already registered"),
        "{}",
        text(&joined)
    );
    assert_eq!(
        count_matches(&restored.stored("alpha-league").await),
        usize::try_from(MATCHES).unwrap()
    );
    let original = of_type(&player.records("alpha-league"), "rating");
    let copy = of_type(&restored.records("alpha-league"), "rating");
    let sequences = |ratings: &[Value]| {
        ratings
            .iter()
            .map(|r| r["record"]["sequence"].clone())
            .collect::<Vec<_>>()
    };
    assert!(!original.is_empty());
    assert_eq!(sequences(&original), sequences(&copy));
}
