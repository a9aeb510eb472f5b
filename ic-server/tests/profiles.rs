//! Profiles and ranks on the real binary: every player's rank, percentile and tier, on the
//! leaderboard and on their profile, agree with a brute-force ranking of the stored ratings;
//! `around=` returns a player's neighbours; records issued once ranks exist carry them.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

mod common;

use base64::Engine;
use common::ledger::records_of;
use common::*;
use ranking::tier::TierTable;
use scr::{KeyPair, Payload};
use serde_json::Value;

async fn profile(server: &Server, player: &KeyPair) -> Value {
    let (status, body) = server
        .get(&format!("/v1/players/{}", player.public_key()), None)
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["modules"].as_array().unwrap().len(), 1, "{body}");
    body["modules"][0].clone()
}

async fn ranks_tiers_and_neighbours_agree_with_the_stored_ratings(backend: Backend) {
    let dir = tempfile::tempdir().unwrap();
    // TEST_LIMITS ends inside [ranking].
    let config = format!(
        "{TEST_LIMITS}match_history_per_player = 5\n\
         [rating.leaderboard]\nmin_matches = 3\nmin_distinct_opponents = 3\n\
         [rating.season]\nplacement_matches = 3\n{}",
        backend.storage()
    );
    let server = Server::start(dir.path(), &config);
    let players: Vec<KeyPair> = (0..9u32).map(player_from).collect();
    play_ladder(&server, &players).await;
    let newcomer = player_from(99);
    server.register(&newcomer).await;

    // Brute force: every eligible player's stored rating (from the profile), sorted the
    // leaderboard's way.
    let mut stored = Vec::new();
    for player in &players {
        let module = profile(&server, player).await;
        stored.push((
            module["rating"].as_i64().unwrap(),
            player.public_key().to_string(),
        ));
    }
    stored.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    let n = stored.len() as u64;
    let tiers = TierTable::default();
    let expected = |rank: usize| {
        let (rating, key) = &stored[rank - 1];
        let percentile = 1000 * (n - rank as u64) / (n - 1);
        let tier = tiers
            .position(*rating, Some(rank as u32))
            .unwrap()
            .display();
        (key.clone(), rank as u64, percentile, tier)
    };

    for (index, player) in players.iter().enumerate() {
        let module = profile(&server, player).await;
        let key = player.public_key().to_string();
        let rank = stored.iter().position(|(_, k)| *k == key).unwrap() + 1;
        let (_, rank, percentile, tier) = expected(rank);
        assert_eq!(module["rank"], rank, "player {index}: {module}");
        assert_eq!(module["percentile"], percentile, "player {index}");
        assert_eq!(module["tier"], tier.as_str(), "player {index}");
        assert_eq!(module["games_played"], 8);
        assert_eq!(module["placement_matches_left"], 0);
        assert!(module["peak_rating"].as_i64().unwrap() >= module["rating"].as_i64().unwrap());
    }
    // The newcomer: placing, no rank, no tier.
    let module = profile(&server, &newcomer).await;
    assert_eq!(
        (
            &module["rank"],
            &module["tier"],
            &module["placement_matches_left"]
        ),
        (&Value::Null, &Value::Null, &Value::from(3))
    );

    // The leaderboard, paged by its cursor, says the same.
    let mut cursor = String::new();
    let mut seen = Vec::new();
    loop {
        let (status, page) = server
            .get(&format!("/v1/leaderboard?limit=4{cursor}"), None)
            .await;
        assert_eq!(status, 200, "{page}");
        for entry in page["entries"].as_array().unwrap() {
            seen.push((
                entry["player_key"].as_str().unwrap().to_owned(),
                entry["rank"].as_u64().unwrap(),
                entry["percentile"].as_u64().unwrap(),
                entry["tier"].as_str().unwrap().to_owned(),
            ));
        }
        match page["next"].as_str() {
            Some(next) => cursor = format!("&after={next}"),
            None => break,
        }
    }
    let all: Vec<_> = (1..=stored.len()).map(expected).collect();
    assert_eq!(seen, all);

    // Around the fifth: the fourth to the sixth; around the last: a full page ending there.
    let fifth = &stored[4].1;
    let (status, page) = server
        .get(&format!("/v1/leaderboard?limit=3&around={fifth}"), None)
        .await;
    assert_eq!(status, 200, "{page}");
    let ranks: Vec<u64> = page["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["rank"].as_u64().unwrap())
        .collect();
    assert_eq!(ranks, [4, 5, 6]);
    assert_eq!(page["entries"][1]["player_key"], fifth.as_str());
    let last = &stored[stored.len() - 1].1;
    let (_, page) = server
        .get(&format!("/v1/leaderboard?limit=3&around={last}"), None)
        .await;
    assert_eq!(page["entries"][2]["player_key"], last.as_str());
    assert_eq!(page["entries"][0]["rank"], n - 2);
    let (status, refused) = server
        .get(
            &format!("/v1/leaderboard?around={}", newcomer.public_key()),
            None,
        )
        .await;
    assert_eq!(
        (status, refused["error"].as_str()),
        (404, Some("not_ranked"))
    );
    let (status, _) = server.get("/v1/leaderboard?around=nobody", None).await;
    assert_eq!(status, 400);
    let (status, _) = server.get("/v1/players/nobody", None).await;
    assert_eq!(status, 400);

    // The history: the newest 5 of player 0's 8 wins, newest first, in pages of 3.
    let first = &players[0];
    let path = format!("/v1/players/{}/matches?limit=3", first.public_key());
    let (status, page) = server.get(&path, None).await;
    assert_eq!(status, 200, "{page}");
    let mut history: Vec<Value> = page["matches"].as_array().unwrap().clone();
    let next = page["next"]
        .as_u64()
        .expect("a full page has a next cursor");
    let (_, page) = server.get(&format!("{path}&before={next}"), None).await;
    history.extend(page["matches"].as_array().unwrap().iter().cloned());
    assert_eq!(page["next"], Value::Null, "the window ends after 5");
    assert_eq!(history.len(), 5);
    let mut seen = std::collections::BTreeSet::new();
    for (index, entry) in history.iter().enumerate() {
        assert_eq!(entry["result"], "win", "{entry}");
        let (before, after) = (
            entry["rating_before"].as_i64().unwrap(),
            entry["rating_after"].as_i64().unwrap(),
        );
        assert_eq!(entry["rating_change"].as_i64().unwrap(), after - before);
        assert!(after > before, "a win raises the rating: {entry}");
        assert_eq!(entry["opponents"].as_array().unwrap().len(), 1);
        assert_eq!(entry["teammates"], serde_json::json!([]));
        assert_eq!(entry["replay_hash"].as_str().unwrap().len(), 64);
        // Submitted results, not played on this server's relay: no replay kept here.
        assert_eq!(entry["replay_available"], false);
        assert!(seen.insert(entry["match_id"].as_str().unwrap().to_owned()));
        if index > 0 {
            // Newest first: each match ended where the next one (in time) started.
            assert_eq!(
                history[index - 1]["rating_before"].as_i64().unwrap(),
                after,
                "{entry}"
            );
        }
    }
    assert_eq!(
        history[0]["rating_after"].as_i64().unwrap(),
        profile(&server, first).await["rating"].as_i64().unwrap()
    );
    let (status, body) = server
        .get(
            &format!("/v1/players/{}/matches?limit=0", first.public_key()),
            None,
        )
        .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_query"))
    );
    let (status, body) = server
        .get(
            &format!("/v1/players/{}/matches", player_from(500).public_key()),
            None,
        )
        .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (404, Some("not_registered"))
    );

    // Now that ranks exist, a rating record issued by a match carries a rank and its
    // percentile.
    let community = server.community_key().await;
    let (status, body) = server
        .post_bytes(
            "/v1/matches",
            duel(
                &server.relay_key(),
                community,
                &players[8],
                &players[0],
                1_000,
            ),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    let (bytes, newest) = records_of(&server, &players[8])
        .await
        .into_iter()
        .filter_map(|r| match r.payload() {
            Payload::Rating(rating) => Some((r.as_bytes().to_vec(), rating.clone())),
            _ => None,
        })
        .next_back()
        .unwrap();
    assert!((1..=n as u32).contains(&newest.rank), "{newest:?}");
    assert_eq!(
        u64::from(newest.percentile),
        1000 * (n - u64::from(newest.rank)) / (n - 1)
    );
    // Verification names the tier the record shows.
    let (status, verdict) = server
        .post_json(
            "/v1/credentials/verify",
            &serde_json::json!({ "records": [B64.encode(&bytes)] }),
            None,
        )
        .await;
    assert_eq!(status, 200, "{verdict}");
    let expected = tiers
        .position(newest.rating, Some(newest.rank))
        .unwrap()
        .display();
    assert_eq!(
        verdict["results"][0]["tier"],
        expected.as_str(),
        "{verdict}"
    );
    // A newcomer's record (no games) shows no tier.
    let initial = records_of(&server, &newcomer).await.remove(0);
    let (_, verdict) = server
        .post_json(
            "/v1/credentials/verify",
            &serde_json::json!({ "records": [B64.encode(initial.as_bytes())] }),
            None,
        )
        .await;
    assert_eq!(verdict["results"][0]["tier"], Value::Null, "{verdict}");
}

