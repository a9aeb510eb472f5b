//! Throughput of the ranking authority, side by side with the pure cryptography it does:
//! certified-match ingest on SQLite vs 1 verify + 4 signs per match; the same ingest on
//! PostgreSQL (one process, then two processes on one database) vs SQLite in the same run; and
//! the credential verification endpoint under concurrent load vs raw record verification on
//! the same cores, on both backends.
//!
//! Run: `cargo bench -p ic-server --bench throughput` (prints a table; with
//! `THROUGHPUT_ACHIEVEMENTS_AB=1`, only SQLite ingest without and with achievements). PostgreSQL is a durable
//! throwaway cluster (fsync and synchronous commit on) started from the installed server
//! binaries, on the same machine; its CPU is not in the "CPU per item" column.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)] // benchmark harness

use std::sync::Arc;
use std::time::{Duration, Instant};

use base64::Engine;
use ic_server::config::Config;
use scr::{KeyPair, Verifier};

const MATCHES: u64 = 1000;
/// Players of the crowded community: every player is in about 25 of the 50 results in flight.
const FEW_PLAYERS: u32 = 40;
/// Players of the live community: as on a real server, results in flight rarely share a player
/// (a player is in one match at a time).
const MANY_PLAYERS: u32 = 1000;
/// Concurrent HTTP clients submitting results (a busy relay pool).
const SUBMITTERS: usize = 50;

// The integration tests' harness builds and signs certified results; the bench shares it.
#[path = "../tests/common/mod.rs"]
mod common;

fn player(index: u32) -> KeyPair {
    common::player_from(index)
}

/// A 1v1 result between two of `players`, different for every `game`: each round pairs every
/// even-numbered player with a different odd-numbered one.
fn cmr(relay: &KeyPair, community: &KeyPair, players: u32, game: u64) -> Vec<u8> {
    let players = u64::from(players);
    let round = game * 2 / players;
    let a = (game * 2 % players) as u32;
    let b = ((game * 2 + 1 + 2 * round) % players) as u32;
    common::duel(
        relay,
        community.public_key().into(),
        &player(a),
        &player(b),
        game,
    )
}

struct Fixture {
    url: String,
    http: reqwest::Client,
    community: KeyPair,
    relay: KeyPair,
    authority: Arc<ic_server::authority::Authority>,
    _dir: tempfile::TempDir,
}

/// A real data directory and server serving HTTP on loopback: on SQLite (synchronous=FULL)
/// when `database` is `None`, else on that PostgreSQL database, with `players` players
/// registered. With `keys_from`, it takes that fixture's keys (another process of the same
/// community, or the same community on another backend).
async fn fixture_on(players: u32, database: Option<&str>, keys_from: Option<&Fixture>) -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let data = ic_server::data_dir::DataDir::new(dir.path());
    data.init(&mut rand::rngs::OsRng).unwrap();
    if let Some(other) = keys_from {
        for file in ["keys/signing.key", "keys/relay.key", "keys/recovery.pub"] {
            std::fs::copy(other._dir.path().join(file), dir.path().join(file)).unwrap();
        }
    }
    let mut config = Config::default();
    if WITHOUT_ACHIEVEMENTS.load(std::sync::atomic::Ordering::SeqCst) {
        config.achievements.definitions.clear();
    }
    config.http.rate_limit_per_minute = 100_000;
    config.ranking.registrations_per_ip_per_day = 10_000;
    if let Some(url) = database {
        config.storage.url = url.to_owned();
    }
    let services = ic_server::server::open(&data, &config).await.unwrap();
    services
        .state
        .ready
        .store(true, std::sync::atomic::Ordering::SeqCst);
    let authority = services.state.capabilities.authority.clone().unwrap();
    for index in 0..players {
        authority
            .register(
                player(index).public_key().into(),
                None,
                "127.0.0.1",
                ic_server::clock::unix_now(),
            )
            .await
            .unwrap();
    }
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let app = ic_server::http::router(services.state.clone())
        .into_make_service_with_connect_info::<std::net::SocketAddr>();
    tokio::spawn(async move { axum::serve(listener, app).await });
    let keys = data.keys().unwrap();
    Fixture {
        url,
        http: reqwest::Client::new(),
        community: keys.signing,
        relay: keys.relay,
        authority,
        _dir: dir,
    }
}

