//! The HTTP API: one route table that builds both the router and `/openapi.json`, JSON errors
//! for everything, and the middleware (metrics, rate limits, body limits, timeouts).

#[cfg(feature = "ranking")]
mod achievements;
mod auth_routes;
#[cfg(feature = "ranking")]
mod campaigns;
mod community;
#[cfg(feature = "ranking")]
mod credentials;
mod error;
mod extract;
#[cfg(feature = "ranking")]
mod history;
#[cfg(feature = "matchmaking")]
mod live;
#[cfg(feature = "ranking")]
mod matches;
#[cfg(feature = "moderation")]
mod moderation;
mod openapi;
mod ops;
#[cfg(feature = "ranking")]
mod players;
#[cfg(feature = "ranking")]
mod profiles;
#[cfg(feature = "matchmaking")]
mod queue;
#[cfg(feature = "relay")]
mod rooms;
mod sanctions;
#[cfg(feature = "ranking")]
mod seasons;

pub use crate::state::AppState;
pub use community::API_VERSION;
pub use error::ApiError;
#[cfg(all(feature = "ranking", feature = "ui"))]
pub(crate) use players::parse_cursor;

use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::{DefaultBodyLimit, MatchedPath, Request, State};
use axum::http::{Method, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodRouter, get, post};

#[cfg(feature = "ranking")]
use crate::authority::Authority;
use crate::config::Capability;
#[cfg(feature = "matchmaking")]
use crate::matchmaker::Matchmaker;
#[cfg(feature = "moderation")]
use crate::moderation::ModerationService;

impl AppState {
    /// The ranking authority, or the capability-disabled error.
    #[cfg(feature = "ranking")]
    pub fn authority(&self) -> Result<&Authority, ApiError> {
        self.capabilities
            .authority
            .as_deref()
            .ok_or_else(|| capability_disabled_error(Capability::Ranking))
    }

    /// The matchmaker, or the capability-disabled error.
    #[cfg(feature = "matchmaking")]
    pub fn matchmaker(&self) -> Result<&std::sync::Arc<Matchmaker>, ApiError> {
        self.capabilities
            .matchmaker
            .as_ref()
            .ok_or_else(|| capability_disabled_error(Capability::Matchmaking))
    }

    /// The moderation service, or the capability-disabled error.
    #[cfg(feature = "moderation")]
    pub fn moderation(&self) -> Result<&ModerationService, ApiError> {
        self.capabilities
            .moderation
            .as_deref()
            .ok_or_else(|| capability_disabled_error(Capability::Moderation))
    }

    /// This server's relay and its custom rooms, or the capability-disabled error.
    #[cfg(feature = "relay")]
    pub fn rooms(
        &self,
    ) -> Result<
        (
            &std::sync::Arc<crate::relay::RelayService>,
            &crate::relay::rooms::Rooms,
        ),
        ApiError,
    > {
        match (&self.capabilities.relay, &self.capabilities.rooms) {
            (Some(relay), Some(rooms)) => Ok((relay, rooms)),
            _ => Err(capability_disabled_error(Capability::Relay)),
        }
    }
}

/// One route of the API.
pub struct Route {
    /// HTTP method.
    pub method: Method,
    /// Path template (axum syntax, `{name}` for parameters).
    pub path: &'static str,
    /// The capability that serves it; `None` for routes every server has.
    pub capability: Option<Capability>,
    /// Whether it is rate limited per IP (authentication and writes).
    pub limited: bool,
    /// Whether it needs a bearer token.
    pub authenticated: bool,
    /// One line for the OpenAPI document.
    pub summary: &'static str,
}

pub(crate) const fn route(
    method: Method,
    path: &'static str,
    capability: Option<Capability>,
    limited: bool,
    authenticated: bool,
    summary: &'static str,
) -> Route {
    Route {
        method,
        path,
        capability,
        limited,
        authenticated,
        summary,
    }
}

