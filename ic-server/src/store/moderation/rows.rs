//! The rows the moderation store reads and writes: cases, reports, evidence, assignments,
//! votes, consensus records, actions, appeals, reviewer records and audit lines.

use scr::PublicKey;

use crate::moderation::{ActionKind, CaseState, Category, Decision};

/// A case as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct CaseRow {
    /// `case_<16 hex>`.
    pub case_id: String,
    /// What it is about.
    pub category: Category,
    /// Where it is.
    pub state: CaseState,
    /// Opened.
    pub created_at: i64,
    /// Last state change.
    pub updated_at: i64,
    /// When it closed, if it is closed.
    pub closed_at: Option<i64>,
    /// Triage hint 0–100.
    pub severity_hint: u8,
    /// The reported player.
    pub accused: PublicKey,
    /// Votes needed.
    pub required_reviewers: u8,
    /// Relay telemetry summary (JSON), if attached.
    pub telemetry_summary: Option<String>,
    /// Anti-cheat summary (JSON), if attached.
    pub anti_cheat_summary: Option<String>,
}

/// A case in a moderator's list.
#[derive(Debug, Clone, PartialEq)]
pub struct CaseListRow {
    /// The case.
    pub case: CaseRow,
    /// Reports filed.
    pub reports: u32,
    /// Votes in.
    pub votes: u32,
    /// Whether a consensus record says a moderator must decide.
    pub requires_moderator: Option<bool>,
    /// Whether it is a calibration case.
    pub calibration: bool,
}

/// Filter of the moderator case list.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CaseFilter {
    /// Only this state.
    pub state: Option<CaseState>,
    /// Only this category.
    pub category: Option<Category>,
    /// Only cases whose consensus record requires (or not) a moderator.
    pub requires_moderator: Option<bool>,
    /// At most this many, most severe first.
    pub limit: u32,
}

/// One report.
#[derive(Debug, Clone, PartialEq)]
pub struct ReportRow {
    /// `report_<16 hex>`.
    pub report_id: String,
    /// The case it joined.
    pub case_id: String,
    /// Who filed it.
    pub reporter: PublicKey,
    /// Its category.
    pub category: Category,
    /// Free text (bounded).
    pub note: String,
    /// Filed.
    pub created_at: i64,
    /// After closing: whether it was upheld.
    pub upheld: Option<bool>,
}

/// An evidence reference: `match_id` (hex), `replay_id` or `timeline_marker`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EvidenceRow {
    /// Kind.
    pub kind: String,
    /// Reference.
    pub reference: String,
}

/// A report to file, and the case to open if no open case exists for the player and category.
#[derive(Debug, Clone, PartialEq)]
pub struct NewReport {
    /// The report (its `case_id` is ignored; the store decides).
    pub report: ReportRow,
    /// Evidence references it brings.
    pub evidence: Vec<EvidenceRow>,
    /// The case opened when none is open (the accused and category are the report's).
    pub new_case: CaseRow,
    /// Everyone who played in the matches it brings as evidence: none of them reviews the
    /// case (a player of the match could map its pseudonyms back through it).
    pub match_players: Vec<PublicKey>,
    /// Severity points the report adds to its case's hint (capped at 100); a case it opens
    /// starts from `new_case.severity_hint`.
    pub severity_points: u8,
}

/// Outcome of filing a report.
#[derive(Debug, Clone, PartialEq)]
pub enum Filed {
    /// Joined (or opened) this case.
    Joined {
        /// The case.
        case_id: String,
        /// Whether the case was opened by this report.
        opened: bool,
    },
    /// This reporter already reported this open case.
    AlreadyReported(String),
}

/// What the store knows about a member's standing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Standing {
    /// Registered at.
    pub registered_at: i64,
    /// Certified matches played here.
    pub matches: u32,
    /// Latest sanction not reversed.
    pub last_sanction_at: Option<i64>,
}

/// A reviewer's calibration record.
#[derive(Debug, Clone, PartialEq)]
pub struct ReviewerStatsRow {
    /// The reviewer.
    pub reviewer: PublicKey,
    /// Votes cast.
    pub cases_reviewed: u32,
    /// Calibration cases voted on.
    pub calibration_cases_seen: u32,
    /// Moving-average accuracy on calibration cases.
    pub calibration_accuracy: f64,
    /// Cases whose moderator decision could be compared with this reviewer's vote.
    pub moderator_judged: u32,
    /// Of those, how many agreed.
    pub moderator_agreed: u32,
}

/// An assignment.
#[derive(Debug, Clone, PartialEq)]
pub struct AssignmentRow {
    /// `asg_<16 hex>`.
    pub assignment_id: String,
    /// The case.
    pub case_id: String,
    /// The reviewer.
    pub reviewer: PublicKey,
    /// When.
    pub assigned_at: i64,
    /// Until when a vote is accepted.
    pub expires_at: i64,
    /// Whether the case is a calibration case (never shown to the reviewer).
    pub calibration: bool,
    /// The vote cast on it, if any.
    pub voted: bool,
}

