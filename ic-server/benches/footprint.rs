//! The server's footprint on a small machine: resident memory of an idle server with every
//! capability on, and the bytes the SQLite database grows by per registered player.
//!
//! Run: `cargo bench -p ic-server --bench footprint` (prints a table). The server is this
//! build's release binary on loopback; the database is measured after a clean stop (which
//! checkpoints the write-ahead log into the file).
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)] // benchmark harness

use std::path::Path;
use std::time::{Duration, Instant};

#[path = "../tests/common/mod.rs"]
mod common;

const PLAYERS: u32 = 2000;
const REGISTERING_AT_ONCE: usize = 16;

/// A line of `/proc/<pid>/status` in kB.
fn status_kb(pid: u32, field: &str) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    status
        .lines()
        .find_map(|line| line.strip_prefix(field))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|kb| kb.parse().ok())
        .unwrap()
}

fn database_bytes(dir: &Path) -> u64 {
    ["ic-server.db", "ic-server.db-wal"]
        .iter()
        .filter_map(|name| std::fs::metadata(dir.join(name)).ok())
        .map(|meta| meta.len())
        .sum()
}

/// Bytes each table's rows take (page use by table, from SQLite's dbstat when compiled in,
/// else the summed value lengths of its largest columns).
fn table_bytes(dir: &Path) -> Vec<(String, u64)> {
    let conn = rusqlite::Connection::open(dir.join("ic-server.db")).unwrap();
    let mut by_table = Vec::new();
    let dbstat =
        conn.prepare("SELECT name, SUM(pgsize) FROM dbstat GROUP BY name ORDER BY 2 DESC LIMIT 8");
    if let Ok(mut statement) = dbstat {
        let rows = statement
            .query_map([], |row| {
                Ok((row.get::<_, String>(0)?, row.get::<_, i64>(1)?))
            })
            .unwrap();
        for row in rows {
            let (name, bytes) = row.unwrap();
            by_table.push((name, u64::try_from(bytes).unwrap_or(0)));
        }
    }
    by_table
}

#[tokio::main]
async fn main() {
    let dir = tempfile::tempdir().unwrap();
    let config = format!(
        "{}[capabilities]\npreset = \"competitive\"\n",
        common::TEST_LIMITS
    );
    let mut server = common::Server::start(dir.path(), &config);
    // Idle: the start is done and every background task has run once.
    tokio::time::sleep(Duration::from_secs(10)).await;
    let pid = server.child.id();
    let idle_rss = status_kb(pid, "VmRSS:");
    assert!(server.stop().success());
    let empty = database_bytes(dir.path());

    let server = common::Server::spawn(dir.path());
    let started = Instant::now();
    let players: Vec<u32> = (0..PLAYERS).collect();
    for chunk in players.chunks(REGISTERING_AT_ONCE) {
        let keys: Vec<scr::KeyPair> = chunk
            .iter()
            .map(|i| common::player_from(10_000 + *i))
            .collect();
        futures_util::future::join_all(keys.iter().map(|key| server.register(key))).await;
    }
    let took = started.elapsed();
    let busy_rss = status_kb(server.child.id(), "VmHWM:");
    let mut server = server;
    assert!(server.stop().success());
    let full = database_bytes(dir.path());
    let per_player = (full.saturating_sub(empty)) as f64 / f64::from(PLAYERS);

    println!("| measure | value |");
    println!("|---|---|");
    println!(
        "| idle RSS, every capability on (SQLite) | {:.1} MB |",
        idle_rss as f64 / 1024.0
    );
    println!(
        "| peak RSS while registering {PLAYERS} players, {REGISTERING_AT_ONCE} at a time | {:.1} MB |",
        busy_rss as f64 / 1024.0
    );
    println!("| database before / after (after a clean stop) | {empty} / {full} bytes |");
    println!("| stored bytes per registered player | {per_player:.0} B |");
    println!(
        "| registrations per second (login + register over HTTP) | {:.0} |",
        f64::from(PLAYERS) / took.as_secs_f64()
    );
    for (table, bytes) in table_bytes(dir.path()) {
        println!(
            "| pages of `{table}` per player | {:.0} B |",
            bytes as f64 / f64::from(PLAYERS)
        );
    }
}
