//! Finding a match through the community's matchmaking: queue with the wallet's rating record,
//! accept, and receive a seat handle (relay address, relay key, ticket) to connect with.

use std::ffi::{CString, c_char};
use std::time::{Duration, Instant};

use ic_client::api::QueueRequest;
use ic_client::staff::sign_in;
use ic_client::unix_now;

use crate::args::{handle, optional_text, out, text, timeout};
use crate::client::{IcClient, LOCAL_TIMEOUT};
use crate::handles::{free, hand_out, read};
use crate::status::{FfiError, IcStatus, c_string, guard, guard_value};

/// How long leaving the queue may take after a search timed out.
const LEAVE_TIMEOUT: Duration = Duration::from_secs(5);

/// A seat in a match: where to connect and the ticket to connect with. Opaque; from
/// `ic_client_find_match`, freed with `ic_seat_free`. Read-only.
pub struct IcSeat {
    game_id: u64,
    relay_address: CString,
    relay_key: CString,
    ticket: Vec<u8>,
}

/// Queues the player in `community` for `mode` (`"ranked_1v1"`, …) with the wallet's valid
/// rating record of `module` (NULL: the only module the wallet holds a rating in), accepts the
/// ready check, bans a map when the player's side is on turn, and waits until the match is
/// ready or `timeout_ms` passed. On any failure after joining, the player leaves the queue
/// (after a timeout that takes up to five more seconds). Keep `timeout_ms` below an hour, the
/// sign-in's lifetime. On `IC_STATUS_OK`, `*out_seat` is the seat to pass to
/// `ic_relay_connect`.
///
/// `IC_STATUS_REFUSED` with the server's code when it refuses the join (`"in_cooldown"`, …) or
/// takes the player out of the queue (`"no_answer"`, `"expired"`, …).
///
/// # Safety
/// `client` is a live handle, strings NULL or NUL-terminated, `out_seat` writable. Thread
/// safety: any thread; one search per player at a time (the server keeps one queue entry).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ic_client_find_match(
    client: *const IcClient,
    community: *const c_char,
    module: *const c_char,
    mode: *const c_char,
    timeout_ms: u32,
    out_seat: *mut *mut IcSeat,
) -> IcStatus {
    guard(|| {
        let out_seat = out(out_seat, "out_seat")?;
        // SAFETY: a live handle and strings, by the caller's promise.
        let (client, community, module, mode) = unsafe {
            (
                handle(client, "client")?,
                text(community, "community")?,
                optional_text(module, "module")?,
                text(mode, "mode")?,
            )
        };
        let deadline = Instant::now() + timeout(timeout_ms)?;
        let presentation = client.run(
            LOCAL_TIMEOUT,
            client
                .client
                .wallet()
                .present(community, module, unix_now()),
        )?;
        let record = match presentation.records() {
            [record] => record.clone(),
            _ => {
                return Err(FfiError::invalid(format!(
                    "the wallet holds {} valid ratings for this choice (several modules or \
                     algorithms): name the module",
                    presentation.records().len()
                )));
            }
        };
        let wallet = client.client.wallet();
        let identity = client.client.identity();
        let left = |at: Instant| {
            at.saturating_duration_since(Instant::now())
                .max(Duration::from_millis(1))
        };
        let (api, session) = client.run(left(deadline), sign_in(wallet, identity, community))?;
        let request = QueueRequest {
            record,
            mode: mode.to_owned(),
            ..QueueRequest::default()
        };
        let ready = match client.run(left(deadline), api.find_match(&session, &request)) {
            Ok(ready) => ready,
            Err(error) => {
                if error.status == IcStatus::Timeout {
                    // Best effort: a player who stopped waiting should not be matched.
                    let _ = client.run(LEAVE_TIMEOUT, api.leave_queue(&session));
                }
                return Err(error);
            }
        };
        let seat = IcSeat {
            game_id: ready.game_id,
            relay_address: c_string(&ready.relay_address),
            relay_key: c_string(&ready.relay_key),
            ticket: ready.ticket,
        };
        // SAFETY: checked not NULL.
        unsafe { hand_out(out_seat, seat) };
        Ok(())
    })
}

/// The relay's game id of the seat (0 for NULL).
///
/// # Safety
/// `seat` is NULL or live. Thread safety: any thread.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ic_seat_game_id(seat: *const IcSeat) -> u64 {
    // SAFETY: NULL or live, by the caller's promise.
    unsafe { read(seat, 0, |s| s.game_id) }
}

/// The relay's address (`host:port`, UDP), valid while the seat lives; NULL for NULL.
///
/// # Safety
/// `seat` is NULL or live. Thread safety: any thread.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ic_seat_relay_address(seat: *const IcSeat) -> *const c_char {
    // SAFETY: NULL or live, by the caller's promise.
    unsafe { read(seat, std::ptr::null(), |s| s.relay_address.as_ptr()) }
}

/// The relay's key to pin (`ed25519:<64 hex>`), valid while the seat lives; NULL for NULL.
///
/// # Safety
/// `seat` is NULL or live. Thread safety: any thread.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ic_seat_relay_key(seat: *const IcSeat) -> *const c_char {
    // SAFETY: NULL or live, by the caller's promise.
    unsafe { read(seat, std::ptr::null(), |s| s.relay_key.as_ptr()) }
}

/// The ticket's bytes, valid while the seat lives; `*out_len` receives their length. NULL for
/// a NULL seat.
///
/// # Safety
/// `seat` is NULL or live; `out_len` NULL or writable. Thread safety: any thread.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ic_seat_ticket(seat: *const IcSeat, out_len: *mut usize) -> *const u8 {
    guard_value(std::ptr::null(), || {
        // SAFETY: NULL or live.
        let seat = unsafe { seat.as_ref() };
        let ticket = seat.map_or(&[][..], |s| s.ticket.as_slice());
        if !out_len.is_null() {
            // SAFETY: not NULL, and writable by the caller's promise (it may be uninitialised).
            unsafe { out_len.write(ticket.len()) };
        }
        seat.map_or(std::ptr::null(), |_| ticket.as_ptr())
    })
}

/// Frees a seat. NULL is fine.
///
/// # Safety
/// `seat` is NULL or not freed since, no longer read. Thread safety: once.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ic_seat_free(seat: *mut IcSeat) {
    // SAFETY: NULL or a handle of this type, by the caller's promise.
    unsafe { free(seat) }
}
