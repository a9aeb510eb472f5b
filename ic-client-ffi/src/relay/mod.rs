//! A relay session for C: connect with a seat's ticket, send orders, sync hashes and the game's
//! end, poll the relay's frames into a plain struct, and close. Liveness is answered inside.

mod frame;

use std::ffi::c_char;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use ::bytes::Bytes;
use ic_client::relay::{RelayClient, RelaySession, unix_now_us};
use relay_core::cmr::EndReason;
use relay_core::frames::{ClientOrder, Frame, OrderBatch, Seat, SimOutcome};
use relay_core::ids::TeamId;
use relay_core::order::PlayerOrder;
use scr::PublicKey;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use crate::args::{bytes, handle, key, out, text, timeout};
use crate::client::{IcClient, SharedRuntime};
use crate::handles::{free, hand_out, read};
use crate::status::{FfiError, IcStatus, guard};

pub use frame::{IcFrame, IcFrameKind, IcTickOrder};
use frame::{Polled, describe};

/// Frames and commands buffered between the game and the connection.
const QUEUE: usize = 8192;
/// How long closing (or freeing an open session) waits for the goodbye to leave.
const CLOSE_TIMEOUT: Duration = Duration::from_secs(1);

/// A connection to a relay for one match. Opaque; from `ic_relay_connect`, freed with
/// `ic_relay_session_free`. Sending may happen from any thread, also while another thread
/// polls.
pub struct IcRelaySession {
    // Fields drop in this order: the runtime goes last, after the connection has closed.
    commands: mpsc::Sender<Command>,
    inbound: tokio::sync::Mutex<Inbound>,
    /// The task between the game and the connection; taken by the first close.
    pump: Mutex<Option<JoinHandle<()>>>,
    game_id: u64,
    slot: i32,
    team: i32,
    runtime: Arc<SharedRuntime>,
}

/// What the game asks of the connection.
enum Command {
    /// An encoded frame.
    Send(Bytes),
    Close,
}

/// The game's side of the incoming frames, and the buffers the last `IcFrame` points into.
struct Inbound {
    frames: mpsc::Receiver<Frame>,
    /// What the last `IcFrame` points into.
    polled: Polled,
}

/// One order to send.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct IcOrder {
    /// The game's order type.
    pub type_tag: u16,
    /// The order's body (at most 65 535 bytes).
    pub payload: *const u8,
    /// Its length.
    pub payload_len: usize,
}

/// Connects to the relay at `relay_address` (`host:port`, UDP) whose key must be `relay_key`
/// (`ed25519:<64 hex>`), proves the client's identity and presents `ticket`. Returns once the
/// relay has seated the player, or after `timeout_ms`. On `IC_STATUS_OK`, `*out_session` is
/// the session.
///
/// # Safety
/// `client` is a live handle, strings NUL-terminated, `ticket` `ticket_len` readable bytes,
/// `out_session` writable. Thread safety: any thread.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ic_relay_connect(
    client: *const IcClient,
    relay_address: *const c_char,
    relay_key: *const c_char,
    ticket: *const u8,
    ticket_len: usize,
    timeout_ms: u32,
    out_session: *mut *mut IcRelaySession,
) -> IcStatus {
    guard(|| {
        let out_session = out(out_session, "out_session")?;
        // SAFETY: a live handle, strings and a byte range, by the caller's promise.
        let (client, address, relay_key, ticket) = unsafe {
            (
                handle(client, "client")?,
                text(relay_address, "relay_address")?,
                text(relay_key, "relay_key")?,
                bytes(ticket, ticket_len, "ticket")?,
            )
        };
        let relay_key: PublicKey = key(relay_key, "relay_key")?;
        let identity = client.client.identity().key_pair();
        let (endpoint, session) = client.run(timeout(timeout_ms)?, async {
            let target = resolve(address).await?;
            let bind: SocketAddr = if target.is_ipv6() {
                "[::]:0".parse()
            } else {
                "0.0.0.0:0".parse()
            }
            .map_err(|_| FfiError::invalid("bind address"))?;
            let endpoint = RelayClient::new(bind)?;
            let session = endpoint
                .connect(target, relay_key, identity, ticket)
                .await?;
            Ok::<_, FfiError>((endpoint, session))
        })?;
        let (slot, team) = match session.seat() {
            Seat::Player { slot, team } => (i32::from(slot.0), i32::from(team.0)),
            Seat::Observer(_) => (-1, -1),
        };
        let game_id = session.game_id();
        let (commands, command_queue) = mpsc::channel(QUEUE);
        let (frame_queue, frames) = mpsc::channel(QUEUE);
        let pump = client
            .runtime
            .spawn(pump(endpoint, session, command_queue, frame_queue));
        let session = IcRelaySession {
            commands,
            inbound: tokio::sync::Mutex::new(Inbound {
                frames,
                polled: Polled::default(),
            }),
            pump: Mutex::new(Some(pump)),
            game_id,
            slot,
            team,
            runtime: Arc::clone(&client.runtime),
        };
        // SAFETY: checked not NULL.
        unsafe { hand_out(out_session, session) };
        Ok(())
    })
}

