//! Federated sanctions between real processes: community A subscribes to B's feed (queue
//! cooldowns applied, the rest reviewed) and to a forging feed. B's sanctions reach A as a
//! sanction with its provenance and a review case; B's reversal lifts both; forged and
//! tampered entries are refused, counted, and do nothing.

use std::collections::HashMap;
use std::time::Duration;

use axum::Json;
use axum::extract::Query;
use axum::routing::get;
use scr::{KeyPair, PlayerKey};
use serde_json::{Value, json};
use transparency::SanctionEntry;

use super::common::Backend;
use super::world::{Member, World};

/// A feed that claims to be a community with key `key` and serves four entries: one whose
/// body was changed after signing, one signed by another key, a real chat restriction of
/// `subject`, and a real ranked suspension of `stranger`. Returns its base URL.
async fn forging_feed(key: &KeyPair, subject: PlayerKey, stranger: PlayerKey) -> String {
    let origin = "ic-community/forger".to_owned();
    let entry = |seq: u64, action: &str| SanctionEntry {
        origin: origin.clone(),
        seq,
        subject,
        action: action.into(),
        scope: "matchmaking".into(),
        expires_at: Some(4_000_000_000),
        reason: "cheating".into(),
        case_ref: [seq as u8; 32],
        negates: None,
        issued_at: 1_800_000_000,
    };
    let tampered = entry(1, "queue_cooldown:1")
        .sign(key)
        .unwrap()
        .replace("queue_cooldown:1", "queue_cooldown:9");
    let forged = entry(2, "queue_cooldown:24")
        .sign(&KeyPair::from_seed([99; 32]))
        .unwrap();
    let real = entry(3, "chat_restriction:24").sign(key).unwrap();
    let suspension = SanctionEntry {
        subject: stranger,
        scope: "ranked".into(),
        ..entry(4, "ranked_suspension:7")
    }
    .sign(key)
    .unwrap();
    let notes = [(1u64, tampered), (2, forged), (3, real), (4, suspension)];
    let document = json!({
        "signing_key": key.public_key().to_string(),
        "recovery_key": KeyPair::from_seed([98; 32]).public_key().to_string(),
        "rotations": [],
    });
    let feed = move |Query(query): Query<HashMap<String, String>>| {
        let since: u64 = query.get("since").and_then(|s| s.parse().ok()).unwrap_or(0);
        let entries: Vec<Value> = notes
            .iter()
            .filter(|(seq, _)| *seq > since)
            .map(|(seq, note)| json!({ "seq": seq, "note": note }))
            .collect();
        let origin = origin.clone();
        async move { Json(json!({ "origin": origin, "entries": entries })) }
    };
    let app = axum::Router::new()
        .route(
            "/.well-known/ic-community",
            get(move || {
                let document = document.clone();
                async move { Json(document) }
            }),
        )
        .route("/v1/federation/sanctions", get(feed));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    url
}

