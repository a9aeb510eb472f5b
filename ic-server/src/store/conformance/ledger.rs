//! The ledger on every backend: registration and its daily limit, certified matches applied
//! once (also when two processes get the same one at once), sequences that never repeat or
//! skip, revocation minimums that only rise, the leaderboard, roles, logins, keys and relays,
//! and a database from a newer ic-server refused.

use std::sync::Arc;

use scr::{PlayerKey, PublicKey, RelayKey};

use super::{Fresh, on_each_backend};
use crate::store::{
    Applied, IssuedRecord, MatchChange, MatchInputs, PlayerChange, RatingRow, Registered,
    Registration, Role, Store, StoreError,
};

pub(super) const MODULE: &str = "ra";

pub(super) fn key(byte: u8) -> PlayerKey {
    PlayerKey::from_bytes([byte; 32])
}

pub(super) fn rating(value: i64, games: u32, sequence: u64) -> RatingRow {
    RatingRow {
        game_module: MODULE.into(),
        algorithm_id: "glicko2".into(),
        rating: value,
        deviation: 350_000,
        volatility: 60_000,
        games_played: games,
        wins: games,
        losses: 0,
        draws: 0,
        streak: i16::try_from(games).unwrap_or(i16::MAX),
        last_played_at: (games > 0).then_some(1_000),
        rating_sequence: sequence,
        rating_expires_at: 9_999,
        season: 0,
        peak_rating: None,
    }
}

fn record(
    player: PlayerKey,
    sequence: u64,
    record_type: u8,
    match_id: Option<[u8; 32]>,
) -> IssuedRecord {
    IssuedRecord {
        player_key: player,
        sequence,
        record_type,
        bytes: format!("{player}:{sequence}").into_bytes(),
        match_id,
        issued_at: 100,
    }
}

/// A player's change from `from` that issues `count` records and a rating with the last.
pub(super) fn change(
    player: PlayerKey,
    from: u64,
    count: u64,
    match_id: Option<[u8; 32]>,
) -> PlayerChange {
    let to = from + count;
    PlayerChange {
        player_key: player,
        expected_last_sequence: from,
        new_last_sequence: to,
        ratings: vec![rating(
            1_500_000 + i64::try_from(to).unwrap(),
            u32::try_from(to).unwrap(),
            to,
        )],
        records: (from + 1..=to)
            .map(|sequence| {
                record(
                    player,
                    sequence,
                    if sequence == to { 1 } else { 2 },
                    match_id,
                )
            })
            .collect(),
        opponents: Vec::new(),
        revocation: None,
        achievements: Vec::new(),
    }
}

pub(super) async fn register(store: &dyn Store, player: PlayerKey, ip: &str) -> Registered {
    store
        .register(&Registration {
            change: change(player, 0, 1, None),
            ip: ip.into(),
            day: 20_000,
            ip_limit: 3,
            registered_at: 50,
        })
        .await
        .unwrap()
}

/// A match between `players` (each at sequence `from`), issuing two records each.
pub(super) fn match_change(id: u8, players: &[(PlayerKey, u64)]) -> MatchChange {
    let match_id = [id; 32];
    MatchChange {
        match_id,
        cmr: vec![id; 40],
        participants_hash: [7; 32],
        played_at: 1_000,
        accepted_at: 1_001,
        rated: true,
        players: players
            .iter()
            .map(|&(player, from)| {
                let mut change = change(player, from, 2, Some(match_id));
                change.opponents = players
                    .iter()
                    .map(|&(other, _)| other)
                    .filter(|other| *other != player)
                    .collect();
                change
            })
            .collect(),
        abandons: Vec::new(),
    }
}

pub(super) fn sorted(mut records: Vec<IssuedRecord>) -> Vec<IssuedRecord> {
    records.sort_by_key(|record| (record.player_key, record.sequence));
    records
}

