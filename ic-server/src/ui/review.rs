//! Reviewer pages: my assignments, take the next case, a case as its reviewer sees it, and the
//! vote. Everything comes from the same service calls as `/v1/review/…`, so a reviewer's page
//! shows players only by their per-case pseudonyms, never by key.

use axum::extract::rejection::FormRejection;
use axum::extract::{Form, Path, RawQuery, State};
use axum::response::{IntoResponse, Redirect, Response};
use maud::{Markup, html};
use serde::Deserialize;

use super::failure::Failure;
use super::forms::{form_of, respond};
use super::layout;
use super::session::Staff;
use super::text::date;
use crate::clock::unix_now;
use crate::moderation::Decision;
use crate::moderation::ModerationError;
use crate::moderation::service::{ReviewerCalibration, VoteRequest};
use crate::moderation::views::ReviewerCaseView;
use crate::state::AppState;

/// A form that only carries the CSRF token.
#[derive(Deserialize)]
pub(super) struct TokenForm {
    csrf: Option<String>,
}

/// The vote form.
#[derive(Deserialize)]
pub(super) struct VoteForm {
    csrf: Option<String>,
    decision: String,
    confidence: String,
    #[serde(default)]
    notes: String,
}

/// `GET /ui/review` (`?empty=1` after asking for a case when none was waiting).
pub(super) async fn list(
    State(state): State<AppState>,
    staff: Staff,
    RawQuery(query): RawQuery,
) -> Response {
    respond(
        async {
            let moderation = state.moderation()?;
            let views = moderation.assignments(&staff.principal).await?;
            // Staff who may not review (a moderator without the role) see their list only.
            let calibration = match moderation.my_calibration(&staff.principal, unix_now()).await {
                Ok(calibration) => Some(calibration),
                Err(ModerationError::NotEligible(_)) => None,
                Err(error) => return Err(error.into()),
            };
            let mut body = assignments_page(&views, &staff.csrf());
            if let Some(calibration) = &calibration {
                body = html! { (body) (calibration_section(calibration)) };
            }
            if query.as_deref() == Some("empty=1") {
                body = html! { p.notice role="status" { "No case is waiting for you right now." } (body) };
            }
            Ok(layout::page(&state, "Review", body).into_response())
        }
        .await,
    )
}

/// `POST /ui/review/next`: the open assignment, or a newly assigned case.
pub(super) async fn next(
    State(state): State<AppState>,
    staff: Staff,
    form: Result<Form<TokenForm>, FormRejection>,
) -> Response {
    respond(
        async {
            staff.check_csrf(form_of(form)?.csrf.as_deref())?;
            let view = state
                .moderation()?
                .next_assignment(&staff.principal, unix_now())
                .await?;
            Ok(match view {
                Some(view) => Redirect::to(&format!("/ui/review/{}", view.assignment_id)),
                None => Redirect::to("/ui/review?empty=1"),
            }
            .into_response())
        }
        .await,
    )
}

/// `GET /ui/review/{id}`.
pub(super) async fn case(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<String>,
) -> Response {
    respond(
        async {
            let view = state
                .moderation()?
                .assignment(&staff.principal, &id)
                .await?;
            Ok(layout::page(&state, "Case", case_page(&view, &staff.csrf())).into_response())
        }
        .await,
    )
}

/// `POST /ui/review/{id}/vote`.
pub(super) async fn vote(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<String>,
    form: Result<Form<VoteForm>, FormRejection>,
) -> Response {
    respond(
        async {
            let form = form_of(form)?;
            staff.check_csrf(form.csrf.as_deref())?;
            let confidence = form.confidence.trim().parse().map_err(|_| {
                Failure::from(crate::http::ApiError::bad_request(
                    "invalid_confidence",
                    "confidence must be a whole number 0-100",
                ))
            })?;
            let notes = Some(form.notes).filter(|notes| !notes.trim().is_empty());
            let request = VoteRequest {
                decision: form.decision,
                confidence,
                notes,
            };
            state
                .moderation()?
                .vote(&staff.principal, &id, request, unix_now())
                .await?;
            Ok(Redirect::to(&format!("/ui/review/{id}")).into_response())
        }
        .await,
    )
}