/// A fixture on SQLite.
/// Set for the achievements A/B: fixtures then award no achievements.
static WITHOUT_ACHIEVEMENTS: std::sync::atomic::AtomicBool =
    std::sync::atomic::AtomicBool::new(false);

/// `THROUGHPUT_ACHIEVEMENTS_AB=1`: SQLite ingest without and with the default achievement
/// definitions, side by side in one run (the cost of awarding them in the match's change).
async fn achievements_ab() {
    for players in [FEW_PLAYERS, MANY_PLAYERS] {
        WITHOUT_ACHIEVEMENTS.store(true, std::sync::atomic::Ordering::SeqCst);
        let without = ingest_concurrently(players).await;
        WITHOUT_ACHIEVEMENTS.store(false, std::sync::atomic::Ordering::SeqCst);
        let with = ingest_concurrently(players).await;
        without.row(
            &format!("SQLite ingest, {SUBMITTERS} submitters, {players} players, no achievements (baseline)"),
            None,
        );
        with.row(
            &format!(
                "SQLite ingest, {SUBMITTERS} submitters, {players} players, default achievements"
            ),
            Some(without),
        );
    }
}

async fn fixture(players: u32) -> Fixture {
    fixture_on(players, None, None).await
}

async fn post_match(f: &Fixture, body: Vec<u8>) {
    let response = f
        .http
        .post(format!("{}/v1/matches", f.url))
        .header("content-type", "application/octet-stream")
        .body(body)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    assert_eq!(status, 201, "{}", response.text().await.unwrap_or_default());
}

/// The cryptography of one ingest: verify the relay's signature, sign 2 records for 2 players.
fn crypto_only(relay: &KeyPair, signing: &KeyPair, cmr: &[u8]) {
    let split = cmr.len() - 64;
    let mut signature = [0u8; 64];
    signature.copy_from_slice(&cmr[split..]);
    scr::signature::verify_signature(&relay.public_key(), &cmr[..split], &signature).unwrap();
    for i in 0..4u8 {
        std::hint::black_box(signing.sign(&[&cmr[..200], &[i]].concat()));
    }
}

/// A throughput and the process CPU time it took per item.
#[derive(Clone, Copy)]
struct Measured {
    per_second: f64,
    cpu_us: f64,
}

impl Measured {
    /// Times `count` items done by `work`.
    async fn of<F: std::future::Future<Output = ()>>(count: u64, work: F) -> Self {
        let (cpu, started) = (process_cpu(), Instant::now());
        work.await;
        let wall = started.elapsed();
        Self {
            per_second: rate(count, wall),
            cpu_us: (process_cpu() - cpu).as_secs_f64() * 1e6 / count as f64,
        }
    }

    fn row(&self, name: &str, baseline: Option<Measured>) {
        let ratio = baseline.map_or("1.00".to_string(), |b| {
            format!("{:.2}", self.per_second / b.per_second)
        });
        println!(
            "| {name} | {:.0} | {:.0} µs | {ratio} |",
            self.per_second, self.cpu_us
        );
    }
}

/// [`crypto_only`] over `matches`, split over `threads` threads.
async fn crypto_rate(f: &Fixture, matches: &[Vec<u8>], threads: usize) -> Measured {
    Measured::of(matches.len() as u64, async {
        std::thread::scope(|scope| {
            for lane in 0..threads {
                scope.spawn(move || {
                    for m in matches.iter().skip(lane).step_by(threads) {
                        crypto_only(&f.relay, &f.community, m);
                    }
                });
            }
        });
    })
    .await
}

