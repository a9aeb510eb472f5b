//! A headless spectator: follows a match through a relay session with an observer ticket,
//! collecting the delayed tick stream, the match end and the certified result.

use std::time::Duration;

use relay_core::cmr::MatchOutcome;
use relay_core::frames::{Frame, Seat};
use relay_core::order::TickOrders;

use super::bot::BotEnd;
use super::session::RelaySession;

/// What a spectator saw.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Watched {
    /// Its seat (an observer seat when the relay admitted it as a spectator).
    pub seat: Seat,
    /// How the session ended.
    pub end: BotEnd,
    /// The match's tick grid from `MatchStart`: relay time of tick 0 (Unix µs), tick length
    /// (µs) and the first tick this session gets (0 unless it came back mid-match).
    pub grid: Option<(u64, u32, u64)>,
    /// Every tick received, in arrival order, with the local time it arrived (µs since the
    /// Unix epoch).
    pub ticks: Vec<(TickOrders, u64)>,
    /// The relay's match-end announcement.
    pub match_end: Option<MatchOutcome>,
    /// The certified result bytes.
    pub cmr: Option<Vec<u8>>,
}

/// Follows the match on `session` until the certified result arrives, the relay closes the
/// session, or `timeout` passes.
pub async fn watch(mut session: RelaySession, timeout: Duration) -> Watched {
    let mut watched = Watched {
        seat: session.seat(),
        end: BotEnd::TimedOut,
        grid: None,
        ticks: Vec::new(),
        match_end: None,
        cmr: None,
    };
    let give_up = tokio::time::Instant::now() + timeout;
    loop {
        let next = tokio::time::timeout_at(give_up, session.next_frame_timed()).await;
        let Ok(next) = next else {
            session.close().await;
            return watched;
        };
        let Some((frame, arrived_us)) = next else {
            watched.end = BotEnd::Closed;
            return watched;
        };
        match frame {
            Frame::MatchStart {
                start_us,
                tick_interval_us,
                open_tick,
            } => watched.grid = Some((start_us, tick_interval_us, open_tick)),
            Frame::TickOrders(tick) => watched.ticks.push((tick, arrived_us)),
            Frame::MatchEnd(outcome) => watched.match_end = Some(outcome),
            Frame::CertifiedResult(bytes) => {
                watched.cmr = Some(bytes);
                watched.end = BotEnd::Finished;
                session.close().await;
                return watched;
            }
            Frame::Kick { reason } => {
                watched.end = BotEnd::Kicked(reason);
                return watched;
            }
            Frame::Disconnect { reason } => {
                watched.end = BotEnd::Disconnected(reason);
                return watched;
            }
            _ => {}
        }
    }
}
