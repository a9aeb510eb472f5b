//! Other communities' key chains, as presented records need them: documents fetched on demand,
//! pinned on first use (per URL), rotations followed from the pin, cached for a while.
//!
//! Only documents are cached, never a verdict on a record: every join verifies again.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use scr::{CommunityKey, KeyChain, RecoveryKey};

use super::document::{self, RemoteDocument};

/// A failed fetch is not retried for a URL sooner than this: a player cannot make this server
/// fetch one URL more than once a second.
const RETRY_AFTER: Duration = Duration::from_secs(1);
/// Most community URLs remembered; pins are kept for the process's life, so a flood of made-up
/// URLs must not grow memory without bound.
pub const MAX_COMMUNITIES: usize = 1024;

/// Why another community's keys are not available.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CommunityError {
    /// The URL is not an http(s) base URL.
    #[error("{0:?} is not an http:// or https:// URL")]
    BadUrl(String),
    /// Its document could not be fetched or read.
    #[error("the community at {url} could not be reached or read: {reason}")]
    Unreachable {
        /// The community's URL.
        url: String,
        /// Why.
        reason: String,
    },
    /// Its keys no longer follow from the ones pinned at first use.
    #[error(
        "the community at {url} presents keys that do not follow from the ones pinned at first \
         use ({reason})"
    )]
    KeysChanged {
        /// The community's URL.
        url: String,
        /// Why.
        reason: String,
    },
    /// Too many communities are pinned already.
    #[error("this server follows too many communities already")]
    TooMany,
}

/// What is known of the community at one URL.
#[derive(Default)]
struct Known {
    pin: Option<(CommunityKey, RecoveryKey)>,
    chain: Option<(KeyChain, Instant)>,
    failed: Option<(String, Instant)>,
}

/// Other communities' key chains, by URL.
pub struct RemoteCommunities {
    http: reqwest::Client,
    /// Whether URLs on loopback, private and other non-public addresses are fetched.
    allow_private: bool,
    ttl: Duration,
    capacity: usize,
    known: Mutex<HashMap<String, Arc<tokio::sync::Mutex<Known>>>>,
}

impl RemoteCommunities {
    /// Chains are fetched again once they are `ttl` old; at most [`MAX_COMMUNITIES`] URLs.
    /// Players choose the URLs: only public addresses are fetched unless `allow_private`.
    pub fn new(ttl: Duration, allow_private: bool) -> Self {
        Self::with_capacity(ttl, MAX_COMMUNITIES, allow_private)
    }

    /// [`Self::new`] remembering at most `capacity` URLs.
    pub fn with_capacity(ttl: Duration, capacity: usize, allow_private: bool) -> Self {
        Self {
            http: if allow_private {
                document::client()
            } else {
                super::public_address::client()
            },
            allow_private,
            ttl,
            capacity,
            known: Mutex::new(HashMap::new()),
        }
    }

    /// The key chain of the community at base URL `url`: cached while fresh, otherwise fetched
    /// and checked against the keys pinned the first time this URL was used.
    pub async fn chain(&self, url: &str) -> Result<KeyChain, CommunityError> {
        if !crate::config::is_http_url(url) || url.len() > 2048 {
            return Err(CommunityError::BadUrl(url.chars().take(100).collect()));
        }
        let url = url.trim_end_matches('/').to_owned();
        if !self.allow_private
            && let Some(reason) = super::public_address::literal_not_public(&url)
        {
            // Refused before it takes a place among the known URLs.
            return Err(CommunityError::Unreachable {
                url,
                reason: format!(
                    "{reason}; this server fetches other communities only from public \
                     addresses ([federation] allow_private_addresses)"
                ),
            });
        }
        let entry = {
            let mut known = self.known.lock().unwrap_or_else(|e| e.into_inner());
            if !known.contains_key(&url) && known.len() >= self.capacity {
                // URLs that never gave a document (made up, or down) make room first: only
                // pins are worth keeping, so junk URLs cannot lock new communities out.
                let unpinned = known
                    .iter()
                    .find(|(_, entry)| entry.try_lock().is_ok_and(|entry| entry.pin.is_none()))
                    .map(|(url, _)| url.clone());
                match unpinned {
                    Some(stale) => {
                        known.remove(&stale);
                    }
                    None => return Err(CommunityError::TooMany),
                }
            }
            Arc::clone(known.entry(url.clone()).or_default())
        };
        // One fetch per URL at a time; others wait for its result.
        let mut entry = entry.lock().await;
        if let Some((chain, at)) = &entry.chain
            && at.elapsed() < self.ttl
        {
            return Ok(chain.clone());
        }
        if let Some((reason, at)) = &entry.failed
            && at.elapsed() < RETRY_AFTER
        {
            return Err(CommunityError::Unreachable {
                url,
                reason: reason.clone(),
            });
        }
        let fetched = document::fetch(&self.http, &url).await;
        let document = match fetched {
            Ok(document) => document,
            Err(reason) => {
                entry.failed = Some((reason.clone(), Instant::now()));
                return Err(CommunityError::Unreachable { url, reason });
            }
        };
        let chain =
            follow(&mut entry.pin, &document).map_err(|reason| CommunityError::KeysChanged {
                url: url.clone(),
                reason,
            })?;
        entry.chain = Some((chain.clone(), Instant::now()));
        entry.failed = None;
        Ok(chain)
    }
}

