//! The player-side library: identity key, the credential wallet (one SQLite file per community),
//! the community API client, joining and syncing, presenting and verifying records.
//!
//! A game client opens a [`wallet::Wallet`] and an [`identity::Identity`], wraps them in a
//! [`Client`], and calls `join`, `sync`, `present` and `verify_presented`. The `ic` binary is a
//! thin command line over the same calls.

pub mod api;
pub mod audit;
pub mod community;
pub mod identity;
pub mod present;
pub mod relay;
pub mod staff;
pub mod sync;
pub mod wallet;

pub use sync::{Client, JoinOptions, JoinOutcome, Reissue, SyncError, SyncReport, unix_now};

#[cfg(test)]
mod test_support;
