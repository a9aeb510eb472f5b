//! Small identifiers of a match: player slots, teams and simulation ticks.
//! Newtypes so a slot cannot be passed where a team is expected.

use std::fmt;

/// A simulation tick number, counted from 0 at match start.
pub type SimTick = u64;

/// A player's seat in the match (0-based, unique within the match).
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Debug)]
pub struct PlayerSlot(pub u8);

impl fmt::Display for PlayerSlot {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "slot {}", self.0)
    }
}

/// A team; players of the same team share team chat and win or lose together.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Debug)]
pub struct TeamId(pub u8);

impl fmt::Display for TeamId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "team {}", self.0)
    }
}

/// An observer's seat: observers receive a (delayed) feed and never send orders.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Debug)]
pub struct ObserverId(pub u8);
