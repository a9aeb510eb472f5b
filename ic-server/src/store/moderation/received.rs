//! Federated sanctions received from other communities' feeds: each entry stored once with what
//! it did here (nothing, a local case, a local sanction, a lifting), in one transaction.
//!
//! The primary key `(publisher, feed_seq)` makes an entry act once however many processes read
//! the same feed: the effect is written only when the row was new. The SQL below runs on both
//! backends (sqlx binds `$n` on SQLite too).

use async_trait::async_trait;
use scr::PublicKey;

use super::rows::{ActionRow, AuditEntry, CaseRow, NewReport};
pub use crate::moderation::ReceivedOutcome;
use crate::store::StoreError;
use crate::store::columns::{Columns, unseq};

/// One entry as received, with what it did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReceivedSanction {
    /// The publisher: the key pinned for it in config, `ed25519:<hex>`.
    pub publisher: String,
    /// The entry's position in the publisher's feed.
    pub seq: u64,
    /// Where the feed was read.
    pub publisher_url: String,
    /// The sanctioned player (`None` when the entry did not verify).
    pub subject: Option<PublicKey>,
    /// The action as the publisher named it (`None` when the entry did not verify).
    pub action: Option<String>,
    /// The signed note as received (cut to [`MAX_STORED_NOTE`] bytes).
    pub note: String,
    /// What it did.
    pub outcome: ReceivedOutcome,
    /// Why, for people: the policy, the refusal, what a lifting lifted.
    pub detail: String,
    /// The local case it opened, joined, applied under or closed (set by the store).
    pub case_id: Option<String>,
    /// The local sanction it applied or reversed (set by the store).
    pub action_id: Option<String>,
    /// When it was received.
    pub received_at: i64,
}

/// Longest note kept: a real entry is a few hundred bytes; a hostile feed cannot fill the disk.
pub const MAX_STORED_NOTE: usize = 4096;

/// What a received entry does here, written with its row.
#[derive(Debug, Clone, PartialEq)]
pub enum SanctionEffect {
    /// Nothing beyond the row.
    Record,
    /// Opens a case, or joins the open case of the player and category, with the entry as
    /// evidence; the report's reporter is the publisher.
    Review(NewReport),
    /// A sanction closed by no local review, not republished in this community's own feed.
    Apply(Box<AppliedSanction>),
    /// Lifts what entry `negates` of the same publisher did: its applied sanction is reversed;
    /// its review case, while still open and reported by this publisher alone, is closed.
    Lift {
        /// The lifted entry.
        negates: u64,
        /// Who the reversal is recorded for (the publisher's key).
        by: PublicKey,
        /// The audit line.
        audit: AuditEntry,
    },
}

/// A sanction applied from another community's feed: the case (already closed) it rests on,
/// the action and its audit line.
#[derive(Debug, Clone, PartialEq)]
pub struct AppliedSanction {
    /// The closed case the sanction rests on.
    pub case: CaseRow,
    /// The sanction.
    pub action: ActionRow,
    /// Its audit line.
    pub audit: AuditEntry,
}

/// Counts of one publisher's received entries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReceivedCounts {
    /// The publisher.
    pub publisher: String,
    /// Entries per outcome.
    pub by_outcome: Vec<(ReceivedOutcome, u64)>,
    /// The last position received (refused entries included).
    pub last_seq: u64,
}

/// Federated sanctions received.
#[async_trait]
pub trait ReceivedSanctionStore: Send + Sync + 'static {
    /// The last position received from `publisher` whose entry verified (0 before the first):
    /// reading resumes after it.
    async fn received_through(&self, publisher: &str) -> Result<u64, StoreError>;
    /// Stores `received` and writes `effect` in one transaction; returns the row as stored
    /// (with the case and action it touched), or `None` when nothing was done: an entry that
    /// verified was received at this position before, or this very note was.
    async fn receive_sanction(
        &self,
        received: &ReceivedSanction,
        effect: &SanctionEffect,
    ) -> Result<Option<ReceivedSanction>, StoreError>;
    /// Received entries, newest first, at most `limit`, of one publisher or all.
    async fn received_sanctions(
        &self,
        publisher: Option<&str>,
        limit: u32,
    ) -> Result<Vec<ReceivedSanction>, StoreError>;
    /// Per publisher: entries per outcome and the last position.
    async fn received_counts(&self) -> Result<Vec<ReceivedCounts>, StoreError>;
}

