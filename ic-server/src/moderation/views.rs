//! What each audience sees of a case. Reviewers get per-case pseudonyms and redacted free text,
//! never a key, a timestamp of the case or its state (so calibration cases look like any other);
//! moderators get identities resolved (the service audits every such view).

use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;

use super::pseudonym::Pseudonyms;
use super::redact::redact_keys;
use super::sanction::ActionKind;
use super::{CaseState, Category, Decision};
use crate::store::moderation::{
    ActionRow, AppealRow, AssignmentRow, CaseRow, ConsensusRow, EvidenceRow, ReportRow, VoteRow,
};

/// A report as a reviewer sees it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ReviewerReport {
    /// The reporter's pseudonym in this case.
    pub reporter: String,
    /// Category reported.
    pub category: Category,
    /// The note, with anything key-like removed.
    pub note: String,
}

/// The reviewer's own vote.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct OwnVote {
    /// Verdict.
    pub decision: Decision,
    /// Confidence.
    pub confidence: u8,
    /// Notes (redacted).
    pub notes: Option<String>,
}

/// An evidence reference.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct EvidenceView {
    /// `match_id`, `replay_id` or `timeline_marker`.
    pub kind: String,
    /// The reference.
    pub reference: String,
}

/// A case as its assigned reviewer sees it.
#[derive(Debug, Clone, Serialize, ToSchema)]
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
    /// Relay telemetry summary, if attached (free-form JSON, redacted).
    #[schema(value_type = Option<Object>)]
    pub telemetry_summary: Option<Value>,
    /// Anti-cheat summary, if attached (free-form JSON, redacted).
    #[schema(value_type = Option<Object>)]
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

/// A report with its reporter, for moderators.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ResolvedReport {
    /// The report.
    pub report_id: String,
    /// Who filed it.
    pub reporter: String,
    /// Category reported.
    pub category: Category,
    /// The reporter's note.
    pub note: String,
    /// Unix seconds.
    pub filed_at: i64,
    /// Whether the case's outcome upheld it (none while open).
    pub upheld: Option<bool>,
}

/// A vote, for moderators; the reviewer stays pseudonymous.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ResolvedVote {
    /// The assignment it answered.
    pub assignment_id: String,
    /// The reviewer's pseudonym.
    pub reviewer: String,
    /// Unix seconds.
    pub submitted_at: i64,
    /// Verdict.
    pub decision: Decision,
    /// Confidence, 0–100.
    pub confidence: u8,
    /// Notes.
    pub notes: Option<String>,
    /// The vote's weight in the consensus.
    pub weight: f64,
    /// Whether the case was a calibration case for this reviewer.
    pub calibration_case: bool,
}

/// The known answer of a calibration case.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CalibrationView {
    /// The decision reviewers are measured against.
    pub known_decision: Decision,
}

/// A case with identities resolved, for moderators and admins.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ResolvedCaseView {
    /// The case.
    pub case_id: String,
    /// Category.
    pub category: Category,
    /// Where the case stands.
    pub state: CaseState,
    /// Unix seconds.
    pub created_at: i64,
    /// Unix seconds.
    pub updated_at: i64,
    /// Unix seconds, once closed.
    pub closed_at: Option<i64>,
    /// Triage hint.
    pub severity_hint: u8,
    /// Reviewers the case needs.
    pub required_reviewers: u8,
    /// The accused's key.
    pub accused: String,
    /// Reports, with their reporters.
    pub reports: Vec<ResolvedReport>,
    /// Evidence references.
    pub evidence: Vec<EvidenceView>,
    /// Relay telemetry summary, if attached (free-form JSON).
    #[schema(value_type = Option<Object>)]
    pub telemetry_summary: Option<Value>,
    /// Anti-cheat summary, if attached (free-form JSON).
    #[schema(value_type = Option<Object>)]
    pub anti_cheat_summary: Option<Value>,
    /// Votes cast.
    pub votes: Vec<ResolvedVote>,
    /// The consensus record, once reached or escalated.
    pub consensus: Option<ConsensusView>,
    /// Moderator actions on the case.
    pub actions: Vec<ActionView>,
    /// The known decision, when it is a calibration case.
    pub calibration: Option<CalibrationView>,
}

