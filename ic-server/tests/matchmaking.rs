//! Matchmaking through HTTP and the event stream, with several players and a clock moved by
//! hand: windows, desperation, the quality floor, parties, avoid lists, declines, refusals.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
mod matchmaking_support;

use std::sync::Arc;

use async_trait::async_trait;
use base64::Engine;
use common::Backend;
use ic_server::matchmaker::{QueueRestriction, QueueRestrictions};
use ic_server::store::StoreError;
use matchmaking_support::{B64, Mm, Player};
use reqwest::Method;
use scr::{KeyPair, PlayerKey};
use serde_json::{Value, json};

fn key(seed: u8) -> KeyPair {
    KeyPair::from_seed([seed; 32])
}

fn ranked_1v1() -> Value {
    json!({ "mode": "ranked_1v1" })
}

/// Both players are offered the same match; returns its id.
async fn found_together(a: &mut Player, b: &mut Player) -> u64 {
    let found_a = a.events.until("match_found").await;
    let found_b = b.events.until("match_found").await;
    assert_eq!(found_a["match_id"], found_b["match_id"]);
    found_a["match_id"].as_u64().unwrap()
}

async fn a_close_pair_is_matched_and_both_get_tickets_after_accepting(backend: Backend) {
    let mm = Mm::start(backend, "", None).await;
    let (ka, kb) = (key(1), key(2));
    let mut a = mm
        .queue(&ka, &mm.rating_record(&ka, 1500, 80), ranked_1v1())
        .await;
    let mut b = mm
        .queue(&kb, &mm.rating_record(&kb, 1560, 80), ranked_1v1())
        .await;
    assert_eq!(a.events.until("queued").await["queue"], "ra/ranked_1v1");
    b.events.until("queued").await;

    mm.tick_after(1000).await;
    let id = found_together(&mut a, &mut b).await;
    let path = format!("/v1/queue/matches/{id}/accept");
    assert_eq!(mm.post(&path, json!({}), Some(&a.token)).await.0, 200);
    a.events.quiet().await;
    assert_eq!(mm.post(&path, json!({}), Some(&b.token)).await.0, 200);
    for (player, keys) in [(&mut a, &ka), (&mut b, &kb)] {
        let ready = player.events.until("match_ready").await;
        assert_eq!(ready["relay_address"], "127.0.0.1:19711");
        let ticket = B64.decode(ready["ticket"].as_str().unwrap()).unwrap();
        assert_eq!(&ticket[7..], keys.public_key().as_bytes());
    }
    // A player coming back is routed to the live match.
    let (status, now) = mm.request(Method::GET, "/v1/queue", &a.token).await;
    assert_eq!(status, 200);
    assert_eq!(now["events"][0]["event"], "match_ready");
}

async fn the_window_widens_with_waiting_time(backend: Backend) {
    let mm = Mm::start(backend, "", None).await;
    let (ka, kb) = (key(1), key(2));
    let mut a = mm
        .queue(&ka, &mm.rating_record(&ka, 1500, 80), ranked_1v1())
        .await;
    let mut b = mm
        .queue(&kb, &mm.rating_record(&kb, 1690, 80), ranked_1v1())
        .await;
    a.events.until("queued").await;
    b.events.until("queued").await;
    // ±100 now, ±150 after 30 s: still apart.
    mm.tick_after(1000).await;
    mm.tick_after(30_000).await;
    a.events.quiet().await;
    // ±200 after 60 s.
    mm.tick_after(30_000).await;
    found_together(&mut a, &mut b).await;
}

async fn desperation_needs_three_queued_and_never_crosses_the_quality_floor(backend: Backend) {
    let mm = Mm::start(backend, "", None).await;
    let (ka, kb, kc) = (key(1), key(2), key(3));
    // 520 apart: beyond the 500 maximum; fair enough only with uncertain ratings.
    let mut a = mm
        .queue(&ka, &mm.rating_record(&ka, 1500, 350), ranked_1v1())
        .await;
    let mut b = mm
        .queue(&kb, &mm.rating_record(&kb, 2020, 350), ranked_1v1())
        .await;
    mm.tick_after(301_000).await;
    a.events.until("queued").await;
    a.events.quiet().await;
    // A third player (far away from both) makes it a desperate queue.
    let mut c = mm
        .queue(&kc, &mm.rating_record(&kc, 3500, 80), ranked_1v1())
        .await;
    mm.tick_after(1000).await;
    found_together(&mut a, &mut b).await;
    c.events.until("queued").await;
    // The third player waits long but nobody is fair enough for it: never matched.
    let kd = key(4);
    let mut d = mm
        .queue(&kd, &mm.rating_record(&kd, 1500, 80), ranked_1v1())
        .await;
    d.events.until("queued").await;
    let ke = key(5);
    let mut e = mm
        .queue(&ke, &mm.rating_record(&ke, 1500, 80), ranked_1v1())
        .await;
    e.events.until("queued").await;
    mm.tick_after(600_000).await;
    let found = d.events.until("match_found").await;
    assert_eq!(found["players"], 2);
    e.events.until("match_found").await;
    c.events.quiet().await;
}

