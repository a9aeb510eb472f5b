//! The federated sanction feed on every backend: a moderator's sanction appends its entry, an
//! appeal's reversal appends the lifting, positions run gapless across two processes, and the
//! feed refuses changes.

use std::sync::Arc;

use scr::PublicKey;

use super::{Fresh, on_each_backend};
use crate::moderation::{ActionKind, CaseState, Category, Measure};
use crate::store::ModerationStore;
use crate::store::moderation::{
    ActionRow, AppealRow, AuditEntry, CaseRow, NewAction, NewReport, ReportRow, case_ref,
};

fn audit(id: &str) -> AuditEntry {
    AuditEntry {
        audit_id: format!("aud_{id}"),
        at: 1,
        actor: None,
        actor_role: "moderator".into(),
        action: "action".into(),
        case_id: None,
        target: None,
        reason: String::new(),
        details: "{}".into(),
    }
}

/// Opens case `case_<n>` against player `n`, reported by player 200.
pub(super) async fn open_case(store: &dyn ModerationStore, n: u8) -> String {
    open_case_with(store, n, Vec::new()).await
}

/// [`open_case`], the report bringing a match that `match_players` played.
pub(super) async fn open_case_with(
    store: &dyn ModerationStore,
    n: u8,
    match_players: Vec<PublicKey>,
) -> String {
    let case_id = format!("case_{n}");
    let case = CaseRow {
        case_id: case_id.clone(),
        category: Category::Griefing,
        state: CaseState::Queued,
        created_at: 0,
        updated_at: 0,
        closed_at: None,
        severity_hint: 30,
        accused: PublicKey::from_bytes([n; 32]),
        required_reviewers: 3,
        telemetry_summary: None,
        anti_cheat_summary: None,
    };
    let report = ReportRow {
        report_id: format!("rep_{n}"),
        case_id: String::new(),
        reporter: PublicKey::from_bytes([200; 32]),
        category: Category::Griefing,
        note: String::new(),
        created_at: 0,
        upheld: None,
    };
    store
        .file_report(&NewReport {
            report,
            evidence: Vec::new(),
            new_case: case,
            match_players,
            severity_points: 10,
        })
        .await
        .unwrap();
    case_id
}

/// A moderator closes case `case_<n>` with `action`.
async fn act(store: &dyn ModerationStore, n: u8, action: ActionKind) {
    let action = NewAction {
        action: ActionRow {
            action_id: format!("act_{n}"),
            case_id: format!("case_{n}"),
            consensus_id: None,
            moderator: PublicKey::from_bytes([201; 32]),
            target: PublicKey::from_bytes([n; 32]),
            action,
            reason: "seen in the replay".into(),
            created_at: 100 + i64::from(n),
            ends_at: Some(100 + i64::from(n) + 86_400),
            reversed: false,
            provenance: None,
        },
        expected_state: CaseState::Queued,
        new_state: CaseState::ClosedActionTaken,
        reports_upheld: Some(true),
        agreement: Vec::new(),
    };
    assert!(
        store
            .record_action(&action, &audit(&format!("act_{n}")))
            .await
            .unwrap()
    );
}

async fn sanctions_and_their_reversals_are_published_in_order(fresh: Fresh) {
    let store = fresh.stores.moderation.as_ref();
    let case = open_case(store, 1).await;
    open_case(store, 2).await;
    let cooldown = Measure::QueueCooldown { hours: 24 };
    act(store, 1, ActionKind::Apply(cooldown)).await;
    // Closing without a sanction publishes nothing.
    act(store, 2, ActionKind::CloseNoAction).await;
    let feed = store.sanction_feed(0, 10).await.unwrap();
    assert_eq!(feed.len(), 1);
    let published = &feed[0];
    assert_eq!(
        (
            published.seq,
            published.action_id.as_str(),
            published.subject
        ),
        (1, "act_1", PublicKey::from_bytes([1; 32]))
    );
    assert_eq!(
        (published.action.as_str(), published.scope.as_str()),
        ("queue_cooldown:24", "matchmaking")
    );
    assert_eq!(
        (
            published.reason.as_str(),
            published.case_ref,
            published.expires_at
        ),
        ("griefing", case_ref(&case), Some(101 + 86_400))
    );
    assert_eq!((published.negates, published.issued_at), (None, 101));

    let appeal = AppealRow {
        appeal_id: "apl_1".into(),
        case_id: case.clone(),
        player: PublicKey::from_bytes([1; 32]),
        statement: "not me".into(),
        created_at: 200,
        decision: None,
        moderator: None,
        reason: None,
        decided_at: None,
    };
    assert!(store.file_appeal(&appeal, 200).await.unwrap());
    let decided = AppealRow {
        decision: Some("reversed".into()),
        moderator: Some(PublicKey::from_bytes([201; 32])),
        reason: Some("account shared".into()),
        decided_at: Some(300),
        ..appeal
    };
    assert!(
        store
            .decide_appeal(&decided, true, CaseState::ClosedNoAction, &audit("apl"))
            .await
            .unwrap()
    );
    let after = store.sanction_feed(1, 10).await.unwrap();
    assert_eq!(after.len(), 1, "{after:?}");
    let lifting = &after[0];
    assert_eq!(
        (
            lifting.seq,
            lifting.negates,
            lifting.expires_at,
            lifting.issued_at
        ),
        (2, Some(1), None, 300)
    );
    assert_eq!(
        (
            lifting.action_id.as_str(),
            lifting.subject,
            lifting.case_ref
        ),
        ("act_1", published.subject, published.case_ref)
    );
    assert!(store.sanction_feed(2, 10).await.unwrap().is_empty());
    assert_eq!(
        store.sanction_feed(0, 1).await.unwrap().len(),
        1,
        "the limit holds"
    );

    for sql in [
        "UPDATE sanction_feed SET action = 'warn'",
        "DELETE FROM sanction_feed",
    ] {
        let error = fresh.execute(sql).await.unwrap_err();
        assert!(error.contains("append-only"), "{sql}: {error}");
    }
}

async fn sanctions_recorded_by_two_processes_at_once_get_gapless_positions(fresh: Fresh) {
    let first: Arc<dyn ModerationStore> = fresh.stores.moderation.clone();
    let second: Arc<dyn ModerationStore> = fresh.reopen().await.moderation;
    for n in 1..=24 {
        open_case(first.as_ref(), n).await;
    }
    let acting = (1u8..=24).map(|n| {
        let store = if n % 2 == 0 {
            first.clone()
        } else {
            second.clone()
        };
        tokio::spawn(async move {
            act(
                store.as_ref(),
                n,
                ActionKind::Apply(Measure::ChatRestriction { hours: 2 }),
            )
            .await;
        })
    });
    for task in acting.collect::<Vec<_>>() {
        task.await.unwrap();
    }
    let feed = first.sanction_feed(0, 100).await.unwrap();
    let positions: Vec<u64> = feed.iter().map(|row| row.seq).collect();
    assert_eq!(positions, (1..=24).collect::<Vec<_>>());
    let mut actions: Vec<&str> = feed.iter().map(|row| row.action_id.as_str()).collect();
    actions.sort_unstable();
    actions.dedup();
    assert_eq!(actions.len(), 24, "each sanction published once");
}

on_each_backend!(
    sanctions_and_their_reversals_are_published_in_order,
    sanctions_recorded_by_two_processes_at_once_get_gapless_positions,
);
