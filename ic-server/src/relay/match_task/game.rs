//! The game: frames from the players go into `RelayCore`, finalized ticks go out to players and
//! spectators, and the core's events become kicks, metrics and broadcasts.

use relay_core::cmr::MatchOutcome;
use relay_core::filters::{Recipient, RecipientFeed};
use relay_core::frames::{Frame, KickReason};
use std::collections::HashMap;
use std::time::Duration;

use relay_core::core::DegradedCause;
use relay_core::{RelayCore, RelayEvent};

use super::{Flow, MatchTask, SeatState, restart_requested};
use crate::relay::link::{LinkId, TickFrames};

/// How often the relay's packet loss to its players is sampled (one window of the core's loss
/// monitor).
const LOSS_WINDOW: Duration = Duration::from_secs(1);

/// Per connection, the packets sent and lost at the last sample.
type PacketCounts = HashMap<LinkId, (u64, u64)>;

impl MatchTask {
    /// Drives the core at the match's tick rate until the match has an outcome; `None` if the
    /// task must stop without one.
    pub(super) async fn game(&mut self) -> Option<MatchOutcome> {
        let mut loss_window = tokio::time::interval(LOSS_WINDOW);
        loss_window.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut counted = PacketCounts::new();
        loop {
            let tick_at = self
                .shared
                .clock
                .instant_at(self.core.as_ref()?.next_deadline_us());
            tokio::select! {
                input = self.inputs.recv() => {
                    if let Flow::Stop = self.handle(input?) {
                        return None;
                    }
                }
                () = tokio::time::sleep_until(tick_at) => {
                    if let Some(outcome) = self.finalize_due() {
                        return Some(outcome);
                    }
                }
                _ = loss_window.tick() => self.observe_loss(&mut counted),
                () = restart_requested(&mut self.restart) => {
                    // Everything already finalized went out; the match ends here.
                    let core = self.core.as_mut()?;
                    let _ = core.end_for_restart();
                    tracing::info!(game_id = self.terms.game_id, "relay restarting; match ended");
                    return core.check_match_end();
                }
            }
        }
    }

    pub(super) fn frame(&mut self, link: LinkId, frame: Frame, arrival_us: u64) {
        if self.spectators.id_of_link(link).is_some() {
            self.spectator_frame(link, &frame);
            return;
        }
        let Some(slot) = self.seat_of_link(link) else {
            return;
        };
        if let Frame::Chat { channel, text, .. } = &frame {
            self.chat(slot, *channel, text);
            return;
        }
        if let Frame::Disconnect { .. } = frame {
            self.link_closed(link, None);
            return;
        }
        let (Some(core), Some(seat)) = (self.core.as_mut(), self.seats.get(&slot)) else {
            // In the lobby only chat, echoes and goodbyes mean anything; the rest waits for
            // MatchStart and is ignored.
            return;
        };
        let SeatState::Playing(conn, _) = &seat.state else {
            return;
        };
        let result = match frame {
            Frame::OrderBatch(batch) => {
                self.shared
                    .metrics
                    .orders_received
                    .inc_by(batch.orders.len() as u64);
                core.receive_batch(conn, batch, arrival_us).map(|_| ())
            }
            Frame::SyncHash { tick, hash } => core.receive_sync_hash(conn, tick, hash),
            Frame::GameEndedReport {
                tick,
                outcome,
                state_hash,
            } => core.record_game_ended_report(conn, tick, outcome, state_hash, arrival_us),
            Frame::LivenessEcho { token } => core.receive_liveness_echo(conn, token).map(|_| ()),
            _ => {
                // A frame only the relay sends, or a second handshake: the client is broken.
                self.kick(slot, KickReason::ProtocolViolation, arrival_us);
                return;
            }
        };
        if let Err(error) = result {
            // Out of step (kicked, match over, too far ahead): the frame is dropped.
            tracing::debug!(%error, %slot, "frame not taken");
        }
    }

    /// Gives the core one window of the relay's packet loss to each player still connected
    /// (a connection seen for the first time only sets its baseline).
    fn observe_loss(&mut self, counted: &mut PacketCounts) {
        let mut now = PacketCounts::new();
        let mut losses = Vec::new();
        for seat in self.seats.values() {
            let SeatState::Playing(_, link) = &seat.state else {
                continue;
            };
            let (sent, lost) = link.packets_sent_and_lost();
            if let Some((sent_before, lost_before)) = counted.get(&link.id) {
                let sent_now = sent.saturating_sub(*sent_before);
                if sent_now > 0 {
                    let lost_now = lost.saturating_sub(*lost_before).min(sent_now);
                    losses.push(u32::try_from(lost_now * 1000 / sent_now).unwrap_or(1000));
                }
            }
            now.insert(link.id, (sent, lost));
        }
        *counted = now;
        if let Some(core) = self.core.as_mut() {
            core.observe_relay_loss(&losses);
        }
    }

