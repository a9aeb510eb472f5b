//! The whole lifecycle: three reports, one case, three reviewers, consensus, moderator action,
//! appeal, reversal; the sanctions applied (queue cooldown, ranked suspension) and then lifted.

use serde_json::{Value, json};

use super::common::Backend;
use super::world::World;

async fn reports_to_consensus_to_sanction_to_appeal_to_reversal(backend: Backend) {
    let world = World::start(backend, "", "[federation]\npublish_sanctions = true\n").await;
    let accused = world.member().await;
    let mut reporters = Vec::new();
    let mut matches = Vec::new();
    for _ in 0..3 {
        let reporter = world.member().await;
        matches.push(world.play(&reporter, &accused).await);
        reporters.push(reporter);
    }
    let reviewers = [
        world.established().await,
        world.established().await,
        world.established().await,
    ];
    let bystander = world.established().await;

    // Three reports about the same player and category join one case.
    let mut cases = Vec::new();
    for (reporter, match_id) in reporters.iter().zip(&matches) {
        let (status, body) = world
            .report(
                reporter,
                &accused,
                "griefing",
                Some(match_id),
                "blocked our base",
            )
            .await;
        assert_eq!(status, 201, "{body}");
        assert_eq!(body["status"], "submitted_for_review");
        cases.push(body["case_id"].as_str().unwrap().to_owned());
    }
    assert!(cases.iter().all(|c| *c == cases[0]), "{cases:?}");
    let case = cases[0].clone();
    let listed = world.listed(&case).await.unwrap();
    assert_eq!(
        (listed["reports"].as_u64(), listed["state"].as_str()),
        (Some(3), Some("queued"))
    );
    // Base 30 for griefing + 3 new reporters x 10.
    assert_eq!(listed["severity_hint"], 60);

    // Three eligible reviewers get the case; a fourth finds no free slot.
    let mut assignments = Vec::new();
    for reviewer in &reviewers {
        let assignment = world.next(reviewer).await;
        assert_eq!(assignment["case_id"], case.as_str());
        assert_eq!(assignment["reports"].as_array().unwrap().len(), 3);
        assert_eq!(assignment["evidence"].as_array().unwrap().len(), 3);
        assignments.push(assignment["assignment_id"].as_str().unwrap().to_owned());
    }
    assert!(world.next(&bystander).await.is_null());
    assert_eq!(world.state(&case).await, "in_review");
    for (reviewer, assignment) in reviewers.iter().zip(&assignments) {
        let (status, body) = world
            .vote(reviewer, assignment, "suspected_griefing", 85)
            .await;
        assert_eq!(status, 201, "{body}");
    }
    assert_eq!(world.state(&case).await, "consensus_reached");

    // The moderator opens the case (identities resolved) and acts on the consensus.
    let (status, opened) = world
        .get(&format!("/v1/moderation/cases/{case}"), &world.moderator)
        .await;
    assert_eq!(status, 200, "{opened}");
    assert_eq!(opened["accused"], accused.id());
    assert_eq!(opened["consensus"]["outcome"], "consensus_reached");
    assert_eq!(
        opened["consensus"]["weighted_decision"],
        "suspected_griefing"
    );
    assert_eq!(
        opened["consensus"]["recommended_actions"],
        json!(["warn", "queue_cooldown:24", "low_priority_queue:72"])
    );
    let consensus_id = opened["consensus"]["consensus_id"].clone();
    let (status, cooldown) = world
        .act(&case, "queue_cooldown:24", "griefed three matches")
        .await;
    assert_eq!(status, 201, "{cooldown}");
    assert_eq!(cooldown["consensus_id"], consensus_id);
    assert_eq!(cooldown["case_id"], case.as_str());
    let (status, suspension) = world
        .act(&case, "ranked_suspension:7", "pattern across matches")
        .await;
    assert_eq!(status, 201, "{suspension}");
    assert_eq!(world.state(&case).await, "closed_action_taken");

    // Published, signed, for other communities: the player, the measures, their scope and end,
    // the case's category and a hash of its id, never the reports or the moderator.
    let published = world.feed(0).await;
    let case_ref: [u8; 32] = <sha2::Sha256 as sha2::Digest>::digest(case.as_bytes()).into();
    let subject = scr::PlayerKey::from(accused.key.public_key());
    let shown: Vec<_> = published
        .iter()
        .map(|e| (e.seq, e.action.as_str(), e.scope.as_str(), e.negates))
        .collect();
    assert_eq!(
        shown,
        [
            (1, "queue_cooldown:24", "matchmaking", None),
            (2, "ranked_suspension:7", "ranked", None)
        ]
    );
    assert!(published.iter().all(|e| e.subject == subject
        && e.reason == "griefing"
        && e.case_ref == case_ref
        && e.expires_at.is_some_and(|end| end > e.issued_at)));

    // Applied: the queue check says cooldown, ratings are revoked and not re-issued.
    let (_, mine) = world.get("/v1/sanctions/me", &accused.token).await;
    assert_eq!(mine["queue_restriction"]["kind"], "queue_cooldown");
    // The running matchmaker asks moderation before queuing anyone.
    let (_, records) = world
        .get("/v1/players/me/records?since=0", &accused.token)
        .await;
    let rating = records["records"][0].as_str().unwrap().to_owned();
    let join = json!({ "record": rating, "mode": "ranked_1v1" });
    let (status, body) = world.post("/v1/queue", join.clone(), &accused.token).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (403, Some("queue_cooldown")),
        "{body}"
    );
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains(&format!("moderation case {case}")),
        "{body}"
    );
    assert_eq!(mine["sanctions"].as_array().unwrap().len(), 2);
    let (_, revocations) = world
        .server
        .get(&format!("/v1/players/{}/revocations", accused.id()), None)
        .await;
    assert_eq!(revocations["records"].as_array().unwrap().len(), 1);
    let (status, body) = world
        .post("/v1/players/me/refresh", json!({}), &accused.token)
        .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (403, Some("ranked_suspended")),
        "{body}"
    );
    let (status, body, refused) = world.try_play(&accused, &bystander).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (403, Some("ranked_suspended")),
        "{body}"
    );

    // Appeal once; a moderator reverses.
    let appeal_body = json!({ "case_id": case, "statement": "it was my teammate on my account" });
    let (status, appeal) = world
        .post("/v1/appeals", appeal_body.clone(), &accused.token)
        .await;
    assert_eq!(status, 201, "{appeal}");
    assert_eq!(world.state(&case).await, "appealed");
    let (status, again) = world.post("/v1/appeals", appeal_body, &accused.token).await;
    assert_eq!(
        (status, again["error"].as_str()),
        (409, Some("already_appealed"))
    );
    let appeal_id = appeal["appeal_id"].as_str().unwrap();
    let (status, decided) = world
        .post(
            &format!("/v1/moderation/appeals/{appeal_id}/decision"),
            json!({ "decision": "reverse", "reason": "account compromise confirmed" }),
            &world.moderator,
        )
        .await;
    assert_eq!(status, 200, "{decided}");
    assert_eq!(decided["decision"], "reversed");
    assert_eq!(world.state(&case).await, "closed_no_action");

    // A page size out of range is refused, naming it.
    let (status, too_small) = world
        .server
        .get("/v1/federation/sanctions?since=0&limit=0", None)
        .await;
    assert_eq!(
        (status, too_small["error"].as_str()),
        (400, Some("invalid_query")),
        "{too_small}"
    );
    // The feed lifts both, each entry naming the one it lifts.
    let lifted = world.feed(2).await;
    let shown: Vec<_> = lifted
        .iter()
        .map(|e| (e.seq, e.negates, e.action.as_str(), e.expires_at))
        .collect();
    assert_eq!(
        shown,
        [
            (3, Some(1), "queue_cooldown:24", None),
            (4, Some(2), "ranked_suspension:7", None)
        ]
    );

    // Lifted: no queue restriction, both actions reversed, ratings re-issued, matches accepted.
    let (_, mine) = world.get("/v1/sanctions/me", &accused.token).await;
    assert!(mine["queue_restriction"].is_null(), "{mine}");
    assert!(
        mine["sanctions"]
            .as_array()
            .unwrap()
            .iter()
            .all(|s| s["reversed"] == true)
    );
    let (status, refreshed) = world
        .post("/v1/players/me/refresh", json!({}), &accused.token)
        .await;
    assert_eq!(status, 200, "{refreshed}");
    assert_eq!(refreshed["records"].as_array().unwrap().len(), 1);
    // With the cooldown lifted, the fresh rating record queues.
    let join = json!({ "record": refreshed["records"][0], "mode": "ranked_1v1" });
    let (status, body) = world.post("/v1/queue", join, &accused.token).await;
    assert_eq!(
        (status, body["status"].as_str()),
        (202, Some("queued")),
        "{body}"
    );
    let (status, body) = world.server.post_bytes("/v1/matches", refused).await;
    assert_eq!(status, 201, "{body}");

    // The audit log holds the identity resolution, both actions and the reversal.
    let audit: Vec<_> = world
        .audit()
        .await
        .into_iter()
        .filter(|e| e["actor_role"] != "operator")
        .collect();
    let actions: Vec<&str> = audit
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    for expected in ["resolve_identities", "action", "reverse_appeal"] {
        assert!(
            actions.contains(&expected),
            "{expected} missing from {actions:?}"
        );
    }
    assert_eq!(actions.iter().filter(|a| **a == "action").count(), 2);
    // The capability exports its own metric.
    let (_, metrics) = world.server.get("/metrics", None).await;
    let metrics = metrics.as_str().unwrap();
    assert!(
        metrics.contains("ic_moderation_events_total{event=\"report\"} 3"),
        "{metrics}"
    );
    assert!(metrics.contains("ic_moderation_events_total{event=\"appeal_reversed\"} 1"));
    assert!(audit.iter().all(|e| e["actor"] == world.moderator_key()));
    assert!(
        audit
            .iter()
            .any(|e| e["reason"] == "account compromise confirmed")
    );
}