/// Every route the server can serve.
pub fn routes() -> Vec<Route> {
    use Capability::{Matchmaking, Ranking};
    vec![
        route(
            Method::GET,
            "/.well-known/ic-community",
            None,
            false,
            false,
            "The community document players pin",
        ),
        route(Method::GET, "/health", None, false, false, "Liveness"),
        route(
            Method::GET,
            "/healthz",
            None,
            false,
            false,
            "Liveness (alias)",
        ),
        route(
            Method::GET,
            "/ready",
            None,
            false,
            false,
            "Readiness: database open and not draining",
        ),
        route(
            Method::GET,
            "/readyz",
            None,
            false,
            false,
            "Readiness (alias)",
        ),
        route(
            Method::GET,
            "/metrics",
            None,
            false,
            false,
            "Prometheus metrics",
        ),
        route(
            Method::GET,
            "/openapi.json",
            None,
            false,
            false,
            "This document",
        ),
        route(
            Method::POST,
            "/v1/auth/challenge",
            None,
            true,
            false,
            "A single-use challenge for a key",
        ),
        route(
            Method::POST,
            "/v1/auth/token",
            None,
            true,
            false,
            "Exchange a signed challenge for a bearer token",
        ),
        route(
            Method::POST,
            "/v1/staff/login-link",
            None,
            true,
            true,
            "A single-use web sign-in link for the caller, valid five minutes (staff only)",
        ),
        route(
            Method::POST,
            "/v1/players",
            Some(Ranking),
            true,
            true,
            "Register the caller; returns initial rating records",
        ),
        route(
            Method::GET,
            "/v1/players/me/records",
            Some(Ranking),
            false,
            true,
            "Records issued to the caller after ?since=<sequence>",
        ),
        route(
            Method::POST,
            "/v1/players/me/refresh",
            Some(Ranking),
            true,
            true,
            "Re-issue expiring or revoked rating records",
        ),
        route(
            Method::GET,
            "/v1/players/{key}",
            Some(Ranking),
            false,
            false,
            "A player's profile: per module rating, tier, rank, percentile, season counts, peak",
        ),
        route(
            Method::GET,
            "/v1/players/{key}/matches",
            Some(Ranking),
            false,
            false,
            "A player's recent certified matches, newest first (?limit=&before=)",
        ),
        route(
            Method::GET,
            "/v1/players/{key}/revocations",
            Some(Ranking),
            false,
            false,
            "Revocation records of a player",
        ),
        route(
            Method::GET,
            "/v1/leaderboard",
            Some(Ranking),
            false,
            false,
            "Eligible players, best first (?module=&limit=&after=); ?season=<ended season> \
             gives that season's final standings",
        ),
        route(
            Method::GET,
            "/v1/seasons",
            Some(Ranking),
            false,
            false,
            "The ranked seasons, oldest first, and the running one",
        ),
        route(
            Method::POST,
            "/v1/matches",
            Some(Ranking),
            true,
            false,
            "Submit a certified match result (application/octet-stream)",
        ),
        route(
            Method::POST,
            "/v1/credentials/verify",
            Some(Ranking),
            true,
            false,
            "Verify presented records",
        ),
        route(
            Method::POST,
            "/v1/queue",
            Some(Matchmaking),
            true,
            true,
            "Join a queue with a presented rating record (or invite a party)",
        ),
        route(
            Method::GET,
            "/v1/queue",
            Some(Matchmaking),
            false,
            true,
            "Where the caller stands in matchmaking",
        ),
        route(
            Method::DELETE,
            "/v1/queue",
            Some(Matchmaking),
            true,
            true,
            "Leave the queue (declines a pending match)",
        ),
        route(
            Method::GET,
            "/v1/queue/events",
            Some(Matchmaking),
            false,
            true,
            "Server-sent queue events: queued, match found, match ready, requeued, cancelled",
        ),
        route(
            Method::POST,
            "/v1/queue/parties/{id}/confirm",
            Some(Matchmaking),
            true,
            true,
            "Confirm a party invitation with the member's rating record",
        ),
        route(
            Method::POST,
            "/v1/queue/matches/{id}/accept",
            Some(Matchmaking),
            true,
            true,
            "Accept a found match",
        ),
        route(
            Method::POST,
            "/v1/queue/matches/{id}/decline",
            Some(Matchmaking),
            true,
            true,
            "Decline a found match (earns a cooldown)",
        ),
        route(
            Method::POST,
            "/v1/queue/matches/{id}/ban",
            Some(Matchmaking),
            true,
            true,
            "Ban a map in a ranked match's map veto (the caller's side, on its turn)",
        ),
    ]
    .into_iter()
    .chain(capability_routes())
    .collect()
}

