//! What each audience sees of a case. Reviewers get per-case pseudonyms and redacted free text,
//! never a key, a timestamp of the case or its state (so calibration cases look like any other);
//! moderators get identities resolved (the service audits every such view).

use serde::Serialize;
use serde_json::Value;

use super::pseudonym::Pseudonyms;
use super::redact::redact_keys;
use super::{Category, Decision};
use crate::store::moderation::{
    ActionRow, AppealRow, AssignmentRow, CaseRow, ConsensusRow, EvidenceRow, ReportRow, VoteRow,
};

/// A report as a reviewer sees it.
#[derive(Debug, Clone, Serialize)]
pub struct ReviewerReport {
    /// The reporter's pseudonym in this case.
    pub reporter: String,
    /// Category reported.
    pub category: Category,
    /// The note, with anything key-like removed.
    pub note: String,
}

/// The reviewer's own vote.
#[derive(Debug, Clone, Serialize)]
pub struct OwnVote {
    /// Verdict.
    pub decision: Decision,
    /// Confidence.
    pub confidence: u8,
    /// Notes (redacted).
    pub notes: Option<String>,
}

/// An evidence reference.
#[derive(Debug, Clone, Serialize)]
pub struct EvidenceView {
    /// `match_id`, `replay_id` or `timeline_marker`.
    pub kind: String,
    /// The reference.
    pub reference: String,
}

/// A case as its assigned reviewer sees it.
#[derive(Debug, Clone, Serialize)]
pub struct ReviewerCaseView {
    /// The assignment to vote on.
    pub assignment_id: String,
    /// The case (an opaque random id).
    pub case_id: String,
    /// Vote deadline (Unix seconds).
    pub expires_at: i64,
    /// Whether the reviewer voted.
    pub voted: bool,
    /// Category.
    pub category: Category,
    /// Triage hint.
    pub severity_hint: u8,
    /// Reviewers the case needs.
    pub required_reviewers: u8,
    /// The accused's pseudonym in this case.
    pub accused: String,
    /// Reports.
    pub reports: Vec<ReviewerReport>,
    /// Evidence references.
    pub evidence: Vec<EvidenceView>,
    /// Relay telemetry summary, if attached.
    pub telemetry_summary: Option<Value>,
    /// Anti-cheat summary, if attached.
    pub anti_cheat_summary: Option<Value>,
    /// The reviewer's vote, once cast.
    pub your_vote: Option<OwnVote>,
}

/// Every string leaf of `value` with anything key-like removed.
fn redact_json(value: Value) -> Value {
    match value {
        Value::String(text) => Value::String(redact_keys(&text)),
        Value::Array(items) => Value::Array(items.into_iter().map(redact_json).collect()),
        Value::Object(map) => Value::Object(
            map.into_iter()
                .map(|(k, v)| (redact_keys(&k), redact_json(v)))
                .collect(),
        ),
        other => other,
    }
}

fn summary(text: Option<&str>) -> Option<Value> {
    text.and_then(|t| serde_json::from_str(t).ok())
}

fn evidence_view(evidence: &[EvidenceRow], redact: bool) -> Vec<EvidenceView> {
    evidence
        .iter()
        .map(|e| EvidenceView {
            kind: e.kind.clone(),
            // Match ids are hashes of certified results, checked on intake; other references
            // are reporter-typed text and are redacted for reviewers.
            reference: if redact && e.kind != "match_id" {
                redact_keys(&e.reference)
            } else {
                e.reference.clone()
            },
        })
        .collect()
}

/// The reviewer's view of the case behind `assignment`.
pub fn reviewer_view(
    names: &Pseudonyms,
    assignment: &AssignmentRow,
    case: &CaseRow,
    reports: &[ReportRow],
    evidence: &[EvidenceRow],
    own_vote: Option<&VoteRow>,
) -> ReviewerCaseView {
    ReviewerCaseView {
        assignment_id: assignment.assignment_id.clone(),
        case_id: case.case_id.clone(),
        expires_at: assignment.expires_at,
        voted: own_vote.is_some(),
        category: case.category,
        severity_hint: case.severity_hint,
        required_reviewers: case.required_reviewers,
        accused: names.player(&case.case_id, &case.accused),
        reports: reports
            .iter()
            .map(|r| ReviewerReport {
                reporter: names.player(&case.case_id, &r.reporter),
                category: r.category,
                note: redact_keys(&r.note),
            })
            .collect(),
        evidence: evidence_view(evidence, true),
        telemetry_summary: summary(case.telemetry_summary.as_deref()).map(redact_json),
        anti_cheat_summary: summary(case.anti_cheat_summary.as_deref()).map(redact_json),
        your_vote: own_vote.map(|v| OwnVote {
            decision: v.decision,
            confidence: v.confidence,
            notes: v.notes.as_deref().map(redact_keys),
        }),
    }
}

