//! Reviewer rules: one vote each, only on one's own assignment, never on a case one reported or
//! is accused in; eligibility; split votes escalate; lapsed assignments are reassigned.

use serde_json::json;

use super::common::Backend;
use super::world::World;

async fn reviewers_vote_once_on_their_own_assignment_and_never_on_their_own_case(backend: Backend) {
    let world = World::start(backend, "", "").await;
    let accused = world.established().await;
    let reporter = world.established().await;
    let case = world.reported(&reporter, &accused, "harassment").await;

    // Neither the reporter nor the accused is ever assigned the case.
    assert!(world.next(&reporter).await.is_null());
    assert!(world.next(&accused).await.is_null());

    let first = world.established().await;
    let second = world.established().await;
    let third = world.established().await;
    let a1 = world.next(&first).await["assignment_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let a2 = world.next(&second).await["assignment_id"]
        .as_str()
        .unwrap()
        .to_owned();
    // Asking again returns the open assignment, not a second slot.
    assert_eq!(world.next(&first).await["assignment_id"], a1.as_str());

    // Not your assignment: 404 for the vote and the view alike.
    let (status, body) = world.vote(&second, &a1, "likely_clean", 50).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (404, Some("assignment_not_found"))
    );
    let (status, _) = world
        .get(&format!("/v1/review/assignments/{a1}"), &second.token)
        .await;
    assert_eq!(status, 404);

    // One vote each; the second is refused and the first stands.
    assert_eq!(world.vote(&first, &a1, "abuse_comms", 90).await.0, 201);
    let (status, body) = world.vote(&first, &a1, "likely_clean", 10).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (409, Some("already_voted"))
    );
    let (_, view) = world
        .get(&format!("/v1/review/assignments/{a1}"), &first.token)
        .await;
    assert_eq!(view["your_vote"]["decision"], "abuse_comms");
    // Done with this case, the first reviewer gets no second slot on it.
    assert!(world.next(&first).await.is_null());

    // Split votes escalate to a moderator.
    assert_eq!(world.vote(&second, &a2, "likely_clean", 90).await.0, 201);
    let a3 = world.next(&third).await["assignment_id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(
        world.vote(&third, &a3, "insufficient_evidence", 90).await.0,
        201
    );
    assert_eq!(world.state(&case).await, "escalated_to_moderator");
    let (_, opened) = world
        .get(&format!("/v1/moderation/cases/{case}"), &world.moderator)
        .await;
    assert_eq!(opened["consensus"]["outcome"], "escalated_to_moderator");
    assert_eq!(opened["consensus"]["requires_moderator"], true);
    assert_eq!(opened["votes"].as_array().unwrap().len(), 3);
}

async fn eligibility_needs_standing_or_the_reviewer_role(backend: Backend) {
    let world = World::start(backend, "", "").await;
    let newcomer = world.member().await;
    let (status, body) = world
        .post("/v1/review/assignments/next", json!({}), &newcomer.token)
        .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (403, Some("not_eligible")),
        "{body}"
    );
    assert!(body["message"].as_str().unwrap().contains("matches"));
    // An explicit reviewer role qualifies without matches.
    let (code, _, err) = super::common::cli(
        world.dir.path(),
        &["roles", "grant", &newcomer.id(), "reviewer"],
    );
    assert_eq!(code, 0, "{err}");
    let token = world.server.login(&newcomer.key).await;
    let (status, body) = world
        .post("/v1/review/assignments/next", json!({}), &token)
        .await;
    assert_eq!(status, 200, "{body}");
    // A recent sanction makes a member ineligible.
    let offender = world.established().await;
    let reporter = world.established().await;
    let case = world.reported(&reporter, &offender, "harassment").await;
    for _ in 0..3 {
        let reviewer = world.established().await;
        assert_eq!(world.review(&reviewer, "abuse_comms").await, case);
    }
    assert!(
        world.next(&offender).await.is_null(),
        "eligible before the sanction"
    );
    assert_eq!(world.act(&case, "warn", "insults in chat").await.0, 201);
    let (status, body) = world
        .post("/v1/review/assignments/next", json!({}), &offender.token)
        .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (403, Some("not_eligible")),
        "{body}"
    );
    assert!(body["message"].as_str().unwrap().contains("sanctioned"));
    // Someone who is not a member at all is not eligible either.
    let stranger = super::common::player_from(9_999);
    let token = world.server.login(&stranger).await;
    let (status, _) = world
        .post("/v1/review/assignments/next", json!({}), &token)
        .await;
    assert_eq!(status, 403);
}

async fn lapsed_assignments_expire_and_their_slot_is_reassigned(backend: Backend) {
    let world = World::start(
        backend,
        // Expiry counts whole seconds, so 1 s could lapse a moment after it was given and
        // free the slot before the third reviewer asks on a loaded machine: 3 s cannot.
        "required_reviewers = 2\nassignment_expiry_secs = 3",
        "",
    )
    .await;
    let accused = world.established().await;
    let reporter = world.established().await;
    let case = world.reported(&reporter, &accused, "griefing").await;
    let slow = world.established().await;
    let quick = world.established().await;
    let late = world.established().await;
    let lapsed = world.next(&slow).await["assignment_id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(world.next(&quick).await["case_id"], case.as_str());
    assert!(world.next(&late).await.is_null(), "both slots are taken");
    // Assignment expiry is in whole seconds: wait until the first one has lapsed.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    let reassigned = loop {
        let next = world.next(&late).await;
        if !next.is_null() || std::time::Instant::now() > deadline {
            break next;
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    };
    assert_eq!(reassigned["case_id"], case.as_str());
    let (status, body) = world.vote(&slow, &lapsed, "likely_clean", 90).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (409, Some("assignment_expired"))
    );
}

