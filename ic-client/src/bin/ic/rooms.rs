//! `ic rooms` and `ic live`: custom rooms shared by a code, with the records a room's
//! requirement asks for, and spectator tickets for rooms and placed matches.

use std::path::Path;
use std::process::ExitCode;

use anyhow::Result;
use clap::Subcommand;
use ic_client::api::{CommunityRequirement, RoomRequest, Seat, TrustRequirement};
use ic_client::wallet::Wallet;

use crate::play::{anonymous, presented_records, print, signed_in};

/// `ic rooms …`.
#[derive(Subcommand)]
pub enum RoomsCommand {
    /// The listed rooms with a free seat, newest first.
    List {
        /// Community slug, name or fingerprint.
        community: String,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Open a room; prints its code and your ticket.
    Open {
        /// Community slug, name or fingerprint.
        community: String,
        /// Game module.
        #[arg(long)]
        module: String,
        /// Seats (default 2).
        #[arg(long)]
        players: Option<u8>,
        /// Teams (default 2).
        #[arg(long)]
        teams: Option<u8>,
        /// Map name (default: chosen in the game's lobby).
        #[arg(long, default_value = "")]
        map: String,
        /// SHA-256 of the map file, 64 hex characters.
        #[arg(long)]
        map_hash: Option<String>,
        /// Ticks per second (default: the relay's).
        #[arg(long)]
        tick_rate: Option<u32>,
        /// Show it in the community's list of open rooms.
        #[arg(long)]
        listed: bool,
        /// Require players (you included) to present a rating record of the community with
        /// this signing key: `ed25519:<hex>[:<min games>[:<min rating>]]` (repeat for more).
        #[arg(long = "require", value_parser = parse_requirement)]
        require: Vec<CommunityRequirement>,
        /// Require players to present any record that verifies.
        #[arg(long, conflicts_with = "require")]
        require_any: bool,
        /// Present your rating record of this other community you joined, for the room's
        /// requirement (repeat for more).
        #[arg(long = "present")]
        present: Vec<String>,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Take a seat in a room by its code.
    Join {
        /// Community slug, name or fingerprint.
        community: String,
        /// The room's code.
        code: String,
        /// Present your rating record of this other community you joined, for the room's
        /// requirement (repeat for more).
        #[arg(long = "present")]
        present: Vec<String>,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Watch a room by its code (the game arrives delayed).
    Watch {
        /// Community slug, name or fingerprint.
        community: String,
        /// The room's code.
        code: String,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

/// `ic live …`.
#[derive(Subcommand)]
pub enum LiveCommand {
    /// Matches the matchmaker placed in the last two hours, newest first.
    List {
        /// Community slug, name or fingerprint.
        community: String,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// A spectator's ticket for a placed match (ranked games arrive at least 120 s late).
    Watch {
        /// Community slug, name or fingerprint.
        community: String,
        /// The relay's game id, from `ic live list`.
        game_id: u64,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

pub fn describe_seat(seat: &Seat) -> String {
    let place = match (seat.slot, seat.team) {
        (Some(slot), Some(team)) => format!("seat {slot}, team {team}"),
        _ => "spectator".to_owned(),
    };
    let code = seat
        .code
        .as_deref()
        .map_or_else(String::new, |code| format!("room {code}, "));
    format!(
        "{code}game {} on relay {}: {place}\nticket {}",
        seat.game_id,
        seat.relay_address.as_deref().unwrap_or("-"),
        seat.ticket
    )
}

pub async fn rooms_command(
    wallet: &Wallet,
    passphrase_file: Option<&Path>,
    command: RoomsCommand,
) -> Result<ExitCode> {
    let seat = match command {
        RoomsCommand::List { community, json } => {
            let rooms = anonymous(wallet, &community).await?.rooms().await?;
            print(&rooms, json, || {
                if rooms.is_empty() {
                    return "no open rooms".to_owned();
                }
                rooms
                    .iter()
                    .map(|room| {
                        format!(
                            "{}  {} {}  {}/{} seated",
                            room.code, room.module, room.map_name, room.seated, room.players
                        )
                    })
                    .collect::<Vec<_>>()
                    .join("\n")
            })?;
            return Ok(ExitCode::SUCCESS);
        }
        RoomsCommand::Open {
            community,
            module,
            players,
            teams,
            map,
            map_hash,
            tick_rate,
            listed,
            require,
            require_any,
            present,
            json,
        } => {
            let credentials = presented_records(wallet, &present).await?;
            let (api, session) = signed_in(wallet, passphrase_file, &community).await?;
            let requires = match (require_any, require.is_empty()) {
                (true, _) => TrustRequirement::AnyVerified,
                (false, true) => TrustRequirement::None,
                (false, false) => TrustRequirement::Communities {
                    communities: require,
                },
            };
            let request = RoomRequest {
                module,
                players,
                teams,
                map_name: map,
                map_hash,
                tick_rate,
                listed,
                requires,
                credentials,
            };
            (api.open_room(&session, &request).await?, json)
        }
        RoomsCommand::Join {
            community,
            code,
            present,
            json,
        } => {
            let credentials = presented_records(wallet, &present).await?;
            let (api, session) = signed_in(wallet, passphrase_file, &community).await?;
            (api.join_room(&session, &code, &credentials).await?, json)
        }
        RoomsCommand::Watch {
            community,
            code,
            json,
        } => {
            let (api, session) = signed_in(wallet, passphrase_file, &community).await?;
            (api.watch_room(&session, &code).await?, json)
        }
    };
    let (seat, json) = seat;
    print(&seat, json, || describe_seat(&seat))?;
    Ok(ExitCode::SUCCESS)
}

pub async fn live_command(
    wallet: &Wallet,
    passphrase_file: Option<&Path>,
    command: LiveCommand,
) -> Result<ExitCode> {
    match command {
        LiveCommand::List { community, json } => {
            let (api, session) = signed_in(wallet, passphrase_file, &community).await?;
            let matches = api.live_matches(&session).await?;
            print(&matches, json, || {
                if matches.is_empty() {
                    return "no matches placed lately".to_owned();
                }
                matches
                    .iter()
                    .map(|live| {
                        format!(
                            "game {}  {}{}  relay {}",
                            live.game_id,
                            live.queue,
                            if live.ranked { " (ranked)" } else { "" },
                            live.relay_address
                        )
                    })
                    .collect::<Vec<_>>()
                    .join("\n")
            })?;
        }
        LiveCommand::Watch {
            community,
            game_id,
            json,
        } => {
            let (api, session) = signed_in(wallet, passphrase_file, &community).await?;
            let seat = api.watch_live(&session, game_id).await?;
            print(&seat, json, || describe_seat(&seat))?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Reads `--require ed25519:<hex>[:<min games>[:<min rating>]]`.
fn parse_requirement(text: &str) -> Result<CommunityRequirement, String> {
    let fields: Vec<&str> = text.split(':').collect();
    let (key, numbers) = match fields.as_slice() {
        [scheme, hex, numbers @ ..] if numbers.len() <= 2 => (format!("{scheme}:{hex}"), numbers),
        _ => {
            return Err(format!(
                "{text:?} is not ed25519:<hex>[:<min games>[:<min rating>]]"
            ));
        }
    };
    key.parse::<scr::CommunityKey>()
        .map_err(|error| format!("{key:?} is not a community key (ed25519:<64 hex>): {error}"))?;
    let min_games = match numbers.first() {
        Some(text) => text
            .parse::<u32>()
            .map_err(|_| format!("min games {text:?} is not a whole number"))?,
        None => 0,
    };
    let min_rating = match numbers.get(1) {
        Some(text) => Some(
            text.parse::<i64>()
                .map_err(|_| format!("min rating {text:?} is not a whole number"))?,
        ),
        None => None,
    };
    Ok(CommunityRequirement {
        key,
        min_games,
        min_rating,
        module: None,
    })
}

#[cfg(test)]
mod tests {
    use super::parse_requirement;

    #[test]
    fn requirements_read_a_key_with_optional_minimums() {
        let key = format!("ed25519:{}", "ab".repeat(32));
        let plain = parse_requirement(&key).unwrap();
        assert_eq!((plain.min_games, plain.min_rating), (0, None));
        let both = parse_requirement(&format!("{key}:10:1500")).unwrap();
        assert_eq!(
            (both.key, both.min_games, both.min_rating),
            (key.clone(), 10, Some(1500))
        );
        assert!(parse_requirement(&format!("{key}:ten")).is_err());
        assert!(parse_requirement(&format!("{key}:1:2:3")).is_err());
        assert!(parse_requirement("ed25519:zz").is_err());
    }
}
