//! Moderator tools: the case list, a case with identities resolved (audited), actions resting on
//! the case and its consensus, calibration marks, summaries, reviewer stats and the audit log.

use scr::payload::RevocationReason;
use scr::{PlayerKey, RecordType};
use serde::Deserialize;
use serde_json::{Value, json};

use super::{ModerationError, ModerationService, new_id, staff_role};
use crate::auth::Principal;
use crate::moderation::views::{CaseFile, ResolvedCaseView, resolved_view};
use crate::moderation::{ActionKind, CaseEvent, CaseState, Category, Decision};
use crate::store::Role;
use crate::store::moderation::{
    ActionRow, AuditEntry, CaseFilter, CaseListRow, CaseRow, NewAction,
};

/// The case list's filter from its query text: state and category by name, limit 1..=500
/// (default 100).
pub fn case_filter(
    state: Option<&str>,
    category: Option<&str>,
    requires_moderator: Option<bool>,
    limit: Option<u32>,
) -> Result<CaseFilter, ModerationError> {
    let invalid = |what: &str, allowed: String| {
        ModerationError::bad("invalid_query", format!("{what} must be one of: {allowed}"))
    };
    Ok(CaseFilter {
        state: state
            .map(|s| CaseState::from_name(s).ok_or_else(|| invalid("state", CaseState::names())))
            .transpose()?,
        category: category
            .map(|c| Category::from_name(c).ok_or_else(|| invalid("category", Category::names())))
            .transpose()?,
        requires_moderator,
        limit: match limit.unwrap_or(100) {
            limit @ 1..=500 => limit,
            _ => {
                return Err(ModerationError::bad(
                    "invalid_query",
                    "limit must be 1..=500",
                ));
            }
        },
    })
}

/// Body of an action.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ActRequest {
    /// `warn`, `chat_restriction:<h>`, `queue_cooldown:<h>`, `low_priority_queue:<h>`,
    /// `ranked_suspension:<days>` or `close_no_action`.
    pub action: String,
    /// Why (required, bounded).
    pub reason: String,
}

/// Relay telemetry summary (reference §7.1 `ReviewTelemetrySummary`).
#[derive(Debug, Clone, Deserialize, serde::Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TelemetrySummary {
    disconnects: u16,
    desync_events: u16,
    order_rate_spikes: u16,
    #[serde(default)]
    timing_anomaly_score: Option<f32>,
    #[serde(default)]
    notes: Vec<String>,
}

/// Anti-cheat summary (reference §7.1 `ReviewAntiCheatSummary`).
#[derive(Debug, Clone, Deserialize, serde::Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AntiCheatSummary {
    #[serde(default)]
    behavioral_score: Option<f64>,
    #[serde(default)]
    statistical_score: Option<f64>,
    #[serde(default)]
    combined_score: Option<f64>,
    #[serde(default)]
    current_action: Option<String>,
}

/// Body of attaching summaries.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SummariesRequest {
    /// Telemetry, if any.
    #[serde(default)]
    pub telemetry: Option<TelemetrySummary>,
    /// Anti-cheat, if any.
    #[serde(default)]
    pub anti_cheat: Option<AntiCheatSummary>,
    /// Why.
    pub reason: String,
}

fn with_details(mut entry: AuditEntry, details: Value) -> AuditEntry {
    entry.details = details.to_string();
    entry
}

impl ModerationService {
    pub(super) async fn existing_case(&self, case_id: &str) -> Result<CaseRow, ModerationError> {
        self.store
            .case(case_id)
            .await?
            .ok_or(ModerationError::CaseNotFound)
    }

    /// Refuses `moderator` when it is the accused or a reporter of the case.
    pub(super) async fn not_party_to(
        &self,
        case_id: &str,
        accused: &scr::PublicKey,
        moderator: &scr::PublicKey,
    ) -> Result<(), ModerationError> {
        if accused == moderator {
            return Err(ModerationError::ConflictOfInterest("the accused"));
        }
        let reports = self.store.reports(case_id).await?;
        if reports.iter().any(|report| report.reporter == *moderator) {
            return Err(ModerationError::ConflictOfInterest("a reporter"));
        }
        Ok(())
    }

