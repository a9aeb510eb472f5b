//! Direct SQLite connections (rusqlite) for the hot path: the writer thread's connection and a
//! small pool of read-only connections, with the reads that planning an ingest needs.
//!
//! Why not sqlx here: sqlx runs each statement on a per-connection thread and hands every row
//! back over a channel, and acquiring or releasing a pooled connection is another round trip.
//! An ingest made about a dozen such hand-offs, and the thread wake-ups cost more CPU than
//! SQLite's own work. Here all reads of one call run on one blocking-pool thread, one hand-off
//! per call. sqlx still owns migrations and every other query.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rusqlite::{Connection, OpenFlags, OptionalExtension, params};
use scr::PlayerKey;
use tokio::sync::Semaphore;

use crate::store::columns::{
    Columns, RATING_COLUMNS, RECORD_COLUMNS, count_u32, prefixed, rating_from_row, record_from_row,
    unseq,
};
use crate::store::{IssuedRecord, PlayerSnapshot, StoreError};

/// How long a connection waits for another connection's lock (the same as the sqlx pools').
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);
/// Read connections open at most (the same as the sqlx read pool).
const READ_CONNECTIONS: usize = 4;
/// Prepared statements kept per connection: every hot statement has fixed text.
const STATEMENT_CACHE: usize = 64;

/// Opens the connection the writer thread owns, with the durability settings of the store:
/// WAL journal and `synchronous=FULL` (a commit returns only once it is on disk).
pub(super) fn open_writer(path: &Path) -> Result<Connection, StoreError> {
    let conn = Connection::open(path)?;
    conn.busy_timeout(BUSY_TIMEOUT)?;
    let mode: String = conn.query_row("PRAGMA journal_mode = WAL", [], |row| row.get(0))?;
    if !mode.eq_ignore_ascii_case("wal") {
        return Err(StoreError::WriteFailed(format!(
            "the database refused WAL journaling (journal mode {mode})"
        )));
    }
    conn.pragma_update(None, "synchronous", "FULL")?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
    Ok(conn)
}

/// Read-only connections, opened on first use, lent to one blocking task at a time.
#[derive(Debug)]
pub(super) struct DirectReads {
    path: PathBuf,
    idle: Mutex<Vec<Connection>>,
    // One permit per connection, so at most `READ_CONNECTIONS` exist and waiting readers queue
    // on the runtime rather than on a blocking thread.
    permits: Arc<Semaphore>,
}

impl DirectReads {
    /// Reads the database at `path`.
    pub(super) fn new(path: &Path) -> Arc<Self> {
        Arc::new(Self {
            path: path.to_owned(),
            idle: Mutex::new(Vec::new()),
            permits: Arc::new(Semaphore::new(READ_CONNECTIONS)),
        })
    }

    /// Runs `read` on a read connection on tokio's blocking pool: one hand-off for all the
    /// statements `read` executes.
    pub(super) async fn run<T, F>(self: &Arc<Self>, read: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T, StoreError> + Send + 'static,
    {
        let permit = self
            .permits
            .clone()
            .acquire_owned()
            .await
            .map_err(|_| StoreError::Unavailable("the read connections are closed".into()))?;
        let reads = self.clone();
        tokio::task::spawn_blocking(move || {
            let _permit = permit;
            let idle = reads.idle.lock().map_err(|_| poisoned())?.pop();
            let conn = match idle {
                Some(conn) => conn,
                None => reads.open()?,
            };
            let result = read(&conn);
            reads.idle.lock().map_err(|_| poisoned())?.push(conn);
            result
        })
        .await
        .map_err(|error| StoreError::Unavailable(format!("a database read failed: {error}")))?
    }

    fn open(&self) -> Result<Connection, StoreError> {
        let conn = Connection::open_with_flags(
            &self.path,
            OpenFlags::SQLITE_OPEN_READ_ONLY
                | OpenFlags::SQLITE_OPEN_NO_MUTEX
                | OpenFlags::SQLITE_OPEN_URI,
        )?;
        conn.busy_timeout(BUSY_TIMEOUT)?;
        conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
        Ok(conn)
    }
}

fn poisoned() -> StoreError {
    StoreError::Unavailable("a database reader panicked".into())
}

impl Columns for rusqlite::Row<'_> {
    fn int(&self, name: &str) -> Result<i64, StoreError> {
        Ok(self.get(name)?)
    }
    fn opt_int(&self, name: &str) -> Result<Option<i64>, StoreError> {
        Ok(self.get(name)?)
    }
    fn float(&self, name: &str) -> Result<f64, StoreError> {
        Ok(self.get(name)?)
    }
    fn text(&self, name: &str) -> Result<String, StoreError> {
        Ok(self.get(name)?)
    }
    fn opt_text(&self, name: &str) -> Result<Option<String>, StoreError> {
        Ok(self.get(name)?)
    }
    fn blob(&self, name: &str) -> Result<Vec<u8>, StoreError> {
        Ok(self.get(name)?)
    }
    fn opt_blob(&self, name: &str) -> Result<Option<Vec<u8>>, StoreError> {
        Ok(self.get(name)?)
    }
    fn flag(&self, name: &str) -> Result<bool, StoreError> {
        Ok(self.get::<_, i64>(name)? != 0)
    }
    fn opt_flag(&self, name: &str) -> Result<Option<bool>, StoreError> {
        Ok(self.get::<_, Option<i64>>(name)?.map(|v| v != 0))
    }
}

