//! One batch of a table's rows held column by column: filled from SQLite rows, converted to
//! PostgreSQL's types on the way in, and sent as one array per column.

use sqlx::Row;
use sqlx::postgres::{PgArguments, Postgres};
use sqlx::query::Query;
use sqlx::sqlite::SqliteRow;

use super::tables::Kind;

/// The values of one column in a batch, in row order; `None` is NULL.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Column {
    /// Integers.
    Int(Vec<Option<i64>>),
    /// Yes/no values (SQLite's 0/1, already converted).
    Flag(Vec<Option<bool>>),
    /// Floating-point numbers.
    Real(Vec<Option<f64>>),
    /// Text.
    Text(Vec<Option<String>>),
    /// Bytes.
    Blob(Vec<Option<Vec<u8>>>),
}

impl Column {
    /// An empty column of `kind` with room for `rows` values.
    pub(super) fn with_capacity(kind: Kind, rows: usize) -> Self {
        match kind {
            Kind::Int => Self::Int(Vec::with_capacity(rows)),
            Kind::Flag => Self::Flag(Vec::with_capacity(rows)),
            Kind::Real => Self::Real(Vec::with_capacity(rows)),
            Kind::Text => Self::Text(Vec::with_capacity(rows)),
            Kind::Blob => Self::Blob(Vec::with_capacity(rows)),
        }
    }

    /// Appends the value in column `index` of the SQLite `row`. A yes/no is true when the
    /// stored integer is not 0, as the SQLite store reads it.
    pub(super) fn push(&mut self, row: &SqliteRow, index: usize) -> Result<(), sqlx::Error> {
        match self {
            Self::Int(values) => values.push(row.try_get(index)?),
            Self::Flag(values) => {
                values.push(
                    row.try_get::<Option<i64>, _>(index)?
                        .map(|value| value != 0),
                );
            }
            Self::Real(values) => values.push(row.try_get(index)?),
            Self::Text(values) => values.push(row.try_get(index)?),
            Self::Blob(values) => values.push(row.try_get(index)?),
        }
        Ok(())
    }

    /// Binds the column as the next array parameter of `query`.
    pub(super) fn bind(
        self,
        query: Query<'_, Postgres, PgArguments>,
    ) -> Query<'_, Postgres, PgArguments> {
        match self {
            Self::Int(values) => query.bind(values),
            Self::Flag(values) => query.bind(values),
            Self::Real(values) => query.bind(values),
            Self::Text(values) => query.bind(values),
            Self::Blob(values) => query.bind(values),
        }
    }
}
