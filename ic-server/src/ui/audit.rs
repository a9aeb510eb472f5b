//! `/ui/admin/audit`: the audit log for admins (the `/v1/moderation/audit` call), newest first,
//! filterable by action and actor.

use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};
use maud::html;
use serde::Deserialize;

use super::failure::Failure;
use super::forms::respond;
use super::layout;
use super::session::Staff;
use super::text::{date, short_key};
use crate::state::AppState;

/// The most entries one page reads.
const LIMIT: u32 = 5000;

/// Filters.
#[derive(Deserialize)]
pub(super) struct AuditQuery {
    action: Option<String>,
    actor: Option<String>,
}

/// `GET /ui/admin/audit?action=&actor=`.
pub(super) async fn page(
    State(state): State<AppState>,
    staff: Staff,
    query: Result<Query<AuditQuery>, QueryRejection>,
) -> Response {
    respond(
        async {
            let Query(query) = query.map_err(|r| Failure::bad_query(r.body_text()))?;
            let action = query.action.filter(|a| !a.trim().is_empty());
            let actor = query.actor.filter(|a| !a.trim().is_empty());
            let mut entries = state.moderation()?.audit_log(&staff.principal, 0, LIMIT).await?;
            entries.retain(|entry| {
                action.as_deref().is_none_or(|a| entry.action == a)
                    && actor.as_deref().is_none_or(|a| {
                        entry.actor.map(|k| k.to_string()).as_deref() == Some(a)
                            || entry.actor_role == a
                    })
            });
            entries.reverse();
            let body = html! {
                h1 { "Audit log" }
                form method="get" action="/ui/admin/audit" {
                    label for="action" { "Action" }
                    input #action name="action" value=[action.as_deref()] placeholder="e.g. grant_role";
                    label for="actor" { "Actor (key or role)" }
                    input #actor name="actor" value=[actor.as_deref()] size="72";
                    p { button type="submit" { "Filter" } }
                }
                @if entries.is_empty() {
                    p.notice { "No entries match." }
                } @else {
                    div.table-wrap {
                        table {
                            thead {
                                tr {
                                    th scope="col" { "When" }
                                    th scope="col" { "Actor" }
                                    th scope="col" { "Action" }
                                    th scope="col" { "Case" }
                                    th scope="col" { "Target" }
                                    th scope="col" { "Reason" }
                                }
                            }
                            tbody {
                                @for entry in &entries {
                                    tr {
                                        td { (date(entry.at)) }
                                        td {
                                            (entry.actor_role)
                                            @if let Some(actor) = entry.actor {
                                                @let actor = actor.to_string();
                                                " " span.key title=(actor) { (short_key(&actor)) }
                                            }
                                        }
                                        td { (entry.action) }
                                        td {
                                            @if let Some(case) = &entry.case_id {
                                                a href={ "/ui/moderation/cases/" (case) } { (case) }
                                            }
                                        }
                                        td {
                                            @if let Some(target) = entry.target {
                                                @let target = target.to_string();
                                                span.key title=(target) { (short_key(&target)) }
                                            }
                                        }
                                        td { (entry.reason) }
                                    }
                                }
                            }
                        }
                    }
                }
            };
            Ok(layout::page(&state, "Audit log", body).into_response())
        }
        .await,
    )
}
