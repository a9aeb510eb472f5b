//! Abandons on every backend: written with their match, once however often the match is
//! applied, read per player from a time on, and forgotten after 30 days.

use super::ledger::{key, match_change, register};
use super::{Fresh, on_each_backend};
use crate::store::{Abandon, Applied};

fn left(player: u8, match_id: u8, at: i64, voided: bool) -> Abandon {
    Abandon {
        player_key: key(player),
        match_id: [match_id; 32],
        at,
        voided,
    }
}

async fn abandons_are_kept_with_their_match_once_and_expire(fresh: Fresh) {
    let store = fresh.stores.core.as_ref();
    register(store, key(1), "a").await;
    register(store, key(2), "b").await;
    let day = 86_400;
    let mut first = match_change(5, &[(key(1), 1), (key(2), 1)]);
    first.abandons = vec![left(2, 5, 100 * day, false)];
    assert_eq!(store.apply_match(&first).await.unwrap(), Applied::Done);
    assert!(matches!(
        store.apply_match(&first).await.unwrap(),
        Applied::AlreadyApplied(_)
    ));
    assert_eq!(
        store.abandons_since(&key(2), 0).await.unwrap(),
        vec![left(2, 5, 100 * day, false)]
    );
    assert!(store.abandons_since(&key(1), 0).await.unwrap().is_empty());
    assert!(
        store
            .abandons_since(&key(2), 100 * day + 1)
            .await
            .unwrap()
            .is_empty()
    );

    // A void 31 days later: kept, and the old abandon is forgotten.
    let mut later = match_change(6, &[(key(1), 3), (key(2), 3)]);
    later.abandons = vec![left(2, 6, 131 * day, true)];
    assert_eq!(store.apply_match(&later).await.unwrap(), Applied::Done);
    assert_eq!(
        store.abandons_since(&key(2), 0).await.unwrap(),
        vec![left(2, 6, 131 * day, true)]
    );
}

on_each_backend!(abandons_are_kept_with_their_match_once_and_expire);
