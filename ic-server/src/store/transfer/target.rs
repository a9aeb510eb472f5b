//! The emptiness check of the target: a migration only ever writes into a database whose
//! ic-server tables are absent or empty.

use sqlx::postgres::PgConnection;

use super::TransferError;
use super::tables::TABLES;

/// Fails with [`TransferError::TargetNotEmpty`] when any table of [`TABLES`] exists in
/// `target` (on its search path) and holds a row. Other tables do not matter.
pub(super) async fn ensure_empty(target: &mut PgConnection) -> Result<(), TransferError> {
    let mut occupied = Vec::new();
    for table in TABLES {
        let exists: bool = sqlx::query_scalar("SELECT to_regclass($1) IS NOT NULL")
            .bind(table.name)
            .fetch_one(&mut *target)
            .await
            .map_err(TransferError::postgres)?;
        if !exists {
            continue;
        }
        let has_rows: bool = sqlx::query_scalar(&format!(
            "SELECT EXISTS (SELECT 1 FROM \"{}\" WHERE {})",
            table.name,
            table.data_when.unwrap_or("TRUE")
        ))
        .fetch_one(&mut *target)
        .await
        .map_err(TransferError::postgres)?;
        if has_rows {
            occupied.push(table.name);
        }
    }
    if occupied.is_empty() {
        Ok(())
    } else {
        Err(TransferError::TargetNotEmpty(occupied))
    }
}
