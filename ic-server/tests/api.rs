//! The HTTP API seen from outside: a real server process on loopback.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

mod common;

use common::*;
use relay_core::cmr::{CmrPlayer, MatchOutcome, PlayerResult};
use relay_core::ids::{PlayerSlot, TeamId};
use scr::{KeyChain, PlayerKey, Record, RecordType, Verifier};
use serde_json::{Value, json};

fn verifier_from(document: &Value) -> Verifier {
    let rotations: Vec<Vec<u8>> = records(&document["rotations"]);
    let first = match rotations.first() {
        Some(bytes) => match Record::decode(bytes).unwrap().payload() {
            scr::Payload::KeyRotation(rotation) => rotation.old_key,
            _ => panic!("not a rotation"),
        },
        None => document["signing_key"].as_str().unwrap().parse().unwrap(),
    };
    let chain = KeyChain::from_rotations(
        first,
        Some(document["recovery_key"].as_str().unwrap().parse().unwrap()),
        rotations.iter().map(Vec::as_slice),
    )
    .unwrap();
    Verifier::new(chain)
}

fn now() -> i64 {
    ic_server::clock::unix_now()
}

async fn fresh_server_serves_health_ready_and_its_document(backend: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path(), &format!("{}{}", TEST_LIMITS, backend.storage()));
    for path in ["/health", "/healthz", "/ready", "/readyz"] {
        assert_eq!(server.get(path, None).await.0, 200, "{path}");
    }
    let document = server.document().await;
    assert_eq!(document["api_version"], 1);
    assert_eq!(
        document["capabilities"],
        json!(["relay", "ranking", "matchmaking"])
    );
    let key: scr::CommunityKey = document["signing_key"].as_str().unwrap().parse().unwrap();
    assert_eq!(document["fingerprint"], key.fingerprint().to_string());
    assert_eq!(
        server.get("/no/such/route", None).await.1["error"],
        "not_found"
    );
}

async fn registered_records_verify_against_the_community_document(backend: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path(), &format!("{}{}", TEST_LIMITS, backend.storage()));
    let alice = player(1);
    let records = server.register(&alice).await;
    assert_eq!(records.len(), 1, "one module configured");
    let verifier = verifier_from(&server.document().await);
    let record = verifier.verify(&records[0], now()).unwrap();
    assert_eq!(record.player_key(), PlayerKey::from(alice.public_key()));
    assert_eq!(record.sequence(), 1);
    let scr::Payload::Rating(rating) = record.payload() else {
        panic!("not a rating")
    };
    assert_eq!((rating.rating, rating.deviation), (1_500_000, 350_000));
    // Registering twice is a conflict, not a second set of records.
    let token = server.login(&alice).await;
    let (status, body) = server
        .post_json("/v1/players", &json!({}), Some(&token))
        .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (409, Some("already_registered"))
    );
    // Without a token: 401 with a JSON body.
    let (status, body) = server.post_json("/v1/players", &json!({}), None).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (401, Some("unauthorized"))
    );
}

