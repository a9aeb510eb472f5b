//! Community key rotation: voluntary (signed by the old signing key, 30 days of grace) and
//! emergency (signed by the offline recovery key, no grace); recovery from a rotation that was
//! interrupted between its two steps; and a running server following a rotation at once.

use scr::payload::{KeyRotationPayload, Payload, RotationReason, RotationSigner};
use scr::{KeyPair, Record, RecordBuilder, RecoveryKey};

use crate::data_dir::{DataDir, DataDirError, read_key_file};
use crate::store::{Store, StoreError};

/// Grace of a voluntary rotation: records by the old key stay valid this long.
pub const VOLUNTARY_GRACE_SECS: i64 = 30 * 86_400;

/// Why a rotation failed.
#[derive(Debug, thiserror::Error)]
pub enum RotationError {
    /// Key files.
    #[error(transparent)]
    DataDir(#[from] DataDirError),
    /// Database.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The rotation record could not be built.
    #[error("rotation record could not be built: {0}")]
    Encode(#[from] scr::EncodeError),
    /// The given recovery key is not this community's.
    #[error("the recovery key file does not match this community's recovery key")]
    WrongRecoveryKey,
}

/// Rotates to a fresh signing key; returns the rotation record.
///
/// Steps, each safe to interrupt: write the new key to `signing.key.new`; store the rotation
/// record; swap the key files. A server that starts between the last two steps finishes the swap
/// ([`finish_pending_rotation`]).
pub async fn rotate<R: rand_core::RngCore + rand_core::CryptoRng>(
    data: &DataDir,
    store: &dyn Store,
    emergency_recovery: Option<&KeyPair>,
    rng: &mut R,
    now: i64,
) -> Result<Record, RotationError> {
    let keys = data.keys()?;
    let new = KeyPair::generate(rng);
    let sequence = store.rotations().await?.len() as u64 + 1;
    let (signer, signed_by, reason, grace_until) = match emergency_recovery {
        None => (
            &keys.signing,
            RotationSigner::SigningKey,
            RotationReason::Scheduled,
            now + VOLUNTARY_GRACE_SECS,
        ),
        Some(recovery) => {
            if RecoveryKey::from(recovery.public_key()) != keys.recovery {
                return Err(RotationError::WrongRecoveryKey);
            }
            (
                recovery,
                RotationSigner::RecoveryKey,
                RotationReason::Compromise,
                now,
            )
        }
    };
    let record = RecordBuilder::new(Payload::KeyRotation(KeyRotationPayload {
        old_key: keys.signing.public_key().into(),
        new_key: new.public_key().into(),
        signed_by,
        reason,
        effective_at: now,
        grace_until,
    }))
    .sequence(sequence)
    .issued_at(now)
    .sign(signer)?;
    data.stage_signing_key(&new)?;
    store.add_rotation(sequence, record.as_bytes(), now).await?;
    data.commit_staged_signing_key(sequence)?;
    Ok(record)
}

/// If a rotation stored its record but did not swap the key files, finish it; a staged key
/// the database never recorded is discarded. Returns the signing key to use.
pub fn finish_pending_rotation(
    data: &DataDir,
    signing: &KeyPair,
    rotations: &[Vec<u8>],
) -> Result<KeyPair, DataDirError> {
    let staged = data.staged_signing_key_file();
    if !staged.exists() {
        return Ok(signing.clone());
    }
    let candidate = read_key_file(&staged)?;
    let last_new_key = rotations.last().and_then(|bytes| new_key_of(bytes));
    if last_new_key == Some(candidate.public_key())
        && candidate.public_key() != signing.public_key()
    {
        data.commit_staged_signing_key(rotations.len() as u64)?;
        return Ok(candidate);
    }
    let _ = std::fs::remove_file(&staged);
    Ok(signing.clone())
}

/// What following the stored rotations changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Followed {
    /// Nothing new.
    Unchanged,
    /// Now signing with the community's current key.
    Switched,
    /// The community rotated to a key this process does not have (yet): it verifies with the
    /// whole chain and refuses to sign.
    Superseded(crate::community::Superseded),
}

/// Brings a running server's keys up to date with rotations stored meanwhile (by the CLI on
/// this host, or by any process sharing the database). Reads only: the new key comes from the
/// key file (or the staged file, if the CLI has not swapped them yet) whose public key the
/// newest rotation names. Without that file the chain is still followed, and the process holds
/// a superseded key until the file arrives.
pub async fn follow_rotations(
    data: &DataDir,
    store: &dyn Store,
    community: &crate::community::Community,
) -> Result<Followed, FollowError> {
    let rotations = store.rotations().await?;
    let current = community.current();
    let moved = rotations.len() != current.rotations.len();
    if !moved && current.issuer().is_ok() {
        return Ok(Followed::Unchanged);
    }
    let Some(wanted) = rotations.last().and_then(|bytes| new_key_of(bytes)) else {
        return Ok(Followed::Unchanged);
    };
    for file in [data.signing_key_file(), data.staged_signing_key_file()] {
        if !file.exists() {
            continue;
        }
        let key = read_key_file(&file)?;
        if key.public_key() == wanted {
            community.adopt(key, rotations)?;
            return Ok(Followed::Switched);
        }
    }
    if !moved {
        return Ok(Followed::Unchanged);
    }
    community.adopt(current.held().clone(), rotations)?;
    match community.current().issuer() {
        Ok(_) => Ok(Followed::Switched),
        Err(superseded) => Ok(Followed::Superseded(superseded)),
    }
}

/// Why a running server could not follow a rotation.
#[derive(Debug, thiserror::Error)]
pub enum FollowError {
    /// Key files.
    #[error(transparent)]
    DataDir(#[from] DataDirError),
    /// Database.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The stored rotations do not lead to the key on disk.
    #[error(transparent)]
    Chain(#[from] crate::community::CommunityError),
}

fn new_key_of(rotation: &[u8]) -> Option<scr::PublicKey> {
    match Record::decode(rotation).ok()?.payload() {
        Payload::KeyRotation(rotation) => Some(rotation.new_key.public_key()),
        _ => None,
    }
}
