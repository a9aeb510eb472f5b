//! Every player-facing `ic` command against one real `ic-server` with every capability on:
//! queueing through a ready check and a map veto to a relay ticket, parties, declining, the
//! event stream, rooms, spectating, reporting, appealing, reviewing, standings, seasons, claims
//! and campaign benchmarks. Each prints JSON with `--json`; a refusal names the server's error
//! code and exits non-zero.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

use std::process::Output;
use std::time::{Duration, Instant};

use ic_e2e::community::Server;
use ic_e2e::player::Player;
use ic_e2e::text;
use serde_json::Value;

const SLUG: &str = "client-clan";

fn json(output: &Output) -> Value {
    serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|error| panic!("not JSON ({error}): {}", text(output)))
}

/// Runs `ic args`, which must fail, naming `code` (the server's error code).
fn refused(player: &Player, args: &[&str], code: &str) {
    let output = player.run(args);
    assert!(
        !output.status.success(),
        "ic {args:?} succeeded: {}",
        text(&output)
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains(code),
        "ic {args:?} should name {code}: {stderr}"
    );
}

/// `ic campaign progress` in the `allied` campaign with `missions` done, then `extra`.
fn progress<'a>(missions: &'a str, extra: &[&'a str]) -> Vec<&'a str> {
    let mut args = vec![
        "campaign",
        "progress",
        SLUG,
        "allied",
        "--version",
        "1",
        "--module",
        "ra",
        "--difficulty",
        "hard",
        "--missions",
        missions,
    ];
    args.extend_from_slice(extra);
    args
}

/// Polls `ic queue status` until an event named `name` shows.
fn wait_for_event(player: &Player, name: &str) -> Value {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let events = json(&player.ok(&["queue", "status", SLUG, "--json"]));
        if let Some(event) = events
            .as_array()
            .unwrap()
            .iter()
            .find(|event| event["event"] == name)
        {
            return event.clone();
        }
        assert!(Instant::now() < deadline, "no {name} event: {events}");
        std::thread::sleep(Duration::from_millis(200));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_player_command_reaches_the_server_and_prints_json() {
    // Two maps in the ranked duel's pool, so the match goes through the veto; claims accepted
    // optimistically for one claimable achievement; reports taken before a first match (the
    // match placed here is never played out).
    let config = "[capabilities]\npreset = \"competitive\"\n\
        [matchmaking]\npass_interval_min_ms = 50\npass_interval_max_ms = 200\n\
        map_pools = [{ module = \"ra\", mode = \"ranked_1v1\", maps = [{ name = \"Coastline\" }, \
        { name = \"Ridge\" }] }]\n\
        [achievements]\npolicy = \"optimistic\"\n\
        [[achievements.definitions]]\nid = \"first_blood\"\nname = \"First blood\"\nrule = \"claim\"\n\
        [campaigns]\nenabled = true\n[moderation]\nreporter_min_matches = 0\n";
    let mut server = Server::with_config("Client Clan", config);
    server.start().await;
    let url = server.url();
    let (alice, bob, carol, dave) = (
        Player::new(None),
        Player::new(None),
        Player::new(None),
        Player::new(None),
    );
    for player in [&alice, &bob, &carol, &dave] {
        player.ok(&["join", &url]);
    }
    let bob_key = bob.key().to_string();

    // Matchmaking: both queue with their wallet's rating record, accept, and get tickets.
    for player in [&alice, &bob] {
        let joined = json(&player.ok(&["queue", "join", SLUG, "--mode", "ranked_1v1", "--json"]));
        assert_eq!(joined["status"], "queued", "{joined}");
    }
    let found = wait_for_event(&alice, "match_found");
    let match_id = found["match_id"].as_u64().unwrap().to_string();
    for player in [&alice, &bob] {
        let accepted = json(&player.ok(&["queue", "accept", SLUG, &match_id, "--json"]));
        assert_eq!(accepted["status"], "accepted");
    }
    // The veto: the side on turn bans one of the two maps, which leaves the other.
    let veto = wait_for_event(&alice, "map_veto");
    let on_turn = if veto["your_turn"] == true {
        &alice
    } else {
        &bob
    };
    let banned = json(&on_turn.ok(&["queue", "ban", SLUG, &match_id, "Coastline", "--json"]));
    assert_eq!(banned["status"], "banned", "{banned}");
    let ready = wait_for_event(&alice, "match_ready");
    assert!(!ready["ticket"].as_str().unwrap().is_empty(), "{ready}");
    // The event stream starts with where the player stands.
    let streamed = alice.ok(&["queue", "events", SLUG, "--count", "1", "--json"]);
    let first: Value = serde_json::from_slice(&streamed.stdout).unwrap();
    assert_eq!(
        first, ready,
        "the stream's first event is the player's standing"
    );
    // Refusals carry the server's code.
    refused(&carol, &["queue", "decline", SLUG, "999"], "no_such_match");
    refused(
        &carol,
        &["queue", "ban", SLUG, "999", "arena"],
        "no_such_match",
    );
    refused(&carol, &["queue", "confirm", SLUG, "999"], "not_invited");
    refused(&carol, &["queue", "leave", SLUG], "not_queued");
    // Alone in the queue (the others are in their match), carol waits, then leaves.
    let joined = json(&carol.ok(&["queue", "join", SLUG, "--mode", "ranked_1v1", "--json"]));
    assert_eq!(joined["status"], "queued", "{joined}");
    wait_for_event(&carol, "queued");
    let left = json(&carol.ok(&["queue", "leave", SLUG, "--json"]));
    assert_eq!(left["status"], "left");
    let status = json(&carol.ok(&["queue", "status", SLUG, "--json"]));
    assert!(
        status
            .as_array()
            .unwrap()
            .iter()
            .all(|event| event["event"] != "queued"),
        "{status}"
    );

    // Spectating the placed match.
    let live = json(&carol.ok(&["live", "list", SLUG, "--json"]));
    let game_id = ready["game_id"].as_u64().unwrap();
    assert!(
        live.as_array()
            .unwrap()
            .iter()
            .any(|m| m["game_id"] == game_id),
        "{live}"
    );
    let seat = json(&carol.ok(&["live", "watch", SLUG, &game_id.to_string(), "--json"]));
    assert_eq!(seat["role"], "spectator", "{seat}");
    assert!(!seat["ticket"].as_str().unwrap().is_empty());

    // Rooms: open, list, join, watch.
    let host = json(&alice.ok(&[
        "rooms", "open", SLUG, "--module", "ra", "--listed", "--json",
    ]));
    let code = host["code"].as_str().unwrap().to_owned();
    assert_eq!(
        (host["role"].as_str(), host["slot"].as_u64()),
        (Some("player"), Some(0))
    );
    let rooms = json(&carol.ok(&["rooms", "list", SLUG, "--json"]));
    assert!(
        rooms.as_array().unwrap().iter().any(|r| r["code"] == code),
        "{rooms}"
    );
    let guest = json(&bob.ok(&["rooms", "join", SLUG, &code, "--json"]));
    assert_eq!(
        (guest["role"].as_str(), guest["slot"].as_u64()),
        (Some("player"), Some(1))
    );
    let watcher = json(&carol.ok(&["rooms", "watch", SLUG, &code, "--json"]));
    assert_eq!(watcher["role"], "spectator");
    refused(&carol, &["rooms", "join", SLUG, "NOSUCH"], "room_not_found");

    // Moderation, from the player's side.
    let receipt = json(&alice.ok(&[
        "report", SLUG, &bob_key, "cheating", "--note", "walls", "--json",
    ]));
    assert_eq!(receipt["status"], "submitted_for_review", "{receipt}");
    assert!(receipt["case_id"].as_str().is_some_and(|id| !id.is_empty()));
    refused(
        &bob,
        &["appeal", SLUG, "--case", "no-such-case", "unfair"],
        "case_not_found",
    );
    refused(
        &bob,
        &["appeal", SLUG, "--match", &"ab".repeat(32), "I lost power"],
        "abandon_not_found",
    );
    refused(&carol, &["review", "next", SLUG], "not_eligible");
    refused(&carol, &["review", "me", SLUG], "not_eligible");
    let assignments = json(&carol.ok(&["review", "list", SLUG, "--json"]));
    assert_eq!(assignments, serde_json::json!([]));
    // The decision names the help lists are the server's; an unknown one is refused first.
    refused(
        &carol,
        &["review", "vote", SLUG, "no-such", "likely_clean"],
        "assignment_not_found",
    );
    refused(
        &carol,
        &["review", "vote", SLUG, "no-such", "no_violation"],
        "invalid_decision",
    );
    let sanctions = json(&bob.ok(&["sanctions", SLUG, "--json"]));
    assert!(sanctions["leaver_cooldown"].is_null(), "{sanctions}");

    // Standings and seasons.
    let board = json(&carol.ok(&["leaderboard", SLUG, "--json"]));
    assert_eq!(board["module"], "ra", "{board}");
    assert!(board["entries"].is_array());
    let seasons = json(&carol.ok(&["seasons", SLUG, "--json"]));
    assert!(
        seasons
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s["running"] == true),
        "{seasons}"
    );
    let claimed = json(&carol.ok(&["claim", SLUG, "ra", "first_blood", "--json"]));
    assert_eq!(
        (claimed["achievement"].as_str(), claimed["records"].as_u64()),
        (Some("first_blood"), Some(1)),
        "{claimed}"
    );
    refused(
        &carol,
        &["claim", SLUG, "ra", "first_blood"],
        "achievement_held",
    );

    // Campaign benchmarks: opt in, report, read the signed aggregates.
    let opted = json(&carol.ok(&["campaign", "opt-in", SLUG, "--json"]));
    assert_eq!(opted["opted_in"], true);
    let stored = json(&carol.ok(&progress("3", &["--json"])));
    assert_eq!(stored["stored"], true);
    let benchmarks = json(&carol.ok(&["campaign", "benchmarks", SLUG, "allied"]));
    assert_eq!(
        benchmarks["snapshot"]["campaign_id"], "allied",
        "{benchmarks}"
    );
    assert!(!benchmarks["signature"].as_str().unwrap().is_empty());
    let opted = json(&carol.ok(&["campaign", "opt-out", SLUG, "--json"]));
    assert_eq!(opted["opted_in"], false);
    refused(&carol, &progress("4", &[]), "not_opted_in");

    // A party: carol invites dave into the team queue, dave confirms with his own record,
    // then carol takes the party out again.
    let dave_key = dave.key().to_string();
    let invited = json(&carol.ok(&[
        "queue",
        "join",
        SLUG,
        "--mode",
        "ranked_2v2",
        "--party",
        &dave_key,
        "--json",
    ]));
    assert_eq!(invited["status"], "party_pending", "{invited}");
    // (A game shows dave the `party_invite` event of his stream; the id is the same.)
    let party_id = invited["party_id"].as_u64().unwrap().to_string();
    let confirmed = json(&dave.ok(&["queue", "confirm", SLUG, &party_id, "--json"]));
    assert_eq!(confirmed["status"], "queued", "{confirmed}");
    wait_for_event(&carol, "queued");
    let left = json(&carol.ok(&["queue", "leave", SLUG, "--json"]));
    assert_eq!(left["status"], "left");
    refused(&dave, &["queue", "leave", SLUG], "not_queued");

    // Declining a ready check: carol and dave are matched, dave declines.
    for player in [&carol, &dave] {
        let joined = json(&player.ok(&["queue", "join", SLUG, "--mode", "ranked_1v1", "--json"]));
        assert_eq!(joined["status"], "queued", "{joined}");
    }
    let found = wait_for_event(&dave, "match_found");
    let match_id = found["match_id"].as_u64().unwrap().to_string();
    let declined = json(&dave.ok(&["queue", "decline", SLUG, &match_id, "--json"]));
    assert_eq!(declined["status"], "declined", "{declined}");
    // Declining earns a cooldown; carol, who did nothing wrong, is back in the queue.
    refused(
        &dave,
        &["queue", "join", SLUG, "--mode", "ranked_1v1"],
        "queue_cooldown",
    );
    wait_for_event(&carol, "queued");
    let left = json(&carol.ok(&["queue", "leave", SLUG, "--json"]));
    assert_eq!(left["status"], "left");
    server.stop();
}
