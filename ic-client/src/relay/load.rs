//! Load generator: many concurrent 2-player matches against one relay, every player a headless
//! client sending orders at a fixed rate, measuring the latency the relay adds and lost orders.
//!
//! What one latency sample is: every game order carries its sequence number and its send time
//! (this machine's clock, Unix µs) in its payload. When the tick-order frame carrying it has
//! been decoded at the *opponent*, the sample is
//!
//! ```text
//! received − max(sent, window_start(tick) + hold)
//! ```
//!
//! Lockstep makes every order wait until its tick's deadline, `hold` after the tick's window
//! opens (the relay's QoS deadline; a relay never releases a tick earlier), so that wait is the
//! design's and is taken out; everything after it — the relay's timer waking late, finalizing,
//! routing, its queues, QUIC on both ends, the loopback and the client's decoding — is counted.
//! With `hold = 0` (a plain forwarder that passes each batch on at once) the sample is simply
//! `received − sent`, so the same generator measures both. The relay's clock is Unix µs from
//! the same system clock, so tick windows can be computed here from `MatchStart`.
//!
//! Only orders sent inside the measurement window (after every match started and warmed up)
//! are sampled; every order sent during the whole run counts for lost orders.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use rand::rngs::OsRng;
use relay_core::frames::{ClientOrder, Frame, Seat, SimOutcome};
use relay_core::ids::{PlayerSlot, SimTick};
use relay_core::order::PlayerOrder;
use scr::{KeyPair, PublicKey};
use sha2::{Digest, Sha256};
use tokio::task::JoinHandle;

use super::bot::bot_sync_hash;
use super::pacing::{Grid, SEND_OFFSET_US, instant_of, sleep_opt};
use super::session::{RelayClient, RelayClientError, RelaySession, unix_now_us};

/// Game-order type tag of load orders (opaque to the relay).
const LOAD_ORDER_TAG: u16 = 0x4c44;
/// How long a player waits for the end of the match after reporting it.
const END_LINGER: Duration = Duration::from_secs(5);
/// How long after the measurement window a player still running gives up.
const GIVE_UP_AFTER_WINDOW: Duration = Duration::from_secs(15);
/// How often the sync hash is reported (the relay's default desync cadence).
const SYNC_EVERY: u64 = 30;

/// Signs the ticket of the player with `key` for seat `slot` (team = slot) of game `game_id`.
pub type TicketSource = Arc<dyn Fn(u64, u8, &PublicKey) -> Vec<u8> + Send + Sync>;

/// The identity that plays seat `slot` of the `index`-th match (registered players, when the
/// results are to be rated).
pub type IdentitySource = Arc<dyn Fn(usize, u8) -> KeyPair + Send + Sync>;

/// What the load generator does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadPlan {
    /// Concurrent 2-player matches.
    pub matches: usize,
    /// Game id of the first match; the others follow.
    pub first_game_id: u64,
    /// Game orders per second each player issues.
    pub orders_per_second: u32,
    /// Lockstep hold: time after a tick's window opens before the server may release it (the
    /// relay's deadline; 0 for a server that forwards at once). Taken out of every sample.
    pub hold_us: u64,
    /// Matches are connected one after the other over this time, which spreads both the
    /// handshakes and the matches' tick phases the way independent arrivals would.
    pub ramp: Duration,
    /// Time after the last match connected before measuring (its start lead included).
    pub warmup: Duration,
    /// Length of the measurement window; players stop sending at its end.
    pub measure: Duration,
    /// Client UDP sockets the players are spread over (one socket per player would cost the
    /// generator more than it measures; one for all would serialize its receive path).
    pub endpoints: usize,
    /// Local address the client sockets bind to (port 0).
    pub bind: SocketAddr,
}

/// Latency percentiles of the samples (µs).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LatencySummary {
    /// Samples.
    pub count: usize,
    /// Median.
    pub p50_us: u32,
    /// 99th percentile.
    pub p99_us: u32,
    /// Largest.
    pub max_us: u32,
}

