//! The identity file: the phrase entropy sealed under a passphrase (Argon2id + XChaCha20-Poly1305),
//! or stored in the clear only when the player asked for it, always with file mode 0600.

use argon2::{Algorithm, Argon2, Params, Version};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use rand_core::{CryptoRng, RngCore};
use scr::PublicKey;
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use super::IdentityError;
use super::phrase::ENTROPY_LEN;

/// The `format` value of every identity file.
pub const FILE_FORMAT: &str = "ic-identity";
/// The version of the file layout this code writes and reads.
pub const FILE_VERSION: u32 = 1;
/// Shortest passphrase accepted for sealing.
pub const MIN_PASSPHRASE_CHARS: usize = 8;

// Caps on the Argon2 cost a file may ask for, so a crafted file cannot make opening it take
// gigabytes of memory or hours of time.
const MAX_M_COST_KIB: u32 = 1024 * 1024;
const MAX_T_COST: u32 = 16;
const MAX_P_COST: u32 = 8;
const SALT_LEN: usize = 16;
const NONCE_LEN: usize = 24;
const TAG_LEN: usize = 16;

/// The identity file as stored on disk (JSON).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IdentityFile {
    /// Always [`FILE_FORMAT`].
    pub format: String,
    /// Always [`FILE_VERSION`].
    pub version: u32,
    /// The public key, readable without the passphrase (for `ic identity show`).
    pub public_key: PublicKey,
    /// How the secret is kept.
    pub protection: Protection,
}

/// How the secret part of an identity file is kept.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Protection {
    /// Sealed under a passphrase.
    Passphrase {
        /// Argon2id memory cost in KiB.
        m_cost: u32,
        /// Argon2id passes.
        t_cost: u32,
        /// Argon2id lanes.
        p_cost: u32,
        /// Argon2id salt, base64.
        salt: String,
        /// XChaCha20-Poly1305 nonce, base64.
        nonce: String,
        /// The sealed 32-byte phrase entropy with its tag, base64.
        ciphertext: String,
    },
    /// In the clear, hex; only when the player asked for an unencrypted key.
    Unencrypted {
        /// The 32-byte phrase entropy, hex.
        entropy: String,
    },
}

/// Argon2id cost for sealing. The default is the OWASP recommendation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KdfCost {
    /// Memory in KiB.
    pub m_cost: u32,
    /// Passes.
    pub t_cost: u32,
    /// Lanes.
    pub p_cost: u32,
}

impl Default for KdfCost {
    fn default() -> Self {
        Self {
            m_cost: Params::DEFAULT_M_COST,
            t_cost: Params::DEFAULT_T_COST,
            p_cost: Params::DEFAULT_P_COST,
        }
    }
}

impl IdentityFile {
    /// Seals `entropy` (whose key is `public_key`) under `passphrase`.
    pub fn seal<R: RngCore + CryptoRng>(
        entropy: &[u8; ENTROPY_LEN],
        public_key: PublicKey,
        passphrase: &str,
        cost: KdfCost,
        rng: &mut R,
    ) -> Result<Self, IdentityError> {
        if passphrase.chars().count() < MIN_PASSPHRASE_CHARS {
            return Err(IdentityError::WeakPassphrase(MIN_PASSPHRASE_CHARS));
        }
        let mut salt = [0u8; SALT_LEN];
        rng.fill_bytes(&mut salt);
        let mut nonce = [0u8; NONCE_LEN];
        rng.fill_bytes(&mut nonce);
        let key = derive_key(passphrase, &salt, cost)?;
        let cipher = XChaCha20Poly1305::new((&*key).into());
        let aad = associated_data(&public_key);
        let ciphertext = cipher
            .encrypt(
                XNonce::from_slice(&nonce),
                Payload {
                    msg: entropy,
                    aad: &aad,
                },
            )
            .map_err(|_| IdentityError::Seal)?;
        Ok(Self {
            format: FILE_FORMAT.to_owned(),
            version: FILE_VERSION,
            public_key,
            protection: Protection::Passphrase {
                m_cost: cost.m_cost,
                t_cost: cost.t_cost,
                p_cost: cost.p_cost,
                salt: BASE64.encode(salt),
                nonce: BASE64.encode(nonce),
                ciphertext: BASE64.encode(ciphertext),
            },
        })
    }

