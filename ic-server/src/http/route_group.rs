//! A group of API routes declared once: the handlers' own `#[utoipa::path]` declarations feed
//! the router, the capability gate, the rate-limit and bearer layers, and the OpenAPI document.

use axum::Router;
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use utoipa::openapi::path::{Operation, PathItem};
use utoipa::openapi::security::SecurityRequirement;
use utoipa::openapi::{ContentBuilder, OpenApi, Ref, RefOr, ResponseBuilder};
use utoipa_axum::router::{OpenApiRouter, UtoipaMethodRouter};

use super::AppState;
use super::error::ApiError;
use super::extract;
use crate::config::Capability;

/// Routes that share a capability, a rate limit and an authentication requirement.
pub struct RouteGroup {
    capability: Option<Capability>,
    limited: bool,
    authenticated: bool,
    routes: OpenApiRouter<AppState>,
}

impl RouteGroup {
    /// An empty group served by `capability` (`None`: every server serves it), open to anyone
    /// and not rate limited.
    pub fn new(capability: Option<Capability>) -> Self {
        Self {
            capability,
            limited: false,
            authenticated: false,
            routes: OpenApiRouter::default(),
        }
    }

    /// Rate limited per client address (authentication and writes).
    pub fn limited(mut self) -> Self {
        self.limited = true;
        self
    }

    /// Needs a bearer token: requests without one are refused before the handler runs.
    pub fn authenticated(mut self) -> Self {
        self.authenticated = true;
        self
    }

    /// Adds the handler(s) of one `utoipa_axum::routes!` call.
    pub fn route(mut self, handler: UtoipaMethodRouter<AppState>) -> Self {
        self.routes = self.routes.routes(handler);
        self
    }

    /// The capability that serves the group (`None`: every server).
    pub fn capability(&self) -> Option<Capability> {
        self.capability
    }

    /// The group's router with its layers, and its part of the document with the answers those
    /// layers add (401, 429, and the answers every route can give).
    pub fn split(self, state: &AppState) -> (Router<AppState>, OpenApi) {
        let (mut router, mut document) = self.routes.split_for_parts();
        for (path, item) in document.paths.paths.iter_mut() {
            for (method, operation) in operations(item) {
                // Handler names repeat across modules (`list`); method and path never do.
                operation.operation_id = Some(operation_id(method, path));
                describe_common_answers(operation, self.limited, self.authenticated);
            }
        }
        if self.authenticated {
            router = router.layer(middleware::from_fn(require_bearer));
        }
        if self.limited {
            router = router.layer(middleware::from_fn_with_state(state.clone(), rate_limit));
        }
        (router, document)
    }

    /// The group's part of the document, without its layers' answers (the paths a switched-off
    /// capability answers on, the schemas the groups define).
    pub fn document(self) -> OpenApi {
        self.routes.into_openapi()
    }

    /// The group's routes as `(method, path)`, method in lower case.
    pub fn operations(self) -> Vec<(&'static str, String)> {
        let mut document = self.document();
        let mut found = Vec::new();
        for (path, item) in document.paths.paths.iter_mut() {
            for (method, _) in operations(item) {
                found.push((method, path.clone()));
            }
        }
        found
    }
}

fn operations(item: &mut PathItem) -> impl Iterator<Item = (&'static str, &mut Operation)> {
    [
        ("get", item.get.as_mut()),
        ("post", item.post.as_mut()),
        ("put", item.put.as_mut()),
        ("delete", item.delete.as_mut()),
        ("patch", item.patch.as_mut()),
    ]
    .into_iter()
    .filter_map(|(method, operation)| Some((method, operation?)))
}

/// `get_v1_players_key_matches` for `GET /v1/players/{key}/matches`.
fn operation_id(method: &str, path: &str) -> String {
    let words = path
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|word| !word.is_empty());
    std::iter::once(method)
        .chain(words)
        .collect::<Vec<_>>()
        .join("_")
}

