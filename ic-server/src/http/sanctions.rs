//! `GET /v1/sanctions/me`: what keeps the caller out of play and until when. The leaver
//! cooldown (from recorded abandons) on every server; moderators' actions when moderation runs.

use axum::Json;
use axum::extract::State;
use axum::http::Method;
use axum::routing::{MethodRouter, get};
use serde_json::{Value, json};

use super::error::ApiError;
use super::{AppState, Route, route};
use crate::auth::Principal;
use crate::clock::unix_now;
use crate::conduct::{LeaverCooldowns, LeaverPolicy};

/// The sanctions route (every server: leaver cooldowns need no capability of their own).
pub fn routes() -> Vec<Route> {
    vec![route(
        Method::GET,
        "/v1/sanctions/me",
        None,
        false,
        true,
        "The caller's leaver cooldown (why, until when) and, with moderation, moderator actions \
         against the caller and the restrictions in force",
    )]
}

/// The handler of the sanctions route.
pub fn handler(method: &Method, path: &str) -> Option<MethodRouter<AppState>> {
    Some(match (method.as_str(), path) {
        ("GET", "/v1/sanctions/me") => get(my_sanctions),
        _ => return None,
    })
}

/// `GET /v1/sanctions/me`.
async fn my_sanctions(
    State(state): State<AppState>,
    principal: Principal,
) -> Result<Json<Value>, ApiError> {
    let now = unix_now();
    let leavers = LeaverCooldowns::new(
        state.store.clone(),
        LeaverPolicy::new(&state.config.conduct),
    );
    let leaver = leavers
        .cooldown(&principal.key.into(), now)
        .await?
        .map(|cooldown| {
            json!({
                "until": cooldown.until,
                "reason": cooldown.explain(),
                // Appeal it with POST /v1/appeals {"match_id": …, "statement": …}.
                "match_id": hex::encode(cooldown.match_id),
            })
        });
    #[cfg_attr(not(feature = "moderation"), allow(unused_mut))]
    let mut answer = json!({
        "leaver_cooldown": leaver,
        "sanctions": [],
        "queue_restriction": null,
        "chat_restricted_until": null,
    });
    #[cfg(feature = "moderation")]
    if let Some(service) = state.capabilities.moderation.as_deref() {
        moderation_part(service, &principal, now, &mut answer).await?;
    }
    Ok(Json(answer))
}

/// Moderators' actions against the caller and the restrictions they put in force.
#[cfg(feature = "moderation")]
async fn moderation_part(
    service: &crate::moderation::ModerationService,
    principal: &Principal,
    now: i64,
    answer: &mut Value,
) -> Result<(), ApiError> {
    use crate::moderation::ModerationError;
    use crate::moderation::views::action_json;

    let actions = service
        .sanctions_of(&principal.key)
        .await
        .map_err(ModerationError::from)?;
    answer["sanctions"] = json!(actions.iter().map(action_json).collect::<Vec<_>>());
    answer["queue_restriction"] = json!(
        service
            .queue_restriction(&principal.key, now)
            .await
            .map_err(ModerationError::from)?
    );
    answer["chat_restricted_until"] = json!(
        service
            .chat_restricted_until(&principal.key, now)
            .await
            .map_err(ModerationError::from)?
    );
    Ok(())
}
