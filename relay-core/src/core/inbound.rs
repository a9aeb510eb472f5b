//! Order batches coming in: lateness by arrival time, clock calibration, the inbound filters.
//! Only a `Connection<InGame>` of a connected player gets this far.

use super::{CoreError, Receipt, RelayCore, RelayEvent};
use crate::connection::{Connection, InGame};
use crate::filters::{FilterCtx, InboundBatch, Verdict};
use crate::frames::{KickReason, OrderBatch, Seat};
use crate::ids::PlayerSlot;
use crate::order::TimestampedOrder;
use crate::time::SampleVerdict;

impl RelayCore {
    pub(super) fn player_of(from: &Connection<InGame>) -> Result<PlayerSlot, CoreError> {
        match from.seat() {
            Seat::Player { slot, .. } => Ok(slot),
            Seat::Observer(_) => Err(CoreError::NotAPlayer),
        }
    }

    pub(super) fn connected_player(
        &self,
        from: &Connection<InGame>,
    ) -> Result<PlayerSlot, CoreError> {
        if self.outcome.is_some() {
            return Err(CoreError::MatchOver);
        }
        let slot = Self::player_of(from)?;
        match self.roster.get(slot) {
            Some(p) if p.status.is_connected() => Ok(slot),
            _ => Err(CoreError::NotConnected(slot)),
        }
    }

    /// Takes a player's batch that arrived at relay time `arrival_us`.
    ///
    /// The arrival time decides: a batch is queued for its tick if it arrived before that tick's
    /// deadline, and is late otherwise. Late batches are dropped; the tick gets `Idle`.
    pub fn receive_batch(
        &mut self,
        from: &Connection<InGame>,
        batch: OrderBatch,
        arrival_us: u64,
    ) -> Result<Receipt, CoreError> {
        let player = self.connected_player(from)?;
        if batch.tick > self.open_tick.saturating_add(self.config.max_future_ticks) {
            return Err(CoreError::TooFarAhead { tick: batch.tick });
        }
        let deadline_us = self.qos.deadline_us();
        let window = self.clock.window_of_arrival(arrival_us, deadline_us);
        if batch.tick < self.open_tick || window > batch.tick {
            let lateness_us =
                arrival_us.saturating_sub(self.clock.deadline(batch.tick, deadline_us));
            self.qos.record_lateness(player, lateness_us);
            self.events.push(RelayEvent::LateBatch {
                player,
                tick: batch.tick,
                lateness_us,
            });
            return Ok(Receipt::Late { tick: batch.tick });
        }
        let one_way_us = self.one_way_us.get(&player).copied().unwrap_or(0);
        let sample =
            i128::from(arrival_us) - i128::from(batch.client_send_us) - i128::from(one_way_us);
        let sample = i64::try_from(sample).unwrap_or(if sample < 0 { i64::MIN } else { i64::MAX });
        let calibration = self.calibrations.entry(player).or_default();
        match calibration.add_sample(sample) {
            SampleVerdict::Accepted => {}
            SampleVerdict::RejectedSkew => {
                self.events.push(RelayEvent::ClockSkewRejected { player })
            }
            SampleVerdict::Reset => {
                self.events.push(RelayEvent::ClockSkewRejected { player });
                self.events.push(RelayEvent::CalibrationReset { player });
            }
        }
        let bucket = self.pending.entry(batch.tick).or_default();
        let mut inbound = InboundBatch {
            player,
            tick: batch.tick,
            arrival_us,
            client_send_us: batch.client_send_us,
            orders: batch
                .orders
                .into_iter()
                .map(|o| TimestampedOrder {
                    player,
                    sub_tick_us: o.sub_tick_hint_us,
                    order: o.order,
                })
                .collect(),
            already_queued: bucket.counts.get(&player).copied().unwrap_or(0),
        };
        let events_before = self.events.len();
        let mut ctx = FilterCtx {
            tick: self.open_tick,
            clock: self.clock,
            roster: &self.roster,
            calibration: self.calibrations.get(&player),
            one_way_us,
            events: &mut self.events,
            canonical: None,
        };
        let mut rejected = None;
        for filter in &mut self.filters {
            if let Verdict::Reject(reason) = filter.on_inbound(&mut ctx, &mut inbound) {
                rejected = Some(reason);
                break;
            }
        }
        let lost_orders = self.events[events_before..]
            .iter()
            .any(|e| matches!(e, RelayEvent::OrdersDropped { player: p, .. } if *p == player));
        if lost_orders {
            self.flood_strike(player, arrival_us);
        }
        if let Some(reason) = rejected {
            return Ok(Receipt::Rejected(reason));
        }
        let deadline = self.clock.deadline(batch.tick, deadline_us);
        self.qos
            .record_on_time(player, deadline.saturating_sub(arrival_us));
        let bucket = self.pending.entry(batch.tick).or_default();
        bucket.present.insert(player);
        *bucket.counts.entry(player).or_insert(0) += inbound.orders.len();
        bucket.orders.append(&mut inbound.orders);
        Ok(Receipt::Accepted { tick: batch.tick })
    }

    /// Counts a batch that lost orders; at the threshold the player is disconnected and the
    /// embedding told to kick it. The filters throttle, this rule removes a persistent flooder.
    fn flood_strike(&mut self, player: PlayerSlot, now_us: u64) {
        let threshold = self.config.flood_kick_threshold;
        let strikes = self.flood_strikes.entry(player).or_insert(0);
        *strikes += 1;
        if threshold == 0 || *strikes < threshold {
            return;
        }
        if self.disconnect_kicked(player, now_us) {
            self.events.push(RelayEvent::Kicked {
                player,
                reason: KickReason::ProtocolViolation,
            });
        }
    }
}
