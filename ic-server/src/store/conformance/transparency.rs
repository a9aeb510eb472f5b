//! The transparency log on every backend: each issued record (registrations, matches,
//! one-player changes, key rotations) gets one leaf in the transaction that issues it, also
//! with two processes issuing at once; proofs made from the stored hashes verify against the
//! tree's root; records issued before the log existed are appended once at the next open; the
//! kept checkpoint only moves forward.

use std::collections::BTreeMap;
use std::sync::Arc;

use transparency::{Frontier, Hash, leaf_hash, verify_consistency, verify_inclusion};

use super::ledger::{change, key, match_change, register};
use super::{Fresh, on_each_backend};
use crate::store::{Applied, Store, StoredCheckpoint};
use crate::transparency::proofs::{self, ProofRequestError};

/// Every record the players in `players` hold, and the rotations, as issued bytes.
async fn issued(store: &dyn Store, players: impl IntoIterator<Item = u8>) -> Vec<Vec<u8>> {
    let mut all = store.rotations().await.unwrap();
    for player in players {
        all.extend(
            store
                .records_since(&key(player), 0)
                .await
                .unwrap()
                .into_iter()
                .map(|record| record.bytes),
        );
    }
    all
}

/// Checks that `records` are exactly the log's leaves, each once, and that the stored hashes
/// are the tree of those leaves in index order; returns the leaves by index.
async fn leaves_are_exactly(store: &dyn Store, records: &[Vec<u8>]) -> BTreeMap<u64, Hash> {
    let tree = store.log_frontier().await.unwrap();
    let mut by_index = BTreeMap::new();
    for record in records {
        let leaf = leaf_hash(record);
        let index = store.leaf_index(&leaf).await.unwrap().expect("a leaf");
        assert!(by_index.insert(index, leaf).is_none(), "leaf {index} twice");
    }
    assert_eq!(tree.size(), records.len() as u64, "one leaf per record");
    assert_eq!(
        by_index.keys().copied().collect::<Vec<_>>(),
        (0..tree.size()).collect::<Vec<_>>()
    );
    // The root the writers kept is the root of these leaves in index order.
    let mut rebuilt = Frontier::empty();
    let appended = rebuilt
        .append(&by_index.values().copied().collect::<Vec<_>>())
        .unwrap();
    assert_eq!(rebuilt.root(), tree.root());
    // And the stored hashes are those of that tree, every one.
    let positions: Vec<u64> = (0..appended.hashes.len() as u64).collect();
    assert_eq!(
        store.stored_hashes(&positions).await.unwrap(),
        appended.hashes
    );
    by_index
}

async fn every_issued_record_has_one_leaf_and_proofs_verify(fresh: Fresh) {
    let store = fresh.stores.core.clone();
    assert_eq!(store.log_frontier().await.unwrap(), Frontier::empty());
    for player in 1..=4 {
        register(store.as_ref(), key(player), &format!("ip{player}")).await;
    }
    let registered = store.log_frontier().await.unwrap();
    assert_eq!(registered.size(), 4);

    let first = match_change(1, &[(key(1), 1), (key(2), 1)]);
    assert_eq!(store.apply_match(&first).await.unwrap(), Applied::Done);
    assert_eq!(
        store
            .apply_match(&match_change(2, &[(key(3), 1), (key(4), 1)]))
            .await
            .unwrap(),
        Applied::Done
    );
    assert_eq!(
        store
            .apply_player_change(&change(key(1), 3, 1, None))
            .await
            .unwrap(),
        Applied::Done
    );
    store.add_rotation(1, b"rotation one", 100).await.unwrap();
    // What issues nothing adds no leaf: a stale plan, a match applied before.
    assert_eq!(
        store
            .apply_player_change(&change(key(2), 1, 1, None))
            .await
            .unwrap(),
        Applied::Conflict
    );
    assert!(matches!(
        store.apply_match(&first).await.unwrap(),
        Applied::AlreadyApplied(_)
    ));

    let records = issued(store.as_ref(), 1..=4).await;
    assert_eq!(records.len(), 4 + 8 + 1 + 1);
    let leaves = leaves_are_exactly(store.as_ref(), &records).await;
    let tree = store.log_frontier().await.unwrap();
    for (&index, leaf) in &leaves {
        let proof = proofs::inclusion(store.as_ref(), leaf, tree.size())
            .await
            .unwrap();
        assert_eq!(proof.leaf_index, index);
        verify_inclusion(&proof.hashes, tree.size(), &tree.root(), index, leaf).unwrap();
        // Also in every earlier tree that holds it, against that tree's root.
        if index < registered.size() {
            let earlier = proofs::inclusion(store.as_ref(), leaf, registered.size())
                .await
                .unwrap();
            verify_inclusion(
                &earlier.hashes,
                registered.size(),
                &registered.root(),
                index,
                leaf,
            )
            .unwrap();
        }
    }
    let consistency = proofs::consistency(store.as_ref(), registered.size(), tree.size())
        .await
        .unwrap();
    verify_consistency(
        &consistency,
        tree.size(),
        &tree.root(),
        registered.size(),
        &registered.root(),
    )
    .unwrap();

    let out_of_range = |result: Result<_, ProofRequestError>| {
        assert!(
            matches!(result, Err(ProofRequestError::OutOfRange(_))),
            "{result:?}"
        );
    };
    let some_leaf = leaves[&0];
    out_of_range(
        proofs::inclusion(store.as_ref(), &some_leaf, tree.size() + 1)
            .await
            .map(|_| ()),
    );
    out_of_range(
        proofs::inclusion(store.as_ref(), &leaves[&5], 5)
            .await
            .map(|_| ()),
    );
    out_of_range(proofs::consistency(store.as_ref(), 0, 3).await.map(|_| ()));
    out_of_range(proofs::consistency(store.as_ref(), 5, 4).await.map(|_| ()));
    out_of_range(
        proofs::consistency(store.as_ref(), 1, tree.size() + 1)
            .await
            .map(|_| ()),
    );
    assert!(matches!(
        proofs::inclusion(store.as_ref(), &leaf_hash(b"never issued"), tree.size()).await,
        Err(ProofRequestError::UnknownLeaf)
    ));
}

