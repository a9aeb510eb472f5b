//! Ed25519 public keys by role, their `ed25519:<hex>` text form and fingerprints.
//! Key pairs sign; public keys are plain 32-byte values that verification code checks on use.

use std::fmt;
use std::str::FromStr;

use rand_core::{CryptoRng, RngCore};
use sha2::{Digest, Sha256};

/// Prefix of the text form of every public key (DESIGN.md §4.10).
pub const KEY_TEXT_PREFIX: &str = "ed25519:";

/// Why a key in text form could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyParseError {
    /// The text does not start with `ed25519:`.
    #[error("key must start with \"ed25519:\"")]
    MissingPrefix,
    /// The part after the prefix is not exactly 64 lowercase hex characters.
    #[error("key must be \"ed25519:\" followed by 64 lowercase hex characters")]
    BadHex,
}

/// A raw Ed25519 public key of any role.
///
/// Holding one says nothing about validity: a verifier checks the point when it uses the key.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PublicKey([u8; 32]);

impl PublicKey {
    /// Wraps 32 raw bytes.
    pub const fn from_bytes(bytes: [u8; 32]) -> Self {
        Self(bytes)
    }

    /// The 32 raw bytes.
    pub const fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// The all-zero key, used where a record has no player (key rotation records).
    pub const fn zero() -> Self {
        Self([0; 32])
    }

    /// Whether this is the all-zero key.
    pub fn is_zero(&self) -> bool {
        self.0 == [0; 32]
    }

    /// First 8 bytes of SHA-256 of the key, for display.
    pub fn fingerprint(&self) -> Fingerprint {
        let digest = Sha256::digest(self.0);
        let mut short = [0u8; 8];
        short.copy_from_slice(&digest[..8]);
        Fingerprint(short)
    }
}

impl fmt::Display for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{KEY_TEXT_PREFIX}{}", hex::encode(self.0))
    }
}

impl fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl FromStr for PublicKey {
    type Err = KeyParseError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let hex_part = text
            .strip_prefix(KEY_TEXT_PREFIX)
            .ok_or(KeyParseError::MissingPrefix)?;
        // Only lowercase is accepted so that every key has exactly one text form.
        let lowercase_hex = hex_part.len() == 64
            && hex_part
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
        if !lowercase_hex {
            return Err(KeyParseError::BadHex);
        }
        let mut bytes = [0u8; 32];
        hex::decode_to_slice(hex_part, &mut bytes).map_err(|_| KeyParseError::BadHex)?;
        Ok(Self(bytes))
    }
}

impl serde::Serialize for PublicKey {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for PublicKey {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

/// A key fingerprint: the first 8 bytes of SHA-256 of the key, shown as 16 hex characters.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Fingerprint([u8; 8]);

impl Fingerprint {
    /// The 8 raw bytes.
    pub const fn as_bytes(&self) -> &[u8; 8] {
        &self.0
    }
}

impl fmt::Display for Fingerprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&hex::encode(self.0))
    }
}

impl fmt::Debug for Fingerprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

/// Declares a public key type for one role, so a player key cannot be passed where a community
/// key is expected.
macro_rules! role_key {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
        #[serde(transparent)]
        pub struct $name(PublicKey);

        impl $name {
            /// Wraps 32 raw bytes.
            pub const fn from_bytes(bytes: [u8; 32]) -> Self {
                Self(PublicKey::from_bytes(bytes))
            }

            /// The 32 raw bytes.
            pub const fn as_bytes(&self) -> &[u8; 32] {
                self.0.as_bytes()
            }

            /// The key without its role.
            pub const fn public_key(&self) -> PublicKey {
                self.0
            }

            /// First 8 bytes of SHA-256 of the key, for display.
            pub fn fingerprint(&self) -> Fingerprint {
                self.0.fingerprint()
            }
        }

        impl From<PublicKey> for $name {
            fn from(key: PublicKey) -> Self {
                Self(key)
            }
        }

        impl From<$name> for PublicKey {
            fn from(key: $name) -> Self {
                key.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Display::fmt(&self.0, f)
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({})", stringify!($name), self.0)
            }
        }

        impl FromStr for $name {
            type Err = KeyParseError;

            fn from_str(text: &str) -> Result<Self, Self::Err> {
                text.parse().map(Self)
            }
        }
    };
}

role_key!(
    /// A community signing key (SK): signs every day-to-day record of one community.
    CommunityKey
);
role_key!(
    /// A community recovery key (RK): kept offline, signs only emergency key rotations.
    RecoveryKey
);
role_key!(
    /// A player's identity key: the player's identity inside a community.
    PlayerKey
);
role_key!(
    /// A relay's key: signs certified match results.
    RelayKey
);

/// An Ed25519 key pair that signs.
///
/// Secret material is zeroized on drop by ed25519-dalek.
#[derive(Clone)]
pub struct KeyPair(ed25519_dalek::SigningKey);

impl KeyPair {
    /// Derives the key pair from a 32-byte seed (RFC 8032 secret key).
    pub fn from_seed(seed: [u8; 32]) -> Self {
        Self(ed25519_dalek::SigningKey::from_bytes(&seed))
    }

    /// Generates a fresh key pair from the caller's random source.
    pub fn generate<R: RngCore + CryptoRng>(rng: &mut R) -> Self {
        Self(ed25519_dalek::SigningKey::generate(rng))
    }

    /// The 32-byte seed, for storing the key.
    pub fn seed(&self) -> [u8; 32] {
        self.0.to_bytes()
    }

    /// The public half.
    pub fn public_key(&self) -> PublicKey {
        PublicKey(self.0.verifying_key().to_bytes())
    }

    /// Signs `message` (deterministic Ed25519, RFC 8032).
    pub fn sign(&self, message: &[u8]) -> [u8; 64] {
        use ed25519_dalek::Signer;
        self.0.sign(message).to_bytes()
    }
}

impl fmt::Debug for KeyPair {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "KeyPair({})", self.public_key())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_form_round_trips_and_is_canonical() {
        let key = KeyPair::from_seed([7; 32]).public_key();
        let text = key.to_string();
        assert!(text.starts_with("ed25519:"));
        assert_eq!(text.len(), 8 + 64);
        assert_eq!(text.parse::<PublicKey>(), Ok(key));
        assert_eq!(
            text.to_uppercase()
                .replace("ED25519", "ed25519")
                .parse::<PublicKey>(),
            Err(KeyParseError::BadHex)
        );
        assert_eq!(
            text.trim_start_matches("ed25519:").parse::<PublicKey>(),
            Err(KeyParseError::MissingPrefix)
        );
        assert_eq!(
            "ed25519:abcd".parse::<PublicKey>(),
            Err(KeyParseError::BadHex)
        );
    }

    #[test]
    fn fingerprint_is_first_eight_bytes_of_sha256() {
        // SHA-256 of 32 zero bytes starts with 66687aadf862bd77.
        assert_eq!(
            PublicKey::zero().fingerprint().to_string(),
            "66687aadf862bd77"
        );
    }

    #[test]
    fn role_keys_serialize_as_text() {
        let key = CommunityKey::from(KeyPair::from_seed([1; 32]).public_key());
        let json = serde_json::to_string(&key).unwrap();
        assert_eq!(json, format!("\"{key}\""));
        let back: CommunityKey = serde_json::from_str(&json).unwrap();
        assert_eq!(back, key);
    }
}