/// The relay's socket address; a host name is looked up (within the connect's timeout).
async fn resolve(address: &str) -> Result<SocketAddr, FfiError> {
    let mut found = tokio::net::lookup_host(address).await.map_err(|error| {
        FfiError::invalid(format!(
            "relay_address {address:?} does not resolve: {error}"
        ))
    })?;
    found
        .next()
        .ok_or_else(|| FfiError::invalid(format!("relay_address {address:?} has no address")))
}

/// Carries frames between the connection and the game, so that sending never waits for a poll.
async fn pump(
    // Held so the endpoint lives as long as its connection.
    _endpoint: RelayClient,
    mut session: RelaySession,
    mut commands: mpsc::Receiver<Command>,
    frames: mpsc::Sender<Frame>,
) {
    loop {
        tokio::select! {
            frame = session.next_frame() => match frame {
                Some(frame) => {
                    if frames.send(frame).await.is_err() {
                        break;
                    }
                }
                None => return,
            },
            command = commands.recv() => match command {
                Some(Command::Send(bytes)) => {
                    if session.send_encoded(bytes).await.is_err() {
                        return;
                    }
                }
                Some(Command::Close) | None => break,
            },
        }
    }
    session.close().await;
}

/// The game id of the session (0 for NULL).
///
/// # Safety
/// `session` is NULL or live. Thread safety: any thread.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ic_relay_game_id(session: *const IcRelaySession) -> u64 {
    // SAFETY: NULL or live, by the caller's promise.
    unsafe { read(session, 0, |s| s.game_id) }
}

/// The player's slot in the match, or -1 (an observer, or NULL).
///
/// # Safety
/// `session` is NULL or live. Thread safety: any thread.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ic_relay_slot(session: *const IcRelaySession) -> i32 {
    // SAFETY: NULL or live, by the caller's promise.
    unsafe { read(session, -1, |s| s.slot) }
}

/// The player's team, or -1 (an observer, or NULL).
///
/// # Safety
/// `session` is NULL or live. Thread safety: any thread.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ic_relay_team(session: *const IcRelaySession) -> i32 {
    // SAFETY: NULL or live, by the caller's promise.
    unsafe { read(session, -1, |s| s.team) }
}

impl IcRelaySession {
    /// Queues `frame` for the connection; never waits.
    fn send(&self, frame: Frame) -> Result<(), FfiError> {
        // Encoded here, once, so that a frame over the protocol's limits is the caller's
        // error, not a silently dropped connection.
        let bytes = frame
            .to_bytes()
            .map_err(|error| FfiError::invalid(error.to_string()))?
            .freeze();
        self.commands
            .try_send(Command::Send(bytes))
            .map_err(|error| match error {
                mpsc::error::TrySendError::Full(_) => FfiError::new(
                    IcStatus::Network,
                    "the session's queues are full: poll its frames (an unpolled session stops \
                     sending), or the connection to the relay is not keeping up",
                ),
                mpsc::error::TrySendError::Closed(_) => {
                    FfiError::new(IcStatus::Closed, "the relay session has ended")
                }
            })
    }
}

/// Sends the player's orders for `tick` (`count` of them; 0 sends an empty batch, "nothing this
/// tick"). Does not wait: the orders are queued for the connection.
///
/// # Safety
/// `session` is a live session; `orders` points to `count` orders whose payloads are readable.
/// Thread safety: any thread, also during a poll.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ic_relay_send_orders(
    session: *const IcRelaySession,
    tick: u64,
    orders: *const IcOrder,
    count: usize,
) -> IcStatus {
    guard(|| {
        // SAFETY: a live session, by the caller's promise.
        let session = unsafe { handle(session, "session")? };
        let orders = if count == 0 {
            &[][..]
        } else if orders.is_null() {
            return Err(FfiError::invalid(format!(
                "orders is NULL with count {count}"
            )));
        } else {
            // SAFETY: `count` readable orders, by the caller's promise.
            unsafe { std::slice::from_raw_parts(orders, count) }
        };
        let mut batch = Vec::with_capacity(orders.len());
        for order in orders {
            // SAFETY: each payload readable, by the caller's promise.
            let payload = unsafe { bytes(order.payload, order.payload_len, "payload")? };
            batch.push(ClientOrder {
                sub_tick_hint_us: 0,
                order: PlayerOrder::Game {
                    type_tag: order.type_tag,
                    payload: payload.to_vec(),
                },
            });
        }
        session.send(Frame::OrderBatch(OrderBatch {
            tick,
            client_send_us: unix_now_us(),
            orders: batch,
        }))
    })
}

/// Reports the simulation's truncated state hash after `tick`, for desync detection.
///
/// # Safety
/// `session` is a live session. Thread safety: any thread.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ic_relay_sync_hash(
    session: *const IcRelaySession,
    tick: u64,
    hash: u64,
) -> IcStatus {
    guard(|| {
        // SAFETY: a live session.
        let session = unsafe { handle(session, "session")? };
        session.send(Frame::SyncHash { tick, hash })
    })
}

