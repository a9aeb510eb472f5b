//! Group commit on every backend: certified matches that arrive while the writer is busy are
//! written in one transaction, each decided as if applied alone in arrival order: duplicates
//! inside a batch applied once, a stale plan refused alone, one player's matches chained.
//! On PostgreSQL, also: a connection lost mid-batch fails every match of it and writes nothing.

use std::sync::Arc;
use std::time::{Duration, Instant};

use sqlx::Connection;

use super::ledger::{MODULE, key, match_change, rating, register, sorted};
use super::{Fresh, on_each_backend};
use crate::store::{Applied, IssuedRecord, Location, MatchChange, Store, StoreError};

/// Applies `changes` in this order so that they land in one batch, and returns each outcome:
/// the database's write lock is held elsewhere while the writer takes another match alone, so
/// the changes queue up behind it and are written together once the lock is released.
async fn in_one_batch(fresh: &Fresh, changes: Vec<MatchChange>) -> Vec<Applied> {
    let store = fresh.stores.core.clone();
    // Two players of the blocking match only.
    for player in [200, 201] {
        register(store.as_ref(), key(player), &format!("blocker{player}")).await;
    }
    let hold = fresh.hold_writes().await;
    let blocker = apply(&store, match_change(250, &[(key(200), 1), (key(201), 1)]));
    // The writer has taken the blocking match and waits for the lock.
    tokio::time::sleep(Duration::from_millis(200)).await;
    let mut applying = Vec::new();
    for change in changes {
        applying.push(apply(&store, change));
        // Queued one after another, in order.
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    hold.release().await;
    assert_eq!(blocker.await.unwrap().unwrap(), Applied::Done);
    let mut outcomes = Vec::new();
    for outcome in applying {
        outcomes.push(outcome.await.unwrap().unwrap());
    }
    outcomes
}

fn apply(
    store: &Arc<dyn Store>,
    change: MatchChange,
) -> tokio::task::JoinHandle<Result<Applied, StoreError>> {
    let store = store.clone();
    tokio::spawn(async move { store.apply_match(&change).await })
}

/// The records a change issues, in the order the store returns them.
fn issued(change: &MatchChange) -> Vec<IssuedRecord> {
    sorted(
        change
            .players
            .iter()
            .flat_map(|p| p.records.clone())
            .collect(),
    )
}

async fn sequences(store: &dyn Store, player: u8) -> Vec<u64> {
    store
        .records_since(&key(player), 0)
        .await
        .unwrap()
        .iter()
        .map(|r| r.sequence)
        .collect()
}

/// Asserts that the markers of `ids` were written by one transaction, where the backend says.
async fn written_together(fresh: &Fresh, ids: &[u8]) {
    let ids: Vec<[u8; 32]> = ids.iter().map(|id| [*id; 32]).collect();
    if let Some(transactions) = fresh.transactions_of(&ids).await {
        assert_eq!(transactions, 1, "the matches were not written in one batch");
    }
}

async fn duplicates_in_one_batch_are_applied_once(fresh: Fresh) {
    let store = fresh.stores.core.clone();
    for player in 1..=4 {
        register(store.as_ref(), key(player), &format!("ip{player}")).await;
    }
    let earlier = match_change(1, &[(key(3), 1), (key(4), 1)]);
    assert_eq!(store.apply_match(&earlier).await.unwrap(), Applied::Done);
    let new = match_change(2, &[(key(1), 1), (key(2), 1)]);
    // A remade match: recorded, rates nobody, issues nothing.
    let mut unrated = match_change(3, &[]);
    unrated.rated = false;
    let outcomes = in_one_batch(
        &fresh,
        vec![
            new.clone(),
            earlier.clone(),
            new.clone(),
            unrated.clone(),
            unrated,
        ],
    )
    .await;
    assert_eq!(
        outcomes,
        vec![
            Applied::Done,
            Applied::AlreadyApplied(issued(&earlier)),
            Applied::AlreadyApplied(issued(&new)),
            Applied::Done,
            Applied::AlreadyApplied(Vec::new()),
        ]
    );
    for player in 1..=4 {
        assert_eq!(sequences(store.as_ref(), player).await, vec![1, 2, 3]);
    }
    assert_eq!(
        store.match_records(&[2; 32]).await.unwrap(),
        Some(issued(&new))
    );
    assert_eq!(
        store.match_records(&[3; 32]).await.unwrap(),
        Some(Vec::new())
    );
    written_together(&fresh, &[2, 3]).await;
}

async fn a_stale_plan_in_a_batch_is_refused_alone(fresh: Fresh) {
    let store = fresh.stores.core.clone();
    for player in 1..=6 {
        register(store.as_ref(), key(player), &format!("ip{player}")).await;
    }
    let first = match_change(10, &[(key(1), 1), (key(2), 1)]);
    // Player 4 is at sequence 1, not 0.
    let stale = match_change(11, &[(key(3), 1), (key(4), 0)]);
    // Player 9 never registered.
    let stranger = match_change(12, &[(key(5), 1), (key(9), 0)]);
    // Planned on player 1's sequence before `first` moved it.
    let behind = match_change(13, &[(key(1), 1), (key(6), 1)]);
    let last = match_change(14, &[(key(5), 1), (key(6), 1)]);
    let outcomes = in_one_batch(
        &fresh,
        vec![first.clone(), stale, stranger, behind, last.clone()],
    )
    .await;
    assert_eq!(
        outcomes,
        vec![
            Applied::Done,
            Applied::Conflict,
            Applied::Conflict,
            Applied::Conflict,
            Applied::Done,
        ]
    );
    for refused in [11, 12, 13] {
        assert_eq!(store.match_records(&[refused; 32]).await.unwrap(), None);
    }
    assert_eq!(
        store.match_records(&[10; 32]).await.unwrap(),
        Some(issued(&first))
    );
    assert_eq!(
        store.match_records(&[14; 32]).await.unwrap(),
        Some(issued(&last))
    );
    for (player, last_sequence) in [(1, 3), (2, 3), (3, 1), (4, 1), (5, 3), (6, 3)] {
        assert_eq!(
            sequences(store.as_ref(), player).await,
            (1..=last_sequence).collect::<Vec<_>>(),
            "player {player}"
        );
    }
    written_together(&fresh, &[10, 14]).await;
}

async fn matches_sharing_a_player_in_one_batch_follow_each_other(fresh: Fresh) {
    let store = fresh.stores.core.clone();
    for player in 1..=3 {
        register(store.as_ref(), key(player), &format!("ip{player}")).await;
    }
    // Each planned on the one before it, as one process plans a player's matches in turn; the
    // third is a rematch of the first (the same opponent twice in one batch).
    let first = match_change(20, &[(key(1), 1), (key(2), 1)]);
    let second = match_change(21, &[(key(1), 3), (key(3), 1)]);
    let third = match_change(22, &[(key(1), 5), (key(2), 3)]);
    let outcomes = in_one_batch(&fresh, vec![first, second, third]).await;
    assert_eq!(outcomes, vec![Applied::Done; 3]);
    assert_eq!(
        sequences(store.as_ref(), 1).await,
        (1..=7).collect::<Vec<_>>()
    );
    assert_eq!(
        sequences(store.as_ref(), 2).await,
        (1..=5).collect::<Vec<_>>()
    );
    assert_eq!(sequences(store.as_ref(), 3).await, vec![1, 2, 3]);
    // The last rating of the batch stands.
    assert_eq!(
        store.ratings(&key(1)).await.unwrap(),
        vec![rating(1_500_007, 7, 7)]
    );
    let snapshot = store.snapshots(&[key(1)], MODULE).await.unwrap();
    assert_eq!(snapshot[0].as_ref().unwrap().last_sequence, 7);
    let board = store.leaderboard(MODULE, 0, 0, 10, None).await.unwrap();
    let first_player = board.iter().find(|row| row.player_key == key(1)).unwrap();
    assert_eq!(first_player.distinct_opponents, 2);
    written_together(&fresh, &[20, 21, 22]).await;
}

on_each_backend!(
    duplicates_in_one_batch_are_applied_once,
    a_stale_plan_in_a_batch_is_refused_alone,
    matches_sharing_a_player_in_one_batch_follow_each_other,
);

/// PostgreSQL only (a SQLite file has no connection to lose): the writer's connection is cut
/// while its batches wait for a lock. Every match of them fails as unavailable, none is
/// half-written, and the writer comes back on a new connection.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_a_connection_lost_mid_batch_fails_the_batch_whole() {
    let fresh = Fresh::postgres().await;
    let store = fresh.stores.core.clone();
    for player in 1..=6 {
        register(store.as_ref(), key(player), &format!("ip{player}")).await;
    }
    let changes = [
        match_change(30, &[(key(1), 1), (key(2), 1)]),
        match_change(31, &[(key(3), 1), (key(4), 1)]),
        match_change(32, &[(key(5), 1), (key(6), 1)]),
    ];
    let hold = fresh.hold_writes().await;
    let applying: Vec<_> = changes
        .iter()
        .map(|change| apply(&store, change.clone()))
        .collect();
    let Location::Postgres(url) = &fresh.location else {
        unreachable!("a PostgreSQL fixture");
    };
    let database = url.rsplit('/').next().unwrap().to_owned();
    let mut admin = sqlx::PgConnection::connect(url).await.unwrap();
    let started = Instant::now();
    // Cut every connection of this database that waits for a lock (the writer, in the middle
    // of its batch) until every match has its answer.
    while !applying.iter().all(|task| task.is_finished()) {
        assert!(started.elapsed() < Duration::from_secs(20), "no answer");
        sqlx::query(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
             WHERE datname = $1 AND wait_event_type = 'Lock'",
        )
        .bind(&database)
        .execute(&mut admin)
        .await
        .unwrap();
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    for outcome in applying {
        match outcome.await.unwrap() {
            Err(StoreError::Unavailable(_)) => {}
            other => panic!("expected unavailable, got {other:?}"),
        }
    }
    hold.release().await;
    for change in &changes {
        assert_eq!(store.match_records(&change.match_id).await.unwrap(), None);
    }
    for player in 1..=6 {
        assert_eq!(sequences(store.as_ref(), player).await, vec![1]);
    }
    // A new connection for the next batch.
    for change in &changes {
        assert_eq!(store.apply_match(change).await.unwrap(), Applied::Done);
    }
}

/// PostgreSQL only: the writer keeps its connection between batches; when the database ends it
/// meanwhile (a restart, a terminated backend), the next batch goes on a new connection instead
/// of failing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_a_connection_lost_between_batches_is_replaced() {
    let fresh = Fresh::postgres().await;
    let store = fresh.stores.core.clone();
    for player in 1..=4 {
        register(store.as_ref(), key(player), &format!("ip{player}")).await;
    }
    let first = match_change(40, &[(key(1), 1), (key(2), 1)]);
    assert_eq!(store.apply_match(&first).await.unwrap(), Applied::Done);
    let Location::Postgres(url) = &fresh.location else {
        unreachable!("a PostgreSQL fixture");
    };
    let database = url.rsplit('/').next().unwrap().to_owned();
    let mut admin = sqlx::PgConnection::connect(url).await.unwrap();
    let this_database = "datname = $1 AND application_name = 'ic-server'";
    let cut: Vec<bool> = sqlx::query_scalar(&format!(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE {this_database}"
    ))
    .bind(&database)
    .fetch_all(&mut admin)
    .await
    .unwrap();
    assert!(!cut.is_empty(), "the writer's connection was open");
    let started = Instant::now();
    loop {
        let left: i64 = sqlx::query_scalar(&format!(
            "SELECT COUNT(*) FROM pg_stat_activity WHERE {this_database}"
        ))
        .bind(&database)
        .fetch_one(&mut admin)
        .await
        .unwrap();
        if left == 0 {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "backends still there"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let second = match_change(41, &[(key(3), 1), (key(4), 1)]);
    assert_eq!(store.apply_match(&second).await.unwrap(), Applied::Done);
}
