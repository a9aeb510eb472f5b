//! Custom rooms through the real binary: a host opens a room, a friend joins by its code, both
//! play through the relay with relay-signed tickets, nobody's rating moves, and the code closes.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

mod common;

use std::time::Duration;

use base64::Engine;
use common::*;
use ic_client::relay::RelayClient;
use ic_client::relay::bot::{BotEnd, BotPlan, play};
use relay_core::frames::SimOutcome;
use relay_core::ticket::{MatchTicket, SignerKind};
use scr::{KeyPair, PublicKey};
use serde_json::{Value, json};

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;

async fn connect(seat: &Value, key: &KeyPair) -> (RelayClient, ic_client::relay::RelaySession) {
    let ticket = B64.decode(seat["ticket"].as_str().unwrap()).unwrap();
    let address = seat["relay_address"].as_str().unwrap().parse().unwrap();
    let relay_key: PublicKey = seat["relay_key"].as_str().unwrap().parse().unwrap();
    let client = RelayClient::new("127.0.0.1:0".parse().unwrap()).unwrap();
    let session = client
        .connect(address, relay_key, key, &ticket)
        .await
        .unwrap();
    (client, session)
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

    let plan = BotPlan {
        ticks: 20,
        orders_per_second: 15,
        outcome: SimOutcome::Draw,
        expect_records: 0,
        leave_after_tick: None,
        timeout: Duration::from_secs(30),
    };
    let mut bots = Vec::new();
    for (seat, key) in [(&opened, &host), (&joined, &guest)] {
        let (client, session) = connect(seat, key).await;
        let plan = plan.clone();
        bots.push(tokio::spawn(async move {
            let report = play(session, &plan).await;
            drop(client);
            report
        }));
    }
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
async fn rooms_answer_capability_disabled_without_the_relay() {
    let dir = tempfile::tempdir().unwrap();
    let config = format!("{TEST_LIMITS}[capabilities]\nrelay = false\n");
    let server = Server::start(dir.path(), &config);
    let key = player(84);
    server.register(&key).await;
    let token = server.login(&key).await;
    let (status, body) = server
        .post_json("/v1/rooms", &json!({ "module": "ra" }), Some(&token))
        .await;
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