/// A case with identities resolved, for moderators and admins.
pub fn resolved_view(names: &Pseudonyms, file: &CaseFile) -> ResolvedCaseView {
    let CaseFile {
        case,
        reports,
        evidence,
        votes,
        consensus,
        actions,
        calibration,
    } = file;
    ResolvedCaseView {
        case_id: case.case_id.clone(),
        category: case.category,
        state: case.state,
        created_at: case.created_at,
        updated_at: case.updated_at,
        closed_at: case.closed_at,
        severity_hint: case.severity_hint,
        required_reviewers: case.required_reviewers,
        accused: case.accused.to_string(),
        reports: reports
            .iter()
            .map(|r| ResolvedReport {
                report_id: r.report_id.clone(),
                reporter: r.reporter.to_string(),
                category: r.category,
                note: r.note.clone(),
                filed_at: r.created_at,
                upheld: r.upheld,
            })
            .collect(),
        evidence: evidence_view(evidence, false),
        telemetry_summary: summary(case.telemetry_summary.as_deref()),
        anti_cheat_summary: summary(case.anti_cheat_summary.as_deref()),
        // Reviewers stay pseudonymous even here: identity resolution covers the accused and
        // reporters, not the community members who reviewed.
        votes: votes
            .iter()
            .map(|v| ResolvedVote {
                assignment_id: v.assignment_id.clone(),
                reviewer: names.reviewer(&v.reviewer),
                submitted_at: v.submitted_at,
                decision: v.decision,
                confidence: v.confidence,
                notes: v.notes.clone(),
                weight: v.weight,
                calibration_case: v.calibration,
            })
            .collect(),
        consensus: consensus.as_ref().map(consensus_view),
        actions: actions.iter().map(action_view).collect(),
        calibration: calibration.map(|known_decision| CalibrationView { known_decision }),
    }
}

/// A consensus record.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ConsensusView {
    /// The record.
    pub consensus_id: String,
    /// Unix seconds.
    pub created_at: i64,
    /// `consensus_reached` or `escalated_to_moderator`.
    pub outcome: &'static str,
    /// The weighted verdict, when reached.
    pub weighted_decision: Option<Decision>,
    /// Share of the weight behind the verdict, 0–1.
    pub agreement_ratio: f64,
    /// Reviewers who voted.
    pub reviewer_count: u8,
    /// Whether a moderator must act.
    pub requires_moderator: bool,
    /// Actions the community's policy recommends.
    pub recommended_actions: Vec<String>,
}

/// A consensus record as its view.
pub fn consensus_view(c: &ConsensusRow) -> ConsensusView {
    ConsensusView {
        consensus_id: c.consensus_id.clone(),
        created_at: c.created_at,
        outcome: if c.reached {
            "consensus_reached"
        } else {
            "escalated_to_moderator"
        },
        weighted_decision: c.weighted_decision,
        agreement_ratio: c.agreement_ratio,
        reviewer_count: c.reviewer_count,
        requires_moderator: c.requires_moderator,
        recommended_actions: c.recommended_actions.clone(),
    }
}

/// A moderator action (for moderators and the sanctioned player).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ActionView {
    /// The action.
    pub action_id: String,
    /// The case it was taken on.
    pub case_id: String,
    /// The consensus it rests on.
    pub consensus_id: Option<String>,
    /// What was done.
    pub action: ActionKind,
    /// Why.
    pub reason: String,
    /// Unix seconds.
    pub created_at: i64,
    /// Unix seconds the restriction ends, if it has an end.
    pub ends_at: Option<i64>,
    /// Whether an appeal (or its publisher's lifting) reversed it.
    pub reversed: bool,
    /// For a sanction applied from another community's feed: which community, which entry.
    pub provenance: Option<crate::store::moderation::Provenance>,
}

/// An action as its view.
pub fn action_view(a: &ActionRow) -> ActionView {
    ActionView {
        action_id: a.action_id.clone(),
        case_id: a.case_id.clone(),
        consensus_id: a.consensus_id.clone(),
        action: a.action,
        reason: a.reason.clone(),
        created_at: a.created_at,
        ends_at: a.ends_at,
        reversed: a.reversed,
        provenance: a.provenance.clone(),
    }
}

/// An appeal.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AppealView {
    /// The appeal.
    pub appeal_id: String,
    /// The case appealed, or `abandon:<match id>` for a leaver cooldown.
    pub case_id: String,
    /// Who appealed.
    pub player: String,
    /// Their statement.
    pub statement: String,
    /// Unix seconds.
    pub created_at: i64,
    /// `upheld` or `reversed`, once decided.
    pub decision: Option<String>,
    /// The moderator's reason, once decided.
    pub reason: Option<String>,
    /// Unix seconds, once decided.
    pub decided_at: Option<i64>,
}

/// An appeal as its view.
pub fn appeal_view(a: &AppealRow) -> AppealView {
    AppealView {
        appeal_id: a.appeal_id.clone(),
        case_id: a.case_id.clone(),
        player: a.player.to_string(),
        statement: a.statement.clone(),
        created_at: a.created_at,
        decision: a.decision.clone(),
        reason: a.reason.clone(),
        decided_at: a.decided_at,
    }
}
