//! The witness's state and the log's cosignatures on every backend: a witnessed log moves
//! forward only from the size a request started from, also with two processes answering at
//! once, and witnesses' cosignatures join only the checkpoint they were made for.

use super::{Fresh, on_each_backend};
use crate::store::{StoredCheckpoint, WitnessedCheckpoint};

fn witnessed(origin: &str, tree_size: u64, root: u8) -> WitnessedCheckpoint {
    WitnessedCheckpoint {
        origin: origin.into(),
        tree_size,
        root: [root; 32],
        note: format!("{origin}\n{tree_size}\n"),
        cosigned_at: 1_000 + i64::try_from(tree_size).unwrap(),
    }
}

async fn a_witnessed_log_moves_forward_only_from_the_size_asked(fresh: Fresh) {
    let store = fresh.stores.core.clone();
    assert_eq!(store.witnessed("a.example").await.unwrap(), None);
    // Never cosigned: only a request from size 0 records the first checkpoint.
    assert!(
        !store
            .advance_witnessed(3, &witnessed("a.example", 5, 1))
            .await
            .unwrap()
    );
    assert_eq!(store.witnessed("a.example").await.unwrap(), None);
    assert!(
        store
            .advance_witnessed(0, &witnessed("a.example", 5, 1))
            .await
            .unwrap()
    );
    // From 5 on; a request that still believes 0 (or 4) moves nothing.
    for stale in [0, 4] {
        assert!(
            !store
                .advance_witnessed(stale, &witnessed("a.example", 9, 2))
                .await
                .unwrap()
        );
    }
    assert!(
        store
            .advance_witnessed(5, &witnessed("a.example", 9, 2))
            .await
            .unwrap()
    );
    // Logs are kept apart.
    assert!(
        store
            .advance_witnessed(0, &witnessed("b.example", 2, 3))
            .await
            .unwrap()
    );
    let reopened = fresh.reopen().await.core;
    assert_eq!(
        reopened.witnessed("a.example").await.unwrap(),
        Some(witnessed("a.example", 9, 2))
    );
    assert_eq!(
        reopened.witnessed("b.example").await.unwrap(),
        Some(witnessed("b.example", 2, 3))
    );
}

async fn two_processes_moving_one_log_at_once_move_it_once(fresh: Fresh) {
    let first = fresh.stores.core.clone();
    let second = fresh.reopen().await.core;
    first
        .advance_witnessed(0, &witnessed("a.example", 4, 1))
        .await
        .unwrap();
    for round in 0..10u64 {
        let old = 4 + round * 2;
        let (to_two, to_one) = (
            witnessed("a.example", old + 2, 2),
            witnessed("a.example", old + 1, 3),
        );
        let (one, other) = tokio::join!(
            first.advance_witnessed(old, &to_two),
            second.advance_witnessed(old, &to_one),
        );
        let (one, other) = (one.unwrap(), other.unwrap());
        assert!(one ^ other, "round {round}: exactly one moves the log");
        if other {
            // The loser of this round catches up so the next round starts from old + 2.
            assert!(
                first
                    .advance_witnessed(old + 1, &witnessed("a.example", old + 2, 2))
                    .await
                    .unwrap()
            );
        }
    }
    assert_eq!(
        first
            .witnessed("a.example")
            .await
            .unwrap()
            .unwrap()
            .tree_size,
        24
    );
}

async fn cosignatures_join_only_the_checkpoint_they_were_made_for(fresh: Fresh) {
    let store = fresh.stores.core.clone();
    let line = "\u{2014} witness.example AAAA\n";
    assert!(
        !store.add_cosignatures(5, line).await.unwrap(),
        "no checkpoint yet"
    );
    let five = StoredCheckpoint {
        tree_size: 5,
        note: "log\n5\nroot\n\n\u{2014} log sig\n".into(),
        signed_at: 1,
    };
    assert!(store.save_checkpoint(&five).await.unwrap());
    assert!(store.add_cosignatures(5, line).await.unwrap());
    assert!(!store.add_cosignatures(4, line).await.unwrap());
    let kept = store.latest_checkpoint().await.unwrap().unwrap();
    assert_eq!(kept.note, format!("{}{line}", five.note));
    // A larger checkpoint replaces it; a late cosignature of size 5 does not join it.
    let seven = StoredCheckpoint {
        tree_size: 7,
        note: "log\n7\nroot\n\n\u{2014} log sig\n".into(),
        signed_at: 2,
    };
    assert!(store.save_checkpoint(&seven).await.unwrap());
    assert!(!store.add_cosignatures(5, line).await.unwrap());
    assert_eq!(store.latest_checkpoint().await.unwrap(), Some(seven));
}

on_each_backend!(
    a_witnessed_log_moves_forward_only_from_the_size_asked,
    two_processes_moving_one_log_at_once_move_it_once,
    cosignatures_join_only_the_checkpoint_they_were_made_for,
);
