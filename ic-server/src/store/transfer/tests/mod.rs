//! Tests of the SQLite → PostgreSQL copy: the table list against both schemas, every value
//! converted and in insertion order, refusals, verification and rollback, and a large copy.
//! Each builds a SQLite database with synthetic rows in every table and a fresh PostgreSQL one.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod bulk;
mod refusals;
mod roundtrip;
mod schema;

use std::path::{Path, PathBuf};

use sqlx::Connection;
use sqlx::postgres::{PgConnection, PgRow};
use sqlx::sqlite::{SqliteConnectOptions, SqliteConnection};
use sqlx::{Row, Sqlite};

use super::tables::{Kind, TABLES, Table};
use crate::store::Location;

/// One stored value, as PostgreSQL should hold it (a yes/no is a boolean).
#[derive(Debug, Clone, PartialEq, PartialOrd)]
enum Cell {
    Null,
    Int(i64),
    Flag(bool),
    Real(f64),
    Text(String),
    Blob(Vec<u8>),
}

/// A table's rows, each a list of cells in column order.
type Rows = Vec<Vec<Cell>>;

/// A SQLite database with the ic-server schema in `dir`; returns its file.
async fn sqlite_schema(dir: &Path) -> PathBuf {
    let location = Location::sqlite_in(dir);
    let stores = crate::store::open(&location, None).await.unwrap();
    stores.core.close().await.unwrap();
    match location {
        Location::Sqlite(path) => path,
        Location::Postgres(_) => unreachable!(),
    }
}

/// A writable connection to the SQLite file `path` (foreign keys not enforced, so a test can
/// store what the store never would).
async fn sqlite_writer(path: &Path) -> SqliteConnection {
    let options = SqliteConnectOptions::new()
        .filename(path)
        .foreign_keys(false);
    SqliteConnection::connect_with(&options).await.unwrap()
}

/// A connection to the PostgreSQL database at `url`.
async fn postgres(url: &str) -> PgConnection {
    PgConnection::connect(url).await.unwrap()
}

/// The synthetic value of `column` (of `kind`, the `index`-th column) in the row numbered
/// `key`; NULL every third row where the column may be NULL. Keys, texts and blobs differ
/// from row to row, so unique constraints hold, and a column of the same name has the same
/// value in every table (so `ratings.player_key` finds its `players` row).
fn synthetic(column: &str, kind: Kind, index: usize, key: usize, nullable: bool) -> Cell {
    if nullable && key % 3 == 0 {
        return Cell::Null;
    }
    let small = key as i64;
    match kind {
        // Alternating small and near-limit integers: the copy must keep all 64 bits.
        Kind::Int if index % 2 == 0 => Cell::Int(small),
        Kind::Int => Cell::Int(i64::MAX - small),
        Kind::Flag => Cell::Flag(key % 2 == 1),
        Kind::Real => Cell::Real(small as f64 + 0.125),
        Kind::Text => Cell::Text(format!("{column} é {key}")),
        Kind::Blob => {
            let mut bytes = vec![0, key as u8, 0xff];
            bytes.extend_from_slice(column.as_bytes());
            bytes.extend_from_slice(&key.to_be_bytes());
            Cell::Blob(bytes)
        }
    }
}

/// Fills every table of the SQLite database at `path` with `rows` synthetic rows (one in the
/// one-row tables, whose id must be 1), inserted in descending key order so that rowid order
/// differs from key order; returns each table's rows in insertion (rowid) order.
async fn fill(path: &Path, rows: usize) -> Vec<(&'static str, Rows)> {
    let mut sqlite = sqlite_writer(path).await;
    let mut filled = Vec::new();
    for table in TABLES {
        let nullable: Vec<String> = sqlx::query_scalar(&format!(
            "SELECT name FROM pragma_table_info('{}') WHERE \"notnull\" = 0 AND pk = 0",
            table.name
        ))
        .fetch_all(&mut sqlite)
        .await
        .unwrap();
        // One-row tables (their id must be 1); the schema's own row of such a table makes way.
        let one_row = matches!(
            table.name,
            "mod_secret" | "transparency_tree" | "transparency_checkpoint"
        );
        let count = if one_row { 1 } else { rows };
        if table.data_when.is_some() {
            sqlx::query(&format!("DELETE FROM \"{}\"", table.name))
                .execute(&mut sqlite)
                .await
                .unwrap();
        }
        let mut table_rows = Vec::new();
        for key in (1..=count).rev() {
            let row: Vec<Cell> = table
                .columns
                .iter()
                .enumerate()
                .map(|(index, (column, kind))| {
                    let may_be_null = nullable.iter().any(|name| name == column);
                    // At most one season runs (a unique index holds it).
                    if (table.name, *column) == ("seasons", "ended") {
                        return Cell::Flag(key != 1);
                    }
                    synthetic(column, *kind, index, key, may_be_null)
                })
                .collect();
            insert_sqlite(&mut sqlite, table, &row).await;
            table_rows.push(row);
        }
        filled.push((table.name, table_rows));
    }
    sqlite.close().await.unwrap();
    filled
}

