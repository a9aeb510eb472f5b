//! Shared statements of the PostgreSQL moderation store: the serializing write transaction, the
//! audit insert, case state changes, and the reviewer-claim candidate queries.

use sqlx::postgres::PgRow;
use sqlx::{Postgres, Transaction};

use crate::moderation::CaseState;
use crate::store::StoreError;
use crate::store::columns::Columns;
use crate::store::moderation::{AppealRow, AuditEntry, Claim};

pub(super) use crate::store::moderation::decode::*;

/// The advisory lock every moderation write transaction holds ("ic-mod" in ASCII).
const MODERATION_LOCK: i64 = 0x6963_2d6d_6f64;

/// A transaction that holds the moderation lock until it ends.
///
/// Why one lock for all moderation writes: the SQLite store gets its guarantees (the last free
/// reviewer slot taken once, one open case per accused and category, a case's state checked
/// and changed together) from a single writer; moderation writes come at human speed, so
/// serializing them across every process keeps the same guarantees with the same reasoning.
pub(super) async fn write_transaction(
    pool: &sqlx::PgPool,
) -> Result<Transaction<'static, Postgres>, StoreError> {
    let mut tx = pool.begin().await?;
    sqlx::query("SELECT pg_advisory_xact_lock($1)")
        .bind(MODERATION_LOCK)
        .execute(&mut *tx)
        .await?;
    Ok(tx)
}