    /// Stores `entropy` in the clear.
    pub fn unencrypted(entropy: &[u8; ENTROPY_LEN], public_key: PublicKey) -> Self {
        Self {
            format: FILE_FORMAT.to_owned(),
            version: FILE_VERSION,
            public_key,
            protection: Protection::Unencrypted {
                entropy: hex::encode(entropy),
            },
        }
    }

    /// Whether opening the file needs a passphrase.
    pub fn is_encrypted(&self) -> bool {
        matches!(self.protection, Protection::Passphrase { .. })
    }

    /// Parses the file text, checking format and version.
    pub fn parse(text: &str) -> Result<Self, IdentityError> {
        let file: Self = serde_json::from_str(text)
            .map_err(|error| IdentityError::BadFile(error.to_string()))?;
        if file.format != FILE_FORMAT {
            return Err(IdentityError::BadFile(format!(
                "format is {:?}, expected {FILE_FORMAT:?}",
                file.format
            )));
        }
        if file.version != FILE_VERSION {
            return Err(IdentityError::BadFile(format!(
                "version {} is not supported (this ic reads version {FILE_VERSION})",
                file.version
            )));
        }
        Ok(file)
    }

    /// The file as pretty JSON.
    pub fn to_text(&self) -> Result<String, IdentityError> {
        serde_json::to_string_pretty(self)
            .map_err(|error| IdentityError::BadFile(error.to_string()))
    }

    /// Recovers the entropy; `passphrase` is only used (and required) for sealed files.
    pub fn open(
        &self,
        passphrase: Option<&str>,
    ) -> Result<Zeroizing<[u8; ENTROPY_LEN]>, IdentityError> {
        let mut entropy = Zeroizing::new([0u8; ENTROPY_LEN]);
        match &self.protection {
            Protection::Unencrypted { entropy: text } => {
                hex::decode_to_slice(text, &mut *entropy).map_err(|_| {
                    IdentityError::BadFile("entropy is not 64 hex characters".into())
                })?;
            }
            Protection::Passphrase {
                m_cost,
                t_cost,
                p_cost,
                salt,
                nonce,
                ciphertext,
            } => {
                let passphrase = passphrase.ok_or(IdentityError::PassphraseRequired)?;
                let cost = KdfCost {
                    m_cost: *m_cost,
                    t_cost: *t_cost,
                    p_cost: *p_cost,
                };
                if cost.m_cost > MAX_M_COST_KIB
                    || cost.t_cost > MAX_T_COST
                    || cost.p_cost > MAX_P_COST
                {
                    return Err(IdentityError::BadFile(format!(
                        "key derivation cost {cost:?} exceeds the allowed maximum"
                    )));
                }
                let salt = decode_field("salt", salt, SALT_LEN)?;
                let nonce = decode_field("nonce", nonce, NONCE_LEN)?;
                let ciphertext = decode_field("ciphertext", ciphertext, ENTROPY_LEN + TAG_LEN)?;
                let key = derive_key(passphrase, &salt, cost)?;
                let cipher = XChaCha20Poly1305::new((&*key).into());
                let aad = associated_data(&self.public_key);
                let plain = Zeroizing::new(
                    cipher
                        .decrypt(
                            XNonce::from_slice(&nonce),
                            Payload {
                                msg: &ciphertext,
                                aad: &aad,
                            },
                        )
                        .map_err(|_| IdentityError::WrongPassphrase)?,
                );
                if plain.len() != ENTROPY_LEN {
                    return Err(IdentityError::WrongPassphrase);
                }
                entropy.copy_from_slice(&plain);
            }
        }
        Ok(entropy)
    }
}

fn decode_field(name: &str, text: &str, len: usize) -> Result<Vec<u8>, IdentityError> {
    // Checked before decoding so a huge field is refused without allocating for it.
    if text.len() > len.div_ceil(3) * 4 {
        return Err(IdentityError::BadFile(format!("{name} is too long")));
    }
    let bytes = BASE64
        .decode(text)
        .map_err(|_| IdentityError::BadFile(format!("{name} is not base64")))?;
    if bytes.len() != len {
        return Err(IdentityError::BadFile(format!(
            "{name} is {} bytes, expected {len}",
            bytes.len()
        )));
    }
    Ok(bytes)
}

/// Binds the ciphertext to the file format and public key, so a sealed secret cannot be moved
/// under another public key without the open failing.
fn associated_data(public_key: &PublicKey) -> Vec<u8> {
    let mut aad = format!("{FILE_FORMAT}/v{FILE_VERSION}/").into_bytes();
    aad.extend_from_slice(public_key.as_bytes());
    aad
}

