//! Match end: protocol outcomes the relay decides itself (surrender, remake votes) and
//! simulation outcomes decided by consensus of the players' game-ended reports.
//!
//! Rule for players who never report: once the first report arrives, connected players have
//! `report_timeout` to report too. After it, silence counts as consent: the outcome is the one
//! every received report agrees on. Any disagreement among reports (outcome or state hash) is a
//! desync. Disconnected players are not waited for; the abandon rules cover them.

use std::collections::{BTreeMap, BTreeSet};

use crate::cmr::MatchOutcome;
use crate::core::Roster;
use crate::frames::SimOutcome;
use crate::ids::{PlayerSlot, SimTick, TeamId};

/// One player's game-ended report.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GameEndedReport {
    /// The tick the simulation ended at.
    pub tick: SimTick,
    /// What the simulation decided.
    pub outcome: SimOutcome,
    /// Full state hash of that tick.
    pub state_hash: [u8; 32],
}

/// What a vote did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum VoteEffect {
    /// Counted; not decisive yet.
    Counted,
    /// A remake vote after the remake window: ignored.
    RemakeWindowClosed,
    /// The vote decided the match.
    Decided(MatchOutcome),
}

/// A consensus decision: the outcome, the agreed final state hash and the report tick.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Consensus {
    /// The decided outcome (a desync when reports disagree).
    pub outcome: MatchOutcome,
    /// The state hash every report agreed on (zeros on disagreement).
    pub final_state_hash: [u8; 32],
}

/// Votes and reports of one match.
#[derive(Clone, Debug)]
pub struct MatchEndTracker {
    remake_window_us: u64,
    report_timeout_us: u64,
    surrender_votes: BTreeSet<PlayerSlot>,
    surrendered_teams: BTreeSet<TeamId>,
    remake_votes: BTreeSet<PlayerSlot>,
    reports: BTreeMap<PlayerSlot, GameEndedReport>,
    first_report_us: Option<u64>,
}

impl MatchEndTracker {
    /// Remakes are allowed while match time is below `remake_window_us`.
    pub fn new(remake_window_us: u64, report_timeout_us: u64) -> Self {
        Self {
            remake_window_us,
            report_timeout_us,
            surrender_votes: BTreeSet::new(),
            surrendered_teams: BTreeSet::new(),
            remake_votes: BTreeSet::new(),
            reports: BTreeMap::new(),
            first_report_us: None,
        }
    }

    /// Teams that surrendered.
    pub fn surrendered_teams(&self) -> &BTreeSet<TeamId> {
        &self.surrendered_teams
    }

    /// A surrender vote: a team surrenders when all its players still in the match voted;
    /// the match ends when one team is left.
    pub fn surrender(&mut self, player: PlayerSlot, roster: &Roster) -> VoteEffect {
        let Some(team) = roster.team_of(player) else {
            return VoteEffect::Counted;
        };
        self.surrender_votes.insert(player);
        let team_gave_up = roster
            .players()
            .filter(|p| p.team == team && p.status.in_match())
            .all(|p| self.surrender_votes.contains(&p.slot));
        if team_gave_up {
            self.surrendered_teams.insert(team);
        }
        self.decided_by_surrender(roster)
    }

    /// The outcome if at most one team is left standing after surrenders.
    pub fn decided_by_surrender(&self, roster: &Roster) -> VoteEffect {
        if self.surrendered_teams.is_empty() {
            return VoteEffect::Counted;
        }
        let standing: Vec<TeamId> = roster
            .teams_in_match()
            .into_iter()
            .filter(|t| !self.surrendered_teams.contains(t))
            .collect();
        match standing[..] {
            [winner] => VoteEffect::Decided(MatchOutcome::Completed {
                winner,
                reason: crate::cmr::EndReason::Surrender,
            }),
            [] => VoteEffect::Decided(MatchOutcome::Draw),
            _ => VoteEffect::Counted,
        }
    }

    /// A remake vote at match time `elapsed_us`: passes with a strict majority of the players
    /// still in the match, only inside the remake window.
    pub fn remake(&mut self, player: PlayerSlot, elapsed_us: u64, roster: &Roster) -> VoteEffect {
        if elapsed_us >= self.remake_window_us {
            return VoteEffect::RemakeWindowClosed;
        }
        self.remake_votes.insert(player);
        let in_match = roster.in_match_slots();
        let votes = self.remake_votes.intersection(&in_match).count();
        if votes * 2 > in_match.len() {
            VoteEffect::Decided(MatchOutcome::Remade)
        } else {
            VoteEffect::Counted
        }
    }

    /// Stores a player's report (the first one per player counts).
    pub fn report(&mut self, player: PlayerSlot, report: GameEndedReport, now_us: u64) {
        self.first_report_us.get_or_insert(now_us);
        self.reports.entry(player).or_insert(report);
    }

    /// Decides from the reports once every connected player reported or the timeout passed.
    pub fn consensus(&self, roster: &Roster, now_us: u64) -> Option<Consensus> {
        let first = self.first_report_us?;
        let everyone_reported = roster
            .players()
            .filter(|p| p.status.is_connected())
            .all(|p| self.reports.contains_key(&p.slot));
        let timed_out = now_us >= first.saturating_add(self.report_timeout_us);
        if !everyone_reported && !timed_out {
            return None;
        }
        let counted: Vec<&GameEndedReport> = self
            .reports
            .iter()
            .filter(|(slot, _)| roster.get(**slot).is_some_and(|p| p.status.in_match()))
            .map(|(_, report)| report)
            .collect();
        let first_report = counted.first()?;
        let agree = counted
            .iter()
            .all(|r| r.outcome == first_report.outcome && r.state_hash == first_report.state_hash);
        let outcome = match first_report.outcome {
            SimOutcome::Victory { winner, reason } if roster.has_team(winner) => {
                MatchOutcome::Completed { winner, reason }
            }
            SimOutcome::Draw => MatchOutcome::Draw,
            // Unanimous nonsense (a team that does not exist) is as untrustworthy as a split.
            SimOutcome::Victory { .. } => return Some(self.split(&counted)),
        };
        if !agree {
            return Some(self.split(&counted));
        }
        Some(Consensus {
            outcome,
            final_state_hash: first_report.state_hash,
        })
    }

    fn split(&self, reports: &[&GameEndedReport]) -> Consensus {
        let tick = reports.iter().map(|r| r.tick).min().unwrap_or(0);
        Consensus {
            outcome: MatchOutcome::DesyncTerminated {
                first_divergence_tick: tick,
            },
            final_state_hash: [0; 32],
        }
    }
}
