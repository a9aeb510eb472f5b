//! Anti-lag-switch: a player without an on-time batch gets `Idle` for the tick and a strike.
//! The relay never waits; enough strikes disconnect the player.

use std::collections::{BTreeMap, BTreeSet};

use super::{FilterCtx, RelayFilter};
use crate::core::RelayEvent;
use crate::frames::KickReason;
use crate::ids::PlayerSlot;
use crate::order::{PlayerOrder, TickOrders, TimestampedOrder};

/// Inserts `Idle` for missing players, counts strikes and asks for a kick from the threshold on.
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
            // Strikes are never forgiven: a player who reconnects after a kick and misses
            // again is kicked again at once, so toggling a lag switch cannot be repeated.
            if self.threshold > 0 && *strikes >= self.threshold {
                ctx.events.push(RelayEvent::Kicked {
                    player: player.slot,
                    reason: KickReason::LagStrikes,
                });
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use scr::keys::PlayerKey;

    use super::*;
    use crate::core::{PlayerStatus, Roster, RosterPlayer};
    use crate::ids::TeamId;
    use crate::time::TickClock;

    #[test]
    fn missing_players_get_idle_and_connected_ones_strikes_up_to_a_kick() {
        let roster = Roster::new(
            (0..2)
                .map(|i| RosterPlayer {
                    slot: PlayerSlot(i),
                    team: TeamId(i),
                    key: PlayerKey::from_bytes([i; 32]),
                    status: if i == 0 {
                        PlayerStatus::Active
                    } else {
                        PlayerStatus::Disconnected { since_us: 0 }
                    },
                })
                .collect(),
            vec![],
        );
        let mut filter = AntiLagSwitch::new(2);
        let mut events = Vec::new();
        for tick in 0..3 {
            let mut ctx = FilterCtx {
                tick,
                clock: TickClock {
                    start_us: 0,
                    tick_us: 10,
                },
                roster: &roster,
                calibration: None,
                one_way_us: 0,
                events: &mut events,
                canonical: None,
            };
            let mut orders = TickOrders {
                tick,
                orders: vec![],
            };
            filter.on_tick(&mut ctx, &mut orders, &BTreeSet::new());
            assert_eq!(orders.orders.len(), 2);
            assert!(orders.orders.iter().all(|o| o.order == PlayerOrder::Idle));
        }
        let kicks = events
            .iter()
            .filter(|e| matches!(e, RelayEvent::Kicked { .. }))
            .count();
        assert_eq!(kicks, 2, "at the threshold and at every strike after it");
        assert!(!events.iter().any(|e| matches!(
            e,
            RelayEvent::Strike {
                player: PlayerSlot(1),
                ..
            }
        )));
    }
}
