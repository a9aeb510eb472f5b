//! The federated sanction feed as stored: one row per published sanction or lifting, numbered
//! in the order they were recorded; the SQL both backends run to append and read it.
//!
//! Rows are appended in the transactions that record a moderator's sanction or an appeal's
//! reversal, so the feed never lacks an outcome nor shows one that was not recorded. Those
//! transactions run one at a time (SQLite's single writer, PostgreSQL's moderation advisory
//! lock), so positions commit in order and a subscriber reading after `n` never misses one.

use scr::PublicKey;
use sha2::{Digest, Sha256};

use crate::store::StoreError;
use crate::store::columns::Columns;

/// One entry of the feed, before it is signed for a subscriber.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SanctionFeedRow {
    /// Position in the feed, from 1.
    pub seq: u64,
    /// The moderator action it publishes (or, for a lifting, the action lifted).
    pub action_id: String,
    /// The sanctioned player.
    pub subject: PublicKey,
    /// The measure (`queue_cooldown:24`, …).
    pub action: String,
    /// What it restricts.
    pub scope: String,
    /// When it ends; `None` for a warning and for a lifting.
    pub expires_at: Option<i64>,
    /// The public reason code: the case's category.
    pub reason: String,
    /// SHA-256 of the case id.
    pub case_ref: [u8; 32],
    /// For a lifting, the entry it lifts.
    pub negates: Option<u64>,
    /// When it was recorded.
    pub issued_at: i64,
}

/// The reference to a case a feed shows: its id hashed, so the id stays private.
pub fn case_ref(case_id: &str) -> [u8; 32] {
    Sha256::digest(case_id.as_bytes()).into()
}

/// Appends the entry of a sanction: `$1` action id, `$2` subject, `$3` action, `$4` scope,
/// `$5` expiry, `$6` case reference, `$7` time, `$8` case id (its category is the reason).
pub(crate) const PUBLISH_SQL: &str = "INSERT INTO sanction_feed (feed_seq, action_id, subject, \
     action, scope, expires_at, reason, case_ref, negates, issued_at) \
     SELECT COALESCE((SELECT MAX(feed_seq) FROM sanction_feed), 0) + 1, $1, $2, $3, $4, $5, \
     c.category, $6, NULL, $7 FROM mod_cases c WHERE c.case_id = $8";

/// Appends a lifting entry for each published, not yet lifted sanction of case `$2`, at `$1`.
pub(crate) const NEGATE_SQL: &str = "INSERT INTO sanction_feed (feed_seq, action_id, subject, \
     action, scope, expires_at, reason, case_ref, negates, issued_at) \
     SELECT COALESCE((SELECT MAX(feed_seq) FROM sanction_feed), 0) \
     + ROW_NUMBER() OVER (ORDER BY f.feed_seq), f.action_id, f.subject, f.action, f.scope, \
     NULL, f.reason, f.case_ref, f.feed_seq, $1 \
     FROM sanction_feed f JOIN mod_actions a ON a.action_id = f.action_id \
     WHERE a.case_id = $2 AND f.negates IS NULL \
     AND NOT EXISTS (SELECT 1 FROM sanction_feed g WHERE g.negates = f.feed_seq)";

/// The entries after `$1`, at most `$2`, in feed order.
pub(crate) const FEED_SQL: &str = "SELECT feed_seq, action_id, subject, action, scope, \
     expires_at, reason, case_ref, negates, issued_at FROM sanction_feed \
     WHERE feed_seq > $1 ORDER BY feed_seq LIMIT $2";

/// Reads a row of [`FEED_SQL`].
pub(crate) fn feed_row_of<R: Columns>(row: &R) -> Result<SanctionFeedRow, StoreError> {
    let position = |value: i64| {
        u64::try_from(value).map_err(|_| StoreError::Corrupt(format!("feed position {value}")))
    };
    Ok(SanctionFeedRow {
        seq: position(row.int("feed_seq")?)?,
        action_id: row.text("action_id")?,
        subject: row.key("subject")?,
        action: row.text("action")?,
        scope: row.text("scope")?,
        expires_at: row.opt_int("expires_at")?,
        reason: row.text("reason")?,
        case_ref: row
            .blob("case_ref")?
            .as_slice()
            .try_into()
            .map_err(|_| StoreError::Corrupt("case reference is not 32 bytes".into()))?,
        negates: row.opt_int("negates")?.map(position).transpose()?,
        issued_at: row.int("issued_at")?,
    })
}