/// Inserts a received row unless this note was received at this position before: `$1`
/// publisher, `$2` seq, `$3` url, `$4` subject, `$5` action, `$6` note, `$7` outcome, `$8`
/// detail, `$9` case, `$10` action id, `$11` time, `$12` the note's SHA-256.
pub(crate) const INSERT_SQL: &str = "INSERT INTO received_sanctions (publisher, feed_seq, \
     publisher_url, subject_key, action, note, outcome, detail, case_id, action_id, \
     received_at, note_hash) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) \
     ON CONFLICT (publisher, feed_seq, note_hash) DO NOTHING";

/// What the entry `($1, $2)` that verified did here (outcome, case, action), if received.
pub(crate) const CAUSED_SQL: &str = "SELECT outcome, case_id, action_id FROM received_sanctions \
     WHERE publisher = $1 AND feed_seq = $2 AND outcome <> 'refused'";

/// Reverses action `$1` for entry reference `$2` by `$3` at `$5` with reason `$4`, unless it
/// is reversed already.
pub(crate) const REVERSE_SQL: &str = "INSERT INTO mod_reversals (action_id, appeal_id, \
     moderator_key, reason, reversed_at) SELECT $1, $2, $3, $4, $5 WHERE NOT EXISTS \
     (SELECT 1 FROM mod_reversals r WHERE r.action_id = $1)";

/// Closes case `$1` at `$2` without action when it is still open and every report on it came
/// from reporter `$3`; its reports are marked not upheld.
pub(crate) const CLOSE_UNREVIEWED_SQL: &str = "UPDATE mod_cases SET state = 'closed_no_action', \
     updated_at = $2, closed_at = $2 WHERE case_id = $1 \
     AND state IN ('queued', 'in_review') \
     AND NOT EXISTS (SELECT 1 FROM mod_reports r WHERE r.case_id = $1 AND r.reporter_key <> $3)";

/// Marks the reports of a case closed by a lifting as not upheld: `$1` case, `$2` false.
pub(crate) const NOT_UPHELD_SQL: &str = "UPDATE mod_reports SET upheld = $2 WHERE case_id = $1";

/// Inserts a case closed with a sanction: `$1` id, `$2` category, `$3` time, `$4` accused,
/// `$5` severity, `$6` required reviewers.
pub(crate) const CLOSED_CASE_SQL: &str = "INSERT INTO mod_cases (case_id, category, state, \
     created_at, updated_at, closed_at, severity_hint, accused_key, required_reviewers) \
     VALUES ($1, $2, 'closed_action_taken', $3, $3, $3, $5, $4, $6)";

/// Received rows, newest first: `$1` publisher or NULL for all, `$2` limit.
pub(crate) const LIST_SQL: &str = "SELECT publisher, feed_seq, publisher_url, subject_key, \
     action, note, outcome, detail, case_id, action_id, received_at FROM received_sanctions \
     WHERE ($1 IS NULL OR publisher = $1) ORDER BY received_at DESC, feed_seq DESC LIMIT $2";

/// Counts per publisher and outcome, with the last position.
pub(crate) const COUNTS_SQL: &str = "SELECT publisher, outcome, COUNT(*) AS entries, \
     MAX(feed_seq) AS last_seq FROM received_sanctions GROUP BY publisher, outcome \
     ORDER BY publisher, outcome";

/// The last position of `$1` whose entry verified.
pub(crate) const THROUGH_SQL: &str = "SELECT COALESCE(MAX(feed_seq), 0) FROM received_sanctions \
     WHERE publisher = $1 AND outcome <> 'refused'";

/// Reads a row of [`LIST_SQL`].
pub(crate) fn received_from_row<R: Columns>(row: &R) -> Result<ReceivedSanction, StoreError> {
    let outcome = row.text("outcome")?;
    Ok(ReceivedSanction {
        publisher: row.text("publisher")?,
        seq: unseq(row.int("feed_seq")?)?,
        publisher_url: row.text("publisher_url")?,
        subject: row.opt_key("subject_key")?,
        action: row.opt_text("action")?,
        note: row.text("note")?,
        outcome: ReceivedOutcome::from_name(&outcome)
            .ok_or_else(|| StoreError::Corrupt(format!("received outcome {outcome:?}")))?,
        detail: row.text("detail")?,
        case_id: row.opt_text("case_id")?,
        action_id: row.opt_text("action_id")?,
        received_at: row.int("received_at")?,
    })
}

