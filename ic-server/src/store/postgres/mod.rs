//! The PostgreSQL store: for communities that outgrow one machine. Several `ic-server`
//! processes share one database; every invariant the SQLite store gets from its single writer
//! holds here through row locks, conditional updates and advisory locks, across processes.

mod abandons;
mod achievements;
mod batch;
mod campaigns;
mod changes;
mod desperation;
mod group_commit;
mod ingest;
mod ledger;
mod log;
#[cfg(feature = "moderation")]
mod moderation;
mod outbox;
mod seasons;
mod shared_queue;
mod web_sessions;

use std::str::FromStr;
use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions, PgRow};
use sqlx::{Connection, Row};

use super::StoreError;
use super::columns::Columns;

/// The PostgreSQL schema, applied at start. sqlx holds a `pg_advisory_lock` (keyed on the
/// database) while it migrates, so processes started together apply each migration once.
static MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./src/store/postgres/migrations");

/// Connections one process keeps in its main pool at most: registrations, one-player changes
/// and moderation writes each hold one for a transaction, reads for a statement.
const MAX_CONNECTIONS: u32 = 12;
/// Connections for the reads an ingest is planned from: each is one short statement. With the
/// main pool and the group commit's own connection, a process opens at most 19 connections.
const READ_CONNECTIONS: u32 = 6;
/// How long a call waits for a free connection (or for a new one to open) before it reports
/// the database unavailable: short, so a lost database answers 503 quickly.
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(3);

/// PostgreSQL-backed stores.
#[derive(Debug, Clone)]
pub(crate) struct PostgresStore {
    pool: PgPool,
    /// For the planning reads of ingests only: these connections use generic plans
    /// (`plan_cache_mode = force_generic_plan`), so a statement is planned once per connection
    /// instead of on every call, which cost more than running it. Only statements whose generic
    /// plan is their index plan whatever the table sizes run here (`ingest`).
    reads: PgPool,
    writer: group_commit::GroupCommit,
    latency: Option<prometheus::HistogramVec>,
}

impl PostgresStore {
    /// Connects to `url` and brings the schema up to date. Fails at once (no retries) when the
    /// server cannot be reached or refuses the login, so a misconfigured start says so.
    pub(crate) async fn open(url: &str) -> Result<Self, StoreError> {
        let options = PgConnectOptions::from_str(url)
            .map_err(|error| StoreError::Unavailable(format!("invalid PostgreSQL URL: {error}")))?
            .application_name("ic-server");
        // One direct connection first: its error says what is wrong (refused, wrong password,
        // no such database), where the pool would only report that it timed out.
        let first = sqlx::PgConnection::connect_with(&options).await?;
        first.close().await?;
        // Connections are tested before use: a pooled connection may have been closed by a
        // database restart, and the test turns that into a fresh connection, not an error.
        let pool_of = |size| {
            PgPoolOptions::new()
                .max_connections(size)
                .acquire_timeout(ACQUIRE_TIMEOUT)
                .test_before_acquire(true)
        };
        let pool = pool_of(MAX_CONNECTIONS)
            .connect_with(options.clone())
            .await?;
        let reads = pool_of(READ_CONNECTIONS).connect_lazy_with(
            options
                .clone()
                .options([("plan_cache_mode", "force_generic_plan")]),
        );
        let version: i32 = sqlx::query_scalar("SELECT current_setting('server_version_num')::int")
            .fetch_one(&pool)
            .await?;
        if version < 150_000 {
            return Err(StoreError::Migration(format!(
                "PostgreSQL 15 or newer is required (this server is version {})",
                version / 10_000
            )));
        }
        MIGRATIONS.run(&pool).await?;
        // Records issued before the transparency log existed get their leaves first.
        log::backfill(&mut *pool.acquire().await?).await?;
        Ok(Self {
            pool,
            reads,
            writer: group_commit::GroupCommit::start(options, ACQUIRE_TIMEOUT)?,
            latency: None,
        })
    }

    /// The connection pool (for `transfer`, which writes below the store traits).
    pub(super) fn pool(&self) -> &PgPool {
        &self.pool
    }

    /// Records the latency of every operation in `latency`, labelled by operation.
    pub(crate) fn with_latency_metric(mut self, latency: prometheus::HistogramVec) -> Self {
        self.latency = Some(latency);
        self
    }

    /// Observes the operation's duration when dropped.
    fn timer(&self, operation: &str) -> Option<prometheus::HistogramTimer> {
        self.latency
            .as_ref()
            .map(|h| h.with_label_values(&[operation]).start_timer())
    }
}

impl Columns for PgRow {
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
        Ok(self.try_get(name)?)
    }
    fn opt_flag(&self, name: &str) -> Result<Option<bool>, StoreError> {
        Ok(self.try_get(name)?)
    }
}

/// A list of 32-byte keys as one `BYTEA[]` parameter.
fn key_array<'a>(keys: impl IntoIterator<Item = &'a [u8; 32]>) -> Vec<Vec<u8>> {
    keys.into_iter().map(|key| key.to_vec()).collect()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    /// Processes started together on a fresh database: every one opens it, and each migration
    /// was applied once (sqlx holds a `pg_advisory_lock` while it migrates).
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn processes_started_at_once_migrate_once() {
        let url = test_postgres::fresh_database();
        let opens = (0..6).map(|_| {
            let url = url.clone();
            tokio::spawn(async move { PostgresStore::open(&url).await })
        });
        let mut stores = Vec::new();
        for open in opens.collect::<Vec<_>>() {
            stores.push(open.await.unwrap().unwrap());
        }
        let applied: Vec<i64> =
            sqlx::query_scalar("SELECT version FROM _sqlx_migrations ORDER BY version")
                .fetch_all(&stores[0].pool)
                .await
                .unwrap();
        let known: Vec<i64> = MIGRATIONS.iter().map(|m| m.version).collect();
        assert_eq!(applied, known);
    }
}

// The witness's state: the same SQL on both backends (see `store::witness`).
crate::store::witness::witness_log_on!(PostgresStore, pool, pool);
