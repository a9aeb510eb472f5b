//! Which process holds which players' event streams, as the leading matchmaker knows it: a
//! process reports its streams every few seconds; one silent for too long is presumed gone.
//!
//! Kept in real time (not the matchmaker's clock) and outside the saved state: a new leader
//! learns it afresh from the reports, within one reporting interval.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use scr::PlayerKey;

/// How often a process reports its open streams.
pub const REPORT_EVERY: Duration = Duration::from_secs(2);
/// Silence after which a process is presumed gone, with its streams.
pub const GONE_AFTER: Duration = Duration::from_secs(10);

#[derive(Debug)]
struct Holder {
    heard: Instant,
    streams: HashMap<PlayerKey, usize>,
}

/// The processes holding streams, and how many each holds per player.
#[derive(Debug, Default)]
pub struct Holders {
    by_origin: HashMap<u64, Holder>,
}

/// A change in a player's open streams, to apply to the queue's presence.
pub type StreamDelta = (PlayerKey, isize);

impl Holders {
    fn holder(&mut self, origin: u64, now: Instant) -> &mut Holder {
        let holder = self.by_origin.entry(origin).or_insert_with(|| Holder {
            heard: now,
            streams: HashMap::new(),
        });
        holder.heard = now;
        holder
    }

    /// `origin` opened a stream of `player`.
    pub fn opened(&mut self, origin: u64, player: PlayerKey, now: Instant) {
        *self.holder(origin, now).streams.entry(player).or_default() += 1;
    }

    /// `origin` closed a stream of `player`.
    pub fn closed(&mut self, origin: u64, player: PlayerKey, now: Instant) {
        let holder = self.holder(origin, now);
        if let Some(count) = holder.streams.get_mut(&player) {
            *count = count.saturating_sub(1);
            if *count == 0 {
                holder.streams.remove(&player);
            }
        }
    }

    /// `origin` reports the streams it holds; returns how each player's count changed from
    /// what was known.
    pub fn reported(
        &mut self,
        origin: u64,
        streams: &[(PlayerKey, usize)],
        now: Instant,
    ) -> Vec<StreamDelta> {
        let holder = self.holder(origin, now);
        let reported: HashMap<PlayerKey, usize> = streams.iter().copied().collect();
        let mut deltas = Vec::new();
        for (player, known) in &holder.streams {
            let now_held = reported.get(player).copied().unwrap_or(0);
            if now_held != *known {
                deltas.push((*player, signed(now_held) - signed(*known)));
            }
        }
        for (player, count) in &reported {
            if !holder.streams.contains_key(player) && *count > 0 {
                deltas.push((*player, signed(*count)));
            }
        }
        holder.streams = reported.into_iter().filter(|(_, n)| *n > 0).collect();
        deltas
    }

    /// Forgets the processes silent since before `now - GONE_AFTER`; returns their streams as
    /// closed.
    pub fn expire(&mut self, now: Instant) -> Vec<StreamDelta> {
        let mut deltas = Vec::new();
        self.by_origin.retain(|_, holder| {
            let alive = now.saturating_duration_since(holder.heard) < GONE_AFTER;
            if !alive {
                deltas.extend(holder.streams.iter().map(|(p, n)| (*p, -signed(*n))));
            }
            alive
        });
        deltas
    }
}

fn signed(count: usize) -> isize {
    isize::try_from(count).unwrap_or(isize::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(byte: u8) -> PlayerKey {
        PlayerKey::from_bytes([byte; 32])
    }

    #[test]
    fn a_report_corrects_what_was_known() {
        let mut holders = Holders::default();
        let start = Instant::now();
        holders.opened(1, key(1), start);
        holders.opened(1, key(2), start);
        // Player 1's stream closed without the leader hearing it; player 3 opened one twice.
        let mut deltas = holders.reported(1, &[(key(2), 1), (key(3), 2)], start);
        deltas.sort();
        let mut expected = vec![(key(1), -1), (key(3), 2)];
        expected.sort();
        assert_eq!(deltas, expected);
        assert!(
            holders
                .reported(1, &[(key(2), 1), (key(3), 2)], start)
                .is_empty()
        );
    }

    #[test]
    fn a_silent_process_takes_its_streams_with_it() {
        let mut holders = Holders::default();
        let start = Instant::now();
        holders.opened(1, key(1), start);
        holders.opened(2, key(1), start);
        holders.closed(2, key(1), start);
        holders.opened(2, key(2), start);
        assert!(holders.expire(start + GONE_AFTER / 2).is_empty());
        holders.reported(2, &[(key(2), 1)], start + GONE_AFTER / 2);
        // Process 1 went silent at `start`; process 2 reported later and stays.
        assert_eq!(holders.expire(start + GONE_AFTER), vec![(key(1), -1)]);
        assert!(holders.expire(start + GONE_AFTER).is_empty());
    }
}
