//! A community of 100,000 players, each with a rating and a credential record, copies in
//! seconds: the batches keep the statements few.

use std::time::Duration;

use sqlx::Connection;

use super::super::sqlite_to_postgres;
use super::*;

const PLAYERS: i64 = 100_000;

#[tokio::test]
async fn a_hundred_thousand_players_copy_in_reasonable_time() {
    let dir = tempfile::tempdir().unwrap();
    let path = sqlite_schema(dir.path()).await;
    let mut sqlite = sqlite_writer(&path).await;
    let numbers = format!(
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {PLAYERS})"
    );
    for insert in [
        "INSERT INTO players (player_key, registered_at, last_sequence) \
         SELECT CAST(printf('%032d', i) AS BLOB), 1767225600 + i, i % 50 + 1 FROM n",
        "INSERT INTO ratings SELECT CAST(printf('%032d', i) AS BLOB), 'ra', 'glicko2', \
         1500 + i % 700, 60, 600, i % 40, i % 20, i % 15, 0, 0, 1767225600, i % 50 + 1, \
         1769817600, 1, NULL FROM n",
        "INSERT INTO issued_records SELECT CAST(printf('%032d', i) AS BLOB), i % 50 + 1, 1, \
         randomblob(300), randomblob(32), 1767225600 FROM n",
    ] {
        sqlx::query(&format!("{numbers} {insert}"))
            .execute(&mut sqlite)
            .await
            .unwrap();
    }
    sqlite.close().await.unwrap();
    let url = test_postgres::fresh_database();

    let summary = sqlite_to_postgres(&path, &url).await.unwrap();
    eprintln!("copied {PLAYERS} players in {:?}", summary.elapsed);
    assert_eq!(summary.players_verified, PLAYERS as u64);
    for (table, rows) in &summary.tables {
        let expected = match *table {
            "players" | "ratings" | "issued_records" => PLAYERS as u64,
            // The log's one row, as the schema wrote it (the records above were inserted
            // below the store, so the log does not hold them).
            "transparency_tree" => 1,
            _ => 0,
        };
        assert_eq!(*rows, expected, "{table}");
    }
    // Generous for a debug build on a busy two-core machine; a release build is far faster.
    assert!(
        summary.elapsed < Duration::from_secs(120),
        "{PLAYERS} players took {:?}",
        summary.elapsed
    );
}