/// Results posted by [`SUBMITTERS`] concurrent clients to a fresh server whose community has
/// `players` players.
async fn ingest_concurrently(players: u32) -> Measured {
    ingest_spread(vec![Arc::new(fixture(players).await)], players).await
}

/// Results posted by [`SUBMITTERS`] concurrent clients spread evenly over `servers` (processes
/// of one community), whose community has `players` players.
async fn ingest_spread(servers: Vec<Arc<Fixture>>, players: u32) -> Measured {
    let f = servers[0].clone();
    let matches: Vec<Vec<u8>> = (0..MATCHES)
        .map(|g| cmr(&f.relay, &f.community, players, g))
        .collect();
    // Submitters take results in order from one queue, as a relay pool posts them as they end.
    let queue = Arc::new(std::sync::Mutex::new(matches.into_iter()));
    Measured::of(MATCHES, async {
        let mut tasks = Vec::new();
        for submitter in 0..SUBMITTERS {
            let f = servers[submitter % servers.len()].clone();
            let queue = queue.clone();
            tasks.push(tokio::spawn(async move {
                loop {
                    let next = queue.lock().unwrap().next();
                    let Some(m) = next else { break };
                    post_match(&f, m).await;
                }
            }));
        }
        for task in tasks {
            task.await.unwrap();
        }
    })
    .await
}

/// CPU time this process has used (user + system), from `/proc/self/stat`; zero where that
/// file does not exist. Per-result CPU time does not depend on what else the machine runs.
fn process_cpu() -> Duration {
    let ticks = std::fs::read_to_string("/proc/self/stat")
        .ok()
        .and_then(|stat| {
            // Fields after the parenthesised command name; utime and stime are the 12th and
            // 13th of those, in clock ticks (100 per second on Linux).
            let rest = stat.rsplit_once(')')?.1;
            let fields: Vec<&str> = rest.split_whitespace().collect();
            Some(fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?)
        })
        .unwrap_or(0);
    Duration::from_millis(ticks * 10)
}

fn rate(count: u64, elapsed: Duration) -> f64 {
    count as f64 / elapsed.as_secs_f64()
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    println!(
        "machine: {} cores",
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );
    println!();
    println!("| benchmark | per second | CPU per item | ratio to baseline |");
    println!("|---|---:|---:|---:|");
    if std::env::var_os("THROUGHPUT_ACHIEVEMENTS_AB").is_some() {
        return achievements_ab().await;
    }

    // --- ingest ---
    let f = fixture(FEW_PLAYERS).await;
    let matches: Vec<Vec<u8>> = (0..MATCHES)
        .map(|g| cmr(&f.relay, &f.community, FEW_PLAYERS, g))
        .collect();
    let crypto = crypto_rate(&f, &matches, 1).await;
    let crypto2 = crypto_rate(&f, &matches, 2).await;
    let sequential = Measured::of(MATCHES, async {
        for m in &matches {
            post_match(&f, m.clone()).await;
        }
    })
    .await;
    let crowded = ingest_concurrently(FEW_PLAYERS).await;
    let live = ingest_concurrently(MANY_PLAYERS).await;
    crypto.row(
        "crypto only: 1 verify + 4 signs per match, 1 thread (baseline)",
        None,
    );
    crypto2.row("crypto only, 2 threads", Some(crypto));
    sequential.row(
        &format!("ingest 2-player CMR, sequential, {FEW_PLAYERS} players"),
        Some(crypto),
    );
    for (players, measured) in [(FEW_PLAYERS, crowded), (MANY_PLAYERS, live)] {
        measured.row(
            &format!("ingest 2-player CMR, {SUBMITTERS} concurrent submitters, {players} players"),
            Some(crypto),
        );
    }

    // --- ingest on PostgreSQL, same run ---
    let cluster = test_postgres::Cluster::start_durable().unwrap();
    let mut postgres = Vec::new();
    for players in [FEW_PLAYERS, MANY_PLAYERS] {
        let database = cluster.fresh_database();
        let one = Arc::new(fixture_on(players, Some(&database), None).await);
        let single = ingest_spread(vec![one.clone()], players).await;
        let database = cluster.fresh_database();
        let first = Arc::new(fixture_on(players, Some(&database), None).await);
        let second = Arc::new(fixture_on(0, Some(&database), Some(&first)).await);
        let pair = ingest_spread(vec![first, second], players).await;
        postgres.push((players, single, pair));
    }
    for ((players, single, pair), sqlite) in postgres.into_iter().zip([crowded, live]) {
        sqlite.row(
            &format!("ingest on SQLite, {SUBMITTERS} submitters, {players} players (baseline)"),
            None,
        );
        single.row(
            &format!("ingest on PostgreSQL, 1 process, {players} players"),
            Some(sqlite),
        );
        pair.row(
            &format!("ingest on PostgreSQL, 2 processes, {players} players"),
            Some(sqlite),
        );
    }

    // --- credential verification ---
    verification(&f, "SQLite").await;
    let database = cluster.fresh_database();
    let on_postgres = fixture_on(FEW_PLAYERS, Some(&database), Some(&f)).await;
    for m in matches.iter().take(200) {
        post_match(&on_postgres, m.clone()).await;
    }
    verification(&on_postgres, "PostgreSQL").await;
}

