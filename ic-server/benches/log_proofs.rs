//! Serving transparency-log proofs from a large log: a community whose log holds `LEAVES`
//! leaves (10 million by default) answers inclusion and consistency proofs over HTTP; the
//! table gives their latency (p50, p99, max) and the bytes the log takes per leaf.
//!
//! Run: `cargo bench -p ic-server --bench log_proofs [-- LEAVES]`. The server is this build's
//! release binary on loopback, on SQLite. The log is written straight into the database before
//! the server starts (the same rows the server's appends write, built with the same
//! `transparency::Frontier`), since issuing ten million real records would take hours.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)] // benchmark harness

use std::path::Path;
use std::time::{Duration, Instant};

use rand::{Rng, SeedableRng};
use transparency::{Frontier, Hash, leaf_hash};

#[path = "../tests/common/mod.rs"]
mod common;

const REQUESTS: usize = 2000;
const CHUNK: u64 = 100_000;

fn leaf(index: u64) -> Hash {
    leaf_hash(&index.to_be_bytes())
}

/// Writes a log of `leaves` leaves into the server's SQLite database at `db`.
fn fill(db: &Path, leaves: u64) {
    let mut conn = rusqlite::Connection::open(db).unwrap();
    conn.pragma_update(None, "journal_mode", "WAL").unwrap();
    conn.pragma_update(None, "synchronous", "OFF").unwrap();
    let mut tree = Frontier::empty();
    let mut by_hash: Vec<(Hash, u64)> = Vec::with_capacity(leaves as usize);
    let tx = conn.transaction().unwrap();
    {
        let mut hashes = tx
            .prepare("INSERT INTO transparency_hashes (position, hash) VALUES (?, ?)")
            .unwrap();
        let mut first = 0;
        while first < leaves {
            let last = (first + CHUNK).min(leaves);
            let chunk: Vec<Hash> = (first..last).map(leaf).collect();
            by_hash.extend(chunk.iter().copied().zip(first..last));
            let appended = tree.append(&chunk).unwrap();
            for (offset, hash) in appended.hashes.iter().enumerate() {
                let position = appended.first_position + offset as u64;
                hashes
                    .execute(rusqlite::params![position as i64, hash.as_slice()])
                    .unwrap();
            }
            first = last;
        }
        // The index by leaf hash is a B-tree keyed by hash: inserting in hash order keeps the
        // fill minutes, not hours.
        by_hash.sort_unstable();
        let mut index = tx
            .prepare("INSERT INTO transparency_leaves (leaf_hash, leaf_index) VALUES (?, ?)")
            .unwrap();
        for (hash, at) in &by_hash {
            index
                .execute(rusqlite::params![hash.as_slice(), *at as i64])
                .unwrap();
        }
    }
    tx.execute(
        "UPDATE transparency_tree SET size = ?, frontier = ?, backfilled = 1 WHERE id = 1",
        rusqlite::params![tree.size() as i64, tree.to_bytes()],
    )
    .unwrap();
    tx.commit().unwrap();
    conn.pragma_update(None, "wal_checkpoint", "TRUNCATE")
        .unwrap();
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

fn row(name: &str, mut took: Vec<Duration>) {
    took.sort_unstable();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!(
        "| {name} | {REQUESTS} | {:.2} | {:.2} | {:.2} |",
        ms(percentile(&took, 0.5)),
        ms(percentile(&took, 0.99)),
        ms(*took.last().unwrap())
    );
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let leaves: u64 = std::env::args()
        .skip(1)
        .find_map(|arg| arg.parse().ok())
        .unwrap_or(10_000_000);
    let dir = tempfile::tempdir().unwrap();
    let config = "[transparency]\ncheckpoint_secs = 1\n";
    // Start once so the schema exists, then write the log into it.
    let mut server = common::Server::start(dir.path(), config);
    server.stop();
    let db = dir.path().join("ic-server.db");
    let filling = Instant::now();
    fill(&db, leaves);
    let filled = filling.elapsed();
    let bytes = std::fs::metadata(&db).unwrap().len();

    let server = common::Server::spawn(dir.path());
    // Wait for the first checkpoint of the whole log.
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let (status, _) = server.get("/v1/transparency/checkpoint", None).await;
        if status == 200 {
            break;
        }
        assert!(Instant::now() < deadline, "no checkpoint");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let mut rng = rand::rngs::StdRng::seed_from_u64(21);
    let mut inclusion = Vec::with_capacity(REQUESTS);
    for _ in 0..REQUESTS {
        let index = rng.gen_range(0..leaves);
        let path = format!(
            "/v1/transparency/inclusion?hash={}&tree_size={leaves}",
            hex::encode(leaf(index))
        );
        let started = Instant::now();
        let (status, body) = server.get(&path, None).await;
        inclusion.push(started.elapsed());
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["leaf_index"], index);
    }
    let mut consistency = Vec::with_capacity(REQUESTS);
    for _ in 0..REQUESTS {
        let first = rng.gen_range(1..=leaves);
        let path = format!("/v1/transparency/consistency?first={first}&second={leaves}");
        let started = Instant::now();
        let (status, body) = server.get(&path, None).await;
        consistency.push(started.elapsed());
        assert_eq!(status, 200, "{body}");
    }
    println!(
        "log of {leaves} leaves: written in {:.0} s; database {:.0} MB, {:.1} B per leaf",
        filled.as_secs_f64(),
        bytes as f64 / 1e6,
        bytes as f64 / leaves as f64
    );
    println!("| proof | requests | p50 ms | p99 ms | max ms |");
    println!("|---|---|---|---|---|");
    row("inclusion", inclusion);
    row("consistency", consistency);
}
