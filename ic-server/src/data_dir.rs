//! The data directory (mode 0700): config file, key files (mode 0600), database. `init` creates
//! what is missing and never overwrites an existing key; a start tightens a directory others can
//! read and refuses a private key file others can read.

use std::fs::OpenOptions;
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use scr::{KeyPair, RecoveryKey};

use crate::config::TEMPLATE;

/// Why the data directory could not be used.
#[derive(Debug, thiserror::Error)]
pub enum DataDirError {
    /// A file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// A key file does not hold a key.
    #[error("{0}: not a key file (expected one line of 64 hex characters)")]
    BadKeyFile(PathBuf),
    /// A private key file can be read or written by other users.
    #[error(
        "{path} is open to other users (mode {mode:03o}); run `chmod 600 {path}` and start again"
    )]
    KeyExposed {
        /// The key file.
        path: PathBuf,
        /// Its permission bits.
        mode: u32,
    },
    /// A key file is missing (run `ic-server init`).
    #[error("{0} is missing; run `ic-server init` first")]
    Missing(PathBuf),
}

/// The files of one server.
#[derive(Debug, Clone)]
pub struct DataDir {
    root: PathBuf,
}

/// What `init` did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InitReport {
    /// Whether the config file was written now.
    pub wrote_config: bool,
    /// Whether new keys were generated now.
    pub generated_keys: bool,
    /// Where the recovery key was written, when it was generated now.
    pub recovery_key_file: Option<PathBuf>,
}

/// The keys the server uses.
#[derive(Debug, Clone)]
pub struct ServerKeys {
    /// Current community signing key.
    pub signing: KeyPair,
    /// Relay key.
    pub relay: KeyPair,
    /// Public half of the recovery key.
    pub recovery: RecoveryKey,
}