/// The records a match issued (ordered by player key and sequence) if it was applied; an
/// applied match that issued nothing gives an empty list.
pub(super) fn records_of_match(
    conn: &Connection,
    match_id: &[u8; 32],
) -> Result<Option<Vec<IssuedRecord>>, StoreError> {
    let mut statement = conn.prepare_cached(&format!(
        "SELECT m.match_id AS applied_id, {} FROM processed_matches m \
         LEFT JOIN issued_records r ON r.match_id = m.match_id WHERE m.match_id = ?1 \
         ORDER BY r.player_key, r.sequence",
        prefixed("r", RECORD_COLUMNS)
    ))?;
    let mut rows = statement.query(params![match_id.as_slice()])?;
    let mut applied = None;
    while let Some(row) = rows.next()? {
        let records: &mut Vec<IssuedRecord> = applied.get_or_insert_with(Vec::new);
        // The left join yields one row of NULLs for a match that issued no record.
        if row.opt_blob("player_key")?.is_some() {
            records.push(record_from_row(row)?);
        }
    }
    Ok(applied)
}

/// The snapshot of each of `players` for `module`, in order (`None` for one not registered).
pub(super) fn snapshots(
    conn: &Connection,
    players: &[PlayerKey],
    module: &str,
) -> Result<Vec<Option<PlayerSnapshot>>, StoreError> {
    players
        .iter()
        .map(|player| snapshot(conn, player, module))
        .collect()
}

/// The player's highest sequence and rating in `module`; `None` for an unregistered key.
fn snapshot(
    conn: &Connection,
    player: &PlayerKey,
    module: &str,
) -> Result<Option<PlayerSnapshot>, StoreError> {
    let mut statement = conn.prepare_cached(&format!(
        "SELECT p.last_sequence AS last_sequence, r.player_key AS rated, {} \
         FROM players p LEFT JOIN ratings r \
         ON r.player_key = p.player_key AND r.game_module = ?2 WHERE p.player_key = ?1",
        prefixed("r", RATING_COLUMNS)
    ))?;
    let mut rows = statement.query(params![player.as_bytes().as_slice(), module])?;
    let Some(row) = rows.next()? else {
        return Ok(None);
    };
    let rating = match row.opt_blob("rated")? {
        Some(_) => Some(rating_from_row(row)?),
        None => None,
    };
    Ok(Some(PlayerSnapshot {
        player_key: *player,
        last_sequence: unseq(row.int("last_sequence")?)?,
        rating,
    }))
}

/// Rated matches with the same participants that ended at or after `since`.
pub(super) fn count_meetings(
    conn: &Connection,
    participants_hash: &[u8; 32],
    since: i64,
) -> Result<u32, StoreError> {
    let count: i64 = conn
        .prepare_cached(
            "SELECT COUNT(*) FROM processed_matches \
             WHERE participants_hash = ?1 AND played_at >= ?2 AND rated = 1",
        )?
        .query_row(params![participants_hash.as_slice(), since], |row| {
            row.get(0)
        })?;
    count_u32(count)
}

/// The player's current `last_sequence`, if registered.
pub(super) fn current_sequence(
    conn: &Connection,
    player: &PlayerKey,
) -> Result<Option<u64>, StoreError> {
    conn.prepare_cached("SELECT last_sequence FROM players WHERE player_key = ?1")?
        .query_row(params![player.as_bytes().as_slice()], |row| {
            row.get::<_, i64>(0)
        })
        .optional()?
        .map(unseq)
        .transpose()
}
