//! The `[relay]` section: where the relay listens, what players are told to connect to, its
//! timeouts and the community keys whose tickets it admits. The service is in `crate::relay`.

use std::net::SocketAddr;

use scr::CommunityKey;
use serde::{Deserialize, Serialize};

/// The `[relay]` section of the configuration.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct RelaySettings {
    /// UDP address the relay listens on.
    pub listen: SocketAddr,
    /// `host:port` players are told to connect to; empty: the host of `community.url` with the
    /// port the relay is bound to.
    pub public_address: String,
    /// Region this relay serves (matched against players' region preferences); empty: any.
    pub region: String,
    /// Matches the matchmaker places on this relay at once, 1–100000.
    pub max_matches: usize,
    /// Seconds a custom room (`POST /v1/rooms`) stays open while nobody plays in it; its
    /// tickets admit for as long, 60–86400.
    pub room_open_secs: u64,
    /// Days replays are kept in `<data dir>/replays` (named by the hash in the certified
    /// result); 0 records none, 0–3650.
    pub replay_retention_days: u64,
    /// Seconds a new connection has to present a valid ticket and prove its key, 1–60.
    pub auth_timeout_secs: u64,
    /// Seconds a match waits for all its players before it is dropped, 5–3600.
    pub lobby_timeout_secs: u64,
    /// Seconds a disconnected or unresponsive player may take to come back, 5–600.
    pub reconnect_timeout_secs: u64,
    /// Seconds after the match end during which players receive the result and records, 1–600.
    pub post_game_secs: u64,
    /// Connections at once (authenticating or attached), 1–100000.
    pub max_connections: usize,
    /// Missed deadlines after which a player is kicked (0 = never), 0–10000.
    pub strike_threshold: u32,
    /// Batches losing orders to the filters after which a player is kicked (0 = never), 0–10000.
    pub flood_kick_threshold: u32,
    /// Community keys besides this server's own whose tickets the relay admits (a relay-only
    /// server serving another community's matches).
    pub ticket_signers: Vec<CommunityKey>,
}

impl Default for RelaySettings {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([0, 0, 0, 0], 19711)),
            public_address: String::new(),
            region: String::new(),
            max_matches: 2000,
            room_open_secs: 900,
            replay_retention_days: 30,
            auth_timeout_secs: 10,
            lobby_timeout_secs: 120,
            reconnect_timeout_secs: 60,
            post_game_secs: 30,
            max_connections: 10_000,
            strike_threshold: 45,
            flood_kick_threshold: 32,
            ticket_signers: Vec::new(),
        }
    }
}

impl RelaySettings {
    /// Checks every range; the error names the key and the allowed values.
    pub fn validate(&self) -> Result<(), crate::config::InvalidValue> {
        let checks: [(&str, u64, u64, u64); 10] = [
            (
                "relay.replay_retention_days",
                self.replay_retention_days,
                0,
                3650,
            ),
            ("relay.room_open_secs", self.room_open_secs, 60, 86_400),
            ("relay.max_matches", self.max_matches as u64, 1, 100_000),
            ("relay.auth_timeout_secs", self.auth_timeout_secs, 1, 60),
            ("relay.lobby_timeout_secs", self.lobby_timeout_secs, 5, 3600),
            (
                "relay.reconnect_timeout_secs",
                self.reconnect_timeout_secs,
                5,
                600,
            ),
            ("relay.post_game_secs", self.post_game_secs, 1, 600),
            (
                "relay.max_connections",
                self.max_connections as u64,
                1,
                100_000,
            ),
            (
                "relay.strike_threshold",
                u64::from(self.strike_threshold),
                0,
                10_000,
            ),
            (
                "relay.flood_kick_threshold",
                u64::from(self.flood_kick_threshold),
                0,
                10_000,
            ),
        ];
        for (key, value, low, high) in checks {
            if value < low || value > high {
                return Err(crate::config::InvalidValue {
                    key: key.into(),
                    problem: format!("{value} is outside the allowed range {low}..={high}"),
                });
            }
        }
        Ok(())
    }
}