/// The chain `document` presents, from the pin (set now on first use: the community's first
/// key and its recovery key).
fn follow(
    pin: &mut Option<(CommunityKey, RecoveryKey)>,
    document: &RemoteDocument,
) -> Result<KeyChain, String> {
    let (pinned, recovery) = match pin {
        Some(pinned) => *pinned,
        None => (document.first_key()?, document.recovery_key),
    };
    if document.recovery_key != recovery {
        return Err(format!(
            "its recovery key is now {}, pinned {recovery}",
            document.recovery_key
        ));
    }
    let chain = document.chain_from(pinned, Some(recovery))?;
    *pin = Some((pinned, recovery));
    Ok(chain)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use scr::KeyPair;

    #[tokio::test]
    async fn urls_that_never_answered_make_room_for_new_ones() {
        let remote = RemoteCommunities::with_capacity(Duration::from_secs(60), 2, true);
        // Nothing listens on port 1: each fetch fails at once, and nothing is pinned.
        for host in ["127.0.0.1", "127.0.0.2", "127.0.0.3"] {
            let refused = remote.chain(&format!("http://{host}:1")).await.unwrap_err();
            assert!(
                matches!(refused, CommunityError::Unreachable { .. }),
                "{refused}"
            );
        }
        assert_eq!(remote.known.lock().unwrap().len(), 2);
    }

    #[tokio::test]
    async fn by_default_a_local_url_is_refused_without_a_connection_or_a_place() {
        let remote = RemoteCommunities::new(Duration::from_secs(60), false);
        for url in ["http://127.0.0.1:1", "http://[::1]:1", "http://localhost:1"] {
            let refused = remote.chain(url).await.unwrap_err().to_string();
            assert!(refused.contains("public address"), "{url}: {refused}");
        }
        // Only the name took a place: an address is refused before it is remembered.
        assert_eq!(remote.known.lock().unwrap().len(), 1);
    }

    fn document(signing: &KeyPair, recovery: &KeyPair) -> RemoteDocument {
        RemoteDocument {
            signing_key: CommunityKey::from(signing.public_key()),
            recovery_key: RecoveryKey::from(recovery.public_key()),
            rotations: Vec::new(),
        }
    }

    /// The rotation record number `sequence` from `old` to `new`, signed by `old`.
    fn rotation(old: &KeyPair, new: &KeyPair, sequence: u64) -> Vec<u8> {
        use scr::payload::{KeyRotationPayload, Payload, RotationReason, RotationSigner};
        scr::RecordBuilder::new(Payload::KeyRotation(KeyRotationPayload {
            old_key: old.public_key().into(),
            new_key: new.public_key().into(),
            signed_by: RotationSigner::SigningKey,
            reason: RotationReason::Scheduled,
            effective_at: 1_000 * sequence as i64,
            grace_until: 1_000 * sequence as i64 + 500,
        }))
        .sequence(sequence)
        .issued_at(1_000 * sequence as i64)
        .sign(old)
        .unwrap()
        .into_bytes()
    }

    #[test]
    fn a_rotated_community_is_pinned_at_its_first_key_and_followed_through_its_rotations() {
        let mut rng = rand::thread_rng();
        let keys: Vec<KeyPair> = (0..3).map(|_| KeyPair::generate(&mut rng)).collect();
        let recovery = KeyPair::generate(&mut rng);
        let mut once = document(&keys[1], &recovery);
        once.rotations = vec![rotation(&keys[0], &keys[1], 1)];
        let mut pin = None;
        let chain = follow(&mut pin, &once).unwrap();
        assert_eq!(pin.unwrap().0, CommunityKey::from(keys[0].public_key()));
        assert_eq!(chain.epochs().len(), 2);
        let mut twice = document(&keys[2], &recovery);
        twice.rotations = vec![once.rotations[0].clone(), rotation(&keys[1], &keys[2], 2)];
        let chain = follow(&mut pin, &twice).unwrap();
        assert_eq!(chain.current(), CommunityKey::from(keys[2].public_key()));
        // The same new key, reached from a key that is not the pinned one's.
        let impostor = KeyPair::generate(&mut rng);
        let mut unlinked = document(&keys[2], &recovery);
        unlinked.rotations = vec![rotation(&impostor, &keys[2], 1)];
        assert!(follow(&mut pin, &unlinked).is_err());
        assert!(follow(&mut pin, &document(&keys[2], &recovery)).is_err());
    }

    #[test]
    fn the_first_document_is_pinned_and_a_later_one_must_follow_from_it() {
        let mut rng = rand::thread_rng();
        let (first, recovery) = (KeyPair::generate(&mut rng), KeyPair::generate(&mut rng));
        let mut pin = None;
        let chain = follow(&mut pin, &document(&first, &recovery)).unwrap();
        assert_eq!(chain.current(), CommunityKey::from(first.public_key()));
        assert_eq!(pin.unwrap().0, CommunityKey::from(first.public_key()));
        // Another key without a rotation from the pinned one: refused, pin unchanged.
        let impostor = KeyPair::generate(&mut rng);
        assert!(follow(&mut pin, &document(&impostor, &recovery)).is_err());
        // The same signing key with another recovery key: refused.
        let other_recovery = KeyPair::generate(&mut rng);
        let refused = follow(&mut pin, &document(&first, &other_recovery)).unwrap_err();
        assert!(refused.contains("recovery key"), "{refused}");
        assert_eq!(pin.unwrap().0, CommunityKey::from(first.public_key()));
    }
}
