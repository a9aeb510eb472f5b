//! Tests of the Glicko-2 provider: the worked example through fixed point, duels, teams and
//! edge cases, then the property tests the ranking issue asks for.

use proptest::prelude::*;

use super::*;
use crate::description::tests::{duel, player};
use crate::description::{MatchEnd, MatchMode, Participant, Team};
use crate::glicko2::SCALE;

fn provider() -> Glicko2Provider {
    Glicko2Provider::new(Glicko2Config::default(), InformationConfig::default()).unwrap()
}

#[test]
fn worked_example_through_fixed_point() {
    let fixed = |r: i64, d: i64| FixedRating::from_points(r, d, 60_000);
    let core = |f: FixedRating| Glicko2Rating {
        rating: f.rating_f64(),
        deviation: f.deviation_f64(),
        volatility: f.volatility_f64(),
    };
    let result = |f: FixedRating, score| GameResult {
        opponent_rating: f.rating_f64(),
        opponent_deviation: f.deviation_f64(),
        score,
        weight: 1.0,
    };
    let after = rate_period(
        core(fixed(1500, 200)),
        &[
            result(fixed(1400, 30), 1.0),
            result(fixed(1550, 100), 0.0),
            result(fixed(1700, 300), 0.0),
        ],
        &Glicko2Config::default(),
    );
    let out = FixedRating::from_f64(after.rating, after.deviation, after.volatility).unwrap();
    assert!((out.rating_f64() - 1464.0507).abs() < 1e-3, "{out:?}");
    assert!((out.deviation_f64() - 151.5165).abs() < 1e-3, "{out:?}");
    assert!((out.volatility_f64() - 0.05999598).abs() < 1e-7, "{out:?}");
}

#[test]
fn duel_between_new_players_matches_skillratings() {
    use skillratings::glicko2::{Glicko2Config as SrConfig, Glicko2Rating as SrRating, glicko2};
    let m = duel(player(1, 1500, 350), player(2, 1500, 350), 1, 2);
    let out = provider().update_ratings(&m).unwrap();
    let new = SrRating::new();
    let (a, b) = glicko2(&new, &new, &skillratings::Outcomes::WIN, &SrConfig::new());
    assert_eq!(out[0].rating.rating, to_fixed(a.rating, 1000).unwrap());
    assert_eq!(
        out[0].rating.deviation,
        to_fixed(a.deviation, 1000).unwrap()
    );
    assert_eq!(out[1].rating.rating, to_fixed(b.rating, 1000).unwrap());
    assert_eq!(out[1].games_played, 21);
}

#[test]
fn abandon_is_a_loss_for_the_leaver() {
    let mut m = duel(player(1, 1500, 100), player(2, 1500, 100), 1, 2);
    m.end = MatchEnd::Abandoned {
        leaver: m.teams[0].players[0].rating.player_id,
    };
    let out = provider().update_ratings(&m).unwrap();
    assert!(out[0].rating.rating < 1_500_000);
    assert!(out[1].rating.rating > 1_500_000);
}

#[test]
fn team_players_face_the_opposing_composite() {
    let team = |a: Participant, b: Participant, placement| Team {
        players: vec![a, b],
        placement,
    };
    let mut m = duel(player(1, 1500, 100), player(2, 1500, 100), 1, 2);
    m.teams = vec![
        team(player(1, 1600, 80), player(2, 1400, 200), 1),
        team(player(3, 1550, 60), player(4, 1450, 300), 2),
    ];
    let out = provider().update_ratings(&m).unwrap();
    // Each winner's result equals a duel against the losing team's composite.
    let opponent = composite(
        &[
            Estimate {
                rating: 1550.0,
                deviation: 60.0,
            },
            Estimate {
                rating: 1450.0,
                deviation: 300.0,
            },
        ],
        crate::team::TeamRatingMethod::WeightedAverage,
    )
    .unwrap();
    let alone = rate_period(
        Glicko2Rating {
            rating: 1600.0,
            deviation: 80.0,
            volatility: 0.06,
        },
        &[GameResult {
            opponent_rating: opponent.rating,
            opponent_deviation: opponent.deviation,
            score: 1.0,
            weight: 1.0,
        }],
        &Glicko2Config::default(),
    );
    assert_eq!(out[0].rating.rating, to_fixed(alone.rating, 1000).unwrap());
    assert!(out.iter().take(2).all(|p| p.rating.rating > 0));
    assert!(out[2].rating.rating < 1_550_000 && out[3].rating.rating < 1_450_000);
}

