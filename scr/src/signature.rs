//! Ed25519 signature checks shared by every signed format of the project (SCR, certified results).
//! Strict encodings plus the cofactored equation, so that batch and single verification agree.
//!
//! Why not `ed25519_dalek::VerifyingKey::verify_strict`: it uses the cofactorless equation, and a
//! randomized batch check cannot agree with that rule on signatures whose `R` carries a torsion
//! component. ZIP-215 (implemented by `ed25519-zebra`) fixes one rule for both paths, and its batch
//! verifier coalesces signatures made with the same key, which is the common case here (one
//! community key signs a whole wallet). On top of ZIP-215 we reject what `verify_strict` rejects:
//! non-canonical and small-order encodings of keys and of `R`. Non-canonical `s` is rejected by
//! ZIP-215 itself.

use std::sync::LazyLock;

use rand_core::{CryptoRng, RngCore};

use crate::keys::PublicKey;

/// Why a signature or a key did not pass.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    /// The public key is not a canonical encoding of a curve point, or is a small-order point.
    #[error("public key is not a valid, canonical, full-order Ed25519 point")]
    WeakKey,
    /// The signature's `R` or `s` is not canonically encoded, or `R` has small order.
    #[error("signature is not canonically encoded")]
    NonCanonical,
    /// The signature does not match the key and message.
    #[error("signature does not match")]
    Mismatch,
}

/// A public key checked once and prepared for repeated verification.
#[derive(Clone, Copy, Debug)]
pub struct VerifyingKey {
    key: PublicKey,
    inner: ed25519_zebra::VerificationKey,
}

impl VerifyingKey {
    /// Checks `key` (canonical, on the curve, not of small order) and prepares it.
    pub fn new(key: PublicKey) -> Result<Self, SignatureError> {
        if !is_strict_point_encoding(key.as_bytes()) {
            return Err(SignatureError::WeakKey);
        }
        let inner = ed25519_zebra::VerificationKey::try_from(*key.as_bytes())
            .map_err(|_| SignatureError::WeakKey)?;
        Ok(Self { key, inner })
    }

    /// The key this verifies for.
    pub fn public_key(&self) -> PublicKey {
        self.key
    }

    /// Verifies `signature` over `message`.
    pub fn verify(&self, message: &[u8], signature: &[u8; 64]) -> Result<(), SignatureError> {
        let signature = checked_signature(signature)?;
        self.inner
            .verify(&signature, message)
            .map_err(|_| SignatureError::Mismatch)
    }
}

/// Verifies `signature` over `message` with `key` in one call.
pub fn verify_signature(
    key: &PublicKey,
    message: &[u8],
    signature: &[u8; 64],
) -> Result<(), SignatureError> {
    VerifyingKey::new(*key)?.verify(message, signature)
}

/// Collects signatures and checks them all at once.
///
/// Accepts exactly when every queued signature would pass [`VerifyingKey::verify`] (up to the
/// 2^-128 chance of the random coefficients), and is much faster when many signatures share a key.
/// It does not tell which signature failed: the caller re-checks one by one for that.
#[derive(Default)]
pub struct BatchVerifier {
    inner: ed25519_zebra::batch::Verifier,
    queued: usize,
}

impl BatchVerifier {
    /// An empty batch.
    pub fn new() -> Self {
        Self::default()
    }

    /// Number of queued signatures.
    pub fn len(&self) -> usize {
        self.queued
    }

    /// Whether nothing is queued.
    pub fn is_empty(&self) -> bool {
        self.queued == 0
    }

    /// Queues one signature; encoding errors are reported now, mismatches by [`Self::verify`].
    pub fn queue(
        &mut self,
        key: &VerifyingKey,
        message: &[u8],
        signature: &[u8; 64],
    ) -> Result<(), SignatureError> {
        let signature = checked_signature(signature)?;
        let key_bytes = ed25519_zebra::VerificationKeyBytes::from(*key.key.as_bytes());
        self.inner.queue((key_bytes, signature, message));
        self.queued += 1;
        Ok(())
    }

    /// Checks every queued signature. An empty batch passes.
    ///
    /// `rng` draws the random coefficients; it must be unpredictable to whoever made the
    /// signatures (use the operating system's generator outside tests).
    pub fn verify<R: RngCore + CryptoRng>(self, rng: &mut R) -> Result<(), SignatureError> {
        if self.queued == 0 {
            return Ok(());
        }
        self.inner.verify(rng).map_err(|_| SignatureError::Mismatch)
    }
}

