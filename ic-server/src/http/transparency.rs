//! The transparency log over HTTP: the newest signed checkpoint, and inclusion and consistency
//! proofs against any tree size the log has reached (RFC 9162 proofs, base64 hashes).

use axum::Json;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use base64::Engine;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::routes;

use super::error::{ApiError, ErrorBody};
use super::extract::ApiQuery;
use super::{AppState, RouteGroup};
use crate::transparency::proofs::{self, ProofRequestError};
use crate::transparency::witness::WitnessError;
use transparency::Refusal;

/// Query of `GET /v1/transparency/inclusion`.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct InclusionQuery {
    /// The record's leaf hash, `SHA-256(0x00 ‖ record bytes)`, 64 hex digits.
    #[param(pattern = "^[0-9a-f]{64}$")]
    hash: String,
    /// The tree size to prove inclusion in (a checkpoint's), at most the log's size.
    #[param(minimum = 1)]
    tree_size: u64,
}

/// An inclusion proof.
#[derive(Serialize, ToSchema)]
pub struct InclusionProof {
    /// The leaf's index in the log.
    leaf_index: u64,
    /// The tree size the proof is for.
    tree_size: u64,
    /// The audit path, leaf side first (RFC 9162 §2.1.3.1), each hash base64.
    hashes: Vec<String>,
}

/// Query of `GET /v1/transparency/consistency`.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ConsistencyQuery {
    /// The older tree size, at least 1.
    #[param(minimum = 1)]
    first: u64,
    /// The newer tree size, at least `first` and at most the log's size.
    #[param(minimum = 1)]
    second: u64,
}

/// A consistency proof.
#[derive(Serialize, ToSchema)]
pub struct ConsistencyProof {
    /// The proof (RFC 9162 §2.1.4.1), each hash base64; empty when the sizes are equal.
    hashes: Vec<String>,
}

/// The routes of this module: every server keeps the log of the records it issues.
pub(super) fn routes() -> Vec<RouteGroup> {
    vec![
        RouteGroup::new(None)
            .route(routes!(checkpoint))
            .route(routes!(inclusion))
            .route(routes!(consistency)),
        // Other communities' logs post here; the witness checks their signatures, so no
        // login, but the per-address limit of writes applies.
        RouteGroup::new(None)
            .limited()
            .route(routes!(add_checkpoint)),
    ]
}

/// Witnessing: cosigns another community's checkpoint after checking that its log only grew
/// since the checkpoint cosigned before (C2SP tlog-witness `add-checkpoint`).
#[utoipa::path(post, path = "/v1/transparency/witness/add-checkpoint", tag = "transparency",
    summary = "Cosign a witnessed log's new checkpoint (C2SP tlog-witness)",
    request_body(content = String, content_type = "text/plain", description = "`old <size>`, \
        one base64 consistency-proof hash per line, a blank line, then the signed checkpoint"),
    responses(
        (status = 200, description = "The cosignature: one signed-note line (C2SP \
            tlog-cosignature, Ed25519 cosignature/v1)", content_type = "text/plain", body = String),
        (status = 400, body = ErrorBody, description = "`malformed_request` or `old_size_too_large`"),
        (status = 403, body = ErrorBody, description = "`not_signed`: no key of the log signed it"),
        (status = 404, body = ErrorBody, description = "`unknown_log`: not witnessed here"),
        (status = 409, description = "The old size is not the size last cosigned: that size \
            and a newline (`text/x.tlog.size`); or `root_mismatch`: another root at the size \
            cosigned", content(
                (String = "text/x.tlog.size"),
                (ErrorBody = "application/json"))),
        (status = 422, body = ErrorBody, description = "`bad_proof`: the consistency proof \
            does not verify")))]
async fn add_checkpoint(
    State(state): State<AppState>,
    body: axum::body::Bytes,
) -> Result<axum::response::Response, ApiError> {
    let Ok(body) = std::str::from_utf8(&body) else {
        state
            .metrics
            .witness_requests
            .with_label_values(&["malformed_request"])
            .inc();
        return Err(ApiError::bad_request(
            "malformed_request",
            "the add-checkpoint request is not UTF-8 text",
        ));
    };
    let now = crate::clock::unix_now();
    let answer = state.witness.add_checkpoint(body, now).await;
    let outcome = match &answer {
        Ok(_) => "cosigned",
        Err(error) => witness_error_code(error),
    };
    state
        .metrics
        .witness_requests
        .with_label_values(&[outcome])
        .inc();
    match answer {
        Ok(line) => {
            Ok(([(header::CONTENT_TYPE, "text/plain; charset=utf-8")], line).into_response())
        }
        Err(WitnessError::Refused(Refusal::OldSizeMismatch { latest, .. })) => Ok((
            StatusCode::CONFLICT,
            [(header::CONTENT_TYPE, "text/x.tlog.size")],
            format!("{latest}\n"),
        )
            .into_response()),
        Err(error) => Err(witness_error(error)),
    }
}

