//! The relay as a real process. Its drain on SIGTERM: `/ready` turns 503 at once, no new match
//! starts, a match that ends within `[relay] drain_secs` is certified and rated as usual, and
//! one still running then ends as a server restart that rates nobody, with every tick
//! finalized before the end delivered. Its own bad conditions: a relay stalled mid-match
//! certifies the result as degraded, which the community does not rate by default.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
mod relay_support;

use std::net::SocketAddr;
use std::time::Duration;

use common::{NO_ACHIEVEMENTS, Server, TEST_LIMITS, player};
use ic_client::relay::bot::BotEnd;
use ic_client::relay::{RelayClient, RelayClientError, RelaySession};
use relay_core::cmr::{MatchOutcome, PlayerResult, TrustedRelays};
use relay_core::frames::DisconnectReason;
use relay_support::{community_ticket, plan, play_both};
use scr::{CommunityKey, KeyPair, PublicKey};

/// Connects `key` to game `game_id` in `slot`, with a ticket signed by the community.
async fn seat(
    relay: (SocketAddr, PublicKey),
    community: &KeyPair,
    key: &KeyPair,
    game_id: u64,
    slot: u8,
) -> (RelayClient, Result<RelaySession, RelayClientError>) {
    let ticket = community_ticket(community, key, game_id, slot);
    let client = RelayClient::new("127.0.0.1:0".parse().unwrap()).unwrap();
    let session = client.connect(relay.0, relay.1, key, &ticket).await;
    (client, session)
}

/// A running server with its relay, and registered players.
struct Relay {
    server: Server,
    community: KeyPair,
    relay: (SocketAddr, PublicKey),
    keys: Vec<KeyPair>,
}

impl Relay {
    /// Starts the binary in `dir` with `config` and registers `players` players.
    async fn start(dir: &std::path::Path, config: &str, players: u8) -> Self {
        let server = Server::start(dir, config);
        let document = server.document().await;
        let listed = &document["relays"][0];
        let relay = (
            listed["address"].as_str().unwrap().parse().unwrap(),
            listed["key"].as_str().unwrap().parse().unwrap(),
        );
        let keys: Vec<KeyPair> = (1..=players).map(player).collect();
        for key in &keys {
            server.register(key).await;
        }
        Self {
            community: server.signing_key(),
            server,
            relay,
            keys,
        }
    }
}

/// The certified result `bytes`, verified against the relay's and the community's keys.
fn certified(
    relay: (SocketAddr, PublicKey),
    community: &KeyPair,
    bytes: &[u8],
) -> relay_core::cmr::CertifiedMatchResult {
    TrustedRelays::new([relay.1.into()])
        .unwrap()
        .verify(bytes, &CommunityKey::from(community.public_key()))
        .unwrap()
        .value()
        .clone()
}

