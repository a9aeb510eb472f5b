//! `GET /.well-known/ic-community`: what a player pins when joining.

use axum::Json;
use axum::extract::State;
use base64::Engine;
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::routes;

use super::{AppState, RouteGroup};
use crate::matchmaking::settings::RelayListing;

/// Version of the HTTP API described by `/openapi.json`.
pub const API_VERSION: u32 = 1;

/// The community document.
#[derive(Serialize, ToSchema)]
pub struct CommunityDocument {
    /// The community's name.
    name: String,
    /// Its public URL.
    url: String,
    /// The key that signs its records, `ed25519:<64 hex>`.
    signing_key: String,
    /// The offline key that may rotate the signing key.
    recovery_key: String,
    /// Short fingerprint of the signing key, for people to compare.
    fingerprint: String,
    /// Short fingerprint of the recovery key.
    recovery_fingerprint: String,
    /// The key of this server's own relay.
    relay_key: String,
    /// Relays players are sent to.
    relays: Vec<RelayListing>,
    /// The capabilities this server has switched on.
    capabilities: Vec<&'static str>,
    /// Base64 key-rotation records, oldest first.
    rotations: Vec<String>,
    /// The origin line of the transparency log's checkpoints (and the name its signatures are
    /// made under), the same across key rotations.
    transparency_origin: String,
    /// This community's witness key (C2SP verifier key, `<name>+<key ID>+<base64 key>`): other
    /// communities' checkpoints it cosigns carry signatures that verify with it.
    witness_key: String,
    /// The running ranked season, when the ranking capability is on.
    season: Option<u32>,
    /// Version of this API.
    api_version: u32,
}

/// The route of this module.
pub(super) fn routes() -> Vec<RouteGroup> {
    vec![RouteGroup::new(None).route(routes!(document))]
}

/// The community document.
#[utoipa::path(
    get,
    path = "/.well-known/ic-community",
    tag = "community",
    summary = "The community document players pin",
    responses((status = 200, body = CommunityDocument))
)]
async fn document(State(state): State<AppState>) -> Json<CommunityDocument> {
    let community = &state.community;
    let b64 = base64::engine::general_purpose::STANDARD;
    // The running ranked season, so a wallet knows to ask for a record of the new season.
    #[cfg(feature = "ranking")]
    let season = state
        .capabilities
        .seasons
        .as_ref()
        .map(|clock| clock.running_number());
    #[cfg(not(feature = "ranking"))]
    let season: Option<u32> = None;
    Json(CommunityDocument {
        name: community.name.clone(),
        url: community.url.clone(),
        signing_key: community.signing_key().to_string(),
        recovery_key: community.recovery.to_string(),
        fingerprint: community.signing_key().fingerprint().to_string(),
        recovery_fingerprint: community.recovery.fingerprint().to_string(),
        relay_key: community.relay.public_key().to_string(),
        relays: state.capabilities.relays.clone(),
        capabilities: state.config.capabilities.enabled_names(),
        rotations: community
            .current()
            .rotations
            .iter()
            .map(|r| b64.encode(r))
            .collect(),
        transparency_origin: crate::transparency::origin(&community.current().chain),
        witness_key: state.witness.identity().cosigner().vkey(),
        season,
        api_version: API_VERSION,
    })
}
