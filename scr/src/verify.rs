//! Offline verification of records against a community's trust anchor, one by one or in batches.
//! Only this module constructs `Verified<T>`, so code that takes one knows the checks ran.

use std::collections::BTreeMap;
use std::ops::Deref;

use rand_core::{CryptoRng, RngCore};

use crate::envelope::RecordView;
use crate::error::DecodeError;
use crate::keys::{CommunityKey, PlayerKey, PublicKey, RecoveryKey};
use crate::payload::Payload;
use crate::record::Record;
use crate::record_type::RecordType;
use crate::revocation::RevocationTable;
use crate::rotation::{ChainError, KeyChain};
use crate::signature::{BatchVerifier, SignatureError, VerifyingKey};

/// A value that passed verification. Only the verifier constructs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified<T>(T);

impl<T> Verified<T> {
    pub(crate) fn new(value: T) -> Self {
        Self(value)
    }

    /// The verified value, leaving the verified wrapper.
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T> Deref for Verified<T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.0
    }
}

/// Why a record is not valid.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VerifyError {
    /// The bytes are not a well-formed record (malformed, unsupported version, unknown type).
    #[error(transparent)]
    Decode(#[from] DecodeError),
    /// The record is signed by a key that is not in this community's chain.
    #[error("wrong_community: signed by {0}, which is not a key of this community")]
    WrongCommunity(PublicKey),
    /// The signing key was retired and this record is past its grace or issued after retirement.
    #[error(
        "key_outside_grace: key {key} was retired at {effective_at} with grace until {grace_until}"
    )]
    KeyOutsideGrace {
        /// The retired key.
        key: PublicKey,
        /// When it was retired.
        effective_at: i64,
        /// End of its grace.
        grace_until: i64,
    },
    /// The record expired (`expires_at <= now`).
    #[error("expired: expired at {expires_at}, now is {now}")]
    Expired {
        /// The record's expiry.
        expires_at: i64,
        /// The time checked against.
        now: i64,
    },
    /// The record is about another player than the one presenting it.
    #[error("identity_mismatch: record is for {found}, expected {expected}")]
    IdentityMismatch {
        /// The expected player.
        expected: PlayerKey,
        /// The record's player.
        found: PlayerKey,
    },
    /// The record's sequence is below the revocation minimum for its type.
    #[error("revoked: sequence {sequence} is below the minimum valid {min_valid}")]
    Revoked {
        /// The record's sequence.
        sequence: u64,
        /// The minimum valid sequence.
        min_valid: u64,
    },
    /// A rating record older than the newest rating the community issued to the player.
    #[error("stale: rating sequence {sequence} is older than the newest known {newest}")]
    Stale {
        /// The record's sequence.
        sequence: u64,
        /// The newest rating sequence issued.
        newest: u64,
    },
    /// The signature does not verify.
    #[error("bad_signature: {0}")]
    BadSignature(SignatureError),
}

impl VerifyError {
    /// The snake_case reason code tools print first.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Decode(error) => error.code(),
            Self::WrongCommunity(_) => "wrong_community",
            Self::KeyOutsideGrace { .. } => "key_outside_grace",
            Self::Expired { .. } => "expired",
            Self::IdentityMismatch { .. } => "identity_mismatch",
            Self::Revoked { .. } => "revoked",
            Self::Stale { .. } => "stale",
            Self::BadSignature(_) => "bad_signature",
        }
    }
}

/// A batch failed: the first failing record in input order and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("record {index}: {error}")]
pub struct BatchError {
    /// Index of the failing record in the input.
    pub index: usize,
    /// Why it failed.
    pub error: VerifyError,
}

/// What the verifier knows about the player whose records it checks.
#[derive(Debug, Clone)]
pub struct PlayerContext {
    revocations: RevocationTable,
    // Newest rating sequence issued per game module; ratings are per module, so is staleness.
    newest_ratings: BTreeMap<String, u64>,
}

impl PlayerContext {
    /// The player's key and revocation table.
    pub fn new(revocations: RevocationTable) -> Self {
        Self {
            revocations,
            newest_ratings: BTreeMap::new(),
        }
    }

    /// The newest rating sequence the community issued to this player in `game_module`
    /// (issuer side only): older rating records of that module are then `Stale`.
    pub fn with_newest_rating(mut self, game_module: &str, sequence: u64) -> Self {
        self.newest_ratings.insert(game_module.to_owned(), sequence);
        self
    }

    /// The player.
    pub fn player(&self) -> PlayerKey {
        self.revocations.player()
    }
}

/// Verifies records of one community: its key chain, and optionally one player's context.
#[derive(Debug, Clone)]
pub struct Verifier {
    chain: KeyChain,
    player: Option<PlayerContext>,
}

impl Verifier {
    /// A verifier trusting `chain`, checking records of any player.
    pub fn new(chain: KeyChain) -> Self {
        Self {
            chain,
            player: None,
        }
    }

    /// A verifier for a pinned key with no rotations and no recovery key.
    pub fn for_key(key: CommunityKey) -> Result<Self, ChainError> {
        Ok(Self::new(KeyChain::new(key, None)?))
    }

    /// A verifier for a pinned signing key and recovery key with no rotations.
    pub fn for_keys(key: CommunityKey, recovery: RecoveryKey) -> Result<Self, ChainError> {
        Ok(Self::new(KeyChain::new(key, Some(recovery))?))
    }

    /// Restricts verification to one player's records and applies that player's revocations
    /// (and newest rating sequence, if given).
    pub fn with_player(mut self, player: PlayerContext) -> Self {
        self.player = Some(player);
        self
    }

    /// The trusted key chain.
    pub fn chain(&self) -> &KeyChain {
        &self.chain
    }

