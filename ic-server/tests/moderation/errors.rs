//! A disabled capability does not exist (every moderation route 404, no metrics); bad input
//! gets a 4xx JSON error naming the problem.

use serde_json::{Value, json};

use super::common::*;
use super::world::{MODERATOR, Member, World};

async fn disabled_capability_answers_404_on_every_moderation_route(backend: Backend) {
    let dir = tempfile::tempdir().unwrap();
    // The default preset (community) leaves moderation off.
    let server = Server::start(dir.path(), &format!("{TEST_LIMITS}{}", backend.storage()));
    let token = server.login(&player(1)).await;
    let routes: Vec<_> = ic_server::http::declared_routes()
        .into_iter()
        .filter(|r| r.capability == Some(ic_server::config::Capability::Moderation))
        .collect();
    // Own sanctions (`/v1/sanctions/me`) are served by every server: leaver cooldowns need no
    // moderation. The sanction feed publishes moderation's outcomes and the subscriptions'
    // entries become moderation's cases and sanctions, so both are among the 22.
    assert_eq!(routes.len(), 22);
    for route in routes {
        let url = format!("{}{}", server.url, route.path.replace("{id}", "case_0"));
        let method = reqwest::Method::from_bytes(route.method.to_uppercase().as_bytes()).unwrap();
        let request = server
            .http
            .request(method, &url)
            .bearer_auth(&token)
            .json(&json!({}));
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        let body: Value = response.json().await.unwrap();
        assert_eq!(
            (status, body["error"].as_str()),
            (404, Some("capability_disabled")),
            "{} {}",
            route.method,
            route.path
        );
    }
    let (status, mine) = server.get("/v1/sanctions/me", Some(&token)).await;
    assert_eq!(status, 200, "{mine}");
    assert!(
        mine["leaver_cooldown"].is_null() && mine["sanctions"] == json!([]),
        "{mine}"
    );
    let (_, openapi) = server.get("/openapi.json", None).await;
    assert!(openapi["paths"]["/v1/reports"].is_null());
    let (_, metrics) = server.get("/metrics", None).await;
    assert!(!metrics.as_str().unwrap().contains("ic_moderation"));
}

