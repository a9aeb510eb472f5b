//! The ranked map veto on the real binary: two players found by the matchmaker ban in turn
//! over HTTP, the one who idles gets a ban picked at its deadline, the match ticket names the
//! map left, and the relay's certified result of the game played over QUIC names it too.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
mod relay_support;

use base64::Engine;
use common::*;
use ic_client::relay::bot::BotEnd;
use relay_core::cmr::CertifiedMatchResult;
use relay_core::ticket::MatchTicket;
use relay_support::{plan, play_both};
use serde_json::{Value, json};

const POOL: &str = "[matchmaking]\npass_interval_min_ms = 50\npass_interval_max_ms = 200\n\
    veto_ban_secs = 5\n\
    map_pools = [{ module = \"ra\", mode = \"ranked_1v1\", maps = [\
    { name = \"Coastline\" }, { name = \"Ridge\" }, \
    { name = \"Dunes\", hash = \"abababababababababababababababababababababababababababababababab\" }] }]\n";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ranked_players_ban_in_turn_and_the_last_map_is_played_and_certified() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path(), &format!("{TEST_LIMITS}{NO_ACHIEVEMENTS}{POOL}"));
    let players = [player(61), player(62)];
    let (tokens, match_id) = queue_and_accept(&server, &players).await;

    // Both see the pool and whose turn it is, and nothing about each other.
    let mut vetoes: Vec<Value> = Vec::new();
    for token in &tokens {
        vetoes.push(queue_event(&server, token, "map_veto").await);
    }
    for veto in &vetoes {
        assert_eq!(
            veto["maps"],
            json!(["Coastline", "Ridge", "Dunes"]),
            "{veto}"
        );
        let mut fields: Vec<&str> = veto
            .as_object()
            .unwrap()
            .keys()
            .map(|k| k.as_str())
            .collect();
        fields.sort_unstable();
        assert_eq!(
            fields,
            ["ban_deadline", "event", "maps", "match_id", "your_turn"]
        );
    }
    assert_ne!(vetoes[0]["your_turn"], vetoes[1]["your_turn"]);
    let first = usize::from(vetoes[1]["your_turn"] == true);
    let second = 1 - first;

    let ban = |who: usize, map: &str| {
        let path = format!("/v1/queue/matches/{match_id}/ban");
        let body = json!({ "map": map });
        let token = tokens[who].clone();
        let server = &server;
        async move { server.post_json(&path, &body, Some(&token)).await }
    };
    let (status, refused) = ban(second, "Ridge").await;
    assert_eq!(
        (status, refused["error"].as_str()),
        (409, Some("not_your_turn"))
    );
    for unknown in ["Atlantis".to_owned(), "x".repeat(10_000)] {
        let (status, refused) = ban(first, &unknown).await;
        assert_eq!(
            (status, refused["error"].as_str()),
            (422, Some("unknown_map"))
        );
    }
    let (status, body) = ban(first, "Coastline").await;
    assert_eq!(status, 200, "{body}");
    let now_theirs = queue_event(&server, &tokens[second], "map_veto").await;
    assert_eq!(now_theirs["maps"], json!(["Ridge", "Dunes"]));
    assert_eq!(now_theirs["your_turn"], true);

    // The second side idles: five seconds later a ban is picked for it, and the match goes to
    // the relay with the map left.
    let mut sessions = Vec::new();
    let mut chosen = String::new();
    for (key, token) in players.iter().zip(&tokens) {
        let ready = queue_event(&server, token, "match_ready").await;
        let ticket = B64.decode(ready["ticket"].as_str().unwrap()).unwrap();
        let (terms, _) = MatchTicket::decode_unverified(&ticket).unwrap();
        assert!(["Ridge", "Dunes"].contains(&terms.settings.map_name.as_str()));
        let hash = if terms.settings.map_name == "Dunes" {
            [0xab; 32]
        } else {
            [0; 32]
        };
        assert_eq!(terms.settings.map_hash, hash);
        chosen = terms.settings.map_name.clone();
        sessions.push(connect_as(&ready, key).await);
    }
    let (b, a) = (sessions.pop().unwrap(), sessions.pop().unwrap());
    let (ra, rb) = play_both(a.1, plan(30), b.1, plan(30)).await;
    drop((a.0, b.0));
    assert_eq!(ra.end, BotEnd::Finished, "{ra:?}");
    assert_eq!(rb.end, BotEnd::Finished, "{rb:?}");
    let (cmr, _) = CertifiedMatchResult::decode_unverified(&ra.cmr.unwrap()).unwrap();
    assert_eq!(cmr.map_name, chosen);
}
