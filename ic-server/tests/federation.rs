//! Trust requirements across communities on the real binary: community A runs a room and a
//! queue that require 10 rated games on community B. A player presents B's records; A fetches
//! B's document, pins its keys and verifies the records offline. Players with enough games are
//! admitted. A player without them, a record that is someone else's or tampered with, and a
//! community that cannot be reached are each refused with a code naming why; so is a party
//! member who confirms without them. (Both run on loopback, which A fetches from only because
//! its config allows private addresses; by default it refuses them, the second test.)
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

mod common;

use base64::Engine;
use common::ledger::records_of;
use common::*;
use scr::payload::Payload;
use scr::{KeyPair, Record};
use serde_json::{Value, json};

/// `player`'s newest rating record on `server`, base64, with its games.
async fn newest_rating(server: &Server, player: &KeyPair) -> (String, u32) {
    let records = records_of(server, player).await;
    let (record, games) = records
        .iter()
        .rev()
        .find_map(|record: &Record| match record.payload() {
            Payload::Rating(rating) => Some((record, rating.games_played)),
            _ => None,
        })
        .expect("a rating record");
    (B64.encode(record.as_bytes()), games)
}

/// `{record, url}`: a record of the community at `url`.
fn from(url: &str, record: &str) -> Value {
    json!({ "record": record, "url": url })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_room_and_a_queue_on_a_admit_players_with_ten_games_on_b_and_refuse_the_rest() {
    let (dir_a, dir_b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let b = Server::start(dir_b.path(), TEST_LIMITS);
    let b_key = b.community_key().await;
    let (veteran, opponent, novice) = (player(91), player(92), player(93));
    for key in [&veteran, &opponent, &novice] {
        b.register(key).await;
    }
    let relay = b.relay_key();
    for game in 1..=10 {
        let (status, body) = b
            .post_bytes(
                "/v1/matches",
                duel(&relay, b_key, &veteran, &opponent, game),
            )
            .await;
        assert_eq!(status, 201, "{body}");
    }
    let (status, body) = b
        .post_bytes("/v1/matches", duel(&relay, b_key, &novice, &opponent, 11))
        .await;
    assert_eq!(status, 201, "{body}");
    let (veteran_b, games) = newest_rating(&b, &veteran).await;
    assert_eq!(games, 10);
    let (opponent_b, _) = newest_rating(&b, &opponent).await;
    let (novice_b, games) = newest_rating(&b, &novice).await;
    assert_eq!(games, 1);

    let requires = json!({ "kind": "communities",
        "communities": [{ "key": b_key.to_string(), "min_games": 10 }] });
    let a = Server::start(
        dir_a.path(),
        &format!(
            "{TEST_LIMITS}[matchmaking]\nrequirements = [{{ module = \"ra\", mode = \
             \"ranked_2v2\", requires = {{ kind = \"communities\", communities = [{{ key = \
             \"{b_key}\", min_games = 10 }}] }} }}]\n\
             [federation]\nallow_private_addresses = true\n"
        ),
    );
    let mut tokens = Vec::new();
    let mut a_records = Vec::new();
    for key in [&veteran, &opponent, &novice] {
        let records = a.register(key).await;
        let rating = records
            .iter()
            .find(|r| matches!(Record::decode(r).unwrap().payload(), Payload::Rating(_)))
            .unwrap();
        a_records.push(B64.encode(rating));
        tokens.push(a.login(key).await);
    }

    // The host is held to the room's requirement too.
    let room = |credentials: Value| {
        json!({ "module": "ra", "listed": true,
        "requires": requires, "credentials": credentials })
    };
    let (status, refused) = a
        .post_json("/v1/rooms", &room(json!([])), Some(&tokens[0]))
        .await;
    assert_eq!(
        (status, refused["error"].as_str()),
        (403, Some("requirement_unmet")),
        "{refused}"
    );
    assert!(
        refused["message"]
            .as_str()
            .unwrap()
            .contains(&b_key.to_string()),
        "{refused}"
    );
    let (status, opened) = a
        .post_json(
            "/v1/rooms",
            &room(json!([from(&b.url, &veteran_b)])),
            Some(&tokens[0]),
        )
        .await;
    assert_eq!(status, 201, "{opened}");
    let code = opened["code"].as_str().unwrap();
    let join = format!("/v1/rooms/{code}/join");
    // A requirement that cannot hold is refused when the room is opened.
    let (status, refused) = a
        .post_json(
            "/v1/rooms",
            &json!({ "module": "ra", "requires": { "kind": "communities", "communities": [] } }),
            Some(&tokens[1]),
        )
        .await;
    assert_eq!(
        (status, refused["error"].as_str()),
        (422, Some("invalid_room")),
        "{refused}"
    );
    assert!(
        refused["message"]
            .as_str()
            .unwrap()
            .contains("requires: communities must list")
    );
    let (_, list) = a.get("/v1/rooms", None).await;
    assert_eq!(list["rooms"][0]["requires"], requires, "{list}");

    // Refusals, each naming why; none takes the free seat.
    let refusals = [
        (json!({}), 403, "requirement_unmet", "no rating record"),
        (
            json!({ "credentials": [from(&b.url, &novice_b)] }),
            403,
            "requirement_unmet",
            "1 rated games, at least 10",
        ),
        (
            json!({ "credentials": [from(&b.url, &veteran_b)] }),
            422,
            "credential_invalid",
            "identity_mismatch",
        ),
        (
            json!({ "credentials": [from(&b.url, &tampered(&novice_b))] }),
            422,
            "credential_invalid",
            "bad_signature",
        ),
        (
            json!({ "credentials": [from(&a.url, &novice_b)] }),
            422,
            "credential_invalid",
            "wrong_community",
        ),
        (
            json!({ "credentials": [from("ftp://b.example", &novice_b)] }),
            400,
            "invalid_url",
            "",
        ),
        (
            json!({ "credentials": [from(&format!("http://127.0.0.1:{}", free_port()), &novice_b)] }),
            422,
            "community_unavailable",
            "could not be reached",
        ),
        (
            json!({ "credentials": [{ "record": "%%%" }] }),
            400,
            "invalid_base64",
            "",
        ),
    ];
    for (body, status, code, says) in refusals {
        let (got, answer) = a.post_json(&join, &body, Some(&tokens[2])).await;
        assert_eq!(
            (got, answer["error"].as_str()),
            (status, Some(code)),
            "{body}: {answer}"
        );
        assert!(
            answer["message"].as_str().unwrap().contains(says),
            "{body}: {answer}"
        );
    }
    // The opponent lost ten games on B: ten games is what counts.
    let (status, seated) = a
        .post_json(
            &join,
            &json!({ "credentials": [from(&b.url, &opponent_b)] }),
            Some(&tokens[1]),
        )
        .await;
    assert_eq!(
        (status, seated["slot"].as_u64()),
        (200, Some(1)),
        "{seated}"
    );

    // A room that asks for any verified record takes this community's own (no URL).
    let (status, any) = a
        .post_json(
            "/v1/rooms",
            &json!({ "module": "ra", "requires": { "kind": "any_verified" },
                "credentials": [{ "record": a_records[2] }] }),
            Some(&tokens[2]),
        )
        .await;
    assert_eq!(status, 201, "{any}");
    let any_join = format!("/v1/rooms/{}/join", any["code"].as_str().unwrap());
    let (status, refused) = a.post_json(&any_join, &json!({}), Some(&tokens[1])).await;
    assert_eq!(
        (status, refused["error"].as_str()),
        (403, Some("requirement_unmet"))
    );
    // A join without any body still reaches the requirement (old clients send none).
    let bare = a
        .http
        .post(format!("{}{any_join}", a.url))
        .bearer_auth(&tokens[1])
        .send()
        .await
        .unwrap();
    assert_eq!(bare.status().as_u16(), 403);

    // The ranked 2v2 queue requires the same; 1v1 requires nothing.
    let queue = |mode: &str, record: &str, credentials: Value| json!({ "mode": mode, "record": record, "credentials": credentials });
    let (status, refused) = a
        .post_json(
            "/v1/queue",
            &queue(
                "ranked_2v2",
                &a_records[2],
                json!([from(&b.url, &novice_b)]),
            ),
            Some(&tokens[2]),
        )
        .await;
    assert_eq!(
        (status, refused["error"].as_str()),
        (403, Some("requirement_unmet")),
        "{refused}"
    );
    let (status, joined) = a
        .post_json(
            "/v1/queue",
            &queue("ranked_1v1", &a_records[2], json!([])),
            Some(&tokens[2]),
        )
        .await;
    assert_eq!(status, 202, "{joined}");
    // The veteran brings the opponent as a party: each member is held to the requirement,
    // the invited one when confirming.
    let mut invite = queue(
        "ranked_2v2",
        &a_records[0],
        json!([from(&b.url, &veteran_b)]),
    );
    invite["party"] = json!([opponent.public_key().to_string()]);
    let (status, pending) = a.post_json("/v1/queue", &invite, Some(&tokens[0])).await;
    assert_eq!(
        (status, pending["status"].as_str()),
        (202, Some("party_pending")),
        "{pending}"
    );
    let confirm = format!("/v1/queue/parties/{}/confirm", pending["party_id"]);
    let (status, refused) = a
        .post_json(
            &confirm,
            &json!({ "record": a_records[1] }),
            Some(&tokens[1]),
        )
        .await;
    assert_eq!(
        (status, refused["error"].as_str()),
        (403, Some("requirement_unmet")),
        "{refused}"
    );
    let (status, joined) = a
        .post_json(
            &confirm,
            &json!({ "record": a_records[1], "credentials": [from(&b.url, &opponent_b)] }),
            Some(&tokens[1]),
        )
        .await;
    assert_eq!(
        (status, joined["status"].as_str()),
        (202, Some("queued")),
        "{joined}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn by_default_no_community_a_player_names_on_a_local_address_is_fetched() {
    let (dir_a, dir_b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let b = Server::start(dir_b.path(), TEST_LIMITS);
    let a = Server::start(dir_a.path(), TEST_LIMITS);
    let player = KeyPair::from_seed([31; 32]);
    b.register(&player).await;
    a.register(&player).await;
    let (record, _) = newest_rating(&b, &player).await;
    let token = a.login(&player).await;
    let port = b.url.rsplit(':').next().unwrap();
    // B's own address, the same by name, and the cloud metadata address: each refused before
    // any connection, naming why and the setting that would allow it.
    for (url, says) in [
        (b.url.clone(), "127.0.0.1 is not a public address"),
        (format!("http://localhost:{port}"), "no public address"),
        (
            "http://169.254.169.254".to_owned(),
            "169.254.169.254 is not a public address",
        ),
    ] {
        let (status, refused) = a
            .post_json(
                "/v1/rooms",
                &json!({ "module": "ra", "requires": { "kind": "any_verified" },
                    "credentials": [from(&url, &record)] }),
                Some(&token),
            )
            .await;
        assert_eq!(
            (status, refused["error"].as_str()),
            (422, Some("community_unavailable")),
            "{url}: {refused}"
        );
        let message = refused["message"].as_str().unwrap();
        assert!(message.contains(says), "{url}: {refused}");
    }
}

/// `record` (base64) with one bit of its signature flipped.
fn tampered(record: &str) -> String {
    let mut bytes = B64.decode(record).unwrap();
    let last = bytes.len() - 1;
    bytes[last] ^= 1;
    B64.encode(bytes)
}