#[test]
fn inactivity_raises_the_returning_players_deviation() {
    let mut m = duel(player(1, 1500, 45), player(2, 1500, 45), 1, 1);
    let settled = provider().update_ratings(&m).unwrap();
    m.teams[0].players[0].idle_periods = 91;
    let returning = provider().update_ratings(&m).unwrap();
    assert!(returning[0].rating.deviation > settled[0].rating.deviation + 100_000);
}

#[test]
fn zero_information_leaves_ratings_but_counts_the_game() {
    let mut m = duel(player(1, 1500, 100), player(2, 1500, 100), 1, 2);
    m.prior_meetings = 20;
    let out = provider().update_ratings(&m).unwrap();
    assert_eq!(out[0].rating, m.teams[0].players[0].rating.rating);
    assert_eq!(out[0].games_played, 21);
}

#[test]
fn invalid_ratings_are_errors_not_panics() {
    let mut m = duel(player(1, 1500, 100), player(2, 1500, 100), 1, 2);
    m.teams[0].players[0].rating.rating.deviation = 0;
    assert!(matches!(
        provider().update_ratings(&m),
        Err(MatchError::InvalidRating { .. })
    ));
    m.teams[0].players[0].rating.rating.deviation = 100_000;
    m.teams[1].players[0].rating.rating.volatility = -1;
    assert!(provider().update_ratings(&m).is_err());
}

#[test]
fn quality_of_even_and_lopsided_pairings() {
    let p = provider();
    let even = p.match_quality(&[player(1, 1500, 80).rating], &[player(2, 1500, 80).rating]);
    let lopsided = p.match_quality(&[player(1, 2100, 80).rating], &[player(2, 1500, 80).rating]);
    assert_eq!(even.fairness, 1000);
    assert!(lopsided.fairness < 100, "{lopsided:?}");
    assert!(even.estimated_draw_probability > lopsided.estimated_draw_probability);
    assert!(even.information_content > lopsided.information_content);
    let unknown = p.match_quality(
        &[player(1, 1500, 350).rating],
        &[player(2, 1500, 350).rating],
    );
    assert!(unknown.information_content > even.information_content);
    assert_eq!(p.expected_score(&[player(1, 1500, 80).rating], &[]), 0);
    assert!(p.expected_score(&[player(1, 1700, 80).rating], &[player(2, 1500, 80).rating]) > 700);
}

#[test]
fn display_and_provisional() {
    let p = provider();
    let fresh = p.initial_rating(player(1, 0, 0).rating.player_id);
    assert_eq!(p.display_rating(&fresh), "1500 ± 350");
    assert!(p.is_provisional(&fresh));
    assert!(p.is_provisional(&player(1, 1500, 111).rating));
    assert!(!p.is_provisional(&player(1, 1500, 110).rating));
    assert_eq!(p.display_rating(&player(1, 1464, 152).rating), "1464 ± 152");
}

// ---- property tests ----

/// One player's state: rating ≥ the floor, deviation and volatility within the bounds.
fn arb_state() -> impl Strategy<Value = (i64, i64, i64, u32, u32)> {
    (
        100_000i64..=3_000_000,
        45_000i64..=350_000,
        10_000i64..=150_000,
        0u32..200,
        0u32..400,
    )
}

fn participant(
    id: usize,
    (rating, deviation, volatility, games, idle): (i64, i64, i64, u32, u32),
) -> Participant {
    let mut p = player(0, 0, 0);
    p.rating.player_id.0[..8].copy_from_slice(&(id as u64).to_le_bytes());
    p.rating.rating = FixedRating {
        rating,
        deviation,
        volatility,
    };
    p.rating.games_played = games;
    p.idle_periods = idle;
    p
}

/// Match context: mode, duration, tick rate, prior meetings.
fn arb_context() -> impl Strategy<Value = (bool, u64, u32, u32)> {
    (
        any::<bool>(),
        0u64..40_000,
        prop::sample::select(vec![15u32, 20, 30]),
        0u32..6,
    )
}

