//! This server's own relay as a place the matchmaker can put matches: its public address, its
//! region and a cap on the matches placed on it.

use std::net::SocketAddr;
#[cfg(feature = "matchmaking")]
use std::sync::Arc;

use axum::http::Uri;
#[cfg(feature = "matchmaking")]
use scr::RelayKey;

#[cfg(feature = "matchmaking")]
use super::RelayService;
#[cfg(feature = "matchmaking")]
use crate::matchmaker::relays::HostingRelay;
#[cfg(feature = "matchmaking")]
use crate::matchmaking::RelayListing;

/// The relay running in this process.
#[cfg(feature = "matchmaking")]
pub struct LocalRelay {
    service: Arc<RelayService>,
    address: String,
    region: Option<String>,
    max_matches: usize,
}

#[cfg(feature = "matchmaking")]
impl LocalRelay {
    /// `service`, listed to players as `listing`, taking at most `max_matches` at once.
    pub fn new(service: Arc<RelayService>, listing: &RelayListing, max_matches: usize) -> Self {
        Self {
            address: listing.address.clone(),
            region: listing.region().map(str::to_owned),
            max_matches,
            service,
        }
    }
}

#[cfg(feature = "matchmaking")]
impl HostingRelay for LocalRelay {
    fn address(&self) -> String {
        self.address.clone()
    }

    fn key(&self) -> RelayKey {
        self.service.relay_key()
    }

    fn region(&self) -> Option<String> {
        self.region.clone()
    }

    fn reserve(&self) -> Result<(), String> {
        if self.service.is_draining() {
            return Err("draining for a restart".into());
        }
        let running = self.service.running_matches();
        if running >= self.max_matches {
            return Err(format!("full ({running} matches running)"));
        }
        Ok(())
    }
}

/// `configured` when set; otherwise the host players already use for the API with the port the
/// relay is bound to (a relay bound to every interface has no address of its own to give).
pub fn public_address(configured: &str, community_url: &str, bound: SocketAddr) -> String {
    if !configured.is_empty() {
        return configured.to_owned();
    }
    let host = community_url
        .parse::<Uri>()
        .ok()
        .and_then(|uri| uri.host().map(str::to_owned))
        .filter(|host| !host.is_empty());
    match host {
        Some(host) if host.contains(':') && !host.starts_with('[') => {
            format!("[{host}]:{}", bound.port())
        }
        Some(host) => format!("{host}:{}", bound.port()),
        None => bound.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_public_address_follows_the_community_url_unless_configured() {
        let bound: SocketAddr = "0.0.0.0:19711".parse().unwrap();
        assert_eq!(
            public_address("", "https://ladder.example.org", bound),
            "ladder.example.org:19711"
        );
        assert_eq!(
            public_address("", "http://127.0.0.1:19710/", bound),
            "127.0.0.1:19711"
        );
        assert_eq!(
            public_address("", "http://[2001:db8::1]:19710", bound),
            "[2001:db8::1]:19711"
        );
        assert_eq!(
            public_address("relay.example.org:4433", "https://x.org", bound),
            "relay.example.org:4433"
        );
        assert_eq!(public_address("", "not a url", bound), "0.0.0.0:19711");
    }
}
