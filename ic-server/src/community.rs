//! The community's identity at run time: its signing, recovery and relay keys and the verified
//! rotation chain from its first signing key to the current one.

use std::sync::{Arc, RwLock};

use scr::payload::Payload;
use scr::{CommunityKey, KeyChain, KeyPair, Record, RecoveryKey};

/// Why the stored keys and rotations do not fit together.
#[derive(Debug, thiserror::Error)]
pub enum CommunityError {
    /// A stored rotation does not decode or the chain does not verify.
    #[error("stored key rotations do not form a valid chain: {0}")]
    Chain(String),
    /// The signing key on disk is no key of the stored rotation chain.
    #[error(
        "the signing key on disk ({on_disk}) is not a key of this community's rotation chain \
         (which ends at {chain_end}): the data directory and the database belong to different \
         communities"
    )]
    KeyMismatch {
        /// Key file's public key.
        on_disk: CommunityKey,
        /// The chain's current key.
        chain_end: CommunityKey,
    },
}

/// This process's signing key with the community's verified key chain: replaced as a whole
/// when the community rotates its key, so readers never see a key without its chain.
///
/// Several processes share one database: after `keys rotate` on one host the chain moves on
/// before the new key file reaches the others. Such a process holds a superseded key: it
/// still verifies with the whole chain, but refuses to sign until it has the new key.
#[derive(Debug, Clone)]
pub struct SigningState {
    held: KeyPair,
    /// Verified chain from the first signing key to the community's current one.
    pub chain: KeyChain,
    /// The rotation records, oldest first.
    pub rotations: Vec<Vec<u8>>,
}

/// Why a process may not sign: the community rotated past the key it holds.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "this process holds signing key {held}, but the community rotated to {current} \
     (rotation {rotation}); copy keys/signing.key from the host that rotated into this \
     process's data directory: it is picked up within storage.key_refresh_secs"
)]
pub struct Superseded {
    /// The key this process holds.
    pub held: CommunityKey,
    /// The community's current key.
    pub current: CommunityKey,
    /// The number of the newest rotation.
    pub rotation: usize,
}

impl SigningState {
    /// Checks that `rotations` form a chain from the first signing key that contains
    /// `signing` (as its end, or as an earlier key that the community has rotated away from).
    pub fn new(
        signing: KeyPair,
        recovery: RecoveryKey,
        rotations: Vec<Vec<u8>>,
    ) -> Result<Self, CommunityError> {
        let held = CommunityKey::from(signing.public_key());
        let first = match rotations.first() {
            Some(bytes) => match Record::decode(bytes).map(|r| r.payload().clone()) {
                Ok(Payload::KeyRotation(rotation)) => rotation.old_key,
                Ok(_) => return Err(CommunityError::Chain("not a key rotation".into())),
                Err(error) => return Err(CommunityError::Chain(error.to_string())),
            },
            None => held,
        };
        let chain =
            KeyChain::from_rotations(first, Some(recovery), rotations.iter().map(Vec::as_slice))
                .map_err(|error| CommunityError::Chain(error.to_string()))?;
        if chain.epoch_of(&held.public_key()).is_none() {
            return Err(CommunityError::KeyMismatch {
                on_disk: held,
                chain_end: chain.current(),
            });
        }
        Ok(Self {
            held: signing,
            chain,
            rotations,
        })
    }

    /// The community's current signing key (what players verify new records against).
    pub fn signing_key(&self) -> CommunityKey {
        self.chain.current()
    }

    /// The key this process holds, current or not.
    pub fn held(&self) -> &KeyPair {
        &self.held
    }

    /// The key to sign with, unless the community has rotated past the key this process holds.
    pub fn issuer(&self) -> Result<&KeyPair, Superseded> {
        let held = CommunityKey::from(self.held.public_key());
        if held == self.chain.current() {
            Ok(&self.held)
        } else {
            Err(Superseded {
                held,
                current: self.chain.current(),
                rotation: self.rotations.len(),
            })
        }
    }
}

/// Keys and chain of this community. The signing state changes while the server runs when the
/// operator rotates the key; everything else is fixed for the process.
#[derive(Debug)]
pub struct Community {
    /// Display name.
    pub name: String,
    /// Public URL.
    pub url: String,
    /// Public half of the offline recovery key.
    pub recovery: RecoveryKey,
    /// Signs this server's certified match results.
    pub relay: KeyPair,
    signing: RwLock<Arc<SigningState>>,
}

impl Community {
    /// Checks that `rotations` lead from the first signing key to `signing`.
    pub fn new(
        name: String,
        url: String,
        signing: KeyPair,
        recovery: RecoveryKey,
        relay: KeyPair,
        rotations: Vec<Vec<u8>>,
    ) -> Result<Self, CommunityError> {
        let state = SigningState::new(signing, recovery, rotations)?;
        Ok(Self {
            name,
            url,
            recovery,
            relay,
            signing: RwLock::new(Arc::new(state)),
        })
    }

    /// The current signing key, chain and rotations (a snapshot: one operation uses one key).
    pub fn current(&self) -> Arc<SigningState> {
        self.signing
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .clone()
    }

    /// The community's current signing key.
    pub fn signing_key(&self) -> CommunityKey {
        self.current().signing_key()
    }

    /// The key to sign with now, unless the community rotated past the key this process holds.
    pub fn issuer(&self) -> Result<KeyPair, Superseded> {
        self.current().issuer().cloned()
    }

    /// Switches to `signing` after a rotation, once `rotations` are checked to lead to it.
    pub fn adopt(&self, signing: KeyPair, rotations: Vec<Vec<u8>>) -> Result<(), CommunityError> {
        let state = Arc::new(SigningState::new(signing, self.recovery, rotations)?);
        *self
            .signing
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner()) = state;
        Ok(())
    }
}
