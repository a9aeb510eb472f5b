//! Review: eligibility (role or standing, then calibration accuracy), the next assignment, the
//! anonymous case view, and votes; the last required vote computes and records the consensus.

use serde::{Deserialize, Serialize};

use super::{ModerationError, ModerationService, new_id};
use crate::auth::Principal;
use crate::moderation::consensus::{WeightedVote, tally};
use crate::moderation::views::{ReviewerCaseView, reviewer_view};
use crate::moderation::{CaseState, Category, Decision, Recommendation};
use crate::store::Role;
use crate::store::moderation::{
    AssignmentRow, Claim, ConsensusRow, ReviewerStatsRow, VoteRecorded, VoteRow,
};

/// A reviewer's calibration results as the rules read them (the reference design's
/// `ReviewerCalibrationStats`, without the reviewer's identity).
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct ReviewerCalibration {
    /// Votes cast.
    pub cases_reviewed: u32,
    /// Calibration cases voted on (they are not announced as such when assigned).
    pub calibration_cases_seen: u32,
    /// Moving-average accuracy on calibration cases, 0–1.
    pub calibration_accuracy: f64,
    /// Share of the reviewer's votes a moderator's decision agreed with; `None` before any.
    pub moderator_agreement_rate: Option<f64>,
    /// The weight of the reviewer's votes in consensus.
    pub review_weight: f64,
    /// Whether the reviewer's accuracy lets them take new cases.
    pub receives_cases: bool,
}

/// Body of a vote.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VoteRequest {
    /// Verdict.
    pub decision: String,
    /// 0–100.
    pub confidence: i64,
    /// Optional notes, bounded.
    #[serde(default)]
    pub notes: Option<String>,
}

impl ModerationService {
    fn fresh_stats(&self, principal: &Principal) -> ReviewerStatsRow {
        ReviewerStatsRow {
            reviewer: principal.key,
            cases_reviewed: 0,
            calibration_cases_seen: 0,
            calibration_accuracy: self.rules().initial_accuracy,
            moderator_judged: 0,
            moderator_agreed: 0,
        }
    }

    /// Whether `principal` may review now; returns their calibration record.
    async fn review_gate(
        &self,
        principal: &Principal,
        now: i64,
    ) -> Result<ReviewerStatsRow, ModerationError> {
        let stats = self.own_stats(principal, now).await?;
        if !self
            .rules()
            .may_review(stats.calibration_accuracy, stats.calibration_cases_seen)
        {
            return Err(ModerationError::AccuracyTooLow);
        }
        Ok(stats)
    }

    /// The reviewer's own calibration results, also when their accuracy keeps them from new
    /// cases (that is when they most want to see it); refused to a player who may not review.
    pub async fn my_calibration(
        &self,
        principal: &Principal,
        now: i64,
    ) -> Result<ReviewerCalibration, ModerationError> {
        let stats = self.own_stats(principal, now).await?;
        Ok(self.calibration_of(&stats))
    }

    /// The calibration record of a reviewer who holds the role or qualifies by standing.
    async fn own_stats(
        &self,
        principal: &Principal,
        now: i64,
    ) -> Result<ReviewerStatsRow, ModerationError> {
        self.check_eligible(principal, now).await?;
        Ok(self
            .store
            .reviewer_stats(&principal.key)
            .await?
            .unwrap_or_else(|| self.fresh_stats(principal)))
    }

    /// Whether `key` qualifies to review by standing alone (no role), by the same rules as
    /// [`Self::check_eligible`]; a database failure counts as not qualifying.
    pub async fn qualifies_by_standing(&self, key: &scr::PublicKey, now: i64) -> bool {
        let principal = Principal {
            key: *key,
            roles: Vec::new(),
        };
        self.check_eligible(&principal, now).await.is_ok()
    }

    /// Refuses a principal who neither holds the reviewer role nor qualifies by standing.
    async fn check_eligible(&self, principal: &Principal, now: i64) -> Result<(), ModerationError> {
        if !principal.roles.contains(&Role::Reviewer) {
            let config = self.config();
            let rules = &config.eligibility;
            if !rules.by_standing {
                return Err(ModerationError::NotEligible(
                    "reviewing needs the reviewer role here".into(),
                ));
            }
            let standing = self.store.standing(&principal.key).await?.ok_or_else(|| {
                ModerationError::NotEligible("not a registered member of this community".into())
            })?;
            if standing.matches < rules.min_matches {
                return Err(ModerationError::NotEligible(format!(
                    "{} certified matches played here; {} needed",
                    standing.matches, rules.min_matches
                )));
            }
            let age_days = now.saturating_sub(standing.registered_at) / 86_400;
            if age_days < i64::from(rules.min_account_age_days) {
                return Err(ModerationError::NotEligible(format!(
                    "member for {age_days} days; {} needed",
                    rules.min_account_age_days
                )));
            }
            let clean_since = now.saturating_sub(i64::from(rules.no_sanction_days) * 86_400);
            if standing.last_sanction_at.is_some_and(|at| at > clean_since) {
                return Err(ModerationError::NotEligible(format!(
                    "sanctioned within the last {} days",
                    rules.no_sanction_days
                )));
            }
        }
        Ok(())
    }

