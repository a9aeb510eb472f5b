//! The record stays: every moderator action and identity resolution is audited, votes and
//! actions cannot be edited or deleted through any route, retention expires closed low-severity
//! cases but keeps sanctions and the audit log; the queue check matchmaking calls.

use serde_json::{Value, json};

use super::common::Backend;
use super::world::World;
use ic_server::moderation::{ModerationService, Restriction};
use ic_server::store::Location;
use ic_server::store::moderation::{
    ActionRow, AuditEntry, CaseRow, ConsensusRow, NewAction, NewReport, ReportRow,
};

async fn every_moderator_action_and_identity_resolution_is_audited_and_nothing_is_editable(
    backend: Backend,
) {
    let world = World::start(backend, "required_reviewers = 2", "").await;
    let accused = world.established().await;
    let reporter = world.established().await;
    let case = world
        .reported(&reporter, &accused, "spam_disruptive_comms")
        .await;
    let (status, body) = world
        .post(
            &format!("/v1/moderation/cases/{case}/summaries"),
            json!({
                "telemetry": { "disconnects": 2, "desync_events": 0, "order_rate_spikes": 9 },
                "anti_cheat": { "combined_score": 0.2 },
                "reason": "relay flagged chat floods",
            }),
            &world.moderator,
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let first = world.established().await;
    let second = world.established().await;
    let a1 = world.next(&first).await["assignment_id"]
        .as_str()
        .unwrap()
        .to_owned();
    world.vote(&first, &a1, "abuse_comms", 90).await;
    let a2 = world.next(&second).await["assignment_id"]
        .as_str()
        .unwrap()
        .to_owned();
    world.vote(&second, &a2, "abuse_comms", 70).await;
    let (status, _) = world
        .get(&format!("/v1/moderation/cases/{case}"), &world.moderator)
        .await;
    assert_eq!(status, 200);
    let (status, action) = world
        .act(&case, "chat_restriction:72", "flooded chat")
        .await;
    assert_eq!(status, 201, "{action}");
    let (status, _) = world
        .get("/v1/moderation/reviewers", &world.moderator)
        .await;
    assert_eq!(status, 200);

    let audit = world.audit().await;
    let kinds: Vec<&str> = audit
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds,
        [
            "grant_role",
            "attach_summaries",
            "resolve_identities",
            "action",
            "list_reviewers"
        ],
        "{audit:?}"
    );
    // The operator granted the moderator role from the command line (an admin action).
    assert_eq!(audit[0]["actor_role"], "operator");
    assert_eq!(audit[0]["target"], world.moderator_key());
    assert_eq!(audit[0]["details"]["role"], "moderator");
    let audit: Vec<_> = audit[1..].to_vec();
    for entry in &audit {
        assert_eq!(entry["actor"], world.moderator_key());
        assert_eq!(entry["actor_role"], "moderator");
        assert!(entry["at"].as_i64().unwrap() > 0);
        assert!(!entry["reason"].as_str().unwrap().is_empty());
    }
    assert_eq!(audit[1]["target"], accused.id());
    assert_eq!(audit[2]["details"]["action"], "chat_restriction:72");
    assert_eq!(audit[2]["details"]["action_id"], action["action_id"]);
    // The audit log is for admins only.
    let (status, body) = world.get("/v1/moderation/audit", &world.moderator).await;
    assert_eq!((status, body["error"].as_str()), (403, Some("forbidden")));

    // No moderation route edits or deletes votes, actions or reports. (Other capabilities have
    // their own DELETE routes, such as leaving the matchmaking queue.)
    let (_, openapi) = world.server.get("/openapi.json", None).await;
    let moderation_paths = [
        "/v1/moderation",
        "/v1/review",
        "/v1/reports",
        "/v1/appeals",
        "/v1/sanctions",
    ];
    let mut checked = 0;
    for (path, operations) in openapi["paths"].as_object().unwrap() {
        if !moderation_paths
            .iter()
            .any(|prefix| path.starts_with(prefix))
        {
            continue;
        }
        checked += 1;
        for method in operations.as_object().unwrap().keys() {
            assert!(
                method == "get" || method == "post",
                "{method} {path} could change records"
            );
        }
    }
    assert!(
        checked >= 14,
        "the OpenAPI document lists every moderation route: {checked}"
    );
    let action_id = action["action_id"].as_str().unwrap();
    for path in [
        format!("/v1/review/assignments/{a1}/vote"),
        format!("/v1/review/assignments/{a1}"),
        format!("/v1/moderation/cases/{case}/actions"),
        format!("/v1/moderation/cases/{case}/actions/{action_id}"),
        format!("/v1/moderation/cases/{case}"),
    ] {
        for method in [
            reqwest::Method::PUT,
            reqwest::Method::PATCH,
            reqwest::Method::DELETE,
        ] {
            let response = world
                .server
                .http
                .request(method.clone(), format!("{}{path}", world.server.url))
                .bearer_auth(&world.moderator)
                .json(&json!({ "decision": "likely_clean", "action": "close_no_action" }))
                .send()
                .await
                .unwrap();
            let status = response.status().as_u16();
            assert!(status == 404 || status == 405, "{method} {path}: {status}");
        }
    }
    let (status, _) = world.vote(&first, &a1, "likely_clean", 10).await;
    assert_eq!(status, 409);
    let (_, opened) = world
        .get(&format!("/v1/moderation/cases/{case}"), &world.moderator)
        .await;
    let decisions: Vec<&Value> = opened["votes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| &v["decision"])
        .collect();
    assert_eq!(decisions, [&json!("abuse_comms"), &json!("abuse_comms")]);
    assert_eq!(opened["actions"].as_array().unwrap().len(), 1);
    assert_eq!(opened["actions"][0]["action"], "chat_restriction:72");
}

async fn retention_expires_closed_low_severity_cases_and_keeps_sanctions_and_audit(
    backend: Backend,
) {
    let world = World::start(
        backend,
        "required_reviewers = 2",
        "[moderation.retention]\nclosed_case_days = 0\nmax_severity = 40\nsweep_interval_secs = 1\n",
    )
    .await;
    let accused = world.established().await;
    let reporter = world.established().await;
    // Low severity: "other" starts at 10, one report adds 10.
    let dismissed = world.reported(&reporter, &accused, "other").await;
    let sanctioned = world
        .reported(&reporter, &accused, "spam_disruptive_comms")
        .await;
    for _ in 0..2 {
        let reviewer = world.established().await;
        assert_eq!(world.review(&reviewer, "abuse_comms").await, sanctioned);
    }
    assert_eq!(world.act(&sanctioned, "warn", "spam in lobby").await.0, 201);
    // A severe open case is kept whatever its age.
    let severe = world.reported(&reporter, &accused, "cheating").await;
    assert_eq!(
        world
            .act(&dismissed, "close_no_action", "no evidence")
            .await
            .0,
        201
    );

    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while world.listed(&dismissed).await.is_some() || world.listed(&sanctioned).await.is_some() {
        assert!(
            std::time::Instant::now() < deadline,
            "retention did not run"
        );
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    assert!(world.listed(&severe).await.is_some());
    let (_, mine) = world.get("/v1/sanctions/me", &accused.token).await;
    let sanctions = mine["sanctions"].as_array().unwrap();
    assert_eq!(sanctions.len(), 1);
    assert_eq!(sanctions[0]["case_id"], sanctioned.as_str());
    let audit = world.audit().await;
    assert!(
        audit
            .iter()
            .any(|e| e["action"] == "action" && e["case_id"] == sanctioned.as_str())
    );
    let expiry = audit
        .iter()
        .find(|e| e["action"] == "expire_cases")
        .expect("expiry audited");
    assert_eq!(expiry["actor_role"], "system");
    let (status, _) = world
        .get(
            &format!("/v1/moderation/cases/{dismissed}"),
            &world.moderator,
        )
        .await;
    assert_eq!(status, 404);
}

fn audit_line(at: i64) -> AuditEntry {
    AuditEntry {
        audit_id: format!("aud_test_{at}"),
        at,
        actor: None,
        actor_role: "moderator".into(),
        action: "action".into(),
        case_id: None,
        target: None,
        reason: "test".into(),
        details: "{}".into(),
    }
}

/// The check matchmaking calls, on a store with a recorded queue cooldown and low priority.
async fn queue_restriction_is_a_direct_check_for_matchmaking(backend: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let location = match backend {
        Backend::Sqlite => Location::sqlite_in(dir.path()),
        Backend::Postgres => Location::Postgres(test_postgres::fresh_database()),
    };
    let store = ic_server::store::open(&location, None)
        .await
        .unwrap()
        .moderation;
    let metrics = ic_server::metrics::Metrics::new().unwrap();
    let service = ModerationService::new(store.clone(), Default::default(), None, &metrics)
        .await
        .unwrap();
    let player = super::common::player(50).public_key();
    let moderator = super::common::player(51).public_key();
    let now = 1_800_000_000;
    assert_eq!(service.queue_restriction(&player, now).await.unwrap(), None);

    let sanction = |case_id: &str, action: &str, hours: i64| {
        let store = store.clone();
        let case_id = case_id.to_owned();
        let action = action.parse().unwrap();
        async move {
            let case = CaseRow {
                case_id: case_id.clone(),
                category: ic_server::moderation::Category::Griefing,
                state: ic_server::moderation::CaseState::Queued,
                created_at: now,
                updated_at: now,
                closed_at: None,
                severity_hint: 50,
                accused: player,
                required_reviewers: 2,
                telemetry_summary: None,
                anti_cheat_summary: None,
            };
            let report = ReportRow {
                report_id: format!("rep_{case_id}"),
                case_id: String::new(),
                reporter: moderator,
                category: case.category,
                note: String::new(),
                created_at: now,
                upheld: None,
            };
            store
                .file_report(&NewReport {
                    report,
                    evidence: vec![],
                    new_case: case,
                    match_players: vec![],
                    severity_points: 10,
                })
                .await
                .unwrap();
            let consensus = ConsensusRow {
                consensus_id: format!("cons_{case_id}"),
                case_id: case_id.clone(),
                created_at: now,
                reached: true,
                weighted_decision: Some(ic_server::moderation::Decision::SuspectedGriefing),
                agreement_ratio: 1.0,
                reviewer_count: 2,
                requires_moderator: false,
                recommended_actions: vec![],
            };
            let state = ic_server::moderation::CaseState::ConsensusReached;
            assert!(
                store
                    .record_consensus(&consensus, state, now)
                    .await
                    .unwrap()
            );
            let row = ActionRow {
                action_id: format!("act_{case_id}"),
                case_id: case_id.clone(),
                consensus_id: Some(consensus.consensus_id),
                moderator,
                target: player,
                action,
                reason: "test".into(),
                created_at: now,
                ends_at: Some(now + hours * 3600),
                reversed: false,
                provenance: None,
            };
            let new = NewAction {
                action: row,
                expected_state: state,
                new_state: ic_server::moderation::CaseState::ClosedActionTaken,
                reports_upheld: Some(true),
                agreement: vec![],
            };
            let mut line = audit_line(now);
            line.audit_id = format!("aud_{case_id}");
            assert!(store.record_action(&new, &line).await.unwrap());
        }
    };
    sanction("case_low", "low_priority_queue:48", 48).await;
    assert_eq!(
        service.queue_restriction(&player, now + 60).await.unwrap(),
        Some(Restriction::LowPriority {
            until: now + 48 * 3600,
            case_id: "case_low".into()
        })
    );
    sanction("case_cool", "queue_cooldown:2", 2).await;
    // A cooldown wins over low priority while it lasts, then low priority is back, then nothing.
    assert_eq!(
        service.queue_restriction(&player, now + 60).await.unwrap(),
        Some(Restriction::QueueCooldown {
            until: now + 2 * 3600,
            case_id: "case_cool".into()
        })
    );
    assert!(matches!(
        service
            .queue_restriction(&player, now + 3 * 3600)
            .await
            .unwrap(),
        Some(Restriction::LowPriority { .. })
    ));
    assert_eq!(
        service
            .queue_restriction(&player, now + 49 * 3600)
            .await
            .unwrap(),
        None
    );
    let other = super::common::player(52).public_key();
    assert_eq!(
        service.queue_restriction(&other, now + 60).await.unwrap(),
        None
    );
}

crate::on_each_backend!(
    every_moderator_action_and_identity_resolution_is_audited_and_nothing_is_editable,
    retention_expires_closed_low_severity_cases_and_keeps_sanctions_and_audit,
    queue_restriction_is_a_direct_check_for_matchmaking,
);