impl LatencySummary {
    /// Summarizes `samples` (sorted in place). Nearest-rank percentiles.
    pub fn of(samples: &mut [u32]) -> Self {
        samples.sort_unstable();
        let rank = |q: f64| -> u32 {
            if samples.is_empty() {
                return 0;
            }
            let index = ((q * samples.len() as f64).ceil() as usize).clamp(1, samples.len());
            samples[index - 1]
        };
        Self {
            count: samples.len(),
            p50_us: rank(0.50),
            p99_us: rank(0.99),
            max_us: samples.last().copied().unwrap_or(0),
        }
    }
}

/// How one player's session ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PlayerEnd {
    /// It played to the end and the server closed the match (result or goodbye).
    Finished,
    /// The server kicked it.
    Kicked,
    /// The server disconnected it before the end.
    Disconnected,
    /// The connection ended without a reason.
    Closed,
    /// Its match never started.
    NeverStarted,
    /// It was still playing long after the measurement window.
    TimedOut,
}

/// What one player counted.
#[derive(Debug, Clone)]
struct PlayerStats {
    end: PlayerEnd,
    sent: u64,
    delivered: u64,
    duplicates: u64,
    early_frames: u64,
    latencies_us: Vec<u32>,
}

/// What a load run measured.
#[derive(Debug, Clone)]
pub struct LoadReport {
    /// Matches requested.
    pub matches: usize,
    /// Players whose connection or handshake failed.
    pub connect_failures: usize,
    /// Players by how their session ended (connected players only).
    pub ends: Vec<(PlayerEnd, usize)>,
    /// Game orders sent during the whole run.
    pub orders_sent: u64,
    /// Game orders the opponent received.
    pub orders_delivered: u64,
    /// Orders received a second time or out of order (never expected).
    pub orders_duplicated: u64,
    /// Tick frames that arrived before their tick's deadline (`hold` was set wrong if not 0).
    pub early_frames: u64,
    /// Relay-added latency of the orders sent in the measurement window.
    pub latency: LatencySummary,
}

impl LoadReport {
    /// Orders sent and never received by the opponent.
    pub fn orders_lost(&self) -> u64 {
        self.orders_sent.saturating_sub(self.orders_delivered)
    }

    /// Players that played to the end.
    pub fn players_finished(&self) -> usize {
        self.ends
            .iter()
            .filter(|(end, _)| *end == PlayerEnd::Finished)
            .map(|(_, n)| n)
            .sum()
    }
}

/// The measurement window in Unix µs; `u64::MAX` until every match is connected.
#[derive(Debug)]
struct Window {
    start_us: AtomicU64,
    end_us: AtomicU64,
}

/// A load run in progress: every match connected and playing.
#[derive(Debug)]
pub struct LoadRun {
    players: Vec<JoinHandle<PlayerStats>>,
    connect_failures: usize,
    matches: usize,
    window_start: tokio::time::Instant,
    window_end: tokio::time::Instant,
}

impl LoadRun {
    /// Connects `plan.matches` matches to the relay at `address` (key pinned) over the ramp,
    /// with tickets from `tickets`, starts every player, and returns once all are connected;
    /// the measurement window then begins after the warm-up.
    pub async fn start(
        address: SocketAddr,
        relay_key: PublicKey,
        plan: &LoadPlan,
        tickets: TicketSource,
    ) -> Result<Self, RelayClientError> {
        let anyone: IdentitySource = Arc::new(|_, _| KeyPair::generate(&mut OsRng));
        Self::start_as(address, relay_key, plan, tickets, anyone).await
    }

