//! Pauses: a player spends one of its pauses with a `Vote(pause)` order; both sides resume with
//! `Vote(resume)`, or the pause ends when its time is up. The relay decides and announces each
//! start and end (`Paused`, `Resumed` frames at a tick); the tick clock keeps running and the
//! clients' simulations stand still in between. Pure: ticks and match time come as arguments.

use std::collections::{BTreeMap, BTreeSet};

use crate::core::Roster;
use crate::ids::{PlayerSlot, SimTick, TeamId};

/// A match's pause rules (from its profile: ranked or casual).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PauseRules {
    /// Pauses each player may call; `None`: no limit, `Some(0)`: pauses are off.
    pub per_player: Option<u32>,
    /// Longest pause (µs of match time); it ends by itself then.
    pub max_duration_us: u64,
    /// No pause before this much match time (µs).
    pub min_game_time_us: u64,
}

impl PauseRules {
    /// The reference's ranked profile: one pause of 60 s per player, none in the first 30 s.
    pub const RANKED: Self = Self {
        per_player: Some(1),
        max_duration_us: 60_000_000,
        min_game_time_us: 30_000_000,
    };
    /// The reference's casual profile: any number of pauses of up to 5 minutes.
    pub const CASUAL: Self = Self {
        per_player: None,
        max_duration_us: 300_000_000,
        min_game_time_us: 0,
    };
}

/// Why a pause order was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PauseRefusal {
    /// The player used up its pauses (or pauses are off).
    BudgetSpent,
    /// Too early in the match.
    TooEarly,
    /// The match is paused already.
    AlreadyPaused,
    /// A resume while the match is not paused.
    NotPaused,
}

/// What a pause or resume order did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PauseEffect {
    /// The match pauses from the next tick until `until` at the latest.
    Paused {
        /// Who paused.
        player: PlayerSlot,
        /// The tick after which the simulations stand still.
        tick: SimTick,
        /// The tick at which the pause ends if nobody resumes.
        until: SimTick,
    },
    /// The sender's side agreed to resume; the other side has not yet.
    ResumeCounted,
    /// The match runs again from the tick after `tick`.
    Resumed {
        /// The tick the pause ended at.
        tick: SimTick,
        /// Ended by its time limit rather than by both sides.
        timed_out: bool,
    },
    /// Refused; nothing changes.
    Refused(PauseRefusal),
}

#[derive(Clone, Debug)]
struct ActivePause {
    until: SimTick,
    resumed_by: BTreeSet<TeamId>,
}

/// The pauses of one match.
#[derive(Clone, Debug)]
pub struct PauseTracker {
    rules: PauseRules,
    used: BTreeMap<PlayerSlot, u32>,
    active: Option<ActivePause>,
}

impl PauseTracker {
    /// No pause yet, under `rules`.
    pub fn new(rules: PauseRules) -> Self {
        Self {
            rules,
            used: BTreeMap::new(),
            active: None,
        }
    }

    /// Whether the match is paused.
    pub fn is_paused(&self) -> bool {
        self.active.is_some()
    }

    /// `player` asks to pause at `tick`, `elapsed_us` into the match; `tick_us` is the tick
    /// length (the time limit is counted in ticks, so every client can see it).
    pub fn pause(
        &mut self,
        player: PlayerSlot,
        tick: SimTick,
        elapsed_us: u64,
        tick_us: u64,
    ) -> PauseEffect {
        if self.active.is_some() {
            return PauseEffect::Refused(PauseRefusal::AlreadyPaused);
        }
        let used = self.used.get(&player).copied().unwrap_or(0);
        if self.rules.per_player.is_some_and(|limit| used >= limit) {
            return PauseEffect::Refused(PauseRefusal::BudgetSpent);
        }
        if elapsed_us < self.rules.min_game_time_us {
            return PauseEffect::Refused(PauseRefusal::TooEarly);
        }
        self.used.insert(player, used + 1);
        let until = tick + self.rules.max_duration_us.div_ceil(tick_us.max(1));
        self.active = Some(ActivePause {
            until,
            resumed_by: BTreeSet::new(),
        });
        PauseEffect::Paused {
            player,
            tick,
            until,
        }
    }

