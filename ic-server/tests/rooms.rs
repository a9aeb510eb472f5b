//! Custom rooms through the real binary: a host opens a room, a friend joins by its code, both
//! play through the relay with relay-signed tickets, nobody's rating moves, and the code closes;
//! spectators watch by the same code, late by the configured delay.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

mod common;

use std::time::Duration;

use base64::Engine;
use common::*;
use ic_client::relay::bot::{BotEnd, BotPlan, BotReport, play};
use ic_client::relay::spectate::watch;
use relay_core::cmr::CertifiedMatchResult;
use relay_core::frames::{Seat, SimOutcome};
use relay_core::ticket::{MatchTicket, SignerKind};
use scr::KeyPair;
use serde_json::{Value, json};

/// Two bots play `ticks` ticks of a draw in the seats given (room answers with their tickets).
async fn start_duel(
    seats: [(&Value, &KeyPair); 2],
    ticks: u64,
) -> Vec<tokio::task::JoinHandle<BotReport>> {
    let plan = BotPlan {
        ticks,
        orders_per_second: 15,
        outcome: SimOutcome::Draw,
        expect_records: 0,
        leave_after_tick: None,
        timeout: Duration::from_secs(30),
    };
    let mut bots = Vec::new();
    for (seat, key) in seats {
        let (client, session) = connect_as(seat, key).await;
        let plan = plan.clone();
        bots.push(tokio::spawn(async move {
            let report = play(session, &plan).await;
            drop(client);
            report
        }));
    }
    bots
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_room_code_seats_friends_for_an_unranked_game_and_closes_after_it() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path(), TEST_LIMITS);
    let (host, guest, late) = (player(81), player(82), player(83));
    let mut tokens = Vec::new();
    for key in [&host, &guest, &late] {
        server.register(key).await;
        tokens.push(server.login(key).await);
    }

    let (status, opened) = server
        .post_json(
            "/v1/rooms",
            &json!({ "module": "ra", "map_name": "Coastline" }),
            Some(&tokens[0]),
        )
        .await;
    assert_eq!(status, 201, "{opened}");
    let code = opened["code"].as_str().unwrap().to_owned();
    assert_eq!(code.len(), 7);
    assert_eq!(&code[3..4], "-");
    let document = server.document().await;
    assert_eq!(opened["relay_key"], document["relay_key"]);
    assert_eq!(opened["relay_address"], document["relays"][0]["address"]);
    assert_eq!(
        (opened["slot"].as_u64(), opened["team"].as_u64()),
        (Some(0), Some(0))
    );

    // Codes are typed by people: case and dash do not matter.
    let typed = code.to_lowercase().replace('-', "");
    let (status, joined) = server
        .post_json(
            &format!("/v1/rooms/{typed}/join"),
            &json!({}),
            Some(&tokens[1]),
        )
        .await;
    assert_eq!(status, 200, "{joined}");
    assert_eq!(joined["code"], code.as_str());
    assert_eq!(joined["game_id"], opened["game_id"]);
    assert_eq!(
        (joined["slot"].as_u64(), joined["team"].as_u64()),
        (Some(1), Some(1))
    );
    let ticket = B64.decode(joined["ticket"].as_str().unwrap()).unwrap();
    let (claimed, _) = MatchTicket::decode_unverified(&ticket).unwrap();
    assert_eq!(claimed.signer_kind, SignerKind::Relay);
    assert!(!claimed.settings.ranked);
    assert_eq!(claimed.settings.map_name, "Coastline");

    let (status, full) = server
        .post_json(
            &format!("/v1/rooms/{code}/join"),
            &json!({}),
            Some(&tokens[2]),
        )
        .await;
    assert_eq!((status, full["error"].as_str()), (409, Some("room_full")));
    let (status, unknown) = server
        .post_json("/v1/rooms/ACD-EFG/join", &json!({}), Some(&tokens[2]))
        .await;
    assert_eq!(
        (status, unknown["error"].as_str()),
        (404, Some("room_not_found"))
    );
    let (status, bad) = server
        .post_json(
            "/v1/rooms",
            &json!({ "module": "ra", "players": 1 }),
            Some(&tokens[2]),
        )
        .await;
    assert_eq!((status, bad["error"].as_str()), (422, Some("invalid_room")));
    let (status, anonymous) = server
        .post_json("/v1/rooms", &json!({ "module": "ra" }), None)
        .await;
    assert_eq!(status, 401, "{anonymous}");

    let bots = start_duel([(&opened, &host), (&joined, &guest)], 20).await;
    for bot in bots {
        let report = bot.await.unwrap();
        assert_eq!(report.end, BotEnd::Finished, "{report:?}");
        assert!(report.cmr.is_some(), "the relay certified the game");
        assert!(
            report.records.is_empty(),
            "an unranked room issues no records"
        );
    }
    // Nobody's rating moved, and the code no longer opens anything.
    let (_, mine) = server
        .get("/v1/players/me/records?since=0", Some(&tokens[0]))
        .await;
    assert_eq!(mine["records"].as_array().unwrap().len(), 1, "{mine}");
    let (status, closed) = server
        .post_json(
            &format!("/v1/rooms/{code}/join"),
            &json!({}),
            Some(&tokens[2]),
        )
        .await;
    assert_eq!(
        (status, closed["error"].as_str()),
        (404, Some("room_not_found"))
    );
}