async fn certified_matches_issue_records_once(backend: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path(), &format!("{}{}", TEST_LIMITS, backend.storage()));
    let (alice, bob) = (player(1), player(2));
    server.register(&alice).await;
    server.register(&bob).await;
    let community = server.community_key().await;
    let relay = server.relay_key();
    let verifier = verifier_from(&server.document().await);

    let mut last_sequence = 1;
    let mut last_rating = 1_500_000;
    for game in 0..3u64 {
        let cmr = duel(&relay, community, &alice, &bob, game);
        let (status, body) = server.post_bytes("/v1/matches", cmr.clone()).await;
        assert_eq!(status, 201, "{body}");
        let mine = records(&body["records"][alice.public_key().to_string()]);
        // A rating and a match record; the first win also earns the default "first_win".
        assert_eq!(mine.len(), if game == 0 { 3 } else { 2 }, "{body}");
        let rating = verifier.verify(&mine[0], now()).unwrap();
        let matched = verifier.verify(&mine[1], now()).unwrap();
        assert_eq!(rating.record_type(), RecordType::Rating);
        assert_eq!(matched.record_type(), RecordType::Match);
        assert!(rating.sequence() > last_sequence);
        assert_eq!(matched.sequence(), rating.sequence() + 1);
        last_sequence = matched.sequence();
        if let Some(unlocked) = mine.get(2) {
            let unlocked = verifier.verify(unlocked, now()).unwrap();
            assert_eq!(unlocked.record_type(), RecordType::Achievement);
            assert_eq!(unlocked.sequence(), matched.sequence() + 1);
            last_sequence = unlocked.sequence();
        }
        let (scr::Payload::Rating(r), scr::Payload::Match(m)) =
            (rating.payload(), matched.payload())
        else {
            panic!("wrong payloads")
        };
        assert!(r.rating > last_rating, "the winner gains");
        assert_eq!(m.rating_before, last_rating);
        assert_eq!(m.rating_after, r.rating);
        assert_eq!(hex::encode(m.match_id), body["match_id"].as_str().unwrap());
        assert_eq!(m.result, scr::payload::PlayerResult::Win);
        last_rating = r.rating;

        // The same bytes again: 200, the same records, nothing new.
        let (again, repeat) = server.post_bytes("/v1/matches", cmr).await;
        assert_eq!(again, 200);
        assert_eq!(repeat, body);
    }
    let token = server.login(&alice).await;
    let (_, mine) = server
        .get("/v1/players/me/records?since=0", Some(&token))
        .await;
    let sequences: Vec<u64> = records(&mine["records"])
        .iter()
        .map(|r| Record::decode(r).unwrap().sequence())
        .collect();
    assert_eq!(sequences, vec![1, 2, 3, 4, 5, 6, 7, 8]);
    let (_, later) = server
        .get("/v1/players/me/records?since=6", Some(&token))
        .await;
    assert_eq!(records(&later["records"]).len(), 2);
    // The initial rating is now stale for this community; the newest rating is valid.
    use base64::Engine;
    let all = records(&mine["records"]);
    let (_, verdict) = server
        .post_json(
            "/v1/credentials/verify",
            &json!({ "records": [B64.encode(&all[0]), B64.encode(&all[6])] }),
            None,
        )
        .await;
    assert_eq!(verdict["results"][0]["error"], "stale", "{verdict}");
    assert_eq!(verdict["results"][1]["valid"], true, "{verdict}");
}

async fn bad_match_submissions_are_rejected_with_json_errors(backend: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path(), &format!("{}{}", TEST_LIMITS, backend.storage()));
    let (alice, bob) = (player(1), player(2));
    server.register(&alice).await;
    server.register(&bob).await;
    let community = server.community_key().await;
    let relay = server.relay_key();

    let stranger = player(99);
    let (status, body) = server
        .post_bytes("/v1/matches", duel(&stranger, community, &alice, &bob, 1))
        .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (403, Some("untrusted_relay"))
    );

    let elsewhere = player(98).public_key().into();
    let (status, body) = server
        .post_bytes("/v1/matches", duel(&relay, elsewhere, &alice, &bob, 1))
        .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (403, Some("wrong_community"))
    );

    let mut tampered = duel(&relay, community, &alice, &bob, 1);
    let last = tampered.len() - 1;
    tampered[last] ^= 1;
    let (status, body) = server.post_bytes("/v1/matches", tampered).await;
    assert!((400..500).contains(&status), "{status} {body}");
    assert!(body["error"].is_string());

    let (status, body) = server.post_bytes("/v1/matches", vec![1, 2, 3]).await;
    assert_eq!(status, 400, "{body}");
    let (status, body) = server.post_bytes("/v1/matches", vec![0; 20_000]).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (413, Some("body_too_large"))
    );

    let unregistered = player(50);
    let (status, body) = server
        .post_bytes(
            "/v1/matches",
            duel(&relay, community, &alice, &unregistered, 2),
        )
        .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (422, Some("unregistered_player"))
    );

    // A remade match is accepted once and changes nothing.
    let remade = certified(
        &relay,
        community,
        vec![
            CmrPlayer {
                slot: PlayerSlot(0),
                key: alice.public_key().into(),
                team: TeamId(1),
                result: PlayerResult::NoResult,
            },
            CmrPlayer {
                slot: PlayerSlot(1),
                key: bob.public_key().into(),
                team: TeamId(2),
                result: PlayerResult::NoResult,
            },
        ],
        MatchOutcome::Remade,
        3,
    );
    let (status, body) = server.post_bytes("/v1/matches", remade).await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["records"], json!({}));
    let token = server.login(&alice).await;
    let (_, mine) = server.get("/v1/players/me/records", Some(&token)).await;
    assert_eq!(
        records(&mine["records"]).len(),
        1,
        "still only the initial rating"
    );
}

