//! The test's own connection to a server's database (SQLite file or PostgreSQL), for tests
//! that set up or inspect rows the API does not reach.

use super::Backend;

/// The test's own connection to a server's database, beside the server.
pub enum Database {
    Sqlite(sqlx::SqliteConnection),
    Postgres(sqlx::PgConnection),
}

impl Database {
    pub async fn open(backend: Backend, dir: &std::path::Path, url: &str) -> Self {
        use sqlx::Connection;
        match backend {
            Backend::Sqlite => {
                let path = dir.join("ic-server.db");
                let url = format!("sqlite://{}", path.display());
                Self::Sqlite(sqlx::SqliteConnection::connect(&url).await.unwrap())
            }
            Backend::Postgres => Self::Postgres(sqlx::PgConnection::connect(url).await.unwrap()),
        }
    }

    /// Runs `sql`, with `{F}` standing for the backend's "false", and returns the integer
    /// columns of its first row (none for a statement without rows).
    pub async fn run(self, sql: &str) -> Vec<i64> {
        use sqlx::{Connection, Row};
        match self {
            Self::Sqlite(mut conn) => {
                let rows = sqlx::query(&sql.replace("{F}", "0"))
                    .fetch_all(&mut conn)
                    .await
                    .unwrap();
                let values = rows.first().map_or_else(Vec::new, |row| {
                    (0..row.len()).map(|i| row.get::<i64, _>(i)).collect()
                });
                conn.close().await.unwrap();
                values
            }
            Self::Postgres(mut conn) => {
                let rows = sqlx::query(&sql.replace("{F}", "false"))
                    .fetch_all(&mut conn)
                    .await
                    .unwrap();
                let values = rows.first().map_or_else(Vec::new, |row| {
                    (0..row.len()).map(|i| row.get::<i64, _>(i)).collect()
                });
                conn.close().await.unwrap();
                values
            }
        }
    }
}
