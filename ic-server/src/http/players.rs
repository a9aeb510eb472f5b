//! Player routes: register, own records, refresh, revocations, leaderboard.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use base64::Engine;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::routes;

use super::error::{ApiError, ErrorBody};
use super::extract::{ApiPath, ApiQuery, ClientIp};
use super::{AppState, RouteGroup};
use crate::auth::Principal;
use crate::clock::unix_now;
use crate::config::Capability;
use crate::store::IssuedRecord;

/// Optional body of a registration.
#[derive(Deserialize, Default, ToSchema)]
pub struct RegisterRequest {
    /// The invite, when the community registers by invitation.
    invite_code: Option<String>,
}

/// Records issued to a player.
#[derive(Serialize, ToSchema)]
pub struct Records {
    /// Each record's bytes, standard base64, in sequence order.
    records: Vec<String>,
}

/// Records issued to the caller, and the community's key rotations.
#[derive(Serialize, ToSchema)]
pub struct MyRecords {
    /// Each record's bytes, standard base64, in sequence order.
    records: Vec<String>,
    /// The community's key-rotation records, base64, oldest first.
    rotations: Vec<String>,
}

/// The routes of this module.
pub(super) fn routes() -> Vec<RouteGroup> {
    let ranking = Some(Capability::Ranking);
    vec![
        RouteGroup::new(ranking)
            .route(routes!(revocations))
            .route(routes!(leaderboard)),
        RouteGroup::new(ranking)
            .authenticated()
            .route(routes!(my_records)),
        RouteGroup::new(ranking)
            .limited()
            .authenticated()
            .route(routes!(register))
            .route(routes!(refresh)),
    ]
}

/// Base64 of each record's bytes.
pub(super) fn encode_records(records: &[IssuedRecord]) -> Vec<String> {
    let b64 = base64::engine::general_purpose::STANDARD;
    records.iter().map(|r| b64.encode(&r.bytes)).collect()
}

/// Registers the caller.
#[utoipa::path(post, path = "/v1/players", tag = "players",
    summary = "Register the caller; returns initial rating records",
    request_body(content = Option<RegisterRequest>, content_type = "application/json",
        description = "Optional: an empty body registers without an invite"),
    responses((status = 201, body = Records),
        (status = 400, body = ErrorBody, description = "`invalid_json`"),
        (status = 403, body = ErrorBody, description = "`invite_required` or `ranked_suspended`"),
        (status = 409, body = ErrorBody, description = "`already_registered`"),
        (status = 429, body = ErrorBody,
            description = "`registration_limit` or `rate_limited`")))]
async fn register(
    State(state): State<AppState>,
    principal: Principal,
    ClientIp(ip): ClientIp,
    body: axum::body::Bytes,
) -> Result<(StatusCode, Json<Records>), ApiError> {
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
            &crate::client_address::address_bucket(ip).to_string(),
            unix_now(),
        )
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(Records {
            records: encode_records(&records),
        }),
    ))
}

/// Query of `GET /v1/players/me/records`.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SinceQuery {
    /// Only records with a higher sequence (default 0: all).
    #[serde(default)]
    since: u64,
}

/// Records after a sequence, and the rotations.
#[utoipa::path(get, path = "/v1/players/me/records", tag = "players",
    summary = "Records issued to the caller after ?since=<sequence>",
    params(SinceQuery),
    responses((status = 200, body = MyRecords),
        (status = 404, body = ErrorBody, description = "`not_registered`")))]
async fn my_records(
    State(state): State<AppState>,
    principal: Principal,
    ApiQuery(query): ApiQuery<SinceQuery>,
) -> Result<Json<MyRecords>, ApiError> {
    let authority = state.authority()?;
    let records = authority
        .records_since(&principal.key.into(), query.since)
        .await?;
    let b64 = base64::engine::general_purpose::STANDARD;
    Ok(Json(MyRecords {
        records: encode_records(&records),
        rotations: state
            .community
            .current()
            .rotations
            .iter()
            .map(|r| b64.encode(r))
            .collect(),
    }))
}

/// Re-issues expiring or revoked rating records.
#[utoipa::path(post, path = "/v1/players/me/refresh", tag = "players",
    summary = "Re-issue expiring or revoked rating records",
    responses((status = 200, body = Records),
        (status = 403, body = ErrorBody, description = "`ranked_suspended`"),
        (status = 404, body = ErrorBody, description = "`not_registered`")))]
async fn refresh(
    State(state): State<AppState>,
    principal: Principal,
) -> Result<Json<Records>, ApiError> {
    let authority = state.authority()?;
    let records = authority.refresh(&principal.key.into(), unix_now()).await?;
    Ok(Json(Records {
        records: encode_records(&records),
    }))
}

