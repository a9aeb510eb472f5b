//! Who may report, and what a report costs: throwaway keys are refused before they reach a
//! case, and each report adds its reporter's points to the case's severity in one step.

use scr::KeyPair;

use super::common::Backend;
use super::world::{World, config};

async fn reports_need_a_registered_reporter_with_matches_and_add_their_points(backend: Backend) {
    let world = World::start_with(&format!(
        "{}{}",
        config("", "").replace("reporter_min_matches = 0", "reporter_min_matches = 2"),
        backend.storage()
    ))
    .await;
    let accused = world.member().await;

    // A key that only signed in (a token, never registered) is refused, however many.
    let mut refused = Vec::new();
    for seed in 0..3u8 {
        let throwaway = KeyPair::from_seed([150 + seed; 32]);
        let token = world.server.login(&throwaway).await;
        let (status, body) = world
            .post(
                "/v1/reports",
                serde_json::json!({ "accused": accused.id(), "category": "griefing" }),
                &token,
            )
            .await;
        refused.push((status, body["error"].as_str().map(str::to_owned)));
        assert!(
            body["message"].as_str().unwrap().contains("you have 0"),
            "{body}"
        );
    }
    assert!(
        refused
            .iter()
            .all(|r| *r == (403, Some("reporter_not_eligible".to_owned()))),
        "{refused:?}"
    );
    // A member with one match of the two needed is refused too, and told how many they have.
    let reporter = world.member().await;
    world.play(&reporter, &accused).await;
    let (status, body) = world
        .report(&reporter, &accused, "griefing", None, "")
        .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (403, Some("reporter_not_eligible")),
        "{body}"
    );
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains("at least 2 certified match(es) here; you have 1"),
        "{body}"
    );
    assert!(
        world.get("/v1/moderation/cases", &world.moderator).await.1["cases"]
            .as_array()
            .unwrap()
            .is_empty(),
        "refused reports open no case"
    );
    // With two, the report is taken.
    world.play(&accused, &reporter).await;
    let case = world.reported(&reporter, &accused, "griefing").await;

    // Each new reporter adds 10 points (twice the neutral accuracy of 0.5 × 10) to the base of
    // 30, up to 100.
    assert_eq!(world.listed(&case).await.unwrap()["severity_hint"], 40);
    for expected in [50, 60, 70, 80, 90, 100, 100] {
        let other = world.member().await;
        world.play(&other, &accused).await;
        world.play(&accused, &other).await;
        assert_eq!(world.reported(&other, &accused, "griefing").await, case);
        assert_eq!(
            world.listed(&case).await.unwrap()["severity_hint"],
            expected
        );
    }
}

crate::on_each_backend!(reports_need_a_registered_reporter_with_matches_and_add_their_points);