/// Rejects non-canonical or small-order `R` before the curve arithmetic.
fn checked_signature(bytes: &[u8; 64]) -> Result<ed25519_zebra::Signature, SignatureError> {
    let mut r = [0u8; 32];
    r.copy_from_slice(&bytes[..32]);
    if !is_strict_point_encoding(&r) {
        return Err(SignatureError::NonCanonical);
    }
    // ZIP-215 verification rejects s >= l itself; checking here too names the error precisely.
    let mut s = [0u8; 32];
    s.copy_from_slice(&bytes[32..]);
    if bool::from(curve25519_dalek::Scalar::from_canonical_bytes(s).is_none()) {
        return Err(SignatureError::NonCanonical);
    }
    Ok(ed25519_zebra::Signature::from_bytes(bytes))
}

/// The y coordinates (top bit cleared) of the eight small-order points.
static SMALL_ORDER_Y: LazyLock<Vec<[u8; 32]>> = LazyLock::new(|| {
    curve25519_dalek::constants::EIGHT_TORSION
        .iter()
        .map(|point| {
            let mut y = point.compress().to_bytes();
            y[31] &= 0x7f;
            y
        })
        .collect()
});

/// Whether `bytes` encodes y canonically (y < 2^255 - 19) and is not one of the small-order
/// points, whatever its sign bit. Whether the point is on the curve is checked on decompression.
fn is_strict_point_encoding(bytes: &[u8; 32]) -> bool {
    let mut y = *bytes;
    y[31] &= 0x7f;
    // y >= p exactly when y is 2^255 - 19 .. 2^255 - 1: top byte 0x7f, middle bytes 0xff,
    // lowest byte >= 0xed.
    let non_canonical = y[31] == 0x7f && y[1..31].iter().all(|&b| b == 0xff) && y[0] >= 0xed;
    !non_canonical && !SMALL_ORDER_Y.contains(&y)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::KeyPair;
    use rand_chacha::ChaCha20Rng;
    use rand_core::SeedableRng;

    fn key(seed: u8) -> (KeyPair, VerifyingKey) {
        let pair = KeyPair::from_seed([seed; 32]);
        let verifying = VerifyingKey::new(pair.public_key()).unwrap();
        (pair, verifying)
    }

    #[test]
    fn accepts_own_signature_and_rejects_other_message() {
        let (pair, verifying) = key(1);
        let sig = pair.sign(b"hello");
        assert_eq!(verifying.verify(b"hello", &sig), Ok(()));
        assert_eq!(
            verifying.verify(b"hellp", &sig),
            Err(SignatureError::Mismatch)
        );
    }

    #[test]
    fn rejects_small_order_and_non_canonical_keys() {
        for point in curve25519_dalek::constants::EIGHT_TORSION {
            let bytes = point.compress().to_bytes();
            assert_eq!(
                VerifyingKey::new(PublicKey::from_bytes(bytes)).err(),
                Some(SignatureError::WeakKey)
            );
        }
        // y = p (non-canonical encoding of y = 0).
        let mut p = [0xffu8; 32];
        p[0] = 0xed;
        p[31] = 0x7f;
        assert_eq!(
            VerifyingKey::new(PublicKey::from_bytes(p)).err(),
            Some(SignatureError::WeakKey)
        );
    }

    #[test]
    fn rejects_non_canonical_s() {
        let (pair, verifying) = key(2);
        let mut sig = pair.sign(b"m");
        // s + l is the same scalar, non-canonically encoded; l's top byte is 0x10.
        sig[63] |= 0xf0;
        assert_eq!(
            verifying.verify(b"m", &sig),
            Err(SignatureError::NonCanonical)
        );
    }

    #[test]
    fn batch_agrees_with_single_verification() {
        let (pair, verifying) = key(3);
        let mut rng = ChaCha20Rng::seed_from_u64(9);
        let messages: Vec<Vec<u8>> = (0..20u8).map(|i| vec![i; 40]).collect();
        let signatures: Vec<[u8; 64]> = messages.iter().map(|m| pair.sign(m)).collect();

        let mut batch = BatchVerifier::new();
        for (m, s) in messages.iter().zip(&signatures) {
            batch.queue(&verifying, m, s).unwrap();
        }
        assert_eq!(batch.verify(&mut rng), Ok(()));

        let mut batch = BatchVerifier::new();
        for (i, (m, s)) in messages.iter().zip(&signatures).enumerate() {
            let mut s = *s;
            if i == 7 {
                s[40] ^= 1;
            }
            batch.queue(&verifying, m, &s).unwrap();
        }
        assert_eq!(batch.verify(&mut rng), Err(SignatureError::Mismatch));
    }
}
