//! Moderation rows out of query rows, for every backend: the column lists the backends select
//! and the decoders that check each stored name, key and count.

use super::rows::{
    ActionRow, AppealRow, AssignmentRow, AuditEntry, CaseListRow, CaseRow, ConsensusRow,
    Provenance, ReportRow, ReviewerStatsRow, VoteRow,
};
use crate::moderation::{ActionKind, CaseState, Category, Decision};
use crate::store::StoreError;
use crate::store::columns::Columns;

/// A stored value that does not decode.
pub(crate) fn corrupt(what: impl Into<String>) -> StoreError {
    StoreError::Corrupt(what.into())
}

/// The columns [`case_from_row`] reads, from `mod_cases c`.
pub(crate) const CASE_COLUMNS: &str = "c.case_id, c.category, c.state, c.created_at, \
    c.updated_at, c.closed_at, c.severity_hint, c.accused_key, c.required_reviewers, \
    c.telemetry_summary, c.anti_cheat_summary";

/// A case selected with [`CASE_COLUMNS`].
pub(crate) fn case_from_row(row: &impl Columns) -> Result<CaseRow, StoreError> {
    Ok(CaseRow {
        case_id: row.text("case_id")?,
        category: row.named("category", Category::from_name)?,
        state: row.named("state", CaseState::from_name)?,
        created_at: row.int("created_at")?,
        updated_at: row.int("updated_at")?,
        closed_at: row.opt_int("closed_at")?,
        severity_hint: row.small("severity_hint")?,
        accused: row.key("accused_key")?,
        required_reviewers: row.small("required_reviewers")?,
        telemetry_summary: row.opt_text("telemetry_summary")?,
        anti_cheat_summary: row.opt_text("anti_cheat_summary")?,
    })
}

/// The columns [`report_from_row`] reads, from `mod_reports`.
pub(crate) const REPORT_COLUMNS: &str =
    "report_id, case_id, reporter_key, category, note, created_at, upheld";

/// A report selected with [`REPORT_COLUMNS`].
pub(crate) fn report_from_row(row: &impl Columns) -> Result<ReportRow, StoreError> {
    Ok(ReportRow {
        report_id: row.text("report_id")?,
        case_id: row.text("case_id")?,
        reporter: row.key("reporter_key")?,
        category: row.named("category", Category::from_name)?,
        note: row.text("note")?,
        created_at: row.int("created_at")?,
        upheld: row.opt_flag("upheld")?,
    })
}

/// The columns [`assignment_from_row`] reads, from `mod_assignments a`.
pub(crate) const ASSIGNMENT_COLUMNS: &str = "a.assignment_id, a.case_id, a.reviewer_key, \
    a.assigned_at, a.expires_at, a.calibration, \
    EXISTS (SELECT 1 FROM mod_votes v WHERE v.assignment_id = a.assignment_id) AS voted";

/// An assignment selected with [`ASSIGNMENT_COLUMNS`].
pub(crate) fn assignment_from_row(row: &impl Columns) -> Result<AssignmentRow, StoreError> {
    Ok(AssignmentRow {
        assignment_id: row.text("assignment_id")?,
        case_id: row.text("case_id")?,
        reviewer: row.key("reviewer_key")?,
        assigned_at: row.int("assigned_at")?,
        expires_at: row.int("expires_at")?,
        calibration: row.flag("calibration")?,
        voted: row.flag("voted")?,
    })
}

/// The columns [`vote_from_row`] reads, from `mod_votes`.
pub(crate) const VOTE_COLUMNS: &str = "assignment_id, case_id, reviewer_key, submitted_at, \
    decision, confidence, notes, weight, calibration";

/// A vote selected with [`VOTE_COLUMNS`].
pub(crate) fn vote_from_row(row: &impl Columns) -> Result<VoteRow, StoreError> {
    Ok(VoteRow {
        assignment_id: row.text("assignment_id")?,
        case_id: row.text("case_id")?,
        reviewer: row.key("reviewer_key")?,
        submitted_at: row.int("submitted_at")?,
        decision: row.named("decision", Decision::from_name)?,
        confidence: row.small("confidence")?,
        notes: row.opt_text("notes")?,
        weight: row.float("weight")?,
        calibration: row.flag("calibration")?,
    })
}

/// The columns [`stats_from_row`] reads, from `mod_reviewer_stats`.
pub(crate) const STATS_COLUMNS: &str = "reviewer_key, cases_reviewed, calibration_cases_seen, \
    calibration_accuracy, moderator_judged, moderator_agreed";

/// A reviewer's record selected with [`STATS_COLUMNS`].
pub(crate) fn stats_from_row(row: &impl Columns) -> Result<ReviewerStatsRow, StoreError> {
    Ok(ReviewerStatsRow {
        reviewer: row.key("reviewer_key")?,
        cases_reviewed: row.small("cases_reviewed")?,
        calibration_cases_seen: row.small("calibration_cases_seen")?,
        calibration_accuracy: row.float("calibration_accuracy")?,
        moderator_judged: row.small("moderator_judged")?,
        moderator_agreed: row.small("moderator_agreed")?,
    })
}

/// Inserts an action: `$1` id, `$2` case, `$3` consensus, `$4` moderator, `$5` target, `$6`
/// action text, `$7` measure kind, `$8` reason, `$9` time, `$10` end.
pub(crate) const INSERT_ACTION_SQL: &str = "INSERT INTO mod_actions (action_id, case_id, \
    consensus_id, moderator_key, target_key, action, measure_kind, reason, created_at, ends_at) \
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)";

