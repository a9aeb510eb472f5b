//! `/ui/matches`: matches the matchmaker placed on a relay in the last two hours, newest first,
//! with their players; spectating itself happens in a game client with a ticket.

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use maud::{Markup, html};

use super::failure::Failure;
use super::layout;
use super::text::{date, short_key};
use crate::state::AppState;

/// `GET /ui/matches`.
pub(super) async fn page(State(state): State<AppState>) -> Response {
    match render(&state) {
        Ok(page) => page.into_response(),
        Err(failure) => failure.into_response(),
    }
}

fn render(state: &AppState) -> Result<Markup, Failure> {
    let matches = state.matchmaker()?.live_matches();
    let body = html! {
        h1 { "Live matches" }
        p.muted {
            "Matches placed in the last two hours. Watch one from your game client; ranked "
            "matches reach spectators with a delay."
        }
        @if matches.is_empty() {
            p.notice { "No matches right now." }
        } @else {
            div.table-wrap {
                table {
                    thead {
                        tr {
                            th scope="col" { "Queue" }
                            th scope="col" { "Side A" }
                            th scope="col" { "Side B" }
                            th.wide scope="col" { "Started" }
                            th.num.wide scope="col" { "Game" }
                        }
                    }
                    tbody {
                        @for live in &matches {
                            tr {
                                td { (live.queue) @if live.ranked() { " (ranked)" } }
                                @for team in &live.teams {
                                    td {
                                        @for (i, key) in team.iter().enumerate() {
                                            @let key = key.to_string();
                                            @if i > 0 { ", " }
                                            a.key href={ "/ui/players/" (key) } { (short_key(&key)) }
                                        }
                                    }
                                }
                                td.wide { (date(i64::try_from(live.placed_ms / 1000).unwrap_or(i64::MAX))) }
                                td.num.wide { (live.game_id()) }
                            }
                        }
                    }
                }
            }
        }
    };
    Ok(layout::page(state, "Live matches", body))
}
