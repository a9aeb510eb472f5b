//! `/ui/leaderboard`: eligible players of one game module, best first, fifty to a page, with
//! their tier; the same rows, rules and cursor as `GET /v1/leaderboard`.

use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};
use maud::{Markup, html};
use serde::Deserialize;

use super::failure::Failure;
use super::layout;
use super::text::short_key;
use crate::http::parse_cursor;
use crate::state::AppState;
use crate::store::RatingRow;

const PAGE_SIZE: u32 = 50;

/// Query of the page.
#[derive(Deserialize)]
pub(super) struct LeaderboardQuery {
    module: Option<String>,
    /// The last row of the previous page, `<rating>:<key>`.
    after: Option<String>,
    /// The rank of this page's first row (display only).
    start: Option<u32>,
}

/// The tier shown for a rating row at leaderboard rank `rank`; the placement count while
/// placing.
pub(super) fn tier_label(state: &AppState, row: &RatingRow, rank: Option<u32>) -> String {
    let Ok(authority) = state.authority() else {
        return String::new();
    };
    match authority.tier(row, rank) {
        Some(tier) => tier,
        None => {
            let placement = state.config.rating.season.placement_matches;
            format!("Placing ({}/{placement})", row.games_played)
        }
    }
}

/// `GET /ui/leaderboard?module=&after=&start=`.
pub(super) async fn page(
    State(state): State<AppState>,
    query: Result<Query<LeaderboardQuery>, QueryRejection>,
) -> Response {
    match render(&state, query).await {
        Ok(page) => page.into_response(),
        Err(failure) => failure.into_response(),
    }
}

async fn render(
    state: &AppState,
    query: Result<Query<LeaderboardQuery>, QueryRejection>,
) -> Result<Markup, Failure> {
    let Query(query) = query.map_err(|rejection| Failure::bad_query(rejection.body_text()))?;
    let authority = state.authority()?;
    let modules = &state.config.ranking.game_modules;
    let module = query
        .module
        .or_else(|| modules.first().cloned())
        .unwrap_or_default();
    let after = query.after.as_deref().map(parse_cursor).transpose()?;
    let start = query.start.unwrap_or(1).max(1);
    let rows = authority.leaderboard(&module, PAGE_SIZE, after).await?;
    let next = (rows.len() == PAGE_SIZE as usize)
        .then(|| rows.last())
        .flatten()
        .map(|last| {
            format!(
                "/ui/leaderboard?module={module}&after={}:{}&start={}",
                last.rating.rating,
                last.player_key,
                start.saturating_add(PAGE_SIZE)
            )
        });
    let body = html! {
        h1 { "Leaderboard" }
        @if modules.len() > 1 {
            nav aria-label="Game modules" {
                ul.tags {
                    @for name in modules {
                        li {
                            @if *name == module {
                                strong aria-current="page" { (name) }
                            } @else {
                                a href={ "/ui/leaderboard?module=" (name) } { (name) }
                            }
                        }
                    }
                }
            }
        }
        p.muted {
            "Players appear after " (state.config.rating.leaderboard.min_matches)
            " rated matches against at least "
            (state.config.rating.leaderboard.min_distinct_opponents) " different opponents."
        }
        @if rows.is_empty() {
            p.notice { "No eligible players in " (module) " yet." }
        } @else {
            div.table-wrap {
                table {
                    caption.muted { (module) }
                    thead {
                        tr {
                            th.num scope="col" { "#" }
                            th scope="col" { "Player" }
                            th scope="col" { "Tier" }
                            th.num scope="col" { "Rating" }
                            th.num scope="col" { "Games" }
                            th.num.wide scope="col" { "W–L–D" }
                        }
                    }
                    tbody {
                        @for (offset, row) in rows.iter().enumerate() {
                            @let rank = start.saturating_add(u32::try_from(offset).unwrap_or(u32::MAX));
                            @let key = row.player_key.to_string();
                            tr {
                                td.num { (rank) }
                                td.key { a href={ "/ui/players/" (key) } { (short_key(&key)) } }
                                td { (tier_label(state, &row.rating, Some(rank))) }
                                td.num { (authority.display_rating(&row.rating, &row.player_key)) }
                                td.num { (row.rating.games_played) }
                                td.num.wide {
                                    (row.rating.wins) "–" (row.rating.losses) "–" (row.rating.draws)
                                }
                            }
                        }
                    }
                }
            }
        }
        nav.pager aria-label="Pages" {
            @if start > 1 {
                a href={ "/ui/leaderboard?module=" (module) } { "First page" }
            }
            @if let Some(next) = next {
                a href=(next) rel="next" { "Next page" }
            }
        }
    };
    Ok(layout::page(state, "Leaderboard", body))
}
