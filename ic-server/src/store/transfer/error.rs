//! Why a migration stopped. Every error leaves the target as it was: the copy is one
//! PostgreSQL transaction, committed only after verification.

use std::path::PathBuf;

use crate::store::StoreError;

/// Why copying the database failed; nothing was committed to the target.
#[derive(Debug, thiserror::Error)]
pub enum TransferError {
    /// There is no SQLite database file to copy.
    #[error("no SQLite database at {0}")]
    NoSource(PathBuf),
    /// The SQLite file was never set up by ic-server (it has no migration history).
    #[error("{0} is not an ic-server database (it has no migration history)")]
    NotIcServer(PathBuf),
    /// The SQLite database lacks a migration of this ic-server.
    #[error(
        "the SQLite database lacks migration {0}: start this ic-server on it once (that \
         upgrades its schema), stop it, then migrate"
    )]
    SourceOutdated(i64),
    /// The SQLite database was written by a newer ic-server.
    #[error(
        "the SQLite database was written by a newer ic-server (it has migration {0}); migrate \
         with that version"
    )]
    SourceNewer(i64),
    /// The SQLite database could not be opened or read.
    #[error("SQLite: {0}")]
    Sqlite(sqlx::Error),
    /// Reading a table from SQLite failed (or a stored value has the wrong type).
    #[error("reading {table} from SQLite: {error}")]
    Read {
        /// The table being read.
        table: &'static str,
        /// What went wrong.
        error: sqlx::Error,
    },
    /// The PostgreSQL database could not be opened, migrated or committed to.
    #[error("PostgreSQL: {0}")]
    Postgres(StoreError),
    /// PostgreSQL refused a batch of a table.
    #[error("writing {table} to PostgreSQL: {error}")]
    Write {
        /// The table being written.
        table: &'static str,
        /// What went wrong.
        error: StoreError,
    },
    /// The target already holds ic-server data; nothing was written to it.
    #[error(
        "the target database already holds ic-server data (in {}): migrate into an empty \
         database",
        .0.join(", ")
    )]
    TargetNotEmpty(Vec<&'static str>),
    /// After the copy a table holds a different number of rows on each side.
    #[error(
        "verification failed: table {table} has {sqlite} rows in SQLite but {postgres} in \
         PostgreSQL"
    )]
    CountMismatch {
        /// The table whose counts differ.
        table: &'static str,
        /// Its rows in SQLite.
        sqlite: i64,
        /// Its rows in PostgreSQL after the copy.
        postgres: i64,
    },
    /// After the copy some players' `last_sequence` differ between the two sides.
    #[error("verification failed: table players: last_sequence differs for {0} players")]
    SequenceMismatch(usize),
}

impl TransferError {
    /// A PostgreSQL error outside any one table.
    pub(super) fn postgres(error: impl Into<StoreError>) -> Self {
        Self::Postgres(error.into())
    }

    /// A PostgreSQL error while writing `table`.
    pub(super) fn write(table: &'static str, error: impl Into<StoreError>) -> Self {
        Self::Write {
            table,
            error: error.into(),
        }
    }
}
