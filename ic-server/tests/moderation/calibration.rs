//! Calibration: closed cases marked with a known outcome are mixed into reviewers' queues
//! unannounced; misjudging them lowers a reviewer's weight and then stops their assignments.

use std::collections::BTreeSet;

use serde_json::{Value, json};

use super::common::Backend;
use super::common::web::get_with;
use super::world::{Member, World};

/// Closes a fresh single-report case without action and marks it a calibration case.
async fn calibration_case(world: &World, known: &str) -> String {
    let accused = world.member().await;
    let reporter = world.member().await;
    let case = world.reported(&reporter, &accused, "griefing").await;
    let (status, body) = world.act(&case, "close_no_action", "known outcome").await;
    assert_eq!(status, 201, "{body}");
    let (status, body) = world
        .post(
            &format!("/v1/moderation/cases/{case}/calibration"),
            json!({ "known_decision": known, "reason": "clean replay, verified" }),
            &world.moderator,
        )
        .await;
    assert_eq!(status, 201, "{body}");
    case
}

fn fields(view: &Value) -> BTreeSet<String> {
    view.as_object().unwrap().keys().cloned().collect()
}

async fn weight(world: &World, reviewer: &Member) -> f64 {
    world.reviewer_record(reviewer).await["review_weight"]
        .as_f64()
        .unwrap()
}

async fn misjudged_calibration_cases_cost_weight_then_assignments(backend: Backend) {
    let world = World::start(backend, "", "[moderation.calibration]\nevery = 1\n").await;
    let mut calibration = BTreeSet::new();
    for _ in 0..4 {
        calibration.insert(calibration_case(&world, "likely_clean").await);
    }
    // A real case too, to compare what a reviewer sees.
    let accused = world.established().await;
    let reporter = world.established().await;
    let real_case = world.reported(&reporter, &accused, "griefing").await;

    let careless = world.established().await;
    let careful = world.established().await;
    let mut weights = Vec::new();
    for round in 0..3 {
        let assignment = world.next(&careless).await;
        let case = assignment["case_id"].as_str().unwrap();
        assert!(
            calibration.contains(case),
            "round {round}: calibration comes first"
        );
        // Unannounced: a calibration case looks exactly like a real one.
        assert!(assignment.get("calibration").is_none());
        assert!(assignment.get("state").is_none());
        let id = assignment["assignment_id"].as_str().unwrap();
        assert_eq!(
            world.vote(&careless, id, "suspected_cheating", 90).await.0,
            201
        );
        weights.push(weight(&world, &careless).await);
        let good = world.review(&careful, "likely_clean").await;
        assert!(calibration.contains(&good));
    }
    assert!(weights.windows(2).all(|w| w[1] < w[0]), "{weights:?}");
    assert!(weights[0] < 1.0, "a new reviewer weighs 1.0: {weights:?}");
    assert!(weight(&world, &careful).await > 1.0);
    let record = world.reviewer_record(&careless).await;
    assert_eq!(record["calibration_cases_seen"], 3);
    assert_eq!(record["receives_cases"], false);
    let (status, body) = world
        .post("/v1/review/assignments/next", json!({}), &careless.token)
        .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (403, Some("review_accuracy_too_low"))
    );
    own_results_match_the_moderators_view(&world, &careless, &record).await;

    // The careful reviewer still gets cases; the real one looks the same field for field.
    let fourth = world.next(&careful).await;
    let real = loop {
        let next = world.next(&careful).await;
        if next["case_id"] == real_case.as_str() {
            break next;
        }
        let id = next["assignment_id"]
            .as_str()
            .expect("the real case is reachable");
        world.vote(&careful, id, "likely_clean", 80).await;
    };
    assert_eq!(fields(&fourth), fields(&real));

    // Each calibration mark is an audited moderator action.
    let marks = world
        .audit()
        .await
        .into_iter()
        .filter(|e| e["action"] == "mark_calibration")
        .count();
    assert_eq!(marks, calibration.len());
}

/// The reviewer sees their own results (through the API and on their review page) as the
/// moderator's reviewer list shows them, also once accuracy stopped their assignments; a member
/// who may not review sees none.
async fn own_results_match_the_moderators_view(world: &World, reviewer: &Member, record: &Value) {
    let (status, own) = world.get("/v1/review/me", &reviewer.token).await;
    assert_eq!(status, 200, "{own}");
    for field in [
        "cases_reviewed",
        "calibration_cases_seen",
        "calibration_accuracy",
        "review_weight",
        "receives_cases",
    ] {
        assert_eq!(own[field], record[field], "{field}: {own} against {record}");
    }
    assert!(own.get("reviewer").is_none(), "no key in the own view");
    let newcomer = world.member().await;
    let (status, body) = world.get("/v1/review/me", &newcomer.token).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (403, Some("not_eligible")),
        "{body}"
    );

    // On the review page, once they hold the role and signed in with their own key.
    let key = reviewer.id();
    let cookie = world.web_session(reviewer, "reviewer").await;
    let (status, page) = get_with(&world.server, "/ui/review", &cookie).await;
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("My calibration"), "{page}");
    assert!(
        page.contains("<dt>Calibration cases</dt><dd>3</dd>"),
        "{page}"
    );
    assert!(page.contains("paused: accuracy below"), "{page}");
    assert!(!page.contains(&key[8..]), "no key on a reviewer page");
}

crate::on_each_backend!(misjudged_calibration_cases_cost_weight_then_assignments,);
