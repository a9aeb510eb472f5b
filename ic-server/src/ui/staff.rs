//! `/ui/staff`: the signed-in staff member's start page: who they are, what their roles let
//! them do here, and sign-out.

use axum::extract::State;
use maud::{Markup, html};

use super::layout;
use super::session::Staff;
use super::text::short_key;
use crate::config::Capability;
use crate::state::AppState;
use crate::store::Role;

/// The sign-out button, carrying the session's CSRF token.
pub(super) fn sign_out_form(staff: &Staff) -> Markup {
    html! {
        form.inline method="post" action="/ui/sign-out" {
            input type="hidden" name="csrf" value=(staff.csrf());
            button type="submit" { "Sign out" }
        }
    }
}

/// `GET /ui/staff`.
pub(super) async fn page(State(state): State<AppState>, staff: Staff) -> Markup {
    let key = staff.principal.key.to_string();
    let roles: Vec<&str> = staff.principal.roles.iter().map(|r| r.name()).collect();
    // Signed in without a role: the member reviews by standing.
    let reviews = staff.principal.roles.contains(&Role::Reviewer) || roles.is_empty();
    // Moderator pages take moderators and admins, as the moderation API does.
    let moderates = [Role::Moderator, Role::Admin]
        .iter()
        .any(|role| staff.principal.roles.contains(role));
    let body = html! {
        h1 { "Staff" }
        dl.facts {
            dt { "Signed in as" } dd.key title=(key) { (short_key(&key)) }
            dt { "Roles" } dd {
                @if roles.is_empty() { "none (reviewing by standing)" } @else { (roles.join(", ")) }
            }
        }
        @if cfg!(feature = "moderation") && state.config.capabilities.enabled(Capability::Moderation) {
            h2 { "Moderation" }
            ul {
                @if reviews {
                    li { a href="/ui/review" { "Review" } ": my assignments, the next case, votes" }
                }
                @if moderates {
                    li { a href="/ui/moderation/cases" { "Cases" } ": by state and severity, votes, consensus, actions" }
                    li { a href="/ui/moderation/appeals" { "Appeals" } ": uphold or reverse" }
                }
                @if staff.principal.roles.contains(&Role::Admin) {
                    li { a href="/ui/admin/audit" { "Audit log" } }
                }
            }
        }
        @if staff.principal.roles.contains(&Role::Admin) {
            h2 { "Operator" }
            ul {
                li { a href="/ui/admin" { "Dashboard" } ": health, queues, relay outbox, trusted relays, keys" }
                li { a href="/ui/admin/roles" { "Roles" } ": grant and revoke staff roles" }
            }
        }
        p { (sign_out_form(&staff)) }
    };
    layout::page(&state, "Staff", body)
}
