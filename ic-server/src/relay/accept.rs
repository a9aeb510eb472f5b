//! Accepting relay connections: each is authenticated (ticket and key) in its own task within
//! `auth_timeout`, bounded in all (`max_connections`) and per source (`max_handshakes_per_address`).

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::Semaphore;

use super::Shared;
use super::handshake::{self, HandshakeError};
use super::registry::Registry;
use crate::client_address::address_bucket;

/// Accepts connections until the endpoint closes, each authenticated in its own task.
pub(super) async fn accept_loop(endpoint: quinn::Endpoint, shared: Arc<Shared>) {
    // Bounds connections being authenticated or attached; a permit lives as long as its
    // handshake task (attached connections are bounded by their matches' seats).
    let permits = Arc::new(Semaphore::new(shared.options.max_connections));
    // One source (an IPv4 address, an IPv6 /64) may not hold them all.
    let per_address = PerAddress::new(shared.options.max_handshakes_per_address);
    while let Some(incoming) = endpoint.accept().await {
        let source = address_bucket(incoming.remote_address().ip());
        let Some(from_source) = per_address.enter(source) else {
            shared.metrics.refused("too_many_handshakes_from_address");
            incoming.refuse();
            continue;
        };
        let Ok(permit) = permits.clone().try_acquire_owned() else {
            shared.metrics.refused("too_many_connections");
            incoming.refuse();
            continue;
        };
        let shared = shared.clone();
        tokio::spawn(async move {
            let _permit = permit;
            let timeout = shared.options.auth_timeout;
            let admitted = tokio::time::timeout(timeout, async {
                let quic = incoming.await.map_err(HandshakeError::from)?;
                let verifier = shared.verifier().map_err(HandshakeError::Ticket)?;
                let closer = quic.clone();
                match handshake::admit(quic, &verifier, shared.clock.now_secs()).await {
                    Ok(admitted) => Ok(admitted),
                    Err(error) => {
                        // Give the Kick a moment to leave before the connection closes.
                        let _ =
                            tokio::time::timeout(Duration::from_millis(500), closer.closed()).await;
                        closer.close(2u32.into(), b"authentication failed");
                        Err(error)
                    }
                }
            })
            .await;
            // Authenticated or not, the handshake is over: the source's slot is free again.
            drop(from_source);
            match admitted {
                Ok(Ok(admitted)) => Registry::route(&shared, admitted).await,
                Ok(Err(error)) => {
                    if error.code() == "closed_by_client" {
                        tracing::debug!("relay connection closed before its hello (a probe)");
                    } else {
                        tracing::info!(%error, "relay connection refused");
                    }
                    shared.metrics.refused(error.code());
                }
                Err(_) => {
                    // Dropping the connection handle inside the timed-out future closed it.
                    tracing::info!("relay connection did not authenticate in time");
                    shared.metrics.refused(HandshakeError::Timeout.code());
                }
            }
        });
    }
}

/// Handshakes in progress per source address.
struct PerAddress {
    limit: usize,
    // A std mutex: held for a map update only, never across an await.
    counts: Arc<Mutex<HashMap<IpAddr, usize>>>,
}

/// A source's slot, given back when dropped.
struct Slot {
    source: IpAddr,
    counts: Arc<Mutex<HashMap<IpAddr, usize>>>,
}

impl PerAddress {
    fn new(limit: usize) -> Self {
        Self {
            limit,
            counts: Arc::new(Mutex::new(HashMap::new())),
        }
    }

    /// A slot for `source`, unless it already holds `limit`.
    fn enter(&self, source: IpAddr) -> Option<Slot> {
        let mut counts = self.counts.lock().unwrap_or_else(|e| e.into_inner());
        let count = counts.entry(source).or_default();
        if *count >= self.limit {
            return None;
        }
        *count += 1;
        Some(Slot {
            source,
            counts: self.counts.clone(),
        })
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut counts = self.counts.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(count) = counts.get_mut(&self.source) {
            *count = count.saturating_sub(1);
            if *count == 0 {
                // Sources with nothing in progress are forgotten: the map stays small.
                counts.remove(&self.source);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_source_holds_at_most_its_limit_and_is_forgotten_when_done() {
        let per_address = PerAddress::new(2);
        let (a, b) = (IpAddr::from([10, 0, 0, 1]), IpAddr::from([10, 0, 0, 2]));
        let first = per_address.enter(a).unwrap();
        let _second = per_address.enter(a).unwrap();
        assert!(per_address.enter(a).is_none());
        let _other = per_address.enter(b).unwrap();
        drop(first);
        let _again = per_address.enter(a).unwrap();
        drop(_again);
        drop(_second);
        drop(_other);
        assert!(per_address.counts.lock().unwrap().is_empty());
    }
}
