//! Joining the queue: solo players, parties and their confirmations.
//! A player seated anywhere (queue, party, ready check) or cooling down is refused.

use scr::PlayerKey;

use super::{
    JoinChoices, Joined, Joining, Outbox, PendingParty, Seat, State, counted_from, queue_name,
};
use crate::matchmaker::error::MatchmakerError;
use crate::matchmaker::events::QueueEvent;
use crate::matchmaking::settings::QueueSpec;
use crate::matchmaking::{MatchmakingSettings, QueueEntry};

impl State {
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
        settings
            .requirement_of(&queue)
            .check(&joining.credentials)?;
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
        settings
            .requirement_of(&party.queue)
            .check(&joining.credentials)?;
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
}
