//! Moderator pages: cases by state and severity, one case with its reports, votes, consensus
//! and actions, and the action form. Every call is the `/v1/moderation/…` service call, so the
//! same roles are checked and opening a case is audited the same way.

use axum::extract::rejection::{FormRejection, QueryRejection};
use axum::extract::{Form, Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use maud::{Markup, html};
use serde::Deserialize;
use serde_json::Value;

use super::failure::Failure;
use super::forms::{form_of, respond};
use super::layout;
use super::session::Staff;
use super::text::{date, short_key};
use crate::clock::unix_now;
use crate::moderation::service::{ActRequest, case_filter};
use crate::moderation::{CaseState, Category};
use crate::state::AppState;

/// Cases one list page shows: the most severe, so the page stays small (about 50 KB).
const LISTED: u32 = 200;

/// Filters of the case list.
#[derive(Deserialize)]
pub(super) struct CasesQuery {
    state: Option<String>,
    category: Option<String>,
}

/// The action form.
#[derive(Deserialize)]
pub(super) struct ActForm {
    csrf: Option<String>,
    action: String,
    #[serde(default)]
    reason: String,
}

fn chosen(value: Option<String>) -> Option<String> {
    value.filter(|v| !v.is_empty())
}

/// `GET /ui/moderation/cases?state=&category=`: most severe first, at most [`LISTED`].
pub(super) async fn cases(
    State(state): State<AppState>,
    staff: Staff,
    query: Result<Query<CasesQuery>, QueryRejection>,
) -> Response {
    respond(
        async {
            let Query(query) = query.map_err(|r| Failure::bad_query(r.body_text()))?;
            let (wanted_state, wanted_category) = (chosen(query.state), chosen(query.category));
            let filter = case_filter(
                wanted_state.as_deref(),
                wanted_category.as_deref(),
                None,
                Some(LISTED),
            )?;
            // The store lists the most severe first, oldest first among equals.
            let rows = state.moderation()?.list_cases(&staff.principal, &filter).await?;
            let body = html! {
                h1 { "Cases" }
                form.filters method="get" action="/ui/moderation/cases" {
                    label for="state" { "State" }
                    select #state name="state" {
                        option value="" { "any" }
                        @for s in CaseState::ALL {
                            option value=(s.name()) selected[wanted_state.as_deref() == Some(s.name())] { (s.name()) }
                        }
                    }
                    label for="category" { "Category" }
                    select #category name="category" {
                        option value="" { "any" }
                        @for c in Category::ALL {
                            option value=(c.name()) selected[wanted_category.as_deref() == Some(c.name())] { (c.name()) }
                        }
                    }
                    p { button type="submit" { "Show" } }
                }
                @if rows.is_empty() {
                    p.notice { "No cases match." }
                } @else {
                    @if rows.len() == LISTED as usize {
                        p.muted { "The " (LISTED) " most severe matching cases are shown; filter by state or category to see others." }
                    }
                    div.table-wrap {
                        table {
                            thead {
                                tr {
                                    th scope="col" { "Case" }
                                    th scope="col" { "State" }
                                    th scope="col" { "Category" }
                                    th.num scope="col" { "Severity" }
                                    th.num scope="col" { "Reports" }
                                    th.num scope="col" { "Votes" }
                                    th.wide scope="col" { "Updated" }
                                }
                            }
                            tbody {
                                @for row in &rows {
                                    tr {
                                        td { a href={ "/ui/moderation/cases/" (row.case.case_id) } { (row.case.case_id) } }
                                        td {
                                            (row.case.state.name())
                                            @if row.requires_moderator == Some(true) { " · needs a moderator" }
                                        }
                                        td { (row.case.category.name()) }
                                        td.num { (row.case.severity_hint) }
                                        td.num { (row.reports) }
                                        td.num { (row.votes) "/" (row.case.required_reviewers) }
                                        td.wide { (date(row.case.updated_at)) }
                                    }
                                }
                            }
                        }
                    }
                }
            };
            Ok(layout::page(&state, "Cases", body).into_response())
        }
        .await,
    )
}

/// `GET /ui/moderation/cases/{id}`.
pub(super) async fn case(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<String>,
) -> Response {
    respond(
        async {
            let view = state
                .moderation()?
                .open_case(&staff.principal, &id, unix_now())
                .await?;
            // The page reads the view as the API's JSON, so both show the same fields.
            let view = serde_json::to_value(&view).unwrap_or_default();
            Ok(layout::page(&state, "Case", case_page(&view, &staff.csrf())).into_response())
        }
        .await,
    )
}