impl DataDir {
    /// The data directory at `root`.
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Self { root: root.into() }
    }

    /// The directory.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// `ic-server.toml`.
    pub fn config_file(&self) -> PathBuf {
        self.root.join("ic-server.toml")
    }

    fn keys_dir(&self) -> PathBuf {
        self.root.join("keys")
    }

    /// The current signing key's file.
    pub fn signing_key_file(&self) -> PathBuf {
        self.keys_dir().join("signing.key")
    }

    /// The relay key's file.
    pub fn relay_key_file(&self) -> PathBuf {
        self.keys_dir().join("relay.key")
    }

    /// The key this community cosigns other communities' checkpoints with as a witness (apart
    /// from the signing key, so it stays the same across rotations).
    pub fn witness_key_file(&self) -> PathBuf {
        self.keys_dir().join("witness.key")
    }

    /// Reads the witness key, generating it first in a data directory from before witnesses.
    pub fn witness_key<R: rand_core::RngCore + rand_core::CryptoRng>(
        &self,
        rng: &mut R,
    ) -> Result<KeyPair, DataDirError> {
        let file = self.witness_key_file();
        if !file.exists() {
            // `write_new` refuses an existing file: of two processes racing here, one writes
            // and both read the same key below.
            let _ = write_key_file(&file, &KeyPair::generate(rng));
        }
        read_key_file(&file)
    }

    /// The recovery key's public half.
    pub fn recovery_public_file(&self) -> PathBuf {
        self.keys_dir().join("recovery.pub")
    }

    /// Where `init` writes the secret recovery key once, for the operator to move offline.
    pub fn recovery_secret_file(&self) -> PathBuf {
        self.root.join("RECOVERY-KEY-MOVE-OFFLINE.key")
    }

    /// Creates the directory, a commented config and keys, keeping whatever already exists.
    pub fn init<R: rand_core::RngCore + rand_core::CryptoRng>(
        &self,
        rng: &mut R,
    ) -> Result<InitReport, DataDirError> {
        create_dir(&self.root)?;
        create_dir(&self.keys_dir())?;
        let wrote_config = !self.config_file().exists();
        if wrote_config {
            // Owner-only: it may hold the database URL with its password.
            write_new(&self.config_file(), TEMPLATE.as_bytes(), 0o600)?;
        }
        if self.signing_key_file().exists() {
            return Ok(InitReport {
                wrote_config,
                generated_keys: false,
                recovery_key_file: None,
            });
        }
        let signing = KeyPair::generate(rng);
        let relay = KeyPair::generate(rng);
        let recovery = KeyPair::generate(rng);
        // The recovery key first: if anything fails after it, a rerun starts over cleanly
        // because the signing key (the marker of a finished init) does not exist yet.
        write_key_file(&self.recovery_secret_file(), &recovery)?;
        write_new(
            &self.recovery_public_file(),
            format!("{}\n", recovery.public_key()).as_bytes(),
            0o600,
        )?;
        write_key_file(&self.relay_key_file(), &relay)?;
        self.witness_key(rng)?;
        write_key_file(&self.signing_key_file(), &signing)?;
        Ok(InitReport {
            wrote_config,
            generated_keys: true,
            recovery_key_file: Some(self.recovery_secret_file()),
        })
    }

    /// Makes the directory safe to start in: the data and key directories are tightened to
    /// 0700 when others may enter them (each returned for a log line, with the error when this
    /// process may not change it), and a private key file others may read or write refuses the
    /// start.
    pub fn secure(&self) -> Result<Vec<(PathBuf, Option<std::io::Error>)>, DataDirError> {
        use std::os::unix::fs::PermissionsExt;
        let io = |path: &Path| {
            let path = path.to_owned();
            move |source| DataDirError::Io { path, source }
        };
        let mut tightened = Vec::new();
        for dir in [self.root.clone(), self.keys_dir()] {
            let Ok(metadata) = std::fs::metadata(&dir) else {
                continue;
            };
            if metadata.permissions().mode() & 0o077 != 0 {
                // Another owner's directory (a mount, a packaging choice) is worth a warning,
                // not a refusal: the key files inside are still checked below.
                let failed =
                    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700)).err();
                tightened.push((dir, failed));
            }
        }
        let mut private = vec![self.recovery_secret_file()];
        if let Ok(entries) = std::fs::read_dir(self.keys_dir()) {
            for entry in entries {
                let path = entry.map_err(io(&self.keys_dir()))?.path();
                if path.extension().is_some_and(|e| e != "pub") {
                    private.push(path);
                }
            }
        }
        for path in private {
            let Ok(metadata) = std::fs::metadata(&path) else {
                continue;
            };
            let mode = metadata.permissions().mode() & 0o777;
            if mode & 0o077 != 0 {
                return Err(DataDirError::KeyExposed { path, mode });
            }
        }
        Ok(tightened)
    }

    /// Reads the server's keys.
    pub fn keys(&self) -> Result<ServerKeys, DataDirError> {
        let recovery_text = read(&self.recovery_public_file())?;
        let recovery: RecoveryKey = recovery_text
            .trim()
            .parse()
            .map_err(|_| DataDirError::BadKeyFile(self.recovery_public_file()))?;
        Ok(ServerKeys {
            signing: read_key_file(&self.signing_key_file())?,
            relay: read_key_file(&self.relay_key_file())?,
            recovery,
        })
    }

    /// Where a rotation stages the next signing key before committing it.
    pub fn staged_signing_key_file(&self) -> PathBuf {
        self.keys_dir().join("signing.key.new")
    }

    /// Writes `new` as the staged signing key (replacing an earlier staged one).
    pub fn stage_signing_key(&self, new: &KeyPair) -> Result<(), DataDirError> {
        let staged = self.staged_signing_key_file();
        let _ = std::fs::remove_file(&staged);
        write_key_file(&staged, new)
    }

    /// Makes the staged key the signing key, keeping the old one as
    /// `signing.<rotation>.retired`. The final rename is atomic: a crash leaves either key.
    pub fn commit_staged_signing_key(&self, rotation: u64) -> Result<(), DataDirError> {
        let retired = self.keys_dir().join(format!("signing.{rotation}.retired"));
        if !retired.exists() {
            let old = read(&self.signing_key_file())?;
            write_new(&retired, old.as_bytes(), 0o600)?;
        }
        std::fs::rename(self.staged_signing_key_file(), self.signing_key_file()).map_err(|source| {
            DataDirError::Io {
                path: self.signing_key_file(),
                source,
            }
        })
    }
}