/// Polls `check` every 200 ms for up to 30 s until it gives a value.
async fn eventually<T, F, Fut>(what: &str, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    for _ in 0..150 {
        if let Some(value) = check().await {
            return value;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    panic!("timed out waiting for {what}");
}

/// The member of `world` with `key` (registered there now).
async fn join(world: &World, key: &KeyPair) -> Member {
    world.server.register(key).await;
    let token = world.server.login(key).await;
    Member {
        key: key.clone(),
        token,
    }
}

async fn sanctions_from_a_subscribed_feed_apply_review_lift_and_forgeries_are_refused(
    backend: Backend,
) {
    let publisher = World::start(backend, "", "[federation]\npublish_sanctions = true\n").await;
    let accused = publisher.member().await;
    let reporter = publisher.member().await;
    let reviewers = [
        publisher.established().await,
        publisher.established().await,
        publisher.established().await,
    ];
    let forger_key = KeyPair::from_seed([97; 32]);
    // Someone who never joined the subscribing community.
    let stranger = KeyPair::from_seed([95; 32]);
    let forger = forging_feed(
        &forger_key,
        accused.key.public_key().into(),
        stranger.public_key().into(),
    )
    .await;
    let subscriber = World::start(
        backend,
        "",
        &format!(
            "[federation]\npoll_secs = 1\nsubscriptions = [\
             {{ url = \"{}\", key = \"{}\", policy = {{ queue_cooldown = \"apply\" }} }}, \
             {{ url = \"{forger}\", key = \"{}\", \
             policy = {{ default = \"review\", ranked_suspension = \"apply\" }} }}]\n",
            publisher.server.url,
            publisher.community,
            forger_key.public_key()
        ),
    )
    .await;
    // The sanctioned player also plays on the subscribing community.
    let local = join(&subscriber, &accused.key).await;

    // B: a report, three votes, the moderator applies a queue cooldown and a warning.
    let case = publisher.reported(&reporter, &accused, "griefing").await;
    for reviewer in &reviewers {
        publisher.review(reviewer, "suspected_griefing").await;
    }
    let (status, body) = publisher.act(&case, "queue_cooldown:24", "griefed").await;
    assert_eq!(status, 201, "{body}");
    let (status, body) = publisher.act(&case, "warn", "and was warned").await;
    assert_eq!(status, 201, "{body}");

    // A: the cooldown applies, with where it came from, in the player's own view.
    let mine = eventually("the applied cooldown", || async {
        let (status, mine) = subscriber.get("/v1/sanctions/me", &local.token).await;
        assert_eq!(status, 200, "{mine}");
        (mine["queue_restriction"]["kind"] == "queue_cooldown").then_some(mine)
    })
    .await;
    let sanctions = mine["sanctions"].as_array().unwrap();
    assert_eq!(sanctions.len(), 1, "{mine}");
    let applied = &sanctions[0];
    assert_eq!(applied["action"], "queue_cooldown:24");
    assert_eq!(
        applied["provenance"],
        json!({ "publisher": publisher.community.to_string(),
                "publisher_url": publisher.server.url, "seq": 1 })
    );
    // The moderators' case page shows it too.
    let applied_case = applied["case_id"].as_str().unwrap();
    // (Not `member()`: its keys repeat across worlds, and B's first member joined A above.)
    let staff = join(&subscriber, &KeyPair::from_seed([96; 32])).await;
    let cookie = subscriber.web_session(&staff, "moderator").await;
    let (status, page) = super::common::web::get_with(
        &subscriber.server,
        &format!("/ui/moderation/cases/{applied_case}"),
        &cookie,
    )
    .await;
    assert_eq!(status, 200);
    assert!(
        page.contains(&format!("from {}, entry 1", publisher.server.url)),
        "{page}"
    );

    // The warning is reviewed here: a case about the player, B's entry as its evidence.
    let reviewed = eventually("the review case", || async {
        let (_, cases) = subscriber
            .get("/v1/moderation/cases?state=queued", &subscriber.moderator)
            .await;
        cases["cases"].as_array().unwrap().iter().find_map(|c| {
            (c["category"] == "griefing").then(|| c["case_id"].as_str().unwrap().to_owned())
        })
    })
    .await;
    let (status, opened) = subscriber
        .get(
            &format!("/v1/moderation/cases/{reviewed}"),
            &subscriber.moderator,
        )
        .await;
    assert_eq!(status, 200, "{opened}");
    assert_eq!(opened["accused"], accused.id());
    let evidence = opened["evidence"].to_string();
    assert!(
        evidence.contains(&format!("{}#2", publisher.server.url)),
        "{opened}"
    );

    // B reverses on appeal: both liftings reach A, the cooldown ends, the unreviewed case closes.
    let (status, appeal) = publisher
        .post(
            "/v1/appeals",
            json!({ "case_id": case, "statement": "my brother played" }),
            &accused.token,
        )
        .await;
    assert_eq!(status, 201, "{appeal}");
    let appeal_id = appeal["appeal_id"].as_str().unwrap();
    let (status, decided) = publisher
        .post(
            &format!("/v1/moderation/appeals/{appeal_id}/decision"),
            json!({ "decision": "reverse", "reason": "account shared" }),
            &publisher.moderator,
        )
        .await;
    assert_eq!(status, 200, "{decided}");
    let mine = eventually("the lifting", || async {
        let (_, mine) = subscriber.get("/v1/sanctions/me", &local.token).await;
        (mine["sanctions"][0]["reversed"] == true).then_some(mine)
    })
    .await;
    assert!(mine["queue_restriction"].is_null(), "{mine}");
    eventually("the review case to close", || async {
        (subscriber.state(&reviewed).await == "closed_no_action").then_some(())
    })
    .await;

    // What was received, per publisher: forged and tampered entries refused and counted.
    let (status, seen) = subscriber
        .get("/v1/federation/subscriptions", &subscriber.moderator)
        .await;
    assert_eq!(status, 200, "{seen}");
    let subscriptions = seen["subscriptions"].as_array().unwrap();
    assert_eq!(
        subscriptions[0]["counts"],
        json!({ "applied": 1, "review": 1, "lifted": 2, "ignored": 0, "refused": 0 }),
        "{seen}"
    );
    assert_eq!(subscriptions[0]["last_seq"], 4);
    let forged = eventually("the forged feed to be read", || async {
        let (_, seen) = subscriber
            .get("/v1/federation/subscriptions", &subscriber.moderator)
            .await;
        (seen["subscriptions"][1]["last_seq"] == 4).then_some(seen)
    })
    .await;
    // Its real entries act: one reviewed, and a ranked suspension applied to a player who
    // has no records here to revoke (the sanction alone blocks their issue).
    assert_eq!(
        forged["subscriptions"][1]["counts"],
        json!({ "applied": 1, "review": 1, "lifted": 0, "ignored": 0, "refused": 2 }),
        "{forged}"
    );
    let refusals: Vec<&Value> = forged["received"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["outcome"] == "refused")
        .collect();
    assert_eq!(refusals.len(), 2, "{forged}");
    assert!(
        refusals
            .iter()
            .all(|r| r["publisher_url"] == forger.as_str())
    );
    // Neither forged cooldown applied: the player's only sanction here is B's, lifted.
    let (_, mine) = subscriber.get("/v1/sanctions/me", &local.token).await;
    assert_eq!(mine["sanctions"].as_array().unwrap().len(), 1, "{mine}");

    // A page size out of range is refused, naming it.
    let (status, body) = subscriber
        .get(
            "/v1/federation/subscriptions?limit=0",
            &subscriber.moderator,
        )
        .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_query")),
        "{body}"
    );
    // Players and unknown tokens see nothing of it.
    let (status, body) = subscriber
        .get("/v1/federation/subscriptions", &local.token)
        .await;
    assert_eq!((status, body["error"].as_str()), (403, Some("forbidden")));
}

crate::on_each_backend!(
    sanctions_from_a_subscribed_feed_apply_review_lift_and_forgeries_are_refused
);
