//! `[rating]` keys the server applies itself (the ranking crate's tests cover the keys its
//! algorithms read): the rematch window and the inactivity period of a rated match, and the
//! provisional threshold a profile shows. Each server plays the same matches as one on the
//! defaults, and the ratings must differ as the key says.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{Server, TEST_LIMITS, duel, player};
use scr::KeyPair;
use serde_json::Value;

/// A server on `extra` whose `winner` beats `loser` in the games numbered `games` (a game's
/// number is its start in seconds after 2026-01-01); returns the winner's profile entry for
/// module `ra`.
async fn play(extra: &str, winner: &KeyPair, loser: &KeyPair, games: &[u64]) -> Value {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path(), &format!("{TEST_LIMITS}{extra}"));
    server.register(winner).await;
    server.register(loser).await;
    let community = server.community_key().await;
    let relay = server.relay_key();
    for &game in games {
        let result = duel(&relay, community, winner, loser, game);
        let (status, body) = server.post_bytes("/v1/matches", result).await;
        assert_eq!(status, 201, "{body}");
    }
    profile(&server, winner).await
}

async fn profile(server: &Server, key: &KeyPair) -> Value {
    let (status, body) = server
        .get(&format!("/v1/players/{}", key.public_key()), None)
        .await;
    assert_eq!(status, 200, "{body}");
    body["modules"][0].clone()
}

fn rating(profile: &Value) -> i64 {
    profile["rating"].as_i64().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_rematch_window_inactivity_period_and_provisional_threshold_apply() {
    let (a, b) = (player(1), player(2));
    // Two wins a second apart: the second is a rematch within the default day and counts half.
    let by_default = play("", &a, &b, &[1, 2]).await;
    let no_window = play(
        "[rating.information]\nrematch_window_secs = 0\n",
        &a,
        &b,
        &[1, 2],
    )
    .await;
    assert!(
        rating(&no_window) > rating(&by_default),
        "without a rematch window the second win counts fully: {no_window} vs {by_default}"
    );

    // Two wins an hour apart: no idle day by default; with one-second periods the hour is
    // 3600 idle periods, so the deviation grows back and the second win moves more.
    let by_default = play("", &a, &b, &[1, 3601]).await;
    let short_periods = play(
        "[rating.glicko2]\ninactivity_period_secs = 1\n",
        &a,
        &b,
        &[1, 3601],
    )
    .await;
    assert!(
        rating(&short_periods) > rating(&by_default),
        "{short_periods} vs {by_default}"
    );

    // A new player's deviation (350 before any game, lower after two) is provisional above
    // the default 110, and not under a threshold of 400.
    assert_eq!(by_default["provisional"], true, "{by_default}");
    let lenient = play(
        "[rating.glicko2]\nprovisional_deviation = 400\n",
        &a,
        &b,
        &[1],
    )
    .await;
    assert_eq!(lenient["provisional"], false, "{lenient}");
}
