//! A headless player: plays a match through a relay session at a given order rate, reports
//! sync hashes and the game end like an honest client, and collects the result and records.
//! Used by tests and by load generators.

use std::time::Duration;

use relay_core::cmr::MatchOutcome;
use relay_core::frames::{ClientOrder, DisconnectReason, Frame, KickReason, Seat, SimOutcome};
use relay_core::ids::SimTick;
use relay_core::order::PlayerOrder;
use sha2::{Digest, Sha256};

use super::pacing::{Grid, SEND_OFFSET_US, sleep_opt};
use super::session::{RelaySession, unix_now_us};

/// What the bot does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BotPlan {
    /// The bot reports the game end once it received this tick.
    pub ticks: u64,
    /// Game orders per second it issues (spread over ticks; 0 sends empty batches).
    pub orders_per_second: u32,
    /// What its simulation reports at the end.
    pub outcome: SimOutcome,
    /// Records to wait for after the certified result before leaving (0: leave at the result).
    pub expect_records: usize,
    /// Drop the connection without a goodbye once this tick arrived (tests reconnects).
    pub leave_after_tick: Option<SimTick>,
    /// Give up after this long.
    pub timeout: Duration,
}

/// How the bot's session ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BotEnd {
    /// It got the result (and the records it waited for) and left.
    Finished,
    /// The relay kicked it.
    Kicked(KickReason),
    /// The relay closed the session with a reason.
    Disconnected(DisconnectReason),
    /// The connection ended without a reason.
    Closed,
    /// It dropped the connection as planned (`leave_after_tick`).
    Left,
    /// The plan's timeout passed.
    TimedOut,
}

/// What the bot saw.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BotReport {
    /// Its seat.
    pub seat: Seat,
    /// How it ended.
    pub end: BotEnd,
    /// Tick-order frames received.
    pub ticks_received: u64,
    /// The last tick received.
    pub last_tick: Option<SimTick>,
    /// Game orders it sent.
    pub orders_sent: u64,
    /// Game orders of any player it received.
    pub orders_received: u64,
    /// The relay's match-end announcement.
    pub match_end: Option<MatchOutcome>,
    /// The certified result bytes.
    pub cmr: Option<Vec<u8>>,
    /// SCRs received in rating updates.
    pub records: Vec<Vec<u8>>,
}

/// The sync hash every honest bot reports for `tick` (its "simulation" is the tick count).
pub fn bot_sync_hash(tick: SimTick) -> u64 {
    let digest = Sha256::digest(tick.to_le_bytes());
    let mut first = [0u8; 8];
    first.copy_from_slice(&digest[..8]);
    u64::from_le_bytes(first)
}

/// The final state hash every honest bot with this plan reports.
pub fn bot_state_hash(plan: &BotPlan) -> [u8; 32] {
    let mut hasher = Sha256::new();
    hasher.update(b"ic-bot-state");
    hasher.update(plan.ticks.to_le_bytes());
    hasher.finalize().into()
}

/// Plays `plan` on `session` until the match is over for this bot.
pub async fn play(mut session: RelaySession, plan: &BotPlan) -> BotReport {
    let mut report = BotReport {
        seat: session.seat(),
        end: BotEnd::TimedOut,
        ticks_received: 0,
        last_tick: None,
        orders_sent: 0,
        orders_received: 0,
        match_end: None,
        cmr: None,
        records: Vec::new(),
    };
    let slot = match session.seat() {
        Seat::Player { slot, .. } => slot.0,
        Seat::Observer(_) => u8::MAX,
    };
    let give_up = tokio::time::Instant::now() + plan.timeout;
    let mut grid: Option<Grid> = None;
    let mut reported = false;
    loop {
        let send_at = grid
            .as_ref()
            .filter(|_| report.match_end.is_none())
            .map(Grid::send_at);
        tokio::select! {
            () = tokio::time::sleep_until(give_up) => break,
            () = sleep_opt(send_at), if send_at.is_some() => {
                let Some(g) = grid.as_mut() else { continue };
                let count = g.orders_due(plan.orders_per_second);
                let tick = g.next_tick;
                let orders = (0..count)
                    .map(|i| ClientOrder {
                        sub_tick_hint_us: SEND_OFFSET_US as u32,
                        order: PlayerOrder::Game {
                            type_tag: 1,
                            payload: [[slot].as_slice(), &tick.to_le_bytes(), &i.to_le_bytes()].concat(),
                        },
                    })
                    .collect();
                if session.send_orders(tick, unix_now_us(), orders).await.is_err() {
                    report.end = BotEnd::Closed;
                    return report;
                }
                report.orders_sent += count;
                g.next_tick += 1;
            }
            frame = session.next_frame() => {
                let Some(frame) = frame else {
                    report.end = if report.cmr.is_some() { BotEnd::Finished } else { BotEnd::Closed };
                    return report;
                };
                match frame {
                    Frame::MatchStart { start_us, tick_interval_us, open_tick } => {
                        grid = Some(Grid::new(start_us, tick_interval_us, open_tick));
                    }
                    Frame::TickOrders(tick) => {
                        report.ticks_received += 1;
                        report.last_tick = Some(tick.tick);
                        report.orders_received += tick
                            .orders
                            .iter()
                            .filter(|o| matches!(o.order, PlayerOrder::Game { .. }))
                            .count() as u64;
                        let mut failed = false;
                        if tick.tick % 30 == 0 {
                            failed |= session.sync_hash(tick.tick, bot_sync_hash(tick.tick)).await.is_err();
                        }
                        if tick.tick >= plan.ticks && !reported {
                            reported = true;
                            failed |= session
                                .report_game_end(tick.tick, plan.outcome, bot_state_hash(plan))
                                .await
                                .is_err();
                        }
                        if failed {
                            report.end = BotEnd::Closed;
                            return report;
                        }
                        if plan.leave_after_tick.is_some_and(|leave| tick.tick >= leave) {
                            session.abort();
                            report.end = BotEnd::Left;
                            return report;
                        }
                    }
                    Frame::MatchEnd(outcome) => report.match_end = Some(outcome),
                    Frame::CertifiedResult(bytes) => {
                        report.cmr = Some(bytes);
                        if plan.expect_records == 0 {
                            break;
                        }
                    }
                    Frame::RatingUpdate(records) => {
                        report.records.extend(records);
                        if report.cmr.is_some() && report.records.len() >= plan.expect_records {
                            report.end = BotEnd::Finished;
                            session.close().await;
                            return report;
                        }
                    }
                    Frame::Kick { reason } => {
                        report.end = BotEnd::Kicked(reason);
                        return report;
                    }
                    Frame::Disconnect { reason } => {
                        report.end = BotEnd::Disconnected(reason);
                        return report;
                    }
                    _ => {}
                }
            }
        }
    }
    if report.cmr.is_some() && report.records.len() >= plan.expect_records {
        report.end = BotEnd::Finished;
    }
    session.close().await;
    report
}