/// Routes whose table lives with their capability's handlers.
fn capability_routes() -> Vec<Route> {
    #[allow(unused_mut)]
    let mut routes = sanctions::routes();
    #[cfg(feature = "ranking")]
    routes.extend(achievements::routes());
    #[cfg(feature = "ranking")]
    routes.extend(campaigns::routes());
    #[cfg(feature = "relay")]
    routes.extend(rooms::routes());
    #[cfg(feature = "matchmaking")]
    routes.extend(live::routes());
    #[cfg(feature = "moderation")]
    routes.extend(moderation::routes());
    routes
}

/// The handler of a route, `None` when this build leaves its capability out.
fn handler(method: &Method, path: &str) -> Option<MethodRouter<AppState>> {
    Some(match (method.as_str(), path) {
        ("GET", "/.well-known/ic-community") => get(community::document),
        ("GET", "/health" | "/healthz") => get(ops::health),
        ("GET", "/ready" | "/readyz") => get(ops::ready),
        ("GET", "/metrics") => get(ops::metrics),
        ("GET", "/openapi.json") => get(openapi::document),
        ("POST", "/v1/auth/challenge") => post(auth_routes::challenge),
        ("POST", "/v1/auth/token") => post(auth_routes::token),
        ("POST", "/v1/staff/login-link") => post(auth_routes::login_link),
        ("GET", "/v1/sanctions/me") => return sanctions::handler(method, path),
        _ => return capability_handler(method, path),
    })
}

fn capability_handler(method: &Method, path: &str) -> Option<MethodRouter<AppState>> {
    #[cfg(feature = "ranking")]
    if let Some(handler) = ranking_handler(method, path) {
        return Some(handler);
    }
    #[cfg(feature = "ranking")]
    if let Some(handler) = achievements::handler(method, path) {
        return Some(handler);
    }
    #[cfg(feature = "ranking")]
    if let Some(handler) = campaigns::handler(method, path) {
        return Some(handler);
    }
    #[cfg(feature = "matchmaking")]
    if let Some(handler) = queue::handler(method, path) {
        return Some(handler);
    }
    #[cfg(feature = "matchmaking")]
    if let Some(handler) = live::handler(method, path) {
        return Some(handler);
    }
    #[cfg(feature = "relay")]
    if let Some(handler) = rooms::handler(method, path) {
        return Some(handler);
    }
    #[cfg(feature = "moderation")]
    if let Some(handler) = moderation::handler(method, path) {
        return Some(handler);
    }
    let _ = (method, path);
    None
}

#[cfg(feature = "ranking")]
fn ranking_handler(method: &Method, path: &str) -> Option<MethodRouter<AppState>> {
    Some(match (method.as_str(), path) {
        ("POST", "/v1/players") => post(players::register),
        ("GET", "/v1/players/me/records") => get(players::my_records),
        ("POST", "/v1/players/me/refresh") => post(players::refresh),
        ("GET", "/v1/players/{key}") => get(profiles::profile),
        ("GET", "/v1/players/{key}/matches") => get(history::matches),
        ("GET", "/v1/players/{key}/revocations") => get(players::revocations),
        ("GET", "/v1/leaderboard") => get(players::leaderboard),
        ("GET", "/v1/seasons") => get(seasons::list),
        ("POST", "/v1/matches") => post(matches::submit),
        ("POST", "/v1/credentials/verify") => post(credentials::verify),
        _ => return None,
    })
}

