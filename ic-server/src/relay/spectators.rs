//! The spectators of one match: observer seats taken in the lobby, their connections, and how
//! late their feed runs. Spectators only receive; relay-core holds their ticks back.

use std::time::Duration;

use bytes::Bytes;
use relay_core::core::ObserverSeat;
use relay_core::ids::ObserverId;
use scr::PlayerKey;

use super::link::{Link, LinkId};

/// Observer ids are one byte on the wire.
const MAX_SPECTATORS: usize = u8::MAX as usize;

struct Spectator {
    id: ObserverId,
    key: PlayerKey,
    /// `None` after the spectator left a running match (it may come back).
    link: Option<Link>,
}

/// One match's spectators.
pub(super) struct Spectators {
    seats: Vec<Spectator>,
    limit: usize,
}

impl Spectators {
    /// Room for `limit` spectators (0: none are admitted).
    pub(super) fn new(limit: usize) -> Self {
        Self {
            seats: Vec::new(),
            limit: limit.min(MAX_SPECTATORS),
        }
    }

    /// Whether `key` holds a spectator seat.
    pub(super) fn holds(&self, key: &PlayerKey) -> bool {
        self.seats.iter().any(|s| s.key == *key)
    }

    /// The seat `key` gets: its own if it has one; otherwise a free one, but only while the
    /// match has not started (a lockstep client needs every tick from the first) and only up to
    /// the limit.
    pub(super) fn seat_for(&self, key: &PlayerKey, started: bool) -> Option<ObserverId> {
        if let Some(seat) = self.seats.iter().find(|s| s.key == *key) {
            return Some(seat.id);
        }
        if started || self.seats.len() >= self.limit {
            return None;
        }
        (0..=u8::MAX)
            .map(ObserverId)
            .find(|id| self.seats.iter().all(|s| s.id != *id))
    }

    /// Connects `key` to seat `id` (from [`Self::seat_for`]); a previous connection of the same
    /// spectator is dropped.
    pub(super) fn attach(&mut self, id: ObserverId, key: PlayerKey, link: Link) {
        match self.seats.iter_mut().find(|s| s.id == id) {
            Some(seat) => seat.link = Some(link),
            None => self.seats.push(Spectator {
                id,
                key,
                link: Some(link),
            }),
        }
    }

    /// The seat of the spectator connected over `link`.
    pub(super) fn id_of_link(&self, link: LinkId) -> Option<ObserverId> {
        self.seats
            .iter()
            .find(|s| s.link.as_ref().is_some_and(|l| l.id == link))
            .map(|s| s.id)
    }

    /// The connection of spectator `id`, if it is connected.
    pub(super) fn link_of(&self, id: ObserverId) -> Option<LinkId> {
        self.seats
            .iter()
            .find(|s| s.id == id)
            .and_then(|s| s.link.as_ref())
            .map(|l| l.id)
    }

    /// A spectator's connection closed or was dropped: before the start the seat is freed,
    /// afterwards it is kept for a reconnect. Returns whether `link` was a spectator's.
    pub(super) fn detach(&mut self, link: LinkId, started: bool) -> bool {
        let Some(index) = self
            .seats
            .iter()
            .position(|s| s.link.as_ref().is_some_and(|l| l.id == link))
        else {
            return false;
        };
        if started {
            self.seats[index].link = None;
        } else {
            self.seats.remove(index);
        }
        true
    }

    /// Sends `bytes` to spectator `id`; false if it is not connected or cannot keep up.
    pub(super) fn send_to(&self, id: ObserverId, bytes: Bytes) -> bool {
        self.seats
            .iter()
            .find(|s| s.id == id)
            .and_then(|s| s.link.as_ref())
            .is_some_and(|link| link.send_bytes(bytes))
    }

    /// Every connected spectator's link.
    pub(super) fn links(&self) -> impl Iterator<Item = &Link> {
        self.seats.iter().filter_map(|s| s.link.as_ref())
    }

    /// The observer seats for the match setup (connected or not).
    pub(super) fn setup_seats(&self) -> Vec<ObserverSeat> {
        self.seats
            .iter()
            .map(|s| ObserverSeat {
                id: s.id,
                key: s.key,
            })
            .collect()
    }

    /// Drops every connection (their writers finish the queued frames first); returns how
    /// many there were.
    pub(super) fn disconnect_all(&mut self) -> usize {
        self.seats.iter_mut().filter_map(|s| s.link.take()).count()
    }
}

/// How many ticks spectators lag behind: the configured ticks in unranked matches; in ranked
/// ones the configured wall-clock delay at the match's tick rate, rounded up.
pub(super) fn delay_ticks(
    ranked: bool,
    tick_interval_us: u32,
    unranked_ticks: u32,
    ranked_delay: Duration,
) -> u32 {
    if !ranked {
        return unranked_ticks;
    }
    let tick = u128::from(tick_interval_us.max(1));
    u32::try_from(ranked_delay.as_micros().div_ceil(tick)).unwrap_or(u32::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranked_delay_is_wall_clock_rounded_up_to_whole_ticks() {
        let two_minutes = Duration::from_secs(120);
        assert_eq!(delay_ticks(false, 66_667, 60, two_minutes), 60);
        // 120 s at 15 ticks/s (66 667 µs) is 1799.99 ticks: rounded up, never shorter.
        assert_eq!(delay_ticks(true, 66_667, 60, two_minutes), 1800);
        assert_eq!(delay_ticks(true, 50_000, 0, two_minutes), 2400);
    }

    #[test]
    fn free_seats_are_given_only_before_the_start_and_up_to_the_limit() {
        let key = |n: u8| PlayerKey::from_bytes([n; 32]);
        let spectators = Spectators::new(2);
        assert_eq!(spectators.seat_for(&key(1), false), Some(ObserverId(0)));
        assert_eq!(spectators.seat_for(&key(1), true), None, "started");
        assert_eq!(Spectators::new(0).seat_for(&key(1), false), None);
    }
}
