//! What arrives: every value of every table, converted to PostgreSQL's types, the moderation
//! tables numbered in SQLite's insertion order; a verification that differs names its table,
//! and a copy that fails part-way leaves the target empty.

use sqlx::Connection;

use super::super::{copy, source, sqlite_to_postgres, verify};
use super::*;
use crate::store::postgres::PostgresStore;
use crate::store::transfer::TransferError;

#[tokio::test]
async fn every_value_arrives_converted_and_in_insertion_order() {
    let dir = tempfile::tempdir().unwrap();
    let path = sqlite_schema(dir.path()).await;
    let filled = fill(&path, 7).await;
    let url = test_postgres::fresh_database();

    let summary = sqlite_to_postgres(&path, &url).await.unwrap();
    let expected: Vec<(&str, u64)> = filled
        .iter()
        .map(|(name, rows)| (*name, rows.len() as u64))
        .collect();
    assert_eq!(summary.tables, expected);
    assert_eq!(summary.players_verified, 7);

    let mut target = postgres(&url).await;
    for (table, (name, mut rows)) in TABLES.iter().zip(filled) {
        assert_eq!(table.name, name);
        if !table.seq {
            sort(&mut rows);
        }
        assert_eq!(
            postgres_rows(&mut target, table).await,
            rows,
            "{name}: every value, and for a table with seq its insertion order"
        );
    }
    target.close().await.unwrap();
}

/// Copies the synthetic source into a fresh target inside a transaction, lets `tamper` change
/// the copy, then verifies; returns what verification said.
async fn verify_after(tamper: &str) -> Result<u64, TransferError> {
    let dir = tempfile::tempdir().unwrap();
    let path = sqlite_schema(dir.path()).await;
    fill(&path, 3).await;
    let store = PostgresStore::open(&test_postgres::fresh_database())
        .await
        .unwrap();
    let mut sqlite = source::open(&path).await.unwrap();
    let mut snapshot = sqlite.begin().await.unwrap();
    let mut transaction = store.pool().begin().await.unwrap();
    copy::all(&mut snapshot, &mut transaction).await.unwrap();
    sqlx::query(tamper)
        .execute(&mut *transaction)
        .await
        .unwrap();
    verify::all(&mut snapshot, &mut transaction).await
}

#[tokio::test]
async fn verification_passes_on_a_faithful_copy() {
    assert_eq!(verify_after("SELECT 1").await.unwrap(), 3);
}

#[tokio::test]
async fn verification_names_a_table_whose_rows_differ() {
    let error = verify_after("DELETE FROM roles WHERE ctid IN (SELECT ctid FROM roles LIMIT 1)")
        .await
        .unwrap_err();
    assert!(
        matches!(
            error,
            TransferError::CountMismatch {
                table: "roles",
                sqlite: 3,
                postgres: 2
            }
        ),
        "{error}"
    );
    assert!(error.to_string().contains("table roles"), "{error}");
}

#[tokio::test]
async fn verification_compares_every_players_last_sequence() {
    let error = verify_after(
        "UPDATE players SET last_sequence = last_sequence - 1 \
         WHERE player_key = (SELECT player_key FROM players ORDER BY player_key LIMIT 1)",
    )
    .await
    .unwrap_err();
    assert!(
        matches!(error, TransferError::SequenceMismatch(1)),
        "{error}"
    );
    assert!(error.to_string().contains("table players"), "{error}");
}

#[tokio::test]
async fn a_copy_that_fails_part_way_leaves_the_target_empty() {
    let dir = tempfile::tempdir().unwrap();
    let path = sqlite_schema(dir.path()).await;
    fill(&path, 3).await;
    // SQLite keeps what it is given: text where the last table wants a number.
    let mut sqlite = sqlite_writer(&path).await;
    sqlx::query("UPDATE relay_outbox SET attempts = 'many' WHERE rowid = 2")
        .execute(&mut sqlite)
        .await
        .unwrap();
    sqlite.close().await.unwrap();
    let url = test_postgres::fresh_database();

    let error = sqlite_to_postgres(&path, &url).await.unwrap_err();
    assert!(
        matches!(
            error,
            TransferError::Read {
                table: "relay_outbox",
                ..
            }
        ),
        "{error}"
    );
    // Every table before it had been written in the transaction: none was committed.
    for (table, rows) in postgres_counts(&url).await {
        assert_eq!(rows, 0, "{table}");
    }
}
