//! Kick votes in unranked matches: a team removes one of its own players (a griefer) when every
//! other teammate still in the match voted for it. Ranked matches ignore them: there only the
//! relay's own rules remove players. A kicked player's result is "abandoned".

use std::collections::{BTreeMap, BTreeSet};

use crate::core::Roster;
use crate::ids::PlayerSlot;

/// What a kick vote did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KickVoteEffect {
    /// Counted; more teammates must agree.
    Counted,
    /// Every other teammate agreed: the target leaves the match.
    Kicked(PlayerSlot),
    /// Not a valid vote: a ranked match, a target on another team, oneself, or someone no
    /// longer in the match.
    Ignored,
}

/// The kick votes of one match.
#[derive(Clone, Debug, Default)]
pub struct KickVotes {
    ranked: bool,
    votes: BTreeMap<PlayerSlot, BTreeSet<PlayerSlot>>,
}

impl KickVotes {
    /// No votes yet; a `ranked` match ignores every one.
    pub fn new(ranked: bool) -> Self {
        Self {
            ranked,
            votes: BTreeMap::new(),
        }
    }

    /// `voter` votes to kick `target`.
    pub fn vote(
        &mut self,
        voter: PlayerSlot,
        target: PlayerSlot,
        roster: &Roster,
    ) -> KickVoteEffect {
        let in_match = |slot| roster.get(slot).is_some_and(|p| p.status.in_match());
        let team = roster.team_of(target);
        if self.ranked
            || voter == target
            || team.is_none()
            || roster.team_of(voter) != team
            || !in_match(voter)
            || !in_match(target)
        {
            return KickVoteEffect::Ignored;
        }
        let voters = self.votes.entry(target).or_default();
        voters.insert(voter);
        let all_agree = roster
            .players()
            .filter(|p| p.slot != target && Some(p.team) == team && p.status.in_match())
            .all(|p| voters.contains(&p.slot));
        if all_agree {
            self.votes.remove(&target);
            return KickVoteEffect::Kicked(target);
        }
        KickVoteEffect::Counted
    }
}

#[cfg(test)]
mod tests {
    use scr::keys::PlayerKey;

    use super::*;
    use crate::core::{PlayerStatus, RosterPlayer};
    use crate::ids::TeamId;

    /// Three players on team 0 (slots 0-2), one on team 1 (slot 3).
    fn roster() -> Roster {
        let players = (0..4u8)
            .map(|slot| RosterPlayer {
                slot: PlayerSlot(slot),
                team: TeamId(u8::from(slot == 3)),
                key: PlayerKey::from_bytes([slot + 1; 32]),
                status: PlayerStatus::Active,
            })
            .collect();
        Roster::new(players, Vec::new())
    }

    #[test]
    fn every_other_teammate_must_agree() {
        let roster = roster();
        let mut votes = KickVotes::new(false);
        assert_eq!(
            votes.vote(PlayerSlot(0), PlayerSlot(2), &roster),
            KickVoteEffect::Counted
        );
        assert_eq!(
            votes.vote(PlayerSlot(0), PlayerSlot(2), &roster),
            KickVoteEffect::Counted,
            "a second vote of the same player counts once"
        );
        assert_eq!(
            votes.vote(PlayerSlot(1), PlayerSlot(2), &roster),
            KickVoteEffect::Kicked(PlayerSlot(2))
        );
    }

    #[test]
    fn opponents_self_votes_and_ranked_matches_are_ignored() {
        let roster = roster();
        let mut votes = KickVotes::new(false);
        for (voter, target) in [(3, 0), (0, 3), (1, 1), (0, 9)] {
            assert_eq!(
                votes.vote(PlayerSlot(voter), PlayerSlot(target), &roster),
                KickVoteEffect::Ignored,
                "{voter} -> {target}"
            );
        }
        let mut ranked = KickVotes::new(true);
        assert_eq!(
            ranked.vote(PlayerSlot(0), PlayerSlot(1), &roster),
            KickVoteEffect::Ignored
        );
    }
}
