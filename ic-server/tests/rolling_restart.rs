//! A rolling restart seen from the players: while the community server's own relay drains (a
//! match still running on it), its matchmaker keeps placing new matches, on the other relay it
//! lists, which has room; the draining relay takes none.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
mod relay_support;

use std::time::Duration;

use common::*;
use ic_client::relay::bot::{BotEnd, BotPlan};
use relay_support::{plan, play_both};
use scr::KeyPair;
use serde_json::Value;

/// `players` queue ranked 1v1 on `server` and accept; returns their `match_ready` events.
async fn matched(server: &Server, players: &[KeyPair; 2]) -> Vec<Value> {
    let (tokens, _) = queue_and_accept(server, players).await;
    let mut ready = Vec::new();
    for token in &tokens {
        ready.push(queue_event(server, token, "match_ready").await);
    }
    ready
}

/// Both players of `ready` connect and play `plan_for` each.
async fn play(
    ready: &[Value],
    players: &[KeyPair; 2],
    plan_for: BotPlan,
) -> tokio::task::JoinHandle<Vec<BotEnd>> {
    let mut sessions = Vec::new();
    for (answer, key) in ready.iter().zip(players) {
        sessions.push(connect_as(answer, key).await);
    }
    tokio::spawn(async move {
        let (b, a) = (sessions.pop().unwrap(), sessions.pop().unwrap());
        let (ra, rb) = play_both(a.1, plan_for.clone(), b.1, plan_for).await;
        drop((a.0, b.0));
        vec![ra.end, rb.end]
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn while_its_relay_drains_the_matchmaker_places_matches_on_another_relay() {
    let dir = tempfile::tempdir().unwrap();
    let (community_dir, other_dir) = (dir.path().join("community"), dir.path().join("other"));
    let base = format!(
        "{TEST_LIMITS}{NO_ACHIEVEMENTS}\
         [matchmaking]\npass_interval_min_ms = 50\npass_interval_max_ms = 200\n"
    );
    Server::init(&community_dir, &base);
    let community =
        ic_server::data_dir::read_key_file(&community_dir.join("keys/signing.key")).unwrap();
    // Another server's relay that admits the community's tickets.
    let other = Server::start(
        &other_dir,
        &format!(
            "[capabilities]\npreset = \"minimal\"\nrelay = true\n\
             [relay]\nticket_signers = [\"{}\"]\n",
            community.public_key()
        ),
    );
    let listed = other.document().await["relays"][0].clone();
    std::fs::write(
        community_dir.join("ic-server.toml"),
        format!(
            "{base}relays = [{{ address = \"{}\", key = \"{}\" }}]\nrelay_probe_secs = 1\n\
             [relay]\ndrain_secs = 60\n",
            listed["address"].as_str().unwrap(),
            listed["key"].as_str().unwrap(),
        ),
    )
    .unwrap();
    let mut server = Server::spawn(&community_dir);
    let own = server.document().await["relays"][0]["address"].clone();
    assert_ne!(own, listed["address"]);

    // The community's own relay comes first: a long match starts there.
    let first = [player(71), player(72)];
    let ready = matched(&server, &first).await;
    assert_eq!(ready[0]["relay_address"], own);
    let long = play(&ready, &first, plan(150)).await;
    tokio::time::sleep(Duration::from_millis(500)).await;

    // SIGTERM: the relay drains (the API keeps answering, not ready), and new matches go to
    // the other relay.
    server.signal("TERM");
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    while server.get("/ready", None).await.0 != 503 {
        assert!(std::time::Instant::now() < deadline, "still ready");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let second = [player(73), player(74)];
    let ready = matched(&server, &second).await;
    assert_eq!(ready[0]["relay_address"], listed["address"], "{}", ready[0]);
    assert_eq!(ready[0]["relay_key"], listed["key"]);
    let mut short = plan(20);
    short.expect_records = 0; // the other relay sends results to nobody's ranking
    let elsewhere = play(&ready, &second, short).await;
    assert_eq!(elsewhere.await.unwrap(), [BotEnd::Finished; 2]);

    // The match on the draining relay finishes and is rated; then the server stops.
    assert_eq!(long.await.unwrap(), [BotEnd::Finished; 2]);
    assert!(server.wait().success());
}
