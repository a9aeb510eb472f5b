//! The moderation review queue's operations over its store: intake, review, moderation, appeals,
//! restrictions and retention. Transport-free: the HTTP handlers call in here with a principal.

mod appeals;
#[cfg(feature = "relay")]
mod chat_check;
mod evidence;
mod federated;
mod intake;
mod moderate;
#[cfg(feature = "matchmaking")]
mod queue_check;
mod review;

pub use federated::Publisher;
pub use intake::{ReportReceipt, ReportRequest};
pub use moderate::{
    ActRequest, AntiCheatSummary, ReviewerStatsView, SummariesRequest, TelemetrySummary,
    case_filter,
};
pub use review::{ReviewerCalibration, VoteRequest};

use std::sync::Arc;

use prometheus::IntCounterVec;
use rand::RngCore;
use scr::PublicKey;

use super::calibration::CalibrationRules;
use super::case::InvalidTransition;
use super::pseudonym::Pseudonyms;
use crate::auth::Principal;
use crate::authority::{Authority, AuthorityError};
use crate::config::ModerationConfig;
use crate::store::moderation::{ActionRow, AuditEntry};
use crate::store::{ModerationStore, Role, StoreError};

/// Why a moderation request was refused or failed. `code()` is the API's error code.
#[derive(Debug, thiserror::Error)]
pub enum ModerationError {
    /// A field is malformed or out of range.
    #[error("{message}")]
    BadInput {
        /// snake_case code naming the field's problem.
        code: &'static str,
        /// What is wrong.
        message: String,
    },
    /// The reported player is not a member of this community.
    #[error("no registered player has this key")]
    UnknownPlayer,
    /// The match id is not a certified match of this community.
    #[error("the match is not a certified match of this community")]
    MatchNotCertified,
    /// Reporter or accused did not play in the given match.
    #[error("the reporter and the accused must both have played in the match")]
    NotInMatch,
    /// The reporter used up their reports for the day.
    #[error("too many reports in the last 24 hours; try again later")]
    ReportRateLimited,
    /// The reporter is not registered here, or has played fewer certified matches here than
    /// reports need.
    #[error(
        "reports need a registered player with at least {needed} certified match(es) here; you have {played}"
    )]
    ReporterNotEligible {
        /// Matches reports need.
        needed: u32,
        /// Matches the reporter played here.
        played: u32,
    },
    /// The reporter already reported this open case.
    #[error("you already reported this player for this category; the case is under review")]
    AlreadyReported,
    /// No such case (or not one the caller may see).
    #[error("no such case")]
    CaseNotFound,
    /// No such assignment for this reviewer.
    #[error("no such assignment for you")]
    AssignmentNotFound,
    /// The assignment lapsed.
    #[error("the assignment expired; ask for the next case")]
    AssignmentExpired,
    /// The reviewer already voted.
    #[error("you already voted on this case; votes cannot be changed")]
    AlreadyVoted,
    /// The caller may not review.
    #[error("not eligible to review: {0}")]
    NotEligible(String),
    /// The reviewer's calibration accuracy fell below the threshold.
    #[error("your review accuracy is below the community's threshold; no cases are assigned")]
    AccuracyTooLow,
    /// The caller lacks the role.
    #[error("this needs the {0} role")]
    Forbidden(&'static str),
    /// The case's state does not allow this.
    #[error(transparent)]
    InvalidState(#[from] InvalidTransition),
    /// A sanction needs a consensus record.
    #[error("a sanction needs the reviewers' consensus record first")]
    ConsensusRequired,
    /// The case changed concurrently; retry.
    #[error("the case changed meanwhile; reload it and try again")]
    Changed,
    /// The case is not appealable by the caller.
    #[error("only a sanctioned player can appeal a case with a sanction in force")]
    AppealNotAllowed,
    /// The caller already appealed this case.
    #[error("you already appealed this case; a case is appealed once")]
    AlreadyAppealed,
    /// No such appeal.
    #[error("no such appeal")]
    AppealNotFound,
    /// The caller has no recorded abandon of that match (abandons are kept 30 days).
    #[error("you have no recorded abandon of that match (abandons are kept 30 days)")]
    AbandonNotFound,
    /// The appeal was decided already.
    #[error("the appeal was decided already")]
    AppealDecided,
    /// A moderator may not decide their own appeal.
    #[error("you cannot decide your own appeal; another moderator must")]
    OwnAppeal,
    /// A moderator may not act on a case they are party to (accused or reporter), nor decide
    /// the appeal of a case they reported.
    #[error("you are {0} in this case; another moderator must decide it")]
    ConflictOfInterest(&'static str),
    /// The case is already a calibration case.
    #[error("the case is already a calibration case")]
    AlreadyCalibration,
    /// Ranked suspensions need the ranking capability.
    #[error("ranked suspensions need the ranking capability on this server")]
    RankingDisabled,
    /// The ranking authority refused or failed.
    #[error(transparent)]
    Authority(#[from] AuthorityError),
    /// The database failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl ModerationError {
    fn bad(code: &'static str, message: impl Into<String>) -> Self {
        Self::BadInput {
            code,
            message: message.into(),
        }
    }

    /// The snake_case error code of the HTTP API.
    pub fn code(&self) -> &'static str {
        match self {
            Self::BadInput { code, .. } => code,
            Self::UnknownPlayer => "unknown_player",
            Self::MatchNotCertified => "match_not_certified",
            Self::NotInMatch => "not_in_match",
            Self::ReportRateLimited => "report_rate_limited",
            Self::ReporterNotEligible { .. } => "reporter_not_eligible",
            Self::AlreadyReported => "already_reported",
            Self::CaseNotFound => "case_not_found",
            Self::AssignmentNotFound => "assignment_not_found",
            Self::AssignmentExpired => "assignment_expired",
            Self::AlreadyVoted => "already_voted",
            Self::NotEligible(_) => "not_eligible",
            Self::AccuracyTooLow => "review_accuracy_too_low",
            Self::Forbidden(_) => "forbidden",
            Self::InvalidState(_) => "invalid_case_state",
            Self::ConsensusRequired => "consensus_required",
            Self::Changed => "case_changed",
            Self::AppealNotAllowed => "appeal_not_allowed",
            Self::AlreadyAppealed => "already_appealed",
            Self::AppealNotFound => "appeal_not_found",
            Self::AbandonNotFound => "abandon_not_found",
            Self::AppealDecided => "appeal_decided",
            Self::OwnAppeal => "own_appeal",
            Self::ConflictOfInterest(_) => "conflict_of_interest",
            Self::AlreadyCalibration => "already_calibration",
            Self::RankingDisabled => "ranking_disabled",
            Self::Authority(error) => error.code(),
            Self::Store(_) => "storage_unavailable",
        }
    }
}

/// A restriction matchmaking must respect.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Restriction {
    /// The player may not queue until `until`.
    QueueCooldown {
        /// Unix seconds.
        until: i64,
        /// The case it rests on.
        case_id: String,
    },
    /// The player queues with low priority until `until`.
    LowPriority {
        /// Unix seconds.
        until: i64,
        /// The case it rests on.
        case_id: String,
    },
}

/// The moderation review queue of one community.
pub struct ModerationService {
    store: Arc<dyn ModerationStore>,
    // Replaced as a whole when a reload changes a `[moderation]` key.
    config: crate::live_setting::Live<ModerationConfig>,
    rules: crate::live_setting::Live<CalibrationRules>,
    names: Pseudonyms,
    authority: Option<Arc<Authority>>,
    events: IntCounterVec,
}

impl ModerationService {
    /// Wires the service: loads (or creates) the pseudonym secret and registers its metric.
    pub async fn new(
        store: Arc<dyn ModerationStore>,
        config: ModerationConfig,
        authority: Option<Arc<Authority>>,
        metrics: &crate::metrics::Metrics,
    ) -> anyhow::Result<Self> {
        let mut candidate = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut candidate);
        let secret = store.pseudonym_secret(candidate).await?;
        let events = IntCounterVec::new(
            prometheus::Opts::new(
                "moderation_events_total",
                "Moderation events (reports, votes, consensus, actions, appeals, expiries)",
            ),
            &["event"],
        )?;
        metrics.register(Box::new(events.clone()))?;
        Ok(Self {
            store,
            rules: crate::live_setting::Live::new(config.calibration.rules()),
            config: crate::live_setting::Live::new(config),
            names: Pseudonyms::new(secret),
            authority,
            events,
        })
    }

    /// The `[moderation]` settings now.
    fn config(&self) -> std::sync::Arc<ModerationConfig> {
        self.config.get()
    }

    /// The calibration rules of those settings.
    fn rules(&self) -> std::sync::Arc<CalibrationRules> {
        self.rules.get()
    }

    /// The moderation store (the sanction feed reads it).
    pub fn store(&self) -> &Arc<dyn ModerationStore> {
        &self.store
    }

    /// Applies reloaded `[moderation]` settings from the next request on (thresholds,
    /// limits, eligibility, calibration, recommendations, retention).
    pub fn set_config(&self, config: ModerationConfig) {
        self.rules.set(config.calibration.rules());
        self.config.set(config);
    }

    fn count(&self, event: &'static str) {
        self.events.with_label_values(&[event]).inc();
    }

    /// The queue restriction in force for `player` at `now`, if any: a cooldown (may not queue)
    /// wins over low priority. Matchmaking calls this before queuing a player.
    pub async fn queue_restriction(
        &self,
        player: &PublicKey,
        now: i64,
    ) -> Result<Option<Restriction>, StoreError> {
        let in_force = self.store.actions_in_force(&[*player], now).await?;
        if let Some((until, case_id)) = latest_of(&in_force, "queue_cooldown") {
            return Ok(Some(Restriction::QueueCooldown { until, case_id }));
        }
        Ok(latest_of(&in_force, "low_priority_queue")
            .map(|(until, case_id)| Restriction::LowPriority { until, case_id }))
    }

    /// When `player`'s chat restriction in force at `now` ends, if any.
    pub async fn chat_restricted_until(
        &self,
        player: &PublicKey,
        now: i64,
    ) -> Result<Option<i64>, StoreError> {
        let in_force = self.store.actions_in_force(&[*player], now).await?;
        Ok(latest_of(&in_force, "chat_restriction").map(|(until, _)| until))
    }

    /// Every sanction against `player` (what they see of their own record), newest first,
    /// reversed ones included; closing a case without action is not a sanction.
    pub async fn sanctions_of(&self, player: &PublicKey) -> Result<Vec<ActionRow>, StoreError> {
        let mut actions = self.store.actions_against(player).await?;
        actions.retain(|a| matches!(a.action, super::ActionKind::Apply(_)));
        Ok(actions)
    }

    /// Deletes closed low-severity cases past retention; returns their ids.
    pub async fn expire_closed_cases(&self, now: i64) -> Result<Vec<String>, StoreError> {
        let config = self.config();
        let retention = &config.retention;
        let closed_before = now.saturating_sub(i64::from(retention.closed_case_days) * 86_400);
        let audit = self.audit_entry(None, "system", "expire_cases", None, None, "retention", now);
        let expired = self
            .store
            .expire_closed_cases(now, closed_before, retention.max_severity, &audit)
            .await?;
        for _ in &expired {
            self.count("case_expired");
        }
        Ok(expired)
    }

    #[allow(clippy::too_many_arguments)]
    fn audit_entry(
        &self,
        actor: Option<&Principal>,
        role: &str,
        action: &str,
        case_id: Option<&str>,
        target: Option<PublicKey>,
        reason: &str,
        now: i64,
    ) -> AuditEntry {
        AuditEntry {
            audit_id: new_id("aud"),
            at: now,
            actor: actor.map(|p| p.key),
            actor_role: role.to_owned(),
            action: action.to_owned(),
            case_id: case_id.map(str::to_owned),
            target,
            reason: reason.to_owned(),
            details: "{}".to_owned(),
        }
    }

    fn check_text(
        &self,
        code: &'static str,
        field: &str,
        text: &str,
        required: bool,
    ) -> Result<(), ModerationError> {
        let length = text.chars().count();
        if required && text.trim().is_empty() {
            return Err(ModerationError::bad(code, format!("{field} is required")));
        }
        if length > self.config().note_max_chars {
            return Err(ModerationError::bad(
                code,
                format!(
                    "{field} is {length} characters; at most {} are allowed",
                    self.config().note_max_chars
                ),
            ));
        }
        Ok(())
    }
}

