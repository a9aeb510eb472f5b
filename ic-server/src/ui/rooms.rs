//! `/ui/rooms`: custom rooms their hosts chose to list, with a free seat and no game yet; a
//! player joins one from their game client or `ic` with the code shown.

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use maud::{Markup, html};

use super::failure::Failure;
use super::layout;
use super::text::date;
use crate::clock::unix_now;
use crate::state::AppState;

/// `GET /ui/rooms`.
pub(super) async fn page(State(state): State<AppState>) -> Response {
    match render(&state) {
        Ok(page) => page.into_response(),
        Err(failure) => failure.into_response(),
    }
}

fn render(state: &AppState) -> Result<Markup, Failure> {
    let (relay, rooms) = state.rooms()?;
    let listed = rooms.listed(unix_now(), |id| relay.game_state(id));
    let body = html! {
        h1 { "Open rooms" }
        p.muted {
            "Custom unranked games waiting for players. Join one from your game client with its "
            "code; rooms that were not listed are found by their code only."
        }
        @if listed.is_empty() {
            p.notice { "No open rooms right now." }
        } @else {
            div.table-wrap {
                table {
                    thead {
                        tr {
                            th scope="col" { "Code" }
                            th scope="col" { "Game" }
                            th scope="col" { "Map" }
                            th.num scope="col" { "Seats" }
                            th.wide scope="col" { "Opened" }
                        }
                    }
                    tbody {
                        @for room in &listed {
                            tr {
                                td { code { (room.code) } }
                                td { (room.module) }
                                td { @if room.map_name.is_empty() { "chosen in the lobby" } @else { (room.map_name) } }
                                td.num { (room.seated) " of " (room.players) }
                                td.wide { (date(room.opened_at)) }
                            }
                        }
                    }
                }
            }
        }
    };
    Ok(layout::page(state, "Open rooms", body))
}
