//! Row decoding and shared statements of the SQLite moderation store: keys, names and flags
//! out of rows, the audit insert, case state changes, and the reviewer-claim candidate queries.

use scr::PublicKey;
use sqlx::sqlite::SqliteRow;
use sqlx::{Row, Sqlite, Transaction};

use super::super::StoreError;
use super::super::moderation::{
    ActionRow, AppealRow, AssignmentRow, AuditEntry, CaseRow, Claim, ReportRow, ReviewerStatsRow,
    VoteRow,
};
use crate::moderation::{ActionKind, CaseState, Category, Decision};

pub(super) fn corrupt(what: impl Into<String>) -> StoreError {
    StoreError::Corrupt(what.into())
}

pub(super) fn key(row: &SqliteRow, column: &str) -> Result<PublicKey, StoreError> {
    let bytes: Vec<u8> = row.try_get(column)?;
    let array: [u8; 32] = bytes
        .as_slice()
        .try_into()
        .map_err(|_| corrupt(format!("{column} of {} bytes", bytes.len())))?;
    Ok(PublicKey::from_bytes(array))
}

pub(super) fn opt_key(row: &SqliteRow, column: &str) -> Result<Option<PublicKey>, StoreError> {
    let bytes: Option<Vec<u8>> = row.try_get(column)?;
    bytes
        .map(|bytes| {
            <[u8; 32]>::try_from(bytes.as_slice())
                .map(PublicKey::from_bytes)
                .map_err(|_| corrupt(format!("{column} of {} bytes", bytes.len())))
        })
        .transpose()
}

pub(super) fn small<T: TryFrom<i64>>(row: &SqliteRow, column: &str) -> Result<T, StoreError> {
    let value: i64 = row.try_get(column)?;
    T::try_from(value).map_err(|_| corrupt(format!("{column} = {value} out of range")))
}

pub(super) fn named<T>(
    row: &SqliteRow,
    column: &str,
    parse: fn(&str) -> Option<T>,
) -> Result<T, StoreError> {
    let text: String = row.try_get(column)?;
    parse(&text).ok_or_else(|| corrupt(format!("{column} = {text:?}")))
}

pub(super) fn flag(row: &SqliteRow, column: &str) -> Result<bool, StoreError> {
    Ok(row.try_get::<i64, _>(column)? != 0)
}

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

pub(super) const CASE_COLUMNS: &str = "c.case_id, c.category, c.state, c.created_at, c.updated_at, \
    c.closed_at, c.severity_hint, c.accused_key, c.required_reviewers, c.telemetry_summary, \
    c.anti_cheat_summary";

pub(super) fn case_from_row(row: &SqliteRow) -> Result<CaseRow, StoreError> {
    Ok(CaseRow {
        case_id: row.try_get("case_id")?,
        category: named(row, "category", Category::from_name)?,
        state: named(row, "state", CaseState::from_name)?,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
        closed_at: row.try_get("closed_at")?,
        severity_hint: small(row, "severity_hint")?,
        accused: key(row, "accused_key")?,
        required_reviewers: small(row, "required_reviewers")?,
        telemetry_summary: row.try_get("telemetry_summary")?,
        anti_cheat_summary: row.try_get("anti_cheat_summary")?,
    })
}

pub(super) fn report_from_row(row: &SqliteRow) -> Result<ReportRow, StoreError> {
    let upheld: Option<i64> = row.try_get("upheld")?;
    Ok(ReportRow {
        report_id: row.try_get("report_id")?,
        case_id: row.try_get("case_id")?,
        reporter: key(row, "reporter_key")?,
        category: named(row, "category", Category::from_name)?,
        note: row.try_get("note")?,
        created_at: row.try_get("created_at")?,
        upheld: upheld.map(|v| v != 0),
    })
}

pub(super) const ASSIGNMENT_COLUMNS: &str = "a.assignment_id, a.case_id, a.reviewer_key, a.assigned_at, \
    a.expires_at, a.calibration, \
    EXISTS (SELECT 1 FROM mod_votes v WHERE v.assignment_id = a.assignment_id) AS voted";

pub(super) fn assignment_from_row(row: &SqliteRow) -> Result<AssignmentRow, StoreError> {
    Ok(AssignmentRow {
        assignment_id: row.try_get("assignment_id")?,
        case_id: row.try_get("case_id")?,
        reviewer: key(row, "reviewer_key")?,
        assigned_at: row.try_get("assigned_at")?,
        expires_at: row.try_get("expires_at")?,
        calibration: flag(row, "calibration")?,
        voted: flag(row, "voted")?,
    })
}

