//! `GET /v1/sanctions/me`: what keeps the caller out of play and until when. The leaver
//! cooldown (from recorded abandons) on every server; moderators' actions when moderation runs.

use axum::Json;
use axum::extract::State;
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::routes;

use super::error::ApiError;
use super::{AppState, RouteGroup};
use crate::auth::Principal;
use crate::clock::unix_now;
use crate::conduct::{LeaverCooldowns, LeaverPolicy};
#[cfg(feature = "moderation")]
use crate::moderation::Restriction;
#[cfg(feature = "moderation")]
use crate::moderation::views::ActionView;

/// A leaver cooldown in force.
#[derive(Serialize, ToSchema)]
pub struct LeaverCooldownView {
    /// Unix seconds it ends.
    until: i64,
    /// Why, as the player reads it.
    reason: String,
    /// The abandoned match that started it; appeal it with `POST /v1/appeals`
    /// `{"match_id": …, "statement": …}`.
    match_id: String,
}

/// What keeps the caller out of play.
#[derive(Serialize, ToSchema)]
pub struct MySanctions {
    /// The leaver cooldown in force, if any.
    leaver_cooldown: Option<LeaverCooldownView>,
    /// Moderators' actions against the caller (empty without moderation).
    #[cfg(feature = "moderation")]
    sanctions: Vec<ActionView>,
    /// Moderators' actions against the caller (empty without moderation).
    #[cfg(not(feature = "moderation"))]
    #[schema(value_type = Vec<Object>)]
    sanctions: Vec<serde_json::Value>,
    /// The queue restriction in force, if any.
    #[cfg(feature = "moderation")]
    queue_restriction: Option<Restriction>,
    /// The queue restriction in force, if any.
    #[cfg(not(feature = "moderation"))]
    #[schema(value_type = Option<Object>)]
    queue_restriction: Option<serde_json::Value>,
    /// Unix seconds the chat restriction in force ends, if any.
    chat_restricted_until: Option<i64>,
}

/// The sanctions route (every server: leaver cooldowns need no capability of their own).
pub(super) fn routes() -> Vec<RouteGroup> {
    vec![
        RouteGroup::new(None)
            .authenticated()
            .route(routes!(my_sanctions)),
    ]
}

/// What keeps the caller out of play and until when.
#[utoipa::path(get, path = "/v1/sanctions/me", tag = "moderation",
    summary = "The caller's leaver cooldown (why, until when) and, with moderation, moderator \
        actions against the caller and the restrictions in force",
    responses((status = 200, body = MySanctions)))]
async fn my_sanctions(
    State(state): State<AppState>,
    principal: Principal,
) -> Result<Json<MySanctions>, ApiError> {
    let now = unix_now();
    let leavers = LeaverCooldowns::new(
        state.store.clone(),
        LeaverPolicy::new(&state.config.conduct),
    );
    let leaver_cooldown = leavers
        .cooldown(&principal.key.into(), now)
        .await?
        .map(|cooldown| LeaverCooldownView {
            until: cooldown.until,
            reason: cooldown.explain(),
            match_id: hex::encode(cooldown.match_id),
        });
    #[cfg_attr(not(feature = "moderation"), allow(unused_mut))]
    let mut answer = MySanctions {
        leaver_cooldown,
        sanctions: Vec::new(),
        queue_restriction: None,
        chat_restricted_until: None,
    };
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
    answer: &mut MySanctions,
) -> Result<(), ApiError> {
    use crate::moderation::ModerationError;
    use crate::moderation::views::action_view;

    let actions = service
        .sanctions_of(&principal.key)
        .await
        .map_err(ModerationError::from)?;
    answer.sanctions = actions.iter().map(action_view).collect();
    answer.queue_restriction = service
        .queue_restriction(&principal.key, now)
        .await
        .map_err(ModerationError::from)?;
    answer.chat_restricted_until = service
        .chat_restricted_until(&principal.key, now)
        .await
        .map_err(ModerationError::from)?;
    Ok(())
}
