//! The community's key history: the pinned signing key and the verified rotations after it.
//! Answers "may this key sign a record issued at T, checked at time now?" for the verifier.

use crate::envelope::RecordView;
use crate::error::DecodeError;
use crate::keys::{CommunityKey, PublicKey, RecoveryKey};
use crate::payload::{Payload, RotationSigner};
use crate::record_type::RecordType;
use crate::signature::{SignatureError, VerifyingKey};

/// Why a rotation record could not be added to the chain.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChainError {
    /// The pinned or recovery key is not a usable Ed25519 key.
    #[error("weak_key: {0} is not a valid Ed25519 public key")]
    WeakKey(PublicKey),
    /// The bytes are not a well-formed record.
    #[error("{0}")]
    Decode(#[from] DecodeError),
    /// A record of another type was given as a rotation.
    #[error("not_a_rotation: record type {0}")]
    NotARotation(RecordType),
    /// The rotation does not start from the chain's current key.
    #[error("broken_chain: rotation retires {found}, but the current key is {current}")]
    Broken {
        /// The chain's current key.
        current: CommunityKey,
        /// The key the rotation retires.
        found: CommunityKey,
    },
    /// Rotation numbers must follow one another without gaps or repeats.
    #[error("broken_chain: expected rotation number {expected}, found {found}")]
    OutOfOrder {
        /// The next number the chain expects.
        expected: u64,
        /// The record's number.
        found: u64,
    },
    /// A rotation takes effect before the one it follows.
    #[error("broken_chain: rotation {sequence} takes effect before the rotation it follows")]
    EffectiveAtBackwards {
        /// The rotation's number.
        sequence: u64,
    },
    /// The new key was already used earlier in the chain.
    #[error("broken_chain: rotation {sequence} brings back a key the chain already used")]
    KeyReused {
        /// The rotation's number.
        sequence: u64,
    },
    /// An emergency rotation signed by something other than the pinned recovery key.
    #[error("wrong_signer: emergency rotation {sequence} is not signed by the recovery key")]
    WrongSigner {
        /// The rotation's number.
        sequence: u64,
    },
    /// An emergency rotation, but no recovery key is known.
    #[error(
        "no_recovery_key: emergency rotation {sequence} cannot be checked without the recovery key"
    )]
    NoRecoveryKey {
        /// The rotation's number.
        sequence: u64,
    },
    /// The rotation's signature does not verify.
    #[error("bad_signature: rotation {sequence}: {source}")]
    BadSignature {
        /// The rotation's number.
        sequence: u64,
        /// What the signature check said.
        source: SignatureError,
    },
    /// None of the rotations connects to the pinned key.
    #[error("broken_chain: no rotation starts from the pinned key")]
    NotConnected,
}

impl ChainError {
    /// The snake_case reason code.
    pub fn code(&self) -> &'static str {
        match self {
            Self::WeakKey(_) => "weak_key",
            Self::Decode(error) => error.code(),
            Self::NotARotation(_) => "not_a_rotation",
            Self::Broken { .. }
            | Self::OutOfOrder { .. }
            | Self::EffectiveAtBackwards { .. }
            | Self::KeyReused { .. }
            | Self::NotConnected => "broken_chain",
            Self::WrongSigner { .. } => "wrong_signer",
            Self::NoRecoveryKey { .. } => "no_recovery_key",
            Self::BadSignature { .. } => "bad_signature",
        }
    }
}

/// When and how a key stopped being the current one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Retirement {
    /// Records issued after this second by the retired key are invalid.
    pub effective_at: i64,
    /// Last second at which the retired key's records are accepted.
    pub grace_until: i64,
    /// Whether the recovery key retired it (compromise): then there is no grace.
    pub emergency: bool,
}

/// One signing key of the community and, unless it is current, its retirement.
#[derive(Debug, Clone, Copy)]
pub struct KeyEpoch {
    /// The prepared key.
    pub key: VerifyingKey,
    /// `None` for the current key.
    pub retired: Option<Retirement>,
}

impl KeyEpoch {
    /// Whether a record issued at `issued_at` by this key is acceptable at `now`.
    ///
    /// A retired key's records must be issued no later than the rotation's `effective_at` and
    /// checked no later than `grace_until` (both inclusive).
    pub fn accepts(&self, issued_at: i64, now: i64) -> bool {
        self.check(issued_at, now).is_ok()
    }

    /// Like [`Self::accepts`], returning the retirement that refuses the record.
    pub fn check(&self, issued_at: i64, now: i64) -> Result<(), Retirement> {
        match self.retired {
            Some(retired) if issued_at > retired.effective_at || now > retired.grace_until => {
                Err(retired)
            }
            _ => Ok(()),
        }
    }
}

/// The verified history of one community's signing keys, from the key the holder pinned.
#[derive(Debug, Clone)]
pub struct KeyChain {
    pinned: CommunityKey,
    recovery: Option<VerifyingKey>,
    epochs: Vec<KeyEpoch>,
    last_rotation: Option<(u64, i64)>,
}

impl KeyChain {
    /// A chain that starts (and, until rotations are applied, ends) at the pinned key.
    pub fn new(pinned: CommunityKey, recovery: Option<RecoveryKey>) -> Result<Self, ChainError> {
        let key = VerifyingKey::new(pinned.public_key())
            .map_err(|_| ChainError::WeakKey(pinned.public_key()))?;
        let recovery = recovery
            .map(|rk| {
                VerifyingKey::new(rk.public_key()).map_err(|_| ChainError::WeakKey(rk.public_key()))
            })
            .transpose()?;
        Ok(Self {
            pinned,
            recovery,
            epochs: vec![KeyEpoch { key, retired: None }],
            last_rotation: None,
        })
    }

