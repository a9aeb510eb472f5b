//! `/ui/admin`: the operator's dashboard: is the community healthy (readiness, database, disk,
//! uptime), what runs (capabilities, relay load, queues, live matches), whom it trusts (relays,
//! keys and their grace), and the relay outbox, where a refused result can be sent again.

use std::sync::atomic::Ordering;

use axum::extract::rejection::FormRejection;
use axum::extract::{Form, Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use maud::{Markup, html};
use serde::Deserialize;

use super::forms::{form_of, respond};
use super::home::signing_keys;
use super::layout;
use super::session::Staff;
use super::text::{date, short_key};
use crate::clock::unix_now;
use crate::config::RegistrationPolicy;
use crate::http::ApiError;
use crate::state::AppState;
use crate::store::{OutboxState, Role};

/// Outbox entries listed per state.
const LISTED: u32 = 100;

/// The retry button's form.
#[derive(Deserialize)]
pub(super) struct RetryForm {
    csrf: Option<String>,
}

/// A duration in seconds as days, hours and minutes.
fn uptime(secs: i64) -> String {
    let (days, hours, minutes) = (secs / 86_400, secs % 86_400 / 3600, secs % 3600 / 60);
    match (days, hours) {
        (0, 0) => format!("{minutes} min"),
        (0, _) => format!("{hours} h {minutes} min"),
        _ => format!("{days} d {hours} h"),
    }
}

/// One number from the metrics (0 when the capability does not run).
fn gauge(state: &AppState, name: &str) -> f64 {
    state
        .metrics
        .samples(name)
        .first()
        .map_or(0.0, |(_, value)| *value)
}

/// `GET /ui/admin`.
pub(super) async fn page(State(state): State<AppState>, staff: Staff) -> Response {
    respond(
        async {
            staff.require(Role::Admin)?;
            let body = dashboard(&state, &staff.csrf()).await?;
            Ok(layout::page(&state, "Dashboard", body).into_response())
        }
        .await,
    )
}

async fn dashboard(state: &AppState, csrf: &str) -> Result<Markup, ApiError> {
    let config = &state.config;
    let now = unix_now();
    let players = state.store.player_count().await?;
    let cli_relays = state.store.trusted_relays().await?;
    let pending = state
        .outbox
        .outbox_entries(OutboxState::Pending, LISTED)
        .await?;
    let refused = state
        .outbox
        .outbox_entries(OutboxState::Refused, LISTED)
        .await?;
    let queued = state.metrics.samples("matchmaking_queued_players");
    #[cfg(feature = "matchmaking")]
    let live = state
        .capabilities
        .matchmaker
        .as_ref()
        .map(|m| m.live_matches().len());
    #[cfg(not(feature = "matchmaking"))]
    let live: Option<usize> = None;
    let ready = state.ready.load(Ordering::Relaxed);
    Ok(html! {
        h1 { "Dashboard" }
        dl.facts #status {
            dt { "Status" } dd { @if ready { "ready" } @else { "not ready (starting or draining)" } }
            dt { "Database" } dd { @if gauge(state, "storage_up") >= 1.0 { "answering" } @else { "NOT answering" } }
            dt { "Data directory free" } dd { (format!("{:.1} GB", gauge(state, "data_dir_available_bytes") / 1e9)) }
            dt { "Up for" } dd { (uptime(now - state.started_at)) " (since " (date(state.started_at)) ")" }
            dt { "Capabilities" } dd { (config.capabilities.enabled_names().join(", ")) }
            dt { "Registered players" } dd #players { (players) }
            @if let Some(live) = live {
                dt { "Live matches (placed, last 2 h)" } dd { (live) }
            }
            @if gauge(state, "relay_matches_capacity") > 0.0 {
                dt { "Relay" } dd { (gauge(state, "relay_matches_active")) " of " (gauge(state, "relay_matches_capacity")) " matches" }
            }
        }
        @if !queued.is_empty() {
            h2 { "Queues" }
            ul {
                @for (labels, players) in &queued {
                    li { (labels.iter().map(|(_, v)| v.as_str()).collect::<Vec<_>>().join(" ")) ": " (players) " waiting" }
                }
            }
        }
        h2 { "Relay outbox" }
        p { (pending.len()) " pending, " (refused.len()) " refused (at most " (LISTED) " listed each)." }
        @if !refused.is_empty() {
            div.table-wrap {
                table #refused {
                    thead { tr { th scope="col" { "Match" } th scope="col" { "Refused because" } th scope="col" { "" } } }
                    tbody {
                        @for entry in &refused {
                            @let id = hex::encode(entry.match_id);
                            tr {
                                td.key title=(id) { (&id[..16]) "…" }
                                td { (entry.last_error.clone().unwrap_or_default()) }
                                td {
                                    form.inline method="post" action={ "/ui/admin/outbox/" (id) "/retry" } {
                                        input type="hidden" name="csrf" value=(csrf);
                                        button type="submit" aria-label={ "Send " (id) " again" } { "Retry" }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        h2 { "Trusted relays" }
        ul {
            @for key in &config.ranking.trusted_relays {
                @let key = key.to_string();
                li { span.key title=(key) { (short_key(&key)) } " (configuration)" }
            }
            @for (key, label) in &cli_relays {
                @let key = key.to_string();
                li { span.key title=(key) { (short_key(&key)) } " " (label) }
            }
            @if config.ranking.trusted_relays.is_empty() && cli_relays.is_empty() {
                li.muted { "Only this server's own relay." }
            }
        }
        h2 { "Signing keys" }
        (signing_keys(state))
        @if config.ranking.registration == RegistrationPolicy::Invite {
            h2 { "Invite codes" }
            p.muted { "Set in the configuration ([ranking] invite_codes); a code works until removed." }
            ul { @for code in &config.ranking.invite_codes { li { code { (code) } } } }
        }
        p { a href="/ui/admin/roles" { "Roles" } " · " a href="/ui/admin/audit" { "Audit log" } }
    })
}

/// `POST /ui/admin/outbox/{match_id}/retry`: a refused result becomes pending again.
pub(super) async fn retry(
    State(state): State<AppState>,
    staff: Staff,
    Path(match_id): Path<String>,
    form: Result<Form<RetryForm>, FormRejection>,
) -> Response {
    respond(
        async {
            staff.check_csrf(form_of(form)?.csrf.as_deref())?;
            staff.require(Role::Admin)?;
            let mut id = [0u8; 32];
            hex::decode_to_slice(&match_id, &mut id).map_err(|_| {
                ApiError::bad_request("invalid_match_id", "a match id is 64 hex digits")
            })?;
            if !state.outbox.requeue_refused(&id, unix_now()).await? {
                return Err(ApiError::new(
                    StatusCode::NOT_FOUND,
                    "not_refused",
                    "no refused result with this match id is in the outbox",
                )
                .into());
            }
            Ok(Redirect::to("/ui/admin").into_response())
        }
        .await,
    )
}
