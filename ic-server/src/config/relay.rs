//! The `[relay]` section: where the relay listens, what players are told to connect to, its
//! timeouts, the community keys whose tickets it admits and where certified results go.
//! The service is in `crate::relay`.

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
    /// Custom rooms open at once on this relay, 1–100000 (default 500, a quarter of the
    /// default `max_matches`): rooms cannot take the capacity ranked matches need.
    pub max_rooms: usize,
    /// Custom rooms one player may host at once, 1–100 (default 3).
    pub max_rooms_per_host: usize,
    /// Days replays are kept in `<data dir>/replays` (named by the hash in the certified
    /// result); 0 records none, 0–3650.
    pub replay_retention_days: u64,
    /// Seconds a new connection has to present a valid ticket and prove its key, 1–60.
    pub auth_timeout_secs: u64,
    /// Seconds a match waits for all its players before it is dropped, 5–3600.
    pub lobby_timeout_secs: u64,
    /// Seconds a disconnected or unresponsive player may take to come back, 5–600.
    pub reconnect_timeout_secs: u64,
    /// Seconds of game time at the start within which a player who leaves for good voids the
    /// match instead of losing it (the grace void; 0 = never), 0–600.
    pub grace_void_secs: u64,
    /// Seconds after the match end during which players receive the result and records, 1–600.
    pub post_game_secs: u64,
    /// A tick the relay finalizes more than this many milliseconds after its deadline is late;
    /// `degraded_late_ticks` late ticks in a row mark the match degraded (the relay's own
    /// conditions were bad; `[rating.information] degraded_weight` decides what it counts).
    /// 0 never marks a match degraded, 0–10000.
    pub degraded_lateness_ms: u64,
    /// Late ticks in a row that degrade a match, 1–10000.
    pub degraded_late_ticks: u32,
    /// Loss of the relay's packets to every player of a match at once, percent, that counts as
    /// the relay's own network failing (one player's bad line never does); for
    /// `degraded_loss_secs` seconds in a row it marks the match degraded. 0 never, 0–100.
    pub degraded_loss_percent: u32,
    /// Seconds of such loss in a row that degrade a match, 1–600.
    pub degraded_loss_secs: u32,
    /// Pauses each player may call in a ranked match (0: none), 0–100; a ranked pause lasts at
    /// most `ranked_pause_secs` (1–3600) and none comes in the first 30 s.
    pub ranked_pauses_per_player: u32,
    /// Longest ranked pause, seconds.
    pub ranked_pause_secs: u64,
    /// Pauses each player may call in an unranked match (0: none), 0–100; each lasts at most
    /// `casual_pause_secs` (1–3600).
    pub casual_pauses_per_player: u32,
    /// Longest unranked pause, seconds.
    pub casual_pause_secs: u64,
    /// Seconds a shutdown (SIGTERM) waits for running matches to finish before it ends the rest
    /// as server restarts, 0–86400; no new match starts meanwhile.
    pub drain_secs: u64,
    /// Connections at once (authenticating or attached), 1–100000.
    pub max_connections: usize,
    /// Connections still authenticating at once from one source (an IPv4 address, an IPv6
    /// /64), 1–100000 (default 64): one host cannot hold every handshake slot.
    pub max_handshakes_per_address: usize,
    /// Missed deadlines after which a player is kicked (0 = never), 0–10000.
    pub strike_threshold: u32,
    /// Batches losing orders to the filters after which a player is kicked (0 = never), 0–10000.
    pub flood_kick_threshold: u32,
    /// Community keys besides this server's own whose tickets the relay admits (a relay-only
    /// server serving another community's matches).
    pub ticket_signers: Vec<CommunityKey>,
    /// Base URL of the community whose ranking authority rates this relay's matches
    /// (`POST {community_url}/v1/matches`, through a durable outbox); empty: results go only to
    /// the players. Ignored when the ranking capability runs in this same server.
    pub community_url: String,
    /// Seconds before the first retry of a result the community did not take, doubling per
    /// attempt, 1–3600.
    pub outbox_retry_min_secs: u64,
    /// Longest pause between retries, seconds, 1–86400 (at least `outbox_retry_min_secs`).
    pub outbox_retry_max_secs: u64,
    /// Seconds one delivery request may take, 1–300.
    pub outbox_request_timeout_secs: u64,
    /// Spectators (observer tickets) one match admits, 0–255 (observer ids are one byte on
    /// the wire); 0 admits none.
    pub spectators_per_match: usize,
    /// How many ticks spectators of an unranked match lag behind the players, 0–18000.
    pub spectator_delay_ticks: u32,
    /// How many seconds spectators of a ranked match lag behind the players, 120–3600; never
    /// less than 120, so a streamed match cannot be used to coach a player live.
    pub ranked_spectator_delay_secs: u64,
}

