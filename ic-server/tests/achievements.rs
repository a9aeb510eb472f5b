//! Achievements on the real binary: rules fire once per player, in the transaction of the match
//! that earns them; claims follow the policy; an optimistic claim is upgraded after its window
//! unless a moderator challenged it.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

mod common;

use std::time::{Duration, Instant};

use common::database::Database;
use common::ledger::{match_id, records_of};
use common::web::grant;
use common::*;
use scr::payload::AchievementPayload;
use scr::{KeyPair, Payload, Record};
use serde_json::{Value, json};

/// TEST_LIMITS ends inside `[ranking]`.
fn config(policy: &str, storage: &str) -> String {
    format!(
        "{TEST_LIMITS}\n[achievements]\npolicy = \"{policy}\"\nchallenge_window_hours = 1\n\
         [[achievements.definitions]]\nid = \"first_win\"\nname = \"First victory\"\nrule = \"first_win\"\n\
         [[achievements.definitions]]\nid = \"hat_trick\"\nname = \"Three in a row\"\nrule = \"win_streak\"\ncount = 3\n\
         [[achievements.definitions]]\nid = \"regular\"\nname = \"Four games\"\nrule = \"season_games\"\ncount = 4\nper_season = true\n\
         [[achievements.definitions]]\nid = \"campaign\"\nname = \"Campaign finished\"\nrule = \"claim\"\n{storage}"
    )
}

fn achievement(record: &Record) -> Option<&AchievementPayload> {
    match record.payload() {
        Payload::Achievement(a) => Some(a),
        _ => None,
    }
}

/// The achievement records among the records a submission returned for `player`.
fn awarded(body: &Value, player: &KeyPair) -> Vec<(String, u64)> {
    records(&body["records"][player.public_key().to_string()])
        .iter()
        .map(|bytes| Record::decode(bytes).unwrap())
        .filter_map(|r| achievement(&r).map(|a| (a.achievement_id.clone(), r.sequence())))
        .collect()
}

async fn held(server: &Server, player: &KeyPair) -> Vec<Value> {
    let (status, body) = server
        .get(
            &format!("/v1/players/{}/achievements", player.public_key()),
            None,
        )
        .await;
    assert_eq!(status, 200, "{body}");
    body["achievements"].as_array().unwrap().clone()
}

