//! Appealing a leaver cooldown through the appeals of sanctions: the player names the abandoned
//! match `GET /v1/sanctions/me` shows, a moderator reverses, and the abandon is forgiven (the
//! cooldown it caused ends) with an audit line. Open appeals are listed first, and no moderator
//! decides their own.

use relay_core::cmr::{CertifiedMatchResult, CmrPlayer, MatchOutcome, PlayerResult};
use relay_core::ids::{PlayerSlot, TeamId};
use scr::PlayerKey;
use serde_json::json;

use super::common::Backend;
use super::world::{Member, World};

/// `leaver` abandons ranked match `game_id` against `stayer`, ended a minute ago; returns its
/// id.
async fn abandoned(world: &World, stayer: &Member, leaver: &Member, game_id: u64) -> String {
    let ended = (ic_server::clock::unix_now() - 60) * 1_000_000;
    let cmr = CertifiedMatchResult {
        relay_key: world.relay.public_key().into(),
        community_key: world.community,
        game_id,
        game_module: "ra".into(),
        map_name: "Coastline".into(),
        map_hash: [3; 32],
        ranked: true,
        tick_interval_us: 66_667,
        final_tick: 9_000,
        started_at_us: ended - 600_000_000,
        ended_at_us: ended,
        outcome: MatchOutcome::Abandoned {
            leaver: PlayerSlot(1),
        },
        observer_delay_ticks: 0,
        players: vec![
            CmrPlayer {
                slot: PlayerSlot(0),
                key: PlayerKey::from(stayer.key.public_key()),
                team: TeamId(0),
                result: PlayerResult::Win,
            },
            CmrPlayer {
                slot: PlayerSlot(1),
                key: PlayerKey::from(leaver.key.public_key()),
                team: TeamId(1),
                result: PlayerResult::Abandoned,
            },
        ],
        final_state_hash: [4; 32],
        order_stream_hash: [5; 32],
        replay_hash: [6; 32],
        desync_tick: None,
        degraded: false,
    }
    .sign(&world.relay)
    .unwrap()
    .into_bytes();
    let (status, body) = world.server.post_bytes("/v1/matches", cmr).await;
    assert_eq!(status, 201, "{body}");
    body["match_id"].as_str().unwrap().to_owned()
}

async fn a_reversed_appeal_forgives_the_abandon_and_ends_its_cooldown(backend: Backend) {
    let world = World::start(backend, "", "").await;
    let stayer = world.established().await;
    let leaver = world.established().await;
    let match_id = abandoned(&world, &stayer, &leaver, 77_001).await;

    // The player sees the cooldown and the match to name in an appeal.
    let (status, mine) = world.get("/v1/sanctions/me", &leaver.token).await;
    assert_eq!(status, 200, "{mine}");
    assert_eq!(
        mine["leaver_cooldown"]["match_id"],
        match_id.as_str(),
        "{mine}"
    );

    // Bad appeals are typed errors: another match, both subjects, a malformed id.
    let appeal = |body| world.post("/v1/appeals", body, &leaver.token);
    let (status, refused) = appeal(json!({ "match_id": "ab".repeat(32), "statement": "x" })).await;
    assert_eq!(
        (status, refused["error"].as_str()),
        (404, Some("abandon_not_found"))
    );
    let (status, refused) =
        appeal(json!({ "match_id": match_id, "case_id": "c", "statement": "x" })).await;
    assert_eq!(
        (status, refused["error"].as_str()),
        (400, Some("invalid_appeal"))
    );
    let (status, refused) = appeal(json!({ "match_id": "zz", "statement": "x" })).await;
    assert_eq!(
        (status, refused["error"].as_str()),
        (400, Some("invalid_match_id"))
    );
    // The stayer did not abandon it.
    let (status, refused) = world
        .post(
            "/v1/appeals",
            json!({ "match_id": match_id, "statement": "x" }),
            &stayer.token,
        )
        .await;
    assert_eq!(
        (status, refused["error"].as_str()),
        (404, Some("abandon_not_found"))
    );

    let body = json!({ "match_id": match_id, "statement": "my power went out" });
    let (status, filed) = appeal(body.clone()).await;
    assert_eq!(status, 201, "{filed}");
    let (status, again) = appeal(body).await;
    assert_eq!(
        (status, again["error"].as_str()),
        (409, Some("already_appealed"))
    );

    // Moderators see it with the others, and reverse it.
    let (status, listed) = world.get("/v1/moderation/appeals", &world.moderator).await;
    assert_eq!(status, 200, "{listed}");
    assert!(
        listed["appeals"]
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a["case_id"] == format!("abandon:{match_id}")),
        "{listed}"
    );
    let appeal_id = filed["appeal_id"].as_str().unwrap();
    let decide = format!("/v1/moderation/appeals/{appeal_id}/decision");
    let (status, decided) = world
        .post(
            &decide,
            json!({ "decision": "reverse", "reason": "outage confirmed" }),
            &world.moderator,
        )
        .await;
    assert_eq!(status, 200, "{decided}");
    assert_eq!(decided["decision"], "reversed");
    let (status, twice) = world
        .post(
            &decide,
            json!({ "decision": "uphold", "reason": "again" }),
            &world.moderator,
        )
        .await;
    assert_eq!(
        (status, twice["error"].as_str()),
        (409, Some("appeal_decided"))
    );

    // Forgiven: no cooldown any more, and the decision is audited.
    let (_, mine) = world.get("/v1/sanctions/me", &leaver.token).await;
    assert!(mine["leaver_cooldown"].is_null(), "{mine}");
    assert!(
        world
            .audit()
            .await
            .iter()
            .any(|entry| entry["action"] == "reverse_appeal"),
    );
}

