//! What a migration refuses: a target whose ic-server tables hold rows (left exactly as it
//! was, not even given the schema), and a source that is not this ic-server's schema.
//! A target with only the empty schema, or only other applications' tables, is fine.

use sqlx::Connection;

use super::super::sqlite_to_postgres;
use super::*;
use crate::store::transfer::TransferError;

#[tokio::test]
async fn a_target_holding_ic_server_rows_is_refused_and_left_as_it_was() {
    let dir = tempfile::tempdir().unwrap();
    let path = sqlite_schema(dir.path()).await;
    fill(&path, 2).await;
    let url = test_postgres::fresh_database();
    sqlite_to_postgres(&path, &url).await.unwrap();
    let before = postgres_counts(&url).await;

    let error = sqlite_to_postgres(&path, &url).await.unwrap_err();
    let all: Vec<&str> = TABLES.iter().map(|table| table.name).collect();
    assert!(
        matches!(&error, TransferError::TargetNotEmpty(tables) if *tables == all),
        "{error}"
    );
    assert!(
        error.to_string().contains("already holds ic-server data"),
        "{error}"
    );
    assert_eq!(postgres_counts(&url).await, before);
}

#[tokio::test]
async fn a_target_with_one_of_our_tables_holding_a_row_gets_not_even_the_schema() {
    let dir = tempfile::tempdir().unwrap();
    let path = sqlite_schema(dir.path()).await;
    fill(&path, 2).await;
    let url = test_postgres::fresh_database();
    let mut target = postgres(&url).await;
    sqlx::query("CREATE TABLE trusted_relays (relay_key BYTEA, label TEXT, added_at BIGINT)")
        .execute(&mut target)
        .await
        .unwrap();
    sqlx::query("INSERT INTO trusted_relays VALUES ('\\x01', 'old', 1)")
        .execute(&mut target)
        .await
        .unwrap();

    let error = sqlite_to_postgres(&path, &url).await.unwrap_err();
    assert!(
        matches!(&error, TransferError::TargetNotEmpty(tables) if *tables == ["trusted_relays"]),
        "{error}"
    );
    let tables: Vec<String> = sqlx::query_scalar(
        "SELECT table_name::text FROM information_schema.tables \
         WHERE table_schema = current_schema()",
    )
    .fetch_all(&mut target)
    .await
    .unwrap();
    assert_eq!(tables, ["trusted_relays"], "no migration was applied");
    target.close().await.unwrap();
}

#[tokio::test]
async fn an_empty_schema_or_other_applications_tables_are_no_obstacle() {
    let dir = tempfile::tempdir().unwrap();
    let path = sqlite_schema(dir.path()).await;
    fill(&path, 2).await;
    let url = test_postgres::fresh_database();
    // The schema already applied (an ic-server started on it once), and a table of another
    // application, with a row.
    let stores = crate::store::open(&Location::Postgres(url.clone()), None)
        .await
        .unwrap();
    stores.core.close().await.unwrap();
    let mut target = postgres(&url).await;
    for sql in [
        "CREATE TABLE wiki_pages (title TEXT)",
        "INSERT INTO wiki_pages VALUES ('home')",
    ] {
        sqlx::query(sql).execute(&mut target).await.unwrap();
    }

    let summary = sqlite_to_postgres(&path, &url).await.unwrap();
    assert_eq!(summary.players_verified, 2);
    let pages: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM wiki_pages")
        .fetch_one(&mut target)
        .await
        .unwrap();
    assert_eq!(pages, 1);
    target.close().await.unwrap();
}

#[tokio::test]
async fn a_source_that_is_missing_foreign_or_outdated_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let url = test_postgres::fresh_database();
    let missing = dir.path().join("none.db");
    let error = sqlite_to_postgres(&missing, &url).await.unwrap_err();
    assert!(matches!(error, TransferError::NoSource(_)), "{error}");
    assert!(!missing.exists(), "the source is never created");

    let foreign = dir.path().join("foreign.db");
    let options = SqliteConnectOptions::new()
        .filename(&foreign)
        .create_if_missing(true);
    let mut sqlite = SqliteConnection::connect_with(&options).await.unwrap();
    sqlx::query("CREATE TABLE notes (text TEXT)")
        .execute(&mut sqlite)
        .await
        .unwrap();
    sqlite.close().await.unwrap();
    let error = sqlite_to_postgres(&foreign, &url).await.unwrap_err();
    assert!(matches!(error, TransferError::NotIcServer(_)), "{error}");

    let path = sqlite_schema(dir.path()).await;
    let mut sqlite = sqlite_writer(&path).await;
    sqlx::query("DELETE FROM _sqlx_migrations WHERE version = 3")
        .execute(&mut sqlite)
        .await
        .unwrap();
    sqlite.close().await.unwrap();
    let error = sqlite_to_postgres(&path, &url).await.unwrap_err();
    assert!(matches!(error, TransferError::SourceOutdated(3)), "{error}");

    // Nothing reached the target, not even the schema.
    let mut target = postgres(&url).await;
    let tables: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = current_schema()",
    )
    .fetch_one(&mut target)
    .await
    .unwrap();
    assert_eq!(tables, 0);
    target.close().await.unwrap();
}