pub(super) fn vote_from_row(row: &SqliteRow) -> Result<VoteRow, StoreError> {
    Ok(VoteRow {
        assignment_id: row.try_get("assignment_id")?,
        case_id: row.try_get("case_id")?,
        reviewer: key(row, "reviewer_key")?,
        submitted_at: row.try_get("submitted_at")?,
        decision: named(row, "decision", Decision::from_name)?,
        confidence: small(row, "confidence")?,
        notes: row.try_get("notes")?,
        weight: row.try_get("weight")?,
        calibration: flag(row, "calibration")?,
    })
}

pub(super) fn stats_from_row(row: &SqliteRow) -> Result<ReviewerStatsRow, StoreError> {
    Ok(ReviewerStatsRow {
        reviewer: key(row, "reviewer_key")?,
        cases_reviewed: small(row, "cases_reviewed")?,
        calibration_cases_seen: small(row, "calibration_cases_seen")?,
        calibration_accuracy: row.try_get("calibration_accuracy")?,
        moderator_judged: small(row, "moderator_judged")?,
        moderator_agreed: small(row, "moderator_agreed")?,
    })
}

pub(super) const ACTION_COLUMNS: &str = "a.action_id, a.case_id, a.consensus_id, a.moderator_key, \
    a.target_key, a.action, a.reason, a.created_at, a.ends_at, \
    EXISTS (SELECT 1 FROM mod_reversals r WHERE r.action_id = a.action_id) AS reversed";

pub(super) fn action_from_row(row: &SqliteRow) -> Result<ActionRow, StoreError> {
    let text: String = row.try_get("action")?;
    Ok(ActionRow {
        action_id: row.try_get("action_id")?,
        case_id: row.try_get("case_id")?,
        consensus_id: row.try_get("consensus_id")?,
        moderator: key(row, "moderator_key")?,
        target: key(row, "target_key")?,
        action: text
            .parse::<ActionKind>()
            .map_err(|_| corrupt(format!("action = {text:?}")))?,
        reason: row.try_get("reason")?,
        created_at: row.try_get("created_at")?,
        ends_at: row.try_get("ends_at")?,
        reversed: flag(row, "reversed")?,
    })
}

pub(super) fn appeal_from_row(row: &SqliteRow) -> Result<AppealRow, StoreError> {
    Ok(AppealRow {
        appeal_id: row.try_get("appeal_id")?,
        case_id: row.try_get("case_id")?,
        player: key(row, "player_key")?,
        statement: row.try_get("statement")?,
        created_at: row.try_get("created_at")?,
        decision: row.try_get("decision")?,
        moderator: opt_key(row, "moderator_key")?,
        reason: row.try_get("reason")?,
        decided_at: row.try_get("decided_at")?,
    })
}

pub(super) fn audit_from_row(row: &SqliteRow) -> Result<AuditEntry, StoreError> {
    Ok(AuditEntry {
        audit_id: row.try_get("audit_id")?,
        at: row.try_get("at")?,
        actor: opt_key(row, "actor_key")?,
        actor_role: row.try_get("actor_role")?,
        action: row.try_get("action")?,
        case_id: row.try_get("case_id")?,
        target: opt_key(row, "target_key")?,
        reason: row.try_get("reason")?,
        details: row.try_get("details")?,
    })
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
    row.map(|row| named(&row, "state", CaseState::from_name))
        .transpose()
}

/// Claims a calibration case for the reviewer, if one they never had is available.
pub(super) const CALIBRATION_CANDIDATE: &str = "SELECT c.case_id FROM mod_cases c \
    JOIN mod_calibration_cases k ON k.case_id = c.case_id \
    WHERE c.accused_key <> ? \
    AND NOT EXISTS (SELECT 1 FROM mod_reports r WHERE r.case_id = c.case_id AND r.reporter_key = ?) \
    AND NOT EXISTS (SELECT 1 FROM mod_assignments a WHERE a.case_id = c.case_id AND a.reviewer_key = ?) \
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
            .fetch_optional(&mut **tx)
            .await?
    };
    Ok(row.map(|row| row.try_get("case_id")).transpose()?)
}