async fn reporters_whose_reports_are_rejected_count_for_little(backend: Backend) {
    let world = World::start(backend, "", "").await;
    let serial = world.member().await;
    // Two of the serial reporter's reports are dismissed: rejected.
    for _ in 0..2 {
        let target = world.member().await;
        let case = world.reported(&serial, &target, "griefing").await;
        assert_eq!(
            world.act(&case, "close_no_action", "nothing there").await.0,
            201
        );
    }
    let fresh = world.member().await;
    let first = world.member().await;
    let second = world.member().await;
    let from_serial = world.reported(&serial, &first, "other").await;
    let from_fresh = world.reported(&fresh, &second, "other").await;
    let severity = |case: Value| case["severity_hint"].as_u64().unwrap();
    // "other" starts at 10; a new reporter adds 10, one with 0 of 2 upheld adds 10 x 2 x 1/4.
    assert_eq!(severity(world.listed(&from_fresh).await.unwrap()), 20);
    assert_eq!(severity(world.listed(&from_serial).await.unwrap()), 15);
}

async fn a_moderator_escalates_a_case_out_of_review_and_decides_it(backend: Backend) {
    let world = World::start(backend, "", "").await;
    let accused = world.member().await;
    let reporter = world.member().await;
    let reviewer = world.established().await;
    let case = world.reported(&reporter, &accused, "harassment").await;
    let assignment = world.next(&reviewer).await;
    let assignment = assignment["assignment_id"].as_str().unwrap().to_owned();
    assert_eq!(world.state(&case).await, "in_review");

    // Too sensitive for community review: the moderator takes it.
    let (status, body) = world
        .act(&case, "escalate", "threats; handled by staff")
        .await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["action"], "escalate");
    assert_eq!(world.state(&case).await, "escalated_to_moderator");
    // Reviewers are out of it: the open assignment takes no vote, nobody gets the case.
    let (status, body) = world.vote(&reviewer, &assignment, "abuse_comms", 90).await;
    assert_eq!(status, 409, "{body}");
    assert!(world.next(&world.established().await).await.is_null());
    // Escalating again, or a closed case, is not a transition the lifecycle has.
    let (status, body) = world.act(&case, "escalate", "again").await;
    assert_eq!(
        (status, body["error"].as_str()),
        (409, Some("invalid_case_state"))
    );
    // The moderator decides (dismissing needs no consensus) and the audit log has both.
    let (status, body) = world
        .act(&case, "close_no_action", "resolved by staff")
        .await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(world.state(&case).await, "closed_no_action");
    let logged: Vec<Value> = world
        .audit()
        .await
        .into_iter()
        .filter(|entry| entry["case_id"] == case.as_str() && entry["action"] == "action")
        .map(|entry| entry["details"]["action"].clone())
        .collect();
    assert_eq!(logged, [json!("escalate"), json!("close_no_action")]);
}

crate::on_each_backend!(
    a_moderator_escalates_a_case_out_of_review_and_decides_it,
    reports_to_consensus_to_sanction_to_appeal_to_reversal,
    reporters_whose_reports_are_rejected_count_for_little,
);
