//! The matchmaker's live state and every change to it, synchronous and free of I/O: joining,
//! parties, leaving, passes, ready checks, cooldowns and who is told what.
//!
//! Each method returns the events to deliver, as `(player, event)` pairs, so delivery stays
//! with the caller and this file can be tested without channels.

use std::collections::HashMap;

use ranking::RankingProvider;
use scr::PlayerKey;

use super::error::MatchmakerError;
use super::events::QueueEvent;
use crate::matchmaking::settings::QueueSpec;
use crate::matchmaking::{
    DeclineHistory, EntryId, MatchmakingSettings, Member, QueueEntry, ReadyCheck, ReadyOutcome,
    RecentPairs, run_pass,
};

/// Events to deliver.
pub type Outbox = Vec<(PlayerKey, QueueEvent)>;

/// Where a player is.
#[derive(Debug, Clone, PartialEq)]
enum Seat {
    Queued { queue: QueueSpec, entry: EntryId },
    Party { party: u64 },
    ReadyCheck { check: u64 },
}

/// A player joining: the verified rating and the request's choices.
#[derive(Debug, Clone)]
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
}

/// A request to queue.
#[derive(Debug, Clone)]
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
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Joined {
    /// In the queue.
    Queued,
    /// A party waits for its members' confirmations.
    PartyPending {
        /// The party id members confirm.
        party_id: u64,
    },
}

#[derive(Debug, Clone)]
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
#[derive(Debug, Clone)]
pub struct LiveCheck {
    /// Its queue.
    pub queue: QueueSpec,
    /// The answers so far.
    pub check: ReadyCheck,
    /// The entries in it, to requeue if it fails.
    pub entries: Vec<QueueEntry>,
    /// Entry ids of each team.
    pub teams: [Vec<EntryId>; 2],
}

/// A match every player accepted, to hand to a relay.
#[derive(Debug, Clone)]
pub struct AcceptedMatch {
    /// The ready check's id.
    pub id: u64,
    /// The check's content.
    pub live: LiveCheck,
}

/// How long a player may be absent (no event stream) before its queue entry is dropped.
#[derive(Debug, Clone, Copy, Default)]
struct Presence {
    streams: usize,
    last_seen_ms: u64,
}

