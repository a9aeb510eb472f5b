//! Fetching another community's document (`/.well-known/ic-community`) with a timeout and a
//! size cap, and building its key chain from a pinned key through the rotations it publishes.

use std::time::Duration;

use base64::Engine as _;
use scr::{CommunityKey, KeyChain, RecoveryKey};

use crate::error_chain::error_chain;

/// How long fetching a community document may take.
pub const FETCH_TIMEOUT: Duration = Duration::from_secs(5);
/// Largest document read (thousands of rotations fit; a hostile server cannot fill memory).
const MAX_DOCUMENT_BYTES: usize = 1 << 20;

/// The parts of another community's document its keys are checked with.
#[derive(Debug, Clone)]
pub struct RemoteDocument {
    /// The key it signs with now.
    pub signing_key: CommunityKey,
    /// Its recovery key.
    pub recovery_key: RecoveryKey,
    /// Its key rotation records, oldest first.
    pub rotations: Vec<Vec<u8>>,
}

impl RemoteDocument {
    /// The key the community started with: the one its first published rotation retired, or
    /// its signing key when it never rotated.
    pub fn first_key(&self) -> Result<CommunityKey, String> {
        let Some(first) = self.rotations.first() else {
            return Ok(self.signing_key);
        };
        let record = scr::Record::decode(first).map_err(|error| error.to_string())?;
        match record.payload() {
            scr::payload::Payload::KeyRotation(rotation) => Ok(rotation.old_key),
            _ => Err("a published rotation is not a key rotation record".into()),
        }
    }

    /// The chain from `pinned` through the published rotations; it must end at the signing key
    /// the document names.
    pub fn chain_from(
        &self,
        pinned: CommunityKey,
        recovery: Option<RecoveryKey>,
    ) -> Result<KeyChain, String> {
        let chain =
            KeyChain::from_rotations(pinned, recovery, self.rotations.iter().map(Vec::as_slice))
                .map_err(|error| error.to_string())?;
        if chain.current() != self.signing_key {
            return Err(format!(
                "its rotations from {pinned} lead to {}, not to its signing key {}",
                chain.current(),
                self.signing_key
            ));
        }
        Ok(chain)
    }
}

/// An HTTP client for community documents, with [`FETCH_TIMEOUT`].
pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(FETCH_TIMEOUT)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap_or_default()
}

/// GETs `url` and reads at most `max` bytes of a successful answer.
pub async fn get_bounded(http: &reqwest::Client, url: &str, max: usize) -> Result<Vec<u8>, String> {
    let mut response = http
        .get(url)
        .send()
        .await
        .and_then(reqwest::Response::error_for_status)
        .map_err(|error| error_chain(&error))?;
    let mut body = Vec::new();
    while let Some(chunk) = response
        .chunk()
        .await
        .map_err(|error| error_chain(&error))?
    {
        if body.len() + chunk.len() > max {
            return Err(format!("the answer is larger than {max} bytes"));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// Fetches and reads the document of the community at base URL `url`.
pub async fn fetch(http: &reqwest::Client, url: &str) -> Result<RemoteDocument, String> {
    #[derive(serde::Deserialize)]
    struct Raw {
        signing_key: CommunityKey,
        recovery_key: RecoveryKey,
        #[serde(default)]
        rotations: Vec<String>,
    }
    let url = url.trim_end_matches('/');
    let body = get_bounded(
        http,
        &format!("{url}/.well-known/ic-community"),
        MAX_DOCUMENT_BYTES,
    )
    .await?;
    let raw: Raw = serde_json::from_slice(&body)
        .map_err(|error| format!("not a community document: {error}"))?;
    let b64 = base64::engine::general_purpose::STANDARD;
    let rotations = raw
        .rotations
        .iter()
        .map(|text| b64.decode(text))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|error| format!("a rotation is not base64: {error}"))?;
    Ok(RemoteDocument {
        signing_key: raw.signing_key,
        recovery_key: raw.recovery_key,
        rotations,
    })
}
