//! Intake: a player's report, checked (category, bounded note, certified match both played in,
//! per-reporter daily limit), joined to the open case of the player and category, re-triaged.

use relay_core::cmr::CertifiedMatchResult;
use scr::PublicKey;
use serde::Deserialize;

use super::{ModerationError, ModerationService, new_id};
use crate::moderation::severity::{report_points, reporter_accuracy};
use crate::moderation::{CaseState, Category};
use crate::store::moderation::{CaseRow, EvidenceRow, Filed, NewReport, ReportRow};

/// Most timeline markers one report may carry.
const MAX_MARKERS: usize = 32;

/// Body of `POST /v1/reports`.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReportRequest {
    /// The reported player, `ed25519:<hex>`.
    pub accused: String,
    /// One of the categories.
    pub category: String,
    /// A certified match both played in (64 hex), optional.
    #[serde(default)]
    pub match_id: Option<String>,
    /// A replay id, optional.
    #[serde(default)]
    pub replay_id: Option<String>,
    /// Timeline marker ids, optional.
    #[serde(default)]
    pub timeline_markers: Vec<String>,
    /// Free text, bounded.
    #[serde(default)]
    pub note: String,
}

/// What the reporter learns.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct ReportReceipt {
    /// The report.
    pub report_id: String,
    /// The case it joined.
    pub case_id: String,
    /// Always `submitted_for_review`.
    pub status: &'static str,
}

impl ModerationService {
    /// The case a report opens when none is open about `accused` in `category`.
    pub(super) fn queued_case(&self, category: Category, accused: PublicKey, now: i64) -> CaseRow {
        CaseRow {
            case_id: new_id("case"),
            category,
            state: CaseState::Queued,
            created_at: now,
            updated_at: now,
            closed_at: None,
            severity_hint: self.config().severity_base.of(category),
            accused,
            required_reviewers: self.config().required_for(category),
            telemetry_summary: None,
            anti_cheat_summary: None,
        }
    }

    /// The severity points a report by `reporter` adds, from their reports' track record.
    pub(super) async fn points_of(&self, reporter: &PublicKey) -> Result<u8, ModerationError> {
        let (upheld, judged) = self.store.reporter_record(reporter).await?;
        Ok(report_points(
            self.config().severity_per_report,
            reporter_accuracy(upheld, judged),
        ))
    }
}

fn reference_ok(text: &str, max: usize) -> bool {
    !text.is_empty()
        && text.len() <= max
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | ':'))
}

impl ModerationService {
    /// Files `reporter`'s report at `now`.
    pub async fn report(
        &self,
        reporter: PublicKey,
        request: ReportRequest,
        now: i64,
    ) -> Result<ReportReceipt, ModerationError> {
        // Cheap checks first: shape, then the rate limit, then database lookups.
        let accused: PublicKey = request.accused.parse().map_err(|_| {
            ModerationError::bad("invalid_key", "accused must be ed25519:<64 hex characters>")
        })?;
        let category = Category::from_name(&request.category).ok_or_else(|| {
            ModerationError::bad(
                "invalid_category",
                format!("category must be one of: {}", Category::names()),
            )
        })?;
        if accused == reporter {
            return Err(ModerationError::bad(
                "self_report",
                "you cannot report yourself",
            ));
        }
        self.check_text("note_too_long", "note", &request.note, false)?;
        let match_id = request
            .match_id
            .as_deref()
            .map(|text| {
                hex::decode(text)
                    .ok()
                    .and_then(|bytes| <[u8; 32]>::try_from(bytes).ok())
                    .ok_or_else(|| {
                        ModerationError::bad(
                            "invalid_match_id",
                            "match_id must be 64 hex characters",
                        )
                    })
            })
            .transpose()?;
        if let Some(replay) = &request.replay_id
            && !reference_ok(replay, 128)
        {
            return Err(ModerationError::bad(
                "invalid_replay_id",
                "replay_id must be 1-128 characters of letters, digits, '-', '_', '.', ':'",
            ));
        }
        if request.timeline_markers.len() > MAX_MARKERS
            || !request.timeline_markers.iter().all(|m| reference_ok(m, 64))
        {
            return Err(ModerationError::bad(
                "invalid_timeline_markers",
                format!(
                    "at most {MAX_MARKERS} timeline markers of 1-64 letters, digits, '-', '_', '.', ':'"
                ),
            ));
        }
        let since = now.saturating_sub(86_400);
        if self.store.reports_since(&reporter, since).await? >= self.config().reports_per_day {
            return Err(ModerationError::ReportRateLimited);
        }
        let needed = self.config().reporter_min_matches;
        let played = match self.store.standing(&reporter).await? {
            Some(standing) if standing.matches >= needed => None,
            Some(standing) => Some(standing.matches),
            None => Some(0),
        };
        if let Some(played) = played {
            return Err(ModerationError::ReporterNotEligible { needed, played });
        }
        if self.store.standing(&accused).await?.is_none() {
            return Err(ModerationError::UnknownPlayer);
        }
        let mut evidence = Vec::new();
        let mut match_players = Vec::new();
        if let Some(match_id) = match_id {
            let bytes = self
                .store
                .certified_match(&match_id)
                .await?
                .ok_or(ModerationError::MatchNotCertified)?;
            // Stored results were verified on ingest; only the player list is read here.
            let (cmr, _) = CertifiedMatchResult::decode_unverified(&bytes)
                .map_err(|_| ModerationError::MatchNotCertified)?;
            let played = |key: &PublicKey| cmr.players.iter().any(|p| p.key.public_key() == *key);
            if !(played(&reporter) && played(&accused)) {
                return Err(ModerationError::NotInMatch);
            }
            match_players = cmr.players.iter().map(|p| p.key.public_key()).collect();
            evidence.push(EvidenceRow {
                kind: "match_id".into(),
                reference: hex::encode(match_id),
            });
        }
        if let Some(replay) = request.replay_id {
            evidence.push(EvidenceRow {
                kind: "replay_id".into(),
                reference: replay,
            });
        }
        for marker in request.timeline_markers {
            evidence.push(EvidenceRow {
                kind: "timeline_marker".into(),
                reference: marker,
            });
        }
        let report = ReportRow {
            report_id: new_id("rep"),
            case_id: String::new(),
            reporter,
            category,
            note: request.note,
            created_at: now,
            upheld: None,
        };
        let new_case = self.queued_case(category, accused, now);
        let filed = self
            .store
            .file_report(&NewReport {
                report: report.clone(),
                evidence,
                new_case,
                match_players,
                severity_points: self.points_of(&reporter).await?,
            })
            .await?;
        let (case_id, opened) = match filed {
            Filed::Joined { case_id, opened } => (case_id, opened),
            Filed::AlreadyReported(_) => return Err(ModerationError::AlreadyReported),
        };
        self.count("report");
        if opened {
            self.count("case_opened");
        }
        Ok(ReportReceipt {
            report_id: report.report_id,
            case_id,
            status: "submitted_for_review",
        })
    }
}