async fn revoked_records_are_refused_and_refresh_reissues(backend: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path(), &format!("{}{}", TEST_LIMITS, backend.storage()));
    let alice = player(1);
    let initial = server.register(&alice).await;
    let b64 = |r: &Vec<u8>| {
        use base64::Engine;
        B64.encode(r)
    };
    let (_, verdict) = server
        .post_json(
            "/v1/credentials/verify",
            &json!({ "records": [b64(&initial[0])] }),
            None,
        )
        .await;
    assert_eq!(verdict["results"][0]["valid"], true, "{verdict}");

    let key = alice.public_key().to_string();
    let (code, out, err) = cli(
        &server.data_dir,
        &["players", "revoke", &key, "--record-type", "rating"],
    );
    assert_eq!(code, 0, "{out}{err}");

    let (_, verdict) = server
        .post_json(
            "/v1/credentials/verify",
            &json!({ "records": [b64(&initial[0]), "not base64!"] }),
            None,
        )
        .await;
    assert_eq!(verdict["results"][0]["valid"], false);
    assert_eq!(verdict["results"][0]["error"], "revoked");
    assert_eq!(verdict["results"][0]["record_type"], "rating");
    assert_eq!(verdict["results"][1]["error"], "malformed");
    let (_, revocations) = server
        .get(&format!("/v1/players/{key}/revocations"), None)
        .await;
    assert_eq!(records(&revocations["records"]).len(), 1);

    // Refresh re-issues the revoked rating with a new sequence that verifies.
    let token = server.login(&alice).await;
    let (status, body) = server
        .post_json("/v1/players/me/refresh", &json!({}), Some(&token))
        .await;
    assert_eq!(status, 200, "{body}");
    let fresh = records(&body["records"]);
    assert_eq!(fresh.len(), 1);
    let (_, verdict) = server
        .post_json(
            "/v1/credentials/verify",
            &json!({ "records": [b64(&fresh[0])] }),
            None,
        )
        .await;
    assert_eq!(verdict["results"][0]["valid"], true, "{verdict}");
    assert_eq!(verdict["results"][0]["sequence"], 3);
    // Nothing left to refresh.
    let (_, body) = server
        .post_json("/v1/players/me/refresh", &json!({}), Some(&token))
        .await;
    assert_eq!(body["records"], json!([]));
}

async fn records_from_before_a_voluntary_rotation_verify_during_the_grace_only(backend: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path(), &format!("{}{}", TEST_LIMITS, backend.storage()));
    let alice = player(1);
    let before = server.register(&alice).await;
    let old_document = server.document().await;

    // Rotated with the CLI while the server runs: the server switches within seconds.
    let (code, out, err) = cli(dir.path(), &["keys", "rotate"]);
    assert_eq!(code, 0, "{out}{err}");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    let document = loop {
        let document = server.document().await;
        if document["signing_key"] != old_document["signing_key"] {
            break document;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the server kept the old key"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    };
    assert_eq!(records(&document["rotations"]).len(), 1);

    // A wallet that pinned the old key follows the chain.
    let verifier = verifier_from(&document);
    let t = now();
    assert!(verifier.verify(&before[0], t).is_ok(), "inside the grace");
    let grace_end = t + 30 * 86_400 + 60;
    assert_eq!(
        verifier.verify(&before[0], grace_end).unwrap_err().code(),
        "key_outside_grace"
    );
    // New records are signed with the new key at once.
    let bob = player(2);
    let fresh = server.register(&bob).await;
    let record = verifier
        .verify(&fresh[0], t)
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        record.community_key().to_string(),
        document["signing_key"].as_str().unwrap()
    );
}