fn derive_key(
    passphrase: &str,
    salt: &[u8],
    cost: KdfCost,
) -> Result<Zeroizing<[u8; 32]>, IdentityError> {
    let params = Params::new(cost.m_cost, cost.t_cost, cost.p_cost, Some(32))
        .map_err(|error| IdentityError::BadFile(format!("key derivation parameters: {error}")))?;
    let argon2 = Argon2::new(Algorithm::Argon2id, Version::V0x13, params);
    let mut key = Zeroizing::new([0u8; 32]);
    argon2
        .hash_password_into(passphrase.as_bytes(), salt, &mut *key)
        .map_err(|error| IdentityError::BadFile(format!("key derivation: {error}")))?;
    Ok(key)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use rand::SeedableRng;

    // Cheap parameters keep the tests fast; the format is the same.
    const TEST_COST: KdfCost = KdfCost {
        m_cost: 64,
        t_cost: 1,
        p_cost: 1,
    };

    fn rng() -> rand::rngs::StdRng {
        rand::rngs::StdRng::seed_from_u64(9)
    }

    #[test]
    fn sealed_file_opens_only_with_its_passphrase() {
        let public_key = PublicKey::from_bytes([3; 32]);
        let file = IdentityFile::seal(
            &[42; 32],
            public_key,
            "correct horse",
            TEST_COST,
            &mut rng(),
        )
        .unwrap();
        let text = file.to_text().unwrap();
        assert!(!text.contains(&hex::encode([42u8; 32])));
        let parsed = IdentityFile::parse(&text).unwrap();
        assert!(parsed.is_encrypted());
        assert_eq!(*parsed.open(Some("correct horse")).unwrap(), [42; 32]);
        assert_eq!(
            parsed.open(Some("wrong horse!")).unwrap_err(),
            IdentityError::WrongPassphrase
        );
        assert_eq!(
            parsed.open(None).unwrap_err(),
            IdentityError::PassphraseRequired
        );
    }

    #[test]
    fn sealed_secret_is_bound_to_its_public_key() {
        let mut file = IdentityFile::seal(
            &[1; 32],
            PublicKey::from_bytes([3; 32]),
            "passphrase",
            TEST_COST,
            &mut rng(),
        )
        .unwrap();
        file.public_key = PublicKey::from_bytes([4; 32]);
        assert_eq!(
            file.open(Some("passphrase")).unwrap_err(),
            IdentityError::WrongPassphrase
        );
    }

    #[test]
    fn short_passphrases_are_refused() {
        assert_eq!(
            IdentityFile::seal(
                &[1; 32],
                PublicKey::from_bytes([3; 32]),
                "short",
                TEST_COST,
                &mut rng()
            )
            .unwrap_err(),
            IdentityError::WeakPassphrase(MIN_PASSPHRASE_CHARS)
        );
    }

    #[test]
    fn crafted_files_are_typed_errors() {
        let file = IdentityFile::seal(
            &[1; 32],
            PublicKey::from_bytes([3; 32]),
            "passphrase",
            TEST_COST,
            &mut rng(),
        )
        .unwrap();
        let text = file.to_text().unwrap();
        for (from, to) in [
            ("\"m_cost\": 64", "\"m_cost\": 4000000000"),
            ("\"t_cost\": 1", "\"t_cost\": 1000"),
            ("\"version\": 1", "\"version\": 2"),
            ("ic-identity", "something-else"),
        ] {
            assert!(text.contains(from), "{from}");
            let crafted = text.replace(from, to);
            let result =
                IdentityFile::parse(&crafted).and_then(|f| f.open(Some("passphrase")).map(|_| ()));
            assert!(
                matches!(result, Err(IdentityError::BadFile(_))),
                "{from}: {result:?}"
            );
        }
        assert!(matches!(
            IdentityFile::parse("not json"),
            Err(IdentityError::BadFile(_))
        ));
        let clear = IdentityFile::unencrypted(&[5; 32], PublicKey::from_bytes([3; 32]));
        let bad = clear
            .to_text()
            .unwrap()
            .replace(&hex::encode([5u8; 32]), "zz");
        assert!(matches!(
            IdentityFile::parse(&bad).unwrap().open(None),
            Err(IdentityError::BadFile(_))
        ));
    }
}
