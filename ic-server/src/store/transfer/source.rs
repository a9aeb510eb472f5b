//! The SQLite side: the configured database file, opened read-only, and checked to hold
//! exactly this ic-server's schema before anything is read from it.

use std::path::Path;
use std::time::Duration;

use sqlx::Connection;
use sqlx::sqlite::{SqliteConnectOptions, SqliteConnection};

use super::TransferError;
use crate::store::sqlite::MIGRATIONS;

/// Opens the SQLite database at `path` read-only (never creating it) and checks that every
/// migration of this ic-server, and no other, was applied to it.
pub(super) async fn open(path: &Path) -> Result<SqliteConnection, TransferError> {
    if !path.is_file() {
        return Err(TransferError::NoSource(path.to_owned()));
    }
    let options = SqliteConnectOptions::new()
        .filename(path)
        .read_only(true)
        .busy_timeout(Duration::from_secs(10));
    let mut connection = SqliteConnection::connect_with(&options)
        .await
        .map_err(TransferError::Sqlite)?;
    check_schema(&mut connection, path).await?;
    Ok(connection)
}

/// Fails unless the database's applied migrations are exactly this ic-server's.
async fn check_schema(connection: &mut SqliteConnection, path: &Path) -> Result<(), TransferError> {
    let has_history: bool = sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM sqlite_master \
         WHERE type = 'table' AND name = '_sqlx_migrations')",
    )
    .fetch_one(&mut *connection)
    .await
    .map_err(TransferError::Sqlite)?;
    if !has_history {
        return Err(TransferError::NotIcServer(path.to_owned()));
    }
    let applied: Vec<i64> =
        sqlx::query_scalar("SELECT version FROM _sqlx_migrations WHERE success ORDER BY version")
            .fetch_all(&mut *connection)
            .await
            .map_err(TransferError::Sqlite)?;
    let known: Vec<i64> = MIGRATIONS
        .iter()
        .map(|migration| migration.version)
        .collect();
    if let Some(newer) = applied.iter().find(|version| !known.contains(version)) {
        return Err(TransferError::SourceNewer(*newer));
    }
    if let Some(missing) = known.iter().find(|version| !applied.contains(version)) {
        return Err(TransferError::SourceOutdated(*missing));
    }
    Ok(())
}