async fn open_appeals_come_first_and_nobody_decides_their_own(backend: Backend) {
    let world = World::start(backend, "", "").await;
    let stayer = world.established().await;
    let leaver = world.established().await;
    let statement = |match_id: &str| json!({ "match_id": match_id, "statement": "it was me" });
    // An appeal filed and decided first...
    let first = abandoned(&world, &stayer, &leaver, 77_002).await;
    let (status, decided) = world
        .post("/v1/appeals", statement(&first), &leaver.token)
        .await;
    assert_eq!(status, 201, "{decided}");
    let decide = |appeal: &serde_json::Value| {
        format!(
            "/v1/moderation/appeals/{}/decision",
            appeal["appeal_id"].as_str().unwrap()
        )
    };
    let keep = json!({ "decision": "uphold", "reason": "left on purpose" });
    let (status, body) = world
        .post(&decide(&decided), keep.clone(), &world.moderator)
        .await;
    assert_eq!(status, 200, "{body}");
    // ...then the moderator's own, which they may not decide.
    let key = super::common::player(super::world::MODERATOR);
    world.server.register(&key).await;
    let moderator = Member {
        key,
        token: world.moderator.clone(),
    };
    let own = abandoned(&world, &stayer, &moderator, 77_003).await;
    let (status, open) = world
        .post("/v1/appeals", statement(&own), &moderator.token)
        .await;
    assert_eq!(status, 201, "{open}");
    let (status, refused) = world.post(&decide(&open), keep, &world.moderator).await;
    assert_eq!(
        (status, refused["error"].as_str()),
        (403, Some("own_appeal"))
    );
    // On the web page, a moderator sees the leaver appeal worded as such.
    let cookie = world.web_session(&stayer, "moderator").await;
    let (status, page) =
        super::common::web::get_with(&world.server, "/ui/moderation/appeals", &cookie).await;
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("Appeal of a leaver cooldown"), "{page}");
    assert!(page.contains("forgive the abandon"), "{page}");
    // The open appeal is listed before the older, decided one.
    let (_, listed) = world.get("/v1/moderation/appeals", &world.moderator).await;
    let order: Vec<&str> = listed["appeals"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["appeal_id"].as_str().unwrap())
        .collect();
    assert_eq!(
        order,
        [
            open["appeal_id"].as_str().unwrap(),
            decided["appeal_id"].as_str().unwrap()
        ]
    );
}

crate::on_each_backend!(
    a_reversed_appeal_forgives_the_abandon_and_ends_its_cooldown,
    open_appeals_come_first_and_nobody_decides_their_own,
);
