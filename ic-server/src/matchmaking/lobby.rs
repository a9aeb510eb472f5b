//! Splitting the entries chosen for a team match into two teams: every party whole on one
//! side, equal team sizes, the fairest split by the ranking crate's match quality, avoided
//! players kept apart (as teammates first, then as opponents).

use ranking::RankingProvider;
use ranking::description::PlayerRating;
use ranking::quality::MatchQuality;

use super::{MatchmakingSettings, QueueEntry};

/// The chosen split.
#[derive(Debug, Clone, PartialEq)]
pub struct Split {
    /// Positions (into the entries given) of team A, then team B.
    pub teams: [Vec<usize>; 2],
    /// Quality of the match as split.
    pub quality: MatchQuality,
    /// Fairness minus avoid penalties: what the split was chosen by.
    pub score: i32,
}

/// Most entries a lobby may hold (two teams of three solo players).
const MAX_ENTRIES: usize = 6;

/// The best split of `entries` into two teams of `team_size` players, or `None` when no split
/// gives equal teams (or there are too many entries to search).
pub fn best_split(
    entries: &[&QueueEntry],
    team_size: usize,
    provider: &dyn RankingProvider,
    settings: &MatchmakingSettings,
    now_ms: u64,
) -> Option<Split> {
    if entries.is_empty() || entries.len() > MAX_ENTRIES {
        return None;
    }
    let mut best: Option<Split> = None;
    // Entry 0 always on team A: each split is tried once, not twice mirrored.
    for mask in 0u32..(1 << (entries.len() - 1)) {
        let on_b = |at: usize| at > 0 && mask & (1 << (at - 1)) != 0;
        let size_a: usize = (0..entries.len())
            .filter(|at| !on_b(*at))
            .map(|at| entries[at].members.len())
            .sum();
        let size_b: usize = entries.iter().map(|e| e.members.len()).sum::<usize>() - size_a;
        if size_a != team_size || size_b != team_size {
            continue;
        }
        let teams: [Vec<usize>; 2] = [
            (0..entries.len()).filter(|at| !on_b(*at)).collect(),
            (0..entries.len()).filter(|at| on_b(*at)).collect(),
        ];
        let ratings = |team: &[usize]| -> Vec<PlayerRating> {
            team.iter()
                .flat_map(|at| entries[*at].members.iter().map(|m| m.rating))
                .collect()
        };
        let quality = provider.match_quality(&ratings(&teams[0]), &ratings(&teams[1]));
        let score = quality.fairness - split_penalty(entries, &teams, settings, now_ms);
        if best.as_ref().is_none_or(|b| score > b.score) {
            best = Some(Split {
                teams,
                quality,
                score,
            });
        }
    }
    best
}

/// Penalty for avoided players placed together (doubled: avoiding a teammate comes first)
/// or against each other.
fn split_penalty(
    entries: &[&QueueEntry],
    teams: &[Vec<usize>; 2],
    settings: &MatchmakingSettings,
    now_ms: u64,
) -> i32 {
    let team_of = |at: usize| usize::from(teams[1].contains(&at));
    let mut penalty = 0;
    for a in 0..entries.len() {
        for b in 0..entries.len() {
            if a != b && entries[a].avoids(entries[b]) {
                let weight = if team_of(a) == team_of(b) { 2 } else { 1 };
                penalty += weight * avoid_penalty(settings, entries[a].waited_secs(now_ms));
            }
        }
    }
    penalty
}

/// The avoid penalty for an avoider who has waited `waited_secs`: full at first, relaxing
/// linearly to nothing over `avoid_relax_secs`.
pub fn avoid_penalty(settings: &MatchmakingSettings, waited_secs: u64) -> i32 {
    let relax = settings.avoid_relax_secs.max(1);
    let left = relax.saturating_sub(waited_secs);
    (i64::from(settings.avoid_penalty) * left as i64 / relax as i64) as i32
}
