//! `GET /v1/federation/sanctions`: this community's moderation outcomes as a signed feed that
//! other communities subscribe to, when the operator publishes it; and, for staff,
//! `GET /v1/federation/subscriptions`: what this community read from the feeds it subscribes to.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::routes;

use super::error::{ApiError, ErrorBody};
use super::extract::ApiQuery;
use super::{AppState, RouteGroup};
use crate::auth::Principal;
use crate::config::{Capability, SanctionPolicy};
use crate::federation::sanction_feed::{FeedError, MAX_FEED_PAGE, published};
use crate::federation::subscriber::PollStatus;
use crate::store::moderation::ReceivedOutcome;

impl From<FeedError> for ApiError {
    fn from(error: FeedError) -> Self {
        let (status, code) = match &error {
            FeedError::Store(_) => (StatusCode::SERVICE_UNAVAILABLE, "storage_unavailable"),
            FeedError::Superseded(_) => (StatusCode::SERVICE_UNAVAILABLE, "signing_key_superseded"),
            FeedError::Entry(_) => (StatusCode::SERVICE_UNAVAILABLE, "feed_unavailable"),
        };
        tracing::error!(%error, "serving the sanction feed failed");
        ApiError::new(status, code, error.to_string())
    }
}

/// Query of `GET /v1/federation/sanctions`.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct FeedQuery {
    /// Entries after this position (default 0: from the start).
    #[serde(default)]
    since: u64,
    /// At most this many entries (default 100, at most 1000).
    #[param(minimum = 1, maximum = 1000)]
    limit: Option<u32>,
}

/// One published entry.
#[derive(Serialize, ToSchema)]
pub struct FeedEntry {
    /// Its position in the feed.
    seq: u64,
    /// The entry: a C2SP signed note whose body is the `ic-sanction/v1` text, signed by the
    /// community's key under `origin`.
    note: String,
}

/// A page of the feed.
#[derive(Serialize, ToSchema)]
pub struct FeedPageBody {
    /// The origin the entries are signed under (`transparency_origin` in the community
    /// document).
    origin: String,
    /// Entries in feed order; ask again with `since` = the last `seq` for more.
    entries: Vec<FeedEntry>,
}

/// The routes of this module.
pub(super) fn routes() -> Vec<RouteGroup> {
    vec![
        RouteGroup::new(Some(Capability::Moderation)).route(routes!(sanctions)),
        RouteGroup::new(Some(Capability::Moderation))
            .authenticated()
            .route(routes!(subscriptions)),
    ]
}

/// Query of `GET /v1/federation/subscriptions`.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ReceivedQuery {
    /// The newest entries received to list (default 50, at most 500).
    #[param(minimum = 1, maximum = 500)]
    limit: Option<u32>,
}

/// One subscribed publisher.
#[derive(Serialize, ToSchema)]
pub struct SubscriptionView {
    /// Its base URL.
    url: String,
    /// The key pinned for it.
    key: String,
    /// What each action kind does here (`default` for the rest; `review` when unset).
    #[schema(value_type = Object)]
    policy: std::collections::BTreeMap<String, SanctionPolicy>,
    /// The last feed position received.
    last_seq: u64,
    /// Entries received, per outcome (`ignored`, `review`, `applied`, `lifted`, `refused`).
    #[schema(value_type = Object)]
    counts: std::collections::BTreeMap<&'static str, u64>,
    /// When this process last read the feed, and why the last read failed.
    #[serde(flatten)]
    status: PollStatus,
}

/// One entry received.
#[derive(Serialize, ToSchema)]
pub struct ReceivedView {
    /// The publisher's pinned key.
    publisher: String,
    /// Where it was read.
    publisher_url: String,
    /// Its position in the publisher's feed.
    seq: u64,
    /// The sanctioned player, when the entry verified.
    subject: Option<String>,
    /// The action as published, when the entry verified.
    action: Option<String>,
    /// What it did here.
    outcome: ReceivedOutcome,
    /// Why.
    detail: String,
    /// The local case it opened, joined, applied under or closed.
    case_id: Option<String>,
    /// The local sanction it applied or reversed.
    action_id: Option<String>,
    /// Unix seconds.
    received_at: i64,
}

