//! One matching pass over a queue: the longest-waiting entries first (requeued ones before
//! all), each matched with the best acceptable opponents near its rating inside the window.
//!
//! Rules: two entries may meet when their rating gap fits the wider of their two windows (the
//! longer wait decides; a low-priority entry's wait counts only after a delay); the ranking crate's quality floor is never crossed, not even in
//! desperation; avoided players and (in 1v1) a recent pair are penalised, never filtered.

use std::collections::HashMap;

use ranking::RankingProvider;
use ranking::matchmaking::{MatchmakingConfig, RatingWindow};
use ranking::quality::MatchQuality;
use scr::PlayerKey;

use super::entry::composite_points;
use super::lobby::{avoid_penalty, best_split};
use super::nearest::{RatingIndex, RatingKey, rating_key};
use super::{EntryId, MatchmakingSettings, QueueEntry, QueueMode};

/// Most candidates looked at for one entry whatever else holds, so a pass stays O(n log n)
/// even when nobody near is acceptable.
const MAX_EXAMINED: usize = 64;

/// The ranking crate's fairness scale tops out here.
const MAX_FAIRNESS: i32 = 1000;

/// A match the pass found; it goes to a ready check.
#[derive(Debug, Clone, PartialEq)]
pub struct Proposal {
    /// Entry ids of each team.
    pub teams: [Vec<EntryId>; 2],
    /// Quality of the match.
    pub quality: MatchQuality,
    /// Gap between the two teams' composite ratings, in rating points.
    pub rating_gap: f64,
}

/// 1v1 pairs that met lately, so the same two are not matched again at once.
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
pub struct RecentPairs {
    #[serde(with = "super::map_as_list")]
    met: HashMap<(PlayerKey, PlayerKey), u64>,
}

fn pair(a: PlayerKey, b: PlayerKey) -> (PlayerKey, PlayerKey) {
    if a <= b { (a, b) } else { (b, a) }
}

impl RecentPairs {
    /// Remembers that `a` and `b` were matched at `now_ms`.
    pub fn record(&mut self, a: PlayerKey, b: PlayerKey, now_ms: u64) {
        self.met.insert(pair(a, b), now_ms);
    }

    /// Whether `a` and `b` were matched within the last `window_secs`.
    pub fn met_recently(&self, a: PlayerKey, b: PlayerKey, now_ms: u64, window_secs: u64) -> bool {
        self.met
            .get(&pair(a, b))
            .is_some_and(|at| now_ms.saturating_sub(*at) < window_secs * 1000)
    }

    /// Forgets pairs older than `window_secs`.
    pub fn prune(&mut self, now_ms: u64, window_secs: u64) {
        self.met
            .retain(|_, at| now_ms.saturating_sub(*at) < window_secs * 1000);
    }
}

/// Runs one pass over `entries` (one queue) at `now_ms`; returns the matches found, each
/// entry in at most one.
pub fn run_pass(
    entries: &[QueueEntry],
    mode: QueueMode,
    provider: &dyn RankingProvider,
    settings: &MatchmakingSettings,
    recent: &RecentPairs,
    now_ms: u64,
) -> Vec<Proposal> {
    let queued: usize = entries.iter().map(|e| e.members.len()).sum();
    let queued = u32::try_from(queued).unwrap_or(u32::MAX);
    let window = &settings.window;
    let keys: Vec<RatingKey> = entries
        .iter()
        .map(|e| rating_key(e.rating_points()))
        .collect();
    let halves: Vec<Option<u64>> = entries
        .iter()
        .map(
            |e| match window.rating_window(e.waited_secs(now_ms), queued) {
                RatingWindow::Within(half) => Some(u64::from(half) * 1000),
                RatingWindow::Unbounded => None,
            },
        )
        .collect();
    let widest = halves
        .iter()
        .try_fold(0u64, |widest, half| half.map(|h| widest.max(h)));
    let pass = Pass {
        entries,
        keys: &keys,
        halves: &halves,
        widest,
        provider,
        settings,
        window,
        recent,
        now_ms,
    };

    let mut index = RatingIndex::new(
        keys.iter()
            .zip(entries)
            .enumerate()
            .map(|(at, (key, entry))| (*key, entry.id, at)),
    );
    let mut order: Vec<usize> = (0..entries.len()).collect();
    order.sort_by_key(|&at| {
        let entry = &entries[at];
        (!entry.front, entry.counted_from_ms, entry.id)
    });
    let mut taken = vec![false; entries.len()];
    let mut proposals = Vec::new();
    for anchor in order {
        if taken[anchor] {
            continue;
        }
        let found = if mode.team_size() == 1 {
            pass.duel(anchor, &index)
        } else {
            pass.lobby(anchor, mode.team_size(), &index)
        };
        let Some((teams, quality)) = found else {
            continue;
        };
        for &at in teams.iter().flatten() {
            taken[at] = true;
            index.remove(keys[at], entries[at].id);
        }
        let side = |team: &[usize]| {
            composite_points(
                team.iter()
                    .flat_map(|at| entries[*at].members.iter().map(|m| &m.rating)),
            )
        };
        proposals.push(Proposal {
            rating_gap: (side(&teams[0]) - side(&teams[1])).abs(),
            teams: teams.map(|team| team.iter().map(|at| entries[*at].id).collect()),
            quality,
        });
    }
    proposals
}