fn build(
    teams: Vec<(Vec<Participant>, u32)>,
    end: MatchEnd,
    ctx: (bool, u64, u32, u32),
) -> MatchDescription {
    MatchDescription {
        teams: teams
            .into_iter()
            .map(|(players, placement)| Team { players, placement })
            .collect(),
        end,
        mode: if ctx.0 {
            MatchMode::Ranked
        } else {
            MatchMode::Casual
        },
        duration_ticks: ctx.1,
        tick_rate: ctx.2,
        prior_meetings: ctx.3,
        external_weight: 1000,
    }
}

/// Two to four teams of one to four players with random placements.
fn arb_match() -> impl Strategy<Value = MatchDescription> {
    (
        prop::collection::vec((prop::collection::vec(arb_state(), 1..=4), 1u32..=4), 2..=4),
        arb_context(),
    )
        .prop_map(|(teams, ctx)| {
            let mut next_id = 0;
            let teams = teams
                .into_iter()
                .map(|(states, place)| {
                    let players = states
                        .into_iter()
                        .map(|s| {
                            next_id += 1;
                            participant(next_id, s)
                        })
                        .collect();
                    (players, place)
                })
                .collect();
            build(teams, MatchEnd::Completed, ctx)
        })
}

fn by_id(ratings: &[PlayerRating]) -> std::collections::BTreeMap<PlayerId, PlayerRating> {
    ratings.iter().map(|r| (r.player_id, *r)).collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn duel_winner_never_loses_and_loser_never_gains(a in arb_state(), b in arb_state(), ctx in arb_context(), abandon in any::<bool>()) {
        let winner = participant(1, a);
        let loser = participant(2, b);
        let end = if abandon { MatchEnd::Abandoned { leaver: loser.rating.player_id } } else { MatchEnd::Completed };
        let m = build(vec![(vec![winner], 1), (vec![loser], 2)], end, ctx);
        let out = provider().update_ratings(&m).unwrap();
        prop_assert!(out[0].rating.rating >= a.0);
        prop_assert!(out[1].rating.rating <= b.0);
    }

    #[test]
    fn draw_between_equals_moves_no_rating(state in arb_state(), ctx in arb_context()) {
        let m = build(vec![(vec![participant(1, state)], 1), (vec![participant(2, state)], 1)], MatchEnd::Completed, ctx);
        let out = provider().update_ratings(&m).unwrap();
        prop_assert_eq!(out[0].rating.rating, state.0);
        prop_assert_eq!(out[1].rating.rating, state.0);
        // Both sides end in the same state: only the uncertainty terms moved, symmetrically.
        prop_assert_eq!(out[0].rating, out[1].rating);
    }

    #[test]
    fn deviation_and_rating_stay_within_bounds(m in arb_match()) {
        let config = Glicko2Config::default();
        for r in provider().update_ratings(&m).unwrap() {
            prop_assert!(r.rating.deviation >= to_fixed(config.deviation_floor, 1000).unwrap());
            prop_assert!(r.rating.deviation <= to_fixed(config.deviation_ceiling, 1000).unwrap());
            prop_assert!(r.rating.rating >= to_fixed(config.rating_floor, 1000).unwrap());
        }
    }

    #[test]
    fn void_matches_change_nothing(m in arb_match(), desync in any::<bool>()) {
        let mut m = m;
        m.end = if desync { MatchEnd::DesyncTerminated } else { MatchEnd::Remade };
        prop_assert!(!m.is_rated());
        let before: Vec<PlayerRating> = m.participants().map(|p| p.rating).collect();
        prop_assert_eq!(provider().update_ratings(&m).unwrap(), before);
    }

    #[test]
    fn more_information_never_changes_less(m in arb_match(), fewer in 0u32..4, extra in 0u32..4, external in 0u32..=1000, drop in 0u32..=1000) {
        // Fewer prior meetings and a higher external weight; nothing else differs.
        let mut high = m.clone();
        high.prior_meetings = fewer;
        high.external_weight = external;
        let mut low = m;
        low.prior_meetings = fewer + extra;
        low.external_weight = external.saturating_sub(drop);
        let info = InformationConfig::default();
        prop_assert!(info.information_content(&high) >= info.information_content(&low));
        let before: Vec<i64> = high.participants().map(|p| p.rating.rating.rating).collect();
        let h = provider().update_ratings(&high).unwrap();
        let l = provider().update_ratings(&low).unwrap();
        for ((b, h), l) in before.iter().zip(&h).zip(&l) {
            prop_assert!((h.rating.rating - b).abs() >= (l.rating.rating - b).abs(),
                "before {b}, high {}, low {}", h.rating.rating, l.rating.rating);
        }
    }

    #[test]
    fn order_within_teams_does_not_matter(m in arb_match(), seed in any::<u64>()) {
        let mut shuffled = m.clone();
        for (t, team) in shuffled.teams.iter_mut().enumerate() {
            let len = team.players.len();
            team.players.rotate_left((seed as usize).wrapping_add(t) % len);
            if seed & 1 == 1 {
                team.players.reverse();
            }
        }
        let p = provider();
        prop_assert_eq!(by_id(&p.update_ratings(&m).unwrap()), by_id(&p.update_ratings(&shuffled).unwrap()));
    }

    #[test]
    fn same_input_same_bits(m in arb_match()) {
        let p = provider();
        prop_assert_eq!(p.update_ratings(&m).unwrap(), p.update_ratings(&m.clone()).unwrap());
    }

    #[test]
    fn expected_score_is_complementary(a in arb_state(), b in arb_state()) {
        let p = provider();
        let (x, y) = (participant(1, a).rating, participant(2, b).rating);
        let sum = p.expected_score(&[x], &[y]) + p.expected_score(&[y], &[x]);
        prop_assert!((999..=1001).contains(&sum));
        let _ = SCALE;
    }
}