async fn a_party_stays_together_on_one_team(backend: Backend) {
    let mm = Mm::start(backend, "", None).await;
    let (leader, mate, x, y) = (key(1), key(2), key(3), key(4));
    let token = mm.login(&leader).await;
    let mut leader_events = matchmaking_support::Events::open(&mm, &token).await;
    let mate_token = mm.login(&mate).await;
    let mut mate_events = matchmaking_support::Events::open(&mm, &mate_token).await;
    let (status, reply) = mm
        .post(
            "/v1/queue",
            json!({
                "mode": "ranked_2v2",
                "party": [mate.public_key().to_string()],
                "record": B64.encode(mm.rating_record(&leader, 1700, 80)),
            }),
            Some(&token),
        )
        .await;
    assert_eq!(
        (status, reply["status"].as_str()),
        (202, Some("party_pending"))
    );
    let party_id = reply["party_id"].as_u64().unwrap();
    let invite = mate_events.until("party_invite").await;
    assert_eq!(invite["party_id"], party_id);
    // A member more than one tier away (Brigadier against Lt. Colonel) is refused.
    let far = json!({ "record": B64.encode(mm.rating_record(&mate, 2300, 80)) });
    let path = format!("/v1/queue/parties/{party_id}/confirm");
    let (status, body) = mm.post(&path, far, Some(&mate_token)).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (422, Some("party_tier_gap"))
    );
    let near = json!({ "record": B64.encode(mm.rating_record(&mate, 1600, 80)) });
    let (status, body) = mm.post(&path, near, Some(&mate_token)).await;
    assert_eq!((status, body["status"].as_str()), (202, Some("queued")));
    leader_events.until("queued").await;

    let mut solo_x = mm
        .queue(
            &x,
            &mm.rating_record(&x, 1640, 80),
            json!({ "mode": "ranked_2v2" }),
        )
        .await;
    let mut solo_y = mm
        .queue(
            &y,
            &mm.rating_record(&y, 1660, 80),
            json!({ "mode": "ranked_2v2" }),
        )
        .await;
    mm.tick_after(1000).await;
    let id = leader_events.until("match_found").await["match_id"]
        .as_u64()
        .unwrap();
    mate_events.until("match_found").await;
    solo_x.events.until("match_found").await;
    solo_y.events.until("match_found").await;
    let path = format!("/v1/queue/matches/{id}/accept");
    for token in [&token, &mate_token, &solo_x.token, &solo_y.token] {
        assert_eq!(mm.post(&path, json!({}), Some(token)).await.0, 200);
    }
    leader_events.until("match_ready").await;
    // The teams handed to the relay: the party on one side, the two solos on the other.
    let plan = mm.relay.plans().pop().expect("a match was handed off");
    let party: Vec<PlayerKey> = vec![leader.public_key().into(), mate.public_key().into()];
    assert!(
        plan.teams
            .iter()
            .any(|team| party.iter().all(|p| team.contains(p))),
        "party split across teams: {:?}",
        plan.teams
    );
}

