//! How refusals of presented records (rooms' and queues' trust requirements) answer over HTTP:
//! a malformed request is 400, a record or community that does not check out 422.

use axum::http::StatusCode;

use super::error::ApiError;
use crate::federation::{CredentialError, Unmet};

/// The status of a refused credential.
pub(super) fn credential_status(error: &CredentialError) -> StatusCode {
    match error {
        CredentialError::TooMany(_)
        | CredentialError::Base64(_)
        | CredentialError::Community {
            error: crate::federation::CommunityError::BadUrl(_),
            ..
        } => StatusCode::BAD_REQUEST,
        CredentialError::Invalid { .. } | CredentialError::Community { .. } => {
            StatusCode::UNPROCESSABLE_ENTITY
        }
        CredentialError::Store(_) => StatusCode::SERVICE_UNAVAILABLE,
    }
}

impl From<CredentialError> for ApiError {
    fn from(error: CredentialError) -> Self {
        let status = credential_status(&error);
        if status.is_server_error() {
            tracing::error!(%error, "verifying presented records failed");
        }
        ApiError::new(status, error.code(), error.to_string())
    }
}

impl From<Unmet> for ApiError {
    fn from(unmet: Unmet) -> Self {
        ApiError::new(StatusCode::FORBIDDEN, unmet.code(), unmet.to_string())
    }
}