// ---- configured keys: each test sets a non-default value and checks its effect ----

/// A Glicko-2 provider from the `[glicko2]` section given as TOML text.
fn configured(glicko2: &str) -> Glicko2Provider {
    let c = crate::config::tests::parse(&format!("[glicko2]\n{glicko2}"));
    Glicko2Provider::new(c.glicko2, c.information).unwrap()
}

#[test]
fn initial_values_set_a_new_players_rating() {
    let p = configured("initial_rating = 1200\ninitial_deviation = 250\ninitial_volatility = 0.09");
    let fresh = p.initial_rating(player(1, 0, 0).rating.player_id);
    assert_eq!(fresh.rating, FixedRating::from_points(1200, 250, 90_000));
    assert_eq!(fresh.games_played, 0);
    assert_eq!(p.display_rating(&fresh), "1200 ± 250");
    let default = provider().initial_rating(fresh.player_id);
    assert_eq!(default.rating, FixedRating::from_points(1500, 350, 60_000));
}

#[test]
fn max_rating_lets_the_strongest_player_stand_for_the_team() {
    // Equal deviations: the weighted average of 1800 and 1200 is 1500, an even match against
    // two 1500s; with max_rating the team is seen as its 1800.
    let split = [player(1, 1800, 50).rating, player(2, 1200, 50).rating];
    let even = [player(3, 1500, 50).rating, player(4, 1500, 50).rating];
    let max = configured("team_rating_method = \"max_rating\"");
    assert_eq!(provider().expected_score(&split, &even), 500);
    assert!(max.expected_score(&split, &even) > 800);
    assert!(
        max.match_quality(&split, &even).fairness
            < provider().match_quality(&split, &even).fairness
    );
    // The update uses the same composite: losing to a team seen as an 1800 costs less than
    // losing to one seen as a 1500.
    let mut m = duel(player(1, 1500, 50), player(3, 1500, 50), 1, 2);
    m.teams[0].players = vec![player(1, 1800, 50), player(2, 1200, 50)];
    m.teams[1].players = vec![player(3, 1500, 50), player(4, 1500, 50)];
    let averaged = provider().update_ratings(&m).unwrap();
    let maxed = max.update_ratings(&m).unwrap();
    assert!(maxed[2].rating.rating > averaged[2].rating.rating);
    assert!(maxed[2].rating.rating < 1_500_000);
}

#[test]
fn provisional_deviation_sets_the_provisional_threshold() {
    let p = configured("provisional_deviation = 200");
    let settling = player(1, 1500, 150).rating;
    assert!(provider().is_provisional(&settling));
    assert!(!p.is_provisional(&settling));
    assert!(!p.is_provisional(&player(1, 1500, 200).rating));
    assert!(p.is_provisional(&player(1, 1500, 201).rating));
}