#[tokio::test]
async fn rooms_and_live_matches_answer_capability_disabled_when_switched_off() {
    let dir = tempfile::tempdir().unwrap();
    let config = format!("{TEST_LIMITS}[capabilities]\nrelay = false\nmatchmaking = false\n");
    let server = Server::start(dir.path(), &config);
    let key = player(84);
    server.register(&key).await;
    let token = server.login(&key).await;
    for path in [
        "/v1/rooms",
        "/v1/rooms/ACD-EFG/join",
        "/v1/rooms/ACD-EFG/watch",
        "/v1/matches/live/1/watch",
    ] {
        let (status, body) = server
            .post_json(path, &json!({ "module": "ra" }), Some(&token))
            .await;
        assert_eq!(
            (status, body["error"].as_str()),
            (404, Some("capability_disabled")),
            "{path}"
        );
    }
    let (status, body) = server.get("/v1/matches/live", Some(&token)).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (404, Some("capability_disabled"))
    );
    assert!(
        server.document().await["relays"]
            .as_array()
            .unwrap()
            .is_empty()
    );
}

/// Spectators of a room: one from the lobby and one who comes mid-match (caught up from the
/// replay) each get every tick late by the configured delay, exactly the stream the replay
/// holds, then the result; a spectator cannot play, and a player cannot also watch.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn spectators_watch_a_room_late_by_the_delay_from_the_lobby_or_mid_match() {
    const DELAY: u64 = 10;
    let dir = tempfile::tempdir().unwrap();
    let config = format!(
        "{TEST_LIMITS}[relay]\nspectators_per_match = 2\nspectator_delay_ticks = {DELAY}\n"
    );
    let server = Server::start(dir.path(), &config);
    let keys: Vec<KeyPair> = (85..90).map(player).collect();
    let mut tokens = Vec::new();
    for key in &keys {
        server.register(key).await;
        tokens.push(server.login(key).await);
    }
    let (host, guest, fan, heckler, late) = (0, 1, 2, 3, 4);
    let (_, opened) = server
        .post_json("/v1/rooms", &json!({ "module": "ra" }), Some(&tokens[host]))
        .await;
    let code = opened["code"].as_str().unwrap().to_owned();
    let post = |who: usize, action: &str| {
        let path = format!("/v1/rooms/{code}/{action}");
        let token = tokens[who].clone();
        let server = &server;
        async move { server.post_json(&path, &json!({}), Some(&token)).await }
    };
    let (status, joined) = post(guest, "join").await;
    assert_eq!(status, 200, "{joined}");
    let (status, watching) = post(fan, "watch").await;
    assert_eq!(status, 200, "{watching}");
    assert_eq!(watching["role"], "spectator");
    assert!(watching["slot"].is_null() && watching["team"].is_null());
    assert_eq!(watching["game_id"], opened["game_id"]);
    let (_, heckling) = post(heckler, "watch").await;
    let (status, full) = post(late, "watch").await;
    assert_eq!(
        (status, full["error"].as_str()),
        (409, Some("spectators_full"))
    );
    let (status, playing) = post(host, "watch").await;
    assert_eq!(
        (status, playing["error"].as_str()),
        (409, Some("already_playing"))
    );

    // A spectator in the lobby that tries to send orders is thrown out (and loses its seat).
    let (heckler_client, heckler_session) = connect_as(&heckling, &keys[heckler]).await;
    assert!(matches!(heckler_session.seat(), Seat::Observer(_)));
    heckler_session.send_orders(0, 0, Vec::new()).await.unwrap();
    let thrown_out = watch(heckler_session, Duration::from_secs(10)).await;
    assert_eq!(
        thrown_out.end,
        BotEnd::Kicked(relay_core::frames::KickReason::ProtocolViolation)
    );

    const TICKS: u64 = 80;
    let bots = start_duel([(&opened, &keys[host]), (&joined, &keys[guest])], TICKS).await;
    // Into the match, the first spectator comes (nothing was held back for anyone yet), later
    // a second: each gets everything so far from the replay first, then its live feed.
    let now_us = || {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_micros() as u64
    };
    let mut joined_at = Vec::new();
    let mut watchers = Vec::new();
    for (delay_ms, ticket, who) in [(1500, &watching, fan), (1000, &heckling, heckler)] {
        tokio::time::sleep(Duration::from_millis(delay_ms)).await;
        joined_at.push(now_us());
        let ticket = if who == heckler {
            post(heckler, "watch").await.1
        } else {
            ticket.clone()
        };
        let (client, session) = connect_as(&ticket, &keys[who]).await;
        watchers.push(tokio::spawn(async move {
            let watched = watch(session, Duration::from_secs(60)).await;
            drop(client);
            watched
        }));
    }
    drop(heckler_client);

    let mut cmr = None;
    for bot in bots {
        let report = bot.await.unwrap();
        assert_eq!(report.end, BotEnd::Finished, "{report:?}");
        cmr = report.cmr;
    }
    let cmr = cmr.unwrap();
    let decoded = CertifiedMatchResult::decode_unverified(&cmr).unwrap().0;
    assert_eq!(decoded.observer_delay_ticks, DELAY as u32);
    let replay = replay_file(dir.path(), &decoded.replay_hash).await;
    for (watcher, joined_us) in watchers.into_iter().zip(joined_at) {
        let watched = watcher.await.unwrap();
        let (start_us, tick_us, open_tick) = watched.grid.unwrap();
        assert_eq!(open_tick, 0, "from the first tick");
        assert!(
            start_us + (DELAY + 5) * u64::from(tick_us) < joined_us,
            "the spectator came after ticks had been released to spectators"
        );
        assert_eq!(watched.end, BotEnd::Finished, "{:?}", watched.end);
        assert_eq!(
            watched.cmr.as_ref(),
            Some(&cmr),
            "spectators get the certified result"
        );
        let ticks: Vec<u64> = watched.ticks.iter().map(|(t, _)| t.tick).collect();
        let last = *ticks.last().unwrap();
        assert_eq!(
            ticks,
            (0..=last).collect::<Vec<_>>(),
            "every tick, in order"
        );
        assert!(last >= TICKS);
        for (tick, arrived_us) in &watched.ticks {
            if tick.tick + DELAY <= last {
                let earliest = start_us + (tick.tick + DELAY) * u64::from(tick_us);
                assert!(
                    *arrived_us >= earliest,
                    "tick {} arrived before the players' tick {}",
                    tick.tick,
                    tick.tick + DELAY
                );
            }
        }
        // What the spectator saw is exactly the stream the relay recorded and certified.
        let mut seen = bytes::BytesMut::new();
        for (tick, _) in &watched.ticks {
            relay_core::frames::encode_tick_orders(tick, &mut seen).unwrap();
        }
        assert_eq!(&seen[..], &replay[..]);
    }
    let cmr = decoded;
    assert!(
        cmr.players
            .iter()
            .all(|p| p.key != keys[fan].public_key().into()),
        "spectators are not in the result"
    );
}