async fn two_processes_issuing_at_once_give_every_record_its_own_leaf(fresh: Fresh) {
    let stores: [Arc<dyn Store>; 2] = [fresh.stores.core.clone(), fresh.reopen().await.core];
    let mut tasks = Vec::new();
    for player in 1..=24u8 {
        let store = stores[usize::from(player % 2)].clone();
        tasks.push(tokio::spawn(async move {
            register(store.as_ref(), key(player), &format!("ip{player}")).await;
        }));
    }
    for task in tasks {
        task.await.unwrap();
    }
    let mut tasks = Vec::new();
    for pair in 0..12u8 {
        let store = stores[usize::from(pair % 2)].clone();
        let change = match_change(
            100 + pair,
            &[(key(2 * pair + 1), 1), (key(2 * pair + 2), 1)],
        );
        tasks.push(tokio::spawn(
            async move { store.apply_match(&change).await },
        ));
    }
    for task in tasks {
        assert_eq!(task.await.unwrap().unwrap(), Applied::Done);
    }
    let records = issued(stores[0].as_ref(), 1..=24).await;
    assert_eq!(records.len(), 24 * 3);
    leaves_are_exactly(stores[1].as_ref(), &records).await;
}

async fn records_from_before_the_log_are_appended_once_at_open(fresh: Fresh) {
    let store = fresh.stores.core.clone();
    for player in 1..=3 {
        register(store.as_ref(), key(player), &format!("ip{player}")).await;
    }
    store.add_rotation(1, b"rotation one", 100).await.unwrap();
    // The database as an ic-server before the log left it: records, no leaves.
    let (empty, no) = if fresh.is_postgres() {
        ("'\\x'::bytea", "false")
    } else {
        ("X''", "0")
    };
    fresh
        .execute(&format!(
            "DELETE FROM transparency_hashes; DELETE FROM transparency_leaves; \
             UPDATE transparency_tree SET size = 0, frontier = {empty}, backfilled = {no}"
        ))
        .await
        .unwrap();
    let reopened = fresh.reopen().await.core;
    let records = issued(reopened.as_ref(), 1..=3).await;
    let leaves = leaves_are_exactly(reopened.as_ref(), &records).await;
    // The rotations come first.
    assert_eq!(leaves[&0], leaf_hash(b"rotation one"));
    // Opening again appends nothing more; issuing goes on from there.
    let again = fresh.reopen().await.core;
    assert_eq!(again.log_frontier().await.unwrap().size(), 4);
    register(again.as_ref(), key(4), "ip4").await;
    let records = issued(again.as_ref(), 1..=4).await;
    leaves_are_exactly(again.as_ref(), &records).await;
}

async fn the_kept_checkpoint_only_moves_forward(fresh: Fresh) {
    let store = fresh.stores.core.clone();
    assert_eq!(store.latest_checkpoint().await.unwrap(), None);
    let checkpoint = |tree_size, note: &str| StoredCheckpoint {
        tree_size,
        note: note.into(),
        signed_at: 1_000 + i64::try_from(tree_size).unwrap(),
    };
    assert!(store.save_checkpoint(&checkpoint(5, "five")).await.unwrap());
    assert!(
        !store
            .save_checkpoint(&checkpoint(3, "three"))
            .await
            .unwrap()
    );
    assert!(
        !store
            .save_checkpoint(&checkpoint(5, "other five"))
            .await
            .unwrap()
    );
    assert_eq!(
        store.latest_checkpoint().await.unwrap(),
        Some(checkpoint(5, "five"))
    );
    assert!(
        store
            .save_checkpoint(&checkpoint(7, "seven"))
            .await
            .unwrap()
    );
    assert_eq!(
        fresh.reopen().await.core.latest_checkpoint().await.unwrap(),
        Some(checkpoint(7, "seven"))
    );
}

on_each_backend!(
    every_issued_record_has_one_leaf_and_proofs_verify,
    two_processes_issuing_at_once_give_every_record_its_own_leaf,
    records_from_before_the_log_are_appended_once_at_open,
    the_kept_checkpoint_only_moves_forward,
);
