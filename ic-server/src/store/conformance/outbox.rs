//! The outbox store on every backend: idempotent enqueue, due order and back-off, settled
//! entries never due again, and the operator's requeue.

use super::{Fresh, on_each_backend};
use std::collections::BTreeSet;

use crate::store::{OutboxEntry, OutboxRoute, OutboxState};

fn ids(entries: &[OutboxEntry]) -> Vec<u8> {
    entries.iter().map(|e| e.match_id[0]).collect()
}

async fn enqueue_is_idempotent_on_the_match_id(fresh: Fresh) {
    let store = &fresh.stores.outbox;
    assert!(
        store
            .enqueue(&[1; 32], b"first", OutboxRoute::Remote, 100)
            .await
            .unwrap()
    );
    assert!(
        !store
            .enqueue(&[1; 32], b"other", OutboxRoute::Remote, 200)
            .await
            .unwrap()
    );
    let entry = store.outbox_entry(&[1; 32]).await.unwrap().unwrap();
    assert_eq!(entry.cmr, b"first");
    assert_eq!(entry.state, OutboxState::Pending);
    assert_eq!((entry.enqueued_at, entry.next_attempt_at), (100, 100));
    assert_eq!(entry.attempts, 0);
    assert_eq!(store.pending_count().await.unwrap(), 1);
    // Delivered, a second enqueue of the same match still changes nothing.
    assert!(store.mark_delivered(&[1; 32], 150).await.unwrap());
    assert!(
        !store
            .enqueue(&[1; 32], b"first", OutboxRoute::Remote, 300)
            .await
            .unwrap()
    );
    let entry = store.outbox_entry(&[1; 32]).await.unwrap().unwrap();
    assert_eq!(entry.state, OutboxState::Delivered);
    assert_eq!(store.pending_count().await.unwrap(), 0);
    assert_eq!(store.outbox_entry(&[9; 32]).await.unwrap(), None);
}

async fn due_entries_come_soonest_first_and_failed_ones_wait_for_their_backoff(fresh: Fresh) {
    let store = &fresh.stores.outbox;
    store
        .enqueue(&[3; 32], b"c", OutboxRoute::Remote, 30)
        .await
        .unwrap();
    store
        .enqueue(&[1; 32], b"a", OutboxRoute::Remote, 10)
        .await
        .unwrap();
    store
        .enqueue(&[2; 32], b"b", OutboxRoute::Remote, 20)
        .await
        .unwrap();
    assert_eq!(ids(&store.due(5, 10).await.unwrap()), Vec::<u8>::new());
    assert_eq!(ids(&store.due(25, 10).await.unwrap()), vec![1, 2]);
    assert_eq!(ids(&store.due(100, 10).await.unwrap()), vec![1, 2, 3]);
    assert_eq!(ids(&store.due(100, 2).await.unwrap()), vec![1, 2]);

    // The oldest failed: it waits until 160 and comes after those due earlier.
    assert!(
        store
            .mark_failed(&[1; 32], 1, 160, "connection refused")
            .await
            .unwrap()
    );
    assert_eq!(ids(&store.due(100, 10).await.unwrap()), vec![2, 3]);
    assert_eq!(ids(&store.due(160, 10).await.unwrap()), vec![2, 3, 1]);
    let failed = store.outbox_entry(&[1; 32]).await.unwrap().unwrap();
    assert_eq!(failed.attempts, 1);
    assert_eq!(failed.last_error.as_deref(), Some("connection refused"));
    assert_eq!(failed.state, OutboxState::Pending);
    assert_eq!(store.pending_count().await.unwrap(), 3);
}

async fn refused_and_delivered_entries_are_never_due_again(fresh: Fresh) {
    let store = &fresh.stores.outbox;
    store
        .enqueue(&[1; 32], b"a", OutboxRoute::Remote, 10)
        .await
        .unwrap();
    store
        .enqueue(&[2; 32], b"b", OutboxRoute::Remote, 10)
        .await
        .unwrap();
    assert!(
        store
            .mark_refused(&[1; 32], "403 untrusted_relay", 11)
            .await
            .unwrap()
    );
    assert!(store.mark_delivered(&[2; 32], 12).await.unwrap());
    assert!(store.due(i64::MAX, 10).await.unwrap().is_empty());
    assert_eq!(store.pending_count().await.unwrap(), 0);
    // Settled entries do not change state again.
    assert!(!store.mark_failed(&[1; 32], 2, 50, "late").await.unwrap());
    assert!(!store.mark_delivered(&[1; 32], 13).await.unwrap());
    assert!(!store.mark_refused(&[2; 32], "late", 13).await.unwrap());
    let refused = store.outbox_entry(&[1; 32]).await.unwrap().unwrap();
    assert_eq!(refused.state, OutboxState::Refused);
    assert_eq!(refused.last_error.as_deref(), Some("403 untrusted_relay"));
    assert_eq!(refused.settled_at, Some(11));

    // Pruning drops old delivered entries only; the refused one stays for the operator.
    assert_eq!(store.prune_delivered(12).await.unwrap(), 0);
    assert_eq!(store.prune_delivered(13).await.unwrap(), 1);
    assert_eq!(store.outbox_entry(&[2; 32]).await.unwrap(), None);
    assert!(store.outbox_entry(&[1; 32]).await.unwrap().is_some());
}