async fn an_avoided_player_is_met_only_when_nobody_else_fits(backend: Backend) {
    let mm = Mm::start(backend, "", None).await;
    let (ka, kb, kc) = (key(1), key(2), key(3));
    let avoiding = json!({ "mode": "ranked_1v1", "avoid": [kb.public_key().to_string()] });
    let mut a = mm
        .queue(&ka, &mm.rating_record(&ka, 1500, 80), avoiding)
        .await;
    let mut b = mm
        .queue(&kb, &mm.rating_record(&kb, 1500, 80), ranked_1v1())
        .await;
    let mut c = mm
        .queue(&kc, &mm.rating_record(&kc, 1560, 80), ranked_1v1())
        .await;
    mm.tick_after(1000).await;
    found_together(&mut a, &mut c).await;
    b.events.until("queued").await;
    b.events.quiet().await;

    // Alone with the avoided player, the avoider is matched with it.
    let mm = Mm::start(backend, "", None).await;
    let avoiding = json!({ "mode": "ranked_1v1", "avoid": [kb.public_key().to_string()] });
    let mut a = mm
        .queue(&ka, &mm.rating_record(&ka, 1500, 80), avoiding)
        .await;
    let mut b = mm
        .queue(&kb, &mm.rating_record(&kb, 1500, 80), ranked_1v1())
        .await;
    mm.tick_after(1000).await;
    found_together(&mut a, &mut b).await;
}

async fn a_decline_earns_a_cooldown_and_requeues_the_other_at_the_front(backend: Backend) {
    let mm = Mm::start(backend, "", None).await;
    let (ka, kb, kc) = (key(1), key(2), key(3));
    let mut a = mm
        .queue(&ka, &mm.rating_record(&ka, 1500, 80), ranked_1v1())
        .await;
    let mut b = mm
        .queue(&kb, &mm.rating_record(&kb, 1520, 80), ranked_1v1())
        .await;
    mm.tick_after(1000).await;
    let id = found_together(&mut a, &mut b).await;
    let (status, _) = mm
        .post(
            &format!("/v1/queue/matches/{id}/decline"),
            json!({}),
            Some(&b.token),
        )
        .await;
    assert_eq!(status, 200);
    let cancelled = b.events.until("cancelled").await;
    assert_eq!(cancelled["reason"], "declined");
    assert_eq!(
        a.events.until("requeued").await["reason"],
        "another_player_declined"
    );

    // The decliner is refused for a minute, with a clear error.
    let body =
        json!({ "mode": "ranked_1v1", "record": B64.encode(mm.rating_record(&kb, 1520, 80)) });
    let (status, error) = mm.post("/v1/queue", body.clone(), Some(&b.token)).await;
    assert_eq!(
        (status, error["error"].as_str()),
        (403, Some("queue_cooldown"))
    );

    // A newcomer who waited less is matched with the requeued player first.
    let mut c = mm
        .queue(&kc, &mm.rating_record(&kc, 1510, 80), ranked_1v1())
        .await;
    mm.tick_after(61_000).await;
    found_together(&mut a, &mut c).await;
    let body =
        json!({ "mode": "ranked_1v1", "record": B64.encode(mm.rating_record(&kb, 1520, 80)) });
    assert_eq!(mm.post("/v1/queue", body, Some(&b.token)).await.0, 202);
}

/// `(status, error code, message)` of a refused request.
fn refusal((status, body): (u16, Value)) -> (u16, String, String) {
    let text = |field: &str| body[field].as_str().unwrap_or_default().to_owned();
    (status, text("error"), text("message"))
}

async fn expired_revoked_stale_foreign_and_borrowed_records_are_refused(backend: Backend) {
    let mm = Mm::start(backend, "", None).await;
    let kp = key(1);
    let token = mm.login(&kp).await;
    let join = |record: Vec<u8>| json!({ "mode": "ranked_1v1", "record": B64.encode(record) });
    let assert_invalid = |reply: (u16, Value), reason: &str| {
        let (status, code, message) = refusal(reply);
        assert_eq!(
            (status, code.as_str()),
            (422, "record_invalid"),
            "{message}"
        );
        assert!(message.ends_with(reason), "{message}");
    };

    let expired = mm.rating_record_with(&kp, 1500, 80, 1, mm.now_secs() - 1);
    assert_invalid(
        mm.post("/v1/queue", join(expired), Some(&token)).await,
        "expired",
    );

    let other_community = KeyPair::from_seed([42; 32]);
    let foreign = mm.rating_record_signed(&other_community, &kp, 1500, 80, 1, mm.now_secs() + 60);
    assert_invalid(
        mm.post("/v1/queue", join(foreign), Some(&token)).await,
        "wrong_community",
    );

    let someone_else = mm.rating_record(&key(2), 1500, 80);
    let (status, code, _) = refusal(mm.post("/v1/queue", join(someone_else), Some(&token)).await);
    assert_eq!((status, code.as_str()), (403, "not_your_record"));

    // A registered player: its first record goes stale once a newer one is issued, and every
    // rating record goes invalid once revoked.
    let registered = key(3);
    let player: PlayerKey = registered.public_key().into();
    let now = mm.now_secs();
    let first = mm
        .authority
        .register(player, None, "127.0.0.1", now)
        .await
        .unwrap();
    let newer = mm
        .authority
        .refresh(&player, now + 7 * 86_400 - 60)
        .await
        .unwrap();
    assert!(
        !newer.is_empty(),
        "refresh re-issued the expiring rating record"
    );
    let token = mm.login(&registered).await;
    assert_invalid(
        mm.post("/v1/queue", join(first[0].bytes.clone()), Some(&token))
            .await,
        "stale",
    );
    mm.authority
        .revoke(
            &player,
            scr::RecordType::Rating,
            scr::payload::RevocationReason::ModeratorAction,
            now,
        )
        .await
        .unwrap();
    assert_invalid(
        mm.post("/v1/queue", join(newer[0].bytes.clone()), Some(&token))
            .await,
        "revoked",
    );
}