pub(super) async fn insert_audit(
    tx: &mut Transaction<'_, Postgres>,
    entry: &AuditEntry,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO mod_audit (audit_id, at, actor_key, actor_role, action, case_id, \
         target_key, reason, details) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(&entry.audit_id)
    .bind(entry.at)
    .bind(entry.actor.map(|k| k.as_bytes().to_vec()))
    .bind(&entry.actor_role)
    .bind(&entry.action)
    .bind(&entry.case_id)
    .bind(entry.target.map(|k| k.as_bytes().to_vec()))
    .bind(&entry.reason)
    .bind(&entry.details)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Inserts an open appeal; false if this player already appealed its subject.
pub(super) async fn insert_appeal(
    tx: &mut Transaction<'_, Postgres>,
    appeal: &AppealRow,
) -> Result<bool, StoreError> {
    let insert = sqlx::query(
        "INSERT INTO mod_appeals (appeal_id, case_id, player_key, statement, created_at) \
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
    )
    .bind(&appeal.appeal_id)
    .bind(&appeal.case_id)
    .bind(appeal.player.as_bytes().as_slice())
    .bind(&appeal.statement)
    .bind(appeal.created_at)
    .execute(&mut **tx)
    .await?;
    Ok(insert.rows_affected() > 0)
}

/// Records `appeal`'s decision (moderator, reason, time) if it is still open; false if it was
/// decided meanwhile.
pub(super) async fn record_appeal_decision(
    tx: &mut Transaction<'_, Postgres>,
    appeal: &AppealRow,
) -> Result<bool, StoreError> {
    let (Some(moderator), Some(decided_at)) = (appeal.moderator, appeal.decided_at) else {
        return Err(StoreError::Corrupt(
            "an appeal decision needs a moderator and a time".into(),
        ));
    };
    let updated = sqlx::query(
        "UPDATE mod_appeals SET decision = $1, moderator_key = $2, reason = $3, \
         decided_at = $4 WHERE appeal_id = $5 AND decision IS NULL",
    )
    .bind(&appeal.decision)
    .bind(moderator.as_bytes().as_slice())
    .bind(&appeal.reason)
    .bind(decided_at)
    .bind(&appeal.appeal_id)
    .execute(&mut **tx)
    .await?;
    Ok(updated.rows_affected() > 0)
}

/// Moves a case to `state`, stamping `closed_at` when the state is closed.
pub(super) async fn set_state(
    tx: &mut Transaction<'_, Postgres>,
    case_id: &str,
    state: CaseState,
    now: i64,
) -> Result<(), StoreError> {
    let closed_at = state.is_closed().then_some(now);
    sqlx::query(
        "UPDATE mod_cases SET state = $1, updated_at = $2, closed_at = $3 WHERE case_id = $4",
    )
    .bind(state.name())
    .bind(now)
    .bind(closed_at)
    .bind(case_id)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

pub(super) async fn case_state(
    tx: &mut Transaction<'_, Postgres>,
    case_id: &str,
) -> Result<Option<CaseState>, StoreError> {
    let row = sqlx::query("SELECT state FROM mod_cases WHERE case_id = $1")
        .bind(case_id)
        .fetch_optional(&mut **tx)
        .await?;
    row.map(|row: PgRow| row.named("state", CaseState::from_name))
        .transpose()
}

/// Claims a calibration case for the reviewer, if one they never had is available.
pub(super) const CALIBRATION_CANDIDATE: &str = "SELECT c.case_id FROM mod_cases c \
    JOIN mod_calibration_cases k ON k.case_id = c.case_id \
    WHERE c.accused_key <> $1 \
    AND NOT EXISTS (SELECT 1 FROM mod_reports r WHERE r.case_id = c.case_id AND r.reporter_key = $2) \
    AND NOT EXISTS (SELECT 1 FROM mod_assignments a WHERE a.case_id = c.case_id AND a.reviewer_key = $3) \
    AND NOT EXISTS (SELECT 1 FROM mod_case_players p WHERE p.case_id = c.case_id AND p.player_key = $4) \
    ORDER BY k.marked_at ASC, c.case_id ASC LIMIT 1";

/// The most severe, oldest real case with a free reviewer slot the reviewer may take.
pub(super) const REAL_CANDIDATE: &str = "SELECT c.case_id FROM mod_cases c \
    WHERE c.state IN ('queued', 'in_review') \
    AND c.accused_key <> $1 \
    AND NOT EXISTS (SELECT 1 FROM mod_calibration_cases k WHERE k.case_id = c.case_id) \
    AND NOT EXISTS (SELECT 1 FROM mod_reports r WHERE r.case_id = c.case_id AND r.reporter_key = $2) \
    AND NOT EXISTS (SELECT 1 FROM mod_votes v WHERE v.case_id = c.case_id AND v.reviewer_key = $3) \
    AND NOT EXISTS (SELECT 1 FROM mod_assignments a WHERE a.case_id = c.case_id \
        AND a.reviewer_key = $4 AND a.expires_at > $5) \
    AND NOT EXISTS (SELECT 1 FROM mod_case_players p WHERE p.case_id = c.case_id \
        AND p.player_key = $7) \
    AND (SELECT COUNT(*) FROM mod_votes v WHERE v.case_id = c.case_id AND NOT v.calibration) \
      + (SELECT COUNT(*) FROM mod_assignments a WHERE a.case_id = c.case_id \
          AND NOT a.calibration AND a.expires_at > $6 \
          AND NOT EXISTS (SELECT 1 FROM mod_votes v WHERE v.assignment_id = a.assignment_id)) \
      < c.required_reviewers \
    ORDER BY c.severity_hint DESC, c.created_at ASC, c.case_id ASC LIMIT 1";

pub(super) async fn candidate(
    tx: &mut Transaction<'_, Postgres>,
    claim: &Claim,
    calibration: bool,
) -> Result<Option<String>, StoreError> {
    let reviewer = claim.reviewer.as_bytes().as_slice();
    let row = if calibration {
        sqlx::query(CALIBRATION_CANDIDATE)
            .bind(reviewer)
            .bind(reviewer)
            .bind(reviewer)
            .bind(reviewer)
            .fetch_optional(&mut **tx)
            .await?
    } else {
        sqlx::query(REAL_CANDIDATE)
            .bind(reviewer)
            .bind(reviewer)
            .bind(reviewer)
            .bind(reviewer)
            .bind(claim.now)
            .bind(claim.now)
            .bind(reviewer)
            .fetch_optional(&mut **tx)
            .await?
    };
    row.map(|row| row.text("case_id")).transpose()
}
