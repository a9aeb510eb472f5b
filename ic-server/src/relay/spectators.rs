//! The spectators of one match: their seats and connections, how late their feed runs, and the
//! catch-up from the replay for one who comes mid-match. Spectators only receive.

use std::time::Duration;

use bytes::{Bytes, BytesMut};
use relay_core::core::{ObserverSeat, Roster};
use relay_core::filters::observer_reads;
use relay_core::frames::{Frame, encode_tick_orders};
use relay_core::ids::{ObserverId, SimTick};
use relay_core::order::TickOrders;
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

    /// The seat `key` already holds.
    pub(super) fn seat_of(&self, key: &PlayerKey) -> Option<ObserverId> {
        self.seats.iter().find(|s| s.key == *key).map(|s| s.id)
    }

    /// Whether one more spectator may be seated.
    pub(super) fn has_room(&self) -> bool {
        self.seats.len() < self.limit
    }

    /// The seat `key` gets in the lobby: its own, or the lowest free one up to the limit.
    pub(super) fn lobby_seat(&self, key: &PlayerKey) -> Option<ObserverId> {
        if let Some(id) = self.seat_of(key) {
            return Some(id);
        }
        if !self.has_room() {
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

    /// Drops every connection (their writers finish the queued frames first).
    pub(super) fn disconnect_all(&mut self) {
        for seat in &mut self.seats {
            seat.link = None;
        }
    }
}

/// Bytes of whole frames per queued write of a catch-up.
const CATCH_UP_CHUNK: usize = 64 * 1024;

/// What a spectator who comes mid-match needs from the replay, read in two steps: the bulk
/// off the match task, then the few ticks recorded meanwhile (see `MatchTask`).
#[derive(Default)]
pub(super) struct CatchUp {
    /// The ticks already released to spectators, framed in chunks for its link.
    pub(super) released: Vec<Bytes>,
    /// The ticks finalized but not yet due, for the relay to hold back (see
    /// `RelayCore::add_observer`).
    pub(super) unreleased: Vec<TickOrders>,
    /// Bytes of the replay read so far.
    offset: u64,
    /// The next tick to read.
    next_tick: SimTick,
}

impl CatchUp {
    /// The replay's byte offset to read on from.
    pub(super) fn offset(&self) -> u64 {
        self.offset
    }

    /// Reads on from `recorded` (the replay from [`Self::offset`]) up to, not including, tick
    /// `until`, as a spectator may see it (chat it may not read removed): ticks up to
    /// `released_through` to send now, later ones to hold. An error when the recording is
    /// damaged or ends early (the spectator would miss ticks).
    pub(super) fn read(
        &mut self,
        recorded: &[u8],
        released_through: Option<SimTick>,
        until: SimTick,
        roster: &Roster,
    ) -> Result<(), String> {
        let mut rest = BytesMut::from(recorded);
        let mut chunk = BytesMut::with_capacity(CATCH_UP_CHUNK);
        while self.next_tick < until {
            let before = rest.len();
            let frame = Frame::decode_from(&mut rest).map_err(|e| e.to_string())?;
            let Some(Frame::TickOrders(mut tick)) = frame else {
                return Err(format!("the replay ends before tick {}", self.next_tick));
            };
            if tick.tick != self.next_tick {
                return Err(format!(
                    "the replay has tick {} where {} belongs",
                    tick.tick, self.next_tick
                ));
            }
            self.offset += (before - rest.len()) as u64;
            self.next_tick += 1;
            tick.orders.retain(|order| observer_reads(roster, order));
            if released_through.is_some_and(|through| tick.tick <= through) {
                encode_tick_orders(&tick, &mut chunk).map_err(|e| e.to_string())?;
                if chunk.len() >= CATCH_UP_CHUNK {
                    self.released.push(chunk.split().freeze());
                }
            } else {
                self.unreleased.push(tick);
            }
        }
        if !chunk.is_empty() {
            self.released.push(chunk.freeze());
        }
        Ok(())
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
    fn lobby_seats_are_given_up_to_the_limit() {
        let key = |n: u8| PlayerKey::from_bytes([n; 32]);
        assert_eq!(Spectators::new(2).lobby_seat(&key(1)), Some(ObserverId(0)));
        assert_eq!(Spectators::new(0).lobby_seat(&key(1)), None);
        assert!(!Spectators::new(0).has_room());
    }
}