/// A player key from a path: 400 `invalid_key` unless it is `ed25519:<64 hex>`.
pub(super) fn player_key(text: &str) -> Result<scr::PlayerKey, ApiError> {
    text.parse()
        .map_err(|_| ApiError::bad_request("invalid_key", "key must be ed25519:<64 hex>"))
}

/// Revocation records of a player.
#[utoipa::path(get, path = "/v1/players/{key}/revocations", tag = "players",
    summary = "Revocation records of a player",
    params(("key" = String, Path, description = "`ed25519:<64 hex>`")),
    responses((status = 200, body = Records),
        (status = 400, body = ErrorBody, description = "`invalid_key`"),
        (status = 404, body = ErrorBody, description = "`not_registered`")))]
async fn revocations(
    State(state): State<AppState>,
    ApiPath(key): ApiPath<String>,
) -> Result<Json<Records>, ApiError> {
    let key = player_key(&key)?;
    let authority = state.authority()?;
    let records = authority.revocation_records(&key).await?;
    Ok(Json(Records {
        records: encode_records(&records),
    }))
}

/// Query of `GET /v1/leaderboard`.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct LeaderboardQuery {
    /// Game module (default: the first configured).
    module: Option<String>,
    /// Rows per page, 1–200 (default 50).
    limit: Option<u32>,
    /// The `next` cursor of the previous page: `<rating>:<ed25519 key>`.
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
#[utoipa::path(get, path = "/v1/leaderboard", tag = "players",
    summary = "Eligible players, best first (?module=&limit=&after=&around=); ?season=<ended \
        season> gives that season's final standings",
    params(LeaderboardQuery),
    responses((status = 200, body = LeaderboardAnswer),
        (status = 400, body = ErrorBody, description = "`invalid_query`"),
        (status = 404, body = ErrorBody, description = "`not_ranked` (the `around` player) or \
            `unknown_season`"),
        (status = 422, body = ErrorBody, description = "`unknown_game_module`")))]
async fn leaderboard(
    State(state): State<AppState>,
    ApiQuery(query): ApiQuery<LeaderboardQuery>,
) -> Result<Json<LeaderboardAnswer>, ApiError> {
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
            .map(|page| Json(LeaderboardAnswer::Season(page)));
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
    Ok(Json(LeaderboardAnswer::Live(LeaderboardPage {
        module,
        entries,
        next,
    })))
}

/// A leaderboard page: the live board, or an ended season's final standings.
#[derive(Serialize)]
#[serde(untagged)]
pub enum LeaderboardAnswer {
    /// The live board.
    Live(LeaderboardPage),
    /// An ended season's final standings (`?season=`).
    Season(super::seasons::StandingsPage),
}

// By hand: the derive would make the two shapes `oneOf`, and an empty page of either shape
// matches both, which `oneOf` forbids.
impl utoipa::PartialSchema for LeaderboardAnswer {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{AnyOfBuilder, Ref};
        AnyOfBuilder::new()
            .item(Ref::from_schema_name("LeaderboardPage"))
            .item(Ref::from_schema_name("StandingsPage"))
            .into()
    }
}

impl ToSchema for LeaderboardAnswer {
    fn schemas(
        schemas: &mut Vec<(
            String,
            utoipa::openapi::RefOr<utoipa::openapi::schema::Schema>,
        )>,
    ) {
        schemas.push((
            "LeaderboardPage".into(),
            <LeaderboardPage as utoipa::PartialSchema>::schema(),
        ));
        <LeaderboardPage as ToSchema>::schemas(schemas);
        schemas.push((
            "StandingsPage".into(),
            <super::seasons::StandingsPage as utoipa::PartialSchema>::schema(),
        ));
        <super::seasons::StandingsPage as ToSchema>::schemas(schemas);
    }
}

/// One page of the live leaderboard. Typed rather than built as a `serde_json::Value`: a
/// page of 50 entries serializes without a map per entry.
#[derive(Serialize, ToSchema)]
pub struct LeaderboardPage {
    /// Game module.
    module: String,
    /// Best first.
    entries: Vec<LeaderboardEntry>,
    /// `after` for the next page; none on the last.
    next: Option<String>,
}

/// One row of a leaderboard page.
#[derive(Serialize, ToSchema)]
struct LeaderboardEntry {
    /// Rank on the board.
    rank: Option<u32>,
    /// Share of the others ranked below, in tenths of a percent.
    percentile: Option<u16>,
    /// Tier.
    tier: Option<String>,
    /// The player.
    player_key: String,
    /// Rating ×1000.
    rating: i64,
    /// Deviation ×1000.
    deviation: i64,
    /// The rating as shown to people.
    display: String,
    /// Rated games this season.
    games_played: u32,
    /// Wins this season.
    wins: u32,
    /// Losses this season.
    losses: u32,
    /// Draws this season.
    draws: u32,
    /// Distinct opponents met.
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
