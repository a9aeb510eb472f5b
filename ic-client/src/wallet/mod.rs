//! The wallet: a data directory with the identity key and `communities/<slug>.db`, one SQLite
//! file per community, each its own trust domain.

mod history;
mod log;
mod record_rows;
mod slug;
mod store;
mod witnesses;

use std::fs;
use std::os::unix::fs::PermissionsExt as _;
use std::path::{Path, PathBuf};

use scr::PlayerKey;

pub use history::{WalletAchievement, WalletMatch};
pub use log::{Evidence, RecordProof, SeenCheckpoint};
pub use slug::slug_for;
pub use store::{
    ApplyReport, CommunityInfo, CommunityStore, NewCommunity, StoredRating, StoredRecord,
};
pub use witnesses::{FUTURE_SLACK_SECS, WitnessPolicy};

/// Why the wallet could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum WalletError {
    /// The database said no.
    #[error("wallet database: {0}")]
    Database(#[from] sqlx::Error),
    /// A schema migration failed.
    #[error("wallet schema migration: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// No wallet file at the path.
    #[error("no wallet file at {0}")]
    NotFound(PathBuf),
    /// The file is a database but not a finished wallet.
    #[error("{0} is not a community wallet (no community row)")]
    NotAWallet(PathBuf),
    /// The wallet's contents contradict themselves.
    #[error("wallet is damaged: {0}")]
    Corrupt(String),
    /// A record for another player was about to be stored.
    #[error("record is for player {found}, this wallet belongs to {expected}")]
    WrongPlayer {
        /// The wallet's player.
        expected: PlayerKey,
        /// The record's player.
        found: PlayerKey,
    },
    /// A number too large for SQLite's signed 64-bit integers.
    #[error("{field} {value} is too large to store")]
    OutOfRange {
        /// The field.
        field: &'static str,
        /// Its value.
        value: u64,
    },
    /// A file operation failed.
    #[error("{path}: {message}")]
    Io {
        /// The path.
        path: PathBuf,
        /// What the OS said.
        message: String,
    },
    /// No joined community matches the name.
    #[error("no joined community is called {0:?} (see `ic communities`)")]
    UnknownCommunity(String),
    /// Several joined communities match the name.
    #[error("{0:?} matches several communities: {1:?}; use the slug")]
    Ambiguous(String, Vec<String>),
}

/// A joined community: its slug (file name) and what its wallet says about it.
#[derive(Debug, Clone)]
pub struct JoinedCommunity {
    /// The file name without `.db`.
    pub slug: String,
    /// The wallet's community row.
    pub info: CommunityInfo,
}

/// The player's data directory.
#[derive(Debug, Clone)]
pub struct Wallet {
    data_dir: PathBuf,
}

impl Wallet {
    /// Opens (creating if needed, owner-only) the data directory.
    pub fn open(data_dir: &Path) -> Result<Self, WalletError> {
        let wallet = Self {
            data_dir: data_dir.to_owned(),
        };
        for dir in [data_dir.to_owned(), wallet.communities_dir()] {
            fs::create_dir_all(&dir).map_err(|error| io_error(&dir, &error))?;
            fs::set_permissions(&dir, fs::Permissions::from_mode(0o700))
                .map_err(|error| io_error(&dir, &error))?;
        }
        Ok(wallet)
    }

    /// The data directory.
    pub fn data_dir(&self) -> &Path {
        &self.data_dir
    }

    /// Where the identity key lives: `<data_dir>/keys/identity.key`.
    pub fn identity_path(&self) -> PathBuf {
        self.data_dir.join("keys").join("identity.key")
    }

    /// The directory of the per-community files.
    pub fn communities_dir(&self) -> PathBuf {
        self.data_dir.join("communities")
    }

    /// The wallet file of `slug`.
    pub fn community_path(&self, slug: &str) -> PathBuf {
        self.communities_dir().join(format!("{slug}.db"))
    }

    /// Slugs of every joined community, sorted.
    pub fn slugs(&self) -> Result<Vec<String>, WalletError> {
        let dir = self.communities_dir();
        let entries = fs::read_dir(&dir).map_err(|error| io_error(&dir, &error))?;
        let mut slugs = Vec::new();
        for entry in entries {
            let entry = entry.map_err(|error| io_error(&dir, &error))?;
            let name = entry.file_name();
            let Some(name) = name.to_str() else { continue };
            // Hidden files are joins in progress; `left/` holds archived wallets.
            if let Some(slug) = name.strip_suffix(".db") {
                if !slug.starts_with('.') && entry.path().is_file() {
                    slugs.push(slug.to_owned());
                }
            }
        }
        slugs.sort();
        Ok(slugs)
    }

    /// Every joined community.
    pub async fn communities(&self) -> Result<Vec<JoinedCommunity>, WalletError> {
        let mut joined = Vec::new();
        for slug in self.slugs()? {
            let store = CommunityStore::open(&self.community_path(&slug)).await?;
            let info = store.info().await;
            store.close().await;
            joined.push(JoinedCommunity { slug, info: info? });
        }
        Ok(joined)
    }

    /// The slug of the joined community whose slug, name or key fingerprint is `name`. A slug
    /// is answered without opening any wallet file.
    pub async fn slug_of(&self, name: &str) -> Result<String, WalletError> {
        if self.slugs()?.iter().any(|slug| slug == name) {
            return Ok(name.to_owned());
        }
        let wanted = name.trim().to_lowercase();
        let matching: Vec<String> = self
            .communities()
            .await?
            .into_iter()
            .filter(|joined| {
                joined.info.name.to_lowercase() == wanted
                    || joined.info.community_key.fingerprint().to_string() == wanted
            })
            .map(|joined| joined.slug)
            .collect();
        match matching.as_slice() {
            [] => Err(WalletError::UnknownCommunity(name.to_owned())),
            [slug] => Ok(slug.clone()),
            _ => Err(WalletError::Ambiguous(name.to_owned(), matching)),
        }
    }

    /// Opens the community whose slug, name or key fingerprint is `name`.
    pub async fn open_community(
        &self,
        name: &str,
    ) -> Result<(String, CommunityStore), WalletError> {
        let slug = self.slug_of(name).await?;
        let store = CommunityStore::open(&self.community_path(&slug)).await?;
        Ok((slug, store))
    }

    /// Moves a community's wallet file to `communities/left/<slug>-<time>.db`: leaving keeps the
    /// records (they stay the player's), but the community is no longer synced or presented.
    pub async fn leave(&self, slug: &str, now: i64) -> Result<PathBuf, WalletError> {
        let path = self.community_path(slug);
        let store = CommunityStore::open(&path).await?;
        store.close_for_move().await?;
        let left = self.communities_dir().join("left");
        fs::create_dir_all(&left).map_err(|error| io_error(&left, &error))?;
        let target = left.join(format!("{slug}-{now}.db"));
        fs::rename(&path, &target).map_err(|error| io_error(&path, &error))?;
        Ok(target)
    }

    /// A free slug for a community called `name`.
    pub fn free_slug(&self, name: &str) -> Result<String, WalletError> {
        let taken = self.slugs()?;
        let base = slug_for(name);
        let mut candidate = base.clone();
        let mut n = 2;
        while taken.contains(&candidate) {
            candidate = format!("{base}-{n}");
            n += 1;
        }
        Ok(candidate)
    }
}

pub(crate) fn io_error(path: &Path, error: &std::io::Error) -> WalletError {
    WalletError::Io {
        path: path.to_owned(),
        message: error.to_string(),
    }
}
