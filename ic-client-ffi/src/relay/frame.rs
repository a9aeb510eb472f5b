//! The relay's frames as C reads them: a plain struct per poll whose pointers lead into buffers
//! the session keeps until the next poll, and the orders of a tick with their payloads.

use std::ffi::{CString, c_char};

use relay_core::cmr::MatchOutcome;
use relay_core::frames::Frame;
use relay_core::order::PlayerOrder;

use crate::errors::snake;
use crate::status::c_string;

#[derive(Default)]
pub(super) struct Polled {
    orders: Vec<IcTickOrder>,
    payloads: Vec<Vec<u8>>,
    data: Vec<u8>,
    reason: CString,
}

// SAFETY: the raw pointers in `orders` point only into `payloads`, owned by the same value and
// moved with it; nothing else refers to those buffers, so the value may move between threads.
#[allow(unsafe_code)]
unsafe impl Send for Polled {}

/// What `ic_relay_poll` found.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IcFrameKind {
    /// Nothing arrived within the timeout.
    None = 0,
    /// The session ended; nothing more will arrive.
    Closed = 1,
    /// Every seat is taken: the tick grid (`tick` is the tick collecting orders now).
    MatchStart = 2,
    /// The canonical orders of `tick`, to run in this order.
    TickOrders = 3,
    /// The match is over: `winner_team` (-1 for none) and `reason` (`"completed"`, `"draw"`,
    /// `"abandoned"`, `"remade"`, `"grace_voided"`, `"server_restart"`, `"desync_terminated"` with
    /// the first divergent `tick`).
    MatchEnd = 4,
    /// The relay-signed certified result in `data`.
    CertifiedResult = 5,
    /// New records for the player in `data` (back to back, `record_count` of them): keep them
    /// with `ic_client_store_records`.
    RatingUpdate = 6,
    /// A chat message: UTF-8 text in `data`, sender in `player_slot` (-1: the system).
    Chat = 7,
    /// The relay removed this player: `reason` (`"lag_strikes"`, `"desync"`, …).
    Kick = 8,
    /// The relay is closing the session: `reason`.
    Disconnect = 9,
    /// Sync hashes diverged first at `tick`.
    Desync = 10,
    /// `player_slot` paused the match after `tick`.
    Paused = 11,
    /// The match runs again after `tick`.
    Resumed = 12,
    /// A frame a game does not need to act on (timing feedback, a refused pause).
    Other = 13,
}

/// One game order of a tick.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct IcTickOrder {
    /// Who issued it.
    pub player_slot: u8,
    /// When in the tick, relay-normalized (µs).
    pub sub_tick_us: u32,
    /// The game's order type.
    pub type_tag: u16,
    /// The order's body (valid until the next poll).
    pub payload: *const u8,
    /// Its length.
    pub payload_len: usize,
}

/// A frame from the relay, read in place. Pointers stay valid until the next
/// `ic_relay_poll` on the session or until it is freed. Fields a kind does not use are zero,
/// NULL or -1.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct IcFrame {
    /// What arrived.
    pub kind: IcFrameKind,
    /// The tick the frame is about.
    pub tick: u64,
    /// `MatchStart`: relay clock (Unix µs) when tick 0 opened.
    pub start_us: u64,
    /// `MatchStart`: length of one tick (µs).
    pub tick_interval_us: u32,
    /// `MatchEnd`: the winning team, or -1.
    pub winner_team: i32,
    /// `Chat`, `Paused`: the player slot, or -1.
    pub player_slot: i32,
    /// `MatchEnd`, `Kick`, `Disconnect`: why, as a snake_case code; NULL otherwise.
    pub reason: *const c_char,
    /// `TickOrders`: the game orders (idle ticks have none).
    pub orders: *const IcTickOrder,
    /// How many.
    pub order_count: usize,
    /// `CertifiedResult`, `RatingUpdate`, `Chat`: the bytes.
    pub data: *const u8,
    /// Their length.
    pub data_len: usize,
    /// `RatingUpdate`: how many records `data` holds.
    pub record_count: usize,
}

impl IcFrame {
    pub(super) const fn empty(kind: IcFrameKind) -> Self {
        Self {
            kind,
            tick: 0,
            start_us: 0,
            tick_interval_us: 0,
            winner_team: -1,
            player_slot: -1,
            reason: std::ptr::null(),
            orders: std::ptr::null(),
            order_count: 0,
            data: std::ptr::null(),
            data_len: 0,
            record_count: 0,
        }
    }
}

