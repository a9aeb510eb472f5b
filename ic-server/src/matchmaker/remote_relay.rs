//! Relays of other servers (`[matchmaking] relays`): taken only while a probe, the handshake
//! a player's client makes with the relay's key pinned, reaches them.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use scr::RelayKey;

use super::relays::HostingRelay;
use crate::matchmaking::RelayListing;

/// How long one probe may take before the relay counts as unreachable.
const PROBE_TIMEOUT: Duration = Duration::from_secs(5);

/// What the probes found out about a relay.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Reach {
    /// Not probed yet: it takes no match until a probe reaches it.
    Unknown,
    /// The last probe reached it.
    Up,
    /// The last probe failed, for this reason.
    Down(String),
}

/// A relay of another server. Its load is not visible from here, so it takes a match whenever
/// the last probe (see [`probe_relays`]) reached it.
pub struct ConfiguredRelay {
    remote: RelayListing,
    reach: Mutex<Reach>,
}

impl ConfiguredRelay {
    /// The relay `remote`, taking matches once a probe has reached it.
    pub fn new(remote: RelayListing) -> Self {
        Self {
            remote,
            reach: Mutex::new(Reach::Unknown),
        }
    }

    fn reach(&self) -> std::sync::MutexGuard<'_, Reach> {
        self.reach
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Records a probe's outcome; logs when the relay comes up or goes down.
    pub fn probed(&self, outcome: Result<(), String>) {
        let next = match outcome {
            Ok(()) => Reach::Up,
            Err(reason) => Reach::Down(reason),
        };
        let mut reach = self.reach();
        match (&*reach, &next) {
            (Reach::Up, Reach::Up) | (Reach::Down(_), Reach::Down(_)) => {}
            (_, Reach::Up) => tracing::info!(relay = %self.remote.address, "relay reachable"),
            (_, Reach::Down(reason)) => tracing::warn!(
                relay = %self.remote.address,
                %reason,
                "relay unreachable; no matches go there"
            ),
            (_, Reach::Unknown) => {}
        }
        *reach = next;
    }
}

impl HostingRelay for ConfiguredRelay {
    fn address(&self) -> String {
        self.remote.address.clone()
    }

    fn key(&self) -> RelayKey {
        self.remote.key
    }

    fn region(&self) -> Option<String> {
        self.remote.region().map(str::to_owned)
    }

    fn reserve(&self) -> Result<(), String> {
        match &*self.reach() {
            Reach::Up => Ok(()),
            Reach::Unknown => Err("not reached by a probe yet".to_owned()),
            Reach::Down(reason) => Err(format!("unreachable: {reason}")),
        }
    }
}

/// Probes every relay of `relays` now and then every `interval`, until the task is dropped,
/// counting each probe in `probes` by relay and outcome. A relay that does not answer, or answers with
/// another key, takes no matches until a probe reaches it again.
pub async fn probe_relays(
    relays: Vec<Arc<ConfiguredRelay>>,
    interval: Duration,
    probes: prometheus::IntCounterVec,
) {
    let mut ticker = tokio::time::interval(interval);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticker.tick().await;
        probe_once(&relays).await;
        for relay in &relays {
            let outcome = match *relay.reach() {
                Reach::Up => "reachable",
                _ => "unreachable",
            };
            probes
                .with_label_values(&[relay.remote.address.as_str(), outcome])
                .inc();
        }
    }
}

/// Probes each of `relays` once, all at the same time, and records the outcomes.
pub async fn probe_once(relays: &[Arc<ConfiguredRelay>]) {
    futures_util::future::join_all(relays.iter().map(|relay| async move {
        let outcome = tokio::time::timeout(PROBE_TIMEOUT, probe(&relay.remote))
            .await
            .unwrap_or_else(|_| Err(format!("no answer within {PROBE_TIMEOUT:?}")));
        relay.probed(outcome);
    }))
    .await;
}

/// The handshake a player's client makes: QUIC with the relay's key pinned, closed before any
/// ticket.
async fn probe(remote: &RelayListing) -> Result<(), String> {
    let address = tokio::net::lookup_host(&remote.address)
        .await
        .map_err(|error| format!("resolving {}: {error}", remote.address))?
        .next()
        .ok_or_else(|| format!("{} resolves to no address", remote.address))?;
    let bind: std::net::SocketAddr = if address.is_ipv4() {
        ([0, 0, 0, 0], 0).into()
    } else {
        (std::net::Ipv6Addr::UNSPECIFIED, 0).into()
    };
    let client = ic_client::relay::RelayClient::new(bind).map_err(|e| e.to_string())?;
    client
        .probe(address, remote.key.into())
        .await
        .map_err(|error| error.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn remote() -> ConfiguredRelay {
        ConfiguredRelay::new(RelayListing {
            address: "far:19711".into(),
            key: scr::KeyPair::from_seed([9; 32]).public_key().into(),
            region: String::new(),
        })
    }

    #[test]
    fn a_relay_takes_matches_only_while_the_last_probe_reached_it() {
        let relay = remote();
        assert!(relay.reserve().unwrap_err().contains("not reached"));
        relay.probed(Ok(()));
        assert_eq!(relay.reserve(), Ok(()));
        relay.probed(Err("no answer within 5s".into()));
        assert_eq!(
            relay.reserve().unwrap_err(),
            "unreachable: no answer within 5s"
        );
        relay.probed(Ok(()));
        assert_eq!(relay.reserve(), Ok(()));
    }
}
