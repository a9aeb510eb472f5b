//! `/ui/sign-in` and `/ui/sign-out`. Opening a login link shows whom it signs in and a button;
//! only pressing it uses the link, so a chat app that previews the link does not spend it.

use axum::extract::rejection::{FormRejection, QueryRejection};
use axum::extract::{Form, Query, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Redirect, Response};
use maud::{Markup, html};
use serde::Deserialize;

use super::failure::Failure;
use super::forms::{form_of, respond};
use super::layout;
use super::session::{Staff, clear_cookie, over_tls, set_cookie};
use super::text::short_key;
use crate::clock::unix_now;
use crate::state::AppState;

/// The login link's token, in the link's query and in the button's form.
#[derive(Deserialize)]
pub(super) struct LinkToken {
    token: Option<String>,
}

/// The sign-out form.
#[derive(Deserialize)]
pub(super) struct SignOutForm {
    csrf: Option<String>,
}

/// `GET /ui/sign-in?token=`.
pub(super) async fn page(
    State(state): State<AppState>,
    query: Result<Query<LinkToken>, QueryRejection>,
) -> Response {
    match confirm(&state, query).await {
        Ok(page) => page.into_response(),
        Err(failure) => failure.into_response(),
    }
}

async fn confirm(
    state: &AppState,
    query: Result<Query<LinkToken>, QueryRejection>,
) -> Result<Markup, Failure> {
    let Query(query) = query.map_err(|rejection| Failure::bad_query(rejection.body_text()))?;
    let Some(token) = query.token else {
        return Ok(layout::page(
            state,
            "Sign in",
            html! {
                h1 { "Sign in" }
                p { "Staff sign in with a link their own key makes:" }
                pre { code { "ic staff login " (state.community.url) } }
                p { "On the server host, an operator can make one for any staff key:" }
                pre { code { "ic-server staff login-link <KEY>" } }
            },
        ));
    };
    let key = state.auth.login_link_holder(&token, unix_now()).await?;
    let key = key.to_string();
    Ok(layout::page(
        state,
        "Sign in",
        html! {
            h1 { "Sign in" }
            p { "This link signs in " span.key title=(key) { (short_key(&key)) } " and works once." }
            form method="post" action="/ui/sign-in" {
                input type="hidden" name="token" value=(token);
                button type="submit" { "Sign in" }
            }
        },
    ))
}

/// `POST /ui/sign-in`: uses the link, sets the session cookie, goes to the staff page.
pub(super) async fn sign_in(
    State(state): State<AppState>,
    parts: Parts,
    form: Result<Form<LinkToken>, FormRejection>,
) -> Response {
    let result = async {
        let token = form_of(form)?
            .token
            .ok_or_else(|| Failure::bad_query("the form carries no sign-in token"))?;
        let ui = &state.config.ui;
        let signed_in = state
            .auth
            .sign_in(
                &token,
                unix_now(),
                ui.session_idle_secs,
                ui.session_max_secs,
            )
            .await?;
        let cookie = set_cookie(
            &signed_in.session_token,
            ui.session_max_secs,
            over_tls(&parts, &state),
        );
        Ok::<_, Failure>(with_cookie(cookie, Redirect::to("/ui/staff")))
    }
    .await;
    respond(result)
}

/// `POST /ui/sign-out`.
pub(super) async fn sign_out(
    State(state): State<AppState>,
    staff: Staff,
    parts: Parts,
    form: Result<Form<SignOutForm>, FormRejection>,
) -> Response {
    let result = async {
        staff.check_csrf(form_of(form)?.csrf.as_deref())?;
        state.auth.sign_out(staff.token()).await?;
        Ok::<_, Failure>(with_cookie(
            clear_cookie(over_tls(&parts, &state)),
            Redirect::to("/ui/"),
        ))
    }
    .await;
    respond(result)
}

fn with_cookie(cookie: HeaderValue, redirect: Redirect) -> Response {
    let mut headers = HeaderMap::new();
    headers.insert(header::SET_COOKIE, cookie);
    (headers, redirect).into_response()
}
