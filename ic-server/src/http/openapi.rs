//! `GET /openapi.json`: the OpenAPI 3.1 document of the routes this server serves, assembled
//! from the route groups' declarations when the router is built.

use axum::Extension;
use axum::body::Bytes;
use axum::http::header;
use axum::response::IntoResponse;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{ComponentsBuilder, InfoBuilder, OpenApi, OpenApiBuilder};
use utoipa_axum::routes;

use super::error::ErrorBody;
use super::{API_VERSION, RouteGroup};

/// The document as served: serialized once, when the router is built; each answer shares it.
#[derive(Clone)]
pub struct Served(Bytes);

impl Served {
    /// Serializes `document` for serving.
    pub fn new(document: OpenApi) -> Self {
        let text = serde_json::to_vec(&document).unwrap_or_else(|error| {
            serde_json::json!({ "error": "internal", "message": error.to_string() })
                .to_string()
                .into_bytes()
        });
        Self(Bytes::from(text))
    }
}

/// The document's frame: what every server's document has before its routes are added.
pub fn base() -> OpenApi {
    OpenApiBuilder::new()
        .info(
            InfoBuilder::new()
                .title("ic-server community API")
                .version(API_VERSION.to_string())
                .description(Some(
                    "The HTTP API of one ic-server community. `/v1` changes only by addition; \
                     see docs/api.md.",
                )),
        )
        .components(Some(
            ComponentsBuilder::new()
                .security_scheme(
                    "bearer",
                    SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
                )
                .schema_from::<ErrorBody>()
                .build(),
        ))
        .build()
}

/// The route of this module.
pub(super) fn routes() -> Vec<RouteGroup> {
    vec![RouteGroup::new(None).route(routes!(document))]
}

/// The OpenAPI 3.1 document of the routes this server has enabled.
#[utoipa::path(
    get,
    path = "/openapi.json",
    tag = "operations",
    summary = "This document",
    responses((status = 200, description = "The OpenAPI 3.1 document", content_type = "application/json", body = Object))
)]
async fn document(Extension(served): Extension<Served>) -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "application/json")], served.0)
}
