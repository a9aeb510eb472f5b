//! `[matchmaking]` settings on the server, each checked by what its default would not do: the
//! offered queues, the avoid-list limit, the ready check's time, the decline cooldown and the
//! ticket's lifetime (issue 25: no setting may do nothing).

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
mod matchmaking_support;

use base64::Engine as _;
use common::{B64, Backend};
use matchmaking_support::Mm;
use scr::KeyPair;
use serde_json::json;

fn key(seed: u8) -> KeyPair {
    KeyPair::from_seed([seed; 32])
}

const SETTINGS: &str = "[matchmaking]\n\
    queues = [{ module = \"ra\", mode = \"ranked_1v1\" }]\n\
    avoid_list_max = 1\n\
    ready_check_secs = 5\n\
    decline_cooldowns_secs = [7]\n\
    ticket_ttl_secs = 60\n";

async fn queue_settings_are_the_configured_ones(backend: Backend) {
    let mm = Mm::start(backend, SETTINGS, None).await;
    let (ka, kb, kc, kd) = (key(1), key(2), key(3), key(4));
    let join = |k: &KeyPair, body: serde_json::Value| {
        let mut body = body;
        body["record"] = json!(B64.encode(mm.rating_record(k, 1500, 80)));
        body
    };

    // queues: only ranked 1v1 is offered (the default also has unranked 1v1).
    let token = mm.login(&ka).await;
    let (status, refused) = mm
        .post(
            "/v1/queue",
            join(&ka, json!({ "mode": "unranked_1v1" })),
            Some(&token),
        )
        .await;
    assert_eq!(
        (status, refused["error"].as_str()),
        (404, Some("unknown_queue")),
        "{refused}"
    );
    // avoid_list_max = 1: two avoided players are too many.
    let avoiding = json!({
        "mode": "ranked_1v1",
        "avoid": [kc.public_key().to_string(), kd.public_key().to_string()],
    });
    let (status, refused) = mm
        .post("/v1/queue", join(&ka, avoiding), Some(&token))
        .await;
    assert_eq!(
        refused["error"], "avoid_list_too_long",
        "{status} {refused}"
    );

    // ready_check_secs = 5: the found match must be accepted within five seconds.
    let ranked = json!({ "mode": "ranked_1v1" });
    let mut a = mm
        .queue(&ka, &mm.rating_record(&ka, 1500, 80), ranked.clone())
        .await;
    let mut b = mm
        .queue(&kb, &mm.rating_record(&kb, 1510, 80), ranked.clone())
        .await;
    mm.tick_after(1000).await;
    let found = a.events.until("match_found").await;
    b.events.until("match_found").await;
    let now = u64::try_from(mm.now_secs()).unwrap();
    assert_eq!(
        found["accept_deadline"].as_u64().unwrap() - now,
        5,
        "{found}"
    );

    // decline_cooldowns_secs = [7]: the decliner waits seven seconds.
    let id = found["match_id"].as_u64().unwrap();
    let (status, _) = mm
        .post(
            &format!("/v1/queue/matches/{id}/decline"),
            json!({}),
            Some(&b.token),
        )
        .await;
    assert_eq!(status, 200);
    let (status, refused) = mm
        .post("/v1/queue", join(&kb, ranked.clone()), Some(&b.token))
        .await;
    assert_eq!(
        (status, refused["error"].as_str()),
        (403, Some("queue_cooldown"))
    );
    mm.tick_after(6_000).await;
    let (status, _) = mm
        .post("/v1/queue", join(&kb, ranked.clone()), Some(&b.token))
        .await;
    assert_eq!(status, 403, "still cooling down after six seconds");
    mm.tick_after(1_500).await;
    let (status, body) = mm
        .post("/v1/queue", join(&kb, ranked.clone()), Some(&b.token))
        .await;
    assert!(status < 300, "{status} {body}");

    // ticket_ttl_secs = 60: the match tickets live a minute.
    a.events.until("requeued").await;
    mm.tick_after(1000).await;
    let found = a.events.until("match_found").await;
    let id = found["match_id"].as_u64().unwrap();
    let path = format!("/v1/queue/matches/{id}/accept");
    for token in [&a.token, &b.token] {
        assert_eq!(mm.post(&path, json!({}), Some(token)).await.0, 200);
    }
    a.events.until("match_ready").await;
    // The hand-off asks the relay for tickets of this lifetime (the test relay records it).
    let plans = mm.relay.plans();
    assert_eq!(plans.last().unwrap().ticket_ttl_secs, 60);
    drop(b);
}

crate::on_each_backend!(queue_settings_are_the_configured_ones);