fn capability_disabled_error(capability: Capability) -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "capability_disabled",
        format!(
            "the {} capability is not enabled on this server",
            capability.name()
        ),
    )
}

/// Builds the router for `state`: disabled capabilities answer 404 `capability_disabled`.
pub fn router(state: AppState) -> Router {
    let config = state.config.clone();
    let mut open = Router::new();
    let mut limited = Router::new();
    let mut disabled_paths = std::collections::HashSet::new();
    for route in routes() {
        let enabled = route
            .capability
            .is_none_or(|c| config.capabilities.enabled(c));
        let method_router = if enabled {
            match handler(&route.method, route.path) {
                Some(handler) => handler,
                None => continue,
            }
        } else {
            // One catch-all answer per path, whatever the methods the path serves.
            if !disabled_paths.insert(route.path) {
                continue;
            }
            let capability = route.capability.unwrap_or(Capability::Ranking);
            axum::routing::any(move || async move { capability_disabled_error(capability) })
        };
        if route.limited && enabled {
            limited = limited.route(route.path, method_router);
        } else {
            open = open.route(route.path, method_router);
        }
    }
    let limited = limited.layer(middleware::from_fn_with_state(state.clone(), rate_limit));
    let timeout = Duration::from_secs(config.http.request_timeout_secs);
    open.merge(limited)
        .merge(ui_router(&config))
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(middleware::from_fn(move |request, next| {
            with_timeout(timeout, request, next)
        }))
        .layer(DefaultBodyLimit::max(config.http.max_body_bytes))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            record_metrics,
        ))
        .with_state(state)
}

/// The web UI's routes, or 404 `capability_disabled` for every `/ui` path when it is off.
fn ui_router(config: &crate::config::Config) -> Router<AppState> {
    #[cfg(feature = "ui")]
    if config.ui.enabled {
        return crate::ui::router();
    }
    let message = if cfg!(feature = "ui") {
        "the web UI is not enabled on this server ([ui] enabled = false)"
    } else {
        "this build of ic-server leaves the web UI out"
    };
    let _ = config;
    let disabled = axum::routing::any(move || async move {
        ApiError::new(StatusCode::NOT_FOUND, "capability_disabled", message)
    });
    Router::new()
        .route("/ui", disabled.clone())
        .route("/ui/", disabled.clone())
        .route("/ui/{*rest}", disabled)
}

async fn not_found() -> ApiError {
    ApiError::new(StatusCode::NOT_FOUND, "not_found", "no such route")
}

async fn method_not_allowed() -> ApiError {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        "this route does not accept that method",
    )
}

async fn rate_limit(
    State(state): State<AppState>,
    extract::ClientIp(ip): extract::ClientIp,
    request: Request,
    next: Next,
) -> Response {
    if state.limiter.get().check_key(&ip).is_err() {
        return ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            "rate_limited",
            "too many requests from this address, slow down",
        )
        .into_response();
    }
    next.run(request).await
}

async fn with_timeout(limit: Duration, request: Request, next: Next) -> Response {
    match tokio::time::timeout(limit, next.run(request)).await {
        Ok(response) => response,
        Err(_) => ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "timeout",
            "the request took too long",
        )
        .into_response(),
    }
}

async fn record_metrics(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |path| path.as_str().to_owned());
    let started = Instant::now();
    let response = next.run(request).await;
    state
        .metrics
        .requests
        .with_label_values(&[&route, response.status().as_str()])
        .inc();
    state
        .metrics
        .latency
        .with_label_values(&[&route])
        .observe(started.elapsed().as_secs_f64());
    response
}
