//! `[moderation]` settings on the running server, each checked by what its default would not
//! do: the severity a category starts at (and what each report adds), how many reviewers a
//! cheating case needs, the actions a consensus recommends, reviewing by standing switched
//! off, the consensus threshold, the severity up to which closed cases expire and the clean
//! period after a sanction.

use serde_json::json;

use super::common::{Backend, cli};
use super::world::World;

const BASES: [(&str, u64); 6] = [
    ("cheating", 61),
    ("griefing", 66),
    ("afk_intentional_idle", 63),
    ("harassment", 64),
    ("spam_disruptive_comms", 65),
    ("other", 62),
];

async fn severities_and_recommendations_are_the_configured_ones(backend: Backend) {
    let bases: String = BASES
        .iter()
        .map(|(category, base)| format!("{category} = {base}\n"))
        .collect();
    let world = World::start(
        backend,
        "required_reviewers = 2\nrequired_reviewers_cheating = 4\nseverity_per_report = 0",
        &format!(
            "[moderation.severity_base]\n{bases}\
             [moderation.recommendations]\nsuspected_griefing = [\"warn\"]\n"
        ),
    )
    .await;
    let accused = world.member().await;
    let mut griefing = String::new();
    for (category, base) in BASES {
        let reporter = world.member().await;
        let case = world.reported(&reporter, &accused, category).await;
        let listed = world.listed(&case).await.unwrap();
        // severity_per_report = 0: the hint is the category's base alone.
        assert_eq!(listed["severity_hint"], base, "{category}: {listed}");
        // required_reviewers_cheating: cheating cases need four reviewers, the others two.
        let (status, opened) = world
            .get(&format!("/v1/moderation/cases/{case}"), &world.moderator)
            .await;
        assert_eq!(status, 200, "{opened}");
        let needed = if category == "cheating" { 4 } else { 2 };
        assert_eq!(opened["required_reviewers"], needed, "{category}");
        if category == "griefing" {
            griefing = case;
        }
    }
    // A second report adds nothing either.
    let again = world.member().await;
    assert_eq!(world.reported(&again, &accused, "griefing").await, griefing);
    assert_eq!(world.listed(&griefing).await.unwrap()["severity_hint"], 66);

    // Two reviewers find griefing (the most severe case comes first): the consensus
    // recommends the configured actions.
    for _ in 0..2 {
        let reviewer = world.established().await;
        assert_eq!(
            world.review(&reviewer, "suspected_griefing").await,
            griefing
        );
    }
    let (status, opened) = world
        .get(
            &format!("/v1/moderation/cases/{griefing}"),
            &world.moderator,
        )
        .await;
    assert_eq!(status, 200, "{opened}");
    assert_eq!(opened["consensus"]["recommended_actions"], json!(["warn"]));
}

async fn without_reviewing_by_standing_only_the_reviewer_role_reviews(backend: Backend) {
    // The line lands in [moderation.eligibility].
    let world = World::start(backend, "required_reviewers = 2", "by_standing = false\n").await;
    let reporter = world.member().await;
    let accused = world.member().await;
    world.reported(&reporter, &accused, "griefing").await;
    let member = world.established().await;
    let (status, refused) = world
        .post("/v1/review/assignments/next", json!({}), &member.token)
        .await;
    assert_eq!(
        (status, refused["error"].as_str()),
        (403, Some("not_eligible")),
        "{refused}"
    );
    let (code, _, err) = cli(
        world.dir.path(),
        &["roles", "grant", &member.id(), "reviewer"],
    );
    assert_eq!(code, 0, "{err}");
    let token = world.server.login(&member.key).await;
    let (status, body) = world
        .post("/v1/review/assignments/next", json!({}), &token)
        .await;
    assert_eq!(status, 200, "{body}");
    assert!(body["assignment"]["assignment_id"].is_string(), "{body}");
}

async fn a_unanimity_threshold_escalates_a_two_to_one_vote(backend: Backend) {
    // Two of three agreeing reach the default threshold (2/3); unanimity is configured.
    let world = World::start(
        backend,
        "required_reviewers = 3\nconsensus_threshold = 1.0",
        "",
    )
    .await;
    let reporter = world.member().await;
    let accused = world.member().await;
    let case = world.reported(&reporter, &accused, "griefing").await;
    for decision in ["suspected_griefing", "suspected_griefing", "likely_clean"] {
        let reviewer = world.established().await;
        assert_eq!(world.review(&reviewer, decision).await, case);
    }
    assert_eq!(world.state(&case).await, "escalated_to_moderator");
}

async fn retention_spares_closed_cases_above_the_configured_severity(backend: Backend) {
    // "other" starts at 5 and "harassment" at 20; reports add nothing. The default limit (40)
    // would expire both once closed; 15 keeps the harassment case.
    let world = World::start(
        backend,
        "required_reviewers = 2\nseverity_per_report = 0",
        "[moderation.severity_base]\nother = 5\nharassment = 20\n\
         [moderation.retention]\nclosed_case_days = 0\nmax_severity = 15\n\
         sweep_interval_secs = 1\n",
    )
    .await;
    let reporter = world.member().await;
    let accused = world.member().await;
    let minor = world.reported(&reporter, &accused, "other").await;
    let kept = world.reported(&reporter, &accused, "harassment").await;
    for case in [&minor, &kept] {
        assert_eq!(
            world.act(case, "close_no_action", "nothing found").await.0,
            201
        );
    }
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while world.listed(&minor).await.is_some() {
        assert!(
            std::time::Instant::now() < deadline,
            "retention did not run"
        );
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    assert!(world.listed(&kept).await.is_some());
}

async fn with_no_clean_period_a_sanctioned_member_reviews_again_at_once(backend: Backend) {
    // The line lands in [moderation.eligibility]; the default (90 days) refuses them.
    let world = World::start(backend, "required_reviewers = 2", "no_sanction_days = 0\n").await;
    let offender = world.established().await;
    let reporter = world.established().await;
    let case = world.reported(&reporter, &offender, "harassment").await;
    for _ in 0..2 {
        let reviewer = world.established().await;
        assert_eq!(world.review(&reviewer, "abuse_comms").await, case);
    }
    assert_eq!(world.act(&case, "warn", "insults in chat").await.0, 201);
    let other = world.member().await;
    world.reported(&reporter, &other, "griefing").await;
    let (status, body) = world
        .post("/v1/review/assignments/next", json!({}), &offender.token)
        .await;
    assert_eq!(status, 200, "{body}");
    assert!(body["assignment"]["assignment_id"].is_string(), "{body}");
}

crate::on_each_backend!(
    with_no_clean_period_a_sanctioned_member_reviews_again_at_once,
    severities_and_recommendations_are_the_configured_ones,
    without_reviewing_by_standing_only_the_reviewer_role_reviews,
    a_unanimity_threshold_escalates_a_two_to_one_vote,
    retention_spares_closed_cases_above_the_configured_severity,
);