/// Folds [`COUNTS_SQL`] rows `(publisher, outcome, entries, last_seq)` into counts.
pub(crate) fn fold_counts(
    rows: Vec<(String, String, i64, i64)>,
) -> Result<Vec<ReceivedCounts>, StoreError> {
    let mut counts: Vec<ReceivedCounts> = Vec::new();
    for (publisher, outcome, entries, last) in rows {
        let outcome = ReceivedOutcome::from_name(&outcome)
            .ok_or_else(|| StoreError::Corrupt(format!("received outcome {outcome:?}")))?;
        let entries = unseq(entries)?;
        let last = unseq(last)?;
        match counts.last_mut() {
            Some(current) if current.publisher == publisher => {
                current.by_outcome.push((outcome, entries));
                current.last_seq = current.last_seq.max(last);
            }
            _ => counts.push(ReceivedCounts {
                publisher,
                by_outcome: vec![(outcome, entries)],
                last_seq: last,
            }),
        }
    }
    Ok(counts)
}

/// Implements [`ReceivedSanctionStore`] for one backend, whose module defines `begin(&store)`
/// (a moderation write transaction), `reads(&store)` (the pool reads run on), `file_in` (filing
/// a report inside a transaction) and `insert_audit`. The SQL above is the same on both
/// backends, so the code that runs it is written once.
macro_rules! received_sanction_store {
    ($store:ty, $db:ty) => {
        mod shared {
            use sha2::{Digest, Sha256};

            use super::*;
            use $crate::store::StoreError;
            use $crate::store::columns::{seq, unseq};
            use $crate::store::moderation::received::*;
            use $crate::store::moderation::decode::INSERT_ACTION_SQL;
            use $crate::store::moderation::{AppliedSanction, Filed};

            #[async_trait::async_trait]
            impl ReceivedSanctionStore for $store {
                async fn received_through(&self, publisher: &str) -> Result<u64, StoreError> {
                    let last: i64 = sqlx::query_scalar(THROUGH_SQL)
                        .bind(publisher)
                        .fetch_one(reads(self))
                        .await?;
                    unseq(last)
                }

                async fn receive_sanction(
                    &self,
                    received: &ReceivedSanction,
                    effect: &SanctionEffect,
                ) -> Result<Option<ReceivedSanction>, StoreError> {
                    let mut tx = begin(self).await?;
                    let mut stored = received.clone();
                    if !apply_effect(&mut tx, &mut stored, effect).await? {
                        return Ok(None);
                    }
                    let insert = sqlx::query(INSERT_SQL)
                        .bind(&stored.publisher)
                        .bind(seq(stored.seq)?)
                        .bind(&stored.publisher_url)
                        .bind(stored.subject.map(|key| key.as_bytes().to_vec()))
                        .bind(&stored.action)
                        .bind(&stored.note)
                        .bind(stored.outcome.name())
                        .bind(&stored.detail)
                        .bind(&stored.case_id)
                        .bind(&stored.action_id)
                        .bind(stored.received_at)
                        .bind(Sha256::digest(stored.note.as_bytes()).to_vec())
                        .execute(&mut *tx)
                        .await?;
                    if insert.rows_affected() == 0 {
                        // This note was received here before (a refused one, read again): nothing to do.
                        return Ok(None);
                    }
                    tx.commit().await?;
                    Ok(Some(stored))
                }

                async fn received_sanctions(
                    &self,
                    publisher: Option<&str>,
                    limit: u32,
                ) -> Result<Vec<ReceivedSanction>, StoreError> {
                    sqlx::query(LIST_SQL)
                        .bind(publisher)
                        .bind(i64::from(limit))
                        .fetch_all(reads(self))
                        .await?
                        .iter()
                        .map(received_from_row)
                        .collect()
                }

                async fn received_counts(
                    &self,
                ) -> Result<Vec<ReceivedCounts>, StoreError> {
                    fold_counts(
                        sqlx::query_as(COUNTS_SQL)
                            .fetch_all(reads(self))
                            .await?,
                    )
                }
            }

            /// Writes `effect` in `tx` and notes in `stored` the case and action it touched; false when
            /// the entry was received before (nothing written).
            async fn apply_effect(
                tx: &mut sqlx::Transaction<'_, $db>,
                stored: &mut ReceivedSanction,
                effect: &SanctionEffect,
            ) -> Result<bool, StoreError> {
                if stored.outcome != ReceivedOutcome::Refused
                    && caused_by(tx, &stored.publisher, stored.seq)
                        .await?
                        .is_some()
                {
                    return Ok(false);
                }
                match effect {
                    SanctionEffect::Record => {}
                    SanctionEffect::Review(report) => {
                        let case_id = match file_in(tx, report).await? {
                            Filed::Joined { case_id, .. } => case_id,
                            Filed::AlreadyReported(case_id) => {
                                // The publisher reported this open case before: the entry joins as evidence.
                                for evidence in &report.evidence {
                                    sqlx::query(
                                        "INSERT INTO mod_evidence (case_id, kind, reference, added_at) \
                                         VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
                                    )
                                    .bind(&case_id)
                                    .bind(&evidence.kind)
                                    .bind(&evidence.reference)
                                    .bind(report.report.created_at)
                                    .execute(&mut **tx)
                                    .await?;
                                }
                                case_id
                            }
                        };
                        stored.case_id = Some(case_id);
                    }
                    SanctionEffect::Apply(applied) => {
                        let AppliedSanction {
                            case,
                            action,
                            audit,
                        } = applied.as_ref();
                        sqlx::query(CLOSED_CASE_SQL)
                            .bind(&case.case_id)
                            .bind(case.category.name())
                            .bind(case.created_at)
                            .bind(case.accused.as_bytes().as_slice())
                            .bind(i64::from(case.severity_hint))
                            .bind(i64::from(case.required_reviewers))
                            .execute(&mut **tx)
                            .await?;
                        // Like a moderator's action, without a consensus; not republished.
                        sqlx::query(INSERT_ACTION_SQL)
                            .bind(&action.action_id)
                            .bind(&action.case_id)
                            .bind(&action.consensus_id)
                            .bind(action.moderator.as_bytes().as_slice())
                            .bind(action.target.as_bytes().as_slice())
                            .bind(action.action.to_string())
                            .bind(action.action.measure_kind())
                            .bind(&action.reason)
                            .bind(action.created_at)
                            .bind(action.ends_at)
                            .execute(&mut **tx)
                            .await?;
                        insert_audit(tx, audit).await?;
                        stored.case_id = Some(case.case_id.clone());
                        stored.action_id = Some(action.action_id.clone());
                    }
                    SanctionEffect::Lift { negates, by, audit } => {
                        let (outcome, case_id, action_id) = caused_by(tx, &stored.publisher, *negates)
                            .await?
                            .unwrap_or_default();
                        if outcome != "applied" && outcome != "review" {
                            stored.outcome = ReceivedOutcome::Ignored;
                            stored.detail = format!("lifts entry {negates}, which did nothing here");
                            return Ok(true);
                        }
                        let reference = format!("federated:{}#{}", stored.publisher, stored.seq);
                        let by = by.as_bytes().as_slice();
                        if let (Some(action_id), "applied") = (&action_id, outcome.as_str()) {
                            sqlx::query(REVERSE_SQL)
                                .bind(action_id)
                                .bind(&reference)
                                .bind(by)
                                .bind(&stored.detail)
                                .bind(stored.received_at)
                                .execute(&mut **tx)
                                .await?;
                        }
                        if let (Some(case_id), "review") = (&case_id, outcome.as_str()) {
                            let closed = sqlx::query(CLOSE_UNREVIEWED_SQL)
                                .bind(case_id)
                                .bind(stored.received_at)
                                .bind(by)
                                .execute(&mut **tx)
                                .await?;
                            if closed.rows_affected() > 0 {
                                sqlx::query(NOT_UPHELD_SQL)
                                    .bind(case_id)
                                    .bind(false)
                                    .execute(&mut **tx)
                                    .await?;
                            }
                        }
                        insert_audit(tx, audit).await?;
                        stored.case_id = case_id;
                        stored.action_id = action_id;
                    }
                }
                Ok(true)
            }

            /// What entry `at` of `publisher` did here (outcome, case, action), if one that verified was
            /// received there.
            async fn caused_by(
                tx: &mut sqlx::Transaction<'_, $db>,
                publisher: &str,
                at: u64,
            ) -> Result<Option<(String, Option<String>, Option<String>)>, StoreError> {
                Ok(sqlx::query_as(CAUSED_SQL)
                    .bind(publisher)
                    .bind(seq(at)?)
                    .fetch_optional(&mut **tx)
                    .await?)
            }
        }
    };
}
pub(crate) use received_sanction_store;
