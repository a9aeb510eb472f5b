//! Closing a tick: filter chain, hashing and routing, then the rules that run once per tick
//! (kicks, reconnect timeouts, desync verdicts, votes, report consensus, QoS windows).

use std::sync::Arc;

use super::{CoreError, DegradedCause, FinalizedTick, PlayerStatus, RelayCore, RelayEvent};
use crate::cmr::MatchOutcome;
use crate::desync::DesyncVerdict;
use crate::filters::{FilterCtx, Recipient, RecipientFeed};
use crate::frames::KickReason;
use crate::ids::{PlayerSlot, SimTick};
use crate::kick_votes::KickVoteEffect;
use crate::leavers::{AbandonEffect, Leaving, judge_abandon};
use crate::match_end::VoteEffect;
use crate::order::{PlayerOrder, TickOrders, TimestampedOrder, VoteKind};
use crate::pauses::PauseEffect;
use crate::qos::WINDOW_TICKS;

impl RelayCore {
    /// Closes the open tick: sorts, runs the filter chain, hashes, routes per recipient,
    /// then applies timeouts, desync checks, match-end rules and QoS at relay time `now_us`.
    ///
    /// The relay never waits: the caller calls this at [`Self::next_deadline_us`] whether or not
    /// every player's batch arrived.
    pub fn finalize_tick(&mut self, now_us: u64) -> Result<FinalizedTick, CoreError> {
        if self.outcome.is_some() {
            return Err(CoreError::MatchOver);
        }
        let tick = self.open_tick;
        // The time authority's own lateness: a sustained stall degrades the match.
        let lateness_us = now_us.saturating_sub(self.next_deadline_us());
        if self.lateness.observe(lateness_us) && !self.degraded {
            self.degraded = true;
            self.events.push(RelayEvent::Degraded {
                tick,
                cause: DegradedCause::Lateness,
            });
        }
        let bucket = self.pending.remove(&tick).unwrap_or_default();
        let mut canonical = TickOrders {
            tick,
            orders: bucket.orders,
        };
        let mut ctx = FilterCtx {
            tick,
            clock: self.clock,
            roster: &self.roster,
            calibration: None,
            one_way_us: 0,
            events: &mut self.events,
            canonical: None,
        };
        for filter in &mut self.filters {
            filter.on_tick(&mut ctx, &mut canonical, &bucket.present);
        }
        // Stable sort: a player's own orders with equal times keep their submission order;
        // across players the slot breaks ties, so arrival interleaving never matters.
        canonical.orders.sort_by_key(TimestampedOrder::sort_key);
        self.hasher.update(&canonical);
        for filter in &mut self.filters {
            filter.on_finalized(&mut ctx, &canonical);
        }
        let canonical = Arc::new(canonical);
        ctx.canonical = Some(&canonical);
        let mut feeds: Vec<RecipientFeed> = self
            .roster
            .players()
            .filter(|p| p.status.in_match())
            .map(|p| Recipient::Player(p.slot))
            .chain(self.roster.observers().map(|o| Recipient::Observer(o.id)))
            .map(|recipient| RecipientFeed {
                recipient,
                ticks: vec![Arc::clone(&canonical)],
            })
            .collect();
        for filter in &mut self.filters {
            filter.on_outbound(&mut ctx, &mut feeds);
        }
        for player in self.roster.players() {
            if player.status.is_connected() && !bucket.present.contains(&player.slot) {
                self.qos.record_missed(player.slot);
            }
        }
        self.apply_votes(&canonical);
        self.apply_filter_events(now_us);
        self.apply_timeouts(tick, now_us);
        self.apply_desync(tick);
        if self.outcome.is_none()
            && let Some(consensus) = self.end.consensus(&self.roster, now_us)
        {
            self.final_state_hash = consensus.final_state_hash;
            self.decide(consensus.outcome);
        }
        if (tick + 1) % WINDOW_TICKS == 0 {
            let players = self
                .roster
                .players()
                .filter(|p| p.status.is_connected())
                .count();
            let (change, feedback) = self.qos.end_window(tick, players);
            self.events.extend(change.map(RelayEvent::QosAdjusted));
            self.events.extend(
                feedback
                    .into_iter()
                    .map(|(player, feedback)| RelayEvent::TimingFeedback { player, feedback }),
            );
        }
        self.open_tick += 1;
        Ok(FinalizedTick {
            canonical,
            feeds,
            events: std::mem::take(&mut self.events),
        })
    }

    /// Once the match has an outcome: every tick the filters still hold back (the observers'
    /// delayed feed), one feed per observer; empty feeds while the match runs.
    pub fn release_observer_feeds(&mut self) -> Vec<RecipientFeed> {
        let mut feeds: Vec<RecipientFeed> = self
            .roster
            .observers()
            .map(|o| RecipientFeed {
                recipient: Recipient::Observer(o.id),
                ticks: Vec::new(),
            })
            .collect();
        if self.outcome.is_some() {
            for filter in &mut self.filters {
                filter.release_held(&mut feeds);
            }
        }
        feeds
    }

    fn decide(&mut self, outcome: MatchOutcome) {
        if self.outcome.is_none() {
            self.outcome = Some(outcome);
            self.events.push(RelayEvent::MatchEnded(outcome));
        }
    }

