//! [`ReceivedSanctionStore`](crate::store::moderation::ReceivedSanctionStore) for SQLite: a
//! received entry and its effect (a case, a sanction, a reversal) in one transaction on the
//! single writer, written only when the entry is new. The code is shared with PostgreSQL.

use sqlx::{Sqlite, SqlitePool, Transaction};

use super::cases::file_in;
use super::rows::insert_audit;
use crate::store::StoreError;
use crate::store::moderation::received_sanction_store;
use crate::store::sqlite::SqliteStore;

async fn begin(store: &SqliteStore) -> Result<Transaction<'static, Sqlite>, StoreError> {
    store.write_transaction().await
}

fn reads(store: &SqliteStore) -> &SqlitePool {
    &store.read
}

received_sanction_store!(SqliteStore, Sqlite);
