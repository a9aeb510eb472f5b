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
    /// The chain ends at another key than the signing key on disk.
    #[error(
        "the signing key on disk ({on_disk}) is not the end of the rotation chain ({chain_end})"
    )]
    KeyMismatch {
        /// Key file's public key.
        on_disk: CommunityKey,
        /// The chain's current key.
        chain_end: CommunityKey,
    },
}

/// The signing key with the verified chain that leads to it: replaced as a whole when the
/// community rotates its key, so readers never see a key without its chain.
#[derive(Debug, Clone)]
pub struct SigningState {
    /// Signs every record.
    pub signing: KeyPair,
    /// Verified chain from the first signing key to `signing`.
    pub chain: KeyChain,
    /// The rotation records, oldest first.
    pub rotations: Vec<Vec<u8>>,
}

impl SigningState {
    /// Checks that `rotations` lead from the first signing key to `signing`.
    pub fn new(
        signing: KeyPair,
        recovery: RecoveryKey,
        rotations: Vec<Vec<u8>>,
    ) -> Result<Self, CommunityError> {
        let current = CommunityKey::from(signing.public_key());
        let first = match rotations.first() {
            Some(bytes) => match Record::decode(bytes).map(|r| r.payload().clone()) {
                Ok(Payload::KeyRotation(rotation)) => rotation.old_key,
                Ok(_) => return Err(CommunityError::Chain("not a key rotation".into())),
                Err(error) => return Err(CommunityError::Chain(error.to_string())),
            },
            None => current,
        };
        let chain =
            KeyChain::from_rotations(first, Some(recovery), rotations.iter().map(Vec::as_slice))
                .map_err(|error| CommunityError::Chain(error.to_string()))?;
        if chain.current() != current {
            return Err(CommunityError::KeyMismatch {
                on_disk: current,
                chain_end: chain.current(),
            });
        }
        Ok(Self {
            signing,
            chain,
            rotations,
        })
    }

    /// The signing key's public half.
    pub fn signing_key(&self) -> CommunityKey {
        self.signing.public_key().into()
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

    /// The current signing key.
    pub fn signing_key(&self) -> CommunityKey {
        self.current().signing_key()
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
