//! One round of the matchmaker: failed ready checks end, idle veto sides get a ban picked,
//! absent players leave, and every queue gets a pass whose proposals become ready checks.

use std::collections::HashMap;

use ranking::RankingProvider;
use ranking::matchmaking::RatingWindow;
use scr::PlayerKey;

use super::{Joining, LiveCheck, Outbox, Presence, Seat, State, cancelled, queue_name};
use crate::matchmaker::events::QueueEvent;
use crate::matchmaking::settings::QueueSpec;
use crate::matchmaking::{
    EntryId, MatchmakingSettings, QueueEntry, ReadyCheck, ReadyOutcome, run_pass,
};

impl State {
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
        report.ready = self.expire_vetoes(now_ms, out);
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
            // As the pass counts them, for telling which matches were formed in desperation.
            let queued: usize = entries.iter().map(|e| e.members.len()).sum();
            let queued = u32::try_from(queued).unwrap_or(u32::MAX);
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
                let desperation = taken.iter().any(|entry| {
                    settings
                        .window
                        .rating_window(entry.waited_secs(now_ms), queued)
                        == RatingWindow::Unbounded
                });
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
                        desperation,
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
    /// Matches whose veto ended with a ban picked for an idle side: ready for a relay.
    pub ready: Vec<super::AcceptedMatch>,
}