/// What was read from other communities' feeds.
#[derive(Serialize, ToSchema)]
pub struct SubscriptionsBody {
    /// Each subscribed publisher, in config order.
    subscriptions: Vec<SubscriptionView>,
    /// The newest entries received, newest first.
    received: Vec<ReceivedView>,
}

/// The sanction feeds this community subscribes to, for moderators and admins.
#[utoipa::path(get, path = "/v1/federation/subscriptions", tag = "federation",
    summary = "The sanction feeds this community reads: per publisher its policy, counts per \
        outcome (refused entries included) and last error; and the newest entries received",
    params(ReceivedQuery),
    responses((status = 200, body = SubscriptionsBody),
        (status = 400, body = ErrorBody, description = "`invalid_query`"),
        (status = 403, body = ErrorBody, description = "`forbidden`: needs moderator or admin")))]
async fn subscriptions(
    State(state): State<AppState>,
    principal: Principal,
    ApiQuery(query): ApiQuery<ReceivedQuery>,
) -> Result<Json<SubscriptionsBody>, ApiError> {
    let limit = query.limit.unwrap_or(50);
    if !(1..=500).contains(&limit) {
        return Err(ApiError::bad_request(
            "invalid_query",
            "limit must be 1 to 500",
        ));
    }
    let moderation = state.moderation()?;
    let (counts, received) = moderation.received(&principal, limit).await?;
    let statuses = state
        .capabilities
        .subscriber
        .as_ref()
        .map(|subscriber| subscriber.statuses())
        .unwrap_or_default();
    let subscriptions = statuses
        .into_iter()
        .map(|(config, status)| {
            let key = config.key.to_string();
            let mine = counts.iter().find(|c| c.publisher == key);
            SubscriptionView {
                url: config.url,
                policy: config.policy,
                last_seq: mine.map_or(0, |c| c.last_seq),
                counts: ReceivedOutcome::ALL
                    .iter()
                    .map(|outcome| {
                        let count = mine
                            .and_then(|c| c.by_outcome.iter().find(|(o, _)| o == outcome))
                            .map_or(0, |(_, n)| *n);
                        (outcome.name(), count)
                    })
                    .collect(),
                key,
                status,
            }
        })
        .collect();
    Ok(Json(SubscriptionsBody {
        subscriptions,
        received: received
            .into_iter()
            .map(|r| ReceivedView {
                publisher: r.publisher,
                publisher_url: r.publisher_url,
                seq: r.seq,
                subject: r.subject.map(|key| key.to_string()),
                action: r.action,
                outcome: r.outcome,
                detail: r.detail,
                case_id: r.case_id,
                action_id: r.action_id,
                received_at: r.received_at,
            })
            .collect(),
    }))
}

/// The sanction feed.
#[utoipa::path(get, path = "/v1/federation/sanctions", tag = "federation",
    summary = "This community's sanctions and their liftings, each signed by the community key",
    params(FeedQuery),
    responses((status = 200, body = FeedPageBody),
        (status = 400, body = ErrorBody, description = "`invalid_query`"),
        (status = 404, body = ErrorBody, description = "`feed_not_published`"),
        (status = 503, body = ErrorBody, description = "`signing_key_superseded`")))]
async fn sanctions(
    State(state): State<AppState>,
    ApiQuery(query): ApiQuery<FeedQuery>,
) -> Result<Json<FeedPageBody>, ApiError> {
    if !state.config.federation.publish_sanctions {
        return Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "feed_not_published",
            "this community does not publish its sanctions ([federation] publish_sanctions)",
        ));
    }
    let limit = query.limit.unwrap_or(100);
    if !(1..=MAX_FEED_PAGE).contains(&limit) {
        return Err(ApiError::bad_request(
            "invalid_query",
            format!("limit must be 1 to {MAX_FEED_PAGE}"),
        ));
    }
    let moderation = state.moderation()?;
    let page = published(
        moderation.store().as_ref(),
        &state.community,
        query.since,
        limit,
    )
    .await?;
    Ok(Json(FeedPageBody {
        origin: page.origin,
        entries: page
            .entries
            .into_iter()
            .map(|(seq, note)| FeedEntry { seq, note })
            .collect(),
    }))
}