    /// Cases for moderators, without identities.
    pub async fn list_cases(
        &self,
        principal: &Principal,
        filter: &CaseFilter,
    ) -> Result<Vec<CaseListRow>, ModerationError> {
        staff_role(principal)?;
        Ok(self.store.list_cases(filter).await?)
    }

    /// A case with identities resolved; the viewing is written to the audit log first.
    pub async fn open_case(
        &self,
        principal: &Principal,
        case_id: &str,
        now: i64,
    ) -> Result<ResolvedCaseView, ModerationError> {
        let role = staff_role(principal)?;
        let case = self.existing_case(case_id).await?;
        let audit = self.audit_entry(
            Some(principal),
            role,
            "resolve_identities",
            Some(case_id),
            Some(case.accused),
            "opened the case with identities resolved",
            now,
        );
        self.store.audit(&audit).await?;
        let file = CaseFile {
            reports: self.store.reports(case_id).await?,
            evidence: self.store.evidence(case_id).await?,
            votes: self.store.votes(case_id).await?,
            consensus: self.store.consensus(case_id).await?,
            actions: self.store.actions(case_id).await?,
            calibration: self.store.calibration_decision(case_id).await?,
            case,
        };
        Ok(resolved_view(&self.names, &file))
    }

    /// Acts on a case. Sanctions rest on the case's consensus record; a ranked suspension first
    /// revokes the player's rating records through the ranking authority.
    pub async fn act(
        &self,
        principal: &Principal,
        case_id: &str,
        request: ActRequest,
        now: i64,
    ) -> Result<ActionRow, ModerationError> {
        let role = staff_role(principal)?;
        let action: ActionKind = request.action.parse().map_err(
            |e: crate::moderation::sanction::ParseSanctionError| {
                ModerationError::bad("invalid_action", e.to_string())
            },
        )?;
        self.check_text("invalid_reason", "reason", &request.reason, true)?;
        let case = self.existing_case(case_id).await?;
        self.not_party_to(case_id, &case.accused, &principal.key)
            .await?;
        let event = match action {
            ActionKind::Apply(_) => CaseEvent::Sanctioned,
            ActionKind::CloseNoAction => CaseEvent::ClosedNoAction,
            ActionKind::Escalate => CaseEvent::Escalated,
        };
        let new_state = case.state.after(event)?;
        let consensus = self.store.consensus(case_id).await?;
        if matches!(action, ActionKind::Apply(_)) && consensus.is_none() {
            return Err(ModerationError::ConsensusRequired);
        }
        let mut details = json!({
            "action": action.to_string(),
            "consensus_id": consensus.as_ref().map(|c| c.consensus_id.clone()),
        });
        let mut ends_at = None;
        if let ActionKind::Apply(measure) = action {
            if measure.duration_secs() > 0 {
                ends_at = Some(now.saturating_add(measure.duration_secs()));
            }
            if measure.touches_ranked() {
                let authority = self
                    .authority
                    .as_ref()
                    .ok_or(ModerationError::RankingDisabled)?;
                let revocation = authority
                    .revoke(
                        &PlayerKey::from(case.accused),
                        RecordType::Rating,
                        RevocationReason::ModeratorAction,
                        now,
                    )
                    .await?;
                details["revocation_sequence"] = json!(revocation.sequence);
            }
        }
        let closes = case.state.is_open() && new_state.is_closed();
        let sanction = matches!(action, ActionKind::Apply(_));
        let agreement = if closes {
            self.store
                .votes(case_id)
                .await?
                .into_iter()
                .filter(|v| !v.calibration)
                .map(|v| (v.reviewer, v.decision.finds_fault() == sanction))
                .collect()
        } else {
            Vec::new()
        };
        let row = ActionRow {
            action_id: new_id("act"),
            case_id: case_id.to_owned(),
            consensus_id: consensus.map(|c| c.consensus_id),
            moderator: principal.key,
            target: case.accused,
            action,
            reason: request.reason.clone(),
            created_at: now,
            ends_at,
            reversed: false,
            provenance: None,
        };
        details["ends_at"] = json!(ends_at);
        details["action_id"] = json!(row.action_id);
        let audit = with_details(
            self.audit_entry(
                Some(principal),
                role,
                "action",
                Some(case_id),
                Some(case.accused),
                &request.reason,
                now,
            ),
            details,
        );
        let recorded = self
            .store
            .record_action(
                &NewAction {
                    action: row.clone(),
                    expected_state: case.state,
                    new_state,
                    reports_upheld: closes.then_some(sanction),
                    agreement,
                },
                &audit,
            )
            .await?;
        if !recorded {
            return Err(ModerationError::Changed);
        }
        self.count("action");
        Ok(row)
    }