/// Adds the answers the layers and extractors give to any route of the kind, unless the
/// handler's declaration already describes that status.
fn describe_common_answers(operation: &mut Operation, limited: bool, authenticated: bool) {
    // A success the declaration left undescribed gets its status's reason phrase.
    for (status, response) in operation.responses.responses.iter_mut() {
        if let RefOr::T(response) = response
            && response.description.is_empty()
        {
            response.description = status
                .parse::<StatusCode>()
                .ok()
                .and_then(|s| s.canonical_reason())
                .unwrap_or("OK")
                .to_owned();
        }
    }
    let mut add = |status: StatusCode, text: &str| {
        match operation.responses.responses.get_mut(status.as_str()) {
            // The handler describes this status already: name the common cause too.
            Some(RefOr::T(response)) => {
                if !response.description.contains(text) {
                    response.description = format!("{}; {text}", response.description);
                }
            }
            Some(RefOr::Ref(_)) => {}
            None => {
                operation
                    .responses
                    .responses
                    .insert(status.as_str().to_owned(), error_response(text));
            }
        }
    };
    add(
        StatusCode::SERVICE_UNAVAILABLE,
        "`timeout`: the request took too long; `storage_unavailable`: the database is not \
         answering; `not_ready`: the server is starting or draining",
    );
    add(
        StatusCode::INTERNAL_SERVER_ERROR,
        "`internal` or `ticket_failed`: a fault of the server, logged for its operator",
    );
    if authenticated {
        add(
            StatusCode::UNAUTHORIZED,
            "`unauthorized`: no valid bearer token",
        );
    }
    if limited {
        add(
            StatusCode::TOO_MANY_REQUESTS,
            "`rate_limited`: too many requests from this address",
        );
    }
    if operation.parameters.as_ref().is_some_and(|p| !p.is_empty()) {
        add(
            StatusCode::BAD_REQUEST,
            "`invalid_query` or `invalid_path`: a parameter of the wrong shape",
        );
    }
    let body = operation.request_body.as_ref().map(|body| &body.content);
    if body.is_some() {
        add(
            StatusCode::PAYLOAD_TOO_LARGE,
            "`body_too_large`: over `[http] max_body_bytes`",
        );
    }
    if body.is_some_and(|content| content.contains_key("application/json")) {
        add(
            StatusCode::BAD_REQUEST,
            "`invalid_json`: the body is not valid JSON",
        );
        add(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "`unsupported_media_type`: the body needs `Content-Type: application/json`",
        );
        add(
            StatusCode::UNPROCESSABLE_ENTITY,
            "`invalid_json`: the JSON does not have the body's shape",
        );
    }
    if authenticated {
        operation.security = Some(vec![SecurityRequirement::new(
            "bearer",
            Vec::<String>::new(),
        )]);
    }
}

/// A response whose body is the API's error body.
pub fn error_response(description: &str) -> RefOr<utoipa::openapi::Response> {
    ResponseBuilder::new()
        .description(description)
        .content(
            "application/json",
            ContentBuilder::new()
                .schema(Some(Ref::from_schema_name("ErrorBody")))
                .build(),
        )
        .build()
        .into()
}

/// Refuses a request without a bearer token before any handler work; the handler's
/// [`crate::auth::Principal`] extractor then checks the token itself.
async fn require_bearer(request: Request, next: Next) -> Response {
    let has_bearer = request
        .headers()
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.starts_with("Bearer "));
    if !has_bearer {
        return ApiError::unauthorized().into_response();
    }
    next.run(request).await
}

async fn rate_limit(
    State(state): State<AppState>,
    extract::ClientIp(ip): extract::ClientIp,
    request: Request,
    next: Next,
) -> Response {
    if state
        .limiter
        .get()
        .check_key(&crate::client_address::address_bucket(ip))
        .is_err()
    {
        return ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            "rate_limited",
            "too many requests from this address, slow down",
        )
        .into_response();
    }
    next.run(request).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operation_ids_follow_method_and_path() {
        assert_eq!(
            operation_id("get", "/v1/players/{key}/matches"),
            "get_v1_players_key_matches"
        );
        assert_eq!(
            operation_id("get", "/.well-known/ic-community"),
            "get_well_known_ic_community"
        );
    }

    /// Lines of `src/http` that add a route to an axum router directly, bypassing the groups.
    fn direct_routes(dir: &std::path::Path, found: &mut Vec<String>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                direct_routes(&path, found);
                continue;
            }
            let text = std::fs::read_to_string(&path).unwrap();
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            for line in text.lines() {
                // `RouteGroup::route(routes!(…))` is the declared way; any other `.route(` is not.
                let direct = line.replace(".route(routes!(", "").contains(".route(")
                    || line.contains("routing::get")
                    || line.contains("routing::post")
                    || line.contains("routing::delete");
                // `mod.rs` routes the switched-off paths (from the groups) and the web UI's
                // catch-alls, which are HTML, not API.
                let allowed = name == "mod.rs"
                    && (line.trim() == "router = router.route(" || line.contains("\"/ui"));
                if direct && !allowed && name != "route_group.rs" {
                    found.push(format!("{}: {}", path.display(), line.trim()));
                }
            }
        }
    }

    #[test]
    fn every_api_route_is_added_through_a_group() {
        let mut found = Vec::new();
        direct_routes(
            &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/http"),
            &mut found,
        );
        assert!(found.is_empty(), "routes outside the groups: {found:#?}");
    }
}
