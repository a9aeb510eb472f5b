//! `POST /v1/auth/challenge`, `POST /v1/auth/token`, and the web UI's sign-in link
//! `POST /v1/staff/login-link`.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use base64::Engine;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::routes;

use super::error::{ApiError, ErrorBody};
use super::extract::ApiJson;
use super::{AppState, RouteGroup};
use crate::auth::{Principal, sign_in_url};
use crate::clock::unix_now;

/// Body of a challenge request.
#[derive(Deserialize, ToSchema)]
pub struct ChallengeRequest {
    /// The key that will sign the challenge, `ed25519:<64 hex>`.
    #[schema(value_type = String, example = "ed25519:…")]
    key: scr::PublicKey,
}

/// A single-use challenge.
#[derive(Serialize, ToSchema)]
pub struct Challenge {
    /// 32 random bytes, base64, to sign with the key.
    challenge: String,
    /// Unix seconds after which it is no longer accepted.
    expires_at: i64,
}

/// Body of a token request.
#[derive(Deserialize, ToSchema)]
pub struct TokenRequest {
    /// The key the challenge was issued for.
    #[schema(value_type = String, example = "ed25519:…")]
    key: scr::PublicKey,
    /// The challenge, base64, as issued.
    challenge: String,
    /// Ed25519 signature of the challenge's bytes, base64 (64 bytes).
    signature: String,
}

/// A bearer token.
#[derive(Serialize, ToSchema)]
pub struct Token {
    /// The token, for `Authorization: Bearer <token>`.
    token: String,
    /// Unix seconds after which it is no longer accepted.
    expires_at: i64,
    /// The staff roles the key holds (`reviewer`, `moderator`, `admin`, …).
    roles: Vec<&'static str>,
}

/// A one-time sign-in link for a browser.
#[derive(Serialize, ToSchema)]
pub struct LoginLink {
    /// Open it in a browser to sign in to the web UI.
    url: String,
    /// Unix seconds after which it no longer works.
    expires_at: i64,
}

/// The routes of this module.
pub(super) fn routes() -> Vec<RouteGroup> {
    vec![
        RouteGroup::new(None)
            .limited()
            .route(routes!(challenge))
            .route(routes!(token)),
        RouteGroup::new(None)
            .limited()
            .authenticated()
            .route(routes!(login_link)),
    ]
}

/// Issues a single-use challenge for a key.
#[utoipa::path(post, path = "/v1/auth/challenge", tag = "auth",
    summary = "A single-use challenge for a key",
    request_body = ChallengeRequest,
    responses((status = 200, body = Challenge),
        (status = 400, body = ErrorBody, description = "`weak_key` or `invalid_json`")))]
async fn challenge(
    State(state): State<AppState>,
    ApiJson(request): ApiJson<ChallengeRequest>,
) -> Result<Json<Challenge>, ApiError> {
    let (challenge, expires_at) = state.auth.challenge(&request.key, unix_now()).await?;
    Ok(Json(Challenge {
        challenge: base64::engine::general_purpose::STANDARD.encode(challenge),
        expires_at,
    }))
}

/// Exchanges a signed challenge for a bearer token.
#[utoipa::path(post, path = "/v1/auth/token", tag = "auth",
    summary = "Exchange a signed challenge for a bearer token",
    request_body = TokenRequest,
    responses((status = 200, body = Token),
        (status = 400, body = ErrorBody,
            description = "`invalid_base64`, `invalid_length`, `weak_key` or `invalid_json`"),
        (status = 401, body = ErrorBody,
            description = "`bad_signature`, or `invalid_challenge` (unknown, used or expired)")))]
async fn token(
    State(state): State<AppState>,
    ApiJson(request): ApiJson<TokenRequest>,
) -> Result<Json<Token>, ApiError> {
    let challenge: [u8; 32] = decode_fixed(&request.challenge, "challenge")?;
    let signature: [u8; 64] = decode_fixed(&request.signature, "signature")?;
    let (token, expires_at, roles) = state
        .auth
        .token(&request.key, &challenge, &signature, unix_now())
        .await?;
    Ok(Json(Token {
        token,
        expires_at,
        roles: roles.iter().map(|r| r.name()).collect(),
    }))
}

/// Decodes standard base64 of exactly `N` bytes.
pub(super) fn decode_fixed<const N: usize>(text: &str, field: &str) -> Result<[u8; N], ApiError> {
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(text)
        .map_err(|_| ApiError::bad_request("invalid_base64", format!("{field} is not base64")))?;
    bytes
        .try_into()
        .map_err(|_| ApiError::bad_request("invalid_length", format!("{field} must be {N} bytes")))
}

/// A sign-in link for the caller's own key, for a browser.
#[utoipa::path(post, path = "/v1/staff/login-link", tag = "auth",
    summary = "A single-use web sign-in link for the caller, valid five minutes (staff only)",
    responses((status = 201, body = LoginLink),
        (status = 403, body = ErrorBody, description = "`not_staff`"),
        (status = 404, body = ErrorBody,
            description = "`capability_disabled`: the web UI is off")))]
async fn login_link(
    State(state): State<AppState>,
    principal: Principal,
) -> Result<(StatusCode, Json<LoginLink>), ApiError> {
    if !(cfg!(feature = "ui") && state.config.ui.enabled) {
        return Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "capability_disabled",
            "the web UI is not enabled on this server",
        ));
    }
    let (token, expires_at) = state.auth.login_link(&principal.key, unix_now()).await?;
    Ok((
        StatusCode::CREATED,
        Json(LoginLink {
            url: sign_in_url(&state.community.url, &token),
            expires_at,
        }),
    ))
}
