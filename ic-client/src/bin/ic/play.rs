//! `ic queue`, `ic rooms` and `ic live`: matchmaking with the wallet's rating record, custom
//! rooms shared by a code, and watching placed matches. Each prints a line, or JSON.

use std::path::Path;
use std::process::ExitCode;

use anyhow::{Context as _, Result};
use clap::Subcommand;
use ic_client::api::{ApiClient, Joined, PresentedRecord, QueueEvent, QueueRequest, Session};
use ic_client::unix_now;
use ic_client::wallet::Wallet;
use scr::PlayerKey;
use serde::Serialize;

use crate::identity::load_identity;
use crate::rooms::{LiveCommand, RoomsCommand, live_command, rooms_command};

/// Matchmaking, rooms and spectating.
#[derive(Subcommand)]
pub enum PlayCommand {
    /// Matchmaking in a joined community: queue with your rating record, follow the queue,
    /// answer the ready check, ban maps.
    Queue {
        #[command(subcommand)]
        command: QueueCommand,
    },
    /// Custom unranked games on the community's relay, shared by a short code.
    Rooms {
        #[command(subcommand)]
        command: RoomsCommand,
    },
    /// Matches the matchmaker placed lately, and a spectator's ticket for one.
    Live {
        #[command(subcommand)]
        command: LiveCommand,
    },
}

