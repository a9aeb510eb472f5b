//! The SQLite store: the embedded default. WAL journal, `synchronous=FULL` so an acknowledged
//! credential survives power loss, one writer for credentials so writers queue instead of failing.

mod abandons;
mod achievements;
mod campaigns;
mod changes;
mod desperation;
mod direct;
mod group_commit;
mod ledger;
mod log;
#[cfg(feature = "moderation")]
mod moderation;
mod outbox;
mod seasons;
#[cfg(test)]
mod upgrade_tests;
mod web_sessions;

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use sqlx::Row;
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteRow,
    SqliteSynchronous,
};

use self::direct::DirectReads;
use self::group_commit::GroupCommit;
use super::StoreError;
use super::columns::Columns;

/// The SQLite schema, applied at open (and checked by `transfer` on a database it copies).
pub(super) static MIGRATIONS: sqlx::migrate::Migrator =
    sqlx::migrate!("./src/store/sqlite/migrations");

/// SQLite-backed [`Store`].
#[derive(Debug, Clone)]
pub(crate) struct SqliteStore {
    pub(super) read: SqlitePool,
    // A single connection: SQLite has one writer anyway, and queuing here avoids the
    // "database is locked" failures of concurrent write transactions. Credential-issuing
    // writes go to `writer` instead, which waits for this connection's lock if it must.
    pub(super) write: SqlitePool,
    // Registrations, rating changes and certified matches: one thread, one direct connection.
    writer: GroupCommit,
    // Direct read connections for what those writes are planned from.
    direct: Arc<DirectReads>,
    latency: Option<prometheus::HistogramVec>,
}

impl SqliteStore {
    /// Opens (creating if needed) the database at `path` and applies migrations.
    pub(crate) async fn open(path: &Path) -> Result<Self, StoreError> {
        let options = SqliteConnectOptions::new()
            .filename(path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(10));
        // No ping before handing out a connection: a SQLite connection is a local file that
        // cannot drop like a network link, and each ping is a round trip to sqlx's connection
        // thread (sqlx still checks the connection when it returns to the pool).
        let write = SqlitePoolOptions::new()
            .max_connections(1)
            .test_before_acquire(false)
            .connect_with(options.clone())
            .await?;
        MIGRATIONS.run(&write).await?;
        let read = SqlitePoolOptions::new()
            .max_connections(4)
            .test_before_acquire(false)
            .connect_with(options.read_only(true))
            .await?;
        Ok(Self {
            read,
            write,
            writer: GroupCommit::start(path)?,
            direct: DirectReads::new(path),
            latency: None,
        })
    }

    /// Records the latency of every operation in `latency`, labelled by operation.
    pub(crate) fn with_latency_metric(mut self, latency: prometheus::HistogramVec) -> Self {
        self.latency = Some(latency);
        self
    }

    /// Observes the operation's duration when dropped.
    pub(super) fn timer(&self, operation: &str) -> Option<prometheus::HistogramTimer> {
        self.latency
            .as_ref()
            .map(|h| h.with_label_values(&[operation]).start_timer())
    }
}

impl Columns for SqliteRow {
    fn int(&self, name: &str) -> Result<i64, StoreError> {
        Ok(self.try_get(name)?)
    }
    fn opt_int(&self, name: &str) -> Result<Option<i64>, StoreError> {
        Ok(self.try_get(name)?)
    }
    fn float(&self, name: &str) -> Result<f64, StoreError> {
        Ok(self.try_get(name)?)
    }
    fn text(&self, name: &str) -> Result<String, StoreError> {
        Ok(self.try_get(name)?)
    }
    fn opt_text(&self, name: &str) -> Result<Option<String>, StoreError> {
        Ok(self.try_get(name)?)
    }
    fn blob(&self, name: &str) -> Result<Vec<u8>, StoreError> {
        Ok(self.try_get(name)?)
    }
    fn opt_blob(&self, name: &str) -> Result<Option<Vec<u8>>, StoreError> {
        Ok(self.try_get(name)?)
    }
    fn flag(&self, name: &str) -> Result<bool, StoreError> {
        Ok(self.try_get::<i64, _>(name)? != 0)
    }
    fn opt_flag(&self, name: &str) -> Result<Option<bool>, StoreError> {
        Ok(self.try_get::<Option<i64>, _>(name)?.map(|v| v != 0))
    }
}

/// Errors of the direct connections: the database refused a statement (a direct connection is a
/// local file, so there is no lost connection to tell apart).
impl From<rusqlite::Error> for StoreError {
    fn from(error: rusqlite::Error) -> Self {
        Self::Database(error.to_string())
    }
}

// The witness's state: the same SQL on both backends (see `store::witness`).
crate::store::witness::witness_log_on!(SqliteStore, read, write);
