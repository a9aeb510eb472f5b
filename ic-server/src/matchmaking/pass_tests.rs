//! The pass's rules, each shown on a small queue, and its invariants over random queues.

use proptest::prelude::*;
use ranking::description::{PlayerId, PlayerRating};
use ranking::{FixedRating, RankingConfig, provider_for};

use super::*;
use crate::matchmaking::Member;

const SECOND: u64 = 1000;

fn provider() -> Box<dyn RankingProvider> {
    provider_for(&RankingConfig::default()).unwrap()
}

fn key(id: u64) -> PlayerKey {
    let mut bytes = [0u8; 32];
    bytes[..8].copy_from_slice(&id.to_le_bytes());
    PlayerKey::from_bytes(bytes)
}

fn member(id: u64, rating: i64, deviation: i64) -> Member {
    Member {
        key: key(id),
        rating: PlayerRating {
            player_id: PlayerId(*key(id).as_bytes()),
            rating: FixedRating::from_points(rating, deviation, 60_000),
            games_played: 20,
        },
    }
}

fn solo(id: u64, rating: i64, joined_ms: u64) -> QueueEntry {
    QueueEntry {
        id,
        members: vec![member(id, rating, 80)],
        joined_ms,
        counted_from_ms: joined_ms,
        front: false,
        regions: Vec::new(),
        avoid: Vec::new(),
        in_placement: false,
    }
}

fn pairs(proposals: &[Proposal]) -> Vec<(EntryId, EntryId)> {
    proposals
        .iter()
        .map(|p| {
            let (a, b) = (p.teams[0][0], p.teams[1][0]);
            (a.min(b), a.max(b))
        })
        .collect()
}

fn duel_pass(entries: &[QueueEntry], now_ms: u64) -> Vec<Proposal> {
    run_pass(
        entries,
        QueueMode::Ranked1v1,
        provider().as_ref(),
        &MatchmakingSettings::default(),
        &RecentPairs::default(),
        now_ms,
    )
}

#[test]
fn a_close_pair_is_matched_at_once() {
    let queue = [solo(1, 1500, 0), solo(2, 1560, 0)];
    assert_eq!(pairs(&duel_pass(&queue, 0)), vec![(1, 2)]);
}

#[test]
fn the_window_widens_with_waiting() {
    let queue = [solo(1, 1500, 0), solo(2, 1690, 0)];
    // ±100 at first, ±150 after 30 s, ±200 after 60 s.
    assert!(duel_pass(&queue, 0).is_empty());
    assert!(duel_pass(&queue, 59 * SECOND).is_empty());
    assert_eq!(pairs(&duel_pass(&queue, 60 * SECOND)), vec![(1, 2)]);
}

/// A low-priority entry as the matchmaker queues it: its wait counts after the default delay.
fn low_priority(mut entry: QueueEntry) -> QueueEntry {
    entry.counted_from_ms =
        entry.joined_ms + MatchmakingSettings::default().low_priority_delay_secs * SECOND;
    entry
}

#[test]
fn players_who_joined_later_are_matched_before_a_low_priority_one() {
    let early = solo(1, 1510, 0);
    let (a, b) = (solo(2, 1500, 10 * SECOND), solo(3, 1500, 20 * SECOND));
    // Normally the longest wait anchors first and takes one of the others.
    let normal = pairs(&duel_pass(
        &[early.clone(), a.clone(), b.clone()],
        30 * SECOND,
    ));
    assert_eq!(normal.len(), 1);
    assert_eq!(normal[0].0, 1);
    // Low priority: the others go first and, fairest together, leave it waiting.
    let sanctioned = low_priority(early);
    assert_eq!(
        pairs(&duel_pass(&[sanctioned, a, b], 30 * SECOND)),
        vec![(2, 3)]
    );
}

#[test]
fn a_low_priority_wait_does_not_widen_the_window_until_the_delay_passed() {
    let waiting = solo(1, 1500, 0);
    let newcomer = solo(2, 1700, 200 * SECOND);
    // After 200 s the window is ±400: the newcomer fits at once.
    assert_eq!(
        pairs(&duel_pass(
            &[waiting.clone(), newcomer.clone()],
            200 * SECOND
        )),
        vec![(1, 2)]
    );
    // Low priority: its wait has not started counting, so only the newcomer's window can
    // widen, which takes that player's own 60 s.
    let sanctioned = low_priority(waiting);
    assert!(duel_pass(&[sanctioned.clone(), newcomer.clone()], 259 * SECOND).is_empty());
    assert_eq!(
        pairs(&duel_pass(&[sanctioned, newcomer], 260 * SECOND)),
        vec![(1, 2)]
    );
}

#[test]
fn desperation_needs_three_queued_and_keeps_the_floor() {
    // 520 points apart: beyond the 500 maximum, fair enough only with wide deviations.
    let mut a = solo(1, 1500, 0);
    let mut b = solo(2, 2020, 0);
    a.members[0] = member(1, 1500, 350);
    b.members[0] = member(2, 2020, 350);
    let later = 300 * SECOND;
    assert!(duel_pass(&[a.clone(), b.clone()], later).is_empty());
    let third = solo(3, 3500, 0);
    assert_eq!(
        pairs(&duel_pass(&[a.clone(), b.clone(), third.clone()], later)),
        vec![(1, 2)]
    );
    assert!(duel_pass(&[a.clone(), b.clone(), third.clone()], later - SECOND).is_empty());
    // Certain ratings make the same gap hopeless: desperation never crosses the floor.
    let sure_a = solo(1, 1500, 0);
    let sure_b = solo(2, 2020, 0);
    assert!(duel_pass(&[sure_a, sure_b, third], later).is_empty());
}

