//! Seasons on every backend: the first season opens once, a season change archives the
//! standings, applies exactly the ranking crate's soft reset, restarts placement, makes plans
//! from the old season conflict, and happens once.

use ranking::FixedRating;
use ranking::season::SeasonConfig;

use super::ledger::{MODULE, key, match_change, rating, register};
use super::{Fresh, on_each_backend};
use crate::store::{
    Applied, PlayerChange, SeasonChange, SeasonChanged, SeasonRow, SoftReset, Store,
};

fn season(number: u32, starts_at: i64) -> SeasonRow {
    SeasonRow {
        season: number,
        name: format!("Season {number}"),
        starts_at,
        ends_at: starts_at + 1_000,
        ended: false,
    }
}

/// Sets `player`'s rating (from sequence `from`) to `value` with `games` played.
async fn set_rating(store: &dyn Store, player: scr::PlayerKey, from: u64, value: i64, games: u32) {
    let mut row = rating(value, games, from + 1);
    row.peak_rating = (games > 0).then_some(value + 7);
    row.season = 3;
    let change = PlayerChange {
        player_key: player,
        expected_last_sequence: from,
        new_last_sequence: from + 1,
        ratings: vec![row],
        records: Vec::new(),
        opponents: Vec::new(),
        revocation: None,
        achievements: Vec::new(),
    };
    assert_eq!(
        store.apply_player_change(&change).await.unwrap(),
        Applied::Done
    );
}

async fn the_first_season_opens_once_and_holds_every_rating(fresh: Fresh) {
    let store = fresh.stores.core.as_ref();
    register(store, key(1), "10.0.0.1").await;
    assert!(store.seasons().await.unwrap().is_empty());
    let opened = store.open_first_season(&season(3, 100)).await.unwrap();
    assert_eq!(opened, season(3, 100));
    assert_eq!(store.ratings(&key(1)).await.unwrap()[0].season, 3);
    // Opening again (a second process, a restart) keeps the first.
    let again = store.open_first_season(&season(7, 900)).await.unwrap();
    assert_eq!(again, season(3, 100));
    assert_eq!(store.seasons().await.unwrap(), vec![season(3, 100)]);
    // A player registered later counts in the running season whatever the plan said.
    register(store, key(2), "10.0.0.2").await;
    assert_eq!(store.ratings(&key(2)).await.unwrap()[0].season, 3);
}

async fn a_season_change_archives_resets_and_happens_once(fresh: Fresh) {
    let store = fresh.stores.core.as_ref();
    store.open_first_season(&season(3, 100)).await.unwrap();
    // Ratings on both sides of the centre, odd thousandths for the rounding, one far off.
    let values: [i64; 8] = [
        2_000_000, 1_000_000, 1_500_001, 1_499_999, 1_234_567, 2_345_679, 0, -5_001,
    ];
    for (index, value) in values.iter().enumerate() {
        let player = key(10 + index as u8);
        register(store, player, &format!("10.0.1.{index}")).await;
        // Every other player played this season.
        set_rating(
            store,
            player,
            1,
            *value,
            if index % 2 == 0 { 12 } else { 0 },
        )
        .await;
    }
    // A match gives two players opponents (what leaderboard eligibility counts).
    let (a, b) = (key(10), key(12));
    assert_eq!(
        store
            .apply_match(&match_change(1, &[(a, 2), (b, 2)]))
            .await
            .unwrap(),
        Applied::Done
    );
    let before: Vec<_> = {
        let mut rows = Vec::new();
        for index in 0..values.len() {
            let player = key(10 + index as u8);
            rows.push((player, store.ratings(&player).await.unwrap().remove(0)));
        }
        rows
    };
    let sequences: Vec<u64> = {
        let players: Vec<_> = before.iter().map(|(player, _)| *player).collect();
        store
            .snapshots(&players, MODULE)
            .await
            .unwrap()
            .into_iter()
            .map(|snapshot| snapshot.unwrap().last_sequence)
            .collect()
    };

    let config = SeasonConfig::default();
    let change = SeasonChange {
        ending: 3,
        at: 500,
        next: SeasonRow {
            season: 4,
            name: "Winter".into(),
            starts_at: 500,
            ends_at: 9_000,
            ended: false,
        },
        reset: SoftReset {
            center: 1_500_000,
            factor_permille: 700,
            deviation: Some(350_000),
        },
    };
    let played = before
        .iter()
        .filter(|(_, row)| row.games_played > 0)
        .count();
    assert_eq!(
        store.change_season(&change).await.unwrap(),
        SeasonChanged::Done {
            archived: played as u64
        }
    );
    assert_eq!(
        store.change_season(&change).await.unwrap(),
        SeasonChanged::NotRunning,
        "a season ends once"
    );

    // The archive is the standings as they were, best first, with the cursor working.
    let standings = store.standings(3, MODULE, 100, None).await.unwrap();
    let mut expected: Vec<_> = before
        .iter()
        .filter(|(_, row)| row.games_played > 0)
        .map(|(player, row)| (row.rating, *player, row.games_played, row.peak_rating))
        .collect();
    expected.sort_by(|x, y| y.0.cmp(&x.0).then(x.1.cmp(&y.1)));
    let got: Vec<_> = standings
        .iter()
        .map(|s| (s.rating, s.player_key, s.games_played, s.peak_rating))
        .collect();
    assert_eq!(got, expected);
    let second_page = store
        .standings(
            3,
            MODULE,
            100,
            Some((standings[0].rating, standings[0].player_key)),
        )
        .await
        .unwrap();
    assert_eq!(second_page, standings[1..].to_vec());
    assert!(
        store
            .standings(4, MODULE, 10, None)
            .await
            .unwrap()
            .is_empty()
    );

    // Every rating is the ranking crate's soft reset of what it was; the season starts over.
    for (player, old) in &before {
        let new = store.ratings(player).await.unwrap().remove(0);
        let reset = config.soft_reset(FixedRating {
            rating: old.rating,
            deviation: old.deviation,
            volatility: old.volatility,
        });
        assert_eq!(
            (new.rating, new.deviation, new.volatility),
            (reset.rating, reset.deviation, reset.volatility),
            "reset of {}",
            old.rating
        );
        assert_eq!(
            (
                new.games_played,
                new.wins,
                new.losses,
                new.draws,
                new.streak
            ),
            (0, 0, 0, 0, 0)
        );
        assert_eq!((new.season, new.peak_rating), (4, None));
        assert_eq!(new.rating_sequence, old.rating_sequence, "the record stays");
    }
    assert!(
        store
            .leaderboard(MODULE, 0, 1, 10, None)
            .await
            .unwrap()
            .is_empty(),
        "distinct opponents count again from the new season"
    );

    // A change planned against the old season conflicts and is planned again.
    let stale = PlayerChange {
        player_key: a,
        expected_last_sequence: sequences[0],
        new_last_sequence: sequences[0] + 1,
        ratings: vec![rating(1_900_000, 13, sequences[0] + 1)],
        records: Vec::new(),
        opponents: Vec::new(),
        revocation: None,
        achievements: Vec::new(),
    };
    assert_eq!(
        store.apply_player_change(&stale).await.unwrap(),
        Applied::Conflict
    );

    let seasons = store.seasons().await.unwrap();
    assert_eq!(
        seasons,
        vec![
            SeasonRow {
                ends_at: 500,
                ended: true,
                ..season(3, 100)
            },
            change.next.clone(),
        ]
    );
}

on_each_backend!(
    the_first_season_opens_once_and_holds_every_rating,
    a_season_change_archives_resets_and_happens_once,
);
