//! Who is in the match: players with their team, key and status, and observers.
//! Status changes go through methods that refuse impossible transitions with a typed error.

use std::collections::BTreeSet;

use scr::keys::PlayerKey;

use crate::ids::{ObserverId, PlayerSlot, SimTick, TeamId};

/// Where a player stands in the match.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PlayerStatus {
    /// Connected and answering.
    Active,
    /// Connected but missed liveness tokens.
    Unresponsive {
        /// Relay time it stopped answering (µs).
        since_us: u64,
    },
    /// The connection dropped; may reconnect until the timeout.
    Disconnected {
        /// Relay time of the disconnect (µs).
        since_us: u64,
    },
    /// Gone for good: did not come back in time.
    Abandoned {
        /// Tick at which it was declared.
        tick: SimTick,
    },
    /// Gone for good: its simulation alone diverged.
    DroppedForDesync {
        /// Tick at which it was dropped.
        tick: SimTick,
    },
}

impl PlayerStatus {
    /// Still part of the match (not abandoned or dropped).
    pub fn in_match(&self) -> bool {
        !matches!(self, Self::Abandoned { .. } | Self::DroppedForDesync { .. })
    }

    /// Has a live connection.
    pub fn is_connected(&self) -> bool {
        matches!(self, Self::Active | Self::Unresponsive { .. })
    }

    /// Gets `Idle` in ticks without its orders (every player still in the match).
    pub fn receives_idle(&self) -> bool {
        self.in_match()
    }

    fn name(&self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::Unresponsive { .. } => "unresponsive",
            Self::Disconnected { .. } => "disconnected",
            Self::Abandoned { .. } => "abandoned",
            Self::DroppedForDesync { .. } => "dropped_for_desync",
        }
    }
}

/// A status change that the lifecycle does not allow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("{player}: cannot {action} while {from}")]
pub struct StatusError {
    /// The player.
    pub player: PlayerSlot,
    /// The status it was in.
    pub from: &'static str,
    /// What was attempted.
    pub action: &'static str,
}

/// A player seat and its state.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RosterPlayer {
    /// Seat.
    pub slot: PlayerSlot,
    /// Team.
    pub team: TeamId,
    /// Identity key.
    pub key: PlayerKey,
    /// Current status.
    pub status: PlayerStatus,
}

/// An observer seat.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RosterObserver {
    /// Seat.
    pub id: ObserverId,
    /// Identity key.
    pub key: PlayerKey,
}

/// Players (by ascending slot) and observers of the match.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Roster {
    players: Vec<RosterPlayer>,
    observers: Vec<RosterObserver>,
    /// Players under a chat restriction: their chat reaches nobody.
    chat_restricted: BTreeSet<PlayerSlot>,
}

impl Roster {
    pub(crate) fn new(mut players: Vec<RosterPlayer>, observers: Vec<RosterObserver>) -> Self {
        players.sort_by_key(|p| p.slot);
        Self {
            players,
            observers,
            chat_restricted: BTreeSet::new(),
        }
    }

    /// Whether `slot` is under a chat restriction (its chat reaches nobody, itself included).
    pub fn is_chat_restricted(&self, slot: PlayerSlot) -> bool {
        self.chat_restricted.contains(&slot)
    }

    pub(crate) fn restrict_chat(&mut self, slot: PlayerSlot) -> bool {
        self.get(slot).is_some() && {
            self.chat_restricted.insert(slot);
            true
        }
    }

    /// All players by ascending slot, including those who left.
    pub fn players(&self) -> impl Iterator<Item = &RosterPlayer> {
        self.players.iter()
    }

    /// All observers.
    pub fn observers(&self) -> impl Iterator<Item = &RosterObserver> {
        self.observers.iter()
    }

    /// Seats `key` as a new observer with the lowest free id; `None` if the key already has a
    /// seat or every id is taken.
    pub(crate) fn add_observer(&mut self, key: PlayerKey) -> Option<ObserverId> {
        if self.players.iter().any(|p| p.key == key) || self.observers.iter().any(|o| o.key == key)
        {
            return None;
        }
        let id = (0..=u8::MAX)
            .map(ObserverId)
            .find(|id| self.observers.iter().all(|o| o.id != *id))?;
        self.observers.push(RosterObserver { id, key });
        Some(id)
    }

    /// One player.
    pub fn get(&self, slot: PlayerSlot) -> Option<&RosterPlayer> {
        self.players
            .binary_search_by_key(&slot, |p| p.slot)
            .ok()
            .map(|i| &self.players[i])
    }

    /// A player's team.
    pub fn team_of(&self, slot: PlayerSlot) -> Option<TeamId> {
        self.get(slot).map(|p| p.team)
    }

