//! Copying the tables: each read from SQLite in rowid order, a few thousand rows at a time,
//! and inserted into PostgreSQL with one `INSERT … SELECT FROM UNNEST(arrays)` per batch.

use sqlx::Row;
use sqlx::postgres::PgConnection;
use sqlx::sqlite::SqliteConnection;

use super::TransferError;
use super::batch::Column;
use super::tables::{TABLES, Table};

/// Rows read and inserted per statement: large enough that 100,000 players take a few dozen
/// statements, small enough that a batch of records (a few hundred bytes each) stays a few MB.
pub(super) const BATCH_ROWS: usize = 5_000;

/// Copies every table of [`TABLES`] from `source` into `target`; returns the rows copied per
/// table, in copy order. Both should be inside transactions: the source for one consistent
/// snapshot, the target so that a failure leaves nothing behind.
pub(super) async fn all(
    source: &mut SqliteConnection,
    target: &mut PgConnection,
) -> Result<Vec<(&'static str, u64)>, TransferError> {
    let mut copied = Vec::with_capacity(TABLES.len());
    for table in TABLES {
        copied.push((table.name, copy_table(source, target, table).await?));
    }
    Ok(copied)
}

/// Copies one table in rowid order, so PostgreSQL's `seq` numbers rows as SQLite inserted
/// them; returns the rows copied.
async fn copy_table(
    source: &mut SqliteConnection,
    target: &mut PgConnection,
    table: &Table,
) -> Result<u64, TransferError> {
    let select = select_batch(table);
    let insert = insert_batch(table);
    let read = |error| TransferError::Read {
        table: table.name,
        error,
    };
    let mut from_rowid = i64::MIN;
    let mut copied = 0;
    loop {
        let rows = sqlx::query(&select)
            .bind(from_rowid)
            .bind(BATCH_ROWS as i64)
            .fetch_all(&mut *source)
            .await
            .map_err(read)?;
        let Some(last) = rows.last() else { break };
        let last_rowid: i64 = last.try_get(0).map_err(read)?;
        let mut columns: Vec<Column> = table
            .columns
            .iter()
            .map(|(_, kind)| Column::with_capacity(*kind, rows.len()))
            .collect();
        for row in &rows {
            for (index, column) in columns.iter_mut().enumerate() {
                // Column 0 is the rowid.
                column.push(row, index + 1).map_err(read)?;
            }
        }
        let mut query = sqlx::query(&insert);
        for column in columns {
            query = column.bind(query);
        }
        query
            .execute(&mut *target)
            .await
            .map_err(|error| TransferError::write(table.name, error))?;
        copied += rows.len() as u64;
        match last_rowid.checked_add(1) {
            Some(next) if rows.len() == BATCH_ROWS => from_rowid = next,
            _ => break,
        }
    }
    Ok(copied)
}

/// `"a", "b", …`: the table's column names, quoted.
fn column_list(table: &Table) -> String {
    table
        .columns
        .iter()
        .map(|(name, _)| format!("\"{name}\""))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The SQLite query of one batch: rowid first, then the columns, from rowid `?1` on, `?2` rows.
fn select_batch(table: &Table) -> String {
    format!(
        "SELECT rowid, {} FROM \"{}\" WHERE rowid >= ?1 ORDER BY rowid LIMIT ?2",
        column_list(table),
        table.name
    )
}

/// The PostgreSQL statement inserting one batch given as one array per column, in the arrays'
/// order (the identity `seq`, where there is one, follows it).
fn insert_batch(table: &Table) -> String {
    let columns = column_list(table);
    let arrays: Vec<String> = table
        .columns
        .iter()
        .enumerate()
        .map(|(index, (_, kind))| format!("${}::{}", index + 1, kind.postgres_array()))
        .collect();
    format!(
        "INSERT INTO \"{name}\" ({columns}) SELECT {columns} \
         FROM UNNEST({arrays}) WITH ORDINALITY AS batch({columns}, batch_order) \
         ORDER BY batch_order",
        name = table.name,
        arrays = arrays.join(", "),
    )
}