async fn registration_happens_once_and_counts_against_the_address(fresh: Fresh) {
    let store = fresh.stores.core.as_ref();
    assert_eq!(register(store, key(1), "10.0.0.1").await, Registered::Done);
    assert_eq!(
        register(store, key(1), "10.0.0.1").await,
        Registered::AlreadyRegistered
    );
    assert_eq!(register(store, key(2), "10.0.0.1").await, Registered::Done);
    assert_eq!(register(store, key(3), "10.0.0.1").await, Registered::Done);
    // The fourth new key from the address on the same day is refused, and nothing is kept.
    assert_eq!(
        register(store, key(4), "10.0.0.1").await,
        Registered::IpLimitReached
    );
    assert_eq!(
        store.snapshots(&[key(4)], MODULE).await.unwrap(),
        vec![None]
    );
    assert_eq!(register(store, key(4), "10.0.0.2").await, Registered::Done);

    let snapshot = store.snapshots(&[key(1), key(9)], MODULE).await.unwrap();
    let first = snapshot[0].clone().unwrap();
    assert_eq!(first.last_sequence, 1);
    assert_eq!(first.rating, Some(rating(1_500_001, 1, 1)));
    assert_eq!(snapshot[1], None);
    assert_eq!(
        store.ratings(&key(1)).await.unwrap(),
        vec![rating(1_500_001, 1, 1)]
    );
    let records = store.records_since(&key(1), 0).await.unwrap();
    assert_eq!(records, vec![record(key(1), 1, 1, None)]);
    assert!(store.records_since(&key(1), 1).await.unwrap().is_empty());
}

async fn a_certified_match_is_applied_once(fresh: Fresh) {
    let store = fresh.stores.core.as_ref();
    register(store, key(1), "a").await;
    register(store, key(2), "b").await;
    let players = [key(1), key(2)];
    let inputs = store
        .match_inputs(&[5; 32], &players, MODULE, &[7; 32], 0)
        .await
        .unwrap();
    let MatchInputs::New {
        snapshots,
        prior_meetings,
    } = inputs
    else {
        panic!("a new match reads as applied: {inputs:?}");
    };
    assert_eq!(prior_meetings, 0);
    assert_eq!(snapshots.iter().flatten().count(), 2);

    let applied = match_change(5, &[(key(1), 1), (key(2), 1)]);
    assert_eq!(store.apply_match(&applied).await.unwrap(), Applied::Done);
    let issued = sorted(
        applied
            .players
            .iter()
            .flat_map(|p| p.records.clone())
            .collect(),
    );
    // The same result again: the same records, nothing new.
    assert_eq!(
        store.apply_match(&applied).await.unwrap(),
        Applied::AlreadyApplied(issued.clone())
    );
    assert_eq!(
        store
            .match_inputs(&[5; 32], &players, MODULE, &[7; 32], 0)
            .await
            .unwrap(),
        MatchInputs::Applied(issued)
    );
    // A rematch counts the earlier meeting (same participants, in the window).
    let MatchInputs::New { prior_meetings, .. } = store
        .match_inputs(&[6; 32], &players, MODULE, &[7; 32], 1_000)
        .await
        .unwrap()
    else {
        panic!("match 6 is new");
    };
    assert_eq!(prior_meetings, 1);
    // Planned against the old sequence: a conflict, and nothing written.
    let stale = match_change(6, &[(key(1), 1), (key(2), 3)]);
    assert_eq!(store.apply_match(&stale).await.unwrap(), Applied::Conflict);
    assert_eq!(store.records_since(&key(2), 3).await.unwrap(), Vec::new());
    let next = match_change(6, &[(key(1), 3), (key(2), 3)]);
    assert_eq!(store.apply_match(&next).await.unwrap(), Applied::Done);
    // An unregistered player cannot take part.
    let stranger = match_change(8, &[(key(1), 5), (key(9), 0)]);
    assert_eq!(
        store.apply_match(&stranger).await.unwrap(),
        Applied::Conflict
    );
    let sequences: Vec<u64> = store
        .records_since(&key(1), 0)
        .await
        .unwrap()
        .iter()
        .map(|r| r.sequence)
        .collect();
    assert_eq!(sequences, vec![1, 2, 3, 4, 5]);
}

async fn the_same_match_from_two_processes_at_once_is_applied_once(fresh: Fresh) {
    let first = fresh.stores.core.clone();
    let second = fresh.reopen().await.core;
    for player in 1..=8 {
        register(first.as_ref(), key(player), &format!("ip{player}")).await;
    }
    for round in 0..10u8 {
        // Players 1 and 2 meet a third player each round (3-8, then 3-6 again); both
        // processes get the same result at the same time.
        let from = 1 + 2 * u64::from(round);
        let third = if round < 6 { 1 } else { 3 };
        let change = Arc::new(match_change(
            100 + round,
            &[(key(1), from), (key(2), from), (key(3 + round % 6), third)],
        ));
        let (a, b) = tokio::join!(
            spawn_apply(first.clone(), change.clone()),
            spawn_apply(second.clone(), change.clone())
        );
        let issued = sorted(
            change
                .players
                .iter()
                .flat_map(|p| p.records.clone())
                .collect(),
        );
        let outcomes = [a, b];
        assert_eq!(
            outcomes.iter().filter(|o| **o == Applied::Done).count(),
            1,
            "round {round}: {outcomes:?}"
        );
        assert!(
            outcomes.contains(&Applied::AlreadyApplied(issued)),
            "round {round}: {outcomes:?}"
        );
    }
    let sequences: Vec<u64> = first
        .records_since(&key(1), 0)
        .await
        .unwrap()
        .iter()
        .map(|r| r.sequence)
        .collect();
    assert_eq!(sequences, (1..=21).collect::<Vec<_>>());
}

