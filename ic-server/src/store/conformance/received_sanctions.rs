//! Federated sanctions received, on every backend: an entry acts once (even from two processes
//! at once), a review joins the open case, an applied sanction is in force with its provenance
//! and not republished, a lifting reverses it or closes the unreviewed case, and a refused
//! entry neither takes its position nor moves the resume point.

use std::sync::Arc;

use scr::PublicKey;

use super::{Fresh, on_each_backend};
use crate::moderation::{ActionKind, CaseState, Category, Measure};
use crate::store::ModerationStore;
use crate::store::moderation::{
    ActionRow, AppliedSanction, AuditEntry, CaseRow, EvidenceRow, NewReport, ReceivedOutcome,
    ReceivedSanction, ReportRow, SanctionEffect,
};

const PUBLISHER: [u8; 32] = [77; 32];
const SUBJECT: u8 = 9;

fn publisher() -> String {
    PublicKey::from_bytes(PUBLISHER).to_string()
}

fn received(seq: u64, note: &str, outcome: ReceivedOutcome) -> ReceivedSanction {
    ReceivedSanction {
        publisher: publisher(),
        seq,
        publisher_url: "https://b.example".into(),
        subject: Some(PublicKey::from_bytes([SUBJECT; 32])),
        action: Some("queue_cooldown:24".into()),
        note: note.into(),
        outcome,
        detail: String::new(),
        case_id: None,
        action_id: None,
        received_at: 1000 + i64::try_from(seq).unwrap(),
    }
}

fn audit(id: &str) -> AuditEntry {
    AuditEntry {
        audit_id: format!("aud_{id}"),
        at: 1,
        actor: None,
        actor_role: "system".into(),
        action: "federated_sanction".into(),
        case_id: None,
        target: None,
        reason: String::new(),
        details: "{}".into(),
    }
}

fn case(id: &str, state: CaseState) -> CaseRow {
    CaseRow {
        case_id: id.into(),
        category: Category::Griefing,
        state,
        created_at: 1000,
        updated_at: 1000,
        closed_at: state.is_closed().then_some(1000),
        severity_hint: 30,
        accused: PublicKey::from_bytes([SUBJECT; 32]),
        required_reviewers: 3,
        telemetry_summary: None,
        anti_cheat_summary: None,
    }
}

fn review(report_id: &str, case_id: &str, seq: u64) -> SanctionEffect {
    SanctionEffect::Review(NewReport {
        report: ReportRow {
            report_id: report_id.into(),
            case_id: String::new(),
            reporter: PublicKey::from_bytes(PUBLISHER),
            category: Category::Griefing,
            note: "published".into(),
            created_at: 1000,
            upheld: None,
        },
        evidence: vec![EvidenceRow {
            kind: "federated_sanction".into(),
            reference: format!("https://b.example#{seq}"),
        }],
        new_case: case(case_id, CaseState::Queued),
        match_players: Vec::new(),
        severity_points: 10,
    })
}

fn apply(n: u8) -> SanctionEffect {
    let case_id = format!("case_fed_{n}");
    SanctionEffect::Apply(Box::new(AppliedSanction {
        case: case(&case_id, CaseState::ClosedActionTaken),
        action: ActionRow {
            action_id: format!("act_fed_{n}"),
            case_id,
            consensus_id: None,
            moderator: PublicKey::from_bytes(PUBLISHER),
            target: PublicKey::from_bytes([SUBJECT; 32]),
            action: ActionKind::Apply(Measure::QueueCooldown { hours: 24 }),
            reason: "applied from https://b.example".into(),
            created_at: 1000,
            ends_at: Some(90_000),
            reversed: false,
            provenance: None,
        },
        audit: audit(&format!("fed_{n}")),
    }))
}

fn lift(negates: u64, n: u8) -> SanctionEffect {
    SanctionEffect::Lift {
        negates,
        by: PublicKey::from_bytes(PUBLISHER),
        audit: audit(&format!("lift_{n}")),
    }
}