    fn apply_votes(&mut self, canonical: &TickOrders) {
        let tick = canonical.tick;
        let elapsed_us = self.clock.elapsed_at(tick);
        let tick_us = u64::from(self.setup.tick_interval_us);
        for order in &canonical.orders {
            let PlayerOrder::Vote(kind) = order.order else {
                continue;
            };
            let effect = match kind {
                VoteKind::Surrender => self.end.surrender(order.player, &self.roster),
                VoteKind::Remake => self.end.remake(order.player, elapsed_us, &self.roster),
                VoteKind::Pause => {
                    let effect = self.pauses.pause(order.player, tick, elapsed_us, tick_us);
                    self.pause_event(order.player, effect);
                    continue;
                }
                VoteKind::Resume => {
                    let effect = self.pauses.resume(order.player, tick, &self.roster);
                    self.pause_event(order.player, effect);
                    continue;
                }
                VoteKind::Kick(target) => {
                    let effect = self.kick_votes.vote(order.player, target, &self.roster);
                    if let KickVoteEffect::Kicked(player) = effect {
                        self.kick_out(player, tick);
                    }
                    continue;
                }
            };
            match effect {
                VoteEffect::Counted => {}
                VoteEffect::RemakeWindowClosed => {
                    self.events.push(RelayEvent::RemakeVoteIgnored {
                        player: order.player,
                    });
                }
                VoteEffect::Decided(outcome) => self.decide(outcome),
            }
        }
        if let Some(effect) = self.pauses.expire(tick) {
            self.pause_event(PlayerSlot(0), effect);
        }
    }

    /// Removes a player its team voted out: its result is "abandoned", and a team left alone
    /// in the match wins as after any abandon.
    fn kick_out(&mut self, player: PlayerSlot, tick: SimTick) {
        if self.roster.kick(player, tick).is_err() {
            return;
        }
        self.liveness.remove(&player);
        self.events.push(RelayEvent::Kicked {
            player,
            reason: KickReason::VotedOut,
        });
        if self.roster.teams_in_match().len() <= 1 {
            self.decide(MatchOutcome::Abandoned { leaver: player });
        }
    }

    /// Reports what a pause or resume order (or the pause's time limit) did.
    fn pause_event(&mut self, player: PlayerSlot, effect: PauseEffect) {
        self.events.push(match effect {
            PauseEffect::Paused {
                player,
                tick,
                until,
            } => RelayEvent::Paused {
                player,
                tick,
                until,
            },
            PauseEffect::Resumed { tick, timed_out } => RelayEvent::Resumed { tick, timed_out },
            PauseEffect::ResumeCounted => return,
            PauseEffect::Refused(reason) => RelayEvent::PauseRefused { player, reason },
        });
    }

    fn apply_filter_events(&mut self, now_us: u64) {
        let kicks: Vec<PlayerSlot> = self
            .events
            .iter()
            .filter_map(|e| match e {
                RelayEvent::Kicked {
                    player,
                    reason: KickReason::LagStrikes,
                } => Some(*player),
                _ => None,
            })
            .collect();
        for player in kicks {
            // A kicked player may still reconnect within the timeout, like any disconnect.
            self.disconnect_kicked(player, now_us);
        }
    }

    fn apply_timeouts(&mut self, tick: SimTick, now_us: u64) {
        let timeout = self.config.reconnect_timeout_us;
        let start_us = self.clock.start_us;
        let expired: Vec<Leaving> = self
            .roster
            .players()
            .filter_map(|p| match p.status {
                PlayerStatus::Disconnected { since_us }
                | PlayerStatus::Unresponsive { since_us }
                    if now_us.saturating_sub(since_us) >= timeout =>
                {
                    Some(Leaving {
                        player: p.slot,
                        left_at_game_us: since_us.saturating_sub(start_us),
                        kicked: self.kicked.contains(&p.slot),
                    })
                }
                _ => None,
            })
            .collect();
        for leaving in expired {
            let player = leaving.player;
            if self.roster.abandon(player, tick).is_err() {
                continue;
            }
            self.events
                .push(RelayEvent::PlayerAbandoned { player, tick });
            let teams_left = self.roster.teams_in_match().len();
            match judge_abandon(leaving, self.config.grace_void_us, teams_left) {
                AbandonEffect::Voids(outcome) | AbandonEffect::Ends(outcome) => {
                    self.decide(outcome);
                }
                AbandonEffect::GoesOn => {
                    if let VoteEffect::Decided(outcome) =
                        self.end.decided_by_surrender(&self.roster)
                    {
                        self.decide(outcome);
                    }
                }
            }
        }
    }

    fn apply_desync(&mut self, tick: SimTick) {
        let expected = self.roster.in_match_slots();
        for verdict in self.desync.evaluate(tick, &expected) {
            match verdict {
                DesyncVerdict::InSync { .. } => {}
                DesyncVerdict::Suspect { tick, .. } => {
                    self.events.push(RelayEvent::DesyncDetected { tick });
                }
                DesyncVerdict::Drop { tick: at, player } => {
                    self.events.push(RelayEvent::DesyncDetected { tick: at });
                    if self.roster.drop_for_desync(player, tick).is_ok() {
                        self.events.push(RelayEvent::PlayerDropped { player, tick });
                        self.events.push(RelayEvent::Kicked {
                            player,
                            reason: KickReason::Desync,
                        });
                        if self.roster.teams_in_match().len() <= 1 {
                            let first = self.desync.first_divergence().unwrap_or(at);
                            self.decide(MatchOutcome::DesyncTerminated {
                                first_divergence_tick: first,
                            });
                        }
                    }
                }
                DesyncVerdict::Terminate {
                    first_divergence_tick,
                } => {
                    self.events.push(RelayEvent::DesyncDetected {
                        tick: first_divergence_tick,
                    });
                    self.decide(MatchOutcome::DesyncTerminated {
                        first_divergence_tick,
                    });
                }
            }
        }
    }
}