    /// What a calibration record means under the current rules: weight and whether the
    /// reviewer receives cases.
    pub(super) fn calibration_of(&self, stats: &ReviewerStatsRow) -> ReviewerCalibration {
        let rules = self.rules();
        ReviewerCalibration {
            cases_reviewed: stats.cases_reviewed,
            calibration_cases_seen: stats.calibration_cases_seen,
            calibration_accuracy: stats.calibration_accuracy,
            moderator_agreement_rate: (stats.moderator_judged > 0)
                .then(|| f64::from(stats.moderator_agreed) / f64::from(stats.moderator_judged)),
            review_weight: rules.weight(stats.calibration_accuracy),
            receives_cases: rules
                .may_review(stats.calibration_accuracy, stats.calibration_cases_seen),
        }
    }

    async fn view(
        &self,
        assignment: &AssignmentRow,
    ) -> Result<Option<ReviewerCaseView>, ModerationError> {
        let Some(case) = self.store.case(&assignment.case_id).await? else {
            // Expired by retention since.
            return Ok(None);
        };
        let reports = self.store.reports(&case.case_id).await?;
        let evidence = self.store.evidence(&case.case_id).await?;
        let votes = if assignment.voted {
            self.store.votes(&case.case_id).await?
        } else {
            Vec::new()
        };
        let own = votes
            .iter()
            .find(|v| v.assignment_id == assignment.assignment_id);
        Ok(Some(reviewer_view(
            &self.names,
            assignment,
            &case,
            &reports,
            &evidence,
            own,
        )))
    }

    /// The reviewer's open assignment, or a newly assigned next case (`None` when nothing is
    /// available). Calibration cases are mixed in unannounced every `calibration.every` cases.
    pub async fn next_assignment(
        &self,
        principal: &Principal,
        now: i64,
    ) -> Result<Option<ReviewerCaseView>, ModerationError> {
        let stats = self.review_gate(principal, now).await?;
        for open in self.store.assignments_of(&principal.key).await? {
            if open.voted || open.expires_at <= now {
                continue;
            }
            // A case a moderator closed meanwhile no longer holds its reviewer.
            let still_open = match self.store.case(&open.case_id).await? {
                Some(case) => open.calibration || case.state.takes_reviewers(),
                None => false,
            };
            if still_open && let Some(view) = self.view(&open).await? {
                return Ok(Some(view));
            }
        }
        let every = self.config().calibration.every.max(1);
        let claim = Claim {
            assignment_id: new_id("asg"),
            reviewer: principal.key,
            now,
            expires_at: now.saturating_add(self.config().assignment_expiry_secs),
            calibration_first: (stats.cases_reviewed + 1) % every == 0,
        };
        let Some(assignment) = self.store.claim(&claim).await? else {
            return Ok(None);
        };
        self.count("assignment");
        self.view(&assignment).await
    }

    /// The reviewer's assignments, newest first.
    pub async fn assignments(
        &self,
        principal: &Principal,
    ) -> Result<Vec<ReviewerCaseView>, ModerationError> {
        let mut views = Vec::new();
        for assignment in self.store.assignments_of(&principal.key).await? {
            if let Some(view) = self.view(&assignment).await? {
                views.push(view);
            }
        }
        Ok(views)
    }

    pub(super) async fn own_assignment(
        &self,
        principal: &Principal,
        assignment_id: &str,
    ) -> Result<AssignmentRow, ModerationError> {
        self.store
            .assignment(assignment_id)
            .await?
            .filter(|a| a.reviewer == principal.key)
            .ok_or(ModerationError::AssignmentNotFound)
    }

    /// One of the reviewer's assignments.
    pub async fn assignment(
        &self,
        principal: &Principal,
        assignment_id: &str,
    ) -> Result<ReviewerCaseView, ModerationError> {
        let assignment = self.own_assignment(principal, assignment_id).await?;
        self.view(&assignment)
            .await?
            .ok_or(ModerationError::AssignmentNotFound)
    }

