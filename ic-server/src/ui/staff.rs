//! `/ui/staff`: the signed-in staff member's start page: who they are, what their roles let
//! them do here, and sign-out.

use axum::extract::State;
use maud::{Markup, html};

use super::layout;
use super::session::Staff;
use super::text::short_key;
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
    let body = html! {
        h1 { "Staff" }
        dl.facts {
            dt { "Signed in as" } dd.key title=(key) { (short_key(&key)) }
            dt { "Roles" } dd { (roles.join(", ")) }
        }
        @if staff.principal.roles.contains(&Role::Admin) {
            h2 { "Operator" }
            ul {
                li { a href="/ui/admin/roles" { "Roles" } ": grant and revoke staff roles" }
            }
        }
        p { (sign_out_form(&staff)) }
    };
    layout::page(&state, "Staff", body)
}
