//! [`ReceivedSanctionStore`](crate::store::moderation::ReceivedSanctionStore) for PostgreSQL: a
//! received entry and its effect (a case, a sanction, a reversal) in one transaction under the
//! moderation lock, written only when the entry is new. The code is shared with SQLite.

use sqlx::{PgPool, Postgres, Transaction};

use super::cases::file_in;
use super::rows::{insert_audit, write_transaction};
use crate::store::StoreError;
use crate::store::moderation::received_sanction_store;
use crate::store::postgres::PostgresStore;

async fn begin(store: &PostgresStore) -> Result<Transaction<'static, Postgres>, StoreError> {
    write_transaction(&store.pool).await
}

fn reads(store: &PostgresStore) -> &PgPool {
    &store.pool
}

received_sanction_store!(PostgresStore, Postgres);