    /// Marks a closed case as a calibration case with its known outcome.
    pub async fn mark_calibration(
        &self,
        principal: &Principal,
        case_id: &str,
        known: &str,
        reason: &str,
        now: i64,
    ) -> Result<(), ModerationError> {
        let role = staff_role(principal)?;
        let known = Decision::from_name(known).ok_or_else(|| {
            ModerationError::bad(
                "invalid_decision",
                format!("known_decision must be one of: {}", Decision::names()),
            )
        })?;
        self.check_text("invalid_reason", "reason", reason, true)?;
        let case = self.existing_case(case_id).await?;
        if !case.state.is_closed() {
            return Err(ModerationError::bad(
                "case_not_closed",
                "only closed cases can become calibration cases",
            ));
        }
        let audit = with_details(
            self.audit_entry(
                Some(principal),
                role,
                "mark_calibration",
                Some(case_id),
                None,
                reason,
                now,
            ),
            json!({ "known_decision": known }),
        );
        if !self
            .store
            .mark_calibration(case_id, known, &principal.key, now, &audit)
            .await?
        {
            return Err(ModerationError::AlreadyCalibration);
        }
        Ok(())
    }

    /// Attaches telemetry and anti-cheat summaries to an open case.
    pub async fn attach_summaries(
        &self,
        principal: &Principal,
        case_id: &str,
        request: SummariesRequest,
        now: i64,
    ) -> Result<(), ModerationError> {
        let role = staff_role(principal)?;
        self.check_text("invalid_reason", "reason", &request.reason, true)?;
        let case = self.existing_case(case_id).await?;
        if case.state != CaseState::Queued && case.state != CaseState::InReview {
            return Err(ModerationError::bad(
                "case_not_in_review",
                "summaries can be attached while a case is queued or in review",
            ));
        }
        // Both are plain structs of numbers and strings: encoding them cannot fail.
        let telemetry = request
            .telemetry
            .as_ref()
            .and_then(|t| serde_json::to_string(t).ok());
        let anti_cheat = request
            .anti_cheat
            .as_ref()
            .and_then(|a| serde_json::to_string(a).ok());
        let audit = self.audit_entry(
            Some(principal),
            role,
            "attach_summaries",
            Some(case_id),
            None,
            &request.reason,
            now,
        );
        self.store
            .set_summaries(case_id, telemetry.as_deref(), anti_cheat.as_deref(), &audit)
            .await?;
        Ok(())
    }

    /// Every reviewer's calibration record (with keys: audited as an identity resolution).
    pub async fn reviewer_stats(
        &self,
        principal: &Principal,
        now: i64,
    ) -> Result<Vec<ReviewerStatsView>, ModerationError> {
        let role = staff_role(principal)?;
        let audit = self.audit_entry(
            Some(principal),
            role,
            "list_reviewers",
            None,
            None,
            "viewed reviewer calibration records",
            now,
        );
        self.store.audit(&audit).await?;
        Ok(self
            .store
            .all_reviewer_stats()
            .await?
            .iter()
            .map(|s| ReviewerStatsView {
                reviewer: s.reviewer.to_string(),
                reviewer_ref: self.names.reviewer(&s.reviewer),
                calibration: self.calibration_of(s),
            })
            .collect())
    }

    /// The audit log, for admins.
    pub async fn audit_log(
        &self,
        principal: &Principal,
        since: i64,
        limit: u32,
    ) -> Result<Vec<AuditEntry>, ModerationError> {
        if !principal.roles.contains(&Role::Admin) {
            return Err(ModerationError::Forbidden("admin"));
        }
        Ok(self.store.audit_log(since, limit).await?)
    }
}

/// A reviewer's calibration record, with their key, for moderators.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct ReviewerStatsView {
    /// The reviewer's key.
    pub reviewer: String,
    /// The pseudonym their votes carry in case views.
    pub reviewer_ref: String,
    /// Their results.
    #[serde(flatten)]
    pub calibration: super::review::ReviewerCalibration,
}