async fn leaderboard_lists_eligible_players_best_first_in_pages(backend: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let config =
        format!("{TEST_LIMITS}[rating.leaderboard]\nmin_matches = 2\nmin_distinct_opponents = 2\n");
    let server = Server::start(dir.path(), &format!("{}{}", &config, backend.storage()));
    let players: Vec<_> = (1..=4).map(player).collect();
    // Player 1 beats everyone, player 2 beats 3 and 4, player 3 beats 4.
    play_ladder(&server, &players).await;
    let (status, page) = server.get("/v1/leaderboard?module=ra&limit=2", None).await;
    assert_eq!(status, 200, "{page}");
    let keys = entry_keys(&page);
    assert_eq!(
        keys,
        vec![
            players[0].public_key().to_string(),
            players[1].public_key().to_string()
        ]
    );
    let next = page["next"].as_str().unwrap();
    let (_, rest) = server
        .get(
            &format!("/v1/leaderboard?module=ra&limit=2&after={next}"),
            None,
        )
        .await;
    let keys = entry_keys(&rest);
    assert_eq!(
        keys,
        vec![
            players[2].public_key().to_string(),
            players[3].public_key().to_string()
        ]
    );
    let (status, body) = server.get("/v1/leaderboard?module=nope", None).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (422, Some("unknown_game_module"))
    );
}

async fn emergency_rotation_cuts_off_the_old_key_at_once(backend: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let mut server = Server::start(dir.path(), &format!("{}{}", TEST_LIMITS, backend.storage()));
    let alice = player(1);
    let before = server.register(&alice).await;
    server.stop();
    let recovery = dir.path().join("RECOVERY-KEY-MOVE-OFFLINE.key");
    // A wrong recovery key is refused and changes nothing.
    let wrong = dir.path().join("wrong.key");
    std::fs::copy(dir.path().join("keys/relay.key"), &wrong).unwrap();
    let (code, _, err) = cli(
        dir.path(),
        &[
            "keys",
            "emergency-rotate",
            "--recovery-key",
            wrong.to_str().unwrap(),
        ],
    );
    assert_eq!(code, 1);
    assert!(err.contains("recovery key"), "{err}");
    let (code, out, err) = cli(
        dir.path(),
        &[
            "keys",
            "emergency-rotate",
            "--recovery-key",
            recovery.to_str().unwrap(),
        ],
    );
    assert_eq!(code, 0, "{out}{err}");
    let server = Server::spawn(dir.path());
    let document = server.document().await;
    let verifier = verifier_from(&document);
    assert_eq!(
        verifier.verify(&before[0], now() + 2).unwrap_err().code(),
        "key_outside_grace",
        "no grace after an emergency rotation"
    );
    let fresh = server.register(&player(2)).await;
    assert!(verifier.verify(&fresh[0], now()).is_ok());
    // Refresh replaces the rating the retired key signed.
    let token = server.login(&alice).await;
    let (status, body) = server
        .post_json("/v1/players/me/refresh", &json!({}), Some(&token))
        .await;
    assert_eq!(status, 200, "{body}");
    let reissued = records(&body["records"]);
    assert_eq!(reissued.len(), 1);
    assert!(verifier.verify(&reissued[0], now() + 2).is_ok());
    // The server refuses the old key's records too.
    use base64::Engine;
    std::thread::sleep(std::time::Duration::from_millis(1100));
    let (_, verdict) = server
        .post_json(
            "/v1/credentials/verify",
            &json!({ "records": [B64.encode(&before[0])] }),
            None,
        )
        .await;
    assert_eq!(verdict["results"][0]["error"], "key_outside_grace");
}

