//! The matchmaker's live state and every change to it, synchronous and free of I/O: joining,
//! parties, leaving, passes, ready checks, map vetoes, cooldowns and who is told what.
//!
//! Each method returns the events to deliver, as `(player, event)` pairs, so delivery stays
//! with the caller and this file can be tested without channels.

mod answers;
mod joining;
mod pass;
mod veto;

pub use pass::TickReport;
pub use veto::LiveVeto;

use std::collections::HashMap;

use scr::PlayerKey;

use super::events::QueueEvent;
use crate::matchmaking::settings::QueueSpec;
use crate::matchmaking::{
    DeclineHistory, EntryId, MatchmakingSettings, Member, QueueEntry, ReadyCheck, RecentPairs,
};

/// Events to deliver.
pub type Outbox = Vec<(PlayerKey, QueueEvent)>;

/// Where a player is.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
enum Seat {
    Queued { queue: QueueSpec, entry: EntryId },
    Party { party: u64 },
    ReadyCheck { check: u64 },
    Veto { check: u64 },
}

/// A player joining: the verified rating and the request's choices.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct Joining {
    /// The player and its verified rating.
    pub member: Member,
    /// Game module of the rating record.
    pub module: String,
    /// Its tier index (for the party rule).
    pub tier: Option<usize>,
    /// Still in placement.
    pub in_placement: bool,
    /// Under a moderation sanction that lowers its priority in the queue.
    pub low_priority: bool,
    /// What the records it presented for the queue's requirement proved (verified).
    #[serde(default)]
    pub credentials: Vec<crate::federation::Credential>,
}

/// A request to queue.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct JoinChoices {
    /// The queue's mode.
    pub mode: crate::matchmaking::QueueMode,
    /// Acceptable regions (empty: any).
    pub regions: Vec<String>,
    /// Party members to invite.
    pub party: Vec<PlayerKey>,
    /// Keys to avoid.
    pub avoid: Vec<PlayerKey>,
}

/// What joining did.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Joined {
    /// In the queue.
    Queued,
    /// A party waits for its members' confirmations.
    PartyPending {
        /// The party id members confirm.
        party_id: u64,
    },
}

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
struct PendingParty {
    queue: QueueSpec,
    leader: PlayerKey,
    confirmed: Vec<Joining>,
    waiting: Vec<PlayerKey>,
    regions: Vec<String>,
    avoid: Vec<PlayerKey>,
    created_ms: u64,
}

/// A found match whose players are answering.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct LiveCheck {
    /// Its queue.
    pub queue: QueueSpec,
    /// The answers so far.
    pub check: ReadyCheck,
    /// The entries in it, to requeue if it fails.
    pub entries: Vec<QueueEntry>,
    /// Entry ids of each team.
    pub teams: [Vec<EntryId>; 2],
    /// Formed after an entry's rating window had opened completely: its result counts with
    /// less information when the teams are far apart.
    #[serde(default)]
    pub desperation: bool,
}

/// A match every player accepted, to hand to a relay.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct AcceptedMatch {
    /// The ready check's id.
    pub id: u64,
    /// The check's content.
    pub live: LiveCheck,
    /// The map from the queue's pool (by veto in ranked queues); `None`: no pool, the game
    /// chooses in its lobby.
    #[serde(default)]
    pub map: Option<crate::matchmaking::PoolMap>,
}

/// How long a player may be absent (no event stream) before its queue entry is dropped.
#[derive(Debug, Clone, Copy, Default, serde::Serialize, serde::Deserialize)]
struct Presence {
    streams: usize,
    last_seen_ms: u64,
}

/// Everything the matchmaker holds in memory.
#[derive(Debug, Default, serde::Serialize, serde::Deserialize)]
pub struct State {
    next_id: u64,
    #[serde(with = "crate::matchmaking::map_as_list")]
    queues: HashMap<QueueSpec, Vec<QueueEntry>>,
    seats: HashMap<PlayerKey, Seat>,
    parties: HashMap<u64, PendingParty>,
    checks: HashMap<u64, LiveCheck>,
    #[serde(default)]
    vetoes: HashMap<u64, LiveVeto>,
    /// The last `match_ready` of each player, replayed when it reconnects (until it expires).
    ready: HashMap<PlayerKey, (QueueEvent, u64)>,
    declines: DeclineHistory,
    recent: RecentPairs,
    presence: HashMap<PlayerKey, Presence>,
}

/// When an entry joining at `now_ms` starts to count its wait.
fn counted_from(now_ms: u64, low_priority: bool, settings: &MatchmakingSettings) -> u64 {
    if low_priority {
        now_ms.saturating_add(settings.low_priority_delay_secs.saturating_mul(1000))
    } else {
        now_ms
    }
}

