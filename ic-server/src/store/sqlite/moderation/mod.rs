//! [`ModerationStore`](super::ModerationStore) for SQLite: reads on the read pool, every change
//! one transaction on the single write connection (so the last free reviewer slot is taken once).

mod cases;
mod leaver_appeals;
mod received;
mod review;
mod rows;
mod staff;

use super::SqliteStore;
use crate::store::StoreError;

impl SqliteStore {
    /// A transaction on the sqlx write connection that holds the write lock from its start.
    ///
    /// Why IMMEDIATE: the writer thread commits on its own connection, and a deferred
    /// transaction that read before one of those commits could not write afterwards (SQLite
    /// answers `SQLITE_BUSY_SNAPSHOT` without waiting); taking the lock first makes it wait.
    async fn write_transaction(
        &self,
    ) -> Result<sqlx::Transaction<'static, sqlx::Sqlite>, StoreError> {
        Ok(self.write.begin_with("BEGIN IMMEDIATE").await?)
    }
}