impl Default for RelaySettings {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([0, 0, 0, 0], 19711)),
            public_address: String::new(),
            region: String::new(),
            max_matches: 2000,
            room_open_secs: 900,
            max_rooms: 500,
            max_rooms_per_host: 3,
            replay_retention_days: 30,
            auth_timeout_secs: 10,
            lobby_timeout_secs: 120,
            reconnect_timeout_secs: 60,
            grace_void_secs: 120,
            drain_secs: 1800,
            ranked_pauses_per_player: 1,
            ranked_pause_secs: 60,
            casual_pauses_per_player: 10,
            casual_pause_secs: 300,
            degraded_lateness_ms: 250,
            degraded_late_ticks: 20,
            degraded_loss_percent: 5,
            degraded_loss_secs: 10,
            post_game_secs: 30,
            max_connections: 10_000,
            max_handshakes_per_address: 64,
            strike_threshold: 45,
            flood_kick_threshold: 32,
            ticket_signers: Vec::new(),
            community_url: String::new(),
            outbox_retry_min_secs: 1,
            outbox_retry_max_secs: 300,
            outbox_request_timeout_secs: 10,
            spectators_per_match: 50,
            spectator_delay_ticks: 60,
            ranked_spectator_delay_secs: 120,
        }
    }
}

impl RelaySettings {
    /// Checks every range; the error names the key and the allowed values.
    pub fn validate(&self) -> Result<(), crate::config::InvalidValue> {
        use crate::config::range;
        range(
            "relay.replay_retention_days",
            self.replay_retention_days,
            0,
            3650,
        )?;
        range("relay.room_open_secs", self.room_open_secs, 60, 86_400)?;
        range("relay.max_rooms", self.max_rooms, 1, 100_000)?;
        range("relay.max_rooms_per_host", self.max_rooms_per_host, 1, 100)?;
        range("relay.max_matches", self.max_matches, 1, 100_000)?;
        range("relay.auth_timeout_secs", self.auth_timeout_secs, 1, 60)?;
        range("relay.lobby_timeout_secs", self.lobby_timeout_secs, 5, 3600)?;
        range(
            "relay.reconnect_timeout_secs",
            self.reconnect_timeout_secs,
            5,
            600,
        )?;
        range("relay.grace_void_secs", self.grace_void_secs, 0, 600)?;
        range("relay.post_game_secs", self.post_game_secs, 1, 600)?;
        range("relay.drain_secs", self.drain_secs, 0, 86_400)?;
        range(
            "relay.ranked_pauses_per_player",
            self.ranked_pauses_per_player,
            0,
            100,
        )?;
        range("relay.ranked_pause_secs", self.ranked_pause_secs, 1, 3600)?;
        range(
            "relay.casual_pauses_per_player",
            self.casual_pauses_per_player,
            0,
            100,
        )?;
        range("relay.casual_pause_secs", self.casual_pause_secs, 1, 3600)?;
        range(
            "relay.degraded_lateness_ms",
            self.degraded_lateness_ms,
            0,
            10_000,
        )?;
        range(
            "relay.degraded_late_ticks",
            self.degraded_late_ticks,
            1,
            10_000,
        )?;
        range(
            "relay.degraded_loss_percent",
            self.degraded_loss_percent,
            0,
            100,
        )?;
        range("relay.degraded_loss_secs", self.degraded_loss_secs, 1, 600)?;
        range("relay.max_connections", self.max_connections, 1, 100_000)?;
        range(
            "relay.max_handshakes_per_address",
            self.max_handshakes_per_address,
            1,
            100_000,
        )?;
        range("relay.strike_threshold", self.strike_threshold, 0, 10_000)?;
        range(
            "relay.flood_kick_threshold",
            self.flood_kick_threshold,
            0,
            10_000,
        )?;
        range(
            "relay.outbox_retry_min_secs",
            self.outbox_retry_min_secs,
            1,
            3600,
        )?;
        range(
            "relay.outbox_retry_max_secs",
            self.outbox_retry_max_secs,
            1,
            86_400,
        )?;
        range(
            "relay.outbox_request_timeout_secs",
            self.outbox_request_timeout_secs,
            1,
            300,
        )?;
        range(
            "relay.spectators_per_match",
            self.spectators_per_match,
            0,
            255,
        )?;
        range(
            "relay.spectator_delay_ticks",
            self.spectator_delay_ticks,
            0,
            18_000,
        )?;
        range(
            "relay.ranked_spectator_delay_secs",
            self.ranked_spectator_delay_secs,
            120,
            3600,
        )?;
        if self.outbox_retry_max_secs < self.outbox_retry_min_secs {
            return Err(crate::config::InvalidValue {
                key: "relay.outbox_retry_max_secs".into(),
                problem: format!(
                    "{} is below relay.outbox_retry_min_secs ({})",
                    self.outbox_retry_max_secs, self.outbox_retry_min_secs
                ),
            });
        }
        if !self.community_url.is_empty() {
            check_base_url(&self.community_url).map_err(|problem| crate::config::InvalidValue {
                key: "relay.community_url".into(),
                problem,
            })?;
        }
        Ok(())
    }
}