/// What the operator sets about relays reaches players: this relay's public address and
/// region in the community document and in room answers, then the other servers' relays.
#[tokio::test]
async fn the_community_document_lists_the_relays_as_configured() {
    let dir = tempfile::tempdir().unwrap();
    let other = player(6).public_key();
    let config = format!(
        "{TEST_LIMITS}[relay]\npublic_address = \"relay.example.org:4000\"\nregion = \"eu\"\n\
         [matchmaking]\nrelays = [{{ address = \"na.example.org:19711\", key = \"{other}\" }}]\n"
    );
    let server = Server::start(dir.path(), &config);
    let document = server.document().await;
    let relays = document["relays"].as_array().unwrap();
    assert_eq!(relays.len(), 2, "{document}");
    assert_eq!(relays[0]["address"], "relay.example.org:4000");
    assert_eq!(relays[0]["key"], document["relay_key"]);
    assert_eq!(relays[0]["region"], "eu");
    assert_eq!(relays[1]["address"], "na.example.org:19711");
    assert_eq!(relays[1]["key"], other.to_string());
    assert!(relays[1].get("region").is_none(), "no region: serves any");

    let host = player(7);
    server.register(&host).await;
    let token = server.login(&host).await;
    let (status, opened) = server
        .post_json("/v1/rooms", &json!({ "module": "ra" }), Some(&token))
        .await;
    assert_eq!(status, 201, "{opened}");
    assert_eq!(opened["relay_address"], "relay.example.org:4000");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn listed_rooms_with_a_free_seat_are_shown_to_everyone_and_unlisted_ones_are_not() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path(), TEST_LIMITS);
    let (host, private_host, guest) = (player(91), player(92), player(93));
    let mut tokens = Vec::new();
    for key in [&host, &private_host, &guest] {
        server.register(key).await;
        tokens.push(server.login(key).await);
    }
    let open = |body: Value, token: String| {
        let server = &server;
        async move {
            let (status, opened) = server.post_json("/v1/rooms", &body, Some(&token)).await;
            assert_eq!(status, 201, "{opened}");
            opened["code"].as_str().unwrap().to_owned()
        }
    };
    let listed = open(
        json!({ "module": "ra", "map_name": "Canyon <Night>", "players": 4, "listed": true }),
        tokens[0].clone(),
    )
    .await;
    let unlisted = open(json!({ "module": "ra" }), tokens[1].clone()).await;

    // Without signing in: the API list and the page both show the listed room only.
    let (status, list) = server.get("/v1/rooms", None).await;
    assert_eq!(status, 200, "{list}");
    let rooms = list["rooms"].as_array().unwrap();
    assert_eq!(rooms.len(), 1, "{list}");
    assert_eq!(rooms[0]["code"], listed.as_str());
    assert_eq!(
        (rooms[0]["seated"].as_u64(), rooms[0]["players"].as_u64()),
        (Some(1), Some(4))
    );
    let page = server
        .http
        .get(format!("{}/ui/rooms", server.url))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    let page = page.text().await.unwrap();
    assert!(
        page.contains(&listed) && !page.contains(&unlisted),
        "{page}"
    );
    assert!(
        page.contains("Canyon &lt;Night&gt;"),
        "map names are escaped: {page}"
    );
    assert!(page.contains("1 of 4"), "{page}");
    assert!(
        page.contains("href=\"/ui/rooms\""),
        "the navigation links the page"
    );

    // Filled up, a room leaves the list.
    let two = open(json!({ "module": "ra", "listed": true }), tokens[1].clone()).await;
    let (status, body) = server
        .post_json(
            &format!("/v1/rooms/{two}/join"),
            &json!({}),
            Some(&tokens[2]),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let (_, list) = server.get("/v1/rooms", None).await;
    let codes: Vec<_> = list["rooms"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["code"].clone())
        .collect();
    assert_eq!(codes, [json!(listed)], "{list}");
    // A bad listing flag is a 4xx naming the problem.
    let (status, body) = server
        .post_json(
            "/v1/rooms",
            &json!({ "module": "ra", "listed": "yes" }),
            Some(&tokens[0]),
        )
        .await;
    assert!((400..500).contains(&status), "{status} {body}");
    assert!(
        body["message"].as_str().unwrap().contains("listed"),
        "{body}"
    );
}