/// `ic queue …`.
#[derive(Subcommand)]
pub enum QueueCommand {
    /// Join a queue with your current rating record (or invite a party to it).
    Join {
        /// Community slug, name or fingerprint.
        community: String,
        /// `ranked_1v1`, `ranked_2v2`, `unranked_2v2`, ….
        #[arg(long)]
        mode: String,
        /// The game module whose rating to present (default: your only one).
        #[arg(long)]
        module: Option<String>,
        /// An acceptable region (repeat for more; none: any).
        #[arg(long = "region")]
        regions: Vec<String>,
        /// Invite this player into your party (repeat for more).
        #[arg(long = "party")]
        party: Vec<PlayerKey>,
        /// Avoid this player if the queue can (repeat for more).
        #[arg(long = "avoid")]
        avoid: Vec<PlayerKey>,
        /// Present your rating record of this other community you joined, for the queue's
        /// requirement (repeat for more).
        #[arg(long = "present")]
        present: Vec<String>,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Accept a party invitation with your rating record.
    Confirm {
        /// Community slug, name or fingerprint.
        community: String,
        /// The party, from the `party_invite` event.
        party_id: u64,
        /// The game module whose rating to present (default: your only one).
        #[arg(long)]
        module: Option<String>,
        /// Present your rating record of this other community you joined, for the queue's
        /// requirement (repeat for more).
        #[arg(long = "present")]
        present: Vec<String>,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Where you stand: the events that describe it.
    Status {
        /// Community slug, name or fingerprint.
        community: String,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Follow your queue events as they happen (reconnecting when the connection drops).
    Events {
        /// Community slug, name or fingerprint.
        community: String,
        /// Stop after this many events (default: follow until interrupted).
        #[arg(long)]
        count: Option<usize>,
        /// Print one JSON object per line.
        #[arg(long)]
        json: bool,
    },
    /// Accept a found match.
    Accept {
        /// Community slug, name or fingerprint.
        community: String,
        /// The match, from the `match_found` event.
        match_id: u64,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Decline a found match (earns a cooldown).
    Decline {
        /// Community slug, name or fingerprint.
        community: String,
        /// The match, from the `match_found` event.
        match_id: u64,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Ban a map in a ranked match's map veto, on your side's turn.
    Ban {
        /// Community slug, name or fingerprint.
        community: String,
        /// The match, from the `map_veto` event.
        match_id: u64,
        /// One of the maps the last `map_veto` event listed.
        map: String,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Leave the queue (declines a pending match).
    Leave {
        /// Community slug, name or fingerprint.
        community: String,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

/// Signs the identity in to `community`: its API client and session.
pub async fn signed_in(
    wallet: &Wallet,
    passphrase_file: Option<&Path>,
    community: &str,
) -> Result<(ApiClient, Session)> {
    let identity = load_identity(wallet, passphrase_file)?;
    let (api, session) = ic_client::staff::sign_in(wallet, &identity, community)
        .await
        .with_context(|| format!("signing in to {community}"))?;
    Ok((api, session))
}

/// The community's API client, without signing in.
pub async fn anonymous(wallet: &Wallet, community: &str) -> Result<ApiClient> {
    let (_, store) = wallet.open_community(community).await?;
    let info = store.info().await;
    store.close().await;
    Ok(ApiClient::new(&info?.server_url)?)
}

/// Prints `value` as JSON, or `line`.
pub fn print<T: Serialize>(value: &T, json: bool, line: impl FnOnce() -> String) -> Result<()> {
    if json {
        println!("{}", serde_json::to_string_pretty(value)?);
    } else {
        println!("{}", line());
    }
    Ok(())
}

/// What a queue action did, for `--json`.
#[derive(Serialize)]
struct Done<'a> {
    status: &'a str,
}

fn done(status: &str, json: bool) -> Result<ExitCode> {
    print(&Done { status }, json, || status.to_owned())?;
    Ok(ExitCode::SUCCESS)
}

/// The wallet's current rating record of each community in `communities`, with the community's
/// URL, to present for a room's or a queue's requirement on another community.
pub async fn presented_records(
    wallet: &Wallet,
    communities: &[String],
) -> Result<Vec<PresentedRecord>> {
    let mut presented = Vec::new();
    for community in communities {
        let presentation = wallet.present(community, None, unix_now()).await?;
        let (_, store) = wallet.open_community(community).await?;
        let info = store.info().await;
        store.close().await;
        let url = info?.server_url;
        if presentation.records().is_empty() {
            anyhow::bail!("no valid rating record of {community} to present; run `ic refresh`");
        }
        presented.extend(
            presentation
                .records()
                .iter()
                .map(|record| PresentedRecord::from_community(record, &url)),
        );
    }
    Ok(presented)
}

/// The wallet's current rating record for `module` (or the only module it holds).
async fn rating_record(wallet: &Wallet, community: &str, module: Option<&str>) -> Result<Vec<u8>> {
    let presentation = wallet.present(community, module, unix_now()).await?;
    match presentation.records() {
        [record] => Ok(record.clone()),
        [] => anyhow::bail!("no valid rating record to present; run `ic refresh`"),
        _ => anyhow::bail!("ratings in several game modules: choose one with --module"),
    }
}

/// One line for a queue event.
pub fn describe_event(event: &QueueEvent) -> String {
    match event {
        QueueEvent::Queued { queue, players } => {
            format!("queued in {queue} ({} player(s))", players.len())
        }
        QueueEvent::PartyInvite {
            party_id,
            leader,
            queue,
        } => format!("party {party_id}: {leader} invites you to {queue}"),
        QueueEvent::MatchFound {
            match_id,
            accept_deadline,
            players,
            queue,
        } => format!(
            "match {match_id} found in {queue} for {players} players: accept before {accept_deadline}"
        ),
        QueueEvent::MapVeto {
            match_id,
            maps,
            your_turn,
            ..
        } => format!(
            "match {match_id}: maps left {}{}",
            maps.join(", "),
            if *your_turn {
                "; your side bans now"
            } else {
                ""
            }
        ),
        QueueEvent::MatchReady {
            match_id,
            relay_address,
            game_id,
            ..
        } => format!("match {match_id} ready: game {game_id} on relay {relay_address}"),
        QueueEvent::Requeued { reason } => format!("back in the queue: {reason}"),
        QueueEvent::Cancelled {
            reason,
            cooldown_until,
        } => match cooldown_until {
            Some(until) => format!("out of the queue ({reason}); may queue again at {until}"),
            None => format!("out of the queue ({reason})"),
        },
        QueueEvent::Unknown => "an event this version of ic does not know".to_owned(),
    }
}

fn describe_joined(joined: &Joined) -> String {
    match joined {
        Joined::Queued => "queued; follow with `ic queue events`".to_owned(),
        Joined::PartyPending { party_id } => {
            format!("party {party_id} waits for the invited players to confirm")
        }
    }
}

/// Runs `command`.
pub async fn play_command(
    wallet: &Wallet,
    passphrase_file: Option<&Path>,
    command: PlayCommand,
) -> Result<ExitCode> {
    match command {
        PlayCommand::Queue { command } => queue_command(wallet, passphrase_file, command).await,
        PlayCommand::Rooms { command } => rooms_command(wallet, passphrase_file, command).await,
        PlayCommand::Live { command } => live_command(wallet, passphrase_file, command).await,
    }
}

async fn queue_command(
    wallet: &Wallet,
    passphrase_file: Option<&Path>,
    command: QueueCommand,
) -> Result<ExitCode> {
    match command {
        QueueCommand::Join {
            community,
            mode,
            module,
            regions,
            party,
            avoid,
            present,
            json,
        } => {
            let record = rating_record(wallet, &community, module.as_deref()).await?;
            let credentials = presented_records(wallet, &present).await?;
            let (api, session) = signed_in(wallet, passphrase_file, &community).await?;
            let request = QueueRequest {
                record,
                mode,
                regions,
                party,
                avoid,
                credentials,
            };
            let joined = api.join_queue(&session, &request).await?;
            print(&joined, json, || describe_joined(&joined))?;
        }
        QueueCommand::Confirm {
            community,
            party_id,
            module,
            present,
            json,
        } => {
            let record = rating_record(wallet, &community, module.as_deref()).await?;
            let credentials = presented_records(wallet, &present).await?;
            let (api, session) = signed_in(wallet, passphrase_file, &community).await?;
            let joined = api
                .confirm_party(&session, party_id, &record, &credentials)
                .await?;
            print(&joined, json, || describe_joined(&joined))?;
        }
        QueueCommand::Status { community, json } => {
            let (api, session) = signed_in(wallet, passphrase_file, &community).await?;
            let events = api.queue_status(&session).await?;
            print(&events, json, || {
                if events.is_empty() {
                    "not queued".to_owned()
                } else {
                    events
                        .iter()
                        .map(describe_event)
                        .collect::<Vec<_>>()
                        .join("\n")
                }
            })?;
        }
        QueueCommand::Events {
            community,
            count,
            json,
        } => {
            let (api, session) = signed_in(wallet, passphrase_file, &community).await?;
            let mut events = api.queue_events(&session)?;
            let mut signed_in_at = std::time::Instant::now();
            let mut seen = 0;
            while count.is_none_or(|count| seen < count) {
                let event = match events.next().await {
                    Ok(event) => event,
                    // The token expired while following (tokens last an hour): sign in again
                    // and reopen; the stream starts again with where the player stands.
                    Err(error)
                        if error.server_code() == Some("unauthorized")
                            && signed_in_at.elapsed() > std::time::Duration::from_secs(60) =>
                    {
                        signed_in_at = std::time::Instant::now();
                        let (_, session) = signed_in(wallet, passphrase_file, &community).await?;
                        events = api.queue_events(&session)?;
                        continue;
                    }
                    Err(error) => return Err(error.into()),
                };
                if json {
                    println!("{}", serde_json::to_string(&event)?);
                } else {
                    println!("{}", describe_event(&event));
                }
                seen += 1;
            }
            events.close();
        }
        QueueCommand::Accept {
            community,
            match_id,
            json,
        } => {
            let (api, session) = signed_in(wallet, passphrase_file, &community).await?;
            api.accept_match(&session, match_id).await?;
            return done("accepted", json);
        }
        QueueCommand::Decline {
            community,
            match_id,
            json,
        } => {
            let (api, session) = signed_in(wallet, passphrase_file, &community).await?;
            api.decline_match(&session, match_id).await?;
            return done("declined", json);
        }
        QueueCommand::Ban {
            community,
            match_id,
            map,
            json,
        } => {
            let (api, session) = signed_in(wallet, passphrase_file, &community).await?;
            api.ban_map(&session, match_id, &map).await?;
            return done("banned", json);
        }
        QueueCommand::Leave { community, json } => {
            let (api, session) = signed_in(wallet, passphrase_file, &community).await?;
            api.leave_queue(&session).await?;
            return done("left", json);
        }
    }
    Ok(ExitCode::SUCCESS)
}
