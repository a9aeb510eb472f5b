//! Player routes: register, own records, refresh, revocations, leaderboard.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use base64::Engine;
use serde::Deserialize;
use serde_json::{Value, json};

use super::AppState;
use super::error::ApiError;
use super::extract::{ApiQuery, ClientIp};
use crate::auth::Principal;
use crate::clock::unix_now;
use crate::store::IssuedRecord;

/// Optional body of a registration.
#[derive(Deserialize, Default)]
pub struct RegisterRequest {
    invite_code: Option<String>,
}

/// Base64 of each record's bytes.
pub(super) fn encode_records(records: &[IssuedRecord]) -> Vec<String> {
    let b64 = base64::engine::general_purpose::STANDARD;
    records.iter().map(|r| b64.encode(&r.bytes)).collect()
}

/// `POST /v1/players`: registers the caller.
pub async fn register(
    State(state): State<AppState>,
    principal: Principal,
    ClientIp(ip): ClientIp,
    body: axum::body::Bytes,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let request: RegisterRequest = if body.is_empty() {
        RegisterRequest::default()
    } else {
        serde_json::from_slice(&body)
            .map_err(|error| ApiError::bad_request("invalid_json", error.to_string()))?
    };
    let authority = state.authority()?;
    let records = authority
        .register(
            principal.key.into(),
            request.invite_code.as_deref(),
            &ip.to_string(),
            unix_now(),
        )
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(json!({ "records": encode_records(&records) })),
    ))
}

/// Query of `GET /v1/players/me/records`.
#[derive(Deserialize)]
pub struct SinceQuery {
    #[serde(default)]
    since: u64,
}

/// `GET /v1/players/me/records?since=`: records after a sequence, and the rotations.
pub async fn my_records(
    State(state): State<AppState>,
    principal: Principal,
    ApiQuery(query): ApiQuery<SinceQuery>,
) -> Result<Json<Value>, ApiError> {
    let authority = state.authority()?;
    let records = authority
        .records_since(&principal.key.into(), query.since)
        .await?;
    let b64 = base64::engine::general_purpose::STANDARD;
    Ok(Json(json!({
        "records": encode_records(&records),
        "rotations": state.community.current().rotations.iter().map(|r| b64.encode(r)).collect::<Vec<_>>(),
    })))
}

/// `POST /v1/players/me/refresh`: re-issues expiring or revoked rating records.
pub async fn refresh(
    State(state): State<AppState>,
    principal: Principal,
) -> Result<Json<Value>, ApiError> {
    let authority = state.authority()?;
    let records = authority.refresh(&principal.key.into(), unix_now()).await?;
    Ok(Json(json!({ "records": encode_records(&records) })))
}

/// A player key from a path: 400 `invalid_key` unless it is `ed25519:<64 hex>`.
pub(super) fn player_key(text: &str) -> Result<scr::PlayerKey, ApiError> {
    text.parse()
        .map_err(|_| ApiError::bad_request("invalid_key", "key must be ed25519:<64 hex>"))
}

/// `GET /v1/players/{key}/revocations`.
pub async fn revocations(
    State(state): State<AppState>,
    Path(key): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let key = player_key(&key)?;
    let authority = state.authority()?;
    let records = authority.revocation_records(&key).await?;
    Ok(Json(json!({ "records": encode_records(&records) })))
}

/// Query of `GET /v1/leaderboard`.
#[derive(Deserialize)]
pub struct LeaderboardQuery {
    module: Option<String>,
    limit: Option<u32>,
    after: Option<String>,
    /// An ended season: its final standings instead of the live board.
    season: Option<u32>,
    /// A player: the page with that player in its middle ("where am I").
    around: Option<String>,
}