pub(super) async fn spawn_apply(store: Arc<dyn Store>, change: Arc<MatchChange>) -> Applied {
    tokio::spawn(async move { store.apply_match(&change).await.unwrap() })
        .await
        .unwrap()
}

async fn sequences_never_repeat_or_skip_under_concurrent_writers(fresh: Fresh) {
    let handles = [fresh.stores.core.clone(), fresh.reopen().await.core];
    register(handles[0].as_ref(), key(1), "a").await;
    // Twelve writers, two processes, one player: each plans from what it reads and plans again
    // on a conflict, as the ranking authority does.
    let writers = (0..12).map(|n| {
        let store = handles[n % 2].clone();
        tokio::spawn(async move {
            loop {
                let snapshot = store.snapshots(&[key(1)], MODULE).await.unwrap();
                let from = snapshot[0].as_ref().unwrap().last_sequence;
                match store
                    .apply_player_change(&change(key(1), from, 1, None))
                    .await
                    .unwrap()
                {
                    Applied::Done => return,
                    Applied::Conflict => tokio::task::yield_now().await,
                    other => panic!("{other:?}"),
                }
            }
        })
    });
    for writer in writers.collect::<Vec<_>>() {
        writer.await.unwrap();
    }
    let sequences: Vec<u64> = handles[1]
        .records_since(&key(1), 0)
        .await
        .unwrap()
        .iter()
        .map(|r| r.sequence)
        .collect();
    assert_eq!(sequences, (1..=13).collect::<Vec<_>>());
    let snapshot = handles[0].snapshots(&[key(1)], MODULE).await.unwrap();
    assert_eq!(snapshot[0].as_ref().unwrap().last_sequence, 13);
}

async fn revocation_minimums_only_rise(fresh: Fresh) {
    let store = fresh.stores.core.as_ref();
    register(store, key(1), "a").await;
    let mut raise = change(key(1), 1, 1, None);
    raise.ratings.clear();
    raise.revocation = Some((1, 10));
    assert_eq!(
        store.apply_player_change(&raise).await.unwrap(),
        Applied::Done
    );
    let mut lower = change(key(1), 2, 1, None);
    lower.ratings.clear();
    lower.revocation = Some((1, 4));
    assert_eq!(
        store.apply_player_change(&lower).await.unwrap(),
        Applied::Done
    );
    let mut other = change(key(1), 3, 1, None);
    other.ratings.clear();
    other.revocation = Some((2, 3));
    assert_eq!(
        store.apply_player_change(&other).await.unwrap(),
        Applied::Done
    );
    assert_eq!(
        store.revocations(&key(1)).await.unwrap(),
        vec![(1, 10), (2, 3)]
    );
    assert_eq!(store.revocations(&key(2)).await.unwrap(), Vec::new());
}

async fn the_leaderboard_orders_filters_and_pages(fresh: Fresh) {
    let store = fresh.stores.core.as_ref();
    for player in 1..=4 {
        register(store, key(player), &format!("ip{player}")).await;
    }
    // Players 1-3 play each other; 4 plays only 1.
    let mut sequences = [0, 1, 1, 1, 1];
    for (id, (a, b)) in [(1, 2), (1, 3), (2, 3), (1, 4), (2, 3)]
        .into_iter()
        .enumerate()
    {
        let change = match_change(
            u8::try_from(id).unwrap() + 10,
            &[
                (key(a), sequences[usize::from(a)]),
                (key(b), sequences[usize::from(b)]),
            ],
        );
        assert_eq!(store.apply_match(&change).await.unwrap(), Applied::Done);
        sequences[usize::from(a)] += 2;
        sequences[usize::from(b)] += 2;
    }
    // Ratings follow the sequence: 1, 2 and 3 tie (seven records each) and break the tie by
    // key; 4 has met one opponent only.
    let board = store.leaderboard(MODULE, 1, 2, 10, None).await.unwrap();
    let order: Vec<PlayerKey> = board.iter().map(|row| row.player_key).collect();
    assert_eq!(order, vec![key(1), key(2), key(3)]);
    assert_eq!(board[0].distinct_opponents, 3);
    assert_eq!(board[1].distinct_opponents, 2);
    let page = store
        .leaderboard(MODULE, 1, 2, 10, Some((board[0].rating.rating, key(1))))
        .await
        .unwrap();
    assert_eq!(
        page.iter().map(|r| r.player_key).collect::<Vec<_>>(),
        vec![key(2), key(3)]
    );
    let few_games = store.leaderboard(MODULE, 6, 0, 10, None).await.unwrap();
    assert_eq!(
        few_games.iter().map(|r| r.player_key).collect::<Vec<_>>(),
        vec![key(1), key(2), key(3)]
    );
    assert!(
        store
            .leaderboard("other", 0, 0, 10, None)
            .await
            .unwrap()
            .is_empty()
    );
}

