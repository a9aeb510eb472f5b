//! The signed-in staff member (or member reviewing by standing) behind a request: the session cookie (`HttpOnly`,
//! `SameSite=Strict`, `Path=/ui`, `Secure` over TLS), its principal and its CSRF token.

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use maud::html;
use sha2::{Digest, Sha256};

use super::failure::Failure;
use super::layout;
use crate::auth::{Principal, csrf_token};
use crate::clock::unix_now;
use crate::http::ApiError;
use crate::state::AppState;
use crate::store::Role;

/// Name of the session cookie.
const COOKIE: &str = "ic_session";

/// A request from a signed-in staff member.
pub struct Staff {
    /// Who, with the roles they hold now.
    pub principal: Principal,
    /// The session token (from the cookie), which the CSRF token is derived from.
    token: String,
}

impl Staff {
    /// The CSRF token every form of this session carries.
    pub fn csrf(&self) -> String {
        csrf_token(&self.token)
    }

    /// Refuses a state-changing request whose form did not carry this session's CSRF token.
    pub fn check_csrf(&self, given: Option<&str>) -> Result<(), Failure> {
        // Compared as hashes, so the time the comparison takes says nothing about the token.
        let expected = Sha256::digest(self.csrf().as_bytes());
        match given {
            Some(given) if Sha256::digest(given.as_bytes()) == expected => Ok(()),
            _ => Err(Failure(ApiError::new(
                StatusCode::FORBIDDEN,
                "csrf_mismatch",
                "this form was not sent from a page of your session; reload the page and try again",
            ))),
        }
    }

    /// Refuses unless the staff member holds `role` (admins hold every staff page).
    pub fn require(&self, role: Role) -> Result<(), Failure> {
        if self.principal.roles.contains(&role) {
            return Ok(());
        }
        Err(Failure(ApiError::new(
            StatusCode::FORBIDDEN,
            "forbidden",
            format!("this page needs the {} role", role.name()),
        )))
    }

    /// The session token, for signing out.
    pub(super) fn token(&self) -> &str {
        &self.token
    }
}

/// The value of the session cookie, if the request carries one.
pub(super) fn session_cookie(headers: &HeaderMap) -> Option<String> {
    // Cookie headers are `name=value; name=value`; one value is all this server sets, so a
    // small parser serves instead of a cookie crate.
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|line| line.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == COOKIE)
        .map(|(_, value)| value.to_owned())
        .filter(|value| !value.is_empty())
}

/// Whether the browser reached us over TLS: a trusted proxy says so in `X-Forwarded-Proto`
/// (the server itself speaks plain HTTP).
pub(super) fn over_tls(parts: &Parts, state: &AppState) -> bool {
    let peer = parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|info| info.0.ip());
    let trusted = peer.is_some_and(|peer| state.config.http.trusted_proxies.contains(&peer));
    trusted
        && parts
            .headers
            .get("x-forwarded-proto")
            .and_then(|value| value.to_str().ok())
            .is_some_and(|proto| proto.trim().eq_ignore_ascii_case("https"))
}

/// `Set-Cookie` for a new session living `max_age` seconds.
pub(super) fn set_cookie(token: &str, max_age: i64, secure: bool) -> HeaderValue {
    let secure = if secure { "; Secure" } else { "" };
    HeaderValue::from_str(&format!(
        "{COOKIE}={token}; Path=/ui; HttpOnly; SameSite=Strict; Max-Age={max_age}{secure}"
    ))
    .unwrap_or_else(|_| HeaderValue::from_static("ic_session=; Path=/ui; Max-Age=0"))
}

/// `Set-Cookie` that removes the session cookie.
pub(super) fn clear_cookie(secure: bool) -> HeaderValue {
    if secure {
        HeaderValue::from_static(
            "ic_session=; Path=/ui; HttpOnly; SameSite=Strict; Max-Age=0; Secure",
        )
    } else {
        HeaderValue::from_static("ic_session=; Path=/ui; HttpOnly; SameSite=Strict; Max-Age=0")
    }
}

/// The page a request without a live session gets instead of a staff page.
pub struct SignInRequired;

impl IntoResponse for SignInRequired {
    fn into_response(self) -> Response {
        let body = html! {
            h1 { "Sign in" }
            div.notice role="alert" {
                p { "This page is for the community's staff. Your session has ended or you have not signed in." }
            }
            p { "Staff sign in with a link that their own key makes; no password or private key goes into the browser:" }
            pre { code { "ic staff login <community address>" } }
            p { "On the server host, an operator can make one for any staff key:" }
            pre { code { "ic-server staff login-link <KEY>" } }
            p { "Open the printed link within five minutes; it works once." }
        };
        (StatusCode::UNAUTHORIZED, layout::bare("Sign in", body)).into_response()
    }
}

impl FromRequestParts<AppState> for Staff {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let Some(token) = session_cookie(&parts.headers) else {
            return Err(SignInRequired.into_response());
        };
        let principal = state
            .auth
            .web_principal(&token, unix_now(), state.config.ui.session_idle_secs)
            .await
            .map_err(|error| Failure::from(error).into_response())?;
        match principal {
            Some(principal) if !principal.roles.is_empty() => Ok(Self { principal, token }),
            // A member reviewing by standing, checked again on every page as the API does.
            Some(principal)
                if state
                    .auth
                    .reviews_by_standing(&principal.key, unix_now())
                    .await =>
            {
                Ok(Self { principal, token })
            }
            Some(_) => Err(Failure(ApiError::new(
                StatusCode::FORBIDDEN,
                "not_staff",
                "your key no longer holds a staff role nor qualifies to review",
            ))
            .into_response()),
            None => Err(SignInRequired.into_response()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_session_cookie_is_found_among_others() {
        let mut headers = HeaderMap::new();
        headers.append(
            header::COOKIE,
            HeaderValue::from_static("a=1; ic_session=tok; b=2"),
        );
        assert_eq!(session_cookie(&headers).as_deref(), Some("tok"));
        let mut empty = HeaderMap::new();
        empty.append(header::COOKIE, HeaderValue::from_static("ic_session="));
        assert_eq!(session_cookie(&empty), None);
        assert_eq!(session_cookie(&HeaderMap::new()), None);
    }

    #[test]
    fn the_cookie_is_locked_down() {
        let cookie = set_cookie("tok", 60, true);
        let text = cookie.to_str().unwrap();
        for part in [
            "HttpOnly",
            "SameSite=Strict",
            "Path=/ui",
            "Max-Age=60",
            "Secure",
        ] {
            assert!(text.contains(part), "{text}");
        }
        assert!(
            !set_cookie("tok", 60, false)
                .to_str()
                .unwrap()
                .contains("Secure")
        );
    }
}