async fn rules_fire_once_in_the_match_transaction(backend: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path(), &config("relay_attested", &backend.storage()));
    let (a, b) = (player(1), player(2));
    server.register(&a).await;
    server.register(&b).await;
    let season = server.get("/v1/seasons", None).await.1["running"]
        .as_u64()
        .unwrap();
    let community = server.community_key().await;
    let relay = server.relay_key();

    // A wins three in a row: first_win with the first, hat_trick with the third.
    let mut earned_a = Vec::new();
    for game in 1..=3 {
        let cmr = duel(&relay, community, &a, &b, game);
        let (status, body) = server.post_bytes("/v1/matches", cmr.clone()).await;
        assert_eq!(status, 201, "{body}");
        assert!(
            awarded(&body, &b).is_empty(),
            "a loss earns nothing: {body}"
        );
        let now = awarded(&body, &a);
        // Issued with the match: the resubmission (read back by match id) returns them too.
        let (status, again) = server.post_bytes("/v1/matches", cmr.clone()).await;
        assert_eq!(status, 200, "{again}");
        assert_eq!(awarded(&again, &a), now, "game {game}");
        let records: Vec<Record> = records(&body["records"][a.public_key().to_string()])
            .iter()
            .map(|r| Record::decode(r).unwrap())
            .collect();
        for record in records.iter().filter_map(achievement) {
            assert_eq!(record.match_id, Some(match_id(&cmr)));
            assert_eq!(record.verification.name(), "verified");
        }
        earned_a.push(now.into_iter().map(|(id, _)| id).collect::<Vec<_>>());
    }
    assert_eq!(
        earned_a,
        [
            vec!["first_win".to_owned()],
            vec![],
            vec!["hat_trick".to_owned()]
        ]
    );

    // B's first win is B's, and both reach four games this season.
    let (status, body) = server
        .post_bytes("/v1/matches", duel(&relay, community, &b, &a, 4))
        .await;
    assert_eq!(status, 201, "{body}");
    let regular = format!("regular@s{season}");
    let ids = |list: Vec<(String, u64)>| list.into_iter().map(|(id, _)| id).collect::<Vec<_>>();
    assert_eq!(
        ids(awarded(&body, &b)),
        ["first_win".to_owned(), regular.clone()]
    );
    assert_eq!(ids(awarded(&body, &a)), std::slice::from_ref(&regular));
    // Further games earn nothing already held.
    for game in 5..=7 {
        let (status, body) = server
            .post_bytes("/v1/matches", duel(&relay, community, &a, &b, game))
            .await;
        assert_eq!(status, 201, "{body}");
        assert!(
            awarded(&body, &a).is_empty() && awarded(&body, &b).is_empty(),
            "{body}"
        );
    }

    // Exactly once each, in the ledger and in the public list, sequences without a gap.
    let mine = records_of(&server, &a).await;
    let mut issued: Vec<String> = mine
        .iter()
        .filter_map(achievement)
        .map(|a| a.achievement_id.clone())
        .collect();
    issued.sort();
    assert_eq!(issued, ["first_win", "hat_trick", regular.as_str()]);
    let sequences: Vec<u64> = mine.iter().map(Record::sequence).collect();
    assert!(
        sequences.windows(2).all(|w| w[1] == w[0] + 1),
        "{sequences:?}"
    );
    let listed = held(&server, &a).await;
    assert_eq!(listed.len(), 3, "{listed:?}");
    let first = listed
        .iter()
        .find(|h| h["achievement_id"] == "first_win")
        .unwrap();
    assert_eq!(first["name"], "First victory");
    assert_eq!(first["verification"], "verified");
    assert_eq!(first["claim"], Value::Null);
    let per_season = listed
        .iter()
        .find(|h| h["achievement_id"] == regular.as_str())
        .unwrap();
    assert_eq!(per_season["name"], "Four games");

    // Verification names and judges it.
    let record = mine
        .iter()
        .find(|r| achievement(r).is_some_and(|a| a.achievement_id == "first_win"))
        .unwrap();
    let result = verdict(&server, record.as_bytes()).await;
    assert_eq!(result["valid"], true, "{result}");
    assert_eq!(result["record_type"], "achievement");
    assert_eq!(result["achievement"]["name"], "First victory");
    assert_eq!(result["achievement"]["status"], "verified");

    // Under relay_attested, claims are refused.
    let token = server.login(&a).await;
    let (status, body) = server
        .post_json(
            "/v1/achievements/claims",
            &json!({ "game_module": "ra", "achievement_id": "campaign" }),
            Some(&token),
        )
        .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (403, Some("claims_not_accepted"))
    );
    let (_, definitions) = server.get("/v1/achievements", None).await;
    assert_eq!(definitions["policy"], "relay_attested");
    assert_eq!(definitions["definitions"].as_array().unwrap().len(), 4);
}

async fn claim(server: &Server, token: &str, id: &str) -> (u16, Value) {
    server
        .post_json(
            "/v1/achievements/claims",
            &json!({ "game_module": "ra", "achievement_id": id }),
            Some(token),
        )
        .await
}