/// Rated games in `key`'s profile.
async fn games(server: &Server, key: &KeyPair) -> u64 {
    let (status, profile) = server
        .get(
            &format!(
                "/v1/players/ed25519:{}",
                hex::encode(key.public_key().as_bytes())
            ),
            None,
        )
        .await;
    assert_eq!(status, 200, "{profile}");
    profile["modules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["games_played"].as_u64().unwrap())
        .sum()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_lets_matches_finish_and_ends_the_rest_as_server_restarts() {
    let dir = tempfile::tempdir().unwrap();
    let config = format!("{TEST_LIMITS}{NO_ACHIEVEMENTS}[relay]\ndrain_secs = 5\n");
    let Relay {
        mut server,
        community,
        relay,
        keys,
    } = Relay::start(dir.path(), &config, 5).await;

    // A match that ends two seconds into the drain, and one that would run for hours.
    let (short_a, short_b) = (
        seat(relay, &community, &keys[0], 7001, 0).await,
        seat(relay, &community, &keys[1], 7001, 1).await,
    );
    let (long_a, long_b) = (
        seat(relay, &community, &keys[2], 7002, 0).await,
        seat(relay, &community, &keys[3], 7002, 1).await,
    );
    let mut short = plan(60);
    short.expect_records = 2;
    let mut long = plan(1_000_000);
    long.expect_records = 0;
    let short_match = tokio::spawn(play_both(
        short_a.1.unwrap(),
        short.clone(),
        short_b.1.unwrap(),
        short,
    ));
    let long_match = tokio::spawn(play_both(
        long_a.1.unwrap(),
        long.clone(),
        long_b.1.unwrap(),
        long,
    ));
    tokio::time::sleep(Duration::from_millis(1000)).await;

    server.terminate();
    let mut ready = 0;
    for _ in 0..20 {
        ready = server.get("/ready", None).await.0;
        if ready == 503 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(ready, 503, "/ready answers 503 as soon as the drain starts");
    // No new match while draining.
    let (_client, refused) = seat(relay, &community, &keys[4], 7003, 0).await;
    assert!(
        matches!(
            refused,
            Err(RelayClientError::Disconnected(
                DisconnectReason::ServerRestart
            ))
        ),
        "{refused:?}"
    );

    let verify = |bytes: &Vec<u8>| certified(relay, &community, bytes);
    // The short match finished within the drain: certified and rated as usual.
    let (a, b) = short_match.await.unwrap();
    assert_eq!(
        (a.end, b.end),
        (BotEnd::Finished, BotEnd::Finished),
        "{a:?} {b:?}"
    );
    let cmr = verify(a.cmr.as_ref().unwrap());
    assert!(matches!(cmr.outcome, MatchOutcome::Completed { .. }));
    assert_eq!((a.records.len(), b.records.len()), (2, 2));
    assert!(a.orders_received >= a.orders_sent, "{a:?}");

    // The long one ended when the drain ran out, as a server restart rating nobody; every
    // tick the relay finalized reached the players first.
    let (a, b) = long_match.await.unwrap();
    assert_eq!(a.match_end, Some(MatchOutcome::ServerRestart), "{a:?}");
    let cmr = verify(a.cmr.as_ref().unwrap());
    assert_eq!(cmr.outcome, MatchOutcome::ServerRestart);
    assert!(
        cmr.players
            .iter()
            .all(|p| p.result == PlayerResult::NoResult)
    );
    let ran_secs = (cmr.ended_at_us - cmr.started_at_us) / 1_000_000;
    assert!((4..15).contains(&ran_secs), "ran {ran_secs} s");
    for report in [&a, &b] {
        assert_eq!(report.last_tick, Some(cmr.final_tick), "{report:?}");
        assert!(report.records.is_empty());
    }

    // The process exits cleanly once drained; after a restart the standings show it.
    let status = tokio::task::spawn_blocking(move || {
        let status = server.wait();
        (server, status)
    })
    .await
    .unwrap();
    assert!(status.1.success(), "{:?}", status.1);
    drop(status.0);
    let server = Server::spawn(dir.path());
    assert_eq!(games(&server, &keys[0]).await, 1);
    assert_eq!(games(&server, &keys[1]).await, 1);
    assert_eq!(games(&server, &keys[2]).await, 0);
    assert_eq!(games(&server, &keys[3]).await, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_relay_stalled_mid_match_certifies_a_degraded_result_nobody_is_rated_for() {
    let dir = tempfile::tempdir().unwrap();
    let Relay {
        server,
        community,
        relay,
        keys,
    } = Relay::start(dir.path(), &format!("{TEST_LIMITS}{NO_ACHIEVEMENTS}"), 2).await;
    let a = seat(relay, &community, &keys[0], 7101, 0).await;
    let b = seat(relay, &community, &keys[1], 7101, 1).await;
    let mut bots = plan(100);
    bots.expect_records = 0;
    let playing = tokio::spawn(play_both(a.1.unwrap(), bots.clone(), b.1.unwrap(), bots));
    tokio::time::sleep(Duration::from_millis(1500)).await;
    // The host stalls for two seconds (40 ticks owed at 20 per second), then goes on.
    server.signal("STOP");
    tokio::time::sleep(Duration::from_secs(2)).await;
    server.signal("CONT");
    let (ra, rb) = playing.await.unwrap();
    assert_eq!(
        (ra.end, rb.end),
        (BotEnd::Finished, BotEnd::Finished),
        "{ra:?} {rb:?}"
    );
    let cmr = certified(relay, &community, ra.cmr.as_ref().unwrap());
    assert!(cmr.degraded, "the stall is in the certified result");
    assert!(matches!(cmr.outcome, MatchOutcome::Completed { .. }));
    // `[rating.information] degraded_weight` is 0 by default: recorded, not rated.
    assert!(ra.records.is_empty() && rb.records.is_empty());
    for key in &keys {
        assert_eq!(games(&server, key).await, 0);
    }
    drop((a.0, b.0));
}

/// `[relay]` settings from the file, each checked by what the default would not do.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_relay_settings_in_the_file_apply() {
    let dir = tempfile::tempdir().unwrap();
    let config = format!(
        "{TEST_LIMITS}{NO_ACHIEVEMENTS}[relay]\nmax_matches = 1\nlobby_timeout_secs = 5\n\
         reconnect_timeout_secs = 5\ngrace_void_secs = 0\nranked_spectator_delay_secs = 180\n\
         replay_retention_days = 0\n"
    );
    let Relay {
        server,
        community,
        relay,
        keys,
    } = Relay::start(dir.path(), &config, 3).await;
    // max_matches: the capacity the matchmaker and the metrics see.
    assert_eq!(server.metric("ic_relay_matches_capacity").await, 1.0);

    // lobby_timeout_secs: a lobby whose second player never comes closes after 5 s.
    let lonely = seat(relay, &community, &keys[2], 8001, 0).await;
    let lobby = tokio::spawn(async move {
        let (_client, session) = lonely;
        let mut session = session.unwrap();
        let started = std::time::Instant::now();
        while let Some(frame) = session.next_frame().await {
            if let relay_core::frames::Frame::Disconnect { reason } = frame {
                return (reason, started.elapsed());
            }
        }
        panic!("the lobby closed without a reason");
    });

    // reconnect_timeout_secs and grace_void_secs: a player who leaves two ticks in abandons
    // after 5 s (not 60), and with no grace that is a loss, not a void.
    let a = seat(relay, &community, &keys[0], 8002, 0).await;
    let b = seat(relay, &community, &keys[1], 8002, 1).await;
    let mut stays = plan(1_000_000);
    stays.expect_records = 0;
    let mut leaves = plan(1_000_000);
    leaves.leave_after_tick = Some(2);
    let (ra, rb) = play_both(a.1.unwrap(), stays, b.1.unwrap(), leaves).await;
    assert_eq!((ra.end, rb.end), (BotEnd::Finished, BotEnd::Left), "{ra:?}");
    let cmr = certified(relay, &community, ra.cmr.as_ref().unwrap());
    assert_eq!(
        cmr.outcome,
        MatchOutcome::Abandoned {
            leaver: relay_core::ids::PlayerSlot(1)
        }
    );
    let lasted = (cmr.ended_at_us - cmr.started_at_us) / 1_000_000;
    assert!((4..20).contains(&lasted), "the match lasted {lasted} s");
    // ranked_spectator_delay_secs: 180 s at 20 ticks per second.
    assert_eq!(cmr.observer_delay_ticks, 3600);
    // replay_retention_days = 0: no replay is recorded.
    let replays = dir.path().join("replays");
    let kept = std::fs::read_dir(&replays).map_or(0, |entries| entries.count());
    assert_eq!(kept, 0, "{}", replays.display());

    let (reason, waited) = lobby.await.unwrap();
    assert_eq!(reason, DisconnectReason::Timeout);
    assert!(
        (4..12).contains(&waited.as_secs()),
        "the lobby closed after {waited:?}"
    );
    drop((a.0, b.0));
}
