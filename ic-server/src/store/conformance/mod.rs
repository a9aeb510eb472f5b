//! One suite of store tests, run on every backend: each test body takes the [`Stores`] of a
//! fresh database and is run twice, on a SQLite file and on a fresh PostgreSQL database.
//! PostgreSQL comes from the `test-postgres` crate (a throwaway cluster, or
//! `IC_TEST_POSTGRES_URL`); without one the PostgreSQL half fails and says how to get it.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod abandons;
mod batch;
mod ledger;
#[cfg(feature = "moderation")]
mod moderation;
mod outbox;
#[cfg(feature = "moderation")]
mod received_sanctions;
#[cfg(feature = "moderation")]
mod sanction_feed;
mod seasons;
mod shared_queue;
mod transparency;
mod web_sessions;
mod witness;

use super::{Location, Stores};

/// A fresh database on one backend, with what a test needs to reach below the traits.
pub(super) struct Fresh {
    /// The stores under test.
    pub stores: Stores,
    /// Where they are (to open a second handle, as a second process would).
    pub location: Location,
    // Keeps the SQLite file's directory until the test ends.
    _dir: Option<tempfile::TempDir>,
}

impl Fresh {
    /// A fresh SQLite database in a temporary directory.
    pub async fn sqlite() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let location = Location::sqlite_in(dir.path());
        let stores = super::open(&location, None).await.unwrap();
        Self {
            stores,
            location,
            _dir: Some(dir),
        }
    }

    /// A fresh PostgreSQL database.
    pub async fn postgres() -> Self {
        let location = Location::Postgres(test_postgres::fresh_database());
        let stores = super::open(&location, None).await.unwrap();
        Self {
            stores,
            location,
            _dir: None,
        }
    }

    /// Another handle on the same database, as another process would open it.
    pub async fn reopen(&self) -> Stores {
        super::open(&self.location, None).await.unwrap()
    }

    /// Runs raw SQL (a test reaching below the traits); the database's error text on failure.
    pub async fn execute(&self, sql: &str) -> Result<u64, String> {
        self.connect().await?.run(sql).await
    }

    /// A connection of its own to the database, below the traits.
    async fn connect(&self) -> Result<Raw, String> {
        use sqlx::Connection;
        match &self.location {
            Location::Sqlite(path) => {
                sqlx::SqliteConnection::connect(&format!("sqlite://{}", path.display()))
                    .await
                    .map(Raw::Sqlite)
            }
            Location::Postgres(url) => sqlx::PgConnection::connect(url).await.map(Raw::Postgres),
        }
        .map_err(|error| error.to_string())
    }

    /// Which backend this is.
    pub fn is_postgres(&self) -> bool {
        matches!(self.location, Location::Postgres(_))
    }

    /// Takes the database's write lock on another connection (SQLite: `BEGIN IMMEDIATE`;
    /// PostgreSQL: the players table locked against row locks and writes) until released, so
    /// the store's writer waits and the matches applied meanwhile queue up for one batch.
    pub async fn hold_writes(&self) -> WriteHold {
        let mut conn = self.connect().await.unwrap();
        let lock = match conn {
            Raw::Sqlite(_) => "BEGIN IMMEDIATE",
            Raw::Postgres(_) => "BEGIN; LOCK TABLE players IN EXCLUSIVE MODE",
        };
        conn.run(lock).await.unwrap();
        WriteHold(conn)
    }

    /// On PostgreSQL, how many transactions wrote the markers of `match_ids` (rows written by
    /// one transaction share its `xmin`); `None` on SQLite, which does not say.
    pub async fn transactions_of(&self, match_ids: &[[u8; 32]]) -> Option<i64> {
        let Location::Postgres(url) = &self.location else {
            return None;
        };
        let mut conn = <sqlx::PgConnection as sqlx::Connection>::connect(url)
            .await
            .unwrap();
        let ids: Vec<Vec<u8>> = match_ids.iter().map(|id| id.to_vec()).collect();
        let count = sqlx::query_scalar(
            "SELECT COUNT(DISTINCT xmin::text) FROM processed_matches WHERE match_id = ANY($1)",
        )
        .bind(ids)
        .fetch_one(&mut conn)
        .await
        .unwrap();
        Some(count)
    }
}

/// A write lock held by [`Fresh::hold_writes`].
pub(super) struct WriteHold(Raw);

impl WriteHold {
    /// Lets the store's writer go on.
    pub async fn release(mut self) {
        self.0.run("ROLLBACK").await.unwrap();
    }
}

/// A connection to a test's database that is none of the store's.
enum Raw {
    Sqlite(sqlx::SqliteConnection),
    Postgres(sqlx::PgConnection),
}

impl Raw {
    /// Runs `sql` (one or more statements); rows affected, or the database's error text.
    async fn run(&mut self, sql: &str) -> Result<u64, String> {
        match self {
            Self::Sqlite(conn) => sqlx::raw_sql(sql)
                .execute(conn)
                .await
                .map(|done| done.rows_affected()),
            Self::Postgres(conn) => sqlx::raw_sql(sql)
                .execute(conn)
                .await
                .map(|done| done.rows_affected()),
        }
        .map_err(|error| error.to_string())
    }
}
/// Runs each `async fn name(fresh: Fresh)` listed as two tests, `name::sqlite` and
/// `name::postgres`, each on a fresh database.
macro_rules! on_each_backend {
    ($($name:ident),+ $(,)?) => {
        $(
            mod $name {
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn sqlite() {
                    super::$name($crate::store::conformance::Fresh::sqlite().await).await
                }

                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn postgres() {
                    super::$name($crate::store::conformance::Fresh::postgres().await).await
                }
            }
        )+
    };
}
pub(super) use on_each_backend;
