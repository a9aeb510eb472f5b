//! Server time of the web UI's heaviest pages on a large community: the leaderboard with
//! 100,000 rated players (first page and a page deep in) and the moderator's case list with
//! 10,000 open cases, beside the JSON leaderboard the same query serves; a player's profile and
//! the leaderboard around a player in the middle. Also each page's size, and then the time and
//! peak memory of ending the season over all 100,000 players (`ic-server seasons end`).
//!
//! Run: `cargo bench -p ic-server --bench pages` (prints a table). The server is this build's
//! release binary on loopback, SQLite; rows are written straight into its database (registering
//! 100,000 players through the API would take the whole run). Times are of whole requests from a
//! client on the same machine, one at a time.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)] // benchmark harness

use std::time::{Duration, Instant};

#[path = "../tests/common/mod.rs"]
mod common;
#[path = "support/population.rs"]
mod population;

use common::{Server, TEST_LIMITS, cli};
use population::PLAYERS;

const CASES: u32 = 10_000;
const REQUESTS: usize = 200;

fn populate(dir: &std::path::Path) {
    population::into_sqlite(dir, ic_server::clock::unix_now());
    let mut conn = rusqlite::Connection::open(dir.join("ic-server.db")).unwrap();
    let tx = conn.transaction().unwrap();
    {
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
    // One request first, not counted: the first rank lookup builds the rank board.
    let warm = server
        .http
        .get(format!("{}{path}", server.url))
        .header("cookie", cookie);
    assert_eq!(warm.send().await.unwrap().status(), 200, "{path}");
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
    // A cursor half-way down: rank 50,000 holds the rating of its place in the permutation.
    let middle = (0..PLAYERS)
        .find(|&i| population::rating_of(i) == 800_000 + i64::from(PLAYERS / 2) * 20)
        .unwrap();
    let cursor = format!(
        "{}:ed25519:{}",
        population::rating_of(middle),
        hex::encode(population::key_of(middle))
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
            "/v1/players/{key} (rank 50,001)",
            &format!(
                "/v1/players/ed25519:{}",
                hex::encode(population::key_of(middle))
            ),
            "",
        )
        .await,
        measure(
            &server,
            "/v1/leaderboard?around={key}&limit=50 (rank 50,001)",
            &format!(
                "/v1/leaderboard?limit=50&around=ed25519:{}",
                hex::encode(population::key_of(middle))
            ),
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
    drop(server);
    season_change(dir.path());
}

/// Ends the season over every player with the CLI, as an operator would, and reports how long
/// it took and the process's peak resident memory (its `VmHWM`, read until it exits).
fn season_change(dir: &std::path::Path) {
    let started = Instant::now();
    let mut child = std::process::Command::new(common::binary())
        .arg("--data-dir")
        .arg(dir)
        .args(["seasons", "end"])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let status_file = format!("/proc/{}/status", child.id());
    let mut peak_kb = 0u64;
    let status = loop {
        if let Ok(text) = std::fs::read_to_string(&status_file)
            && let Some(line) = text.lines().find(|l| l.starts_with("VmHWM:"))
        {
            let kb = line
                .split_whitespace()
                .nth(1)
                .and_then(|v| v.parse().ok())
                .unwrap_or(0);
            peak_kb = peak_kb.max(kb);
        }
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        std::thread::sleep(Duration::from_millis(2));
    };
    let took = started.elapsed();
    assert!(status.success());
    let mut out = String::new();
    std::io::Read::read_to_string(&mut child.stdout.take().unwrap(), &mut out).unwrap();
    assert!(
        out.contains(&format!("{PLAYERS} standings archived")),
        "{out}"
    );
    println!();
    println!(
        "season change over {PLAYERS} players (`ic-server seasons end`, whole process): \
         {:.2} s, peak RSS {:.1} MB",
        took.as_secs_f64(),
        peak_kb as f64 / 1024.0
    );
}