    /// Like [`LoadRun::start`], with each seat played by the identity `identities` names.
    pub async fn start_as(
        address: SocketAddr,
        relay_key: PublicKey,
        plan: &LoadPlan,
        tickets: TicketSource,
        identities: IdentitySource,
    ) -> Result<Self, RelayClientError> {
        let clients = (0..plan.endpoints.max(1))
            .map(|_| RelayClient::new(plan.bind))
            .collect::<Result<Vec<_>, _>>()?;
        let window = Arc::new(Window {
            start_us: AtomicU64::new(u64::MAX),
            end_us: AtomicU64::new(u64::MAX),
        });
        let settings = Arc::new(PlayerSettings {
            orders_per_second: plan.orders_per_second,
            hold_us: plan.hold_us,
            window: window.clone(),
        });
        let began = tokio::time::Instant::now();
        let mut connecting = Vec::with_capacity(plan.matches);
        for index in 0..plan.matches {
            let at = began + plan.ramp.mul_f64(index as f64 / plan.matches.max(1) as f64);
            let game_id = plan.first_game_id + index as u64;
            let seats = [0u8, 1u8].map(|slot| {
                let client = clients[(2 * index + usize::from(slot)) % clients.len()].clone();
                (client, slot)
            });
            let tickets = tickets.clone();
            let identities = identities.clone();
            let settings = settings.clone();
            connecting.push(tokio::spawn(async move {
                tokio::time::sleep_until(at).await;
                let connect = |(client, slot): (RelayClient, u8)| {
                    let tickets = tickets.clone();
                    let identities = identities.clone();
                    async move {
                        let identity = identities(index, slot);
                        let ticket = tickets(game_id, slot, &identity.public_key());
                        client.connect(address, relay_key, &identity, &ticket).await
                    }
                };
                let [a, b] = seats;
                let (a, b) = tokio::join!(connect(a), connect(b));
                let mut players = Vec::new();
                let mut failures = 0;
                for session in [a, b] {
                    match session {
                        Ok(session) => {
                            let settings = settings.clone();
                            players.push(tokio::spawn(play(session, settings)));
                        }
                        Err(_) => failures += 1,
                    }
                }
                (players, failures)
            }));
        }
        let mut players = Vec::with_capacity(2 * plan.matches);
        let mut connect_failures = 0;
        for task in connecting {
            match task.await {
                Ok((handles, failures)) => {
                    players.extend(handles);
                    connect_failures += failures;
                }
                Err(_) => connect_failures += 2,
            }
        }
        let window_start = tokio::time::Instant::now() + plan.warmup;
        let window_end = window_start + plan.measure;
        let start_us = unix_now_us() + micros(plan.warmup);
        window.start_us.store(start_us, Ordering::SeqCst);
        window
            .end_us
            .store(start_us + micros(plan.measure), Ordering::SeqCst);
        Ok(Self {
            players,
            connect_failures,
            matches: plan.matches,
            window_start,
            window_end,
        })
    }

    /// When the measurement window opens and closes (players stop sending at its end).
    pub fn window(&self) -> (tokio::time::Instant, tokio::time::Instant) {
        (self.window_start, self.window_end)
    }

    /// Waits for every player to finish its match and adds up what they counted.
    pub async fn finish(self) -> LoadReport {
        let mut report = LoadReport {
            matches: self.matches,
            connect_failures: self.connect_failures,
            ends: Vec::new(),
            orders_sent: 0,
            orders_delivered: 0,
            orders_duplicated: 0,
            early_frames: 0,
            latency: LatencySummary::default(),
        };
        let mut samples = Vec::new();
        for player in self.players {
            let stats = match player.await {
                Ok(stats) => stats,
                Err(_) => {
                    add_end(&mut report.ends, PlayerEnd::Closed);
                    continue;
                }
            };
            add_end(&mut report.ends, stats.end);
            report.orders_sent += stats.sent;
            report.orders_delivered += stats.delivered;
            report.orders_duplicated += stats.duplicates;
            report.early_frames += stats.early_frames;
            samples.extend(stats.latencies_us);
        }
        report.latency = LatencySummary::of(&mut samples);
        report
    }
}

fn add_end(ends: &mut Vec<(PlayerEnd, usize)>, end: PlayerEnd) {
    match ends.iter_mut().find(|(e, _)| *e == end) {
        Some((_, n)) => *n += 1,
        None => ends.push((end, 1)),
    }
}

