//! Moving a community's whole database from SQLite to PostgreSQL (`ic-server storage migrate`):
//! every table copied in one PostgreSQL transaction, verified, and only then committed.
//!
//! The one place that reads one backend and writes the other, so its SQL names both. The
//! tables and their column types are data ([`TABLES`]); a test checks that list against both
//! schemas, so a new table cannot be left behind silently.

mod batch;
mod copy;
mod error;
mod source;
mod tables;
mod target;
#[cfg(test)]
mod tests;
mod verify;

use std::path::Path;
use std::time::{Duration, Instant};

use sqlx::Connection;
use sqlx::postgres::{PgConnectOptions, PgConnection, PgPool};
use sqlx::sqlite::SqliteConnection;

pub use error::TransferError;
pub use tables::{Kind, TABLES, Table};

use super::postgres::PostgresStore;

/// What a migration copied and checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Summary {
    /// Rows copied per table, in copy order (every table of [`TABLES`]).
    pub tables: Vec<(&'static str, u64)>,
    /// Players whose `last_sequence` was found equal on both sides.
    pub players_verified: u64,
    /// How long it took, from opening the databases to the commit.
    pub elapsed: Duration,
}

/// Copies the ic-server database in the SQLite file `source` (read-only) into the PostgreSQL
/// database at `target_url`, whose schema it brings up to date first.
///
/// Refuses, writing nothing, when any ic-server table of the target holds a row. Copies every
/// table in one transaction and commits only when every table's row count and every player's
/// `last_sequence` are equal on both sides. The server must be stopped: the copy is of one
/// consistent snapshot, and what a running server wrote after it would be lost.
pub async fn sqlite_to_postgres(source: &Path, target_url: &str) -> Result<Summary, TransferError> {
    let started = Instant::now();
    let mut sqlite = source::open(source).await?;
    refuse_occupied(target_url).await?;
    let store = PostgresStore::open(target_url)
        .await
        .map_err(TransferError::Postgres)?;
    let pool = store.pool().clone();
    let copied = copy_verified(&mut sqlite, &pool).await;
    pool.close().await;
    // Read-only: closing can lose nothing.
    let _ = sqlite.close().await;
    let (tables, players_verified) = copied?;
    Ok(Summary {
        tables,
        players_verified,
        elapsed: started.elapsed(),
    })
}

/// Checks the target before its schema is touched, so a refused target is left as it was.
async fn refuse_occupied(target_url: &str) -> Result<(), TransferError> {
    let options: PgConnectOptions = target_url.parse().map_err(|error| {
        TransferError::Postgres(super::StoreError::Unavailable(format!(
            "invalid PostgreSQL URL: {error}"
        )))
    })?;
    let mut connection = PgConnection::connect_with(&options)
        .await
        .map_err(TransferError::postgres)?;
    let checked = target::ensure_empty(&mut connection).await;
    let _ = connection.close().await;
    checked
}

/// Copies and verifies inside one read snapshot of `sqlite` and one transaction of `pool`;
/// commits only what verified. Returns the rows per table and the players verified.
async fn copy_verified(
    sqlite: &mut SqliteConnection,
    pool: &PgPool,
) -> Result<(Vec<(&'static str, u64)>, u64), TransferError> {
    let mut snapshot = sqlite.begin().await.map_err(TransferError::Sqlite)?;
    let mut transaction = pool.begin().await.map_err(TransferError::postgres)?;
    // Again, inside the transaction: nothing may have been written since the first look.
    target::ensure_empty(&mut transaction).await?;
    let tables = copy::all(&mut snapshot, &mut transaction).await?;
    let players = verify::all(&mut snapshot, &mut transaction).await?;
    transaction
        .commit()
        .await
        .map_err(TransferError::postgres)?;
    Ok((tables, players))
}