    /// `player` agrees to resume at `tick`: the match runs again once a player of every team
    /// still in the match agreed.
    pub fn resume(&mut self, player: PlayerSlot, tick: SimTick, roster: &Roster) -> PauseEffect {
        let Some(active) = self.active.as_mut() else {
            return PauseEffect::Refused(PauseRefusal::NotPaused);
        };
        if let Some(team) = roster.team_of(player) {
            active.resumed_by.insert(team);
        }
        let teams = roster.teams_in_match();
        if teams.iter().all(|team| active.resumed_by.contains(team)) {
            self.active = None;
            return PauseEffect::Resumed {
                tick,
                timed_out: false,
            };
        }
        PauseEffect::ResumeCounted
    }

    /// Ends a pause whose time ran out by `tick`.
    pub fn expire(&mut self, tick: SimTick) -> Option<PauseEffect> {
        let until = self.active.as_ref()?.until;
        if tick < until {
            return None;
        }
        self.active = None;
        Some(PauseEffect::Resumed {
            tick,
            timed_out: true,
        })
    }
}

#[cfg(test)]
mod tests {
    use scr::keys::PlayerKey;

    use super::*;
    use crate::core::{PlayerStatus, RosterPlayer};

    const TICK_US: u64 = 50_000;

    /// Two players a side: slots 0, 1 on team 0 and 2, 3 on team 1.
    fn roster() -> Roster {
        let players = (0..4u8)
            .map(|slot| RosterPlayer {
                slot: PlayerSlot(slot),
                team: TeamId(slot / 2),
                key: PlayerKey::from_bytes([slot + 1; 32]),
                status: PlayerStatus::Active,
            })
            .collect();
        Roster::new(players, Vec::new())
    }

    #[test]
    fn a_ranked_player_pauses_once_after_thirty_seconds_and_both_sides_resume() {
        let mut pauses = PauseTracker::new(PauseRules::RANKED);
        let roster = roster();
        assert_eq!(
            pauses.pause(PlayerSlot(0), 100, 29_000_000, TICK_US),
            PauseEffect::Refused(PauseRefusal::TooEarly)
        );
        assert_eq!(
            pauses.pause(PlayerSlot(0), 700, 35_000_000, TICK_US),
            PauseEffect::Paused {
                player: PlayerSlot(0),
                tick: 700,
                until: 700 + 1200
            }
        );
        assert_eq!(
            pauses.pause(PlayerSlot(2), 701, 35_050_000, TICK_US),
            PauseEffect::Refused(PauseRefusal::AlreadyPaused)
        );
        // One side is not enough; a teammate of the same side does not count twice.
        assert_eq!(
            pauses.resume(PlayerSlot(0), 710, &roster),
            PauseEffect::ResumeCounted
        );
        assert_eq!(
            pauses.resume(PlayerSlot(1), 711, &roster),
            PauseEffect::ResumeCounted
        );
        assert_eq!(
            pauses.resume(PlayerSlot(3), 720, &roster),
            PauseEffect::Resumed {
                tick: 720,
                timed_out: false
            }
        );
        assert!(!pauses.is_paused());
        assert_eq!(
            pauses.pause(PlayerSlot(0), 900, 45_000_000, TICK_US),
            PauseEffect::Refused(PauseRefusal::BudgetSpent)
        );
        assert_eq!(
            pauses.resume(PlayerSlot(0), 901, &roster),
            PauseEffect::Refused(PauseRefusal::NotPaused)
        );
    }

    #[test]
    fn an_unanswered_pause_ends_at_its_limit_and_casual_has_no_budget() {
        let mut pauses = PauseTracker::new(PauseRules::CASUAL);
        for round in 0..5u64 {
            let start = 1_000 * (round + 1);
            assert!(matches!(
                pauses.pause(PlayerSlot(1), start, 0, TICK_US),
                PauseEffect::Paused { .. }
            ));
            assert_eq!(pauses.expire(start + 5_999), None);
            assert_eq!(
                pauses.expire(start + 6_000),
                Some(PauseEffect::Resumed {
                    tick: start + 6_000,
                    timed_out: true
                })
            );
        }
        let mut off = PauseTracker::new(PauseRules {
            per_player: Some(0),
            ..PauseRules::CASUAL
        });
        assert_eq!(
            off.pause(PlayerSlot(0), 1, 0, TICK_US),
            PauseEffect::Refused(PauseRefusal::BudgetSpent)
        );
    }
}