    /// Builds the chain from the pinned key through a community's published rotations.
    ///
    /// `rotations` is the community's whole list in rotation order; rotations before the one that
    /// retires the pinned key are history the holder never trusted and are skipped. Every rotation
    /// from there on must verify and follow the previous one.
    pub fn from_rotations<'r>(
        pinned: CommunityKey,
        recovery: Option<RecoveryKey>,
        rotations: impl IntoIterator<Item = &'r [u8]>,
    ) -> Result<Self, ChainError> {
        let mut chain = Self::new(pinned, recovery)?;
        let mut pending: Vec<&[u8]> = rotations.into_iter().collect();
        // Skip the history before the pin: everything up to and including the rotation that
        // introduced the pinned key, if the list contains it.
        // The whole list must be in rotation order, including the history that is skipped:
        // otherwise a later rotation could hide before the pin and be skipped unchecked.
        let mut start = None;
        let mut previous_sequence = None;
        for (index, bytes) in pending.iter().enumerate() {
            let view = RecordView::parse(bytes)?;
            if let Some(previous) = previous_sequence {
                let expected = u64::saturating_add(previous, 1);
                if view.sequence() != expected {
                    return Err(ChainError::OutOfOrder {
                        expected,
                        found: view.sequence(),
                    });
                }
            }
            previous_sequence = Some(view.sequence());
            if let Payload::KeyRotation(rotation) = view.payload()? {
                if rotation.old_key == pinned {
                    start = Some(index);
                    break;
                }
                if rotation.new_key == pinned {
                    start = Some(index + 1);
                }
            }
        }
        let start = match start {
            Some(start) => start,
            None if pending.is_empty() => 0,
            None => return Err(ChainError::NotConnected),
        };
        let walk = pending.split_off(start);
        for bytes in walk {
            chain.apply_rotation(bytes)?;
        }
        Ok(chain)
    }

    /// Verifies one rotation against the chain's current key and appends it.
    pub fn apply_rotation(&mut self, bytes: &[u8]) -> Result<(), ChainError> {
        let view = RecordView::parse(bytes)?;
        let payload = view.payload()?;
        let Payload::KeyRotation(rotation) = payload else {
            return Err(ChainError::NotARotation(view.record_type()));
        };
        let sequence = view.sequence();
        let current = self.current();
        if rotation.old_key != current {
            return Err(ChainError::Broken {
                current,
                found: rotation.old_key,
            });
        }
        if let Some((last_sequence, last_effective)) = self.last_rotation {
            let expected = last_sequence.saturating_add(1);
            if sequence != expected {
                return Err(ChainError::OutOfOrder {
                    expected,
                    found: sequence,
                });
            }
            if rotation.effective_at < last_effective {
                return Err(ChainError::EffectiveAtBackwards { sequence });
            }
        }
        if self
            .epochs
            .iter()
            .any(|epoch| epoch.key.public_key() == rotation.new_key.public_key())
        {
            return Err(ChainError::KeyReused { sequence });
        }
        let signer = match rotation.signed_by {
            RotationSigner::SigningKey => self.current_epoch().key,
            RotationSigner::RecoveryKey => {
                let recovery = self
                    .recovery
                    .ok_or(ChainError::NoRecoveryKey { sequence })?;
                if view.community_key() != recovery.public_key() {
                    return Err(ChainError::WrongSigner { sequence });
                }
                recovery
            }
        };
        signer
            .verify(view.signed_bytes(), &view.signature())
            .map_err(|source| ChainError::BadSignature { sequence, source })?;
        let new_key = VerifyingKey::new(rotation.new_key.public_key())
            .map_err(|_| ChainError::WeakKey(rotation.new_key.public_key()))?;

        let retired = Retirement {
            effective_at: rotation.effective_at,
            grace_until: rotation.grace_until,
            emergency: rotation.signed_by == RotationSigner::RecoveryKey,
        };
        if let Some(last) = self.epochs.last_mut() {
            last.retired = Some(retired);
        }
        self.epochs.push(KeyEpoch {
            key: new_key,
            retired: None,
        });
        self.last_rotation = Some((sequence, rotation.effective_at));
        Ok(())
    }

    /// The key the holder pinned.
    pub fn pinned(&self) -> CommunityKey {
        self.pinned
    }

    /// The recovery key, if known.
    pub fn recovery(&self) -> Option<RecoveryKey> {
        self.recovery.map(|key| RecoveryKey::from(key.public_key()))
    }

    /// The key that signs new records now.
    pub fn current(&self) -> CommunityKey {
        CommunityKey::from(self.current_epoch().key.public_key())
    }

    /// Every key of the chain, oldest first.
    pub fn epochs(&self) -> &[KeyEpoch] {
        &self.epochs
    }

    /// The epoch of `key`, if the chain contains it.
    pub fn epoch_of(&self, key: &PublicKey) -> Option<&KeyEpoch> {
        // Newest first: the current key is by far the most common signer.
        self.epochs
            .iter()
            .rev()
            .find(|epoch| epoch.key.public_key() == *key)
    }

    /// The recovery key prepared for verification.
    pub(crate) fn recovery_verifying_key(&self) -> Option<&VerifyingKey> {
        self.recovery.as_ref()
    }

    fn current_epoch(&self) -> &KeyEpoch {
        // `epochs` starts with the pinned key and only grows.
        &self.epochs[self.epochs.len() - 1]
    }
}
