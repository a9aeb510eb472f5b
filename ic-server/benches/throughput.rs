//! Throughput of the ranking authority, side by side with the pure cryptography it does:
//! certified-match ingest on SQLite vs 1 verify + 4 signs per match, and the credential
//! verification endpoint under concurrent load vs raw record verification on the same cores.
//!
//! Run: `cargo bench -p ic-server --bench throughput` (prints a table).
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)] // benchmark harness

use std::sync::Arc;
use std::time::{Duration, Instant};

use base64::Engine;
use ic_server::config::Config;
use scr::{KeyPair, Verifier};

const MATCHES: u64 = 1000;
const PLAYERS: u32 = 40;
/// Concurrent HTTP clients submitting results (a busy relay pool).
const SUBMITTERS: usize = 50;

// The integration tests' harness builds and signs certified results; the bench shares it.
#[path = "../tests/common/mod.rs"]
mod common;

fn player(index: u32) -> KeyPair {
    common::player_from(index)
}

/// A 1v1 result between two of the players, different for every `game`.
fn cmr(relay: &KeyPair, community: &KeyPair, game: u64) -> Vec<u8> {
    let a = (game % u64::from(PLAYERS)) as u32;
    let b = ((game * 7 + 3) % u64::from(PLAYERS)) as u32;
    let b = if a == b { (b + 1) % PLAYERS } else { b };
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

/// A real data directory and server (SQLite, synchronous=FULL) serving HTTP on loopback.
async fn fixture() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let data = ic_server::data_dir::DataDir::new(dir.path());
    data.init(&mut rand::rngs::OsRng).unwrap();
    let mut config = Config::default();
    config.http.rate_limit_per_minute = 100_000;
    config.ranking.registrations_per_ip_per_day = 10_000;
    let services = ic_server::server::open(&data, &config).await.unwrap();
    services
        .state
        .ready
        .store(true, std::sync::atomic::Ordering::SeqCst);
    let authority = services.state.authority.clone().unwrap();
    for index in 0..PLAYERS {
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
    println!("| benchmark | per second | ratio to baseline |");
    println!("|---|---:|---:|");

    // --- ingest ---
    let f = fixture().await;
    let matches: Vec<Vec<u8>> = (0..MATCHES)
        .map(|g| cmr(&f.relay, &f.community, g))
        .collect();
    let started = Instant::now();
    for m in &matches {
        crypto_only(&f.relay, &f.community, m);
    }
    let crypto = rate(MATCHES, started.elapsed());
    let started = Instant::now();
    for m in &matches {
        post_match(&f, m.clone()).await;
    }
    let sequential = rate(MATCHES, started.elapsed());
    let f2 = fixture().await;
    let matches2: Vec<Vec<u8>> = (0..MATCHES)
        .map(|g| cmr(&f2.relay, &f2.community, g))
        .collect();
    let f2 = Arc::new(f2);
    let started = Instant::now();
    let mut tasks = Vec::new();
    for chunk in matches2.chunks(matches2.len() / SUBMITTERS) {
        let fixture = f2.clone();
        let chunk = chunk.to_vec();
        tasks.push(tokio::spawn(async move {
            for m in chunk {
                post_match(&fixture, m).await;
            }
        }));
    }
    for task in tasks {
        task.await.unwrap();
    }
    let concurrent = rate(MATCHES, started.elapsed());
    println!("| crypto only: 1 verify + 4 signs per match (baseline) | {crypto:.0} | 1.00 |");
    println!(
        "| ingest 2-player CMR, sequential | {sequential:.0} | {:.2} |",
        sequential / crypto
    );
    println!(
        "| ingest 2-player CMR, {SUBMITTERS} concurrent submitters | {concurrent:.0} | {:.2} |",
        concurrent / crypto
    );

    // --- credential verification ---
    let verifier = Verifier::for_key(f.community.public_key().into()).unwrap();
    let mut presented = Vec::new();
    for index in 0..PLAYERS {
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
    let started = Instant::now();
    let mut handles = Vec::new();
    for lane in 0..2 {
        let verifier = verifier.clone();
        let presented = presented.clone();
        handles.push(std::thread::spawn(move || {
            for _ in 0..rounds {
                for bytes in presented.iter().skip(lane).step_by(2) {
                    verifier.verify(bytes, now).unwrap();
                }
            }
        }));
    }
    for handle in handles {
        handle.join().unwrap();
    }
    let raw = rate(rounds * presented.len() as u64, started.elapsed());
    let b64 = base64::engine::general_purpose::STANDARD;
    let encoded: Vec<String> = presented.iter().map(|r| b64.encode(r)).collect();
    let per_request = 64;
    let bodies: Vec<serde_json::Value> = encoded
        .chunks(per_request)
        .map(|chunk| serde_json::json!({ "records": chunk }))
        .collect();
    let started = Instant::now();
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
    let endpoint = rate(rounds * presented.len() as u64, started.elapsed());
    println!("| raw record verification, 2 threads (baseline) | {raw:.0} | 1.00 |");
    println!(
        "| POST /v1/credentials/verify, {per_request} records per request, {} concurrent requests | {endpoint:.0} | {:.2} |",
        bodies.len() as u64 * rounds,
        endpoint / raw
    );
}