async fn a_case_closed_by_a_moderator_releases_its_reviewers(backend: Backend) {
    let world = World::start(backend, "", "").await;
    let accused = world.established().await;
    let reporter = world.established().await;
    let case = world.reported(&reporter, &accused, "griefing").await;
    let reviewer = world.established().await;
    let assignment = world.next(&reviewer).await;
    assert_eq!(assignment["case_id"], case.as_str());
    let id = assignment["assignment_id"].as_str().unwrap();
    let (status, _) = world
        .act(&case, "close_no_action", "duplicate report")
        .await;
    assert_eq!(status, 201);
    let (status, body) = world.vote(&reviewer, id, "likely_clean", 50).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (409, Some("invalid_case_state"))
    );
    // The reviewer is not stuck with the closed case: the next one comes.
    let other_accused = world.established().await;
    let other = world.reported(&reporter, &other_accused, "other").await;
    assert_eq!(world.next(&reviewer).await["case_id"], other.as_str());
}

async fn a_reviewer_no_longer_eligible_cannot_vote_on_a_case_assigned_before(backend: Backend) {
    let world = World::start(backend, "", "").await;
    let reviewer = world.established().await;
    let case = world
        .reported(&world.member().await, &world.member().await, "griefing")
        .await;
    let assignment = world.next(&reviewer).await;
    assert_eq!(assignment["case_id"], case.as_str());
    let assignment = assignment["assignment_id"].as_str().unwrap().to_owned();
    // The operator raises the bar to five matches and reloads: one match no longer qualifies.
    let file = world.dir.path().join("ic-server.toml");
    let raised = std::fs::read_to_string(&file)
        .unwrap()
        .replace("min_matches = 1", "min_matches = 5");
    std::fs::write(&file, raised).unwrap();
    let (code, out, err) = super::common::cli(world.dir.path(), &["config", "reload"]);
    assert_eq!(code, 0, "{out}{err}");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while world.get("/v1/review/me", &reviewer.token).await.0 != 403 {
        assert!(
            std::time::Instant::now() < deadline,
            "the reload was not applied"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let (status, body) = world
        .vote(&reviewer, &assignment, "suspected_griefing", 90)
        .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (403, Some("not_eligible")),
        "{body}"
    );
    assert!(
        body["message"].as_str().unwrap().contains("5 needed"),
        "{body}"
    );
}

/// A player of the match a report brings as evidence could map the case's pseudonyms back
/// through the match: a teammate of the accused is never given the case, an outsider is.
async fn nobody_who_played_in_the_evidence_match_reviews_the_case(backend: Backend) {
    use relay_core::cmr::{CmrPlayer, MatchOutcome, PlayerResult};
    use relay_core::ids::{PlayerSlot, TeamId};
    let world = World::start(backend, "", "").await;
    let (reporter, accused, teammate, opponent) = (
        world.member().await,
        world.member().await,
        world.member().await,
        world.member().await,
    );
    let seat = |member: &super::world::Member, slot: u8, team: u8, result| CmrPlayer {
        slot: PlayerSlot(slot),
        key: member.key.public_key().into(),
        team: TeamId(team),
        result,
    };
    let players = vec![
        seat(&accused, 0, 1, PlayerResult::Win),
        seat(&teammate, 1, 1, PlayerResult::Win),
        seat(&reporter, 2, 2, PlayerResult::Loss),
        seat(&opponent, 3, 2, PlayerResult::Loss),
    ];
    let outcome = MatchOutcome::Completed {
        winner: TeamId(1),
        reason: relay_core::cmr::EndReason::Elimination,
    };
    let cmr = super::common::certified(&world.relay, world.community, players, outcome, 9_001);
    let (status, played) = world.server.post_bytes("/v1/matches", cmr).await;
    assert_eq!(status, 201, "{played}");
    let match_id = played["match_id"].as_str().unwrap().to_owned();
    let (status, body) = world
        .report(
            &reporter,
            &accused,
            "griefing",
            Some(&match_id),
            "fed the enemy",
        )
        .await;
    assert_eq!(status, 201, "{body}");
    // Both played a certified match, so both qualify to review; only the outsider gets it.
    assert!(world.next(&teammate).await.is_null());
    assert!(world.next(&opponent).await.is_null());
    let outsider = world.established().await;
    assert_eq!(world.next(&outsider).await["case_id"], body["case_id"]);
}

crate::on_each_backend!(
    reviewers_vote_once_on_their_own_assignment_and_never_on_their_own_case,
    eligibility_needs_standing_or_the_reviewer_role,
    lapsed_assignments_expire_and_their_slot_is_reassigned,
    a_case_closed_by_a_moderator_releases_its_reviewers,
    a_reviewer_no_longer_eligible_cannot_vote_on_a_case_assigned_before,
    nobody_who_played_in_the_evidence_match_reviews_the_case,
);