async fn an_applied_sanction_is_in_force_with_its_provenance_until_lifted(fresh: Fresh) {
    let store = fresh.stores.moderation.as_ref();
    let subject = PublicKey::from_bytes([SUBJECT; 32]);
    let stored = store
        .receive_sanction(&received(1, "note 1", ReceivedOutcome::Applied), &apply(1))
        .await
        .unwrap()
        .expect("new");
    assert_eq!(stored.action_id.as_deref(), Some("act_fed_1"));
    assert_eq!(stored.case_id.as_deref(), Some("case_fed_1"));
    // Received again (another process, a retry): nothing more happens.
    assert!(
        store
            .receive_sanction(&received(1, "note 1", ReceivedOutcome::Applied), &apply(2))
            .await
            .unwrap()
            .is_none()
    );
    let in_force = store.actions_in_force(&[subject], 2000).await.unwrap();
    assert_eq!(in_force.len(), 1, "{in_force:?}");
    let provenance = in_force[0].provenance.as_ref().expect("provenance");
    assert_eq!(
        (provenance.publisher.as_str(), provenance.seq),
        (publisher().as_str(), 1)
    );
    assert_eq!(provenance.publisher_url, "https://b.example");
    assert!(
        store.sanction_feed(0, 10).await.unwrap().is_empty(),
        "another community's sanction is not republished"
    );
    assert_eq!(store.received_through(&publisher()).await.unwrap(), 1);

    let lifted = store
        .receive_sanction(&received(2, "note 2", ReceivedOutcome::Lifted), &lift(1, 2))
        .await
        .unwrap()
        .expect("new");
    assert_eq!(lifted.outcome, ReceivedOutcome::Lifted);
    assert_eq!(lifted.action_id.as_deref(), Some("act_fed_1"));
    assert!(
        store
            .actions_in_force(&[subject], 2000)
            .await
            .unwrap()
            .is_empty()
    );
    let against = store.actions_against(&subject).await.unwrap();
    assert!(against[0].reversed && against[0].provenance.is_some());

    // A lifting of an entry that did nothing here is recorded as ignored.
    store
        .receive_sanction(
            &received(3, "note 3", ReceivedOutcome::Ignored),
            &SanctionEffect::Record,
        )
        .await
        .unwrap();
    let nothing = store
        .receive_sanction(&received(4, "note 4", ReceivedOutcome::Lifted), &lift(3, 4))
        .await
        .unwrap()
        .expect("new");
    assert_eq!(nothing.outcome, ReceivedOutcome::Ignored);
    assert!(
        nothing.detail.contains("did nothing here"),
        "{}",
        nothing.detail
    );

    for sql in [
        "UPDATE received_sanctions SET outcome = 'ignored'",
        "DELETE FROM received_sanctions",
    ] {
        let error = fresh.execute(sql).await.unwrap_err();
        assert!(error.contains("append-only"), "{sql}: {error}");
    }
}

async fn reviews_join_the_open_case_and_a_lifting_closes_it_while_unreviewed(fresh: Fresh) {
    let store = fresh.stores.moderation.as_ref();
    let first = store
        .receive_sanction(
            &received(1, "note 1", ReceivedOutcome::Review),
            &review("rep_1", "case_a", 1),
        )
        .await
        .unwrap()
        .expect("new");
    assert_eq!(first.case_id.as_deref(), Some("case_a"));
    // A second entry of the same publisher about the same player and category joins the case
    // as more evidence.
    let second = store
        .receive_sanction(
            &received(2, "note 2", ReceivedOutcome::Review),
            &review("rep_2", "case_b", 2),
        )
        .await
        .unwrap()
        .expect("new");
    assert_eq!(second.case_id.as_deref(), Some("case_a"));
    let evidence = store.evidence("case_a").await.unwrap();
    assert_eq!(evidence.len(), 2, "{evidence:?}");
    assert!(store.case("case_b").await.unwrap().is_none());

    store
        .receive_sanction(&received(3, "note 3", ReceivedOutcome::Lifted), &lift(1, 3))
        .await
        .unwrap()
        .expect("new");
    let closed = store.case("case_a").await.unwrap().unwrap();
    assert_eq!(closed.state, CaseState::ClosedNoAction);
    assert_eq!(
        store.reports("case_a").await.unwrap()[0].upheld,
        Some(false)
    );

    // A case a local member also reported stays for the moderators when the publisher lifts.
    let other = PublicKey::from_bytes([SUBJECT + 1; 32]);
    let mut effect = review("rep_4", "case_c", 4);
    if let SanctionEffect::Review(report) = &mut effect {
        report.new_case.accused = other;
    }
    store
        .receive_sanction(&received(4, "note 4", ReceivedOutcome::Review), &effect)
        .await
        .unwrap();
    let local = NewReport {
        report: ReportRow {
            report_id: "rep_local".into(),
            case_id: String::new(),
            reporter: PublicKey::from_bytes([5; 32]),
            category: Category::Griefing,
            note: String::new(),
            created_at: 1000,
            upheld: None,
        },
        evidence: Vec::new(),
        new_case: CaseRow {
            accused: other,
            ..case("case_d", CaseState::Queued)
        },
        match_players: Vec::new(),
        severity_points: 10,
    };
    store.file_report(&local).await.unwrap();
    store
        .receive_sanction(&received(5, "note 5", ReceivedOutcome::Lifted), &lift(4, 5))
        .await
        .unwrap();
    assert_eq!(
        store.case("case_c").await.unwrap().unwrap().state,
        CaseState::Queued
    );
}

