//! The player's identity key: created once, kept in `<data_dir>/keys/identity.key`, backed up as
//! 24 BIP-39 words that recover exactly the same key on any machine.

pub mod phrase;
pub mod sealed;

use std::fs;
use std::io::Write as _;
use std::os::unix::fs::{OpenOptionsExt as _, PermissionsExt as _};
use std::path::{Path, PathBuf};

use rand_core::{CryptoRng, RngCore};
use scr::{KeyPair, PlayerKey, PublicKey};
use zeroize::Zeroizing;

pub use sealed::{IdentityFile, KdfCost, MIN_PASSPHRASE_CHARS};

use phrase::ENTROPY_LEN;

/// Why an identity could not be created, stored, opened or recovered.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdentityError {
    /// No identity file exists yet.
    #[error("no identity at {0}; create one with `ic identity new` or `ic identity recover`")]
    Missing(PathBuf),
    /// An identity file exists and would be overwritten.
    #[error("an identity already exists at {0}; refusing to overwrite it")]
    AlreadyExists(PathBuf),
    /// The identity file could not be read or written.
    #[error("identity file {path}: {message}")]
    Io {
        /// The file.
        path: PathBuf,
        /// What the OS said.
        message: String,
    },
    /// The identity file is not one this version reads.
    #[error("identity file is damaged or unsupported: {0}")]
    BadFile(String),
    /// An unencrypted identity file that others may read.
    #[error(
        "unencrypted identity file {path} has mode {mode:o}; it must be readable by its owner only (chmod 600)"
    )]
    InsecurePermissions {
        /// The file.
        path: PathBuf,
        /// Its permission bits.
        mode: u32,
    },
    /// The file is sealed and no passphrase was given.
    #[error("the identity file is encrypted; a passphrase is required")]
    PassphraseRequired,
    /// The passphrase does not open the file (or the file was tampered with).
    #[error("wrong passphrase (or the identity file was modified)")]
    WrongPassphrase,
    /// The passphrase is too short to seal a key.
    #[error("passphrase must be at least {0} characters")]
    WeakPassphrase(usize),
    /// Sealing failed.
    #[error("could not encrypt the identity")]
    Seal,
    /// The file's secret does not derive the public key it names.
    #[error("identity file names key {stored} but its secret derives {derived}")]
    KeyMismatch {
        /// The key in the file.
        stored: PublicKey,
        /// The key the secret derives.
        derived: PublicKey,
    },
    /// A backup phrase with the wrong number of words.
    #[error("a backup phrase has 24 words, this one has {0}")]
    WrongWordCount(usize),
    /// A backup phrase with an unknown word or a failing checksum.
    #[error("not a valid backup phrase (unknown word or checksum mismatch; check each word)")]
    BadPhrase,
}

/// How the identity file keeps the secret.
#[derive(Debug, Clone)]
pub enum KeyProtection {
    /// Sealed under this passphrase (the default).
    Passphrase {
        /// The passphrase.
        passphrase: Zeroizing<String>,
        /// Argon2id cost.
        cost: KdfCost,
    },
    /// Stored in the clear (mode 0600); only when the player asks for it.
    Unencrypted,
}

/// The player's identity: the phrase entropy and the Ed25519 key it derives.
pub struct Identity {
    entropy: Zeroizing<[u8; ENTROPY_LEN]>,
    key: KeyPair,
}

impl std::fmt::Debug for Identity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Identity({})", self.key.public_key())
    }
}

impl Identity {
    /// A new identity from fresh randomness.
    pub fn generate<R: RngCore + CryptoRng>(rng: &mut R) -> Result<Self, IdentityError> {
        let mut entropy = Zeroizing::new([0u8; ENTROPY_LEN]);
        rng.fill_bytes(&mut *entropy);
        Self::from_entropy(entropy)
    }

    /// The identity a 24-word backup phrase stands for.
    pub fn recover(backup_phrase: &str) -> Result<Self, IdentityError> {
        Self::from_entropy(phrase::entropy_from_phrase(backup_phrase)?)
    }

