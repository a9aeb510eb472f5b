//! Decoding stored rows into the store's types, once for every backend: each backend reads a
//! column through [`Columns`], and the conversions and range checks live here.

use scr::{PlayerKey, PublicKey};

use super::{IssuedRecord, RatingRow, StoreError};

/// Reads a column by name from a query row, so each stored type is decoded in one place for
/// every driver (sqlx's SQLite and PostgreSQL rows, and direct SQLite rows).
// Some readers serve only the moderation store's rows.
#[cfg_attr(not(feature = "moderation"), allow(dead_code))]
pub(crate) trait Columns {
    /// An integer column.
    fn int(&self, name: &str) -> Result<i64, StoreError>;
    /// A nullable integer column.
    fn opt_int(&self, name: &str) -> Result<Option<i64>, StoreError>;
    /// A floating-point column.
    fn float(&self, name: &str) -> Result<f64, StoreError>;
    /// A text column.
    fn text(&self, name: &str) -> Result<String, StoreError>;
    /// A nullable text column.
    fn opt_text(&self, name: &str) -> Result<Option<String>, StoreError>;
    /// A blob column.
    fn blob(&self, name: &str) -> Result<Vec<u8>, StoreError>;
    /// A nullable blob column.
    fn opt_blob(&self, name: &str) -> Result<Option<Vec<u8>>, StoreError>;
    /// A yes/no column (SQLite stores 0/1, PostgreSQL a boolean).
    fn flag(&self, name: &str) -> Result<bool, StoreError>;
    /// A nullable yes/no column.
    fn opt_flag(&self, name: &str) -> Result<Option<bool>, StoreError>;

    /// A 32-byte key column.
    fn key(&self, name: &str) -> Result<PublicKey, StoreError> {
        Ok(PublicKey::from_bytes(key32(&self.blob(name)?)?))
    }
    /// A nullable 32-byte key column.
    fn opt_key(&self, name: &str) -> Result<Option<PublicKey>, StoreError> {
        self.opt_blob(name)?
            .map(|bytes| key32(&bytes).map(PublicKey::from_bytes))
            .transpose()
    }
    /// An integer column that must fit `T` (counts, small enums, percentages).
    fn small<T: TryFrom<i64>>(&self, name: &str) -> Result<T, StoreError> {
        let value = self.int(name)?;
        T::try_from(value)
            .map_err(|_| StoreError::Corrupt(format!("{name} = {value} out of range")))
    }
    /// A text column holding one of a fixed set of names.
    fn named<T>(&self, name: &str, parse: fn(&str) -> Option<T>) -> Result<T, StoreError> {
        let text = self.text(name)?;
        parse(&text).ok_or_else(|| StoreError::Corrupt(format!("{name} = {text:?}")))
    }
}

/// A sequence as stored (SQL integers are signed).
pub(crate) fn seq(value: u64) -> Result<i64, StoreError> {
    i64::try_from(value).map_err(|_| StoreError::Corrupt(format!("sequence {value} beyond i64")))
}

/// A stored sequence back as the u64 the format uses.
pub(crate) fn unseq(value: i64) -> Result<u64, StoreError> {
    u64::try_from(value).map_err(|_| StoreError::Corrupt(format!("negative sequence {value}")))
}

/// A stored key or id of exactly 32 bytes.
pub(crate) fn key32(bytes: &[u8]) -> Result<[u8; 32], StoreError> {
    bytes
        .try_into()
        .map_err(|_| StoreError::Corrupt(format!("key of {} bytes", bytes.len())))
}

/// A stored count that must fit a u32.
pub(crate) fn count_u32(value: i64) -> Result<u32, StoreError> {
    u32::try_from(value).map_err(|_| StoreError::Corrupt(format!("count {value} out of range")))
}

/// The columns of an issued record, in the order the backends select and insert them.
pub(crate) const RECORD_COLUMNS: &str =
    "player_key, sequence, record_type, record, match_id, issued_at";
/// The columns of a rating row (without its player key), in select and insert order.
pub(crate) const RATING_COLUMNS: &str = "game_module, algorithm_id, rating, deviation, volatility, \
    games_played, wins, losses, draws, streak, last_played_at, rating_sequence, rating_expires_at, \
    season, peak_rating";

/// A rating row selected with [`RATING_COLUMNS`].
pub(crate) fn rating_from_row(row: &impl Columns) -> Result<RatingRow, StoreError> {
    Ok(RatingRow {
        game_module: row.text("game_module")?,
        algorithm_id: row.text("algorithm_id")?,
        rating: row.int("rating")?,
        deviation: row.int("deviation")?,
        volatility: row.int("volatility")?,
        games_played: count_u32(row.int("games_played")?)?,
        wins: count_u32(row.int("wins")?)?,
        losses: count_u32(row.int("losses")?)?,
        draws: count_u32(row.int("draws")?)?,
        streak: row.small("streak")?,
        last_played_at: row.opt_int("last_played_at")?,
        rating_sequence: unseq(row.int("rating_sequence")?)?,
        rating_expires_at: row.int("rating_expires_at")?,
        season: row.small("season")?,
        peak_rating: row.opt_int("peak_rating")?,
    })
}

/// An issued record selected with [`RECORD_COLUMNS`].
pub(crate) fn record_from_row(row: &impl Columns) -> Result<IssuedRecord, StoreError> {
    Ok(IssuedRecord {
        player_key: PlayerKey::from_bytes(key32(&row.blob("player_key")?)?),
        sequence: unseq(row.int("sequence")?)?,
        record_type: row.small("record_type")?,
        bytes: row.blob("record")?,
        match_id: row
            .opt_blob("match_id")?
            .as_deref()
            .map(key32)
            .transpose()?,
        issued_at: row.int("issued_at")?,
    })
}

/// `columns` (comma-separated) as `alias.column AS column`, for a join.
pub(crate) fn prefixed(alias: &str, columns: &str) -> String {
    columns
        .split(", ")
        .map(|column| format!("{alias}.{column} AS {column}"))
        .collect::<Vec<_>>()
        .join(", ")
}