/// What one pass knows about every entry.
struct Pass<'a> {
    entries: &'a [QueueEntry],
    keys: &'a [RatingKey],
    /// Half-width of each entry's window in rating thousandths; `None` when unbounded.
    halves: &'a [Option<u64>],
    /// The widest window of all; `None` when one is unbounded.
    widest: Option<u64>,
    provider: &'a dyn RankingProvider,
    settings: &'a MatchmakingSettings,
    window: &'a MatchmakingConfig,
    recent: &'a RecentPairs,
    now_ms: u64,
}

impl Pass<'_> {
    /// Whether `gap` fits the wider of the two entries' windows.
    fn within(&self, a: usize, b: usize, gap: u64) -> bool {
        match (self.halves[a], self.halves[b]) {
            (Some(x), Some(y)) => gap <= x.max(y),
            _ => true,
        }
    }

    /// Whether no entry further than `gap` from `anchor` can fit any window.
    fn beyond_reach(&self, anchor: usize, gap: u64) -> bool {
        match (self.halves[anchor], self.widest) {
            (Some(own), Some(widest)) => gap > own.max(widest),
            _ => false,
        }
    }

    /// The best opponent for a solo `anchor`: no recent rematch before a rematch, then the
    /// highest fairness less avoid penalties; the nearest rating wins ties.
    fn duel(&self, anchor: usize, index: &RatingIndex) -> Option<([Vec<usize>; 2], MatchQuality)> {
        let a = &self.entries[anchor];
        let a_member = a.members.first()?;
        // (not a rematch, score), position, quality, clean (neither rematch nor avoided)
        let mut best: Option<((bool, i32), usize, MatchQuality, bool)> = None;
        let (mut examined, mut acceptable) = (0, 0);
        for (gap, at) in index.nearest(self.keys[anchor]) {
            if at == anchor {
                continue;
            }
            if self.beyond_reach(anchor, gap) || examined == MAX_EXAMINED {
                break;
            }
            examined += 1;
            let b = &self.entries[at];
            let Some(b_member) = b.members.first() else {
                continue;
            };
            if b.members.len() != 1 || !self.within(anchor, at, gap) || !a.shares_region(b) {
                continue;
            }
            let quality = self
                .provider
                .match_quality(&[a_member.rating], &[b_member.rating]);
            if !self
                .window
                .accepts(&quality, a.in_placement || b.in_placement)
            {
                continue;
            }
            acceptable += 1;
            let mut penalty = 0;
            if a.avoids(b) {
                penalty += avoid_penalty(self.settings, a.waited_secs(self.now_ms));
            }
            if b.avoids(a) {
                penalty += avoid_penalty(self.settings, b.waited_secs(self.now_ms));
            }
            let rematch = self.recent.met_recently(
                a_member.key,
                b_member.key,
                self.now_ms,
                self.settings.rematch_window_secs,
            );
            let rank = (!rematch, quality.fairness - penalty);
            let clean = !rematch && !a.avoids(b) && !b.avoids(a);
            if best.is_none_or(|(best_rank, ..)| rank > best_rank) {
                best = Some((rank, at, quality, clean));
            }
            // Nothing beats a clean, perfectly fair opponent (ties go to the nearer one).
            let best_clean = best.is_some_and(|(.., clean)| clean);
            let perfect = best.is_some_and(|((_, score), ..)| score >= MAX_FAIRNESS);
            if best_clean && (perfect || acceptable >= 2 * self.settings.neighbours) {
                break;
            }
        }
        best.map(|(_, at, quality, _)| ([vec![anchor], vec![at]], quality))
    }

    /// A team match around `anchor`: the nearest entries that fill both teams exactly (parties
    /// whole), split as fairly as possible, if the split clears the quality floor.
    fn lobby(
        &self,
        anchor: usize,
        team_size: usize,
        index: &RatingIndex,
    ) -> Option<([Vec<usize>; 2], MatchQuality)> {
        let need = 2 * team_size;
        let a = &self.entries[anchor];
        if a.members.len() > team_size {
            return None;
        }
        let mut chosen = vec![anchor];
        let mut total = a.members.len();
        let mut examined = 0;
        for (gap, at) in index.nearest(self.keys[anchor]) {
            if total == need || self.beyond_reach(anchor, gap) || examined == MAX_EXAMINED {
                break;
            }
            if at == anchor {
                continue;
            }
            examined += 1;
            let entry = &self.entries[at];
            let size = entry.members.len();
            if size > team_size
                || total + size > need
                || !self.within(anchor, at, gap)
                || !chosen.iter().all(|c| self.entries[*c].shares_region(entry))
            {
                continue;
            }
            chosen.push(at);
            total += size;
        }
        if total != need {
            return None;
        }
        let lobby: Vec<&QueueEntry> = chosen.iter().map(|at| &self.entries[*at]).collect();
        let split = best_split(&lobby, team_size, self.provider, self.settings, self.now_ms)?;
        let placement = lobby.iter().any(|e| e.in_placement);
        if !self.window.accepts(&split.quality, placement) {
            return None;
        }
        let teams = split
            .teams
            .map(|team| team.iter().map(|at| chosen[*at]).collect());
        Some((teams, split.quality))
    }
}

#[cfg(test)]
#[path = "pass_tests.rs"]
mod tests;
