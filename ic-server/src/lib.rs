//! ic-server: a self-hostable community server. This library holds everything the binary wires
//! together: configuration, data directory, storage, authentication, the ranking authority and
//! the HTTP API. `main.rs` only parses the command line and calls [`cli::main`].

pub mod achievements;
pub mod auth;
#[cfg(feature = "ranking")]
pub mod authority;
pub mod campaigns;
pub mod capabilities;
pub mod cli;
pub mod client_address;
pub mod clock;
pub mod community;
pub mod conduct;
pub mod config;
pub mod data_dir;
#[cfg(all(feature = "relay", feature = "ranking", feature = "matchmaking"))]
pub mod demo;
pub mod disk_watch;
pub mod error_chain;
pub mod federation;
pub mod http;
pub mod keys;
pub mod live_setting;
pub mod logging;
#[cfg(feature = "matchmaking")]
pub mod matchmaker;
pub mod matchmaking;
pub mod metrics;
pub mod moderation;
pub mod presented;
#[cfg(feature = "relay")]
pub mod relay;
pub mod reload;
pub mod running;
pub mod seasons;
pub mod server;
pub mod state;
pub mod storage_watch;
pub mod store;
pub mod transparency;
#[cfg(feature = "ui")]
pub mod ui;
