//! `/ui/admin/roles`: an admin grants and revokes staff roles, as `ic-server roles` does, and
//! each change is written to the audit log with the admin as its actor.

use axum::extract::rejection::FormRejection;
use axum::extract::{Form, State};
use axum::response::{IntoResponse, Redirect, Response};
use maud::{Markup, html};
use serde::Deserialize;

use super::failure::Failure;
use super::forms::{form_of, respond};
use super::layout;
use super::session::Staff;
use super::text::short_key;
use crate::clock::unix_now;
use crate::http::ApiError;
use crate::state::AppState;
use crate::store::Role;

/// The grant and revoke forms.
#[derive(Deserialize)]
pub(super) struct RoleForm {
    csrf: Option<String>,
    action: String,
    key: String,
    role: String,
}

/// `GET /ui/admin/roles`.
pub(super) async fn page(State(state): State<AppState>, staff: Staff) -> Response {
    respond(
        render(&state, &staff)
            .await
            .map(IntoResponse::into_response),
    )
}

async fn render(state: &AppState, staff: &Staff) -> Result<Markup, Failure> {
    staff.require(Role::Admin)?;
    let grants = state.store.all_roles().await?;
    let csrf = staff.csrf();
    let body = html! {
        h1 { "Roles" }
        p.muted { "Reviewers vote on moderation cases, moderators act on them, admins run the server." }
        div.table-wrap {
            table {
                thead { tr { th scope="col" { "Key" } th scope="col" { "Role" } th scope="col" { "" } } }
                tbody {
                    @for key in &state.config.auth.admins {
                        @let key = key.to_string();
                        tr {
                            td.key title=(key) { (short_key(&key)) }
                            td { "admin" }
                            td.muted { "set in the configuration (auth.admins)" }
                        }
                    }
                    @for (key, role) in &grants {
                        @let key = key.to_string();
                        tr {
                            td.key title=(key) { (short_key(&key)) }
                            td { (role.name()) }
                            td {
                                form.inline method="post" action="/ui/admin/roles" {
                                    input type="hidden" name="csrf" value=(csrf);
                                    input type="hidden" name="action" value="revoke";
                                    input type="hidden" name="key" value=(key);
                                    input type="hidden" name="role" value=(role.name());
                                    button type="submit" aria-label={ "Revoke " (role.name()) " from " (key) } { "Revoke" }
                                }
                            }
                        }
                    }
                }
            }
        }
        h2 { "Grant a role" }
        form method="post" action="/ui/admin/roles" {
            input type="hidden" name="csrf" value=(csrf);
            input type="hidden" name="action" value="grant";
            label for="key" { "Player key" }
            input #key name="key" required size="72" placeholder="ed25519:…" autocomplete="off";
            label for="role" { "Role" }
            select #role name="role" {
                @for role in Role::ALL.iter().rev() {
                    option value=(role.name()) { (role.name()) }
                }
            }
            p { button type="submit" { "Grant" } }
        }
    };
    Ok(layout::page(state, "Roles", body))
}

/// `POST /ui/admin/roles`: grant or revoke, then back to the list.
pub(super) async fn change(
    State(state): State<AppState>,
    staff: Staff,
    form: Result<Form<RoleForm>, FormRejection>,
) -> Response {
    respond(
        apply(&state, &staff, form)
            .await
            .map(|()| Redirect::to("/ui/admin/roles").into_response()),
    )
}

async fn apply(
    state: &AppState,
    staff: &Staff,
    form: Result<Form<RoleForm>, FormRejection>,
) -> Result<(), Failure> {
    let form = form_of(form)?;
    staff.check_csrf(form.csrf.as_deref())?;
    staff.require(Role::Admin)?;
    let key: scr::PublicKey =
        form.key.trim().parse().map_err(|_| {
            ApiError::bad_request("invalid_key", "a key is ed25519:<64 hex digits>")
        })?;
    let role = Role::from_name(&form.role).ok_or_else(|| {
        ApiError::bad_request("invalid_role", "the role is admin, moderator or reviewer")
    })?;
    let now = unix_now();
    let changed = match form.action.as_str() {
        "grant" => state.store.grant_role(&key, role, now).await?,
        "revoke" => state.store.revoke_role(&key, role).await?,
        _ => {
            return Err(Failure(ApiError::bad_request(
                "invalid_action",
                "the action is grant or revoke",
            )));
        }
    };
    if changed {
        audit(state, staff, &form.action, key, role, now).await?;
    }
    Ok(())
}

#[cfg(feature = "moderation")]
async fn audit(
    state: &AppState,
    staff: &Staff,
    action: &str,
    key: scr::PublicKey,
    role: Role,
    now: i64,
) -> Result<(), Failure> {
    // Without the moderation capability there is no audit log, as for the command line.
    if let Some(moderation) = &state.capabilities.moderation {
        let entry = crate::moderation::service::admin_audit(
            staff.principal.key,
            &format!("{action}_role"),
            key,
            serde_json::json!({ "role": role.name() }),
            now,
        );
        moderation.record_audit(&entry).await?;
    }
    Ok(())
}

#[cfg(not(feature = "moderation"))]
#[allow(clippy::unused_async)]
async fn audit(
    _state: &AppState,
    _staff: &Staff,
    _action: &str,
    _key: scr::PublicKey,
    _role: Role,
    _now: i64,
) -> Result<(), Failure> {
    Ok(())
}
