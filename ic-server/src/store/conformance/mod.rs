//! One suite of store tests, run on every backend: each test body takes the [`Stores`] of a
//! fresh database and is run twice, on a SQLite file and on a fresh PostgreSQL database.
//! PostgreSQL comes from the `test-postgres` crate (a throwaway cluster, or
//! `IC_TEST_POSTGRES_URL`); without one the PostgreSQL half fails and says how to get it.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod ledger;
#[cfg(feature = "moderation")]
mod moderation;
mod outbox;
mod shared_queue;

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
        match &self.location {
            Location::Sqlite(path) => {
                let mut conn = <sqlx::SqliteConnection as sqlx::Connection>::connect(&format!(
                    "sqlite://{}",
                    path.display()
                ))
                .await
                .map_err(|error| error.to_string())?;
                sqlx::query(sql)
                    .execute(&mut conn)
                    .await
                    .map(|done| done.rows_affected())
                    .map_err(|error| error.to_string())
            }
            Location::Postgres(url) => {
                let mut conn = <sqlx::PgConnection as sqlx::Connection>::connect(url)
                    .await
                    .map_err(|error| error.to_string())?;
                sqlx::query(sql)
                    .execute(&mut conn)
                    .await
                    .map(|done| done.rows_affected())
                    .map_err(|error| error.to_string())
            }
        }
    }

    /// Which backend this is.
    pub fn is_postgres(&self) -> bool {
        matches!(self.location, Location::Postgres(_))
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