/// The role a staff member acts in: moderator routes accept moderators and admins.
fn staff_role(principal: &Principal) -> Result<&'static str, ModerationError> {
    if principal.roles.contains(&Role::Moderator) {
        Ok("moderator")
    } else if principal.roles.contains(&Role::Admin) {
        Ok("admin")
    } else {
        Err(ModerationError::Forbidden("moderator"))
    }
}

/// An audit line for an operator's command-line action (`roles grant`, `players revoke`, …):
/// the operator has no key, so the actor is empty and the role is `operator`.
pub fn operator_audit(
    action: &str,
    target: PublicKey,
    details: serde_json::Value,
    now: i64,
) -> AuditEntry {
    AuditEntry {
        audit_id: new_id("aud"),
        at: now,
        actor: None,
        actor_role: "operator".to_owned(),
        action: action.to_owned(),
        case_id: None,
        target: Some(target),
        reason: "command line".to_owned(),
        details: details.to_string(),
    }
}

/// An audit line for the same kind of action taken by a signed-in admin in the web UI.
pub fn admin_audit(
    admin: PublicKey,
    action: &str,
    target: PublicKey,
    details: serde_json::Value,
    now: i64,
) -> AuditEntry {
    AuditEntry {
        actor: Some(admin),
        actor_role: "admin".to_owned(),
        reason: "web UI".to_owned(),
        ..operator_audit(action, target, details, now)
    }
}

impl ModerationService {
    /// Writes an audit line made outside a case (an operator's or admin's action).
    pub async fn record_audit(&self, entry: &AuditEntry) -> Result<(), ModerationError> {
        self.store.audit(entry).await?;
        Ok(())
    }
}

/// A fresh random id `<prefix>_<16 hex>`.
pub(crate) fn new_id(prefix: &str) -> String {
    let mut bytes = [0u8; 8];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    format!("{prefix}_{}", hex::encode(bytes))
}

/// The sanction of `kind` among `in_force` that ends last: its end and its case.
fn latest_of(in_force: &[ActionRow], kind: &str) -> Option<(i64, String)> {
    in_force
        .iter()
        .filter(|a| matches!(a.action, super::ActionKind::Apply(m) if m.kind() == kind))
        .filter_map(|a| a.ends_at.map(|until| (until, a)))
        .max_by_key(|(until, _)| *until)
        .map(|(until, a)| (until, a.case_id.clone()))
}
