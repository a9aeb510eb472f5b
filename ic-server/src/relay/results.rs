//! Where a certified result goes when a match ends: a `ResultSink`. In process it is the
//! ranking authority of the same server (otherwise a remote community, see `outbox`); the
//! records it issues go back to the players.

#[cfg(feature = "ranking")]
use std::sync::Arc;

use async_trait::async_trait;
use scr::PlayerKey;

#[cfg(feature = "ranking")]
use crate::authority::{Authority, AuthorityError};
#[cfg(feature = "ranking")]
use crate::clock::unix_now;

/// A record issued for one player of the match.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlayerRecord {
    /// Whose record.
    pub player_key: PlayerKey,
    /// The signed SCR bytes.
    pub bytes: Vec<u8>,
}

/// Why a result could not be delivered.
#[derive(Debug, thiserror::Error)]
pub enum ResultSinkError {
    /// The in-process ranking authority refused or failed.
    #[cfg(feature = "ranking")]
    #[error(transparent)]
    Authority(#[from] AuthorityError),
    /// The result could not be written to the outbox (nor delivered directly).
    #[error("result outbox: {0}")]
    Outbox(crate::store::StoreError),
    /// The remote community did not take the result now; unless it refused it, the outbox
    /// retries and the players pull their records later.
    #[error(transparent)]
    Remote(#[from] super::outbox::DeliveryError),
}

impl ResultSinkError {
    /// Outcome label for the relay's results metric: `queued` when the outbox retries,
    /// `refused` otherwise.
    pub fn outcome(&self) -> &'static str {
        match self {
            Self::Remote(super::outbox::DeliveryError::Unavailable(_)) => "queued",
            _ => "refused",
        }
    }
}

/// Takes certified results from the relay's matches.
#[async_trait]
pub trait ResultSink: Send + Sync {
    /// Hands over a signed CertifiedMatchResult; returns the records issued for its players
    /// (empty when the receiver issues none, for example for a remade match).
    async fn submit(&self, cmr: &[u8]) -> Result<Vec<PlayerRecord>, ResultSinkError>;
}

/// The ranking authority of this same server: results are ingested directly, exactly once
/// (the authority deduplicates on the match id).
#[cfg(feature = "ranking")]
pub struct AuthoritySink {
    authority: Arc<Authority>,
}

#[cfg(feature = "ranking")]
impl AuthoritySink {
    /// Delivers to `authority`.
    pub fn new(authority: Arc<Authority>) -> Self {
        Self { authority }
    }
}

#[cfg(feature = "ranking")]
#[async_trait]
impl ResultSink for AuthoritySink {
    async fn submit(&self, cmr: &[u8]) -> Result<Vec<PlayerRecord>, ResultSinkError> {
        let ingested = self.authority.ingest(cmr, unix_now()).await?;
        Ok(ingested
            .records
            .into_iter()
            .map(|record| PlayerRecord {
                player_key: record.player_key,
                bytes: record.bytes,
            })
            .collect())
    }
}