/// The list of the reviewer's assignments and the button for the next one.
pub fn assignments_page(views: &[ReviewerCaseView], csrf: &str) -> Markup {
    html! {
        h1 { "Review" }
        form method="post" action="/ui/review/next" {
            input type="hidden" name="csrf" value=(csrf);
            button type="submit" { "Take the next case" }
        }
        h2 { "My assignments" }
        @if views.is_empty() {
            p.notice { "No assignments yet." }
        } @else {
            div.table-wrap {
                table {
                    thead {
                        tr {
                            th scope="col" { "Case" }
                            th scope="col" { "Category" }
                            th.num scope="col" { "Severity" }
                            th scope="col" { "Vote by" }
                            th scope="col" { "Status" }
                        }
                    }
                    tbody {
                        @for view in views {
                            tr {
                                td { a href={ "/ui/review/" (view.assignment_id) } { (view.case_id) } }
                                td { (view.category.name()) }
                                td.num { (view.severity_hint) }
                                td { (date(view.expires_at)) }
                                td { @if view.voted { "voted" } @else { "open" } }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// The reviewer's own calibration results.
pub fn calibration_section(calibration: &ReviewerCalibration) -> Markup {
    html! {
        h2 { "My calibration" }
        dl.facts {
            dt { "Votes cast" } dd { (calibration.cases_reviewed) }
            dt { "Calibration cases" } dd { (calibration.calibration_cases_seen) }
            dt { "Calibration accuracy" } dd { (percent(calibration.calibration_accuracy)) }
            dt { "Agreement with moderators" }
            dd {
                @match calibration.moderator_agreement_rate {
                    Some(rate) => (percent(rate)),
                    None => "no decision yet",
                }
            }
            dt { "Weight of my votes" } dd { (format!("{:.2}", calibration.review_weight)) }
            dt { "New cases" }
            dd {
                @if calibration.receives_cases { "given" }
                @else { "paused: accuracy below the community's minimum" }
            }
        }
        p {
            "Some cases have a known outcome; they are not marked, and your votes on them \
             measure your accuracy."
        }
    }
}

fn percent(share: f64) -> String {
    format!("{:.0} %", share * 100.0)
}

/// One case as its reviewer sees it, with the vote form until they voted.
pub fn case_page(view: &ReviewerCaseView, csrf: &str) -> Markup {
    html! {
        h1 { "Case " (view.case_id) }
        dl.facts {
            dt { "Category" } dd { (view.category.name()) }
            dt { "Severity hint" } dd { (view.severity_hint) " of 100" }
            dt { "Accused" } dd { (view.accused) }
            dt { "Reviewers needed" } dd { (view.required_reviewers) }
            dt { "Vote by" } dd { (date(view.expires_at)) }
        }
        h2 { "Reports" }
        @for report in &view.reports {
            div.notice {
                p { strong { (report.reporter) } " reported " (report.category.name()) }
                @if !report.note.is_empty() { p { (report.note) } }
            }
        }
        @if !view.evidence.is_empty() {
            h2 { "Evidence" }
            ul {
                @for item in &view.evidence {
                    li { (item.kind) ": " code { (item.reference) } }
                }
            }
        }
        @for (title, summary) in [("Relay telemetry", &view.telemetry_summary), ("Anti-cheat", &view.anti_cheat_summary)] {
            @if let Some(summary) = summary {
                h2 { (title) }
                pre { (serde_json::to_string_pretty(summary).unwrap_or_default()) }
            }
        }
        h2 { "Your vote" }
        @match &view.your_vote {
            Some(vote) => {
                p {
                    (vote.decision.name()) ", confidence " (vote.confidence)
                    @if let Some(notes) = &vote.notes { ": " (notes) }
                }
            }
            None => {
                form method="post" action={ "/ui/review/" (view.assignment_id) "/vote" } {
                    input type="hidden" name="csrf" value=(csrf);
                    label for="decision" { "Decision" }
                    select #decision name="decision" required {
                        @for decision in Decision::ALL {
                            option value=(decision.name()) { (decision.name()) }
                        }
                    }
                    label for="confidence" { "Confidence (0-100)" }
                    input #confidence name="confidence" type="number" min="0" max="100" required value="80";
                    label for="notes" { "Notes (optional)" }
                    textarea #notes name="notes" rows="3" cols="60" {}
                    p { button type="submit" { "Vote" } }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use base64::Engine;
    use proptest::prelude::*;
    use scr::{KeyPair, PublicKey};

    use super::*;
    use crate::moderation::pseudonym::Pseudonyms;
    use crate::moderation::views::reviewer_view;
    use crate::moderation::{CaseState, Category};
    use crate::store::moderation::{AssignmentRow, CaseRow, EvidenceRow, ReportRow, VoteRow};

    /// Every text form a key takes in this project's formats.
    fn forms(key: &PublicKey) -> Vec<String> {
        let bytes = key.as_bytes();
        let hex = hex::encode(bytes);
        vec![
            hex.clone(),
            hex.to_uppercase(),
            format!("ed25519:{hex}"),
            base64::engine::general_purpose::STANDARD.encode(bytes),
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes),
        ]
    }

    /// Free text as a reporter or reviewer might type it: words, punctuation HTML must escape,
    /// and any of the case's keys pasted in any form.
    fn text(keys: Vec<PublicKey>) -> impl Strategy<Value = String> {
        let piece = prop_oneof![
            "[a-z]{1,12}".prop_map(String::from),
            Just(" ".to_owned()),
            Just("<b>&\"'".to_owned()),
            (0..keys.len(), 0..5usize).prop_map(move |(k, f)| forms(&keys[k])[f].clone()),
        ];
        proptest::collection::vec(piece, 0..12).prop_map(|pieces| pieces.concat())
    }

    /// Report indexes, their notes, evidence (kind, reference), a telemetry note, and the
    /// reviewer's vote notes if they voted.
    type CaseShape = (
        Vec<u8>,
        Vec<String>,
        Vec<(String, String)>,
        String,
        Option<String>,
    );

    fn case_shape() -> impl Strategy<Value = CaseShape> {
        (1u8..=6).prop_flat_map(|reports| {
            let keys: Vec<PublicKey> = (0..=reports + 1)
                .map(|seed| KeyPair::from_seed([seed + 1; 32]).public_key())
                .collect();
            (
                Just((0..reports).collect::<Vec<u8>>()),
                proptest::collection::vec(text(keys.clone()), usize::from(reports)),
                proptest::collection::vec(
                    prop_oneof![
                        any::<[u8; 32]>().prop_map(|id| ("match_id".to_owned(), hex::encode(id))),
                        text(keys.clone()).prop_map(|t| ("timeline_marker".to_owned(), t)),
                        text(keys.clone()).prop_map(|t| ("replay_id".to_owned(), t)),
                    ],
                    0..4,
                ),
                text(keys.clone()),
                proptest::option::of(text(keys)),
            )
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(200))]

        #[test]
        fn a_reviewer_page_never_contains_a_players_key(
            (reports, notes, evidence, telemetry_note, vote_notes) in case_shape(),
            calibration in any::<bool>(),
        ) {
            let key = |seed: u8| KeyPair::from_seed([seed + 1; 32]).public_key();
            let accused = key(0);
            let reviewer = key(u8::try_from(reports.len()).unwrap() + 1);
            let case = CaseRow {
                case_id: "case_1".into(),
                category: Category::Griefing,
                state: CaseState::Queued,
                created_at: 1,
                updated_at: 1,
                closed_at: None,
                severity_hint: 40,
                accused,
                required_reviewers: 3,
                telemetry_summary: Some(
                    serde_json::json!({ "disconnects": 2, "notes": [telemetry_note] }).to_string(),
                ),
                anti_cheat_summary: None,
            };
            let report_rows: Vec<ReportRow> = reports
                .iter()
                .zip(&notes)
                .map(|(i, note)| ReportRow {
                    report_id: format!("rep_{i}"),
                    case_id: "case_1".into(),
                    reporter: key(i + 1),
                    category: Category::Griefing,
                    note: note.clone(),
                    created_at: 1,
                    upheld: None,
                })
                .collect();
            let evidence_rows: Vec<EvidenceRow> = evidence
                .iter()
                .map(|(kind, reference)| EvidenceRow { kind: kind.clone(), reference: reference.clone() })
                .collect();
            let assignment = AssignmentRow {
                assignment_id: "asg_1".into(),
                case_id: "case_1".into(),
                reviewer,
                assigned_at: 1,
                expires_at: 100,
                calibration,
                voted: vote_notes.is_some(),
            };
            let vote = vote_notes.map(|notes| VoteRow {
                assignment_id: "asg_1".into(),
                case_id: "case_1".into(),
                reviewer,
                submitted_at: 2,
                decision: Decision::SuspectedGriefing,
                confidence: 70,
                notes: Some(notes),
                weight: 1.0,
                calibration,
            });
            let view = reviewer_view(
                &Pseudonyms::new([9; 32]),
                &assignment,
                &case,
                &report_rows,
                &evidence_rows,
                vote.as_ref(),
            );
            let html = format!(
                "{}{}",
                case_page(&view, "csrf").into_string(),
                assignments_page(std::slice::from_ref(&view), "csrf").into_string()
            );
            let everyone: Vec<PublicKey> = (0..=u8::try_from(reports.len()).unwrap() + 1).map(key).collect();
            for player in &everyone {
                for form in forms(player) {
                    prop_assert!(!html.contains(&form), "{form} in {html}");
                }
            }
        }
    }
}