/// `POST /ui/moderation/cases/{id}/actions`.
pub(super) async fn act(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<String>,
    form: Result<Form<ActForm>, FormRejection>,
) -> Response {
    respond(
        async {
            let form = form_of(form)?;
            staff.check_csrf(form.csrf.as_deref())?;
            let request = ActRequest {
                action: form.action,
                reason: form.reason,
            };
            state
                .moderation()?
                .act(&staff.principal, &id, request, unix_now())
                .await?;
            Ok(Redirect::to(&format!("/ui/moderation/cases/{id}")).into_response())
        }
        .await,
    )
}

/// A JSON value as page text: strings without quotes, nothing for null.
fn shown(value: &Value) -> String {
    match value {
        Value::Null => String::new(),
        Value::String(text) => text.clone(),
        other => other.to_string(),
    }
}

fn key_cell(value: &Value) -> Markup {
    let key = shown(value);
    html! { span.key title=(key) { a href={ "/ui/players/" (key) } { (short_key(&key)) } } }
}

fn list<'a>(view: &'a Value, field: &str) -> &'a [Value] {
    view[field].as_array().map_or(&[], Vec::as_slice)
}

/// A case as its moderator sees it, identities resolved.
fn case_page(view: &Value, csrf: &str) -> Markup {
    let id = shown(&view["case_id"]);
    html! {
        h1 { "Case " (id) }
        dl.facts {
            dt { "State" } dd { (shown(&view["state"])) }
            dt { "Category" } dd { (shown(&view["category"])) }
            dt { "Severity hint" } dd { (shown(&view["severity_hint"])) " of 100" }
            dt { "Accused" } dd { (key_cell(&view["accused"])) }
            dt { "Opened" } dd { (date(view["created_at"].as_i64().unwrap_or(0))) }
        }
        h2 { "Reports" }
        div.table-wrap {
            table {
                thead { tr { th scope="col" { "Reporter" } th scope="col" { "Category" } th scope="col" { "Note" } th scope="col" { "Upheld" } } }
                tbody {
                    @for report in list(view, "reports") {
                        tr {
                            td { (key_cell(&report["reporter"])) }
                            td { (shown(&report["category"])) }
                            td { (shown(&report["note"])) }
                            td { (shown(&report["upheld"])) }
                        }
                    }
                }
            }
        }
        @if !list(view, "evidence").is_empty() {
            h2 { "Evidence" }
            ul {
                @for item in list(view, "evidence") {
                    li { (shown(&item["kind"])) ": " code { (shown(&item["reference"])) } }
                }
            }
        }
        h2 { "Votes" }
        @if list(view, "votes").is_empty() {
            p.muted { "No votes yet." }
        } @else {
            div.table-wrap {
                table {
                    thead { tr { th scope="col" { "Reviewer" } th scope="col" { "Decision" } th.num scope="col" { "Confidence" } th.num scope="col" { "Weight" } th scope="col" { "Notes" } } }
                    tbody {
                        @for vote in list(view, "votes") {
                            tr {
                                td { (shown(&vote["reviewer"])) }
                                td { (shown(&vote["decision"])) }
                                td.num { (shown(&vote["confidence"])) }
                                td.num { (shown(&vote["weight"])) }
                                td { (shown(&vote["notes"])) }
                            }
                        }
                    }
                }
            }
        }
        h2 { "Consensus" }
        @match view["consensus"].as_object() {
            None => p.muted { "Not reached yet." },
            Some(consensus) => dl.facts #consensus {
                @for (name, value) in consensus {
                    dt { (name) } dd { (shown(value)) }
                }
            },
        }
        h2 { "Actions" }
        @if list(view, "actions").is_empty() {
            p.muted { "None." }
        } @else {
            ul {
                @for action in list(view, "actions") {
                    li {
                        strong { (shown(&action["action"])) } " — " (shown(&action["reason"]))
                        @if let Some(source) = action["provenance"].as_object() {
                            " " span.provenance {
                                "(from " (shown(&source["publisher_url"])) ", entry "
                                (shown(&source["seq"])) ")"
                            }
                        }
                        @if action["reversed"] == Value::Bool(true) {
                            @if action["provenance"].is_object() { " (reversed)" }
                            @else { " (reversed on appeal)" }
                        }
                    }
                }
            }
        }
        h2 { "Act" }
        form method="post" action={ "/ui/moderation/cases/" (id) "/actions" } {
            input type="hidden" name="csrf" value=(csrf);
            label for="action" { "Action" }
            input #action name="action" required list="actions" size="32";
            datalist #actions {
                @for action in ["warn", "close_no_action", "escalate", "chat_restriction:24", "queue_cooldown:24", "low_priority_queue:24", "ranked_suspension:7"] {
                    option value=(action) {}
                }
            }
            label for="reason" { "Reason (required)" }
            textarea #reason name="reason" rows="3" cols="60" required {}
            p { button type="submit" { "Act" } }
        }
    }
}
