//! The neutral description of a finished match that every rating algorithm consumes: teams of
//! players with their current ratings, placements, how the match ended, and its context.

use std::collections::BTreeSet;
use std::fmt;

use serde::{Deserialize, Serialize};

use crate::error::MatchError;
use crate::fixed::FixedRating;

/// A player's identity key (Ed25519 public key bytes). Opaque here: only compared and ordered.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct PlayerId(pub [u8; 32]);

impl fmt::Debug for PlayerId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PlayerId({self})")
    }
}

impl fmt::Display for PlayerId {
    /// The first eight bytes in hex: enough to tell players apart in an error message.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for byte in &self.0[..8] {
            write!(f, "{byte:02x}")?;
        }
        Ok(())
    }
}

/// A player's rating state, as loaded from the latest rating record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlayerRating {
    /// Whose rating this is.
    pub player_id: PlayerId,
    /// Rating, deviation and volatility in fixed point.
    pub rating: FixedRating,
    /// Rated matches played so far with this algorithm.
    pub games_played: u32,
}

/// One participant of a match.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Participant {
    /// The participant's rating before the match.
    pub rating: PlayerRating,
    /// Whole inactivity periods (days by default) since the player's previous rated match; the
    /// caller computes it from its own clock, see [`idle_periods`].
    pub idle_periods: u32,
}

/// A side of the match: one player in a duel or free-for-all, several in a team game.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Team {
    /// The team's players.
    pub players: Vec<Participant>,
    /// Finishing place, 1 being best. Equal placements are a draw between those teams.
    pub placement: u32,
}

/// How the match ended, as far as rating is concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum MatchEnd {
    /// Played to the end; placements decide.
    Completed,
    /// A player left: that player's team counts as finishing below every other team, whatever
    /// placements say. The other teams keep their placements.
    Abandoned {
        /// Who left.
        leaver: PlayerId,
    },
    /// Voided by a remake vote: no rating change.
    Remade,
    /// Ended by a desync nobody is blamed for: no rating change.
    DesyncTerminated,
}

/// Whether the match was played in a ranked queue.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum MatchMode {
    /// Ranked queue: full information content.
    Ranked,
    /// Casual play that still feeds the rating, at reduced weight.
    Casual,
}

/// Everything a rating algorithm needs to know about a finished match.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MatchDescription {
    /// Two teams for a duel or team game; more for free-for-all.
    pub teams: Vec<Team>,
    /// How the match ended.
    pub end: MatchEnd,
    /// Ranked or casual.
    pub mode: MatchMode,
    /// Length of the match in simulation ticks.
    pub duration_ticks: u64,
    /// Simulation ticks per second.
    pub tick_rate: u32,
    /// How many times these same players met in rated matches within the rematch window before
    /// this one (0 for a first meeting).
    pub prior_meetings: u32,
    /// Further weight decided outside the match, permille: the matchmaker's desperation scaling
    /// or a policy for degraded certification. 1000 (the serde default) when there is none.
    #[serde(default = "full_weight")]
    pub external_weight: u32,
}

fn full_weight() -> u32 {
    crate::information::FULL
}

impl MatchDescription {
    /// True if the match produces rating changes (and therefore records). Remade and
    /// desync-terminated matches do not.
    pub fn is_rated(&self) -> bool {
        matches!(self.end, MatchEnd::Completed | MatchEnd::Abandoned { .. })
    }

    /// Checks the structure: at least two non-empty teams, every player once, a positive tick
    /// rate and, for an abandon, a leaver who took part.
    pub fn validate(&self) -> Result<(), MatchError> {
        if self.teams.len() < 2 {
            return Err(MatchError::TooFewTeams(self.teams.len()));
        }
        if self.tick_rate == 0 {
            return Err(MatchError::ZeroTickRate);
        }
        let mut seen = BTreeSet::new();
        for (index, team) in self.teams.iter().enumerate() {
            if team.players.is_empty() {
                return Err(MatchError::EmptyTeam(index));
            }
            for p in &team.players {
                let id = p.rating.player_id;
                if !seen.insert(id) {
                    return Err(MatchError::DuplicatePlayer(id));
                }
                if !p.rating.rating.is_exact() {
                    return Err(MatchError::InvalidRating {
                        player: id,
                        why: "fixed-point value beyond 2^53",
                    });
                }
            }
        }
        if let MatchEnd::Abandoned { leaver } = self.end {
            if !seen.contains(&leaver) {
                return Err(MatchError::UnknownLeaver(leaver));
            }
        }
        Ok(())
    }

    /// Index of the team the leaver belonged to, if the match was abandoned.
    fn leaver_team(&self) -> Option<usize> {
        let MatchEnd::Abandoned { leaver } = self.end else {
            return None;
        };
        self.teams
            .iter()
            .position(|t| t.players.iter().any(|p| p.rating.player_id == leaver))
    }

    /// Score of team `a` against team `b`: 1 for finishing ahead, ½ for the same place, 0 for
    /// behind. An abandoning team finishes behind everyone.
    pub fn score(&self, a: usize, b: usize) -> f64 {
        let leaver = self.leaver_team();
        let rank = |i: usize| (leaver == Some(i), self.teams[i].placement);
        match rank(a).cmp(&rank(b)) {
            std::cmp::Ordering::Less => 1.0,
            std::cmp::Ordering::Equal => 0.5,
            std::cmp::Ordering::Greater => 0.0,
        }
    }

