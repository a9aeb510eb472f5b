//! Desync detection: compares players' sync hashes every `cadence` ticks.
//! A lone divergent player is dropped after 3 consecutive checks (3+ players); anything else ends the match.

use std::collections::{BTreeMap, BTreeSet};

use crate::ids::{PlayerSlot, SimTick};

/// Consecutive checks a lone divergent player may fail before it is dropped.
pub const DROP_AFTER_CONSECUTIVE: u8 = 3;

/// What one comparison decided.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DesyncVerdict {
    /// Every reporter agreed.
    InSync {
        /// The compared tick.
        tick: SimTick,
    },
    /// One player differs from a majority; it is watched.
    Suspect {
        /// The compared tick.
        tick: SimTick,
        /// The divergent player.
        player: PlayerSlot,
        /// Consecutive divergent checks so far.
        consecutive: u8,
    },
    /// One player diverged in enough consecutive checks and leaves the match.
    Drop {
        /// The compared tick.
        tick: SimTick,
        /// The divergent player.
        player: PlayerSlot,
    },
    /// No attributable majority: the match ends.
    Terminate {
        /// The first tick that ever diverged.
        first_divergence_tick: SimTick,
    },
}

/// Collects sync hashes and compares them at a cadence.
#[derive(Clone, Debug)]
pub struct DesyncDetector {
    cadence: u64,
    reports: BTreeMap<SimTick, BTreeMap<PlayerSlot, u64>>,
    consecutive: BTreeMap<PlayerSlot, u8>,
    first_divergence: Option<SimTick>,
    compared_up_to: Option<SimTick>,
}

impl DesyncDetector {
    /// Compares hashes of every `cadence`-th tick (at least 1).
    pub fn new(cadence: u64) -> Self {
        Self {
            cadence: cadence.max(1),
            reports: BTreeMap::new(),
            consecutive: BTreeMap::new(),
            first_divergence: None,
            compared_up_to: None,
        }
    }

    /// The first tick whose hashes diverged, if any.
    pub fn first_divergence(&self) -> Option<SimTick> {
        self.first_divergence
    }

    /// Stores a report if its tick is on the cadence and not yet compared; others are ignored.
    pub fn record(&mut self, player: PlayerSlot, tick: SimTick, hash: u64) {
        let compared = self.compared_up_to.is_some_and(|done| tick <= done);
        if tick % self.cadence == 0 && !compared {
            self.reports.entry(tick).or_default().insert(player, hash);
        }
    }

    /// Compares every pending tick whose reports are complete, or whose grace ran out by
    /// `now_tick`. `expected` are the players still in the match.
    pub fn evaluate(
        &mut self,
        now_tick: SimTick,
        expected: &BTreeSet<PlayerSlot>,
    ) -> Vec<DesyncVerdict> {
        let mut verdicts = Vec::new();
        let ready: Vec<SimTick> = self
            .reports
            .iter()
            .filter(|(tick, hashes)| {
                let complete = expected.iter().all(|p| hashes.contains_key(p));
                let overdue = now_tick >= tick.saturating_add(2 * self.cadence);
                complete || overdue
            })
            .map(|(tick, _)| *tick)
            .collect();
        for tick in ready {
            let Some(hashes) = self.reports.remove(&tick) else {
                continue;
            };
            self.compared_up_to = Some(tick);
            let hashes: BTreeMap<PlayerSlot, u64> = hashes
                .into_iter()
                .filter(|(p, _)| expected.contains(p))
                .collect();
            if let Some(verdict) = self.compare(tick, &hashes) {
                let terminal = matches!(verdict, DesyncVerdict::Terminate { .. });
                verdicts.push(verdict);
                if terminal {
                    break;
                }
            }
        }
        verdicts
    }

