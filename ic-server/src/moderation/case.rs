//! The case lifecycle as one transition function: every state change of a case goes through
//! [`CaseState::after`], so a closed case cannot be re-reviewed and an open one cannot be appealed.

use super::names::named_enum;

named_enum! {
    /// Where a case is (reference §7.1 `ReviewCaseState`).
    CaseState {
        /// Waiting for reviewers.
        Queued = "queued",
        /// At least one reviewer is assigned.
        InReview = "in_review",
        /// The weighted vote agreed; a moderator decides what to do.
        ConsensusReached = "consensus_reached",
        /// Reviewers disagreed (or asked for it); a moderator decides.
        EscalatedToModerator = "escalated_to_moderator",
        /// Closed without a sanction.
        ClosedNoAction = "closed_no_action",
        /// Closed with at least one sanction.
        ClosedActionTaken = "closed_action_taken",
        /// The sanctioned player appealed; a moderator decides.
        Appealed = "appealed",
    }
}

/// Something that happens to a case.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CaseEvent {
    /// A reviewer was assigned.
    Assigned,
    /// The required votes are in and agree.
    ConsensusReached,
    /// The required votes are in and do not agree.
    Escalated,
    /// A moderator applied a sanction.
    Sanctioned,
    /// A moderator closed the case without a sanction.
    ClosedNoAction,
    /// The sanctioned player appealed.
    Appealed,
    /// A moderator upheld the appeal's sanction.
    AppealUpheld,
    /// A moderator reversed the sanction.
    AppealReversed,
}

/// A transition the lifecycle does not allow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("a case in state {from} cannot take {event:?}")]
pub struct InvalidTransition {
    /// The state the case was in.
    pub from: CaseState,
    /// What was attempted.
    pub event: CaseEvent,
}

impl CaseState {
    /// The state after `event`, or why the event does not apply.
    pub fn after(self, event: CaseEvent) -> Result<CaseState, InvalidTransition> {
        use CaseEvent as E;
        use CaseState as S;
        let next = match (self, event) {
            (S::Queued | S::InReview, E::Assigned) => S::InReview,
            (S::Queued | S::InReview, E::ConsensusReached) => S::ConsensusReached,
            (S::Queued | S::InReview, E::Escalated) => S::EscalatedToModerator,
            (
                S::ConsensusReached | S::EscalatedToModerator | S::ClosedActionTaken,
                E::Sanctioned,
            ) => S::ClosedActionTaken,
            (
                S::Queued | S::InReview | S::ConsensusReached | S::EscalatedToModerator,
                E::ClosedNoAction,
            ) => S::ClosedNoAction,
            (S::ClosedActionTaken, E::Appealed) => S::Appealed,
            (S::Appealed, E::AppealUpheld) => S::ClosedActionTaken,
            (S::Appealed, E::AppealReversed) => S::ClosedNoAction,
            (from, event) => return Err(InvalidTransition { from, event }),
        };
        Ok(next)
    }

    /// Whether new reports about the same player and category join this case.
    pub fn is_open(self) -> bool {
        !self.is_closed()
    }

    /// Closed states (retention may expire them; reports open a new case).
    pub fn is_closed(self) -> bool {
        matches!(self, Self::ClosedNoAction | Self::ClosedActionTaken)
    }

    /// Whether reviewers may still be assigned.
    pub fn takes_reviewers(self) -> bool {
        matches!(self, Self::Queued | Self::InReview)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const EVENTS: [CaseEvent; 8] = [
        CaseEvent::Assigned,
        CaseEvent::ConsensusReached,
        CaseEvent::Escalated,
        CaseEvent::Sanctioned,
        CaseEvent::ClosedNoAction,
        CaseEvent::Appealed,
        CaseEvent::AppealUpheld,
        CaseEvent::AppealReversed,
    ];

    #[test]
    fn the_whole_lifecycle_walks_through() {
        let state = CaseState::Queued
            .after(CaseEvent::Assigned)
            .and_then(|s| s.after(CaseEvent::ConsensusReached))
            .and_then(|s| s.after(CaseEvent::Sanctioned))
            .and_then(|s| s.after(CaseEvent::Appealed))
            .and_then(|s| s.after(CaseEvent::AppealReversed))
            .unwrap();
        assert_eq!(state, CaseState::ClosedNoAction);
    }

    #[test]
    fn closed_cases_take_no_votes_and_open_cases_no_appeals() {
        for event in [
            CaseEvent::Assigned,
            CaseEvent::ConsensusReached,
            CaseEvent::Escalated,
        ] {
            assert!(CaseState::ClosedNoAction.after(event).is_err());
            assert!(CaseState::ClosedActionTaken.after(event).is_err());
        }
        for state in [
            CaseState::Queued,
            CaseState::InReview,
            CaseState::ClosedNoAction,
        ] {
            assert!(state.after(CaseEvent::Appealed).is_err());
        }
        // No sanction before reviewers have spoken.
        assert!(CaseState::Queued.after(CaseEvent::Sanctioned).is_err());
        assert!(CaseState::InReview.after(CaseEvent::Sanctioned).is_err());
    }

    #[test]
    fn only_closed_states_are_closed_and_only_open_states_take_reviewers() {
        for state in CaseState::ALL {
            assert_eq!(state.is_open(), !state.is_closed());
            if state.takes_reviewers() {
                assert!(state.is_open());
            }
            // Every state has at least one way forward or is closed.
            let moves = EVENTS.iter().filter(|e| state.after(**e).is_ok()).count();
            assert!(moves > 0 || state.is_closed(), "{state} is a dead end");
        }
    }

    #[test]
    fn names_round_trip() {
        for state in CaseState::ALL {
            assert_eq!(CaseState::from_name(state.name()), Some(*state));
        }
        assert_eq!(CaseState::from_name("nope"), None);
    }
}
