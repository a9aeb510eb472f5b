//! One lockstep match's relay logic without I/O: order collection, time authority, filter chain,
//! desync, liveness, QoS and match-end detection, the CertifiedMatchResult, match tickets and the
//! wire frames.
//!
//! The crate is pure: the caller passes time (microseconds), randomness and keys as arguments,
//! so the same code runs in a dedicated relay and embedded in a game client. Byte layouts are in
//! `docs/cmr-format.md` and `docs/relay-protocol.md`.

pub mod cmr;
pub mod connection;
pub mod core;
pub mod degradation;
pub mod desync;
pub mod filters;
pub mod frames;
pub mod ids;
pub mod kick_votes;
pub mod leavers;
pub mod liveness;
pub mod match_end;
pub mod order;
pub mod order_hash;
pub mod pauses;
pub mod qos;
pub mod ticket;
pub mod time;
pub mod wire;

pub use crate::core::{FinalizedTick, MatchSetup, Receipt, RelayConfig, RelayCore, RelayEvent};