    /// The player context, if any.
    pub fn player(&self) -> Option<&PlayerContext> {
        self.player.as_ref()
    }

    /// Verifies one record at time `now` (Unix seconds).
    ///
    /// The checks run cheapest first, and the first failing one is reported: layout, payload,
    /// signer in chain, signer's validity window, expiry, identity, revocation, staleness,
    /// signature.
    pub fn verify(&self, bytes: &[u8], now: i64) -> Result<Verified<Record>, VerifyError> {
        let (view, record, key) = self.check_without_signature(bytes, now)?;
        key.verify(view.signed_bytes(), &view.signature())
            .map_err(VerifyError::BadSignature)?;
        Ok(Verified::new(record))
    }

    /// Verifies many records at `now` with one batched signature check.
    ///
    /// The outcome equals verifying each record in order with [`Self::verify`] and stopping at
    /// the first failure: on failure the error names that record's index and reason.
    /// `rng` must be unpredictable to whoever made the records (the OS generator outside tests).
    pub fn verify_batch<R: RngCore + CryptoRng>(
        &self,
        records: &[&[u8]],
        now: i64,
        rng: &mut R,
    ) -> Result<Vec<Verified<Record>>, BatchError> {
        // Collecting stops at the first error in input order, which is exactly where checking
        // one by one would have stopped; each per-record result already equals `verify`.
        self.verify_each(records, now, rng)
            .into_iter()
            .enumerate()
            .map(|(index, result)| result.map_err(|error| BatchError { index, error }))
            .collect()
    }

    /// Verifies every record at `now` and reports each one's own outcome, with one batched
    /// signature check for all records that pass the cheap checks. Each result equals what
    /// [`Self::verify`] returns for that record alone.
    pub fn verify_each<R: RngCore + CryptoRng>(
        &self,
        records: &[&[u8]],
        now: i64,
        rng: &mut R,
    ) -> Vec<Result<Verified<Record>, VerifyError>> {
        let mut results: Vec<Option<Result<Verified<Record>, VerifyError>>> =
            records.iter().map(|_| None).collect();
        let mut pending = Vec::with_capacity(records.len());
        let mut batch = BatchVerifier::new();
        for (index, bytes) in records.iter().enumerate() {
            match self.check_without_signature(bytes, now) {
                Ok((view, record, key)) => {
                    match batch.queue(&key, view.signed_bytes(), &view.signature()) {
                        Ok(()) => pending.push((index, view, record, key)),
                        Err(error) => results[index] = Some(Err(VerifyError::BadSignature(error))),
                    }
                }
                Err(error) => results[index] = Some(Err(error)),
            }
        }
        let all_good = batch.verify(rng).is_ok();
        for (index, view, record, key) in pending {
            let outcome = if all_good {
                Ok(Verified::new(record))
            } else {
                key.verify(view.signed_bytes(), &view.signature())
                    .map(|()| Verified::new(record))
                    .map_err(VerifyError::BadSignature)
            };
            results[index] = Some(outcome);
        }
        results
            .into_iter()
            .map(|result| {
                result.unwrap_or(Err(VerifyError::BadSignature(SignatureError::Mismatch)))
            })
            .collect()
    }

    /// Every check except the signature; returns the key that must have signed.
    fn check_without_signature<'b>(
        &self,
        bytes: &'b [u8],
        now: i64,
    ) -> Result<(RecordView<'b>, Record, VerifyingKey), VerifyError> {
        let view = RecordView::parse(bytes)?;
        let record = Record::from_view(&view)?;
        let signer = view.community_key();
        let key = self.signer_key(&view, &record, &signer, now)?;
        if let Some(expires_at) = view.expires_at() {
            if expires_at <= now {
                return Err(VerifyError::Expired { expires_at, now });
            }
        }
        if let Some(player) = &self.player {
            check_player(player, &view, &record)?;
        }
        Ok((view, record, key))
    }

    fn signer_key(
        &self,
        view: &RecordView<'_>,
        record: &Record,
        signer: &PublicKey,
        now: i64,
    ) -> Result<VerifyingKey, VerifyError> {
        // A rotation record may be signed by the recovery key, which signs nothing else.
        if let Payload::KeyRotation(_) = record.payload() {
            if let Some(recovery) = self.chain.recovery_verifying_key() {
                if recovery.public_key() == *signer {
                    return Ok(*recovery);
                }
            }
        }
        let epoch = self
            .chain
            .epoch_of(signer)
            .ok_or(VerifyError::WrongCommunity(*signer))?;
        epoch
            .check(view.issued_at(), now)
            .map_err(|retired| VerifyError::KeyOutsideGrace {
                key: *signer,
                effective_at: retired.effective_at,
                grace_until: retired.grace_until,
            })?;
        Ok(epoch.key)
    }
}

/// Identity, revocation and staleness against what is known about the player.
fn check_player(
    player: &PlayerContext,
    view: &RecordView<'_>,
    record: &Record,
) -> Result<(), VerifyError> {
    let record_type = view.record_type();
    if record_type == RecordType::KeyRotation {
        return Ok(());
    }
    let found = view.player_key();
    if found != player.player() {
        return Err(VerifyError::IdentityMismatch {
            expected: player.player(),
            found,
        });
    }
    let sequence = view.sequence();
    let min_valid = player.revocations.min_valid(record_type);
    if sequence < min_valid {
        return Err(VerifyError::Revoked {
            sequence,
            min_valid,
        });
    }
    if let Payload::Rating(rating) = record.payload() {
        if let Some(&newest) = player.newest_ratings.get(&rating.game_module) {
            if sequence < newest {
                return Err(VerifyError::Stale { sequence, newest });
            }
        }
    }
    Ok(())
}
