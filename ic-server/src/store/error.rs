//! Why a store call failed, in terms that do not depend on the backend: the HTTP layer maps
//! these to 503 or 500 and never sees a driver's error type.

/// Why the store failed. Database trouble is a server error, never the client's. Clone, so a
/// group commit can give every caller of a failed batch the same error.
#[derive(Debug, Clone, thiserror::Error)]
pub enum StoreError {
    /// The database cannot be reached (connection refused or lost, pool closed or exhausted);
    /// the call changed nothing and may succeed once the database is back.
    #[error("database unavailable: {0}")]
    Unavailable(String),
    /// The database refused a statement.
    #[error("database error: {0}")]
    Database(String),
    /// The schema could not be brought to this version.
    #[error("database migration failed: {0}")]
    Migration(String),
    /// The database was written by a newer ic-server (it holds migrations this one lacks).
    #[error(
        "the database schema is newer than this ic-server (it has migration {0}); \
         run the newer ic-server or restore a backup"
    )]
    NewerSchema(i64),
    /// A stored value does not decode (corruption or a manual edit).
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
    /// A shared transaction failed or the writer stopped; the change was not applied.
    #[error("database write failed: {0}")]
    WriteFailed(String),
}

impl From<sqlx::Error> for StoreError {
    fn from(error: sqlx::Error) -> Self {
        match error {
            sqlx::Error::Io(_)
            | sqlx::Error::Tls(_)
            | sqlx::Error::PoolTimedOut
            | sqlx::Error::PoolClosed
            | sqlx::Error::WorkerCrashed => Self::Unavailable(error.to_string()),
            // A server shutting down or restarting (admin_shutdown, crash_shutdown,
            // cannot_connect_now) ends the connection: unavailable, not refused.
            sqlx::Error::Database(ref db)
                if db.code().is_some_and(|code| code.starts_with("57P")) =>
            {
                Self::Unavailable(error.to_string())
            }
            other => Self::Database(other.to_string()),
        }
    }
}

impl From<sqlx::migrate::MigrateError> for StoreError {
    fn from(error: sqlx::migrate::MigrateError) -> Self {
        match error {
            sqlx::migrate::MigrateError::VersionMissing(version) => Self::NewerSchema(version),
            sqlx::migrate::MigrateError::Execute(inner) => inner.into(),
            other => Self::Migration(other.to_string()),
        }
    }
}