    /// Finalizes every tick whose deadline has passed; returns the outcome once there is one.
    fn finalize_due(&mut self) -> Option<MatchOutcome> {
        loop {
            let now = self.clock_now();
            let core = self.core.as_mut()?;
            if now < core.next_deadline_us() {
                return None;
            }
            let started = std::time::Instant::now();
            let finalized = match core.finalize_tick(now) {
                Ok(finalized) => finalized,
                Err(_) => return core.check_match_end(),
            };
            self.route(&finalized.feeds);
            self.liveness(now);
            for event in finalized.events {
                self.event(event, now);
            }
            self.shared
                .metrics
                .tick_seconds
                .observe(started.elapsed().as_secs_f64());
            if let Some(outcome) = self.core.as_ref().and_then(RelayCore::check_match_end) {
                return Some(outcome);
            }
        }
    }

    fn route(&mut self, feeds: &[RecipientFeed]) {
        let mut frames = TickFrames::default();
        let mut slow = Vec::new();
        for feed in feeds {
            let slot = match feed.recipient {
                Recipient::Player(slot) => slot,
                Recipient::Observer(id) => {
                    self.feed_spectator(id, &feed.ticks, &mut frames);
                    continue;
                }
            };
            let Some(link) = self.seats.get(&slot).and_then(|seat| match &seat.state {
                SeatState::Playing(_, link) => Some(link),
                _ => None,
            }) else {
                continue;
            };
            for tick in &feed.ticks {
                let sent = frames.bytes(tick).is_some_and(|b| link.send_bytes(b));
                if sent {
                    self.shared
                        .metrics
                        .orders_forwarded
                        .inc_by(tick.orders.len() as u64);
                } else {
                    slow.push(slot);
                }
            }
        }
        let now = self.clock_now();
        for slot in slow {
            // A peer that cannot take its tick stream is as good as disconnected.
            tracing::info!(%slot, "outbound queue full or closed; dropping the connection");
            self.set_away(slot, now);
        }
    }

    fn liveness(&mut self, now: u64) {
        let Some(core) = self.core.as_mut() else {
            return;
        };
        for (slot, seat) in &self.seats {
            if let SeatState::Playing(_, link) = &seat.state
                && let Ok(token) = core.next_liveness_token(*slot, now, &mut self.rng)
            {
                link.send(&Frame::Liveness { token });
            }
        }
    }

    fn event(&mut self, event: RelayEvent, now: u64) {
        match event {
            RelayEvent::Kicked { player, reason } => self.kick(player, reason, now),
            RelayEvent::PlayerDropped { player, .. } => self.kick(player, KickReason::Desync, now),
            RelayEvent::DesyncDetected { tick } => {
                self.shared.metrics.desyncs.inc();
                self.broadcast(&Frame::DesyncDetected { tick });
            }
            RelayEvent::TimingFeedback { player, feedback } => {
                self.send_to(player, &Frame::TimingFeedback(feedback));
            }
            RelayEvent::OrdersDropped { count, reason, .. } => {
                self.shared.metrics.dropped(reason, count);
            }
            RelayEvent::LateBatch { .. } => self.shared.metrics.late_batches.inc(),
            RelayEvent::Strike { .. } => self.shared.metrics.strikes.inc(),
            RelayEvent::PlayerAbandoned { player, tick } => {
                tracing::info!(%player, tick, "player abandoned the match");
            }
            RelayEvent::ChatWithheld { player } => self.tell_chat_restricted(player),
            RelayEvent::Paused {
                player,
                tick,
                until,
            } => self.broadcast(&Frame::Paused {
                player,
                tick,
                until,
            }),
            RelayEvent::Resumed { tick, timed_out } => {
                self.broadcast(&Frame::Resumed { tick, timed_out });
            }
            RelayEvent::PauseRefused { player, reason } => {
                self.send_to(player, &Frame::PauseRefused { reason });
            }
            RelayEvent::Degraded { tick, cause } => {
                let why = match cause {
                    DegradedCause::Lateness => "finalized ticks late",
                    DegradedCause::Loss => "lost packets to every player",
                };
                tracing::warn!(
                    game_id = self.terms.game_id,
                    tick,
                    "the relay {why} for a sustained stretch; the result will be certified as \
                     degraded"
                );
                self.shared.metrics.degraded(cause);
            }
            RelayEvent::ClockSkewRejected { .. }
            | RelayEvent::CalibrationReset { .. }
            | RelayEvent::PlayerUnresponsive { .. }
            | RelayEvent::QosAdjusted(_)
            | RelayEvent::RemakeVoteIgnored { .. }
            | RelayEvent::MatchEnded(_) => {}
        }
    }
}
