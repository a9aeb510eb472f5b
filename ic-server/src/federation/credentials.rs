//! Records a player presents to meet a trust requirement, verified offline: this community's
//! against its own keys and revocations, another's against the key chain its document gives.

use base64::Engine as _;
use scr::payload::Payload;
use scr::{KeyChain, PlayerContext, PlayerKey, Record, RevocationTable, Verified, Verifier};
use serde::Deserialize;
use utoipa::ToSchema;

use super::communities::{CommunityError, RemoteCommunities};
use super::requirement::{Credential, CredentialRating};
use crate::store::{Store, StoreError};

/// Most records one request may present.
pub const MAX_CREDENTIALS: usize = 8;

/// A record presented to meet a room's or a queue's requirement.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PresentedCredential {
    /// The record, base64.
    pub record: String,
    /// Base URL of the community that issued it; absent for this community's own records.
    #[serde(default)]
    pub url: Option<String>,
}

/// Why presented records were refused.
#[derive(Debug, thiserror::Error)]
pub enum CredentialError {
    /// More records than [`MAX_CREDENTIALS`].
    #[error("at most {MAX_CREDENTIALS} records may be presented, not {0}")]
    TooMany(usize),
    /// A record is not base64.
    #[error("credential {0}: the record is not standard base64")]
    Base64(usize),
    /// A record does not verify (or is another player's).
    #[error("credential {index}: {reason}")]
    Invalid {
        /// Position in the request, from 0.
        index: usize,
        /// The verifier's reason, starting with its code.
        reason: String,
    },
    /// The issuing community's keys could not be had.
    #[error("credential {index}: {error}")]
    Community {
        /// Position in the request, from 0.
        index: usize,
        /// Why.
        error: CommunityError,
    },
    /// This community's database could not be read.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl CredentialError {
    /// The API's error code.
    pub fn code(&self) -> &'static str {
        match self {
            Self::TooMany(_) => "too_many_credentials",
            Self::Base64(_) => "invalid_base64",
            Self::Invalid { .. } => "credential_invalid",
            Self::Community {
                error: CommunityError::BadUrl(_),
                ..
            } => "invalid_url",
            Self::Community { .. } => "community_unavailable",
            Self::Store(_) => "storage_unavailable",
        }
    }
}

/// This community, for its own records.
pub struct OwnCommunity<'a> {
    /// The database (the player's revocations and newest ratings).
    pub store: &'a dyn Store,
    /// Its key chain.
    pub chain: &'a KeyChain,
}

/// Verifies every record `player` presents at `now`; any that fails refuses the whole request,
/// naming it. Nothing is cached: each join verifies again.
pub async fn verify_credentials(
    remote: &RemoteCommunities,
    own: OwnCommunity<'_>,
    player: &PlayerKey,
    presented: &[PresentedCredential],
    now: i64,
) -> Result<Vec<Credential>, CredentialError> {
    if presented.len() > MAX_CREDENTIALS {
        return Err(CredentialError::TooMany(presented.len()));
    }
    let b64 = base64::engine::general_purpose::STANDARD;
    let mut credentials = Vec::with_capacity(presented.len());
    let mut own_verifier: Option<Verifier> = None;
    for (index, credential) in presented.iter().enumerate() {
        let bytes = b64
            .decode(&credential.record)
            .map_err(|_| CredentialError::Base64(index))?;
        let (verified, chain) = match &credential.url {
            None => {
                // The player's revocations and newest ratings are read once, however many of
                // this community's records they present.
                let verifier = if let Some(verifier) = own_verifier.as_ref() {
                    verifier
                } else {
                    let context = crate::presented::player_context(own.store, player).await?;
                    own_verifier.insert(Verifier::new(own.chain.clone()).with_player(context))
                };
                (verifier.verify(&bytes, now), own.chain.clone())
            }
            Some(url) => {
                let chain = remote
                    .chain(url)
                    .await
                    .map_err(|error| CredentialError::Community { index, error })?;
                let context = PlayerContext::new(RevocationTable::new(*player));
                let verified = Verifier::new(chain.clone())
                    .with_player(context)
                    .verify(&bytes, now);
                (verified, chain)
            }
        };
        let verified = verified.map_err(|error| CredentialError::Invalid {
            index,
            reason: error.to_string(),
        })?;
        credentials.push(credential_of(&verified, &chain));
    }
    Ok(credentials)
}

/// What a verified record proves: who signed it, along which keys, and any rating it shows.
fn credential_of(record: &Verified<Record>, chain: &KeyChain) -> Credential {
    let signer = record.community_key();
    let mut lineage = Vec::new();
    for epoch in chain.epochs() {
        lineage.push(epoch.key.public_key());
        if epoch.key.public_key() == signer {
            break;
        }
    }
    let rating = match record.payload() {
        Payload::Rating(rating) => Some(CredentialRating {
            module: rating.game_module.clone(),
            games: rating.games_played,
            rating: rating.rating,
        }),
        _ => None,
    };
    Credential { lineage, rating }
}