    /// Whether any player is on `team`.
    pub fn has_team(&self, team: TeamId) -> bool {
        self.players.iter().any(|p| p.team == team)
    }

    /// Slots of players still in the match.
    pub fn in_match_slots(&self) -> BTreeSet<PlayerSlot> {
        self.players
            .iter()
            .filter(|p| p.status.in_match())
            .map(|p| p.slot)
            .collect()
    }

    /// Teams with at least one player still in the match.
    pub fn teams_in_match(&self) -> BTreeSet<TeamId> {
        self.players
            .iter()
            .filter(|p| p.status.in_match())
            .map(|p| p.team)
            .collect()
    }

    fn transition(
        &mut self,
        slot: PlayerSlot,
        action: &'static str,
        change: impl FnOnce(PlayerStatus) -> Option<PlayerStatus>,
    ) -> Result<(), StatusError> {
        let Ok(index) = self.players.binary_search_by_key(&slot, |p| p.slot) else {
            return Err(StatusError {
                player: slot,
                from: "not_a_player",
                action,
            });
        };
        let player = &mut self.players[index];
        match change(player.status) {
            Some(next) => {
                player.status = next;
                Ok(())
            }
            None => Err(StatusError {
                player: slot,
                from: player.status.name(),
                action,
            }),
        }
    }

    pub(crate) fn mark_unresponsive(
        &mut self,
        slot: PlayerSlot,
        now_us: u64,
    ) -> Result<(), StatusError> {
        self.transition(slot, "become unresponsive", |s| match s {
            PlayerStatus::Active => Some(PlayerStatus::Unresponsive { since_us: now_us }),
            _ => None,
        })
    }

    pub(crate) fn mark_responsive(&mut self, slot: PlayerSlot) -> Result<(), StatusError> {
        self.transition(slot, "become responsive", |s| match s {
            PlayerStatus::Unresponsive { .. } => Some(PlayerStatus::Active),
            _ => None,
        })
    }

    pub(crate) fn disconnect(&mut self, slot: PlayerSlot, now_us: u64) -> Result<(), StatusError> {
        self.transition(slot, "disconnect", |s| {
            s.is_connected()
                .then_some(PlayerStatus::Disconnected { since_us: now_us })
        })
    }

    pub(crate) fn reconnect(&mut self, slot: PlayerSlot) -> Result<(), StatusError> {
        self.transition(slot, "reconnect", |s| match s {
            PlayerStatus::Disconnected { .. } => Some(PlayerStatus::Active),
            _ => None,
        })
    }

    pub(crate) fn abandon(&mut self, slot: PlayerSlot, tick: SimTick) -> Result<(), StatusError> {
        self.transition(slot, "abandon", |s| match s {
            PlayerStatus::Disconnected { .. } | PlayerStatus::Unresponsive { .. } => {
                Some(PlayerStatus::Abandoned { tick })
            }
            _ => None,
        })
    }

    /// Removes a player voted out by its team (connected or not): gone for good.
    pub(crate) fn kick(&mut self, slot: PlayerSlot, tick: SimTick) -> Result<(), StatusError> {
        self.transition(slot, "kick", |s| {
            s.in_match().then_some(PlayerStatus::Abandoned { tick })
        })
    }

    pub(crate) fn drop_for_desync(
        &mut self,
        slot: PlayerSlot,
        tick: SimTick,
    ) -> Result<(), StatusError> {
        self.transition(slot, "drop for desync", |s| {
            s.in_match()
                .then_some(PlayerStatus::DroppedForDesync { tick })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn roster() -> Roster {
        Roster::new(
            vec![RosterPlayer {
                slot: PlayerSlot(0),
                team: TeamId(0),
                key: PlayerKey::from_bytes([1; 32]),
                status: PlayerStatus::Active,
            }],
            vec![],
        )
    }

    #[test]
    fn lifecycle_allows_only_its_transitions() {
        let mut r = roster();
        let p = PlayerSlot(0);
        assert!(r.reconnect(p).is_err());
        assert!(r.abandon(p, 1).is_err());
        r.mark_unresponsive(p, 5).unwrap();
        r.mark_responsive(p).unwrap();
        r.disconnect(p, 10).unwrap();
        assert!(r.disconnect(p, 11).is_err());
        r.reconnect(p).unwrap();
        r.disconnect(p, 20).unwrap();
        r.abandon(p, 300).unwrap();
        assert_eq!(
            r.reconnect(p),
            Err(StatusError {
                player: p,
                from: "abandoned",
                action: "reconnect"
            })
        );
        assert!(r.drop_for_desync(p, 301).is_err());
        assert!(r.in_match_slots().is_empty());
    }
}
