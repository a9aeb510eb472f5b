//! Ed25519 signature checks shared by every signed format of the project (SCR, certified results).
//! Strict encodings plus the cofactored equation, so that batch and single verification agree.
//!
//! Why not `ed25519_dalek::VerifyingKey::verify_strict`: it uses the cofactorless equation, and a
//! randomized batch check cannot agree with that rule on signatures whose `R` carries a torsion
//! component. ZIP-215 fixes one rule, the cofactored equation, for both paths; `ed25519-zebra`
//! implements it, and its batch verifier coalesces signatures made with the same key, which is the
//! common case here (one community key signs a whole wallet). On top of ZIP-215 we reject what
//! `verify_strict` rejects: non-canonical and small-order encodings of keys and of `R`, and
//! non-canonical `s`.
//!
//! Single verification is written here with curve25519-dalek's primitives rather than calling
//! zebra, for speed only: it first tries the cofactorless comparison of encodings (what
//! `ed25519_dalek`'s `verify` does, and what every honest signature passes), and only when that
//! fails falls back to the cofactored check. Both paths together accept exactly what ZIP-215
//! accepts; a test compares them with zebra on honest, tampered and torsion-carrying signatures.

use std::sync::LazyLock;

use curve25519_dalek::edwards::{CompressedEdwardsY, EdwardsPoint};
use curve25519_dalek::scalar::Scalar;
use curve25519_dalek::traits::IsIdentity;
use rand_core::{CryptoRng, RngCore};
use sha2::{Digest, Sha512};

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
    minus_a: EdwardsPoint,
}

impl VerifyingKey {
    /// Checks `key` (canonical, on the curve, not of small order) and prepares it.
    pub fn new(key: PublicKey) -> Result<Self, SignatureError> {
        if !is_strict_point_encoding(key.as_bytes()) {
            return Err(SignatureError::WeakKey);
        }
        let a = CompressedEdwardsY(*key.as_bytes())
            .decompress()
            .ok_or(SignatureError::WeakKey)?;
        Ok(Self { key, minus_a: -a })
    }

    /// The key this verifies for.
    pub fn public_key(&self) -> PublicKey {
        self.key
    }

    /// Verifies `signature` over `message` (cofactored equation, strict encodings).
    pub fn verify(&self, message: &[u8], signature: &[u8; 64]) -> Result<(), SignatureError> {
        let s = checked_s(signature)?;
        let mut r_bytes = [0u8; 32];
        r_bytes.copy_from_slice(&signature[..32]);
        let k = Scalar::from_hash(
            Sha512::new()
                .chain_update(r_bytes)
                .chain_update(self.key.as_bytes())
                .chain_update(message),
        );
        // R' = [s]B - [k]A. An honest signature has R = R' exactly.
        let r_prime = EdwardsPoint::vartime_double_scalar_mul_basepoint(&k, &self.minus_a, &s);
        if r_prime.compress().to_bytes() == r_bytes {
            return Ok(());
        }
        // Otherwise only the cofactored equation [8](R - R') = 0 can still hold (R or A with a
        // torsion component); batch verification accepts those, so single verification must too.
        let r = CompressedEdwardsY(r_bytes)
            .decompress()
            .ok_or(SignatureError::Mismatch)?;
        if (r - r_prime).mul_by_cofactor().is_identity() {
            Ok(())
        } else {
            Err(SignatureError::Mismatch)
        }
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
        checked_s(signature)?;
        let key_bytes = ed25519_zebra::VerificationKeyBytes::from(*key.key.as_bytes());
        let signature = ed25519_zebra::Signature::from_bytes(signature);
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

/// Rejects a non-canonical or small-order `R` and a non-canonical `s` before any curve
/// arithmetic; returns `s`.
fn checked_s(bytes: &[u8; 64]) -> Result<Scalar, SignatureError> {
    let mut r = [0u8; 32];
    r.copy_from_slice(&bytes[..32]);
    if !is_strict_point_encoding(&r) {
        return Err(SignatureError::NonCanonical);
    }
    let mut s = [0u8; 32];
    s.copy_from_slice(&bytes[32..]);
    Option::<Scalar>::from(Scalar::from_canonical_bytes(s)).ok_or(SignatureError::NonCanonical)
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

    /// A signature whose R carries a torsion component, made with the secret scalar directly:
    /// the cofactorless equation rejects it, the cofactored one (ZIP-215) accepts it.
    fn torsion_signature(seed: [u8; 32], message: &[u8], torsion: usize) -> [u8; 64] {
        let expanded = Sha512::digest(seed);
        let mut a_bytes = [0u8; 32];
        a_bytes.copy_from_slice(&expanded[..32]);
        let a = Scalar::from_bytes_mod_order(curve25519_dalek::scalar::clamp_integer(a_bytes));
        let public = KeyPair::from_seed(seed).public_key();
        let r = Scalar::from_hash(Sha512::new().chain_update(message).chain_update([7u8]));
        let big_r = curve25519_dalek::constants::ED25519_BASEPOINT_POINT * r
            + curve25519_dalek::constants::EIGHT_TORSION[torsion];
        let r_bytes = big_r.compress().to_bytes();
        let k = Scalar::from_hash(
            Sha512::new()
                .chain_update(r_bytes)
                .chain_update(public.as_bytes())
                .chain_update(message),
        );
        let s = r + k * a;
        let mut signature = [0u8; 64];
        signature[..32].copy_from_slice(&r_bytes);
        signature[32..].copy_from_slice(s.as_bytes());
        signature
    }

    #[test]
    fn single_verification_agrees_with_zebra_and_batch_on_torsion_and_tampering() {
        let seed = [5u8; 32];
        let pair = KeyPair::from_seed(seed);
        let verifying = VerifyingKey::new(pair.public_key()).unwrap();
        let zebra =
            ed25519_zebra::VerificationKey::try_from(*pair.public_key().as_bytes()).unwrap();
        let mut rng = ChaCha20Rng::seed_from_u64(3);
        let mut cases: Vec<(Vec<u8>, [u8; 64])> = Vec::new();
        for i in 0..40u8 {
            let message = vec![i; 50];
            let honest = pair.sign(&message);
            let mut tampered = honest;
            tampered[usize::from(i) % 64] ^= 1 << (i % 8);
            cases.push((message.clone(), honest));
            cases.push((message.clone(), tampered));
            cases.push((
                message.clone(),
                torsion_signature(seed, &message, 1 + usize::from(i) % 7),
            ));
        }
        for (message, signature) in &cases {
            let ours = verifying.verify(message, signature);
            let reference = zebra.verify(&ed25519_zebra::Signature::from_bytes(signature), message);
            // Where ours rejects an encoding up front, zebra may still accept (it is more
            // permissive); everywhere else the two must agree exactly.
            if ours != Err(SignatureError::NonCanonical) {
                assert_eq!(
                    ours.is_ok(),
                    reference.is_ok(),
                    "disagreement on {signature:?}"
                );
            }
            let mut batch = BatchVerifier::new();
            if batch.queue(&verifying, message, signature).is_ok() {
                assert_eq!(batch.verify(&mut rng).is_ok(), ours.is_ok());
            }
        }
        // The torsion signatures really exercise the fallback: dalek's cofactorless check refuses.
        let (message, signature) = &cases[2];
        assert!(verifying.verify(message, signature).is_ok());
        let dalek = ed25519_dalek::VerifyingKey::from_bytes(pair.public_key().as_bytes()).unwrap();
        assert!(
            dalek
                .verify_strict(message, &ed25519_dalek::Signature::from_bytes(signature))
                .is_err()
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
