//! Moderator pages for appeals: open and decided appeals, and the uphold / reverse decision,
//! through the same service calls as `/v1/moderation/appeals`.

use axum::extract::rejection::FormRejection;
use axum::extract::{Form, Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use maud::html;
use serde::Deserialize;

use super::forms::{form_of, respond};
use super::layout;
use super::session::Staff;
use super::text::{date, short_key};
use crate::clock::unix_now;
use crate::state::AppState;
use crate::store::moderation::abandon_of_subject;

/// The decision form.
#[derive(Deserialize)]
pub(super) struct DecisionForm {
    csrf: Option<String>,
    decision: String,
    #[serde(default)]
    reason: String,
}

/// `GET /ui/moderation/appeals`.
pub(super) async fn list(State(state): State<AppState>, staff: Staff) -> Response {
    respond(
        async {
            let appeals = state.moderation()?.appeals(&staff.principal, false).await?;
            let csrf = staff.csrf();
            let body = html! {
                h1 { "Appeals" }
                @if appeals.is_empty() { p.notice { "No appeals." } }
                @for appeal in &appeals {
                    @let player = appeal.player.to_string();
                    @let abandon = abandon_of_subject(&appeal.case_id).is_some();
                    section.notice {
                        @if abandon {
                            // A leaver cooldown: no case, the abandoned match.
                            h2 { "Appeal of a leaver cooldown, " code title=(appeal.case_id) { (short_key(&appeal.case_id)) } }
                        } @else {
                            h2 { "Appeal on case " a href={ "/ui/moderation/cases/" (appeal.case_id) } { (appeal.case_id) } }
                        }
                        p { "By " span.key title=(player) { (short_key(&player)) } ", " (date(appeal.created_at)) }
                        p { (appeal.statement) }
                        @match &appeal.decision {
                            Some(decision) => p { strong { (decision) } @if let Some(reason) = &appeal.reason { ": " (reason) } },
                            None => form method="post" action={ "/ui/moderation/appeals/" (appeal.appeal_id) "/decision" } {
                                input type="hidden" name="csrf" value=(csrf);
                                label for={ "decision-" (appeal.appeal_id) } { "Decision" }
                                select id={ "decision-" (appeal.appeal_id) } name="decision" {
                                    @if abandon {
                                        option value="uphold" { "keep the cooldown" }
                                        option value="reverse" { "forgive the abandon" }
                                    } @else {
                                        option value="uphold" { "uphold the sanction" }
                                        option value="reverse" { "reverse it" }
                                    }
                                }
                                label for={ "reason-" (appeal.appeal_id) } { "Reason (required)" }
                                textarea id={ "reason-" (appeal.appeal_id) } name="reason" rows="2" cols="60" required {}
                                p { button type="submit" { "Decide" } }
                            },
                        }
                    }
                }
            };
            Ok(layout::page(&state, "Appeals", body).into_response())
        }
        .await,
    )
}

/// `POST /ui/moderation/appeals/{id}/decision`.
pub(super) async fn decide(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<String>,
    form: Result<Form<DecisionForm>, FormRejection>,
) -> Response {
    respond(
        async {
            let form = form_of(form)?;
            staff.check_csrf(form.csrf.as_deref())?;
            state
                .moderation()?
                .decide_appeal(
                    &staff.principal,
                    &id,
                    &form.decision,
                    &form.reason,
                    unix_now(),
                )
                .await?;
            Ok(Redirect::to("/ui/moderation/appeals").into_response())
        }
        .await,
    )
}