/// Reads a key file written by [`write_key_file`].
pub fn read_key_file(path: &Path) -> Result<KeyPair, DataDirError> {
    let text = read(path)?;
    let line = text
        .lines()
        .find(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .unwrap_or("");
    let mut seed = [0u8; 32];
    hex::decode_to_slice(line.trim(), &mut seed)
        .map_err(|_| DataDirError::BadKeyFile(path.to_owned()))?;
    Ok(KeyPair::from_seed(seed))
}

/// Writes a new key file (mode 0600): comment lines, then the 32-byte seed in hex.
pub fn write_key_file(path: &Path, key: &KeyPair) -> Result<(), DataDirError> {
    let public = key.public_key();
    let text = format!(
        "# ic-server Ed25519 secret key. Public key: {public}\n# Keep this file private.\n{}\n",
        hex::encode(key.seed())
    );
    write_new(path, text.as_bytes(), 0o600)
}

fn read(path: &Path) -> Result<String, DataDirError> {
    std::fs::read_to_string(path).map_err(|source| {
        if source.kind() == std::io::ErrorKind::NotFound {
            DataDirError::Missing(path.to_owned())
        } else {
            DataDirError::Io {
                path: path.to_owned(),
                source,
            }
        }
    })
}

fn create_dir(path: &Path) -> Result<(), DataDirError> {
    use std::os::unix::fs::DirBuilderExt;
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(path)
        .map_err(|source| DataDirError::Io {
            path: path.to_owned(),
            source,
        })
}

/// Creates `path` (failing if it exists), writes and syncs it.
fn write_new(path: &Path, bytes: &[u8], mode: u32) -> Result<(), DataDirError> {
    let io = |source| DataDirError::Io {
        path: path.to_owned(),
        source,
    };
    let mut file = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(mode)
        .open(path)
        .map_err(io)?;
    file.write_all(bytes).map_err(io)?;
    file.sync_all().map_err(io)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn init_creates_keys_once_with_private_modes() {
        let dir = tempfile::tempdir().unwrap();
        let data = DataDir::new(dir.path().join("data"));
        let first = data.init(&mut rand::rngs::OsRng).unwrap();
        assert!(first.wrote_config && first.generated_keys);
        let keys = data.keys().unwrap();
        for file in [
            data.signing_key_file(),
            data.relay_key_file(),
            data.recovery_secret_file(),
            data.witness_key_file(),
        ] {
            let mode = std::fs::metadata(&file).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o600, "{}", file.display());
        }
        let second = data.init(&mut rand::rngs::OsRng).unwrap();
        assert!(!second.wrote_config && !second.generated_keys);
        let again = data.keys().unwrap();
        assert_eq!(again.signing.public_key(), keys.signing.public_key());
        assert_eq!(again.recovery, keys.recovery);
        let recovery = read_key_file(&data.recovery_secret_file()).unwrap();
        assert_eq!(RecoveryKey::from(recovery.public_key()), keys.recovery);
    }

    #[test]
    fn the_witness_key_stays_and_an_older_directory_gets_one() {
        let dir = tempfile::tempdir().unwrap();
        let data = DataDir::new(dir.path());
        data.init(&mut rand::rngs::OsRng).unwrap();
        let witness = data.witness_key(&mut rand::rngs::OsRng).unwrap();
        let again = data.witness_key(&mut rand::rngs::OsRng).unwrap();
        assert_eq!(witness.public_key(), again.public_key());
        assert_ne!(
            witness.public_key(),
            data.keys().unwrap().signing.public_key()
        );
        // A data directory from before witnesses has none; the first read makes one.
        std::fs::remove_file(data.witness_key_file()).unwrap();
        let made = data.witness_key(&mut rand::rngs::OsRng).unwrap();
        assert_ne!(made.public_key(), witness.public_key());
        let mode = std::fs::metadata(data.witness_key_file())
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
}
