//! Match updates per second of the ranking providers against calling `skillratings` directly
//! with the same players in the same run, for a 1v1 and a 4v4.

// criterion's macros generate undocumented functions, and a bench whose setup fails has nothing
// to measure, so stopping with a message is the right behaviour here.
#![allow(missing_docs, clippy::expect_used)]

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use ranking::{
    EloConfig, EloProvider, FixedRating, Glicko2Config, Glicko2Provider, InformationConfig,
    MatchDescription, MatchEnd, MatchMode, Participant, PlayerId, PlayerRating, RankingProvider,
    Team, WengLinConfig, WengLinProvider,
};
use skillratings::Outcomes;
use skillratings::elo::{EloConfig as SrEloConfig, EloRating, elo};
use skillratings::glicko2::{
    Glicko2Config as SrGlicko2Config, Glicko2Rating, glicko2, glicko2_rating_period,
};
use skillratings::weng_lin::{WengLinConfig as SrWengLinConfig, WengLinRating, weng_lin_two_teams};

/// (rating, deviation, volatility×1e6) of eight players: the first four are team A.
const PLAYERS: [(i64, i64, i64); 8] = [
    (1620, 80, 60_000),
    (1480, 120, 59_000),
    (1710, 65, 61_000),
    (1390, 200, 60_000),
    (1550, 90, 60_000),
    (1600, 110, 60_500),
    (1450, 150, 59_500),
    (1500, 300, 60_000),
];

fn participant(i: usize, scale_to_weng_lin: bool) -> Participant {
    let (r, d, v) = PLAYERS[i];
    let rating = if scale_to_weng_lin {
        // Same players on OpenSkill's scale: μ = 25 + (r − 1500) / 60, σ = d / 60.
        FixedRating {
            rating: 25_000 + (r - 1500) * 1000 / 60,
            deviation: d * 1000 / 60,
            volatility: 0,
        }
    } else {
        FixedRating::from_points(r, d, v)
    };
    let mut key = [0u8; 32];
    key[0] = i as u8 + 1;
    Participant {
        rating: PlayerRating {
            player_id: PlayerId(key),
            rating,
            games_played: 30,
        },
        idle_periods: 0,
    }
}

fn description(team_size: usize, weng_lin: bool) -> MatchDescription {
    let team = |offset: usize, placement| Team {
        players: (offset..offset + team_size)
            .map(|i| participant(i, weng_lin))
            .collect(),
        placement,
    };
    MatchDescription {
        teams: vec![team(0, 1), team(4, 2)],
        end: MatchEnd::Completed,
        mode: MatchMode::Ranked,
        duration_ticks: 20_000,
        tick_rate: 15,
        prior_meetings: 0,
        external_weight: 1000,
    }
}

fn library_glicko2(i: usize) -> Glicko2Rating {
    let (r, d, v) = PLAYERS[i];
    Glicko2Rating {
        rating: r as f64,
        deviation: d as f64,
        volatility: v as f64 / 1e6,
    }
}

/// The 1/RD-weighted composite written inline, as a caller of `skillratings` would have to.
fn library_composite(team: &[Glicko2Rating]) -> Glicko2Rating {
    let weights: f64 = team.iter().map(|p| 1.0 / p.deviation).sum();
    let rating = team.iter().map(|p| p.rating / p.deviation).sum::<f64>() / weights;
    Glicko2Rating {
        rating,
        deviation: team.len() as f64 / weights,
        volatility: 0.06,
    }
}

fn bench(c: &mut Criterion) {
    let glicko = Glicko2Provider::new(Glicko2Config::default(), InformationConfig::default())
        .expect("default config is valid");
    let elo_provider = EloProvider::new(EloConfig::default(), InformationConfig::default())
        .expect("default config is valid");
    let weng_lin = WengLinProvider::new(WengLinConfig::default(), InformationConfig::default())
        .expect("default config is valid");

    let mut one = c.benchmark_group("update_1v1");
    one.throughput(Throughput::Elements(1));
    let duel = description(1, false);
    let duel_players = (library_glicko2(0), library_glicko2(4));
    one.bench_function("glicko2/ranking", |b| {
        b.iter(|| glicko.update_ratings(black_box(&duel)))
    });
    one.bench_function("glicko2/skillratings", |b| {
        b.iter(|| {
            glicko2(
                black_box(&duel_players.0),
                black_box(&duel_players.1),
                &Outcomes::WIN,
                &SrGlicko2Config::new(),
            )
        })
    });
    one.bench_function("elo/ranking", |b| {
        b.iter(|| elo_provider.update_ratings(black_box(&duel)))
    });
    one.bench_function("elo/skillratings", |b| {
        b.iter(|| {
            elo(
                black_box(&EloRating { rating: 1620.0 }),
                black_box(&EloRating { rating: 1550.0 }),
                &Outcomes::WIN,
                &SrEloConfig::new(),
            )
        })
    });
    one.finish();

    let mut four = c.benchmark_group("update_4v4");
    four.throughput(Throughput::Elements(1));
    let team_game = description(4, false);
    let team_a: Vec<Glicko2Rating> = (0..4).map(library_glicko2).collect();
    let team_b: Vec<Glicko2Rating> = (4..8).map(library_glicko2).collect();
    four.bench_function("glicko2/ranking", |b| {
        b.iter(|| glicko.update_ratings(black_box(&team_game)))
    });
    four.bench_function("glicko2/skillratings", |b| {
        b.iter(|| {
            let (a, b) = (black_box(&team_a), black_box(&team_b));
            let (ca, cb) = (library_composite(a), library_composite(b));
            let config = SrGlicko2Config::new();
            let mut out = Vec::with_capacity(8);
            for p in a {
                out.push(glicko2_rating_period(p, &[(cb, Outcomes::WIN)], &config));
            }
            for p in b {
                out.push(glicko2_rating_period(p, &[(ca, Outcomes::LOSS)], &config));
            }
            out
        })
    });
    let weng_lin_game = description(4, true);
    let to_library = |p: &Participant| WengLinRating {
        rating: p.rating.rating.rating_f64(),
        uncertainty: p.rating.rating.deviation_f64(),
    };
    let wl_a: Vec<WengLinRating> = weng_lin_game.teams[0]
        .players
        .iter()
        .map(to_library)
        .collect();
    let wl_b: Vec<WengLinRating> = weng_lin_game.teams[1]
        .players
        .iter()
        .map(to_library)
        .collect();
    four.bench_function("weng_lin/ranking", |b| {
        b.iter(|| weng_lin.update_ratings(black_box(&weng_lin_game)))
    });
    four.bench_function("weng_lin/skillratings", |b| {
        b.iter(|| {
            weng_lin_two_teams(
                black_box(&wl_a),
                black_box(&wl_b),
                &Outcomes::WIN,
                &SrWengLinConfig::new(),
            )
        })
    });
    four.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .sample_size(30)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2));
    targets = bench
}
criterion_main!(benches);
