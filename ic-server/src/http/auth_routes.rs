//! `POST /v1/auth/challenge`, `POST /v1/auth/token`, and the web UI's sign-in link
//! `POST /v1/staff/login-link`.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use base64::Engine;
use serde::Deserialize;
use serde_json::{Value, json};

use super::AppState;
use super::error::ApiError;
use super::extract::ApiJson;
use crate::auth::{Principal, sign_in_url};
use crate::clock::unix_now;

/// Body of a challenge request.
#[derive(Deserialize)]
pub struct ChallengeRequest {
    key: scr::PublicKey,
}

/// Body of a token request.
#[derive(Deserialize)]
pub struct TokenRequest {
    key: scr::PublicKey,
    challenge: String,
    signature: String,
}

/// Issues a single-use challenge.
pub async fn challenge(
    State(state): State<AppState>,
    ApiJson(request): ApiJson<ChallengeRequest>,
) -> Result<Json<Value>, ApiError> {
    let (challenge, expires_at) = state.auth.challenge(&request.key, unix_now()).await?;
    Ok(Json(json!({
        "challenge": base64::engine::general_purpose::STANDARD.encode(challenge),
        "expires_at": expires_at,
    })))
}

/// Exchanges a signed challenge for a bearer token.
pub async fn token(
    State(state): State<AppState>,
    ApiJson(request): ApiJson<TokenRequest>,
) -> Result<Json<Value>, ApiError> {
    let challenge: [u8; 32] = decode_fixed(&request.challenge, "challenge")?;
    let signature: [u8; 64] = decode_fixed(&request.signature, "signature")?;
    let (token, expires_at, roles) = state
        .auth
        .token(&request.key, &challenge, &signature, unix_now())
        .await?;
    Ok(Json(json!({
        "token": token,
        "expires_at": expires_at,
        "roles": roles.iter().map(|r| r.name()).collect::<Vec<_>>(),
    })))
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

/// `POST /v1/staff/login-link`: a sign-in link for the caller's own key, for a browser.
pub async fn login_link(
    State(state): State<AppState>,
    principal: Principal,
) -> Result<(StatusCode, Json<Value>), ApiError> {
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
        Json(json!({
            "url": sign_in_url(&state.community.url, &token),
            "expires_at": expires_at,
        })),
    ))
}