async fn optimistic_claims_upgrade_after_the_window_unless_challenged(backend: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let storage = backend.storage();
    let url = storage
        .split('"')
        .nth(1)
        .map(str::to_owned)
        .unwrap_or_default();
    let server = Server::start(dir.path(), &config("optimistic", &storage));
    let (a, b, moderator) = (player(1), player(2), player(3));
    for p in [&a, &b, &moderator] {
        server.register(p).await;
    }
    let (token_a, token_b) = (server.login(&a).await, server.login(&b).await);

    // Typed refusals first.
    let (status, body) = claim(&server, &token_a, "first_win").await;
    assert_eq!(
        (status, body["error"].as_str()),
        (422, Some("not_claimable"))
    );
    let (status, body) = claim(&server, &token_a, "no_such").await;
    assert_eq!(
        (status, body["error"].as_str()),
        (404, Some("unknown_achievement"))
    );

    // Both claim: issued as optimistic, pending for the window.
    let mut claimed = Vec::new();
    for token in [&token_a, &token_b] {
        let (status, body) = claim(&server, token, "campaign").await;
        assert_eq!(status, 201, "{body}");
        let record = Record::decode(&records(&body["records"])[0]).unwrap();
        let payload = achievement(&record).unwrap();
        assert_eq!(payload.verification.name(), "optimistic");
        assert_eq!(payload.match_id, None);
        let result = verdict(&server, record.as_bytes()).await;
        assert_eq!(result["achievement"]["status"], "pending", "{result}");
        claimed.push(record);
    }
    let (status, body) = claim(&server, &token_a, "campaign").await;
    assert_eq!(
        (status, body["error"].as_str()),
        (409, Some("achievement_held"))
    );

    // Only moderators challenge; the moderator challenges A's claim.
    let challenge = json!({
        "player_key": a.public_key().to_string(),
        "game_module": "ra",
        "achievement_id": "campaign",
    });
    let (status, body) = server
        .post_json("/v1/achievements/challenges", &challenge, Some(&token_b))
        .await;
    assert_eq!((status, body["error"].as_str()), (403, Some("forbidden")));
    grant(&server, &moderator, "moderator");
    let token_m = server.login(&moderator).await;
    let (status, body) = server
        .post_json("/v1/achievements/challenges", &challenge, Some(&token_m))
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["achievement"]["claim"], "challenged");
    let (status, body) = server
        .post_json("/v1/achievements/challenges", &challenge, Some(&token_m))
        .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (409, Some("not_challengeable"))
    );

    // The window passes (moved into the past beside the server): B's claim is re-issued as
    // verified with a higher sequence; A's challenged one is not.
    Database::open(backend, dir.path(), &url)
        .await
        .run("UPDATE achievements SET upgrade_at = 1 WHERE upgrade_at IS NOT NULL")
        .await;
    let deadline = Instant::now() + Duration::from_secs(30);
    let upgraded = loop {
        let listed = held(&server, &b).await;
        if listed[0]["verification"] == "verified" {
            break listed[0].clone();
        }
        assert!(Instant::now() < deadline, "not upgraded: {listed:?}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    assert_eq!(upgraded["claim"], Value::Null);
    assert!(upgraded["sequence"].as_u64().unwrap() > claimed[1].sequence());
    let newest = records_of(&server, &b).await;
    let verified = newest
        .iter()
        .filter_map(|r| achievement(r).map(|a| (a.verification.name(), r.sequence())))
        .collect::<Vec<_>>();
    assert_eq!(
        verified,
        [
            ("optimistic", claimed[1].sequence()),
            ("verified", upgraded["sequence"].as_u64().unwrap())
        ]
    );
    let old = verdict(&server, claimed[1].as_bytes()).await;
    assert_eq!(old["achievement"]["status"], "upgraded", "{old}");

    // A's stays optimistic and challenged (another tick changes nothing).
    tokio::time::sleep(Duration::from_secs(11)).await;
    let listed = held(&server, &a).await;
    assert_eq!(listed[0]["verification"], "optimistic", "{listed:?}");
    assert_eq!(listed[0]["claim"], "challenged");
    let result = verdict(&server, claimed[0].as_bytes()).await;
    assert_eq!(result["achievement"]["status"], "challenged");
}

on_each_backend!(
    rules_fire_once_in_the_match_transaction,
    optimistic_claims_upgrade_after_the_window_unless_challenged,
);