    fn from_entropy(entropy: Zeroizing<[u8; ENTROPY_LEN]>) -> Result<Self, IdentityError> {
        let key = phrase::key_from_entropy(&entropy, "")?;
        Ok(Self { entropy, key })
    }

    /// The 24-word backup phrase.
    pub fn backup_phrase(&self) -> Result<Zeroizing<String>, IdentityError> {
        phrase::phrase_from_entropy(&self.entropy)
    }

    /// The signing key pair.
    pub fn key_pair(&self) -> &KeyPair {
        &self.key
    }

    /// The public identity key.
    pub fn player_key(&self) -> PlayerKey {
        PlayerKey::from(self.key.public_key())
    }

    /// Writes the identity to `path` (mode 0600), refusing to replace an existing file.
    pub fn save<R: RngCore + CryptoRng>(
        &self,
        path: &Path,
        protection: &KeyProtection,
        rng: &mut R,
    ) -> Result<(), IdentityError> {
        if path.exists() {
            return Err(IdentityError::AlreadyExists(path.to_owned()));
        }
        let public_key = self.key.public_key();
        let file = match protection {
            KeyProtection::Passphrase { passphrase, cost } => {
                IdentityFile::seal(&self.entropy, public_key, passphrase, *cost, rng)?
            }
            KeyProtection::Unencrypted => IdentityFile::unencrypted(&self.entropy, public_key),
        };
        write_private(path, file.to_text()?.as_bytes())
    }

    /// Reads the identity file at `path`, opening it with `passphrase` if it is sealed.
    pub fn load(path: &Path, passphrase: Option<&str>) -> Result<Self, IdentityError> {
        let file = read_file(path)?;
        if !file.is_encrypted() {
            check_owner_only(path)?;
        }
        let identity = Self::from_entropy(file.open(passphrase)?)?;
        if identity.key.public_key() != file.public_key {
            return Err(IdentityError::KeyMismatch {
                stored: file.public_key,
                derived: identity.key.public_key(),
            });
        }
        Ok(identity)
    }
}

/// Reads an identity file without opening it (for the public key and whether it is sealed).
pub fn read_file(path: &Path) -> Result<IdentityFile, IdentityError> {
    let text = match fs::read_to_string(path) {
        Ok(text) => text,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
            return Err(IdentityError::Missing(path.to_owned()));
        }
        Err(error) => return Err(io_error(path, &error)),
    };
    IdentityFile::parse(&text)
}

fn check_owner_only(path: &Path) -> Result<(), IdentityError> {
    let mode = fs::metadata(path)
        .map_err(|error| io_error(path, &error))?
        .permissions()
        .mode()
        & 0o777;
    if mode & 0o077 != 0 {
        return Err(IdentityError::InsecurePermissions {
            path: path.to_owned(),
            mode,
        });
    }
    Ok(())
}

/// Writes `bytes` to a new file at `path` readable by the owner only, durably: a temporary file
/// in the same directory, synced, then renamed, so a crash never leaves a half-written key.
fn write_private(path: &Path, bytes: &[u8]) -> Result<(), IdentityError> {
    let dir = path.parent().unwrap_or_else(|| Path::new("."));
    fs::create_dir_all(dir).map_err(|error| io_error(dir, &error))?;
    // The key directory holds nothing others should list.
    fs::set_permissions(dir, fs::Permissions::from_mode(0o700))
        .map_err(|error| io_error(dir, &error))?;
    let file_name = path
        .file_name()
        .map(|name| name.to_string_lossy().into_owned())
        .unwrap_or_else(|| "identity.key".to_owned());
    let temp = dir.join(format!(".{file_name}.tmp"));
    // A stale temporary file from a crashed earlier attempt holds nothing worth keeping.
    let _ = fs::remove_file(&temp);
    let mut file = fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&temp)
        .map_err(|error| io_error(&temp, &error))?;
    file.write_all(bytes)
        .and_then(|()| file.sync_all())
        .map_err(|error| io_error(&temp, &error))?;
    drop(file);
    // Refuse to replace a file that appeared meanwhile: hard_link fails if `path` exists.
    fs::hard_link(&temp, path).map_err(|error| {
        let _ = fs::remove_file(&temp);
        if error.kind() == std::io::ErrorKind::AlreadyExists {
            IdentityError::AlreadyExists(path.to_owned())
        } else {
            io_error(path, &error)
        }
    })?;
    fs::remove_file(&temp).map_err(|error| io_error(&temp, &error))?;
    fs::File::open(dir)
        .and_then(|dir| dir.sync_all())
        .map_err(|error| io_error(dir, &error))
}

