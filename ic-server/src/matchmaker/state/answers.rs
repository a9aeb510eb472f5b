//! A player's answers once seated: leaving, and accepting or declining a found match.
//! A failed ready check (or a veto someone left) cools the decliners down and puts everyone
//! else back in front.

use scr::PlayerKey;

use super::{AcceptedMatch, Joining, LiveCheck, Outbox, Seat, State, cancelled};
use crate::matchmaker::error::MatchmakerError;
use crate::matchmaker::events::QueueEvent;
use crate::matchmaking::settings::QueueSpec;
use crate::matchmaking::{EntryId, MatchmakingSettings, ReadyCheck, ReadyOutcome};

impl State {
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
            Some(Seat::Veto { check }) => self.leave_veto(check, player, settings, now_ms, out),
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

    pub(super) fn remove_entry(
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

    /// Accepts the ready check `check` for `player`; returns the match once everyone has and
    /// its map is chosen (a ranked pool's veto starts instead, telling everyone in `out`).
    pub fn accept(
        &mut self,
        check: u64,
        player: &PlayerKey,
        settings: &MatchmakingSettings,
        now_ms: u64,
        out: &mut Outbox,
    ) -> Result<Option<AcceptedMatch>, MatchmakerError> {
        let outcome = self
            .ready_check(check)?
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
        let accepted = AcceptedMatch {
            id: check,
            live,
            map: None,
        };
        Ok(self.choose_map(accepted, settings, now_ms, out))
    }

    /// The answers of ready check `check`.
    fn ready_check(&mut self, check: u64) -> Result<&mut ReadyCheck, MatchmakerError> {
        self.checks
            .get_mut(&check)
            .map(|live| &mut live.check)
            .ok_or(MatchmakerError::NoSuchMatch)
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
        let outcome = self
            .ready_check(check)?
            .decline(player, now_ms)
            .map_err(|_| MatchmakerError::NoSuchMatch)?;
        if let ReadyOutcome::Failed { decliners, .. } = outcome {
            self.fail_check(check, &decliners, "declined", settings, now_ms, out);
        }
        Ok(())
    }

    /// Ends a failed check: decliners cool down and leave, the rest go back to the front of
    /// the queue (a party with a decliner leaves whole).
    pub(super) fn fail_check(
        &mut self,
        check: u64,
        decliners: &[PlayerKey],
        reason: &str,
        settings: &MatchmakingSettings,
        now_ms: u64,
        out: &mut Outbox,
    ) {
        if let Some(live) = self.checks.remove(&check) {
            self.fail_live(live, decliners, reason, settings, now_ms, out);
        }
    }

    /// Ends the match `live` before it reached a relay: as [`State::fail_check`].
    pub(super) fn fail_live(
        &mut self,
        live: LiveCheck,
        decliners: &[PlayerKey],
        reason: &str,
        settings: &MatchmakingSettings,
        now_ms: u64,
        out: &mut Outbox,
    ) {
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
}