fn micros(duration: Duration) -> u64 {
    u64::try_from(duration.as_micros()).unwrap_or(u64::MAX)
}

/// What every player of a run shares.
#[derive(Debug)]
struct PlayerSettings {
    orders_per_second: u32,
    hold_us: u64,
    window: Arc<Window>,
}

/// The state hash both players report at the end: both "simulate" the same ticks.
fn state_hash(last_tick: SimTick) -> [u8; 32] {
    let mut hasher = Sha256::new();
    hasher.update(b"ic-load-state");
    hasher.update(last_tick.to_le_bytes());
    hasher.finalize().into()
}

/// One load order: its sequence number and send time, so the receiver can time it.
fn load_order(seq: u64, sent_us: u64) -> ClientOrder {
    let mut payload = Vec::with_capacity(16);
    payload.extend_from_slice(&seq.to_le_bytes());
    payload.extend_from_slice(&sent_us.to_le_bytes());
    ClientOrder {
        sub_tick_hint_us: SEND_OFFSET_US as u32,
        order: PlayerOrder::Game {
            type_tag: LOAD_ORDER_TAG,
            payload,
        },
    }
}

fn parse_load_order(order: &PlayerOrder) -> Option<(u64, u64)> {
    let PlayerOrder::Game { type_tag, payload } = order else {
        return None;
    };
    if *type_tag != LOAD_ORDER_TAG || payload.len() != 16 {
        return None;
    }
    let mut seq = [0u8; 8];
    let mut sent = [0u8; 8];
    seq.copy_from_slice(&payload[..8]);
    sent.copy_from_slice(&payload[8..]);
    Some((u64::from_le_bytes(seq), u64::from_le_bytes(sent)))
}