/// Ask for the next case for a reviewer.
#[derive(Debug, Clone, PartialEq)]
pub struct Claim {
    /// New assignment id.
    pub assignment_id: String,
    /// The reviewer.
    pub reviewer: PublicKey,
    /// Now.
    pub now: i64,
    /// Vote deadline.
    pub expires_at: i64,
    /// Try a calibration case before a real one.
    pub calibration_first: bool,
}

/// A vote as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct VoteRow {
    /// Its assignment.
    pub assignment_id: String,
    /// The case.
    pub case_id: String,
    /// The reviewer.
    pub reviewer: PublicKey,
    /// When.
    pub submitted_at: i64,
    /// Verdict.
    pub decision: Decision,
    /// 0–100.
    pub confidence: u8,
    /// Free text.
    pub notes: Option<String>,
    /// Review weight at voting time.
    pub weight: f64,
    /// Whether this was a calibration vote.
    pub calibration: bool,
}

/// Outcome of recording a vote.
#[derive(Debug, Clone, PartialEq)]
pub enum VoteRecorded {
    /// Stored; the case's non-calibration votes so far, oldest first.
    Done(Vec<VoteRow>),
    /// The reviewer already voted on this assignment or case.
    AlreadyVoted,
}

/// A consensus record.
#[derive(Debug, Clone, PartialEq)]
pub struct ConsensusRow {
    /// `cons_<16 hex>`.
    pub consensus_id: String,
    /// The case.
    pub case_id: String,
    /// When.
    pub created_at: i64,
    /// Whether weighted agreement was reached.
    pub reached: bool,
    /// The top decision, if one.
    pub weighted_decision: Option<Decision>,
    /// Its share of the weight.
    pub agreement_ratio: f64,
    /// Votes counted.
    pub reviewer_count: u8,
    /// Whether only a moderator may act on it (always true for ranked-impacting outcomes).
    pub requires_moderator: bool,
    /// Recommendation texts.
    pub recommended_actions: Vec<String>,
}

/// A moderator action as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct ActionRow {
    /// `act_<16 hex>`.
    pub action_id: String,
    /// The case it rests on.
    pub case_id: String,
    /// The consensus it rests on (none for closing a case nobody reviewed).
    pub consensus_id: Option<String>,
    /// Who acted.
    pub moderator: PublicKey,
    /// The sanctioned (accused) player.
    pub target: PublicKey,
    /// What.
    pub action: ActionKind,
    /// Why.
    pub reason: String,
    /// When.
    pub created_at: i64,
    /// When the sanction ends (`None` for warnings and closing).
    pub ends_at: Option<i64>,
    /// Whether an appeal (or, for a federated sanction, its publisher's lifting) reversed it.
    pub reversed: bool,
    /// Where a sanction applied from another community's feed came from (`None` for this
    /// community's own moderators' actions).
    pub provenance: Option<Provenance>,
}

/// The other community a federated sanction came from.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct Provenance {
    /// The publisher's key, as pinned in this community's config.
    pub publisher: String,
    /// Where its feed is read.
    pub publisher_url: String,
    /// The entry's position in its feed.
    pub seq: u64,
}

/// A moderator action to record with its effects.
#[derive(Debug, Clone, PartialEq)]
pub struct NewAction {
    /// The action.
    pub action: ActionRow,
    /// The state the case must be in…
    pub expected_state: CaseState,
    /// …and the state it moves to.
    pub new_state: CaseState,
    /// Set the reports' outcome (upheld or not) when the action closes the case.
    pub reports_upheld: Option<bool>,
    /// Moderator agreement per reviewer of the case (on the action that closes it).
    pub agreement: Vec<(PublicKey, bool)>,
}

/// An appeal.
#[derive(Debug, Clone, PartialEq)]
pub struct AppealRow {
    /// `apl_<16 hex>`.
    pub appeal_id: String,
    /// The case.
    pub case_id: String,
    /// The sanctioned player.
    pub player: PublicKey,
    /// Their statement.
    pub statement: String,
    /// Filed.
    pub created_at: i64,
    /// `upheld` or `reversed` once decided.
    pub decision: Option<String>,
    /// Who decided.
    pub moderator: Option<PublicKey>,
    /// Why.
    pub reason: Option<String>,
    /// When.
    pub decided_at: Option<i64>,
}

/// A line of the audit log.
#[derive(Debug, Clone, PartialEq)]
pub struct AuditEntry {
    /// `aud_<16 hex>`.
    pub audit_id: String,
    /// When.
    pub at: i64,
    /// Who (`None`: the server itself).
    pub actor: Option<PublicKey>,
    /// In which role (`moderator`, `admin`, `system`).
    pub actor_role: String,
    /// What (`resolve_identities`, `action`, `mark_calibration`, `decide_appeal`, …).
    pub action: String,
    /// The case concerned.
    pub case_id: Option<String>,
    /// The player concerned.
    pub target: Option<PublicKey>,
    /// Why (the moderator's reason).
    pub reason: String,
    /// Details as JSON.
    pub details: String,
}