async fn a_refused_entry_takes_no_position_and_is_counted_once(fresh: Fresh) {
    let store = fresh.stores.moderation.as_ref();
    let forged = received(7, "forged", ReceivedOutcome::Refused);
    assert!(
        store
            .receive_sanction(&forged, &SanctionEffect::Record)
            .await
            .unwrap()
            .is_some()
    );
    // Read again next round: not stored twice.
    assert!(
        store
            .receive_sanction(&forged, &SanctionEffect::Record)
            .await
            .unwrap()
            .is_none()
    );
    assert_eq!(
        store.received_through(&publisher()).await.unwrap(),
        0,
        "a forged position does not move where reading resumes"
    );
    // The publisher's real entry at that position still acts.
    assert!(
        store
            .receive_sanction(&received(7, "real", ReceivedOutcome::Applied), &apply(7))
            .await
            .unwrap()
            .is_some()
    );
    assert_eq!(store.received_through(&publisher()).await.unwrap(), 7);
    let counts = store.received_counts().await.unwrap();
    assert_eq!(counts.len(), 1);
    assert_eq!(counts[0].last_seq, 7);
    let mut by_outcome = counts[0].by_outcome.clone();
    by_outcome.sort_by_key(|(outcome, _)| outcome.name());
    assert_eq!(
        by_outcome,
        vec![(ReceivedOutcome::Applied, 1), (ReceivedOutcome::Refused, 1)]
    );
    let listed = store
        .received_sanctions(Some(&publisher()), 10)
        .await
        .unwrap();
    assert_eq!(listed.len(), 2);
    assert!(
        store
            .received_sanctions(Some("ed25519:other"), 10)
            .await
            .unwrap()
            .is_empty()
    );
}

async fn two_processes_receiving_one_entry_apply_it_once(fresh: Fresh) {
    let first: Arc<dyn ModerationStore> = fresh.stores.moderation.clone();
    let second: Arc<dyn ModerationStore> = fresh.reopen().await.moderation.clone();
    let mut tasks = Vec::new();
    for (n, store) in [(1u8, first.clone()), (2u8, second)] {
        tasks.push(tokio::spawn(async move {
            store
                .receive_sanction(&received(1, "note 1", ReceivedOutcome::Applied), &apply(n))
                .await
                .unwrap()
                .is_some()
        }));
    }
    let mut applied = 0;
    for task in tasks {
        applied += usize::from(task.await.unwrap());
    }
    assert_eq!(applied, 1);
    let actions = first
        .actions_against(&PublicKey::from_bytes([SUBJECT; 32]))
        .await
        .unwrap();
    assert_eq!(actions.len(), 1, "{actions:?}");
}

on_each_backend!(
    an_applied_sanction_is_in_force_with_its_provenance_until_lifted,
    reviews_join_the_open_case_and_a_lifting_closes_it_while_unreviewed,
    a_refused_entry_takes_no_position_and_is_counted_once,
    two_processes_receiving_one_entry_apply_it_once,
);
