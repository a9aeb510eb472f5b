//! Anti-lag-switch: a player without an on-time batch gets `Idle` for the tick and a strike.
//! The relay never waits; enough strikes disconnect the player.

use std::collections::{BTreeMap, BTreeSet};

use super::{FilterCtx, RelayFilter};
use crate::core::RelayEvent;
use crate::frames::KickReason;
use crate::ids::PlayerSlot;
use crate::order::{PlayerOrder, TickOrders, TimestampedOrder};

/// Inserts `Idle` for missing players, counts strikes and asks for a kick at the threshold.
#[derive(Clone, Debug)]
pub struct AntiLagSwitch {
    threshold: u32,
    strikes: BTreeMap<PlayerSlot, u32>,
}

impl AntiLagSwitch {
    /// Kicks a player at `threshold` strikes (0 disables kicking).
    pub fn new(threshold: u32) -> Self {
        Self {
            threshold,
            strikes: BTreeMap::new(),
        }
    }
}

impl RelayFilter for AntiLagSwitch {
    fn name(&self) -> &'static str {
        "anti_lag_switch"
    }

    fn on_tick(
        &mut self,
        ctx: &mut FilterCtx<'_>,
        orders: &mut TickOrders,
        present: &BTreeSet<PlayerSlot>,
    ) {
        for player in ctx.roster.players() {
            if !player.status.receives_idle() || present.contains(&player.slot) {
                continue;
            }
            // Late never means "repeat the last order": Idle is the only safe filler.
            orders.orders.push(TimestampedOrder {
                player: player.slot,
                sub_tick_us: 0,
                order: PlayerOrder::Idle,
            });
            if !player.status.is_connected() {
                continue;
            }
            let strikes = self.strikes.entry(player.slot).or_insert(0);
            *strikes += 1;
            ctx.events.push(RelayEvent::Strike {
                player: player.slot,
                total: *strikes,
            });
            if self.threshold > 0 && *strikes == self.threshold {
                ctx.events.push(RelayEvent::Kicked {
                    player: player.slot,
                    reason: KickReason::LagStrikes,
                });
            }
        }
    }
}