/// A queue as players name it: `module/mode`.
pub(super) fn queue_name(queue: &QueueSpec) -> String {
    format!("{}/{}", queue.module, queue.mode)
}

impl State {
    fn next_id(&mut self) -> u64 {
        self.next_id += 1;
        self.next_id
    }

    fn seen(&mut self, player: PlayerKey, now_ms: u64) {
        self.presence.entry(player).or_default().last_seen_ms = now_ms;
    }

    /// An event stream of `player` opened; returns what it should be told first.
    pub fn stream_opened(&mut self, player: PlayerKey, now_ms: u64) -> Vec<QueueEvent> {
        let presence = self.presence.entry(player).or_default();
        presence.streams += 1;
        presence.last_seen_ms = now_ms;
        self.current(&player, now_ms)
    }

    /// An event stream of `player` closed.
    pub fn stream_closed(&mut self, player: PlayerKey, now_ms: u64) {
        let presence = self.presence.entry(player).or_default();
        presence.streams = presence.streams.saturating_sub(1);
        presence.last_seen_ms = now_ms;
    }

    /// The open streams of `player` changed by `delta` (a process reported them, or was
    /// presumed gone with them).
    pub fn streams_changed(&mut self, player: PlayerKey, delta: isize, now_ms: u64) {
        let presence = self.presence.entry(player).or_default();
        presence.streams = presence.streams.saturating_add_signed(delta);
        presence.last_seen_ms = now_ms;
    }

    /// A new leader does not know which streams are still open: it counts none, as if all had
    /// just closed, and the processes that hold streams report them within seconds.
    pub fn forget_streams(&mut self, now_ms: u64) {
        for presence in self.presence.values_mut() {
            presence.streams = 0;
            presence.last_seen_ms = now_ms;
        }
    }

    /// Where the player stands, as the events that describe it (empty when idle).
    pub fn current(&self, player: &PlayerKey, now_ms: u64) -> Vec<QueueEvent> {
        if let Some((event, expires)) = self.ready.get(player) {
            if *expires > now_ms {
                return vec![event.clone()];
            }
        }
        match self.seats.get(player) {
            Some(Seat::Queued { queue, entry }) => self
                .queues
                .get(queue)
                .and_then(|entries| entries.iter().find(|e| e.id == *entry))
                .map(|entry| QueueEvent::Queued {
                    queue: queue_name(queue),
                    players: entry.members.iter().map(|m| m.key).collect(),
                })
                .into_iter()
                .collect(),
            Some(Seat::Party { party }) => self
                .parties
                .get(party)
                .map(|p| QueueEvent::PartyInvite {
                    party_id: *party,
                    leader: p.leader,
                    queue: queue_name(&p.queue),
                })
                .into_iter()
                .collect(),
            Some(Seat::ReadyCheck { check }) => self
                .checks
                .get(check)
                .map(|live| QueueEvent::MatchFound {
                    match_id: *check,
                    accept_deadline: live.check.deadline_ms() / 1000,
                    players: live.check.players().len(),
                    queue: queue_name(&live.queue),
                })
                .into_iter()
                .collect(),
            Some(Seat::Veto { check }) => self.veto_event(*check, player).into_iter().collect(),
            None => Vec::new(),
        }
    }

    /// Puts an entry back (keeping its original join time and front flag).
    pub fn requeue(&mut self, queue: QueueSpec, entry: QueueEntry) {
        for member in &entry.members {
            self.seats.insert(
                member.key,
                Seat::Queued {
                    queue: queue.clone(),
                    entry: entry.id,
                },
            );
        }
        self.queues.entry(queue).or_default().push(entry);
    }

    /// Remembers the `match_ready` event of a player, replayed on reconnect until `until_ms`.
    pub fn remember_ready(&mut self, player: PlayerKey, event: QueueEvent, until_ms: u64) {
        self.ready.insert(player, (event, until_ms));
    }

    /// Players queued per queue.
    pub fn queued_players(&self) -> Vec<(String, usize)> {
        self.queues
            .iter()
            .map(|(queue, entries)| {
                (
                    queue_name(queue),
                    entries.iter().map(|e| e.members.len()).sum(),
                )
            })
            .collect()
    }
}

fn cancelled(reason: &str, cooldown_until: Option<u64>) -> QueueEvent {
    QueueEvent::Cancelled {
        reason: reason.into(),
        cooldown_until,
    }
}

#[cfg(test)]
mod tests;