/// Raw verification of records `f` issued vs the verification endpoint of `f`'s server.
async fn verification(f: &Fixture, backend: &str) {
    let verifier = Verifier::for_key(f.community.public_key().into()).unwrap();
    let mut presented = Vec::new();
    for index in 0..FEW_PLAYERS {
        let records = f
            .authority
            .records_since(&player(index).public_key().into(), 0)
            .await
            .unwrap();
        presented.extend(records.into_iter().map(|r| r.bytes).take(8));
    }
    let presented: Vec<Vec<u8>> = presented.into_iter().take(256).collect();
    let rounds = 20u64;
    let now = ic_server::clock::unix_now();
    let raw = Measured::of(rounds * presented.len() as u64, async {
        std::thread::scope(|scope| {
            for lane in 0..2 {
                let (verifier, presented) = (&verifier, &presented);
                scope.spawn(move || {
                    for _ in 0..rounds {
                        for bytes in presented.iter().skip(lane).step_by(2) {
                            verifier.verify(bytes, now).unwrap();
                        }
                    }
                });
            }
        });
    })
    .await;
    let b64 = base64::engine::general_purpose::STANDARD;
    let encoded: Vec<String> = presented.iter().map(|r| b64.encode(r)).collect();
    let per_request = 64;
    let bodies: Vec<serde_json::Value> = encoded
        .chunks(per_request)
        .map(|chunk| serde_json::json!({ "records": chunk }))
        .collect();
    let endpoint = Measured::of(rounds * presented.len() as u64, async {
        let mut tasks = Vec::new();
        for _ in 0..rounds {
            for body in &bodies {
                let http = f.http.clone();
                let url = format!("{}/v1/credentials/verify", f.url);
                let body = body.clone();
                tasks.push(tokio::spawn(async move {
                    let reply: serde_json::Value = http
                        .post(url)
                        .json(&body)
                        .send()
                        .await
                        .unwrap()
                        .json()
                        .await
                        .unwrap();
                    for result in reply["results"].as_array().unwrap() {
                        assert!(
                            result["valid"] == true || result["error"] == "stale",
                            "{result}"
                        );
                    }
                }));
            }
        }
        for task in tasks {
            task.await.unwrap();
        }
    })
    .await;
    raw.row("raw record verification, 2 threads (baseline)", None);
    endpoint.row(
        &format!(
            "POST /v1/credentials/verify on {backend}, {per_request} records per request, {} \
             concurrent requests",
            bodies.len() as u64 * rounds
        ),
        Some(raw),
    );
}