/// The frame in C's shape, its buffers kept in `polled`.
pub(super) fn describe(frame: Frame, polled: &mut Polled) -> IcFrame {
    *polled = Polled::default();
    let mut out = IcFrame::empty(IcFrameKind::Other);
    match frame {
        Frame::MatchStart {
            start_us,
            tick_interval_us,
            open_tick,
        } => {
            out.kind = IcFrameKind::MatchStart;
            out.tick = open_tick;
            out.start_us = start_us;
            out.tick_interval_us = tick_interval_us;
        }
        Frame::TickOrders(tick) => {
            out.kind = IcFrameKind::TickOrders;
            out.tick = tick.tick;
            for order in tick.orders {
                if let PlayerOrder::Game { type_tag, payload } = order.order {
                    polled.payloads.push(payload);
                    polled.orders.push(IcTickOrder {
                        player_slot: order.player.0,
                        sub_tick_us: order.sub_tick_us,
                        type_tag,
                        payload: std::ptr::null(),
                        payload_len: 0,
                    });
                }
            }
            // The payload vectors are in place now; point at their heap buffers.
            for (order, payload) in polled.orders.iter_mut().zip(&polled.payloads) {
                order.payload = payload.as_ptr();
                order.payload_len = payload.len();
            }
            out.orders = polled.orders.as_ptr();
            out.order_count = polled.orders.len();
        }
        Frame::MatchEnd(outcome) => {
            out.kind = IcFrameKind::MatchEnd;
            let (winner, reason) = match outcome {
                MatchOutcome::Completed { winner, .. } => (i32::from(winner.0), "completed"),
                MatchOutcome::Draw => (-1, "draw"),
                MatchOutcome::Abandoned { .. } => (-1, "abandoned"),
                MatchOutcome::Remade => (-1, "remade"),
                MatchOutcome::GraceVoided { .. } => (-1, "grace_voided"),
                MatchOutcome::ServerRestart => (-1, "server_restart"),
                MatchOutcome::DesyncTerminated {
                    first_divergence_tick,
                } => {
                    out.tick = first_divergence_tick;
                    (-1, "desync_terminated")
                }
            };
            out.winner_team = winner;
            polled.reason = c_string(reason);
        }
        Frame::CertifiedResult(bytes) => {
            out.kind = IcFrameKind::CertifiedResult;
            polled.data = bytes;
        }
        Frame::RatingUpdate(records) => {
            out.kind = IcFrameKind::RatingUpdate;
            out.record_count = records.len();
            polled.data = records.concat();
        }
        Frame::Chat { sender, text, .. } => {
            out.kind = IcFrameKind::Chat;
            out.player_slot = sender.map_or(-1, |slot| i32::from(slot.0));
            polled.data = text.into_bytes();
        }
        Frame::Kick { reason } => {
            out.kind = IcFrameKind::Kick;
            polled.reason = c_string(&snake(&format!("{reason:?}")));
        }
        Frame::Disconnect { reason } => {
            out.kind = IcFrameKind::Disconnect;
            polled.reason = c_string(&snake(&format!("{reason:?}")));
        }
        Frame::DesyncDetected { tick } => {
            out.kind = IcFrameKind::Desync;
            out.tick = tick;
        }
        Frame::Paused { player, tick, .. } => {
            out.kind = IcFrameKind::Paused;
            out.tick = tick;
            out.player_slot = i32::from(player.0);
        }
        Frame::Resumed { tick, .. } => {
            out.kind = IcFrameKind::Resumed;
            out.tick = tick;
        }
        _ => {}
    }
    if !polled.data.is_empty() {
        out.data = polled.data.as_ptr();
        out.data_len = polled.data.len();
    }
    if !polled.reason.as_bytes().is_empty() {
        out.reason = polled.reason.as_ptr();
    }
    out
}

#[cfg(test)]
mod tests {
    #![allow(unsafe_code, clippy::unwrap_used)]
    use relay_core::cmr::EndReason;
    use relay_core::ids::{PlayerSlot, TeamId};
    use relay_core::order::{TickOrders, TimestampedOrder};

    use super::*;

    #[test]
    fn tick_orders_keep_only_game_orders_and_point_at_their_payloads() {
        let mut polled = Polled::default();
        let frame = Frame::TickOrders(TickOrders {
            tick: 42,
            orders: vec![
                TimestampedOrder {
                    player: PlayerSlot(0),
                    sub_tick_us: 10,
                    order: PlayerOrder::Game {
                        type_tag: 7,
                        payload: vec![1, 2, 3],
                    },
                },
                TimestampedOrder {
                    player: PlayerSlot(1),
                    sub_tick_us: 20,
                    order: PlayerOrder::Idle,
                },
                TimestampedOrder {
                    player: PlayerSlot(1),
                    sub_tick_us: 30,
                    order: PlayerOrder::Game {
                        type_tag: 8,
                        payload: vec![9],
                    },
                },
            ],
        });
        let described = describe(frame, &mut polled);
        assert_eq!(described.kind, IcFrameKind::TickOrders);
        assert_eq!((described.tick, described.order_count), (42, 2));
        // SAFETY: the frame points into `polled`, which is alive and unchanged.
        let orders = unsafe { std::slice::from_raw_parts(described.orders, 2) };
        let payload =
            |o: &IcTickOrder| unsafe { std::slice::from_raw_parts(o.payload, o.payload_len) };
        assert_eq!((orders[0].player_slot, orders[0].type_tag), (0, 7));
        assert_eq!(payload(&orders[0]), &[1, 2, 3]);
        assert_eq!((orders[1].player_slot, orders[1].type_tag), (1, 8));
        assert_eq!(payload(&orders[1]), &[9]);
    }

    #[test]
    fn records_arrive_back_to_back_and_the_end_names_its_winner() {
        let mut polled = Polled::default();
        let update = describe(Frame::RatingUpdate(vec![vec![1, 2], vec![3]]), &mut polled);
        assert_eq!((update.record_count, update.data_len), (2, 3));
        let end = describe(
            Frame::MatchEnd(MatchOutcome::Completed {
                winner: TeamId(1),
                reason: EndReason::Elimination,
            }),
            &mut polled,
        );
        assert_eq!((end.kind, end.winner_team), (IcFrameKind::MatchEnd, 1));
        // SAFETY: points into `polled`.
        let reason = unsafe { std::ffi::CStr::from_ptr(end.reason) };
        assert_eq!(reason.to_str().unwrap(), "completed");
        assert!(end.data.is_null());
    }
}
