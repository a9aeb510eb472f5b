//! `GET /v1/federation/sanctions`: this community's moderation outcomes as a signed feed that
//! other communities subscribe to, when the operator publishes it.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::routes;

use super::error::{ApiError, ErrorBody};
use super::extract::ApiQuery;
use super::{AppState, RouteGroup};
use crate::config::Capability;
use crate::federation::sanction_feed::{FeedError, MAX_FEED_PAGE, published};

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

/// The route of this module.
pub(super) fn routes() -> Vec<RouteGroup> {
    vec![RouteGroup::new(Some(Capability::Moderation)).route(routes!(sanctions))]
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