async fn bad_input_gets_4xx_json_errors(backend: Backend) {
    let world = World::start(backend, "reports_per_day = 3\nnote_max_chars = 20", "").await;
    let reporter = world.established().await;
    let accused = world.established().await;
    let stranger = world.established().await;
    let elsewhere = world.play(&stranger, &world.established().await).await;
    let check = |expected_status: u16, expected_code: &'static str| {
        move |(status, body): (u16, Value)| {
            assert_eq!(
                (status, body["error"].as_str()),
                (expected_status, Some(expected_code)),
                "{body}"
            );
            assert!(!body["message"].as_str().unwrap().is_empty());
        }
    };
    // The sanction feed is published only when the operator says so.
    check(404, "feed_not_published")(world.server.get("/v1/federation/sanctions", None).await);
    let report = |body: Value| world.post("/v1/reports", body, &reporter.token);
    let accused_id = accused.id();
    check(400, "invalid_key")(report(json!({ "accused": "bob", "category": "cheating" })).await);
    check(400, "invalid_category")(
        report(json!({ "accused": accused_id, "category": "rude" })).await,
    );
    check(400, "self_report")(
        report(json!({ "accused": reporter.id(), "category": "other" })).await,
    );
    check(400, "note_too_long")(
        report(json!({ "accused": accused_id, "category": "other", "note": "x".repeat(21) })).await,
    );
    check(400, "invalid_match_id")(
        report(json!({ "accused": accused_id, "category": "other", "match_id": "zz" })).await,
    );
    check(422, "match_not_certified")(
        report(json!({ "accused": accused_id, "category": "other", "match_id": "ab".repeat(32) }))
            .await,
    );
    check(422, "not_in_match")(
        report(json!({ "accused": accused_id, "category": "other", "match_id": elsewhere })).await,
    );
    check(404, "unknown_player")(
        report(json!({ "accused": player(250).public_key().to_string(), "category": "other" }))
            .await,
    );
    check(422, "invalid_json")(report(json!({ "accused": accused_id })).await);
    check(400, "invalid_timeline_markers")(
        report(json!({ "accused": accused_id, "category": "other", "timeline_markers": ["a b"] }))
            .await,
    );
    let (status, body) = world
        .server
        .post_json(
            "/v1/reports",
            &json!({ "accused": accused_id, "category": "other" }),
            None,
        )
        .await;
    check(401, "unauthorized")((status, body));

    // Three reports a day, then 429; the same case twice is a conflict.
    let case = world.reported(&reporter, &accused, "griefing").await;
    check(409, "already_reported")(
        report(json!({ "accused": accused_id, "category": "griefing" })).await,
    );
    world.reported(&reporter, &accused, "harassment").await;
    world.reported(&reporter, &accused, "other").await;
    check(429, "report_rate_limited")(
        report(json!({ "accused": accused_id, "category": "cheating" })).await,
    );

    // Reviewer input.
    let reviewer = world.established().await;
    let assignment = world.next(&reviewer).await;
    let id = assignment["assignment_id"].as_str().unwrap();
    let vote_path = format!("/v1/review/assignments/{id}/vote");
    let vote = |body: Value| world.post(&vote_path, body, &reviewer.token);
    check(400, "invalid_decision")(vote(json!({ "decision": "guilty", "confidence": 50 })).await);
    check(400, "invalid_confidence")(
        vote(json!({ "decision": "likely_clean", "confidence": 101 })).await,
    );
    check(400, "notes_too_long")(
        vote(json!({ "decision": "likely_clean", "confidence": 1, "notes": "n".repeat(21) })).await,
    );
    check(422, "invalid_json")(vote(json!({ "decision": "likely_clean" })).await);

    // Moderator input and roles.
    let act_path = format!("/v1/moderation/cases/{case}/actions");
    let act = |body: Value| world.post(&act_path, body, &world.moderator);
    check(400, "invalid_action")(act(json!({ "action": "ban", "reason": "x" })).await);
    check(400, "invalid_action")(act(json!({ "action": "queue_cooldown:0", "reason": "x" })).await);
    check(400, "invalid_reason")(act(json!({ "action": "warn", "reason": " " })).await);
    // A sanction needs the reviewers first.
    check(409, "invalid_case_state")(act(json!({ "action": "warn", "reason": "x" })).await);
    check(404, "case_not_found")(
        world
            .act("case_0000000000000000", "close_no_action", "x")
            .await,
    );
    check(400, "case_not_closed")(
        world
            .post(
                &format!("/v1/moderation/cases/{case}/calibration"),
                json!({ "known_decision": "likely_clean", "reason": "x" }),
                &world.moderator,
            )
            .await,
    );
    check(400, "invalid_query")(
        world
            .get("/v1/moderation/cases?state=lost", &world.moderator)
            .await,
    );
    check(403, "forbidden")(world.get("/v1/moderation/cases", &reporter.token).await);
    check(403, "forbidden")(world.act_as(&reporter.token, &case).await);
    // Appeals: only a sanctioned player, only with a sanction.
    check(404, "case_not_found")(
        world
            .post(
                "/v1/appeals",
                json!({ "case_id": case, "statement": "not me" }),
                &reporter.token,
            )
            .await,
    );
    check(409, "appeal_not_allowed")(
        world
            .post(
                "/v1/appeals",
                json!({ "case_id": case, "statement": "not me" }),
                &accused.token,
            )
            .await,
    );
    check(404, "appeal_not_found")(
        world
            .post(
                "/v1/moderation/appeals/apl_0/decision",
                json!({ "decision": "reverse", "reason": "x" }),
                &world.moderator,
            )
            .await,
    );
}

async fn moderators_do_not_decide_cases_they_are_party_to(backend: Backend) {
    let world = World::start(backend, "", "").await;
    let moderator = Member {
        key: player(MODERATOR),
        token: world.moderator.clone(),
    };
    world.server.register(&moderator.key).await;
    let member = world.member().await;
    let refused = |(status, body): (u16, Value), party: &str| {
        assert_eq!(
            (status, body["error"].as_str()),
            (403, Some("conflict_of_interest")),
            "{body}"
        );
        assert!(body["message"].as_str().unwrap().contains(party), "{body}");
    };
    // The moderator reported the member: not theirs to escalate, dismiss or sanction.
    let reported = world.reported(&moderator, &member, "griefing").await;
    refused(world.act(&reported, "escalate", "mine").await, "a reporter");
    refused(
        world.act(&reported, "close_no_action", "mine").await,
        "a reporter",
    );
    // The member reported the moderator: not theirs to close either.
    let accused = world.reported(&member, &moderator, "harassment").await;
    refused(
        world
            .act(&accused, "close_no_action", "nothing there")
            .await,
        "the accused",
    );
    assert_eq!(world.state(&accused).await, "queued");
    // Another member of staff (the admin) decides them.
    for case in [&reported, &accused] {
        let (status, body) = world
            .post(
                &format!("/v1/moderation/cases/{case}/actions"),
                json!({ "action": "close_no_action", "reason": "decided by another" }),
                &world.admin,
            )
            .await;
        assert_eq!(status, 201, "{body}");
    }
}

crate::on_each_backend!(
    disabled_capability_answers_404_on_every_moderation_route,
    bad_input_gets_4xx_json_errors,
    moderators_do_not_decide_cases_they_are_party_to,
);
