//! Server time of the web UI's heaviest pages on a large community: the leaderboard with
//! 100,000 rated players (first page and a page deep in) and the moderator's case list with
//! 10,000 open cases, beside the JSON leaderboard the same query serves. Also each page's size.
//!
//! Run: `cargo bench -p ic-server --bench pages` (prints a table). The server is this build's
//! release binary on loopback, SQLite; rows are written straight into its database (registering
//! 100,000 players through the API would take the whole run). Times are of whole requests from a
//! client on the same machine, one at a time.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)] // benchmark harness

use std::time::{Duration, Instant};

#[path = "../tests/common/mod.rs"]
mod common;

use common::{Server, TEST_LIMITS, cli};

const PLAYERS: u32 = 100_000;
const CASES: u32 = 10_000;
const REQUESTS: usize = 200;

fn populate(dir: &std::path::Path) {
    let mut conn = rusqlite::Connection::open(dir.join("ic-server.db")).unwrap();
    let tx = conn.transaction().unwrap();
    {
        let mut player = tx
            .prepare(
                "INSERT INTO players (player_key, registered_at, last_sequence) VALUES (?1, 0, 1)",
            )
            .unwrap();
        let mut rating = tx
            .prepare(
                "INSERT INTO ratings (player_key, game_module, algorithm_id, rating, deviation, \
                 volatility, games_played, wins, losses, draws, streak, last_played_at, \
                 rating_sequence, rating_expires_at) \
                 VALUES (?1, 'ra', 'glicko2', ?2, 60000, 60000, 30, 15, 15, 0, 0, 0, 1, 4102444800)",
            )
            .unwrap();
        for i in 0..PLAYERS {
            let mut key = [0u8; 32];
            key[..4].copy_from_slice(&i.to_be_bytes());
            key[31] = 1;
            player.execute(rusqlite::params![key.as_slice()]).unwrap();
            // Spread over 800..2800 points, ×1000, no two alike.
            let points = 800_000 + i64::from(i * 7919 % PLAYERS) * 20;
            rating
                .execute(rusqlite::params![key.as_slice(), points])
                .unwrap();
        }
        let mut case = tx
            .prepare(
                "INSERT INTO mod_cases (case_id, category, state, created_at, updated_at, \
                 severity_hint, accused_key, required_reviewers) \
                 VALUES (?1, 'griefing', 'queued', ?2, ?2, ?3, ?4, 3)",
            )
            .unwrap();
        for i in 0..CASES {
            let mut key = [0u8; 32];
            key[..4].copy_from_slice(&i.to_be_bytes());
            key[31] = 1;
            case.execute(rusqlite::params![
                format!("case_{i:016x}"),
                i64::from(i),
                i % 100,
                key.as_slice()
            ])
            .unwrap();
        }
    }
    tx.commit().unwrap();
}

struct Row {
    page: &'static str,
    p50: Duration,
    p99: Duration,
    bytes: usize,
}

async fn measure(server: &Server, page: &'static str, path: &str, cookie: &str) -> Row {
    let mut times = Vec::with_capacity(REQUESTS);
    let mut bytes = 0;
    for _ in 0..REQUESTS {
        let started = Instant::now();
        let response = server
            .http
            .get(format!("{}{path}", server.url))
            .header("cookie", cookie)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "{path}");
        bytes = response.bytes().await.unwrap().len();
        times.push(started.elapsed());
    }
    times.sort();
    Row {
        page,
        p50: times[REQUESTS / 2],
        p99: times[REQUESTS * 99 / 100],
        bytes,
    }
}

#[tokio::main]
async fn main() {
    let dir = tempfile::tempdir().unwrap();
    let config = format!(
        "{TEST_LIMITS}[capabilities]\npreset = \"competitive\"\n\
         [rating.leaderboard]\nmin_matches = 0\nmin_distinct_opponents = 0\n"
    );
    // A first start creates the database and its schema.
    let mut server = Server::start(dir.path(), &config);
    server.stop();
    let started = Instant::now();
    populate(dir.path());
    eprintln!(
        "wrote {PLAYERS} players and {CASES} cases in {:?}",
        started.elapsed()
    );
    let admin = scr::KeyPair::from_seed([200; 32]);
    let key = admin.public_key().to_string();
    let (code, _, err) = cli(dir.path(), &["roles", "grant", &key, "admin"]);
    assert_eq!(code, 0, "{err}");
    let server = Server::spawn(dir.path());
    let link = common::web::operator_login_link(&server, &admin);
    let cookie = common::web::session_of(&common::web::sign_in(&server, &link).await);
    // A cursor half-way down: the rating at rank 50,000 is 800,000 + 49,999 × 20 (the ratings
    // are a permutation of the steps), and its key is the one holding that rating.
    let middle = (0..PLAYERS)
        .find(|i| i * 7919 % PLAYERS == PLAYERS / 2)
        .unwrap();
    let mut middle_key = [0u8; 32];
    middle_key[..4].copy_from_slice(&middle.to_be_bytes());
    middle_key[31] = 1;
    let cursor = format!(
        "{}:ed25519:{}",
        800_000 + i64::from(PLAYERS / 2) * 20,
        hex::encode(middle_key)
    );
    let rows = [
        measure(
            &server,
            "/ui/leaderboard (first page)",
            "/ui/leaderboard",
            "",
        )
        .await,
        measure(
            &server,
            "/ui/leaderboard (rank 50,001)",
            &format!("/ui/leaderboard?after={cursor}&start=50001"),
            "",
        )
        .await,
        measure(
            &server,
            "/v1/leaderboard?limit=50 (JSON)",
            "/v1/leaderboard?limit=50",
            "",
        )
        .await,
        measure(
            &server,
            "/ui/moderation/cases (200 of 10,000)",
            "/ui/moderation/cases",
            &cookie,
        )
        .await,
    ];
    println!("| page | p50 | p99 | size |");
    println!("|---|---|---|---|");
    for row in rows {
        println!(
            "| {} | {:.2} ms | {:.2} ms | {:.1} KB |",
            row.page,
            row.p50.as_secs_f64() * 1000.0,
            row.p99.as_secs_f64() * 1000.0,
            row.bytes as f64 / 1024.0
        );
    }
}