/// Everything stored about a case.
pub struct CaseFile {
    /// The case.
    pub case: CaseRow,
    /// Its reports.
    pub reports: Vec<ReportRow>,
    /// Its evidence.
    pub evidence: Vec<EvidenceRow>,
    /// Its votes.
    pub votes: Vec<VoteRow>,
    /// Its consensus record.
    pub consensus: Option<ConsensusRow>,
    /// Actions on it.
    pub actions: Vec<ActionRow>,
    /// The known decision, if it is a calibration case.
    pub calibration: Option<Decision>,
}

/// A case with identities resolved, for moderators and admins.
pub fn resolved_view(names: &Pseudonyms, file: &CaseFile) -> Value {
    let CaseFile {
        case,
        reports,
        evidence,
        votes,
        consensus,
        actions,
        calibration,
    } = file;
    serde_json::json!({
        "case_id": case.case_id,
        "category": case.category,
        "state": case.state,
        "created_at": case.created_at,
        "updated_at": case.updated_at,
        "closed_at": case.closed_at,
        "severity_hint": case.severity_hint,
        "required_reviewers": case.required_reviewers,
        "accused": case.accused.to_string(),
        "reports": reports.iter().map(|r| serde_json::json!({
            "report_id": r.report_id,
            "reporter": r.reporter.to_string(),
            "category": r.category,
            "note": r.note,
            "filed_at": r.created_at,
            "upheld": r.upheld,
        })).collect::<Vec<_>>(),
        "evidence": evidence_view(evidence, false),
        "telemetry_summary": summary(case.telemetry_summary.as_deref()),
        "anti_cheat_summary": summary(case.anti_cheat_summary.as_deref()),
        // Reviewers stay pseudonymous even here: identity resolution covers the accused and
        // reporters, not the community members who reviewed.
        "votes": votes.iter().map(|v| serde_json::json!({
            "assignment_id": v.assignment_id,
            "reviewer": names.reviewer(&v.reviewer),
            "submitted_at": v.submitted_at,
            "decision": v.decision,
            "confidence": v.confidence,
            "notes": v.notes,
            "weight": v.weight,
            "calibration_case": v.calibration,
        })).collect::<Vec<_>>(),
        "consensus": consensus.as_ref().map(consensus_json),
        "actions": actions.iter().map(action_json).collect::<Vec<_>>(),
        "calibration": calibration.map(|known| serde_json::json!({ "known_decision": known })),
    })
}

/// A consensus record as JSON.
pub fn consensus_json(c: &ConsensusRow) -> Value {
    serde_json::json!({
        "consensus_id": c.consensus_id,
        "created_at": c.created_at,
        "outcome": if c.reached { "consensus_reached" } else { "escalated_to_moderator" },
        "weighted_decision": c.weighted_decision,
        "agreement_ratio": c.agreement_ratio,
        "reviewer_count": c.reviewer_count,
        "requires_moderator": c.requires_moderator,
        "recommended_actions": c.recommended_actions,
    })
}

/// An action as JSON (moderators and the sanctioned player).
pub fn action_json(a: &ActionRow) -> Value {
    serde_json::json!({
        "action_id": a.action_id,
        "case_id": a.case_id,
        "consensus_id": a.consensus_id,
        "action": a.action.to_string(),
        "reason": a.reason,
        "created_at": a.created_at,
        "ends_at": a.ends_at,
        "reversed": a.reversed,
    })
}

/// An appeal as JSON.
pub fn appeal_json(a: &AppealRow) -> Value {
    serde_json::json!({
        "appeal_id": a.appeal_id,
        "case_id": a.case_id,
        "player": a.player.to_string(),
        "statement": a.statement,
        "created_at": a.created_at,
        "decision": a.decision,
        "reason": a.reason,
        "decided_at": a.decided_at,
    })
}