fn io_error(path: &Path, error: &std::io::Error) -> IdentityError {
    IdentityError::Io {
        path: path.to_owned(),
        message: error.to_string(),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use rand::SeedableRng;

    fn cheap(passphrase: &str) -> KeyProtection {
        KeyProtection::Passphrase {
            passphrase: Zeroizing::new(passphrase.to_owned()),
            cost: KdfCost {
                m_cost: 64,
                t_cost: 1,
                p_cost: 1,
            },
        }
    }

    #[test]
    fn backup_phrase_recovers_the_same_key() {
        let mut rng = rand::rngs::StdRng::seed_from_u64(1);
        let identity = Identity::generate(&mut rng).unwrap();
        let phrase = identity.backup_phrase().unwrap();
        let recovered = Identity::recover(&phrase).unwrap();
        assert_eq!(recovered.player_key(), identity.player_key());
        assert_eq!(recovered.key_pair().seed(), identity.key_pair().seed());
    }

    #[test]
    fn sealed_identity_round_trips_with_mode_0600() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("keys").join("identity.key");
        let mut rng = rand::rngs::StdRng::seed_from_u64(2);
        let identity = Identity::generate(&mut rng).unwrap();
        identity
            .save(&path, &cheap("a long passphrase"), &mut rng)
            .unwrap();
        let mode = fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        let loaded = Identity::load(&path, Some("a long passphrase")).unwrap();
        assert_eq!(loaded.player_key(), identity.player_key());
        assert_eq!(
            Identity::load(&path, Some("another passphrase")).unwrap_err(),
            IdentityError::WrongPassphrase
        );
        assert_eq!(
            read_file(&path).unwrap().public_key,
            identity.key_pair().public_key()
        );
        // Never overwritten.
        assert_eq!(
            identity
                .save(&path, &KeyProtection::Unencrypted, &mut rng)
                .unwrap_err(),
            IdentityError::AlreadyExists(path.clone())
        );
        assert!(Identity::load(&path, Some("a long passphrase")).is_ok());
    }

    #[test]
    fn unencrypted_identity_must_stay_private() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("identity.key");
        let mut rng = rand::rngs::StdRng::seed_from_u64(3);
        let identity = Identity::generate(&mut rng).unwrap();
        identity
            .save(&path, &KeyProtection::Unencrypted, &mut rng)
            .unwrap();
        assert_eq!(
            Identity::load(&path, None).unwrap().player_key(),
            identity.player_key()
        );
        fs::set_permissions(&path, fs::Permissions::from_mode(0o644)).unwrap();
        assert!(matches!(
            Identity::load(&path, None),
            Err(IdentityError::InsecurePermissions { mode: 0o644, .. })
        ));
    }

    #[test]
    fn a_file_whose_secret_does_not_match_its_key_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("identity.key");
        let file = IdentityFile::unencrypted(&[9; 32], PublicKey::from_bytes([1; 32]));
        write_private(&path, file.to_text().unwrap().as_bytes()).unwrap();
        assert!(matches!(
            Identity::load(&path, None),
            Err(IdentityError::KeyMismatch { .. })
        ));
        assert_eq!(
            Identity::load(&dir.path().join("absent"), None).unwrap_err(),
            IdentityError::Missing(dir.path().join("absent"))
        );
    }
}