/// Moderation's answer stand-in: one player is under one sanction.
struct Restricted(PlayerKey, QueueRestriction);

#[async_trait]
impl QueueRestrictions for Restricted {
    async fn restriction(
        &self,
        player: &PlayerKey,
        _now: i64,
    ) -> Result<Option<QueueRestriction>, StoreError> {
        Ok((*player == self.0).then(|| self.1.clone()))
    }
}

async fn a_moderation_cooldown_blocks_joining(backend: Backend) {
    let sanctioned = key(1);
    let cooldown = QueueRestriction::Cooldown {
        until: u64::MAX,
        reason: "queue_cooldown".into(),
    };
    let mm = Mm::start(
        backend,
        "",
        Some(Arc::new(Restricted(
            sanctioned.public_key().into(),
            cooldown,
        ))),
    )
    .await;
    let token = mm.login(&sanctioned).await;
    let body = json!({ "mode": "ranked_1v1", "record": B64.encode(mm.rating_record(&sanctioned, 1500, 80)) });
    let (status, error) = mm.post("/v1/queue", body, Some(&token)).await;
    assert_eq!(
        (status, error["error"].as_str()),
        (403, Some("queue_cooldown"))
    );
    assert!(
        error["message"]
            .as_str()
            .unwrap()
            .contains("queue_cooldown")
    );
    let free = key(2);
    mm.queue(&free, &mm.rating_record(&free, 1500, 80), ranked_1v1())
        .await;
}

async fn a_low_priority_player_waits_while_others_who_came_later_are_matched(backend: Backend) {
    let (sanctioned, y, z) = (key(1), key(2), key(3));
    let mm = Mm::start(
        backend,
        "",
        Some(Arc::new(Restricted(
            sanctioned.public_key().into(),
            QueueRestriction::LowPriority,
        ))),
    )
    .await;
    // First in the queue and a fair opponent for both others, but under the sanction.
    let mut x = mm
        .queue(
            &sanctioned,
            &mm.rating_record(&sanctioned, 1510, 80),
            ranked_1v1(),
        )
        .await;
    let mut y = mm
        .queue(&y, &mm.rating_record(&y, 1500, 80), ranked_1v1())
        .await;
    let mut z = mm
        .queue(&z, &mm.rating_record(&z, 1500, 80), ranked_1v1())
        .await;
    mm.tick_after(1000).await;
    y.events.until("match_found").await;
    z.events.until("match_found").await;
    assert_eq!(x.events.next().await["event"], "queued");
    x.events.quiet().await;
}

crate::on_each_backend!(
    a_close_pair_is_matched_and_both_get_tickets_after_accepting,
    the_window_widens_with_waiting_time,
    desperation_needs_three_queued_and_never_crosses_the_quality_floor,
    a_party_stays_together_on_one_team,
    an_avoided_player_is_met_only_when_nobody_else_fits,
    a_decline_earns_a_cooldown_and_requeues_the_other_at_the_front,
    expired_revoked_stale_foreign_and_borrowed_records_are_refused,
    a_moderation_cooldown_blocks_joining,
    a_low_priority_player_waits_while_others_who_came_later_are_matched,
);