    /// Effective placement of each team (1 best, ties share a place), with an abandoning team
    /// moved below all others; the form free-for-all algorithms take.
    pub fn effective_placements(&self) -> Vec<usize> {
        let n = self.teams.len();
        (0..n)
            .map(|a| 1 + (0..n).filter(|&b| self.score(a, b) == 0.0).count())
            .collect()
    }

    /// All participants in input order (team by team).
    pub fn participants(&self) -> impl Iterator<Item = &Participant> {
        self.teams.iter().flat_map(|t| t.players.iter())
    }
}

/// Whole inactivity periods between two instants (Unix seconds); a clock reading is the
/// caller's job, this is only the arithmetic. A `now` before `last_played` gives zero.
pub fn idle_periods(last_played_unix: i64, now_unix: i64, period_secs: u32) -> u32 {
    if period_secs == 0 || now_unix <= last_played_unix {
        return 0;
    }
    let elapsed = (i128::from(now_unix) - i128::from(last_played_unix)) as u128;
    let periods = elapsed / u128::from(period_secs);
    u32::try_from(periods).unwrap_or(u32::MAX)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub(crate) fn player(id: u8, rating: i64, deviation: i64) -> Participant {
        let mut key = [0u8; 32];
        key[0] = id;
        Participant {
            rating: PlayerRating {
                player_id: PlayerId(key),
                rating: FixedRating::from_points(rating, deviation, 60_000),
                games_played: 20,
            },
            idle_periods: 0,
        }
    }

    pub(crate) fn duel(
        a: Participant,
        b: Participant,
        a_place: u32,
        b_place: u32,
    ) -> MatchDescription {
        MatchDescription {
            teams: vec![
                Team {
                    players: vec![a],
                    placement: a_place,
                },
                Team {
                    players: vec![b],
                    placement: b_place,
                },
            ],
            end: MatchEnd::Completed,
            mode: MatchMode::Ranked,
            duration_ticks: 15 * 20 * 60,
            tick_rate: 15,
            prior_meetings: 0,
            external_weight: 1000,
        }
    }

    #[test]
    fn scores_follow_placements() {
        let m = duel(player(1, 1500, 100), player(2, 1500, 100), 1, 2);
        assert_eq!(m.score(0, 1), 1.0);
        assert_eq!(m.score(1, 0), 0.0);
        let d = duel(player(1, 1500, 100), player(2, 1500, 100), 1, 1);
        assert_eq!(d.score(0, 1), 0.5);
        assert_eq!(d.effective_placements(), vec![1, 1]);
    }

    #[test]
    fn abandon_makes_the_leaver_lose_even_if_placed_first() {
        let mut m = duel(player(1, 1500, 100), player(2, 1500, 100), 1, 2);
        m.end = MatchEnd::Abandoned {
            leaver: m.teams[0].players[0].rating.player_id,
        };
        assert_eq!(m.score(0, 1), 0.0);
        assert_eq!(m.effective_placements(), vec![2, 1]);
    }

    #[test]
    fn validation_rejects_malformed_matches() {
        let a = player(1, 1500, 100);
        let mut m = duel(a, a, 1, 2);
        assert_eq!(
            m.validate(),
            Err(MatchError::DuplicatePlayer(a.rating.player_id))
        );
        m.teams[1].players[0] = player(2, 1500, 100);
        assert_eq!(m.validate(), Ok(()));
        m.tick_rate = 0;
        assert_eq!(m.validate(), Err(MatchError::ZeroTickRate));
        m.tick_rate = 15;
        m.end = MatchEnd::Abandoned {
            leaver: player(9, 1500, 100).rating.player_id,
        };
        assert!(matches!(m.validate(), Err(MatchError::UnknownLeaver(_))));
        m.teams.pop();
        assert_eq!(m.validate(), Err(MatchError::TooFewTeams(1)));
        m.teams.push(Team {
            players: vec![],
            placement: 2,
        });
        assert_eq!(m.validate(), Err(MatchError::EmptyTeam(1)));
    }

    #[test]
    fn description_round_trips_through_json() {
        let mut m = duel(player(1, 1500, 100), player(2, 1620, 80), 2, 1);
        m.end = MatchEnd::Abandoned {
            leaver: m.teams[0].players[0].rating.player_id,
        };
        let text = serde_json::to_string(&m).unwrap();
        let back: MatchDescription = serde_json::from_str(&text).unwrap();
        assert_eq!(back, m);
        let without_weight = text.replace(",\"external_weight\":1000", "");
        assert_ne!(without_weight, text);
        let back: MatchDescription = serde_json::from_str(&without_weight).unwrap();
        assert_eq!(back.external_weight, 1000);
    }

    #[test]
    fn idle_periods_count_whole_days() {
        assert_eq!(idle_periods(0, 86_399, 86_400), 0);
        assert_eq!(idle_periods(0, 86_400, 86_400), 1);
        assert_eq!(idle_periods(100, 0, 86_400), 0);
        assert_eq!(idle_periods(i64::MIN, i64::MAX, 1), u32::MAX);
    }
}
