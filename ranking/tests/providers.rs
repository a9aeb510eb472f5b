//! Properties every provider keeps, checked for Glicko-2, Elo and Weng-Lin through the public
//! API, with ratings drawn on each algorithm's own scale.

use std::collections::BTreeMap;

use proptest::prelude::*;
use ranking::provider::{ELO, GLICKO2, WENG_LIN};
use ranking::{
    FixedRating, MatchDescription, MatchEnd, MatchMode, Participant, PlayerId, PlayerRating,
    RankingConfig, RankingProvider, Team, provider_for,
};

#[cfg(test)]
fn provider(id: &str) -> Box<dyn RankingProvider> {
    let config = RankingConfig {
        algorithm: id.to_string(),
        ..Default::default()
    };
    provider_for(&config).unwrap()
}

/// A rating on the algorithm's scale from two numbers in 0..1000.
fn rating_for(id: &str, skill: i64, certainty: i64) -> FixedRating {
    match id {
        // μ 10..40, σ 1..8.3
        WENG_LIN => FixedRating {
            rating: 10_000 + skill * 30,
            deviation: 8_333 - certainty * 7,
            volatility: 0,
        },
        ELO => FixedRating {
            rating: 100_000 + skill * 2_900,
            deviation: 0,
            volatility: 0,
        },
        _ => FixedRating {
            rating: 100_000 + skill * 2_900,
            deviation: 350_000 - certainty * 305,
            volatility: 60_000,
        },
    }
}

fn participant(id: &str, n: usize, skill: i64, certainty: i64) -> Participant {
    let mut key = [0u8; 32];
    key[..8].copy_from_slice(&(n as u64).to_le_bytes());
    Participant {
        rating: PlayerRating {
            player_id: PlayerId(key),
            rating: rating_for(id, skill, certainty),
            games_played: 12,
        },
        idle_periods: 0,
    }
}

fn arb_algorithm() -> impl Strategy<Value = &'static str> {
    prop::sample::select(vec![GLICKO2, ELO, WENG_LIN])
}

/// Teams as lists of (skill, certainty), with placements; 2–4 teams of 1–4 players.
fn arb_shape() -> impl Strategy<Value = Vec<(Vec<(i64, i64)>, u32)>> {
    prop::collection::vec(
        (
            prop::collection::vec((0i64..1000, 0i64..1000), 1..=4),
            1u32..=4,
        ),
        2..=4,
    )
}

fn build(id: &str, shape: &[(Vec<(i64, i64)>, u32)], prior_meetings: u32) -> MatchDescription {
    let mut n = 0;
    MatchDescription {
        teams: shape
            .iter()
            .map(|(players, placement)| Team {
                players: players
                    .iter()
                    .map(|&(s, c)| {
                        n += 1;
                        participant(id, n, s, c)
                    })
                    .collect(),
                placement: *placement,
            })
            .collect(),
        end: MatchEnd::Completed,
        mode: MatchMode::Ranked,
        duration_ticks: 20_000,
        tick_rate: 15,
        prior_meetings,
        external_weight: 1000,
    }
}

fn by_id(ratings: &[PlayerRating]) -> BTreeMap<PlayerId, PlayerRating> {
    ratings.iter().map(|r| (r.player_id, *r)).collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

    #[test]
    fn duel_winner_gains_and_loser_loses(id in arb_algorithm(), a in (0i64..1000, 0i64..1000), b in (0i64..1000, 0i64..1000)) {
        let m = build(id, &[(vec![a], 1), (vec![b], 2)], 0);
        let out = provider(id).update_ratings(&m).unwrap();
        prop_assert!(out[0].rating.rating >= m.teams[0].players[0].rating.rating.rating);
        prop_assert!(out[1].rating.rating <= m.teams[1].players[0].rating.rating.rating);
    }

    #[test]
    fn remade_and_desync_change_nothing(id in arb_algorithm(), shape in arb_shape(), desync in any::<bool>()) {
        let mut m = build(id, &shape, 0);
        m.end = if desync { MatchEnd::DesyncTerminated } else { MatchEnd::Remade };
        let before: Vec<PlayerRating> = m.teams.iter().flat_map(|t| t.players.iter().map(|p| p.rating)).collect();
        prop_assert_eq!(provider(id).update_ratings(&m).unwrap(), before);
    }

    #[test]
    fn order_within_a_team_does_not_matter(id in arb_algorithm(), shape in arb_shape()) {
        let m = build(id, &shape, 0);
        let mut reversed = m.clone();
        for team in &mut reversed.teams {
            team.players.reverse();
        }
        let p = provider(id);
        prop_assert_eq!(by_id(&p.update_ratings(&m).unwrap()), by_id(&p.update_ratings(&reversed).unwrap()));
    }

    #[test]
    fn more_information_never_gives_a_smaller_change(id in arb_algorithm(), shape in arb_shape(), fewer in 0u32..3, extra in 1u32..3) {
        let high = build(id, &shape, fewer);
        let low = build(id, &shape, fewer + extra);
        let p = provider(id);
        let (h, l) = (p.update_ratings(&high).unwrap(), p.update_ratings(&low).unwrap());
        for ((before, h), l) in high.teams.iter().flat_map(|t| &t.players).zip(&h).zip(&l) {
            let b = before.rating.rating.rating;
            prop_assert!((h.rating.rating - b).abs() >= (l.rating.rating - b).abs());
        }
    }

    #[test]
    fn quality_values_stay_in_range(id in arb_algorithm(), a in (0i64..1000, 0i64..1000), b in (0i64..1000, 0i64..1000)) {
        let m = build(id, &[(vec![a], 1), (vec![b], 2)], 0);
        let (x, y) = (m.teams[0].players[0].rating, m.teams[1].players[0].rating);
        let q = provider(id).match_quality(&[x], &[y]);
        for v in [q.fairness, q.estimated_draw_probability, q.information_content] {
            prop_assert!((0..=1000).contains(&v));
        }
        let e = provider(id).expected_score(&[x], &[y]);
        prop_assert!((0..=1000).contains(&e));
    }
}