/// `GET /v1/leaderboard?module=&limit=&after=&season=&around=`: eligible players, best first,
/// paginated, each with rank, percentile and tier; `around=<key>` gives the page with that
/// player in its middle; with `season` of an ended season, that season's final standings.
///
/// `after` is the `next` cursor of the previous page: `<rating>:<ed25519 key>`.
pub async fn leaderboard(
    State(state): State<AppState>,
    ApiQuery(query): ApiQuery<LeaderboardQuery>,
) -> Result<axum::response::Response, ApiError> {
    use axum::response::IntoResponse;
    let authority = state.authority()?;
    let module = query
        .module
        .or_else(|| state.config.ranking.game_modules.first().cloned())
        .unwrap_or_default();
    let limit = query.limit.unwrap_or(50);
    if !(1..=200).contains(&limit) {
        return Err(ApiError::bad_request(
            "invalid_query",
            "limit must be 1..=200",
        ));
    }
    let after = query.after.as_deref().map(parse_cursor).transpose()?;
    // Only a request naming a season reads the seasons: the live board is the hot path.
    let archived = match query.season {
        Some(season) => authority
            .seasons()
            .await?
            .into_iter()
            .find(|s| !s.ended)
            .is_none_or(|running| running.season != season)
            .then_some(season),
        None => None,
    };
    if let Some(season) = archived {
        return super::seasons::standings_page(&state, season, &module, limit, after)
            .await
            .map(IntoResponse::into_response);
    }
    // Rows and ranks from one rank board snapshot (rebuilt after a change here: at once in a
    // small community, within a second or two in a large one; see docs/ranking.md).
    let built = authority.rank_board(&module).await?;
    let board = &built.board;
    let start = match &query.around {
        Some(around) => {
            let key: scr::PlayerKey = around.parse().map_err(|_| {
                ApiError::bad_request("invalid_query", "around must be ed25519:<64 hex>")
            })?;
            board.around(&key, limit as usize).ok_or_else(|| {
                ApiError::new(
                    StatusCode::NOT_FOUND,
                    "not_ranked",
                    format!(
                        "{key} is not on the {module} leaderboard (not enough games or opponents)"
                    ),
                )
            })?
        }
        None => built.start_after(after),
    };
    let rows = built.rows(start, limit as usize);
    let first_rank = u32::try_from(start + 1).ok();
    let next = next_cursor(
        rows.len(),
        limit,
        rows.last().map(|r| (r.rating.rating, r.player_key)),
    );
    let entries: Vec<LeaderboardEntry> = rows
        .iter()
        .enumerate()
        .map(|(index, row)| {
            let rank = first_rank.map(|first| first + index as u32);
            LeaderboardEntry {
                rank,
                percentile: rank.map(|rank| board.percentile(rank)),
                tier: authority.tier(&row.rating, rank),
                player_key: row.player_key.to_string(),
                rating: row.rating.rating,
                deviation: row.rating.deviation,
                display: authority.display_rating(&row.rating, &row.player_key),
                games_played: row.rating.games_played,
                wins: row.rating.wins,
                losses: row.rating.losses,
                draws: row.rating.draws,
                distinct_opponents: row.distinct_opponents,
            }
        })
        .collect();
    Ok(Json(LeaderboardPage {
        module,
        entries,
        next,
    })
    .into_response())
}

/// One page of `GET /v1/leaderboard`. Typed rather than built as a `serde_json::Value`: a
/// page of 50 entries serializes without a map per entry.
#[derive(serde::Serialize)]
pub struct LeaderboardPage {
    module: String,
    entries: Vec<LeaderboardEntry>,
    next: Option<String>,
}

/// One row of a leaderboard page.
#[derive(serde::Serialize)]
struct LeaderboardEntry {
    rank: Option<u32>,
    percentile: Option<u16>,
    tier: Option<String>,
    player_key: String,
    rating: i64,
    deviation: i64,
    display: String,
    games_played: u32,
    wins: u32,
    losses: u32,
    draws: u32,
    distinct_opponents: u32,
}

/// The `next` cursor of a page of `len` rows asked with `limit`: the last row's position when
/// the page is full (there may be more), else none.
pub(super) fn next_cursor(
    len: usize,
    limit: u32,
    last: Option<(i64, scr::PlayerKey)>,
) -> Option<String> {
    (len == limit as usize)
        .then(|| last.map(|(rating, key)| format!("{rating}:{key}")))
        .flatten()
}

pub(crate) fn parse_cursor(text: &str) -> Result<(i64, scr::PlayerKey), ApiError> {
    let invalid = || ApiError::bad_request("invalid_query", "after must be <rating>:<key>");
    let (rating, key) = text.split_once(':').ok_or_else(invalid)?;
    Ok((
        rating.parse().map_err(|_| invalid())?,
        key.parse().map_err(|_| invalid())?,
    ))
}