/// Stores `row` in `table` the way the SQLite store does (a yes/no as 0 or 1).
async fn insert_sqlite(sqlite: &mut SqliteConnection, table: &Table, row: &[Cell]) {
    let names: Vec<&str> = table.columns.iter().map(|(name, _)| *name).collect();
    let marks = vec!["?"; names.len()].join(", ");
    let sql = format!(
        "INSERT INTO {} ({}) VALUES ({marks})",
        table.name,
        names.join(", ")
    );
    let mut query = sqlx::query::<Sqlite>(&sql);
    for cell in row {
        query = match cell.clone() {
            Cell::Null => query.bind(None::<i64>),
            Cell::Int(value) => query.bind(value),
            Cell::Flag(value) => query.bind(i64::from(value)),
            Cell::Real(value) => query.bind(value),
            Cell::Text(value) => query.bind(value),
            Cell::Blob(value) => query.bind(value),
        };
    }
    query.execute(sqlite).await.unwrap();
}

/// Every row of `table` in PostgreSQL: in `seq` order where the table has it, else sorted.
async fn postgres_rows(target: &mut PgConnection, table: &Table) -> Rows {
    let names: Vec<&str> = table.columns.iter().map(|(name, _)| *name).collect();
    let order = if table.seq { " ORDER BY seq" } else { "" };
    let sql = format!("SELECT {} FROM {}{order}", names.join(", "), table.name);
    let rows: Vec<PgRow> = sqlx::query(&sql).fetch_all(target).await.unwrap();
    let mut cells: Rows = rows
        .iter()
        .map(|row| {
            table
                .columns
                .iter()
                .enumerate()
                .map(|(index, (_, kind))| postgres_cell(row, index, *kind))
                .collect()
        })
        .collect();
    if !table.seq {
        sort(&mut cells);
    }
    cells
}

fn postgres_cell(row: &PgRow, index: usize, kind: Kind) -> Cell {
    let cell = match kind {
        Kind::Int => row.try_get::<Option<i64>, _>(index).unwrap().map(Cell::Int),
        Kind::Flag => row
            .try_get::<Option<bool>, _>(index)
            .unwrap()
            .map(Cell::Flag),
        Kind::Real => row
            .try_get::<Option<f64>, _>(index)
            .unwrap()
            .map(Cell::Real),
        Kind::Text => row
            .try_get::<Option<String>, _>(index)
            .unwrap()
            .map(Cell::Text),
        Kind::Blob => row
            .try_get::<Option<Vec<u8>>, _>(index)
            .unwrap()
            .map(Cell::Blob),
    };
    cell.unwrap_or(Cell::Null)
}

/// Sorts rows (of a table without insertion order) so two sets of them compare.
fn sort(rows: &mut Rows) {
    rows.sort_by(|a, b| a.partial_cmp(b).expect("no NaN in test data"));
}

/// Each ic-server table's count of data rows in the PostgreSQL database at `url` (not the row
/// the schema writes itself into a one-row table, see [`Table::data_when`]).
async fn postgres_counts(url: &str) -> Vec<(&'static str, i64)> {
    let mut target = postgres(url).await;
    let mut counts = Vec::new();
    for table in TABLES {
        let sql = format!(
            "SELECT COUNT(*) FROM {} WHERE {}",
            table.name,
            table.data_when.unwrap_or("TRUE")
        );
        counts.push((
            table.name,
            sqlx::query_scalar(&sql)
                .fetch_one(&mut target)
                .await
                .unwrap(),
        ));
    }
    target.close().await.unwrap();
    counts
}
