//! `/ui/players/ed25519:<hex>`: one player's public standing in every game module they play.

use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use maud::{Markup, html};

use super::failure::Failure;
use super::layout;
use super::leaderboard::tier_label;
use super::rating_chart::{self, Point};
use super::text::{date, short_key, thousandths};
use crate::http::ApiError;
use crate::state::AppState;

/// `GET /ui/players/{key}`.
pub(super) async fn page(State(state): State<AppState>, Path(key): Path<String>) -> Response {
    match render(&state, &key).await {
        Ok(page) => page.into_response(),
        Err(failure) => failure.into_response(),
    }
}

async fn render(state: &AppState, key: &str) -> Result<Markup, Failure> {
    let player: scr::PlayerKey = key.parse().map_err(|_| {
        ApiError::bad_request("invalid_key", "a player key is ed25519:<64 hex digits>")
    })?;
    let authority = state.authority()?;
    let ratings = authority.standing(&player).await?;
    let mut ranks = Vec::with_capacity(ratings.len());
    for row in &ratings {
        let (rank, _) = authority.rank(&row.game_module, &player).await?;
        ranks.push((rank > 0).then_some(rank));
    }
    // The newest matches the history keeps: the chart draws them all, the table the last ten.
    let history = authority.match_history(&player, None, 100).await?;
    let recent = &history[..history.len().min(10)];
    let full = player.to_string();
    let body = html! {
        h1 { "Player " span.key { (short_key(&full)) } }
        p.key.muted { (full) }
        @if ratings.is_empty() {
            p.notice { "Registered; no rated matches yet." }
        } @else {
            div.table-wrap {
                table {
                    caption.muted { "Standing per game module" }
                    thead {
                        tr {
                            th scope="col" { "Game module" }
                            th scope="col" { "Tier" }
                            th.num scope="col" { "Rank" }
                            th.num scope="col" { "Rating" }
                            th.num.wide scope="col" { "Deviation" }
                            th.num scope="col" { "Games" }
                            th.num scope="col" { "W–L–D" }
                            th.num.wide scope="col" { "Streak" }
                            th.wide scope="col" { "Last played" }
                        }
                    }
                    tbody {
                        @for (row, rank) in ratings.iter().zip(&ranks) {
                            tr {
                                td {
                                    a href={ "/ui/leaderboard?module=" (row.game_module) } {
                                        (row.game_module)
                                    }
                                }
                                td { (tier_label(state, row, *rank)) }
                                td.num {
                                    @match rank {
                                        Some(rank) => (rank),
                                        None => "–",
                                    }
                                }
                                td.num { (authority.display_rating(row, &player)) }
                                td.num.wide { "±" (thousandths(row.deviation)) }
                                td.num { (row.games_played) }
                                td.num { (row.wins) "–" (row.losses) "–" (row.draws) }
                                td.num.wide { (row.streak) }
                                td.wide {
                                    @match row.last_played_at {
                                        Some(at) => (date(at)),
                                        None => "never",
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        @for row in &ratings {
            (rating_chart::chart(&row.game_module, &chart_points(&history, &row.game_module)))
        }
        @if !recent.is_empty() {
            div.table-wrap {
                table {
                    caption.muted { "Recent matches" }
                    thead {
                        tr {
                            th scope="col" { "Result" }
                            th.num scope="col" { "Rating change" }
                            th scope="col" { "Opponents" }
                            th.wide scope="col" { "Game module" }
                            th.wide scope="col" { "Map" }
                            th.wide scope="col" { "Played" }
                        }
                    }
                    tbody {
                        @for entry in recent {
                            @let team = entry.payload.participants.iter()
                                .find(|p| p.player_key == player).map(|p| p.team);
                            tr {
                                td { (entry.payload.result.name()) }
                                td.num {
                                    (format!("{:+}", thousandths(entry.payload.rating_after - entry.payload.rating_before)))
                                }
                                td {
                                    @for other in entry.payload.participants.iter().filter(|p| Some(p.team) != team) {
                                        @let key = other.player_key.to_string();
                                        a.key href={ "/ui/players/" (key) } { (short_key(&key)) } " "
                                    }
                                }
                                td.wide { (entry.payload.game_module) }
                                td.wide { (entry.payload.map_name) }
                                td.wide { (date(entry.payload.played_at)) }
                            }
                        }
                    }
                }
            }
        }
    };
    Ok(layout::page(state, "Player", body))
}

/// The points of `module`'s chart, oldest first: the rating before the oldest match kept, then
/// the rating after each.
fn chart_points(history: &[crate::authority::HistoryEntry], module: &str) -> Vec<Point> {
    let mut matches: Vec<&crate::authority::HistoryEntry> = history
        .iter()
        .filter(|entry| entry.payload.game_module == module)
        .collect();
    matches.reverse();
    let mut points = Vec::with_capacity(matches.len() + 1);
    if let Some(oldest) = matches.first() {
        points.push(Point {
            played_at: oldest.payload.played_at,
            rating: oldest.payload.rating_before,
        });
    }
    points.extend(matches.iter().map(|entry| Point {
        played_at: entry.payload.played_at,
        rating: entry.payload.rating_after,
    }));
    points
}