/// `[relay] room_open_secs` (at least a minute) sets how long an unplayed room's code works; that
/// an unplayed room is dropped once the time is up is a unit test of `Rooms`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unplayed_room_is_open_for_the_configured_time() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(
        dir.path(),
        &format!("{TEST_LIMITS}[relay]\nroom_open_secs = 60\n"),
    );
    let host = player(84);
    server.register(&host).await;
    let token = server.login(&host).await;
    let now = ic_server::clock::unix_now();
    let (status, opened) = server
        .post_json("/v1/rooms", &json!({ "module": "ra" }), Some(&token))
        .await;
    assert_eq!(status, 201, "{opened}");
    // A minute (the default keeps it 15 minutes).
    let open_for = opened["expires_at"].as_i64().unwrap() - now;
    assert!((60..=61).contains(&open_for), "{opened}");
}

#[tokio::test]
async fn rooms_are_capped_per_host_and_on_the_relay() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(
        dir.path(),
        &format!("{TEST_LIMITS}[relay]\nmax_rooms = 2\nmax_rooms_per_host = 1\n"),
    );
    let mut tokens = Vec::new();
    for seed in [84, 85, 86] {
        tokens.push(server.login(&player(seed)).await);
    }
    let body = json!({ "module": "ra" });
    let open = async |token: &str| server.post_json("/v1/rooms", &body, Some(token)).await;
    assert_eq!(open(&tokens[0]).await.0, 201);
    let (status, refused) = open(&tokens[0]).await;
    assert_eq!(
        (status, refused["error"].as_str()),
        (429, Some("too_many_rooms")),
        "{refused}"
    );
    assert_eq!(open(&tokens[1]).await.0, 201);
    let (status, refused) = open(&tokens[2]).await;
    assert_eq!(
        (status, refused["error"].as_str()),
        (503, Some("rooms_full")),
        "{refused}"
    );
}