/// The columns [`action_from_row`] reads, from `mod_actions a`.
pub(crate) const ACTION_COLUMNS: &str = "a.action_id, a.case_id, a.consensus_id, \
    a.moderator_key, a.target_key, a.action, a.reason, a.created_at, a.ends_at, \
    EXISTS (SELECT 1 FROM mod_reversals r WHERE r.action_id = a.action_id) AS reversed, \
    (SELECT f.publisher FROM received_sanctions f WHERE f.action_id = a.action_id \
     AND f.outcome = 'applied') AS fed_publisher, \
    (SELECT f.publisher_url FROM received_sanctions f WHERE f.action_id = a.action_id \
     AND f.outcome = 'applied') AS fed_url, \
    (SELECT f.feed_seq FROM received_sanctions f WHERE f.action_id = a.action_id \
     AND f.outcome = 'applied') AS fed_seq";

/// An action selected with [`ACTION_COLUMNS`].
pub(crate) fn action_from_row(row: &impl Columns) -> Result<ActionRow, StoreError> {
    let text = row.text("action")?;
    Ok(ActionRow {
        action_id: row.text("action_id")?,
        case_id: row.text("case_id")?,
        consensus_id: row.opt_text("consensus_id")?,
        moderator: row.key("moderator_key")?,
        target: row.key("target_key")?,
        action: text
            .parse::<ActionKind>()
            .map_err(|_| corrupt(format!("action = {text:?}")))?,
        reason: row.text("reason")?,
        created_at: row.int("created_at")?,
        ends_at: row.opt_int("ends_at")?,
        reversed: row.flag("reversed")?,
        provenance: match (row.opt_text("fed_publisher")?, row.opt_text("fed_url")?) {
            (Some(publisher), Some(publisher_url)) => Some(Provenance {
                publisher,
                publisher_url,
                seq: crate::store::columns::unseq(row.int("fed_seq")?)?,
            }),
            _ => None,
        },
    })
}

/// The columns [`appeal_from_row`] reads, from `mod_appeals`.
pub(crate) const APPEAL_COLUMNS: &str = "appeal_id, case_id, player_key, statement, created_at, \
    decision, moderator_key, reason, decided_at";

/// An appeal selected with [`APPEAL_COLUMNS`].
pub(crate) fn appeal_from_row(row: &impl Columns) -> Result<AppealRow, StoreError> {
    Ok(AppealRow {
        appeal_id: row.text("appeal_id")?,
        case_id: row.text("case_id")?,
        player: row.key("player_key")?,
        statement: row.text("statement")?,
        created_at: row.int("created_at")?,
        decision: row.opt_text("decision")?,
        moderator: row.opt_key("moderator_key")?,
        reason: row.opt_text("reason")?,
        decided_at: row.opt_int("decided_at")?,
    })
}

/// The columns [`audit_from_row`] reads, from `mod_audit`.
pub(crate) const AUDIT_COLUMNS: &str =
    "audit_id, at, actor_key, actor_role, action, case_id, target_key, reason, details";

/// An audit line selected with [`AUDIT_COLUMNS`].
pub(crate) fn audit_from_row(row: &impl Columns) -> Result<AuditEntry, StoreError> {
    Ok(AuditEntry {
        audit_id: row.text("audit_id")?,
        at: row.int("at")?,
        actor: row.opt_key("actor_key")?,
        actor_role: row.text("actor_role")?,
        action: row.text("action")?,
        case_id: row.opt_text("case_id")?,
        target: row.opt_key("target_key")?,
        reason: row.text("reason")?,
        details: row.text("details")?,
    })
}

/// The columns [`consensus_from_row`] reads, from `mod_consensus`.
pub(crate) const CONSENSUS_COLUMNS: &str = "consensus_id, case_id, created_at, reached, \
    weighted_decision, agreement_ratio, reviewer_count, requires_moderator, recommended_actions";

/// A consensus record selected with [`CONSENSUS_COLUMNS`].
pub(crate) fn consensus_from_row(row: &impl Columns) -> Result<ConsensusRow, StoreError> {
    let actions = row.text("recommended_actions")?;
    Ok(ConsensusRow {
        consensus_id: row.text("consensus_id")?,
        case_id: row.text("case_id")?,
        created_at: row.int("created_at")?,
        reached: row.flag("reached")?,
        weighted_decision: row
            .opt_text("weighted_decision")?
            .map(|d| Decision::from_name(&d).ok_or_else(|| corrupt("weighted_decision")))
            .transpose()?,
        agreement_ratio: row.float("agreement_ratio")?,
        reviewer_count: row.small("reviewer_count")?,
        requires_moderator: row.flag("requires_moderator")?,
        recommended_actions: serde_json::from_str(&actions)
            .map_err(|_| corrupt("recommended_actions"))?,
    })
}

/// A row of the moderator's case list: [`CASE_COLUMNS`] with `report_count`, `vote_count`,
/// `requires_moderator` (NULL without a consensus) and `calibration`.
pub(crate) fn case_list_from_row(row: &impl Columns) -> Result<CaseListRow, StoreError> {
    Ok(CaseListRow {
        case: case_from_row(row)?,
        reports: row.small("report_count")?,
        votes: row.small("vote_count")?,
        requires_moderator: row.opt_flag("requires_moderator")?,
        calibration: row.flag("calibration")?,
    })
}
