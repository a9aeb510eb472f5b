//! The table list is the whole schema: every table of SQLite's and PostgreSQL's, every column
//! in order, each column's kind matching both declared types, referenced tables copied first.

use std::collections::BTreeSet;

use sqlx::Connection;

use super::*;

/// The tables sqlx keeps for itself, never copied.
const SQLX_TABLE: &str = "_sqlx_migrations";

/// The tables of the running matchmaking queue (requests, saved state, leader) and the web
/// UI's sign-in links and sessions: a migration moves a stopped community, whose queue its
/// players join again and whose staff sign in again, so they are not copied.
const COORDINATION_TABLES: &[&str] = &[
    "matchmaking_requests",
    "matchmaking_state",
    "matchmaking_leader",
    "web_login_links",
    "web_sessions",
];

#[test]
fn every_table_is_listed_once() {
    let names: BTreeSet<&str> = TABLES.iter().map(|table| table.name).collect();
    assert_eq!(names.len(), TABLES.len(), "a table is listed twice");
}

#[tokio::test]
async fn the_list_covers_every_table_and_column_of_the_sqlite_schema() {
    let dir = tempfile::tempdir().unwrap();
    let path = sqlite_schema(dir.path()).await;
    let mut sqlite = sqlite_writer(&path).await;
    let tables: BTreeSet<String> = sqlx::query_scalar(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'",
    )
    .fetch_all(&mut sqlite)
    .await
    .unwrap()
    .into_iter()
    .filter(|name: &String| name != SQLX_TABLE && !COORDINATION_TABLES.contains(&name.as_str()))
    .collect();
    let listed: BTreeSet<String> = TABLES.iter().map(|t| t.name.to_owned()).collect();
    assert_eq!(
        listed, tables,
        "TABLES must name every table of the SQLite schema"
    );

    for table in TABLES {
        let columns: Vec<(String, String)> = sqlx::query_as(&format!(
            "SELECT name, type FROM pragma_table_info('{}') ORDER BY cid",
            table.name
        ))
        .fetch_all(&mut sqlite)
        .await
        .unwrap();
        let names: Vec<&str> = columns.iter().map(|(name, _)| name.as_str()).collect();
        let listed: Vec<&str> = table.columns.iter().map(|(name, _)| *name).collect();
        assert_eq!(listed, names, "columns of {}", table.name);
        for ((name, declared), (_, kind)) in columns.iter().zip(table.columns) {
            let fits = match kind {
                Kind::Int | Kind::Flag => declared == "INTEGER" || declared == "BIGINT",
                Kind::Real => declared == "REAL",
                Kind::Text => declared == "TEXT",
                Kind::Blob => declared == "BLOB",
            };
            assert!(
                fits,
                "{}.{name} is {declared} in SQLite, listed as {kind:?}",
                table.name
            );
        }
    }
    sqlite.close().await.unwrap();
}

#[tokio::test]
async fn the_list_matches_the_postgres_schema() {
    let url = test_postgres::fresh_database();
    let stores = crate::store::open(&Location::Postgres(url.clone()), None)
        .await
        .unwrap();
    stores.core.close().await.unwrap();
    let mut target = postgres(&url).await;
    let columns: Vec<(String, String, String, String)> = sqlx::query_as(
        "SELECT table_name::text, column_name::text, data_type::text, is_identity::text \
         FROM information_schema.columns WHERE table_schema = current_schema() \
         ORDER BY table_name, ordinal_position",
    )
    .fetch_all(&mut target)
    .await
    .unwrap();
    let tables: BTreeSet<&str> = columns
        .iter()
        .map(|(table, ..)| table.as_str())
        .filter(|table| *table != SQLX_TABLE && !COORDINATION_TABLES.contains(table))
        .collect();
    let listed: BTreeSet<&str> = TABLES.iter().map(|table| table.name).collect();
    assert_eq!(
        listed, tables,
        "TABLES must name every table of the PostgreSQL schema"
    );

    for table in TABLES {
        let mut found: Vec<_> = columns
            .iter()
            .filter(|(name, ..)| name == table.name)
            .collect();
        if table.seq {
            let (_, name, data_type, identity) = found.remove(0);
            assert_eq!(
                (name.as_str(), data_type.as_str(), identity.as_str()),
                ("seq", "bigint", "YES"),
                "{} starts with its identity seq",
                table.name
            );
        }
        let names: Vec<&str> = found.iter().map(|(_, name, ..)| name.as_str()).collect();
        let listed: Vec<&str> = table.columns.iter().map(|(name, _)| *name).collect();
        assert_eq!(listed, names, "columns of {}", table.name);
        for ((_, name, data_type, _), (_, kind)) in found.iter().zip(table.columns) {
            let expected = match kind {
                Kind::Int => "bigint",
                Kind::Flag => "boolean",
                Kind::Real => "double precision",
                Kind::Text => "text",
                Kind::Blob => "bytea",
            };
            assert_eq!(data_type, expected, "{}.{name}", table.name);
        }
    }

    // A referenced table is copied before the table that references it.
    let references: Vec<(String, String)> = sqlx::query_as(
        "SELECT conrelid::regclass::text, confrelid::regclass::text FROM pg_constraint \
         WHERE contype = 'f'",
    )
    .fetch_all(&mut target)
    .await
    .unwrap();
    assert!(!references.is_empty(), "ratings references players");
    let position = |name: &str| TABLES.iter().position(|table| table.name == name).unwrap();
    for (from, to) in &references {
        assert!(
            position(to) < position(from),
            "{to} must be copied before {from}"
        );
    }
    target.close().await.unwrap();
}