/// Everything the matchmaker holds in memory.
#[derive(Debug, Default)]
pub struct State {
    next_id: u64,
    queues: HashMap<QueueSpec, Vec<QueueEntry>>,
    seats: HashMap<PlayerKey, Seat>,
    parties: HashMap<u64, PendingParty>,
    checks: HashMap<u64, LiveCheck>,
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
            None => Vec::new(),
        }
    }

    /// Refuses a player who is seated or cooling down.
    fn may_join(&self, player: &PlayerKey, now_ms: u64) -> Result<(), MatchmakerError> {
        if self.seats.contains_key(player) {
            return Err(MatchmakerError::AlreadyQueued);
        }
        if let Some(until) = self.declines.cooldown_until(player, now_ms) {
            return Err(MatchmakerError::Cooldown {
                until: until.div_ceil(1000),
                reason: "declined_match".into(),
            });
        }
        Ok(())
    }

    /// Queues a solo player or opens a party.
    pub fn join(
        &mut self,
        joining: Joining,
        choices: JoinChoices,
        settings: &MatchmakingSettings,
        now_ms: u64,
        out: &mut Outbox,
    ) -> Result<Joined, MatchmakerError> {
        let player = joining.member.key;
        self.may_join(&player, now_ms)?;
        let queue = QueueSpec {
            module: joining.module.clone(),
            mode: choices.mode,
        };
        if !settings.queues.contains(&queue) {
            return Err(MatchmakerError::UnknownQueue {
                module: queue.module,
                mode: queue.mode.to_string(),
            });
        }
        if choices.avoid.len() > settings.avoid_list_max {
            return Err(MatchmakerError::AvoidListTooLong {
                max: settings.avoid_list_max,
            });
        }
        let mut invited = choices.party.clone();
        invited.sort();
        invited.dedup();
        invited.retain(|p| *p != player);
        let size = invited.len() + 1;
        if size > queue.mode.team_size() {
            return Err(MatchmakerError::PartyTooLarge {
                size,
                team_size: queue.mode.team_size(),
            });
        }
        self.seen(player, now_ms);
        if invited.is_empty() {
            let entry = QueueEntry {
                id: self.next_id(),
                members: vec![joining.member],
                joined_ms: now_ms,
                counted_from_ms: counted_from(now_ms, joining.low_priority, settings),
                front: false,
                regions: choices.regions,
                avoid: choices.avoid,
                in_placement: joining.in_placement,
            };
            self.enqueue(queue, entry, out);
            return Ok(Joined::Queued);
        }
        let party_id = self.next_id();
        for member in &invited {
            out.push((
                *member,
                QueueEvent::PartyInvite {
                    party_id,
                    leader: player,
                    queue: queue_name(&queue),
                },
            ));
        }
        self.parties.insert(
            party_id,
            PendingParty {
                queue,
                leader: player,
                confirmed: vec![joining],
                waiting: invited,
                regions: choices.regions,
                avoid: choices.avoid,
                created_ms: now_ms,
            },
        );
        self.seats.insert(player, Seat::Party { party: party_id });
        Ok(Joined::PartyPending { party_id })
    }

    /// A party member confirms with its verified rating; the party queues once all have.
    pub fn confirm(
        &mut self,
        party_id: u64,
        joining: Joining,
        settings: &MatchmakingSettings,
        now_ms: u64,
        out: &mut Outbox,
    ) -> Result<Joined, MatchmakerError> {
        let player = joining.member.key;
        let party = self
            .parties
            .get(&party_id)
            .filter(|p| p.waiting.contains(&player))
            .ok_or(MatchmakerError::NotInvited)?;
        if joining.module != party.queue.module {
            return Err(MatchmakerError::UnknownQueue {
                module: joining.module,
                mode: party.queue.mode.to_string(),
            });
        }
        // Members more than one tier apart would make the party's rating meaningless.
        let tiers: Vec<usize> = party
            .confirmed
            .iter()
            .filter_map(|confirmed| confirmed.tier)
            .chain(joining.tier)
            .collect();
        if let (Some(low), Some(high)) = (tiers.iter().min(), tiers.iter().max()) {
            if high - low > 1 {
                return Err(MatchmakerError::PartyTierGap);
            }
        }
        self.may_join(&player, now_ms)?;
        self.seen(player, now_ms);
        let Some(party) = self.parties.get_mut(&party_id) else {
            return Err(MatchmakerError::NotInvited);
        };
        party.waiting.retain(|p| *p != player);
        party.confirmed.push(joining);
        self.seats.insert(player, Seat::Party { party: party_id });
        if !party.waiting.is_empty() {
            return Ok(Joined::PartyPending { party_id });
        }
        let Some(party) = self.parties.remove(&party_id) else {
            return Err(MatchmakerError::NotInvited);
        };
        // One sanctioned member lowers the whole party's priority (it plays as one).
        let low_priority = party.confirmed.iter().any(|j| j.low_priority);
        let entry = QueueEntry {
            id: self.next_id(),
            in_placement: party.confirmed.iter().any(|j| j.in_placement),
            members: party.confirmed.into_iter().map(|j| j.member).collect(),
            joined_ms: now_ms,
            counted_from_ms: counted_from(now_ms, low_priority, settings),
            front: false,
            regions: party.regions,
            avoid: party.avoid,
        };
        self.enqueue(party.queue, entry, out);
        Ok(Joined::Queued)
    }

    fn enqueue(&mut self, queue: QueueSpec, entry: QueueEntry, out: &mut Outbox) {
        let players: Vec<PlayerKey> = entry.members.iter().map(|m| m.key).collect();
        for player in &players {
            self.ready.remove(player);
            self.seats.insert(
                *player,
                Seat::Queued {
                    queue: queue.clone(),
                    entry: entry.id,
                },
            );
            out.push((
                *player,
                QueueEvent::Queued {
                    queue: queue_name(&queue),
                    players: players.clone(),
                },
            ));
        }
        self.queues.entry(queue).or_default().push(entry);
    }

    /// Takes `player` out: its whole entry or party leaves; in a ready check, leaving is a
    /// decline.
    pub fn leave(
        &mut self,
        player: &PlayerKey,
        settings: &MatchmakingSettings,
        now_ms: u64,
        out: &mut Outbox,
    ) -> Result<(), MatchmakerError> {
        match self.seats.get(player).cloned() {
            None => Err(MatchmakerError::NotQueued),
            Some(Seat::ReadyCheck { check }) => self.decline(check, player, settings, now_ms, out),
            Some(Seat::Party { party }) => {
                if let Some(party) = self.parties.remove(&party) {
                    for Joining { member, .. } in party.confirmed {
                        self.seats.remove(&member.key);
                        let reason = if member.key == *player {
                            "left"
                        } else {
                            "party_cancelled"
                        };
                        out.push((member.key, cancelled(reason, None)));
                    }
                    for invited in party.waiting {
                        out.push((invited, cancelled("party_cancelled", None)));
                    }
                }
                Ok(())
            }
            Some(Seat::Queued { queue, entry }) => {
                self.remove_entry(&queue, entry, player, "left", out);
                Ok(())
            }
        }
    }

    fn remove_entry(
        &mut self,
        queue: &QueueSpec,
        entry: EntryId,
        cause: &PlayerKey,
        reason: &str,
        out: &mut Outbox,
    ) {
        let Some(entries) = self.queues.get_mut(queue) else {
            return;
        };
        let Some(at) = entries.iter().position(|e| e.id == entry) else {
            return;
        };
        let removed = entries.swap_remove(at);
        for member in removed.members {
            self.seats.remove(&member.key);
            let reason = if member.key == *cause || reason == "expired" {
                reason
            } else {
                "party_cancelled"
            };
            out.push((member.key, cancelled(reason, None)));
        }
    }

    /// Accepts the ready check `check` for `player`; returns the match once everyone has.
    pub fn accept(
        &mut self,
        check: u64,
        player: &PlayerKey,
        now_ms: u64,
    ) -> Result<Option<AcceptedMatch>, MatchmakerError> {
        let live = self
            .checks
            .get_mut(&check)
            .ok_or(MatchmakerError::NoSuchMatch)?;
        let outcome = live
            .check
            .accept(player, now_ms)
            .map_err(|_| MatchmakerError::NoSuchMatch)?;
        if outcome != ReadyOutcome::AllAccepted {
            return Ok(None);
        }
        let Some(live) = self.checks.remove(&check) else {
            return Ok(None);
        };
        for player in live.check.players() {
            self.seats.remove(player);
        }
        Ok(Some(AcceptedMatch { id: check, live }))
    }

    /// Declines the ready check `check` for `player`.
    pub fn decline(
        &mut self,
        check: u64,
        player: &PlayerKey,
        settings: &MatchmakingSettings,
        now_ms: u64,
        out: &mut Outbox,
    ) -> Result<(), MatchmakerError> {
        let live = self
            .checks
            .get_mut(&check)
            .ok_or(MatchmakerError::NoSuchMatch)?;
        let outcome = live
            .check
            .decline(player, now_ms)
            .map_err(|_| MatchmakerError::NoSuchMatch)?;
        if let ReadyOutcome::Failed { decliners, .. } = outcome {
            self.fail_check(check, &decliners, "declined", settings, now_ms, out);
        }
        Ok(())
    }

    /// Ends a failed check: decliners cool down and leave, the rest go back to the front of
    /// the queue (a party with a decliner leaves whole).
    fn fail_check(
        &mut self,
        check: u64,
        decliners: &[PlayerKey],
        reason: &str,
        settings: &MatchmakingSettings,
        now_ms: u64,
        out: &mut Outbox,
    ) {
        let Some(live) = self.checks.remove(&check) else {
            return;
        };
        for decliner in decliners {
            let until = self.declines.record(*decliner, now_ms, settings);
            self.seats.remove(decliner);
            out.push((*decliner, cancelled(reason, Some(until.div_ceil(1000)))));
        }
        for mut entry in live.entries {
            let keys: Vec<PlayerKey> = entry.members.iter().map(|m| m.key).collect();
            if keys.iter().any(|k| decliners.contains(k)) {
                for key in keys.iter().filter(|k| !decliners.contains(k)) {
                    self.seats.remove(key);
                    out.push((*key, cancelled("party_member_declined", None)));
                }
                continue;
            }
            entry.front = true;
            for key in &keys {
                out.push((
                    *key,
                    QueueEvent::Requeued {
                        reason: "another_player_declined".into(),
                    },
                ));
            }
            self.requeue(live.queue.clone(), entry);
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

    /// One round of the matchmaker at `now_ms`: failed ready checks end, absent players'
    /// entries expire, then every queue gets a pass. Returns the proposals' qualities and
    /// waits for the metrics, and the queues whose pass found nothing.
    pub fn tick(
        &mut self,
        provider: &dyn RankingProvider,
        settings: &MatchmakingSettings,
        now_ms: u64,
        out: &mut Outbox,
    ) -> TickReport {
        let mut report = TickReport::default();
        let expired: Vec<(u64, Vec<PlayerKey>)> = self
            .checks
            .iter()
            .filter_map(|(id, live)| match live.check.outcome(now_ms) {
                ReadyOutcome::Failed { decliners, .. } => Some((*id, decliners)),
                _ => None,
            })
            .collect();
        for (id, silent) in expired {
            self.fail_check(id, &silent, "no_answer", settings, now_ms, out);
        }
        self.expire_absent(settings, now_ms, out);
        self.declines.prune(now_ms);
        self.recent.prune(now_ms, settings.rematch_window_secs);
        self.ready.retain(|_, (_, until)| *until > now_ms);

        let queues: Vec<QueueSpec> = self.queues.keys().cloned().collect();
        for queue in queues {
            let entries = self.queues.remove(&queue).unwrap_or_default();
            if entries.is_empty() {
                continue;
            }
            let found = run_pass(
                &entries,
                queue.mode,
                provider,
                settings,
                &self.recent,
                now_ms,
            );
            if found.is_empty() {
                report.unmatched_passes.push(queue_name(&queue));
            }
            let mut left: HashMap<EntryId, QueueEntry> =
                entries.into_iter().map(|e| (e.id, e)).collect();
            for proposal in found {
                let taken: Vec<QueueEntry> = proposal
                    .teams
                    .iter()
                    .flatten()
                    .filter_map(|id| left.remove(id))
                    .collect();
                let players: Vec<PlayerKey> = taken
                    .iter()
                    .flat_map(|e| e.members.iter().map(|m| m.key))
                    .collect();
                if queue.mode.team_size() == 1 && players.len() == 2 {
                    self.recent.record(players[0], players[1], now_ms);
                }
                for entry in &taken {
                    report
                        .waits_secs
                        .push(now_ms.saturating_sub(entry.joined_ms) as f64 / 1000.0);
                }
                report
                    .qualities
                    .push(f64::from(proposal.quality.fairness) / 1000.0);
                let id = self.next_id();
                let check = ReadyCheck::new(players.clone(), now_ms, settings);
                for player in &players {
                    self.seats.insert(*player, Seat::ReadyCheck { check: id });
                    out.push((
                        *player,
                        QueueEvent::MatchFound {
                            match_id: id,
                            accept_deadline: check.deadline_ms() / 1000,
                            players: players.len(),
                            queue: queue_name(&queue),
                        },
                    ));
                }
                self.checks.insert(
                    id,
                    LiveCheck {
                        queue: queue.clone(),
                        check,
                        entries: taken,
                        teams: proposal.teams,
                    },
                );
            }
            self.queues.insert(queue, left.into_values().collect());
        }
        report
    }

    /// Drops queue entries and pending parties whose players have had no event stream for
    /// longer than the entry TTL.
    fn expire_absent(&mut self, settings: &MatchmakingSettings, now_ms: u64, out: &mut Outbox) {
        let ttl_ms = settings.entry_ttl_secs * 1000;
        let absent = |presence: &HashMap<PlayerKey, Presence>, player: &PlayerKey| {
            presence
                .get(player)
                .is_none_or(|p| p.streams == 0 && now_ms.saturating_sub(p.last_seen_ms) > ttl_ms)
        };
        let mut gone: Vec<(QueueSpec, EntryId, PlayerKey)> = Vec::new();
        for (queue, entries) in &self.queues {
            for entry in entries {
                if entry.members.iter().all(|m| absent(&self.presence, &m.key)) {
                    if let Some(first) = entry.members.first() {
                        gone.push((queue.clone(), entry.id, first.key));
                    }
                }
            }
        }
        for (queue, entry, player) in gone {
            self.remove_entry(&queue, entry, &player, "expired", out);
        }
        let stale: Vec<u64> = self
            .parties
            .iter()
            .filter(|(_, p)| now_ms.saturating_sub(p.created_ms) > ttl_ms)
            .map(|(id, _)| *id)
            .collect();
        for id in stale {
            if let Some(party) = self.parties.remove(&id) {
                for Joining { member, .. } in party.confirmed {
                    self.seats.remove(&member.key);
                    out.push((member.key, cancelled("expired", None)));
                }
            }
        }
        self.presence.retain(|player, p| {
            p.streams > 0
                || self.seats.contains_key(player)
                || now_ms.saturating_sub(p.last_seen_ms) <= ttl_ms
        });
    }
}

/// What one tick did, for the metrics.
#[derive(Debug, Default)]
pub struct TickReport {
    /// Seconds each matched entry waited.
    pub waits_secs: Vec<f64>,
    /// Fairness (0–1) of each match found.
    pub qualities: Vec<f64>,
    /// Queues whose pass found nothing.
    pub unmatched_passes: Vec<String>,
}

fn cancelled(reason: &str, cooldown_until: Option<u64>) -> QueueEvent {
    QueueEvent::Cancelled {
        reason: reason.into(),
        cooldown_until,
    }
}

#[cfg(test)]
#[path = "state_tests.rs"]
mod tests;
