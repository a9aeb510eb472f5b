//! Why a page could not be shown: the API's error (status, code, message) rendered as a page
//! with the same status, so a browser user reads what a client would have been told.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use maud::html;

use super::layout;
use crate::http::ApiError;

/// A page that could not be shown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure(pub ApiError);

impl Failure {
    /// 404 with `message`.
    pub fn not_found(message: impl Into<String>) -> Self {
        Self(ApiError::new(StatusCode::NOT_FOUND, "not_found", message))
    }

    /// 400 `invalid_query` with `message`.
    pub fn bad_query(message: impl Into<String>) -> Self {
        Self(ApiError::bad_request("invalid_query", message))
    }
}

impl<E: Into<ApiError>> From<E> for Failure {
    fn from(error: E) -> Self {
        Self(error.into())
    }
}

impl IntoResponse for Failure {
    fn into_response(self) -> Response {
        let ApiError {
            status,
            code,
            message,
        } = self.0;
        if status.is_server_error() {
            tracing::error!(code, %message, "page failed");
        }
        let title = status.canonical_reason().unwrap_or("Error");
        let body = html! {
            h1 { (title) }
            div.notice.error role="alert" {
                p { (message) }
                p.muted { "Error code: " code { (code) } }
            }
            p { a href="/ui/" { "Back to the community home" } }
        };
        (status, layout::bare(title, body)).into_response()
    }
}

/// Any `/ui/…` path without a page.
pub(super) async fn no_such_page() -> Failure {
    Failure::not_found("there is no page at this address")
}
