//! Campaign benchmarks on the real binary: only players who opted in are counted (opting out
//! takes a player out again), small groups and rare endings are suppressed, and the snapshot
//! carries the community's signature.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

mod common;

use base64::Engine;
use common::*;
use scr::KeyPair;
use serde_json::{Value, json};

async fn opt(server: &Server, token: &str, opt_in: bool) {
    let (status, body) = server
        .post_json(
            "/v1/campaigns/opt-in",
            &json!({ "opt_in": opt_in }),
            Some(token),
        )
        .await;
    assert_eq!(status, 200, "{body}");
}

async fn report(
    server: &Server,
    token: &str,
    difficulty: &str,
    missions: u32,
    ending: Option<&str>,
) -> (u16, Value) {
    server
        .post_json(
            "/v1/campaigns/allies/progress",
            &json!({
                "version": "1.2", "game_module": "ra", "difficulty": difficulty,
                "missions_completed": missions, "completed": ending.is_some(), "ending": ending,
            }),
            Some(token),
        )
        .await
}

async fn only_opted_in_players_count_and_small_groups_stay_hidden(backend: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path(), &format!("{TEST_LIMITS}{}", backend.storage()));
    let players: Vec<KeyPair> = (0..10u32).map(player_from).collect();
    let mut tokens = Vec::new();
    for p in &players {
        server.register(p).await;
        tokens.push(server.login(p).await);
    }

    // Six opted-in players on "normal": five reach the "liberation" ending, one "exile"; two
    // on "brutal". One more reports without opting in, and another opts out after reporting.
    for (i, token) in tokens[..8].iter().enumerate() {
        opt(&server, token, true).await;
        let (difficulty, missions, ending) = match i {
            0..=4 => ("normal", 14, Some("liberation")),
            5 => ("normal", 9, Some("exile")),
            _ => ("brutal", 3, None),
        };
        let (status, body) = report(&server, token, difficulty, missions, ending).await;
        assert_eq!(status, 201, "{body}");
    }
    let (status, body) = report(&server, &tokens[8], "normal", 1, None).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (403, Some("not_opted_in"))
    );
    opt(&server, &tokens[9], true).await;
    assert_eq!(report(&server, &tokens[9], "normal", 2, None).await.0, 201);
    opt(&server, &tokens[9], false).await;

    // Bad reports are typed 4xx errors.
    let (status, body) = report(&server, &tokens[0], "nor mal", 1, None).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_field"))
    );
    let (status, body) = server
        .post_json(
            "/v1/campaigns/allies/progress",
            &json!({
                "version": "1.2", "game_module": "ra", "difficulty": "normal",
                "missions_completed": 3, "completed": false, "ending": "liberation",
            }),
            Some(&tokens[0]),
        )
        .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_field"))
    );

    let (status, served) = server.get("/v1/campaigns/allies/benchmarks", None).await;
    assert_eq!(status, 200, "{served}");
    let snapshot = &served["snapshot"];
    let groups = snapshot["groups"].as_array().unwrap();
    assert_eq!(groups.len(), 2, "{snapshot}");
    // "brutal" has two players: suppressed, no numbers at all.
    let brutal = &groups[0];
    assert_eq!(brutal["difficulty"], "brutal");
    assert_eq!(brutal["suppressed"], true);
    assert!(brutal.get("players").is_none() && brutal.get("missions").is_none());
    // "normal": the six who opted in and stayed, not the other two.
    let normal = &groups[1];
    assert_eq!(normal["players"], 6, "{normal}");
    assert_eq!(normal["completion_permille"], 1000);
    assert_eq!(normal["missions"]["p50"], 14);
    // The single "exile" ending is not shown, not even as "other".
    assert_eq!(
        normal["endings"],
        json!([{ "ending": "liberation", "players": 5, "permille": 833 }])
    );

    // Signed by the community: the exact text served, after the context line.
    let document = server.document().await;
    assert_eq!(served["signing_key"], document["signing_key"], "{document}");
    let text = served["snapshot_json"].as_str().unwrap();
    assert_eq!(&serde_json::from_str::<Value>(text).unwrap(), snapshot);
    let signature: [u8; 64] = B64
        .decode(served["signature"].as_str().unwrap())
        .unwrap()
        .try_into()
        .unwrap();
    let key: scr::PublicKey = served["signing_key"].as_str().unwrap().parse().unwrap();
    let mut message = b"ic-campaign-benchmarks-v1\n".to_vec();
    message.extend_from_slice(text.as_bytes());
    scr::signature::verify_signature(&key, &message, &signature).unwrap();
    message.push(b' ');
    assert!(scr::signature::verify_signature(&key, &message, &signature).is_err());

    // An unknown campaign has no groups; a bad id is a typed error.
    let (_, empty) = server.get("/v1/campaigns/soviet/benchmarks", None).await;
    assert_eq!(empty["snapshot"]["groups"], json!([]));
    let (status, body) = server.get("/v1/campaigns/a%20b/benchmarks", None).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_field"))
    );
}

on_each_backend!(only_opted_in_players_count_and_small_groups_stay_hidden);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_configured_bucket_size_decides_what_is_shown() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(
        dir.path(),
        &format!("{TEST_LIMITS}[campaigns]\nmin_bucket = 2\n"),
    );
    // Two players on "brutal", both reaching "exile": the default (5) hides both the group and
    // the ending; a bucket of two shows them.
    for seed in 20..22u32 {
        let p = player_from(seed);
        server.register(&p).await;
        let token = server.login(&p).await;
        opt(&server, &token, true).await;
        let (status, body) = report(&server, &token, "brutal", 12, Some("exile")).await;
        assert_eq!(status, 201, "{body}");
    }
    let (status, served) = server.get("/v1/campaigns/allies/benchmarks", None).await;
    assert_eq!(status, 200, "{served}");
    let brutal = &served["snapshot"]["groups"][0];
    assert_eq!(brutal["suppressed"], false, "{brutal}");
    assert_eq!(brutal["players"], 2);
    assert_eq!(
        brutal["endings"],
        json!([{ "ending": "exile", "players": 2, "permille": 1000 }])
    );
}
