//! The API's error body, `{"error": "<code>", "message": "<text>"}`, and the mapping of every
//! domain and extractor error onto a fitting status code.

use axum::Json;
use axum::extract::rejection::{BytesRejection, JsonRejection, QueryRejection};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;

use super::error_codes;

use crate::auth::AuthError;
#[cfg(feature = "ranking")]
use crate::authority::AuthorityError;

/// An error answer of the API.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    /// HTTP status.
    pub status: StatusCode,
    /// snake_case code.
    pub code: &'static str,
    /// Human text.
    pub message: String,
}

impl ApiError {
    /// An error with its status, code and message.
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        debug_assert!(
            error_codes::is_listed(code),
            "error code {code:?} is missing from http::error_codes::ERROR_CODES"
        );
        Self {
            status,
            code,
            message: message.into(),
        }
    }

    /// 400 with `code`.
    pub fn bad_request(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, code, message)
    }

    /// 401: no or an invalid bearer token.
    pub fn unauthorized() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "a valid bearer token is required (POST /v1/auth/challenge, then /v1/auth/token)",
        )
    }
}

/// The body of every error answer.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    /// What went wrong, for programs.
    #[schema(schema_with = error_codes::error_code_schema)]
    pub error: &'static str,
    /// What went wrong, for people.
    pub message: String,
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = Json(ErrorBody {
            error: self.code,
            message: self.message,
        });
        (self.status, body).into_response()
    }
}

#[cfg(feature = "ranking")]
impl From<AuthorityError> for ApiError {
    fn from(error: AuthorityError) -> Self {
        use relay_core::cmr::CmrError;
        let status = match &error {
            AuthorityError::Cmr(CmrError::UntrustedRelay | CmrError::WrongCommunity) => {
                StatusCode::FORBIDDEN
            }
            AuthorityError::Cmr(CmrError::Signature(_)) => StatusCode::FORBIDDEN,
            AuthorityError::Cmr(_) => StatusCode::BAD_REQUEST,
            AuthorityError::UnregisteredPlayer(_)
            | AuthorityError::UnknownGameModule(_)
            | AuthorityError::InvalidMatch(_) => StatusCode::UNPROCESSABLE_ENTITY,
            AuthorityError::AlreadyRegistered => StatusCode::CONFLICT,
            AuthorityError::NotRegistered => StatusCode::NOT_FOUND,
            AuthorityError::InviteRequired | AuthorityError::Suspended { .. } => {
                StatusCode::FORBIDDEN
            }
            AuthorityError::RegistrationLimit => StatusCode::TOO_MANY_REQUESTS,
            AuthorityError::Busy
            | AuthorityError::Store(_)
            | AuthorityError::SigningKeySuperseded(_) => StatusCode::SERVICE_UNAVAILABLE,
            AuthorityError::Encode(_) => StatusCode::INTERNAL_SERVER_ERROR,
            AuthorityError::ClaimsRefused => StatusCode::FORBIDDEN,
            AuthorityError::UnknownAchievement(_) => StatusCode::NOT_FOUND,
            AuthorityError::NotClaimable(_) => StatusCode::UNPROCESSABLE_ENTITY,
            AuthorityError::AchievementHeld(_) | AuthorityError::NotChallengeable(_) => {
                StatusCode::CONFLICT
            }
        };
        if status.is_server_error() {
            tracing::error!(error = %error, "request failed");
        }
        Self::new(status, error.code(), error.to_string())
    }
}

impl From<AuthError> for ApiError {
    fn from(error: AuthError) -> Self {
        match error {
            AuthError::WeakKey => Self::bad_request("weak_key", error.to_string()),
            AuthError::BadSignature => {
                Self::new(StatusCode::UNAUTHORIZED, "bad_signature", error.to_string())
            }
            AuthError::InvalidChallenge => Self::new(
                StatusCode::UNAUTHORIZED,
                "invalid_challenge",
                error.to_string(),
            ),
            AuthError::NotStaff(_) => {
                Self::new(StatusCode::FORBIDDEN, "not_staff", error.to_string())
            }
            AuthError::InvalidLoginLink => {
                Self::new(StatusCode::GONE, "invalid_login_link", error.to_string())
            }
            AuthError::Store(store) => store.into(),
        }
    }
}

impl From<crate::store::StoreError> for ApiError {
    fn from(error: crate::store::StoreError) -> Self {
        tracing::error!(%error, "storage failed");
        Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "storage_unavailable",
            error.to_string(),
        )
    }
}

impl From<JsonRejection> for ApiError {
    fn from(rejection: JsonRejection) -> Self {
        let status = rejection.status();
        let code = match rejection {
            JsonRejection::MissingJsonContentType(_) => "unsupported_media_type",
            JsonRejection::BytesRejection(_) if status == StatusCode::PAYLOAD_TOO_LARGE => {
                "body_too_large"
            }
            _ => "invalid_json",
        };
        Self::new(status, code, rejection.body_text())
    }
}

impl From<BytesRejection> for ApiError {
    fn from(rejection: BytesRejection) -> Self {
        let status = rejection.status();
        let code = if status == StatusCode::PAYLOAD_TOO_LARGE {
            "body_too_large"
        } else {
            "invalid_body"
        };
        Self::new(status, code, rejection.body_text())
    }
}

impl From<QueryRejection> for ApiError {
    fn from(rejection: QueryRejection) -> Self {
        Self::bad_request("invalid_query", rejection.body_text())
    }
}
