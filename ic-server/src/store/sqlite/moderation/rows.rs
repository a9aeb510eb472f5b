//! Shared statements of the SQLite moderation store: whether an insert hit a duplicate, the
//! audit insert, case state changes, and the reviewer-claim candidate queries.

use sqlx::sqlite::SqliteRow;
use sqlx::{Row, Sqlite, Transaction};

use crate::moderation::CaseState;
use crate::store::StoreError;
use crate::store::columns::Columns;
use crate::store::moderation::{AppealRow, AuditEntry, Claim};

pub(super) use crate::store::moderation::decode::*;

/// Whether an insert happened: false when it hit a unique constraint (a duplicate).
pub(super) fn inserted(
    result: Result<sqlx::sqlite::SqliteQueryResult, sqlx::Error>,
) -> Result<bool, StoreError> {
    match result {
        Ok(_) => Ok(true),
        Err(sqlx::Error::Database(db)) if db.is_unique_violation() => Ok(false),
        Err(error) => Err(error.into()),
    }
}

pub(super) async fn insert_audit(
    tx: &mut Transaction<'_, Sqlite>,
    entry: &AuditEntry,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO mod_audit (audit_id, at, actor_key, actor_role, action, case_id, \
         target_key, reason, details) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
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
    tx: &mut Transaction<'_, Sqlite>,
    appeal: &AppealRow,
) -> Result<bool, StoreError> {
    let insert = sqlx::query(
        "INSERT INTO mod_appeals (appeal_id, case_id, player_key, statement, created_at) \
         VALUES (?, ?, ?, ?, ?)",
    )
    .bind(&appeal.appeal_id)
    .bind(&appeal.case_id)
    .bind(appeal.player.as_bytes().as_slice())
    .bind(&appeal.statement)
    .bind(appeal.created_at)
    .execute(&mut **tx)
    .await;
    inserted(insert)
}

/// Records `appeal`'s decision (moderator, reason, time) if it is still open; false if it was
/// decided meanwhile.
pub(super) async fn record_appeal_decision(
    tx: &mut Transaction<'_, Sqlite>,
    appeal: &AppealRow,
) -> Result<bool, StoreError> {
    let (Some(moderator), Some(decided_at)) = (appeal.moderator, appeal.decided_at) else {
        return Err(StoreError::Corrupt(
            "an appeal decision needs a moderator and a time".into(),
        ));
    };
    let updated = sqlx::query(
        "UPDATE mod_appeals SET decision = ?, moderator_key = ?, reason = ?, \
         decided_at = ? WHERE appeal_id = ? AND decision IS NULL",
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
    tx: &mut Transaction<'_, Sqlite>,
    case_id: &str,
    state: CaseState,
    now: i64,
) -> Result<(), StoreError> {
    let closed_at = state.is_closed().then_some(now);
    sqlx::query("UPDATE mod_cases SET state = ?, updated_at = ?, closed_at = ? WHERE case_id = ?")
        .bind(state.name())
        .bind(now)
        .bind(closed_at)
        .bind(case_id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

pub(super) async fn case_state(
    tx: &mut Transaction<'_, Sqlite>,
    case_id: &str,
) -> Result<Option<CaseState>, StoreError> {
    let row = sqlx::query("SELECT state FROM mod_cases WHERE case_id = ?")
        .bind(case_id)
        .fetch_optional(&mut **tx)
        .await?;
    row.map(|row: SqliteRow| row.named("state", CaseState::from_name))
        .transpose()
}

/// Claims a calibration case for the reviewer, if one they never had is available.
pub(super) const CALIBRATION_CANDIDATE: &str = "SELECT c.case_id FROM mod_cases c \
    JOIN mod_calibration_cases k ON k.case_id = c.case_id \
    WHERE c.accused_key <> ? \
    AND NOT EXISTS (SELECT 1 FROM mod_reports r WHERE r.case_id = c.case_id AND r.reporter_key = ?) \
    AND NOT EXISTS (SELECT 1 FROM mod_assignments a WHERE a.case_id = c.case_id AND a.reviewer_key = ?) \
    AND NOT EXISTS (SELECT 1 FROM mod_case_players p WHERE p.case_id = c.case_id AND p.player_key = ?) \
    ORDER BY k.marked_at ASC, c.case_id ASC LIMIT 1";

/// The most severe, oldest real case with a free reviewer slot the reviewer may take.
pub(super) const REAL_CANDIDATE: &str = "SELECT c.case_id FROM mod_cases c \
    WHERE c.state IN ('queued', 'in_review') \
    AND c.accused_key <> ? \
    AND NOT EXISTS (SELECT 1 FROM mod_calibration_cases k WHERE k.case_id = c.case_id) \
    AND NOT EXISTS (SELECT 1 FROM mod_reports r WHERE r.case_id = c.case_id AND r.reporter_key = ?) \
    AND NOT EXISTS (SELECT 1 FROM mod_votes v WHERE v.case_id = c.case_id AND v.reviewer_key = ?) \
    AND NOT EXISTS (SELECT 1 FROM mod_assignments a WHERE a.case_id = c.case_id \
        AND a.reviewer_key = ? AND a.expires_at > ?) \
    AND NOT EXISTS (SELECT 1 FROM mod_case_players p WHERE p.case_id = c.case_id \
        AND p.player_key = ?) \
    AND (SELECT COUNT(*) FROM mod_votes v WHERE v.case_id = c.case_id AND v.calibration = 0) \
      + (SELECT COUNT(*) FROM mod_assignments a WHERE a.case_id = c.case_id \
          AND a.calibration = 0 AND a.expires_at > ? \
          AND NOT EXISTS (SELECT 1 FROM mod_votes v WHERE v.assignment_id = a.assignment_id)) \
      < c.required_reviewers \
    ORDER BY c.severity_hint DESC, c.created_at ASC, c.case_id ASC LIMIT 1";

pub(super) async fn candidate(
    tx: &mut Transaction<'_, Sqlite>,
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
            .bind(reviewer)
            .bind(claim.now)
            .fetch_optional(&mut **tx)
            .await?
    };
    Ok(row.map(|row| row.try_get("case_id")).transpose()?)
}
