//! The relay client: connect to a relay with a match ticket (the relay's key pinned), play,
//! and receive the certified result and the records, which go into the wallet.
//!
//! [`RelayClient::connect`] returns a [`RelaySession`]; [`bot::play`] drives one headlessly;
//! [`spectate::watch`] follows a match with an observer ticket;
//! [`load`] drives many concurrent matches and measures the relay;
//! [`store_pushed_records`] stores what the relay pushed after the match.

pub mod bot;
pub mod load;
mod pacing;
mod session;
pub mod spectate;
mod tls;
mod wallet;

pub use session::{RelayClient, RelayClientError, RelaySession, unix_now_us};
pub use tls::{ClientTlsError, PinnedRelayKey, client_config};
pub use wallet::{PushedRecords, store_pushed_records};