/// An `http://` or `https://` URL with a host and no query or fragment, to which API paths are
/// appended.
fn check_base_url(url: &str) -> Result<(), String> {
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))
        .ok_or_else(|| format!("{url:?} must start with http:// or https://"))?;
    let host = rest.split('/').next().unwrap_or_default();
    if host.is_empty() {
        return Err(format!("{url:?} names no host"));
    }
    if url.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(format!("{url:?} contains whitespace"));
    }
    if url.contains(['?', '#']) {
        return Err(format!(
            "{url:?} must be a base URL without a query or fragment"
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::RelaySettings;

    #[test]
    fn community_url_must_be_an_http_base_url_when_set() {
        for good in ["", "http://127.0.0.1:19710", "https://ic.example.org/base/"] {
            let settings = RelaySettings {
                community_url: good.into(),
                ..RelaySettings::default()
            };
            assert_eq!(settings.validate(), Ok(()), "{good}");
        }
        for bad in [
            "ic.example.org",
            "ftp://ic.example.org",
            "http://",
            "https:///path",
            "http://ic.example.org/?x=1",
            "http://ic example.org",
        ] {
            let settings = RelaySettings {
                community_url: bad.into(),
                ..RelaySettings::default()
            };
            let error = settings.validate().unwrap_err();
            assert_eq!(error.key, "relay.community_url", "{bad}");
        }
    }

    #[test]
    fn retry_bounds_are_ordered() {
        let settings = RelaySettings {
            outbox_retry_min_secs: 60,
            outbox_retry_max_secs: 10,
            ..RelaySettings::default()
        };
        assert_eq!(
            settings.validate().unwrap_err().key,
            "relay.outbox_retry_max_secs"
        );
    }
}
