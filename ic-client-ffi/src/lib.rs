//! The player library for games written in C, C++ or C#: the wallet, joining and syncing,
//! presenting and verifying records offline, matchmaking and a relay session, as a C ABI.
//!
//! The header `include/ic_client.h` is generated from this crate by `cbindgen` (a test checks
//! that the checked-in copy is current). The rules every function follows:
//!
//! - **Status codes.** Every call that can fail returns an [`IcStatus`]; results come through
//!   out-pointers, written only on `IC_STATUS_OK`. [`ic_last_error_message`] and
//!   [`ic_last_error_code`] describe the last failure on the calling thread.
//! - **Opaque handles, explicit frees.** `IcClient`, `IcCommunityList`, `IcVerifier`,
//!   `IcVerification`, `IcSeat` and `IcRelaySession` are created by one function and freed by
//!   its `_free`; strings and bytes the caller owns go back through `ic_string_free` and
//!   `ic_bytes_free`. Every free accepts NULL.
//! - **No panic crosses the boundary.** A bug is caught and reported as `IC_STATUS_PANIC`.
//! - **No unbounded wait.** Network calls take `timeout_ms`; wallet calls are bounded by
//!   ten seconds (opening a sealed identity costs its key derivation, about a second);
//!   `ic_relay_poll` waits at most its timeout; sending never waits; closing a relay session
//!   and freeing the last handle wait at most a second each.
//! - **Thread safety** is stated on each function. In short: a client and a verifier may be
//!   used from several threads at once; a relay session may send from any thread while one
//!   thread polls; nothing may be used during or after its free.

// The C boundary is raw pointers by nature; each unsafe block states what the caller promised.
#![allow(unsafe_code)]

mod args;
mod buffers;
mod client;
mod communities;
mod errors;
mod handles;
mod matchmaking;
mod relay;
mod status;
mod verify;

pub use buffers::{IcBytes, ic_bytes_free, ic_string_free};
pub use client::{
    IcClient, IcSyncSummary, ic_client_free, ic_client_join, ic_client_open, ic_client_player_key,
    ic_client_present, ic_client_store_records, ic_client_sync,
};
pub use communities::{
    IcCommunity, IcCommunityList, ic_client_communities, ic_community_list_free,
    ic_community_list_get, ic_community_list_len,
};
pub use matchmaking::{
    IcSeat, ic_client_find_match, ic_seat_free, ic_seat_game_id, ic_seat_relay_address,
    ic_seat_relay_key, ic_seat_ticket,
};
pub use relay::{
    IcFrame, IcFrameKind, IcOrder, IcRelaySession, IcTickOrder, ic_relay_close, ic_relay_connect,
    ic_relay_game_id, ic_relay_poll, ic_relay_report_end, ic_relay_send_orders,
    ic_relay_session_free, ic_relay_slot, ic_relay_sync_hash, ic_relay_team,
};
pub use status::{IcStatus, ic_last_error_code, ic_last_error_message};
pub use verify::{
    IcRecordVerdict, IcVerification, IcVerifier, ic_client_verifier, ic_verification_free,
    ic_verification_get, ic_verification_len, ic_verification_valid_count, ic_verifier_check,
    ic_verifier_for_keys, ic_verifier_free,
};

#[cfg(test)]
mod tests {
    use super::*;

    fn crosses_threads<T: Send + Sync>() {}

    /// The thread-safety the header promises, checked by the compiler.
    #[test]
    fn every_handle_may_be_shared_between_threads() {
        crosses_threads::<IcClient>();
        crosses_threads::<IcCommunityList>();
        crosses_threads::<IcVerifier>();
        crosses_threads::<IcVerification>();
        crosses_threads::<IcSeat>();
        crosses_threads::<IcRelaySession>();
    }
}