    fn compare(
        &mut self,
        tick: SimTick,
        hashes: &BTreeMap<PlayerSlot, u64>,
    ) -> Option<DesyncVerdict> {
        if hashes.len() < 2 {
            return None;
        }
        let mut groups: BTreeMap<u64, Vec<PlayerSlot>> = BTreeMap::new();
        for (player, hash) in hashes {
            groups.entry(*hash).or_default().push(*player);
        }
        if groups.len() == 1 {
            self.consecutive.clear();
            return Some(DesyncVerdict::InSync { tick });
        }
        let first = *self.first_divergence.get_or_insert(tick);
        let majority = groups.values().find(|g| g.len() * 2 > hashes.len());
        let outsiders: Vec<PlayerSlot> = match majority {
            Some(majority) => hashes
                .keys()
                .filter(|p| !majority.contains(p))
                .copied()
                .collect(),
            None => Vec::new(),
        };
        if hashes.len() >= 3
            && let [player] = outsiders[..]
        {
            self.consecutive.retain(|p, _| *p == player);
            let count = self.consecutive.entry(player).or_insert(0);
            *count += 1;
            let consecutive = *count;
            if consecutive >= DROP_AFTER_CONSECUTIVE {
                self.consecutive.remove(&player);
                return Some(DesyncVerdict::Drop { tick, player });
            }
            return Some(DesyncVerdict::Suspect {
                tick,
                player,
                consecutive,
            });
        }
        Some(DesyncVerdict::Terminate {
            first_divergence_tick: first,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn players(n: u8) -> BTreeSet<PlayerSlot> {
        (0..n).map(PlayerSlot).collect()
    }

    #[test]
    fn two_players_that_disagree_end_the_match_at_the_first_divergent_tick() {
        let mut d = DesyncDetector::new(30);
        d.record(PlayerSlot(0), 30, 1);
        d.record(PlayerSlot(1), 30, 1);
        assert_eq!(
            d.evaluate(31, &players(2)),
            vec![DesyncVerdict::InSync { tick: 30 }]
        );
        d.record(PlayerSlot(0), 60, 1);
        d.record(PlayerSlot(1), 60, 2);
        assert_eq!(
            d.evaluate(61, &players(2)),
            vec![DesyncVerdict::Terminate {
                first_divergence_tick: 60
            }]
        );
    }

    #[test]
    fn a_lone_divergent_player_is_dropped_on_the_third_consecutive_check() {
        let mut d = DesyncDetector::new(10);
        let mut verdicts = Vec::new();
        for check in 1..=3u64 {
            for p in 0..4 {
                d.record(PlayerSlot(p), check * 10, if p == 2 { 99 } else { 7 });
            }
            verdicts.extend(d.evaluate(check * 10, &players(4)));
        }
        assert_eq!(
            verdicts,
            vec![
                DesyncVerdict::Suspect {
                    tick: 10,
                    player: PlayerSlot(2),
                    consecutive: 1
                },
                DesyncVerdict::Suspect {
                    tick: 20,
                    player: PlayerSlot(2),
                    consecutive: 2
                },
                DesyncVerdict::Drop {
                    tick: 20 + 10,
                    player: PlayerSlot(2)
                },
            ]
        );
        assert_eq!(d.first_divergence(), Some(10));
    }

    #[test]
    fn re_converging_resets_the_count_and_two_outsiders_terminate() {
        let mut d = DesyncDetector::new(1);
        let all = players(3);
        let mut last = Vec::new();
        for (tick, odd) in [(1, true), (2, false), (3, true)] {
            for p in 0..3 {
                d.record(PlayerSlot(p), tick, if odd && p == 0 { 5 } else { 6 });
            }
            last = d.evaluate(tick, &all);
        }
        // Two divergent checks, but not consecutive: the count restarted at 1.
        assert_eq!(
            last,
            vec![DesyncVerdict::Suspect {
                tick: 3,
                player: PlayerSlot(0),
                consecutive: 1
            }]
        );
        for p in 0..3 {
            d.record(PlayerSlot(p), 4, u64::from(p));
        }
        assert_eq!(
            d.evaluate(4, &all),
            vec![DesyncVerdict::Terminate {
                first_divergence_tick: 1
            }]
        );
    }

    #[test]
    fn missing_reports_are_compared_after_the_grace_and_late_ones_ignored() {
        let mut d = DesyncDetector::new(5);
        d.record(PlayerSlot(0), 5, 1);
        d.record(PlayerSlot(1), 5, 1);
        assert!(d.evaluate(9, &players(3)).is_empty());
        assert_eq!(
            d.evaluate(15, &players(3)),
            vec![DesyncVerdict::InSync { tick: 5 }]
        );
        d.record(PlayerSlot(2), 5, 2);
        d.record(PlayerSlot(2), 7, 2);
        assert!(d.evaluate(100, &players(3)).is_empty());
    }
}
