//! The moderation store on every backend: append-only tables, and a case's reviewer slots
//! filled exactly once by concurrent claims from two handles (two processes).

use std::sync::Arc;

use scr::PublicKey;

use super::{Fresh, on_each_backend};
use crate::moderation::CaseState;
use crate::store::ModerationStore;
use crate::store::moderation::{AuditEntry, Claim};

fn entry(action: &str) -> AuditEntry {
    AuditEntry {
        audit_id: format!("aud_{action}"),
        at: 1,
        actor: None,
        actor_role: "system".into(),
        action: action.into(),
        case_id: None,
        target: None,
        reason: String::new(),
        details: "{}".into(),
    }
}

async fn append_only_tables_refuse_updates_and_deletes(fresh: Fresh) {
    let store = &fresh.stores.moderation;
    store.audit(&entry("first")).await.unwrap();
    // One row per table so a trigger has something to refuse (each backend's literals).
    let seeds: [&str; 4] = if fresh.is_postgres() {
        [
            "INSERT INTO mod_cases (case_id, category, state, created_at, updated_at, \
             severity_hint, accused_key, required_reviewers) \
             VALUES ('c', 'other', 'queued', 0, 0, 0, '\\x00', 3)",
            "INSERT INTO mod_votes (assignment_id, case_id, reviewer_key, submitted_at, \
             decision, confidence, notes, weight, calibration) \
             VALUES ('a', 'c', '\\x01', 0, 'escalate', 50, NULL, 1.0, false)",
            "INSERT INTO mod_actions (action_id, case_id, consensus_id, moderator_key, \
             target_key, action, measure_kind, reason, created_at, ends_at) \
             VALUES ('x', 'c', NULL, '\\x02', '\\x00', 'warn', 'warn', 'r', 0, NULL)",
            "INSERT INTO mod_consensus VALUES ('s', 'c', 0, false, NULL, 0.5, 3, true, '[]')",
        ]
    } else {
        [
            "INSERT INTO mod_cases (case_id, category, state, created_at, updated_at, \
             severity_hint, accused_key, required_reviewers) \
             VALUES ('c', 'other', 'queued', 0, 0, 0, x'00', 3)",
            "INSERT INTO mod_votes VALUES ('a', 'c', x'01', 0, 'escalate', 50, NULL, 1.0, 0)",
            "INSERT INTO mod_actions VALUES ('x', 'c', NULL, x'02', x'00', 'warn', 'warn', \
             'r', 0, NULL)",
            "INSERT INTO mod_consensus VALUES ('s', 'c', 0, 0, NULL, 0.5, 3, 1, '[]')",
        ]
    };
    for seed in seeds {
        fresh.execute(seed).await.unwrap();
    }
    let reached = if fresh.is_postgres() { "true" } else { "1" };
    for sql in [
        "UPDATE mod_audit SET reason = 'changed'".to_owned(),
        "DELETE FROM mod_audit".to_owned(),
        "UPDATE mod_votes SET decision = 'likely_clean'".to_owned(),
        "UPDATE mod_actions SET reason = 'x'".to_owned(),
        "DELETE FROM mod_actions".to_owned(),
        format!("UPDATE mod_consensus SET reached = {reached}"),
        "DELETE FROM mod_votes".to_owned(),
    ] {
        let error = fresh.execute(&sql).await.unwrap_err();
        assert!(error.contains("append-only"), "{sql}: {error}");
    }
    assert_eq!(store.audit_log(0, 10).await.unwrap().len(), 1);
}

async fn concurrent_claims_from_two_processes_fill_exactly_the_required_slots(fresh: Fresh) {
    let first: Arc<dyn ModerationStore> = fresh.stores.moderation.clone();
    let second: Arc<dyn ModerationStore> = fresh.reopen().await.moderation;
    let case_id = super::sanction_feed::open_case(first.as_ref(), 1).await;
    let claims = (10u8..30).map(|seed| {
        let store = if seed % 2 == 0 {
            first.clone()
        } else {
            second.clone()
        };
        tokio::spawn(async move {
            store
                .claim(&Claim {
                    assignment_id: format!("asg_{seed}"),
                    reviewer: PublicKey::from_bytes([seed; 32]),
                    now: 10,
                    expires_at: 1000,
                    calibration_first: false,
                })
                .await
                .unwrap()
        })
    });
    let mut won = 0;
    for claim in claims.collect::<Vec<_>>() {
        won += usize::from(claim.await.unwrap().is_some());
    }
    assert_eq!(won, 3, "exactly the required reviewers get the case");
    let state = first.case(&case_id).await.unwrap().unwrap().state;
    assert_eq!(state, CaseState::InReview);
}

async fn a_player_of_an_evidence_match_never_gets_the_case(fresh: Fresh) {
    let store = &fresh.stores.moderation;
    let teammate = PublicKey::from_bytes([7; 32]);
    let players = vec![PublicKey::from_bytes([1; 32]), teammate];
    let case_id = super::sanction_feed::open_case_with(store.as_ref(), 1, players).await;
    let claim = |reviewer: PublicKey, id: &str| Claim {
        assignment_id: id.into(),
        reviewer,
        now: 10,
        expires_at: 1000,
        calibration_first: false,
    };
    assert!(
        store
            .claim(&claim(teammate, "asg_teammate"))
            .await
            .unwrap()
            .is_none()
    );
    let outsider = store
        .claim(&claim(PublicKey::from_bytes([9; 32]), "asg_outsider"))
        .await
        .unwrap();
    assert_eq!(outsider.map(|a| a.case_id), Some(case_id));
}

on_each_backend!(
    a_player_of_an_evidence_match_never_gets_the_case,
    append_only_tables_refuse_updates_and_deletes,
    concurrent_claims_from_two_processes_fill_exactly_the_required_slots,
);