/// The player keys of a leaderboard page, in order.
fn entry_keys(page: &Value) -> Vec<String> {
    page["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["player_key"].as_str().unwrap().to_owned())
        .collect()
}

/// The rating of `player` in `ra` as their profile shows it.
async fn rating_of(server: &Server, player: &scr::KeyPair) -> i64 {
    let (status, body) = server
        .get(&format!("/v1/players/{}", player.public_key()), None)
        .await;
    assert_eq!(status, 200, "{body}");
    body["modules"][0]["rating"].as_i64().unwrap()
}

async fn degraded_results_are_void_unless_the_community_weighs_them(backend: Backend) {
    // Default: void. Recorded (a resubmission is a duplicate) but not rated, nothing issued.
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path(), &format!("{TEST_LIMITS}{}", backend.storage()));
    let (a, b) = (player(1), player(2));
    server.register(&a).await;
    server.register(&b).await;
    let (relay, community) = (server.relay_key(), server.community_key().await);
    let degraded = duel_as(&relay, community, &a, &b, 1, true);
    let (status, body) = server.post_bytes("/v1/matches", degraded.clone()).await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["records"], json!({}), "{body}");
    assert_eq!(server.post_bytes("/v1/matches", degraded).await.0, 200);
    assert_eq!(rating_of(&server, &a).await, 1_500_000);
    drop(server);

    // degraded_weight = 500: rated, at half the information of the same match undegraded.
    let dir = tempfile::tempdir().unwrap();
    let config = format!(
        "{TEST_LIMITS}[rating.information]\ndegraded_weight = 500\n{}",
        backend.storage()
    );
    let server = Server::start(dir.path(), &config);
    let (c, d) = (player(3), player(4));
    for p in [&a, &b, &c, &d] {
        server.register(p).await;
    }
    let (relay, community) = (server.relay_key(), server.community_key().await);
    let (status, body) = server
        .post_bytes("/v1/matches", duel_as(&relay, community, &a, &b, 1, true))
        .await;
    assert_eq!(status, 201, "{body}");
    let (status, body) = server
        .post_bytes("/v1/matches", duel(&relay, community, &c, &d, 2))
        .await;
    assert_eq!(status, 201, "{body}");
    let degraded_gain = rating_of(&server, &a).await - 1_500_000;
    let full_gain = rating_of(&server, &c).await - 1_500_000;
    assert!(
        degraded_gain > 0 && degraded_gain < full_gain,
        "degraded {degraded_gain}, full {full_gain}"
    );
}

async fn desperation_matches_count_with_less_information(backend: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let storage = backend.storage();
    let url = storage.split('"').nth(1).unwrap_or_default().to_owned();
    // A narrow initial window: a gap over 40 points is wide enough to reduce the weight.
    let config = format!("{TEST_LIMITS}[rating.matchmaking]\ninitial_range = 20\n{storage}");
    let server = Server::start(dir.path(), &config);
    let (a, b, c, d) = (player(1), player(2), player(3), player(4));
    for p in [&a, &b, &c, &d] {
        server.register(p).await;
    }
    let (relay, community) = (server.relay_key(), server.community_key().await);
    // Two pairs with the same history: A and C each beat B and D three times.
    for game in 1..=3 {
        for (winner, loser, id) in [(&a, &b, game), (&c, &d, 10 + game)] {
            let (status, body) = server
                .post_bytes("/v1/matches", duel(&relay, community, winner, loser, id))
                .await;
            assert_eq!(status, 201, "{body}");
        }
    }
    assert_eq!(rating_of(&server, &b).await, rating_of(&server, &d).await);
    // The matchmaker marked game 100 as formed in desperation; game 200 is ordinary.
    common::database::Database::open(backend, dir.path(), &url)
        .await
        .run("INSERT INTO desperation_matches (game_id, marked_at) VALUES (100, 1)")
        .await;
    let before = rating_of(&server, &b).await;
    for (winner, loser, id) in [(&b, &a, 100), (&d, &c, 200)] {
        let (status, body) = server
            .post_bytes("/v1/matches", duel(&relay, community, winner, loser, id))
            .await;
        assert_eq!(status, 201, "{body}");
    }
    let desperate = rating_of(&server, &b).await - before;
    let ordinary = rating_of(&server, &d).await - before;
    assert!(
        desperate > 0 && desperate < ordinary,
        "desperation {desperate}, ordinary {ordinary}"
    );
}

crate::on_each_backend!(
    desperation_matches_count_with_less_information,
    degraded_results_are_void_unless_the_community_weighs_them,
    fresh_server_serves_health_ready_and_its_document,
    registered_records_verify_against_the_community_document,
    certified_matches_issue_records_once,
    bad_match_submissions_are_rejected_with_json_errors,
    revoked_records_are_refused_and_refresh_reissues,
    records_from_before_a_voluntary_rotation_verify_during_the_grace_only,
    leaderboard_lists_eligible_players_best_first_in_pages,
    emergency_rotation_cuts_off_the_old_key_at_once,
);