/// The error code of a witness's refusal (also its metric label).
fn witness_error_code(error: &WitnessError) -> &'static str {
    match error {
        WitnessError::Malformed(_) => "malformed_request",
        WitnessError::UnknownLog(_) => "unknown_log",
        WitnessError::NotSigned { .. } => "not_signed",
        WitnessError::Refused(Refusal::OldSizeTooLarge { .. }) => "old_size_too_large",
        WitnessError::Refused(Refusal::OldSizeMismatch { .. }) => "old_size_mismatch",
        WitnessError::Refused(Refusal::RootMismatch { .. }) => "root_mismatch",
        WitnessError::Refused(Refusal::BadProof { .. }) => "bad_proof",
        WitnessError::Store(_) => "storage",
    }
}

fn witness_error(error: WitnessError) -> ApiError {
    let (code, message) = (witness_error_code(&error), error.to_string());
    let status = match error {
        // The store's error answers for itself (503 while the database is lost).
        WitnessError::Store(error) => return error.into(),
        WitnessError::Malformed(_) => StatusCode::BAD_REQUEST,
        WitnessError::UnknownLog(_) => StatusCode::NOT_FOUND,
        WitnessError::NotSigned { .. } => StatusCode::FORBIDDEN,
        WitnessError::Refused(refusal) => {
            StatusCode::from_u16(refusal.status()).unwrap_or(StatusCode::BAD_REQUEST)
        }
    };
    ApiError::new(status, code, message)
}

/// The newest checkpoint as a C2SP signed note.
#[utoipa::path(get, path = "/v1/transparency/checkpoint", tag = "transparency",
    summary = "The newest signed checkpoint of the log (C2SP tlog-checkpoint in a signed note)",
    responses(
        (status = 200, description = "The signed note: origin, tree size and base64 root hash, \
            a blank line, then one signature line per signer", content_type = "text/plain",
            body = String),
        (status = 404, body = ErrorBody, description = "`no_checkpoint`")))]
async fn checkpoint(State(state): State<AppState>) -> Result<impl IntoResponse, ApiError> {
    let Some(kept) = state.store.latest_checkpoint().await? else {
        return Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "no_checkpoint",
            "no checkpoint has been signed yet; one follows within \
             transparency.checkpoint_secs of the first record",
        ));
    };
    Ok((
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        kept.note,
    ))
}

/// Proves that a record is in the log.
#[utoipa::path(get, path = "/v1/transparency/inclusion", tag = "transparency",
    summary = "An inclusion proof of a record's leaf hash in a tree size of the log",
    params(InclusionQuery),
    responses((status = 200, body = InclusionProof),
        (status = 400, body = ErrorBody, description = "`invalid_query` or `tree_size_out_of_range`"),
        (status = 404, body = ErrorBody, description = "`unknown_leaf`")))]
async fn inclusion(
    State(state): State<AppState>,
    ApiQuery(query): ApiQuery<InclusionQuery>,
) -> Result<Json<InclusionProof>, ApiError> {
    let leaf = leaf_hash(&query.hash)?;
    let proof = proofs::inclusion(state.store.as_ref(), &leaf, query.tree_size)
        .await
        .map_err(proof_error)?;
    Ok(Json(InclusionProof {
        leaf_index: proof.leaf_index,
        tree_size: proof.tree_size,
        hashes: base64_all(&proof.hashes),
    }))
}

/// Proves that the log only grew between two sizes.
#[utoipa::path(get, path = "/v1/transparency/consistency", tag = "transparency",
    summary = "A consistency proof between two tree sizes of the log",
    params(ConsistencyQuery),
    responses((status = 200, body = ConsistencyProof),
        (status = 400, body = ErrorBody,
            description = "`invalid_query` or `tree_size_out_of_range`")))]
async fn consistency(
    State(state): State<AppState>,
    ApiQuery(query): ApiQuery<ConsistencyQuery>,
) -> Result<Json<ConsistencyProof>, ApiError> {
    let hashes = proofs::consistency(state.store.as_ref(), query.first, query.second)
        .await
        .map_err(proof_error)?;
    Ok(Json(ConsistencyProof {
        hashes: base64_all(&hashes),
    }))
}

/// Reads a leaf hash given as 64 hex digits.
fn leaf_hash(text: &str) -> Result<transparency::Hash, ApiError> {
    let mut hash = [0; 32];
    hex::decode_to_slice(text, &mut hash).map_err(|_| {
        ApiError::bad_request("invalid_query", "hash must be a leaf hash of 64 hex digits")
    })?;
    Ok(hash)
}

fn base64_all(hashes: &[transparency::Hash]) -> Vec<String> {
    let b64 = base64::engine::general_purpose::STANDARD;
    hashes.iter().map(|hash| b64.encode(hash)).collect()
}

fn proof_error(error: ProofRequestError) -> ApiError {
    match error {
        ProofRequestError::UnknownLeaf => {
            ApiError::new(StatusCode::NOT_FOUND, "unknown_leaf", error.to_string())
        }
        ProofRequestError::OutOfRange(message) => {
            ApiError::bad_request("tree_size_out_of_range", message)
        }
        ProofRequestError::Store(error) => error.into(),
    }
}