async fn roles_logins_keys_and_relays(fresh: Fresh) {
    let store = fresh.stores.core.as_ref();
    let alice = PublicKey::from_bytes([1; 32]);
    assert!(store.grant_role(&alice, Role::Moderator, 1).await.unwrap());
    assert!(!store.grant_role(&alice, Role::Moderator, 2).await.unwrap());
    assert!(store.grant_role(&alice, Role::Reviewer, 2).await.unwrap());
    assert_eq!(
        store.roles_of(&alice).await.unwrap(),
        vec![Role::Moderator, Role::Reviewer]
    );
    assert!(store.revoke_role(&alice, Role::Moderator).await.unwrap());
    assert!(!store.revoke_role(&alice, Role::Moderator).await.unwrap());
    assert_eq!(
        store.all_roles().await.unwrap(),
        vec![(alice, Role::Reviewer)]
    );

    // A challenge answers once, before it expires, for its principal only.
    store.insert_challenge(&[9; 32], &alice, 100).await.unwrap();
    let bob = PublicKey::from_bytes([2; 32]);
    assert!(!store.take_challenge(&[9; 32], &bob, 50).await.unwrap());
    assert!(!store.take_challenge(&[9; 32], &alice, 100).await.unwrap());
    assert!(store.take_challenge(&[9; 32], &alice, 99).await.unwrap());
    assert!(!store.take_challenge(&[9; 32], &alice, 99).await.unwrap());
    store.insert_token(&[3; 32], &alice, 100).await.unwrap();
    assert_eq!(
        store.token_principal(&[3; 32], 99).await.unwrap(),
        Some(alice)
    );
    assert_eq!(store.token_principal(&[3; 32], 100).await.unwrap(), None);
    store.insert_challenge(&[8; 32], &alice, 100).await.unwrap();
    store.purge_expired(100).await.unwrap();
    assert_eq!(store.token_principal(&[3; 32], 0).await.unwrap(), None);
    assert!(!store.take_challenge(&[8; 32], &alice, 0).await.unwrap());

    store.add_rotation(1, b"first", 10).await.unwrap();
    store.add_rotation(2, b"second", 20).await.unwrap();
    assert!(store.add_rotation(2, b"again", 30).await.is_err());
    assert_eq!(
        store.rotations().await.unwrap(),
        vec![b"first".to_vec(), b"second".to_vec()]
    );

    let relay = RelayKey::from_bytes([4; 32]);
    assert!(store.trust_relay(&relay, "eu-1", 5).await.unwrap());
    assert!(!store.trust_relay(&relay, "eu-1", 6).await.unwrap());
    assert_eq!(
        store.trusted_relays().await.unwrap(),
        vec![(relay, "eu-1".to_owned())]
    );
    assert!(store.untrust_relay(&relay).await.unwrap());
    assert!(!store.untrust_relay(&relay).await.unwrap());
    store.ping().await.unwrap();
}

async fn a_database_from_a_newer_ic_server_is_refused(fresh: Fresh) {
    let checksum = if fresh.is_postgres() {
        "'\\x00'"
    } else {
        "x'00'"
    };
    fresh
        .execute(&format!(
            "INSERT INTO _sqlx_migrations (version, description, success, checksum, \
             execution_time) VALUES (9999, 'from the future', true, {checksum}, 0)"
        ))
        .await
        .unwrap();
    match crate::store::open(&fresh.location, None).await {
        Err(StoreError::NewerSchema(9999)) => {}
        Err(other) => panic!("expected NewerSchema, got {other}"),
        Ok(_) => panic!("a newer schema was opened"),
    }
}

on_each_backend!(
    registration_happens_once_and_counts_against_the_address,
    a_certified_match_is_applied_once,
    the_same_match_from_two_processes_at_once_is_applied_once,
    sequences_never_repeat_or_skip_under_concurrent_writers,
    revocation_minimums_only_rise,
    the_leaderboard_orders_filters_and_pages,
    roles_logins_keys_and_relays,
    a_database_from_a_newer_ic_server_is_refused,
);
