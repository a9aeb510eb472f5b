//! The matchmaker without a network: a simulated evening of 2,000 players arriving at random,
//! matched by the widening-window pass and, in the same run, by fixed-window matching; then
//! one pass over 1k, 10k and 100k queued tickets and how its time grows.
//!
//! Run: `cargo bench -p ic-server --bench matchmaking` (prints tables).
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)] // benchmark harness

use std::time::{Duration, Instant};

use ic_server::matchmaking::pacing::pass_interval_ms;
use ic_server::matchmaking::{
    MatchmakingSettings, Member, Proposal, QueueEntry, QueueMode, RecentPairs, run_pass,
};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use ranking::description::{PlayerId, PlayerRating};
use ranking::{FixedRating, RankingConfig, RankingProvider, provider_for};
use scr::PlayerKey;

const PLAYERS: usize = 2000;
/// Arrivals spread uniformly over this long (about 33 a minute).
const ARRIVAL_SPAN_MS: u64 = 60 * 60 * 1000;
/// The simulation stops this long after the last arrival; whoever still waits is unmatched.
const TAIL_MS: u64 = 15 * 60 * 1000;

/// A normal sample (Box-Muller; `rand_distr` is not a dependency for one formula).
fn normal(rng: &mut StdRng, mean: f64, sd: f64) -> f64 {
    let (u, v): (f64, f64) = (rng.r#gen::<f64>().max(1e-12), rng.r#gen());
    mean + sd * (-2.0 * u.ln()).sqrt() * (2.0 * std::f64::consts::PI * v).cos()
}

/// A player with a realistic rating: N(1500, 300) clamped to 100–3000; deviation 50–150 for
/// most, 350 for the one in ten who is new.
fn player(rng: &mut StdRng, id: u64, joined_ms: u64) -> QueueEntry {
    let rating = normal(rng, 1500.0, 300.0).clamp(100.0, 3000.0);
    let deviation = if rng.gen_bool(0.1) {
        350.0
    } else {
        rng.gen_range(50.0..150.0)
    };
    let mut key = [0u8; 32];
    key[..8].copy_from_slice(&id.to_le_bytes());
    QueueEntry {
        id,
        members: vec![Member {
            key: PlayerKey::from_bytes(key),
            rating: PlayerRating {
                player_id: PlayerId(key),
                rating: FixedRating::from_f64(rating, deviation, 0.06).unwrap(),
                games_played: 30,
            },
        }],
        joined_ms,
        counted_from_ms: joined_ms,
        front: false,
        regions: Vec::new(),
        avoid: Vec::new(),
        in_placement: false,
    }
}

/// How one matcher did over the simulated evening.
struct Outcome {
    waits_secs: Vec<f64>,
    gaps: Vec<f64>,
    below_floor: usize,
    unmatched: usize,
}

/// Drives `pass` over the arrivals: runs it whenever `interval` says, drops matched entries.
fn simulate(
    arrivals: &[QueueEntry],
    provider: &dyn RankingProvider,
    settings: &MatchmakingSettings,
    pass: impl Fn(&[QueueEntry], u64) -> Vec<Proposal>,
    interval: impl Fn(usize) -> u64,
) -> Outcome {
    let mut queue: Vec<QueueEntry> = Vec::new();
    let mut next_arrival = 0;
    let mut now = 0;
    let mut outcome = Outcome {
        waits_secs: Vec::new(),
        gaps: Vec::new(),
        below_floor: 0,
        unmatched: 0,
    };
    let end = ARRIVAL_SPAN_MS + TAIL_MS;
    while now <= end {
        while next_arrival < arrivals.len() && arrivals[next_arrival].joined_ms <= now {
            queue.push(arrivals[next_arrival].clone());
            next_arrival += 1;
        }
        let found = pass(&queue, now);
        let mut matched = std::collections::HashSet::new();
        for proposal in &found {
            let entry = |id: u64| queue.iter().find(|e| e.id == id).unwrap();
            let (a, b) = (entry(proposal.teams[0][0]), entry(proposal.teams[1][0]));
            let quality = provider.match_quality(&[a.members[0].rating], &[b.members[0].rating]);
            if !settings.window.accepts(&quality, false) {
                outcome.below_floor += 1;
            }
            outcome.gaps.push(proposal.rating_gap);
            for e in [a, b] {
                outcome
                    .waits_secs
                    .push(now.saturating_sub(e.joined_ms) as f64 / 1000.0);
                matched.insert(e.id);
            }
        }
        queue.retain(|e| !matched.contains(&e.id));
        now += interval(queue.len());
    }
    outcome.unmatched = queue.len() + arrivals.len() - next_arrival;
    outcome
}

/// Fixed-window matching: the longest-waiting player takes the nearest rating within ±`half`,
/// never wider, with no quality check.
fn fixed_window(queue: &[QueueEntry], half: f64) -> Vec<Proposal> {
    let mut order: Vec<usize> = (0..queue.len()).collect();
    order.sort_by_key(|at| queue[*at].joined_ms);
    let mut taken = vec![false; queue.len()];
    let mut found = Vec::new();
    for &a in &order {
        if taken[a] {
            continue;
        }
        let ra = queue[a].rating_points();
        let best = (0..queue.len())
            .filter(|b| *b != a && !taken[*b])
            .map(|b| (b, (queue[b].rating_points() - ra).abs()))
            .filter(|(_, gap)| *gap <= half)
            .min_by(|x, y| x.1.total_cmp(&y.1));
        if let Some((b, gap)) = best {
            taken[a] = true;
            taken[b] = true;
            found.push(Proposal {
                teams: [vec![queue[a].id], vec![queue[b].id]],
                quality: ranking::MatchQuality::default(),
                rating_gap: gap,
            });
        }
    }
    found
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

fn report(name: &str, mut outcome: Outcome) {
    outcome.waits_secs.sort_by(f64::total_cmp);
    let matches = outcome.gaps.len();
    let mean_gap = outcome.gaps.iter().sum::<f64>() / matches.max(1) as f64;
    println!(
        "| {name} | {matches} | {:.0} s | {:.0} s | {mean_gap:.0} | {:.1}% | {} |",
        percentile(&outcome.waits_secs, 0.5),
        percentile(&outcome.waits_secs, 0.95),
        100.0 * outcome.below_floor as f64 / matches.max(1) as f64,
        outcome.unmatched,
    );
}

fn main() {
    let provider = provider_for(&RankingConfig::default()).unwrap();
    let provider = provider.as_ref();
    let settings = MatchmakingSettings::default();
    let mut rng = StdRng::seed_from_u64(2026);
    let mut joined: Vec<u64> = (0..PLAYERS)
        .map(|_| rng.gen_range(0..ARRIVAL_SPAN_MS))
        .collect();
    joined.sort_unstable();
    let arrivals: Vec<QueueEntry> = joined
        .iter()
        .enumerate()
        .map(|(id, at)| player(&mut rng, id as u64, *at))
        .collect();

    println!(
        "{PLAYERS} players arriving at random over {} min, ratings N(1500, 300); simulation ends {} min after the last arrival",
        ARRIVAL_SPAN_MS / 60_000,
        TAIL_MS / 60_000
    );
    println!();
    println!(
        "| matcher | matches | median wait | p95 wait | mean rating gap | below quality floor | unmatched at end |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|");
    let recent = RecentPairs::default();
    let widening = simulate(
        &arrivals,
        provider,
        &settings,
        |queue, now| {
            run_pass(
                queue,
                QueueMode::Ranked1v1,
                provider,
                &settings,
                &recent,
                now,
            )
        },
        |queued| pass_interval_ms(&settings, queued),
    );
    report(
        "widening window (100 +50/30 s, max 500, desperation 300 s, floor 0.3, adaptive pass)",
        widening,
    );
    for half in [100.0, 500.0] {
        let fixed = simulate(
            &arrivals,
            provider,
            &settings,
            |queue, _| fixed_window(queue, half),
            |_| 1000,
        );
        report(
            &format!("fixed window ±{half:.0}, pass every 1 s, no floor"),
            fixed,
        );
    }

    println!();
    println!(
        "| queued tickets | one pass (median of 5) | matches | time / (n log2 n) relative to 1k |"
    );
    println!("|---:|---:|---:|---:|");
    let mut base = None;
    for n in [1_000usize, 10_000, 100_000] {
        let mut rng = StdRng::seed_from_u64(n as u64);
        let now = 1_000_000;
        let queue: Vec<QueueEntry> = (0..n)
            .map(|id| {
                let joined = now - rng.gen_range(0..400_000);
                player(&mut rng, id as u64, joined)
            })
            .collect();
        let mut times: Vec<Duration> = Vec::new();
        let mut matches = 0;
        for _ in 0..5 {
            let started = Instant::now();
            let found = run_pass(
                &queue,
                QueueMode::Ranked1v1,
                provider,
                &settings,
                &recent,
                now,
            );
            times.push(started.elapsed());
            matches = found.len();
        }
        times.sort();
        let median = times[2];
        let per = median.as_secs_f64() / (n as f64 * (n as f64).log2());
        let base = *base.get_or_insert(per);
        println!(
            "| {n} | {:.2} ms | {matches} | {:.2} |",
            median.as_secs_f64() * 1000.0,
            per / base
        );
    }
}
