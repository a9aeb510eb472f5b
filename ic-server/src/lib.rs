//! ic-server: a self-hostable community server. This library holds everything the binary wires
//! together: configuration, data directory, storage, authentication, the ranking authority and
//! the HTTP API. `main.rs` only parses the command line and calls [`cli::main`].

pub mod auth;
pub mod authority;
pub mod cli;
pub mod clock;
pub mod community;
pub mod config;
pub mod data_dir;
pub mod http;
pub mod keys;
pub mod logging;
pub mod matchmaker;
pub mod matchmaking;
pub mod metrics;
pub mod presented;
pub mod relay;
pub mod server;
pub mod store;
