//! Challenge-response authentication for every principal (players, relays, staff): prove the
//! key by signing a fresh challenge bound to this community; get a short-lived bearer token.

mod web;

pub use web::{LOGIN_LINK_SECS, SignedIn, csrf_token, issue_login_link, sign_in_url};

use std::sync::Arc;

use base64::Engine;
use rand::RngCore;
use scr::{CommunityKey, PublicKey};
use sha2::{Digest, Sha256};

use crate::community::Community;
use crate::store::{Role, Store, StoreError};

/// Domain separation prefix of the signed challenge message.
pub const AUTH_DOMAIN: &[u8] = b"ic-server/auth/v1";

/// Why authentication failed.
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    /// The key cannot verify anything (not a valid Ed25519 point).
    #[error("the key is not a valid Ed25519 public key")]
    WeakKey,
    /// The signature does not verify over the challenge message.
    #[error("the signature does not match the challenge")]
    BadSignature,
    /// Unknown, expired or already used challenge.
    #[error("the challenge is unknown, expired or already used")]
    InvalidChallenge,
    /// A login link for a key without a staff role that does not review by standing either.
    #[error(
        "{0} holds no staff role (admin, moderator or reviewer) and does not qualify to review; \
         the web sign-in is for staff"
    )]
    NotStaff(PublicKey),
    /// An unknown, expired or already used login link.
    #[error("this sign-in link is unknown, expired or already used; ask for a new one")]
    InvalidLoginLink,
    /// The database failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// An authenticated caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    /// The caller's key.
    pub key: PublicKey,
    /// Roles held (from config and the database).
    pub roles: Vec<Role>,
}

/// Whether a key may review by standing, without the reviewer role (the moderation
/// capability's eligibility rules): such a member may sign in to the web UI to review.
#[async_trait::async_trait]
pub trait ReviewerStanding: Send + Sync {
    /// True when `key` qualifies to review at `now` without a role.
    async fn reviews_by_standing(&self, key: &PublicKey, now: i64) -> bool;
}

/// Issues challenges and tokens and resolves tokens to principals.
pub struct Auth {
    store: Arc<dyn Store>,
    community: Arc<Community>,
    admins: Vec<PublicKey>,
    challenge_ttl: i64,
    token_ttl: i64,
    // Set once the moderation capability is built (it is built after this).
    standing: std::sync::OnceLock<Arc<dyn ReviewerStanding>>,
}

/// The bytes a principal signs to answer `challenge` for the community `community_key`.
pub fn challenge_message(challenge: &[u8; 32], community_key: &CommunityKey) -> Vec<u8> {
    let mut message = Vec::with_capacity(AUTH_DOMAIN.len() + 64);
    message.extend_from_slice(AUTH_DOMAIN);
    message.extend_from_slice(challenge);
    message.extend_from_slice(community_key.as_bytes());
    message
}

/// SHA-256 of a token: what the store keeps instead of the token.
fn token_hash(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}

impl Auth {
    /// Wires authentication for `community`: answers are bound to its current signing key.
    pub fn new(
        store: Arc<dyn Store>,
        community: Arc<Community>,
        admins: Vec<PublicKey>,
        challenge_ttl_secs: u64,
        token_ttl_secs: u64,
    ) -> Self {
        Self {
            store,
            community,
            admins,
            challenge_ttl: i64::try_from(challenge_ttl_secs).unwrap_or(60),
            token_ttl: i64::try_from(token_ttl_secs).unwrap_or(3600),
            standing: std::sync::OnceLock::new(),
        }
    }

    /// Lets members who qualify to review by standing sign in to the web UI (set once).
    pub fn set_reviewer_standing(&self, standing: Arc<dyn ReviewerStanding>) {
        let _ = self.standing.set(standing);
    }

    /// Whether `key` may use the staff pages without a role: it reviews by standing.
    pub async fn reviews_by_standing(&self, key: &PublicKey, now: i64) -> bool {
        match self.standing.get() {
            Some(standing) => standing.reviews_by_standing(key, now).await,
            None => false,
        }
    }

    /// A fresh single-use challenge for `key` and its expiry.
    pub async fn challenge(&self, key: &PublicKey, now: i64) -> Result<([u8; 32], i64), AuthError> {
        scr::signature::VerifyingKey::new(*key).map_err(|_| AuthError::WeakKey)?;
        let mut challenge = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut challenge);
        let expires_at = now + self.challenge_ttl;
        self.store
            .insert_challenge(&challenge, key, expires_at)
            .await?;
        Ok((challenge, expires_at))
    }

    /// Checks the answer to a challenge; on success returns a new token, its expiry and roles.
    pub async fn token(
        &self,
        key: &PublicKey,
        challenge: &[u8; 32],
        signature: &[u8; 64],
        now: i64,
    ) -> Result<(String, i64, Vec<Role>), AuthError> {
        let message = challenge_message(challenge, &self.community.signing_key());
        scr::signature::verify_signature(key, &message, signature)
            .map_err(|_| AuthError::BadSignature)?;
        if !self.store.take_challenge(challenge, key, now).await? {
            return Err(AuthError::InvalidChallenge);
        }
        let token = random_token();
        let expires_at = now + self.token_ttl;
        self.store
            .insert_token(&token_hash(&token), key, expires_at)
            .await?;
        let roles = self.roles(key).await?;
        Ok((token, expires_at, roles))
    }

    /// The principal behind a bearer token, if it is valid at `now`.
    pub async fn principal(&self, token: &str, now: i64) -> Result<Option<Principal>, AuthError> {
        let Some(key) = self.store.token_principal(&token_hash(token), now).await? else {
            return Ok(None);
        };
        let roles = self.roles(&key).await?;
        Ok(Some(Principal { key, roles }))
    }

    async fn roles(&self, key: &PublicKey) -> Result<Vec<Role>, AuthError> {
        roles_of(self.store.as_ref(), &self.admins, key).await
    }
}

/// The roles `key` holds: granted in the database, and admin when listed in `auth.admins`.
pub async fn roles_of(
    store: &dyn Store,
    admins: &[PublicKey],
    key: &PublicKey,
) -> Result<Vec<Role>, AuthError> {
    let mut roles = store.roles_of(key).await?;
    if admins.contains(key) && !roles.contains(&Role::Admin) {
        roles.push(Role::Admin);
    }
    roles.sort();
    Ok(roles)
}

/// A fresh random token: 32 bytes, URL-safe base64 without padding.
fn random_token() -> String {
    let mut raw = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut raw);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(raw)
}
