//! The HTTP API: route groups whose declarations build both the router and `/openapi.json`,
//! JSON errors for everything, and the middleware (metrics, body limits, timeouts).

#[cfg(feature = "ranking")]
mod achievements;
mod auth_routes;
#[cfg(feature = "ranking")]
mod campaigns;
mod community;
#[cfg(feature = "ranking")]
mod credentials;
mod error;
mod error_codes;
mod extract;
#[cfg(feature = "moderation")]
mod federation;
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
mod route_group;
mod sanctions;
#[cfg(feature = "ranking")]
mod seasons;
mod transparency;
mod trust;

pub use crate::state::AppState;
pub use community::API_VERSION;
pub use error::{ApiError, ErrorBody};
pub use error_codes::ERROR_CODES;
#[cfg(all(feature = "ranking", feature = "ui"))]
pub(crate) use players::parse_cursor;
pub use route_group::RouteGroup;

use std::time::{Duration, Instant};

use axum::extract::{DefaultBodyLimit, MatchedPath, Request, State};
use axum::http::StatusCode;
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Router};

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

/// Every route group this build has, whether or not its capability is switched on.
fn groups() -> Vec<RouteGroup> {
    #[cfg_attr(
        not(any(feature = "ranking", feature = "relay", feature = "matchmaking")),
        allow(unused_mut)
    )]
    let mut groups = vec![
        community::routes(),
        ops::routes(),
        openapi::routes(),
        auth_routes::routes(),
        sanctions::routes(),
        transparency::routes(),
    ];
    #[cfg(feature = "ranking")]
    groups.extend([
        players::routes(),
        profiles::routes(),
        history::routes(),
        seasons::routes(),
        matches::routes(),
        credentials::routes(),
        achievements::routes(),
        campaigns::routes(),
    ]);
    #[cfg(feature = "matchmaking")]
    groups.extend([queue::routes(), live::routes()]);
    #[cfg(feature = "relay")]
    groups.push(rooms::routes());
    #[cfg(feature = "moderation")]
    groups.extend([moderation::routes(), federation::routes()]);
    groups.into_iter().flatten().collect()
}

/// The API's routes for `state`'s capabilities and the OpenAPI document describing exactly
/// those; a route of a capability switched off answers 404 `capability_disabled`.
fn api(state: &AppState) -> (Router<AppState>, utoipa::openapi::OpenApi) {
    let capabilities = &state.config.capabilities;
    let mut router = Router::new();
    let mut document = openapi::base();
    let mut disabled_paths = std::collections::HashSet::new();
    for group in groups() {
        match group.capability() {
            Some(capability) if !capabilities.enabled(capability) => {
                // One catch-all answer per path, whatever the methods the path serves.
                for path in group.document().paths.paths.into_keys() {
                    if disabled_paths.insert(path.clone()) {
                        router = router.route(
                            &path,
                            axum::routing::any(move || async move {
                                capability_disabled_error(capability)
                            }),
                        );
                    }
                }
            }
            _ => {
                let (routes, part) = group.split(state);
                router = router.merge(routes);
                document.merge(part);
            }
        }
    }
    (router, document)
}

/// A route as declared, whatever the capabilities switched on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeclaredRoute {
    /// HTTP method, lower case (`get`, `post`, `delete`).
    pub method: &'static str,
    /// Path template (`{name}` for parameters).
    pub path: String,
    /// The capability that serves it; `None` for routes every server has.
    pub capability: Option<Capability>,
}

/// Every route this build declares.
pub fn declared_routes() -> Vec<DeclaredRoute> {
    groups()
        .into_iter()
        .flat_map(|group| {
            let capability = group.capability();
            group
                .operations()
                .into_iter()
                .map(move |(method, path)| DeclaredRoute {
                    method,
                    path,
                    capability,
                })
        })
        .collect()
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
    let (api, document) = api(&state);
    let timeout = Duration::from_secs(config.http.request_timeout_secs);
    api.merge(ui_router(&config))
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(Extension(openapi::Served::new(document)))
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

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    /// Groups are merged into one document, which keeps the first schema of a name: two
    /// different types with one name would silently describe one route with the other's body.
    #[test]
    fn no_two_schemas_share_a_name() {
        let mut seen = std::collections::BTreeMap::new();
        for group in super::groups() {
            let schemas = group.document().components.map(|c| c.schemas);
            for (name, schema) in schemas.into_iter().flatten() {
                let text = serde_json::to_string(&schema).unwrap();
                if let Some(previous) = seen.insert(name.clone(), text.clone()) {
                    assert_eq!(previous, text, "two different schemas are named {name}");
                }
            }
        }
        assert!(seen.contains_key("ErrorBody") || seen.contains_key("Status"));
        // The two types of the clash this test was written for, where their capabilities are
        // built in.
        #[cfg(all(feature = "matchmaking", feature = "ranking"))]
        assert!(seen.contains_key("QueueEvent") && seen.contains_key("AchievementChallenge"));
    }
}