/// Reports that the simulation ended the game at `tick`: `winner_team` won (-1: a draw), by
/// elimination (`objective` 0) or by an objective (non-zero); `state_hash` is the 32-byte
/// hash of the final state. The relay certifies the result once the players agree.
///
/// # Safety
/// `session` is a live session, `state_hash` 32 readable bytes. Thread safety: any thread.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ic_relay_report_end(
    session: *const IcRelaySession,
    tick: u64,
    winner_team: i32,
    objective: i32,
    state_hash: *const u8,
) -> IcStatus {
    guard(|| {
        // SAFETY: a live session and 32 bytes, by the caller's promise.
        let (session, hash) = unsafe {
            (
                handle(session, "session")?,
                bytes(state_hash, 32, "state_hash")?,
            )
        };
        let state_hash: [u8; 32] = hash
            .try_into()
            .map_err(|_| FfiError::invalid("state_hash must be 32 bytes"))?;
        let outcome = if winner_team < 0 {
            SimOutcome::Draw
        } else {
            let winner = u8::try_from(winner_team).map_err(|_| {
                FfiError::invalid(format!("winner_team {winner_team} is not a team"))
            })?;
            SimOutcome::Victory {
                winner: TeamId(winner),
                reason: if objective == 0 {
                    EndReason::Elimination
                } else {
                    EndReason::Objective
                },
            }
        };
        session.send(Frame::GameEndedReport {
            tick,
            outcome,
            state_hash,
        })
    })
}

/// Waits up to `timeout_ms` (0: not at all) for the next frame from the relay and describes it
/// in `*out_frame`: `IC_FRAME_KIND_NONE` when nothing came, `IC_FRAME_KIND_CLOSED` once the
/// session has ended. Liveness checks are answered inside and never shown.
///
/// # Safety
/// `session` is a live session, `out_frame` writable. Thread safety: poll from one thread (the
/// game loop's): each poll replaces the buffers the previous poll's frame points into. A poll
/// from another thread waits its turn within its own timeout.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ic_relay_poll(
    session: *const IcRelaySession,
    timeout_ms: u32,
    out_frame: *mut IcFrame,
) -> IcStatus {
    guard(|| {
        let out_frame = out(out_frame, "out_frame")?;
        // SAFETY: a live session.
        let session = unsafe { handle(session, "session")? };
        let frame = if timeout_ms == 0 {
            // Not even waiting for another thread's poll to finish.
            match session.inbound.try_lock() {
                Err(_) => IcFrame::empty(IcFrameKind::None),
                Ok(mut inbound) => match inbound.frames.try_recv() {
                    Ok(frame) => describe(frame, &mut inbound.polled),
                    Err(mpsc::error::TryRecvError::Empty) => IcFrame::empty(IcFrameKind::None),
                    Err(mpsc::error::TryRecvError::Disconnected) => {
                        IcFrame::empty(IcFrameKind::Closed)
                    }
                },
            }
        } else {
            let wait = Duration::from_millis(u64::from(timeout_ms));
            // The wait for another thread's poll counts against this poll's timeout.
            let next = async {
                let mut inbound = session.inbound.lock().await;
                match inbound.frames.recv().await {
                    Some(frame) => describe(frame, &mut inbound.polled),
                    None => IcFrame::empty(IcFrameKind::Closed),
                }
            };
            session
                .runtime
                .block_on(async { tokio::time::timeout(wait, next).await })
                .unwrap_or(IcFrame::empty(IcFrameKind::None))
        };
        // SAFETY: checked not NULL.
        unsafe { out_frame.write(frame) };
        Ok(())
    })
}

/// Leaves the match politely: a goodbye, then the connection closes; waits at most a second
/// for that. Polls then report `IC_FRAME_KIND_CLOSED`. Closing twice is fine.
///
/// # Safety
/// `session` is a live session. Thread safety: any thread.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ic_relay_close(session: *const IcRelaySession) -> IcStatus {
    guard(|| {
        // SAFETY: a live session.
        let session = unsafe { handle(session, "session")? };
        session.close();
        Ok(())
    })
}

impl IcRelaySession {
    /// Asks the connection to say goodbye and close, and waits (bounded) until it has.
    fn close(&self) {
        // Full or already closed: the pump ends either way once `commands` is dropped.
        let _ = self.commands.try_send(Command::Close);
        let pump = self
            .pump
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .take();
        if let Some(pump) = pump {
            self.runtime
                .block_on(async { tokio::time::timeout(CLOSE_TIMEOUT, pump).await })
                .ok();
        }
    }
}

impl Drop for IcRelaySession {
    fn drop(&mut self) {
        // Freed without a close: close politely first, so that freeing the last handle of the
        // runtime does not cut the goodbye off.
        self.close();
    }
}

/// Frees a session, closing it politely if it was not closed. NULL is fine.
///
/// # Safety
/// `session` is NULL or not freed since, with no call on it running. Thread safety: once.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ic_relay_session_free(session: *mut IcRelaySession) {
    // SAFETY: NULL or a handle of this type, by the caller's promise.
    unsafe { free(session) }
}