/// Plays one seat: sends a batch in every tick's window until the measurement window ends,
/// times the opponent's orders, then reports the game end and waits for the server to close.
async fn play(mut session: RelaySession, settings: Arc<PlayerSettings>) -> PlayerStats {
    let mut stats = PlayerStats {
        end: PlayerEnd::NeverStarted,
        sent: 0,
        delivered: 0,
        duplicates: 0,
        early_frames: 0,
        latencies_us: Vec::new(),
    };
    let slot = match session.seat() {
        Seat::Player { slot, .. } => slot,
        Seat::Observer(_) => PlayerSlot(u8::MAX),
    };
    let window = &settings.window;
    let mut grid: Option<Grid> = None;
    let mut seq: u64 = 0;
    let mut expected_from_opponent: u64 = 0;
    let mut last_tick: Option<SimTick> = None;
    let mut seen_tick: Option<SimTick> = None;
    let mut reported_at: Option<tokio::time::Instant> = None;
    loop {
        let end_us = window.end_us.load(Ordering::Relaxed);
        let give_up = match end_us {
            u64::MAX => tokio::time::Instant::now() + Duration::from_secs(1),
            end => instant_of(end) + GIVE_UP_AFTER_WINDOW,
        };
        let send_at = grid
            .as_ref()
            .filter(|_| last_tick.is_none())
            .map(Grid::send_at);
        let linger = reported_at.map(|at| at + END_LINGER);
        tokio::select! {
            () = tokio::time::sleep_until(give_up) => {
                if end_us != u64::MAX {
                    stats.end = if grid.is_some() { PlayerEnd::TimedOut } else { PlayerEnd::NeverStarted };
                    break;
                }
            }
            () = sleep_opt(linger), if linger.is_some() => {
                // Reported and every order went through; the server only failed to close.
                stats.end = PlayerEnd::Finished;
                break;
            }
            () = sleep_opt(send_at), if send_at.is_some() => {
                let Some(g) = grid.as_mut() else { continue };
                let tick = g.next_tick;
                if g.window_start(tick) >= end_us {
                    // Both players compute the same last tick from the same grid and window.
                    last_tick = Some(tick.saturating_sub(1));
                } else {
                    let count = g.orders_due(settings.orders_per_second);
                    let now = unix_now_us();
                    let orders = (0..count).map(|i| load_order(seq + i, now)).collect();
                    if session.send_orders(tick, now, orders).await.is_err() {
                        stats.end = PlayerEnd::Closed;
                        break;
                    }
                    seq += count;
                    stats.sent += count;
                    g.next_tick += 1;
                }
            }
            frame = session.next_frame_timed() => {
                let Some((frame, received_us)) = frame else {
                    stats.end = if reported_at.is_some() { PlayerEnd::Finished } else { PlayerEnd::Closed };
                    break;
                };
                match frame {
                    // A second MatchStart (after a reconnect) names the same grid.
                    Frame::MatchStart { start_us, tick_interval_us, open_tick } if grid.is_none() => {
                        grid = Some(Grid::new(start_us, tick_interval_us, open_tick));
                    }
                    Frame::TickOrders(tick) => {
                        let Some(g) = grid else { continue };
                        seen_tick = seen_tick.max(Some(tick.tick));
                        let deadline = g.window_start(tick.tick).saturating_add(settings.hold_us);
                        if received_us < deadline {
                            stats.early_frames += 1;
                        }
                        let window_start = window.start_us.load(Ordering::Relaxed);
                        for order in tick.orders.iter().filter(|o| o.player != slot) {
                            let Some((their_seq, sent_us)) = parse_load_order(&order.order) else {
                                continue;
                            };
                            stats.delivered += 1;
                            if their_seq < expected_from_opponent {
                                stats.duplicates += 1;
                            }
                            expected_from_opponent = their_seq + 1;
                            if sent_us >= window_start && sent_us < end_us {
                                let waited_until = sent_us.max(deadline);
                                let added = received_us.saturating_sub(waited_until);
                                stats.latencies_us.push(u32::try_from(added).unwrap_or(u32::MAX));
                            }
                        }
                        if tick.tick % SYNC_EVERY == 0
                            && session.sync_hash(tick.tick, bot_sync_hash(tick.tick)).await.is_err()
                        {
                            stats.end = PlayerEnd::Closed;
                            break;
                        }
                    }
                    Frame::CertifiedResult(_) => {
                        stats.end = PlayerEnd::Finished;
                        break;
                    }
                    Frame::Disconnect { .. } => {
                        stats.end = if reported_at.is_some() { PlayerEnd::Finished } else { PlayerEnd::Disconnected };
                        break;
                    }
                    Frame::Kick { .. } => {
                        stats.end = PlayerEnd::Kicked;
                        break;
                    }
                    _ => {}
                }
            }
        }
        // The match ends once this player sent its last batch and saw the last tick (for a
        // forwarder: the opponent's last batch), so every order of both is already through.
        if let (Some(last), Some(seen), None) = (last_tick, seen_tick, reported_at)
            && seen >= last
        {
            if session
                .report_game_end(seen, SimOutcome::Draw, state_hash(last))
                .await
                .is_err()
            {
                stats.end = PlayerEnd::Closed;
                break;
            }
            reported_at = Some(tokio::time::Instant::now());
        }
    }
    session.close().await;
    stats
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_are_nearest_rank() {
        let mut samples: Vec<u32> = (1..=200).rev().collect();
        let summary = LatencySummary::of(&mut samples);
        assert_eq!(summary.count, 200);
        assert_eq!(summary.p50_us, 100);
        assert_eq!(summary.p99_us, 198);
        assert_eq!(summary.max_us, 200);
        assert_eq!(LatencySummary::of(&mut []), LatencySummary::default());
    }

    #[test]
    fn load_orders_carry_sequence_and_send_time() {
        let order = load_order(7, 1_234_567);
        assert_eq!(parse_load_order(&order.order), Some((7, 1_234_567)));
        assert_eq!(parse_load_order(&PlayerOrder::Idle), None);
    }
}
