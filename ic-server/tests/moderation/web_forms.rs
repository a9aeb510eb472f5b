//! The moderation pages' forms fed bad input, as a browser would post them: each answer is a
//! readable error page with the API's status and error code, and nothing is recorded.

use serde_json::json;

use super::common::web::{csrf_of, get_with, operator_login_link, post_with, session_of, sign_in};
use super::common::{Backend, player};
use super::world::{MODERATOR, World};

/// Posts `form` (plus the page's CSRF token) and expects a refusal with `status` and `code`
/// shown on an HTML error page.
async fn refused(
    world: &World,
    cookie: &str,
    path: &str,
    csrf: &str,
    form: &[(&str, &str)],
    status: u16,
    code: &str,
) {
    let form = [form, &[("csrf", csrf)]].concat();
    let (got, page) = post_with(&world.server, path, cookie, &form).await;
    assert_eq!(got, status, "{path} {form:?}: {page}");
    assert!(page.contains(code), "{path} {form:?}: {page}");
    assert!(page.starts_with("<!DOCTYPE html>"), "{page}");
}

async fn moderation_forms_refuse_bad_input_and_record_nothing(backend: Backend) {
    let world = World::start(backend, "required_reviewers = 2", "").await;
    let (accused, reporter) = (world.established().await, world.established().await);
    let case = world.reported(&reporter, &accused, "griefing").await;

    // A reviewer's vote: confidence not a number or out of range, an unknown verdict.
    let reviewer = world.established().await;
    let cookie = world.web_session(&reviewer, "reviewer").await;
    let (_, page) = get_with(&world.server, "/ui/review", &cookie).await;
    let csrf = csrf_of(&page);
    let (status, _) = post_with(
        &world.server,
        "/ui/review/next",
        &cookie,
        &[("csrf", &csrf)],
    )
    .await;
    assert_eq!(status, 303);
    let (_, mine) = world.get("/v1/review/assignments", &reviewer.token).await;
    let assignment = mine["assignments"][0]["assignment_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let vote = format!("/ui/review/{assignment}/vote");
    for (form, status, code) in [
        (
            [("decision", "likely_clean"), ("confidence", "high")],
            400,
            "invalid_confidence",
        ),
        (
            [("decision", "likely_clean"), ("confidence", "150")],
            400,
            "invalid_confidence",
        ),
        (
            [("decision", "maybe"), ("confidence", "50")],
            400,
            "invalid_decision",
        ),
    ] {
        refused(&world, &cookie, &vote, &csrf, &form, status, code).await;
    }
    let (_, view) = world
        .get(
            &format!("/v1/review/assignments/{assignment}"),
            &reviewer.token,
        )
        .await;
    assert_eq!(view["voted"], false, "{view}");
    let (_, page) = get_with(&world.server, &format!("/ui/review/{assignment}"), &cookie).await;
    assert!(
        page.contains(&format!("action=\"{vote}\"")),
        "the vote is still open"
    );

    // The reviewer may not open the moderator's pages, nor act through them.
    for path in [
        "/ui/moderation/cases".to_owned(),
        format!("/ui/moderation/cases/{case}"),
    ] {
        let (status, page) = get_with(&world.server, &path, &cookie).await;
        assert_eq!(status, 403, "{path}: {page}");
        assert!(!page.contains(&accused.id()), "{page}");
    }
    let dismiss = [("action", "close_no_action"), ("reason", "not mine")];
    refused(
        &world,
        &cookie,
        &format!("/ui/moderation/cases/{case}/actions"),
        &csrf,
        &dismiss,
        403,
        "forbidden",
    )
    .await;

    // A moderator's action: unknown, without a reason, a sanction while reviewers still vote.
    let moderator = operator_login_link(&world.server, &player(MODERATOR));
    let cookie = session_of(&sign_in(&world.server, &moderator).await);
    let (_, page) = get_with(
        &world.server,
        &format!("/ui/moderation/cases/{case}"),
        &cookie,
    )
    .await;
    let csrf = csrf_of(&page);
    let act = format!("/ui/moderation/cases/{case}/actions");
    for (form, status, code) in [
        (
            [("action", "banish"), ("reason", "griefing")],
            400,
            "invalid_action",
        ),
        (
            [("action", "close_no_action"), ("reason", " ")],
            400,
            "invalid_reason",
        ),
        (
            [("action", "warn"), ("reason", "griefing")],
            409,
            "invalid_case_state",
        ),
    ] {
        refused(&world, &cookie, &act, &csrf, &form, status, code).await;
    }
    refused(
        &world,
        &cookie,
        "/ui/moderation/cases/case_0000/actions",
        &csrf,
        &[("action", "close_no_action"), ("reason", "gone")],
        404,
        "case_not_found",
    )
    .await;
    assert_eq!(world.state(&case).await, "in_review");
    let actions = world
        .audit()
        .await
        .into_iter()
        .filter(|e| e["action"] == "action")
        .count();
    assert_eq!(actions, 0, "no action was recorded");

    // An appeal decision: an unknown decision, no reason, an appeal that does not exist.
    let (status, body) = world
        .act(&case, "close_no_action", "duplicate report")
        .await;
    assert_eq!(status, 201, "{body}");
    let other = world.reported(&reporter, &accused, "griefing").await;
    let second = world.established().await;
    for member in [&reviewer, &second] {
        world.review(member, "suspected_griefing").await;
    }
    let (status, body) = world.act(&other, "warn", "griefing confirmed").await;
    assert_eq!(status, 201, "{body}");
    let (status, appeal) = world
        .post(
            "/v1/appeals",
            json!({ "case_id": other, "statement": "not me" }),
            &accused.token,
        )
        .await;
    assert_eq!(status, 201, "{appeal}");
    let decide = format!(
        "/ui/moderation/appeals/{}/decision",
        appeal["appeal_id"].as_str().unwrap()
    );
    for (form, status, code) in [
        (
            [("decision", "perhaps"), ("reason", "looked at it")],
            400,
            "invalid_decision",
        ),
        (
            [("decision", "uphold"), ("reason", "")],
            400,
            "invalid_reason",
        ),
    ] {
        refused(&world, &cookie, &decide, &csrf, &form, status, code).await;
    }
    refused(
        &world,
        &cookie,
        "/ui/moderation/appeals/apl_0000/decision",
        &csrf,
        &[("decision", "uphold"), ("reason", "looked at it")],
        404,
        "appeal_not_found",
    )
    .await;
    assert_eq!(world.state(&other).await, "appealed");
    let (_, page) = get_with(&world.server, "/ui/moderation/appeals", &cookie).await;
    assert!(page.contains(&decide), "the appeal is still open: {page}");
}

async fn a_member_reviewing_by_standing_signs_in_and_reviews_in_the_browser(backend: Backend) {
    let world = World::start(backend, "", "").await;
    let (accused, reporter) = (world.established().await, world.established().await);
    let case = world.reported(&reporter, &accused, "griefing").await;

    // A member without a role or a match played here does not qualify: no sign-in link.
    let newcomer = world.member().await;
    let (status, body) = world
        .post("/v1/staff/login-link", json!({}), &newcomer.token)
        .await;
    assert_eq!((status, body["error"].as_str()), (403, Some("not_staff")));

    // One who played a certified match qualifies by standing (min_matches = 1 here), as the
    // review API lets them: the link signs them in, to the review pages and no others.
    let reviewer = world.established().await;
    let (status, body) = world
        .post("/v1/staff/login-link", json!({}), &reviewer.token)
        .await;
    assert_eq!(status, 201, "{body}");
    let cookie = session_of(&sign_in(&world.server, body["url"].as_str().unwrap()).await);
    let (status, page) = get_with(&world.server, "/ui/staff", &cookie).await;
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("reviewing by standing"), "{page}");
    assert!(page.contains("href=\"/ui/review\""), "{page}");
    assert!(!page.contains("/ui/moderation/cases"), "{page}");
    let (status, page) = get_with(&world.server, "/ui/moderation/cases", &cookie).await;
    assert_eq!(status, 403, "{page}");
    let (status, page) = get_with(&world.server, "/ui/review", &cookie).await;
    assert_eq!(status, 200, "{page}");
    let csrf = csrf_of(&page);
    let (status, _) = post_with(
        &world.server,
        "/ui/review/next",
        &cookie,
        &[("csrf", &csrf)],
    )
    .await;
    assert_eq!(status, 303);
    assert_eq!(world.state(&case).await, "in_review");
    let (_, mine) = world.get("/v1/review/assignments", &reviewer.token).await;
    assert_eq!(mine["assignments"][0]["case_id"], case.as_str(), "{mine}");
}

crate::on_each_backend!(
    moderation_forms_refuse_bad_input_and_record_nothing,
    a_member_reviewing_by_standing_signs_in_and_reviews_in_the_browser,
);