    /// Records the reviewer's vote on their assignment; the last required vote decides.
    pub async fn vote(
        &self,
        principal: &Principal,
        assignment_id: &str,
        request: VoteRequest,
        now: i64,
    ) -> Result<(), ModerationError> {
        let decision = Decision::from_name(&request.decision).ok_or_else(|| {
            ModerationError::bad(
                "invalid_decision",
                format!("decision must be one of: {}", Decision::names()),
            )
        })?;
        let confidence = u8::try_from(request.confidence)
            .ok()
            .filter(|c| *c <= 100)
            .ok_or_else(|| {
                ModerationError::bad("invalid_confidence", "confidence must be 0-100")
            })?;
        if let Some(notes) = &request.notes {
            self.check_text("notes_too_long", "notes", notes, false)?;
        }
        let assignment = self.own_assignment(principal, assignment_id).await?;
        if assignment.voted {
            return Err(ModerationError::AlreadyVoted);
        }
        // Eligibility is checked again at the vote: a reviewer sanctioned, or below raised
        // requirements, since the case was assigned no longer decides it.
        self.check_eligible(principal, now).await?;
        if assignment.expires_at <= now {
            return Err(ModerationError::AssignmentExpired);
        }
        let case = self
            .store
            .case(&assignment.case_id)
            .await?
            .ok_or(ModerationError::AssignmentNotFound)?;
        if !assignment.calibration && !case.state.takes_reviewers() {
            return Err(ModerationError::InvalidState(
                crate::moderation::case::InvalidTransition {
                    from: case.state,
                    event: crate::moderation::CaseEvent::ConsensusReached,
                },
            ));
        }
        let mut stats = self
            .store
            .reviewer_stats(&principal.key)
            .await?
            .unwrap_or_else(|| self.fresh_stats(principal));
        let weight = self.rules().weight(stats.calibration_accuracy);
        stats.cases_reviewed = stats.cases_reviewed.saturating_add(1);
        if assignment.calibration {
            let known = self.store.calibration_decision(&case.case_id).await?;
            let correct = known == Some(decision);
            stats.calibration_accuracy = self
                .rules()
                .next_accuracy(stats.calibration_accuracy, correct);
            stats.calibration_cases_seen = stats.calibration_cases_seen.saturating_add(1);
        }
        let vote = VoteRow {
            assignment_id: assignment.assignment_id.clone(),
            case_id: case.case_id.clone(),
            reviewer: principal.key,
            submitted_at: now,
            decision,
            confidence,
            notes: request.notes,
            weight,
            calibration: assignment.calibration,
        };
        let votes = match self.store.record_vote(&vote, &stats).await? {
            VoteRecorded::Done(votes) => votes,
            VoteRecorded::AlreadyVoted => return Err(ModerationError::AlreadyVoted),
        };
        self.count(if assignment.calibration {
            "calibration_vote"
        } else {
            "vote"
        });
        let required = usize::from(case.required_reviewers);
        if !assignment.calibration && votes.len() >= required {
            self.decide(&case.case_id, case.category, &votes[..required], now)
                .await?;
        }
        Ok(())
    }

    /// Tallies the required votes and records the consensus once.
    async fn decide(
        &self,
        case_id: &str,
        category: Category,
        votes: &[VoteRow],
        now: i64,
    ) -> Result<(), ModerationError> {
        let weighted: Vec<WeightedVote> = votes
            .iter()
            .map(|v| WeightedVote {
                decision: v.decision,
                weight: v.weight,
                confidence: v.confidence,
            })
            .collect();
        let result = tally(&weighted, self.config().consensus_threshold);
        let recommended = match (result.reached, result.top) {
            (true, Some(decision)) => self.config().recommendations.for_decision(decision),
            _ => vec![Recommendation::EscalateManualReview],
        };
        // Everything is a moderator's decision in the end; this flag marks the cases that must
        // not even be fast-tracked: disagreement, cheating, or anything touching ranked play.
        let requires_moderator = !result.reached
            || category == Category::Cheating
            || recommended.iter().any(|r| match r {
                Recommendation::Measure(m) => m.touches_ranked(),
                Recommendation::EscalateManualReview => true,
            });
        let consensus = ConsensusRow {
            consensus_id: new_id("cons"),
            case_id: case_id.to_owned(),
            created_at: now,
            reached: result.reached,
            weighted_decision: result.top,
            agreement_ratio: result.agreement_ratio,
            reviewer_count: u8::try_from(votes.len()).unwrap_or(u8::MAX),
            requires_moderator,
            recommended_actions: recommended.iter().map(ToString::to_string).collect(),
        };
        let state = if result.reached {
            CaseState::ConsensusReached
        } else {
            CaseState::EscalatedToModerator
        };
        if self.store.record_consensus(&consensus, state, now).await? {
            self.count(if result.reached {
                "consensus_reached"
            } else {
                "escalated"
            });
        }
        Ok(())
    }
}

#[async_trait::async_trait]
impl crate::auth::ReviewerStanding for ModerationService {
    async fn reviews_by_standing(&self, key: &scr::PublicKey, now: i64) -> bool {
        self.qualifies_by_standing(key, now).await
    }
}