#[test]
fn an_avoided_player_is_met_only_when_no_one_else_fits() {
    let mut avoider = solo(1, 1500, 0);
    avoider.avoid = vec![key(2)];
    let avoided = solo(2, 1500, 0);
    let other = solo(3, 1560, 0);
    assert_eq!(
        pairs(&duel_pass(
            &[avoider.clone(), avoided.clone(), other],
            SECOND
        )),
        vec![(1, 3)]
    );
    // A penalty, not a filter.
    assert_eq!(pairs(&duel_pass(&[avoider, avoided], SECOND)), vec![(1, 2)]);
}

#[test]
fn a_recent_pair_is_not_matched_again_while_others_fit() {
    let mut recent = RecentPairs::default();
    recent.record(key(1), key(2), 0);
    let settings = MatchmakingSettings::default();
    let run = |queue: &[QueueEntry]| {
        pairs(&run_pass(
            queue,
            QueueMode::Ranked1v1,
            provider().as_ref(),
            &settings,
            &recent,
            60 * SECOND,
        ))
    };
    let queue = [solo(1, 1500, 0), solo(2, 1500, 0), solo(3, 1580, 0)];
    assert_eq!(run(&queue), vec![(1, 3)]);
    assert_eq!(run(&queue[..2]), vec![(1, 2)]);
    // After the rematch window they are ordinary opponents again.
    let later = pairs(&run_pass(
        &queue,
        QueueMode::Ranked1v1,
        provider().as_ref(),
        &settings,
        &recent,
        901 * SECOND,
    ));
    assert_eq!(later, vec![(1, 2)]);
}

#[test]
fn requeued_entries_choose_first() {
    let queue = [solo(1, 1500, 0), solo(2, 1540, 10), solo(3, 1590, 50)];
    assert_eq!(pairs(&duel_pass(&queue, 60 * SECOND)), vec![(1, 2)]);
    let mut requeued = queue.clone();
    requeued[2].front = true;
    assert_eq!(pairs(&duel_pass(&requeued, 60 * SECOND)), vec![(2, 3)]);
}

#[test]
fn entries_without_a_shared_region_never_meet() {
    let mut eu = solo(1, 1500, 0);
    eu.regions = vec!["eu".into()];
    let mut na = solo(2, 1500, 0);
    na.regions = vec!["na".into()];
    assert!(duel_pass(&[eu.clone(), na.clone()], 0).is_empty());
    let anywhere = solo(3, 1500, 0);
    assert_eq!(pairs(&duel_pass(&[eu, na, anywhere], 0)).len(), 1);
}

#[test]
fn a_party_stays_together_and_teams_are_balanced() {
    let party = QueueEntry {
        id: 10,
        members: vec![member(10, 1700, 80), member(11, 1300, 80)],
        joined_ms: 0,
        counted_from_ms: 0,
        front: false,
        regions: Vec::new(),
        avoid: Vec::new(),
        in_placement: false,
    };
    // The fairest split by rating alone would pair 1700 with 1300 on both sides; the party
    // forces 1700+1300 against the two solos.
    let queue = [party, solo(1, 1490, 0), solo(2, 1510, 0)];
    let found = run_pass(
        &queue,
        QueueMode::RankedTeam { team_size: 2 },
        provider().as_ref(),
        &MatchmakingSettings::default(),
        &RecentPairs::default(),
        0,
    );
    assert_eq!(found.len(), 1);
    let mut teams = found[0].teams.clone();
    teams.sort();
    assert_eq!(teams, [vec![1, 2], vec![10]]);
}

fn arbitrary_queue() -> impl Strategy<Value = (Vec<QueueEntry>, u64)> {
    let entry = (800i64..2600, 40i64..350, 0u64..400, any::<bool>(), 0u8..3);
    (proptest::collection::vec(entry, 0..40), 0u64..600).prop_map(|(raw, now_secs)| {
        let regions = ["eu", "na"];
        let entries = raw
            .into_iter()
            .enumerate()
            .map(
                |(at, (rating, deviation, joined, placement, region))| QueueEntry {
                    id: at as u64,
                    members: vec![member(at as u64, rating, deviation)],
                    joined_ms: joined * SECOND,
                    counted_from_ms: joined * SECOND,
                    front: false,
                    regions: regions
                        .get(usize::from(region))
                        .map(|r| vec![r.to_string()])
                        .unwrap_or_default(),
                    avoid: Vec::new(),
                    in_placement: placement,
                },
            )
            .collect();
        (entries, (400 + now_secs) * SECOND)
    })
}

proptest! {
    #[test]
    fn every_match_respects_window_floor_and_regions((queue, now) in arbitrary_queue()) {
        let settings = MatchmakingSettings::default();
        let provider = provider();
        let found = run_pass(
            &queue,
            QueueMode::Ranked1v1,
            provider.as_ref(),
            &settings,
            &RecentPairs::default(),
            now,
        );
        let mut seen = std::collections::HashSet::new();
        let queued = queue.len() as u32;
        for proposal in &found {
            let a = &queue[proposal.teams[0][0] as usize];
            let b = &queue[proposal.teams[1][0] as usize];
            prop_assert!(seen.insert(a.id) && seen.insert(b.id), "an entry matched twice");
            let quality = provider.match_quality(&[a.members[0].rating], &[b.members[0].rating]);
            prop_assert!(settings.window.accepts(&quality, a.in_placement || b.in_placement));
            prop_assert!(a.shares_region(b));
            let fits = |e: &QueueEntry| {
                match settings.window.rating_window(e.waited_secs(now), queued) {
                    RatingWindow::Unbounded => true,
                    RatingWindow::Within(half) => proposal.rating_gap <= f64::from(half) + 1e-9,
                }
            };
            prop_assert!(fits(a) || fits(b), "gap {} outside both windows", proposal.rating_gap);
        }
    }
}