async fn a_rating_in_a_module_no_longer_rated_still_shows_and_refreshes(backend: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let storage = backend.storage();
    // TEST_LIMITS ends inside [ranking].
    let two = format!("{TEST_LIMITS}game_modules = [\"ra\", \"td\"]\n{storage}");
    let mut server = Server::start(dir.path(), &two);
    let player = player_from(7);
    server.register(&player).await;
    server.stop();
    // The operator stops rating `td`; the player's `td` row stays in the database. A refresh
    // window of a year makes every record due for re-issue.
    let one =
        format!("{TEST_LIMITS}game_modules = [\"ra\"]\nrefresh_window_secs = 31536000\n{storage}");
    std::fs::write(dir.path().join("ic-server.toml"), one).unwrap();
    let server = Server::spawn(dir.path());
    let (status, body) = server
        .get(&format!("/v1/players/{}", player.public_key()), None)
        .await;
    assert_eq!(status, 200, "{body}");
    let modules: Vec<&str> = body["modules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["module"].as_str().unwrap())
        .collect();
    assert_eq!(modules, ["ra", "td"]);
    assert_eq!(body["modules"][1]["rank"], Value::Null);
    let token = server.login(&player).await;
    let (status, body) = server
        .post_json(
            "/v1/players/me/refresh",
            &serde_json::json!({}),
            Some(&token),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["records"].as_array().unwrap().len(), 2, "{body}");
}

async fn a_module_with_its_own_tier_table_shows_its_tiers(backend: Backend) {
    let dir = tempfile::tempdir().unwrap();
    // TEST_LIMITS ends inside [ranking]. No placement: tiers show from the first record.
    let config = format!(
        "{TEST_LIMITS}game_modules = [\"ra\", \"td\"]\n\
         [rating.season]\nplacement_matches = 0\n\
         [rating.module_tiers.td]\ntiers = [{{ name = \"Bronze\", min_rating = 0, divisions = 1 }}, \
         {{ name = \"Gold\", min_rating = 1400, divisions = 1 }}]\n{}",
        backend.storage()
    );
    let server = Server::start(dir.path(), &config);
    let player = player_from(1);
    let issued = server.register(&player).await;
    let (status, body) = server
        .get(&format!("/v1/players/{}", player.public_key()), None)
        .await;
    assert_eq!(status, 200, "{body}");
    let tier_in = |module: &str| {
        body["modules"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["module"] == module)
            .map(|m| m["tier"].clone())
            .unwrap()
    };
    let shared = TierTable::default()
        .position(1_500_000, None)
        .unwrap()
        .display();
    assert_eq!(tier_in("ra"), shared.as_str(), "{body}");
    assert_eq!(tier_in("td"), "Gold", "{body}");
    // Verification names the tier of each record's own module.
    for record in &issued {
        let Payload::Rating(rating) = scr::Record::decode(record).unwrap().payload().clone() else {
            continue;
        };
        let expected = if rating.game_module == "td" {
            "Gold"
        } else {
            shared.as_str()
        };
        assert_eq!(verdict(&server, record).await["tier"], expected);
    }
}

on_each_backend!(
    a_module_with_its_own_tier_table_shows_its_tiers,
    ranks_tiers_and_neighbours_agree_with_the_stored_ratings,
    a_rating_in_a_module_no_longer_rated_still_shows_and_refreshes,
);
