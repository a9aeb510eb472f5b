//! Anonymity: no reviewer-facing response contains a player key, in any text form, across every
//! reviewer endpoint and many case shapes (categories, report counts, match evidence, notes and
//! summaries with pasted keys, agreeing and split votes, calibration cases).

use std::cell::RefCell;

use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use scr::KeyPair;
use serde_json::{Value, json};

use super::world::{Member, World, key_forms};

const CATEGORIES: [&str; 6] = [
    "cheating",
    "griefing",
    "afk_intentional_idle",
    "harassment",
    "spam_disruptive_comms",
    "other",
];
const DECISIONS: [&str; 6] = [
    "insufficient_evidence",
    "likely_clean",
    "suspected_griefing",
    "suspected_cheating",
    "abuse_comms",
    "escalate",
];

/// One case shape.
#[derive(Debug, Clone)]
struct Shape {
    category: usize,
    reports: usize,
    with_match: bool,
    /// 0 plain, 1 the accused's key pasted, 2 a reporter's key pasted, 3 empty.
    note: u8,
    /// Key form pasted (index into `key_forms`).
    form: usize,
    summaries: bool,
    votes: Vec<usize>,
    /// Close the case and make it a calibration case afterwards.
    calibrate: bool,
}

fn shapes() -> impl Strategy<Value = Shape> {
    (
        0..CATEGORIES.len(),
        1usize..=3,
        any::<bool>(),
        0u8..4,
        0usize..4,
        any::<bool>(),
        proptest::collection::vec(0..DECISIONS.len(), 3),
        any::<bool>(),
    )
        .prop_map(
            |(category, reports, with_match, note, form, summaries, votes, calibrate)| Shape {
                category,
                reports,
                with_match,
                note,
                form,
                summaries,
                votes,
                calibrate,
            },
        )
}

struct Run {
    world: World,
    keys: Vec<KeyPair>,
    seen: usize,
}

impl Run {
    async fn member(&mut self) -> Member {
        let member = self.world.established().await;
        self.keys.push(member.key.clone());
        member
    }

    /// Fails if `body` contains any known player key in any text form.
    fn check(&mut self, what: &str, body: &Value) -> Result<(), TestCaseError> {
        self.seen += 1;
        let text = body.to_string();
        for key in &self.keys {
            for form in key_forms(key) {
                prop_assert!(!text.contains(&form), "{what} leaks {form}: {text}");
            }
        }
        Ok(())
    }

    /// Calls every reviewer endpoint as `reviewer`, votes with `decision`, checks each answer.
    async fn review(&mut self, reviewer: &Member, decision: &str) -> Result<(), TestCaseError> {
        let (status, next) = self
            .world
            .post("/v1/review/assignments/next", json!({}), &reviewer.token)
            .await;
        let (_, list) = self
            .world
            .get("/v1/review/assignments", &reviewer.token)
            .await;
        self.check("next", &next)?;
        self.check("list", &list)?;
        prop_assert_eq!(status, 200);
        let Some(id) = next["assignment"]["assignment_id"]
            .as_str()
            .map(str::to_owned)
        else {
            return Ok(());
        };
        let path = format!("/v1/review/assignments/{id}");
        let (_, one) = self.world.get(&path, &reviewer.token).await;
        let notes = format!("looked at it; {}", self.keys[0].public_key());
        let (_, voted) = self
            .world
            .post(
                &format!("{path}/vote"),
                json!({ "decision": decision, "confidence": 77, "notes": notes }),
                &reviewer.token,
            )
            .await;
        let (_, again) = self
            .world
            .post(
                &format!("{path}/vote"),
                json!({ "decision": decision, "confidence": 77 }),
                &reviewer.token,
            )
            .await;
        let (_, after) = self.world.get(&path, &reviewer.token).await;
        let (_, list) = self
            .world
            .get("/v1/review/assignments", &reviewer.token)
            .await;
        for (what, body) in [
            ("one", &one),
            ("vote", &voted),
            ("vote again", &again),
            ("after vote", &after),
            ("list after", &list),
        ] {
            self.check(what, body)?;
        }
        Ok(())
    }

    async fn case(&mut self, shape: &Shape) -> Result<(), TestCaseError> {
        let accused = self.member().await;
        let mut reporters = Vec::new();
        for _ in 0..shape.reports {
            reporters.push(self.member().await);
        }
        let category = CATEGORIES[shape.category];
        let mut case = String::new();
        for reporter in &reporters {
            let match_id = if shape.with_match {
                Some(self.world.play(reporter, &accused).await)
            } else {
                None
            };
            let pasted = match shape.note {
                0 => "he kept doing it".to_owned(),
                1 => format!("accused is {}", key_forms(&accused.key)[shape.form]),
                2 => format!("I am {} btw", key_forms(&reporter.key)[shape.form]),
                _ => String::new(),
            };
            let (status, body) = self
                .world
                .report(reporter, &accused, category, match_id.as_deref(), &pasted)
                .await;
            prop_assert_eq!(status, 201, "{}", body);
            case = body["case_id"].as_str().unwrap().to_owned();
        }
        if shape.summaries {
            let note = format!("flagged {}", accused.key.public_key());
            let (status, body) = self
                .world
                .post(
                    &format!("/v1/moderation/cases/{case}/summaries"),
                    json!({
                        "telemetry": { "disconnects": 1, "desync_events": 2,
                                       "order_rate_spikes": 3, "notes": [note] },
                        "anti_cheat": { "combined_score": 0.9,
                                        "current_action": format!("{}", accused.key.public_key()) },
                        "reason": "relay telemetry",
                    }),
                    &self.world.moderator,
                )
                .await;
            prop_assert_eq!(status, 200, "{}", body);
        }
        for decision in shape.votes.clone() {
            let reviewer = self.member().await;
            self.review(&reviewer, DECISIONS[decision]).await?;
        }
        if shape.calibrate {
            // Close it whatever its state and mix it into later reviewers' queues.
            let (status, _) = self
                .world
                .act(&case, "close_no_action", "calibration seed")
                .await;
            if status == 201 {
                let (status, body) = self
                    .world
                    .post(
                        &format!("/v1/moderation/cases/{case}/calibration"),
                        json!({ "known_decision": "likely_clean", "reason": "seed" }),
                        &self.world.moderator,
                    )
                    .await;
                prop_assert_eq!(status, 201, "{}", body);
            }
        }
        Ok(())
    }
}

#[test]
fn no_reviewer_response_contains_a_player_key() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let world = runtime.block_on(World::start(
        super::common::Backend::Sqlite,
        "required_reviewers_cheating = 3",
        "[moderation.calibration]\nevery = 2\n",
    ));
    // Taken out for each case and put back, so no borrow is held across an await.
    let run = RefCell::new(Some(Run {
        world,
        keys: Vec::new(),
        seen: 0,
    }));
    let mut runner = TestRunner::new(Config {
        cases: 12,
        failure_persistence: None,
        ..Config::default()
    });
    runner
        .run(&shapes(), |shape| {
            let mut current = run.borrow_mut().take().expect("one case at a time");
            let result = runtime.block_on(current.case(&shape));
            *run.borrow_mut() = Some(current);
            result
        })
        .unwrap();
    // Every shape was exercised through the endpoints.
    let seen = run.borrow().as_ref().map_or(0, |r| r.seen);
    assert!(seen > 12 * 3 * 5, "{seen}");
}