async fn the_operator_lists_entries_and_requeues_a_refused_one(fresh: Fresh) {
    let store = &fresh.stores.outbox;
    store
        .enqueue(&[2; 32], b"b", OutboxRoute::Remote, 20)
        .await
        .unwrap();
    store
        .enqueue(&[1; 32], b"a", OutboxRoute::Remote, 10)
        .await
        .unwrap();
    store
        .enqueue(&[3; 32], b"c", OutboxRoute::Remote, 30)
        .await
        .unwrap();
    store.mark_failed(&[1; 32], 4, 99, "down").await.unwrap();
    store.mark_refused(&[3; 32], "403", 31).await.unwrap();
    let pending = store
        .outbox_entries(OutboxState::Pending, 10)
        .await
        .unwrap();
    assert_eq!(ids(&pending), vec![1, 2]);
    let refused = store
        .outbox_entries(OutboxState::Refused, 10)
        .await
        .unwrap();
    assert_eq!(ids(&refused), vec![3]);

    // Only a refused entry can be requeued; it is due at once with a fresh count.
    assert!(!store.requeue_refused(&[1; 32], 40).await.unwrap());
    assert!(store.requeue_refused(&[3; 32], 40).await.unwrap());
    let entry = store.outbox_entry(&[3; 32]).await.unwrap().unwrap();
    assert_eq!(entry.state, OutboxState::Pending);
    assert_eq!((entry.attempts, entry.next_attempt_at), (0, 40));
    assert_eq!(entry.settled_at, None);
    assert_eq!(ids(&store.due(40, 10).await.unwrap()), vec![2, 3]);
}

async fn local_entries_are_claimed_once_across_processes_and_leased(fresh: Fresh) {
    let first = fresh.stores.outbox.clone();
    let second = fresh.reopen().await.outbox;
    for id in 1..=20u8 {
        let route = if id % 5 == 0 {
            OutboxRoute::Remote
        } else {
            OutboxRoute::Local
        };
        assert!(first.enqueue(&[id; 32], &[id], route, 100).await.unwrap());
    }
    // Remote entries are for the HTTP delivery only, local ones for claiming only.
    assert_eq!(ids(&first.due(100, 50).await.unwrap()), vec![5, 10, 15, 20]);
    let claims = (0..8).map(|n| {
        let store = if n % 2 == 0 {
            first.clone()
        } else {
            second.clone()
        };
        tokio::spawn(async move { store.claim_local(100, 30, 3).await.unwrap() })
    });
    let mut claimed = Vec::new();
    for claim in claims.collect::<Vec<_>>() {
        claimed.extend(ids(&claim.await.unwrap()));
    }
    claimed.sort_unstable();
    let local: Vec<u8> = (1..=20).filter(|id| id % 5 != 0).collect();
    assert_eq!(claimed, local, "each local entry claimed exactly once");
    // Leased: not claimable again until the lease runs out, then again (its claimer died).
    assert!(first.claim_local(129, 30, 50).await.unwrap().is_empty());
    let again = second.claim_local(130, 30, 50).await.unwrap();
    assert_eq!(again.len(), local.len());
    assert!(again.iter().all(|entry| entry.attempts == 2));
    // A settled entry is never claimed again.
    assert!(first.mark_delivered(&[1; 32], 131).await.unwrap());
    let later: BTreeSet<u8> = ids(&first.claim_local(200, 30, 50).await.unwrap())
        .into_iter()
        .collect();
    assert!(
        !later.contains(&1) && later.len() == local.len() - 1,
        "{later:?}"
    );
}

on_each_backend!(
    local_entries_are_claimed_once_across_processes_and_leased,
    enqueue_is_idempotent_on_the_match_id,
    due_entries_come_soonest_first_and_failed_ones_wait_for_their_backoff,
    refused_and_delivered_entries_are_never_due_again,
    the_operator_lists_entries_and_requeues_a_refused_one,
);
