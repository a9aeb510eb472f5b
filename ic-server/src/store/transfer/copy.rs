//! Copying the tables: each read from SQLite in one pass in insertion order, and inserted into
//! PostgreSQL a few thousand rows at a time with one `INSERT … SELECT FROM UNNEST(arrays)`.

use futures_util::TryStreamExt;
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

/// Copies one table in insertion order (rowid order; a `WITHOUT ROWID` table in key order), so
/// PostgreSQL's `seq` numbers rows as SQLite inserted them; returns the rows copied. The rows
/// are read in one pass and inserted [`BATCH_ROWS`] at a time.
async fn copy_table(
    source: &mut SqliteConnection,
    target: &mut PgConnection,
    table: &Table,
) -> Result<u64, TransferError> {
    let read = |error| TransferError::Read {
        table: table.name,
        error,
    };
    let order = if has_rowid(source, table).await.map_err(read)? {
        " ORDER BY rowid"
    } else {
        ""
    };
    let select = format!(
        "SELECT {} FROM \"{}\"{order}",
        column_list(table),
        table.name
    );
    if table.data_when.is_some() {
        // The target's schema wrote its own row for an empty community: the source's replaces it.
        sqlx::query(&format!("DELETE FROM \"{}\"", table.name))
            .execute(&mut *target)
            .await
            .map_err(|error| TransferError::write(table.name, error))?;
    }
    let insert = insert_batch(table);
    let mut rows = sqlx::query(&select).fetch(&mut *source);
    let mut batch = Vec::with_capacity(BATCH_ROWS);
    let mut copied = 0;
    loop {
        let row = rows.try_next().await.map_err(read)?;
        let done = row.is_none();
        batch.extend(row);
        if batch.len() == BATCH_ROWS || (done && !batch.is_empty()) {
            let mut columns: Vec<Column> = table
                .columns
                .iter()
                .map(|(_, kind)| Column::with_capacity(*kind, batch.len()))
                .collect();
            for row in &batch {
                for (index, column) in columns.iter_mut().enumerate() {
                    column.push(row, index).map_err(read)?;
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
            copied += batch.len() as u64;
            batch.clear();
        }
        if done {
            return Ok(copied);
        }
    }
}

/// Whether `table` is a rowid table (not declared `WITHOUT ROWID`).
async fn has_rowid(source: &mut SqliteConnection, table: &Table) -> Result<bool, sqlx::Error> {
    let sql: String =
        sqlx::query_scalar("SELECT sql FROM sqlite_schema WHERE type = 'table' AND name = ?1")
            .bind(table.name)
            .fetch_one(&mut *source)
            .await?;
    Ok(!sql
        .trim_end()
        .to_ascii_uppercase()
        .ends_with("WITHOUT ROWID"))
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
