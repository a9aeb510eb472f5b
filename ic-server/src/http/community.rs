//! `GET /.well-known/ic-community`: what a player pins when joining.

use axum::Json;
use axum::extract::State;
use base64::Engine;
use serde_json::{Value, json};

use super::AppState;

/// Version of the HTTP API described by `/openapi.json`.
pub const API_VERSION: u32 = 1;

/// The community document.
pub async fn document(State(state): State<AppState>) -> Json<Value> {
    let community = &state.community;
    let b64 = base64::engine::general_purpose::STANDARD;
    let capabilities = state.config.capabilities.enabled_names();
    // The running ranked season, so a wallet knows to ask for a record of the new season.
    #[cfg(feature = "ranking")]
    let season = state
        .capabilities
        .seasons
        .as_ref()
        .map(|clock| clock.running_number());
    #[cfg(not(feature = "ranking"))]
    let season: Option<u32> = None;
    Json(json!({
        "name": community.name,
        "url": community.url,
        "signing_key": community.signing_key().to_string(),
        "recovery_key": community.recovery.to_string(),
        "fingerprint": community.signing_key().fingerprint().to_string(),
        "recovery_fingerprint": community.recovery.fingerprint().to_string(),
        "relay_key": community.relay.public_key().to_string(),
        "relays": state.capabilities.relays,
        "capabilities": capabilities,
        "rotations": community.current().rotations.iter().map(|r| b64.encode(r)).collect::<Vec<_>>(),
        "season": season,
        "api_version": API_VERSION,
    }))
}
