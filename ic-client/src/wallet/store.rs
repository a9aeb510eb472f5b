//! One community's wallet file: opening it with the reference PRAGMAs, reading what it holds, and
//! writing verified records, rotations and revocations, each write one transaction.

use std::path::{Path, PathBuf};
use std::time::Duration;

use scr::payload::{KeyRotationPayload, Payload};
use scr::{
    CommunityKey, KeyChain, PlayerContext, PlayerKey, Record, RecordType, RecoveryKey,
    RevocationTable, Verified, Verifier,
};
use sqlx::sqlite::{
    SqliteAutoVacuum, SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions,
    SqliteSynchronous,
};
use sqlx::{Row as _, Sqlite, Transaction};

use super::WalletError;
use super::record_rows::write_records;
use crate::community::FollowedChain;

/// The embedded, forward-only schema migrations.
static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

/// What the wallet knows about its community (the `community_info` row).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommunityInfo {
    /// The current signing key.
    pub community_key: CommunityKey,
    /// The recovery key cached at join.
    pub recovery_key: RecoveryKey,
    /// The signing key pinned at join, where the rotation chain starts.
    pub pinned_key: CommunityKey,
    /// The community's name.
    pub name: String,
    /// The server URL pinned at join.
    pub server_url: String,
    /// Capabilities the community document listed at the last contact.
    pub capabilities: Vec<String>,
    /// `effective_at` of the last rotation followed, `None` while the pinned key is current.
    pub sk_rotated_at: Option<i64>,
    /// When the player joined.
    pub joined_at: i64,
    /// When the wallet last synced.
    pub last_sync: i64,
    /// The highest record sequence received.
    pub last_sequence: u64,
    /// The player's identity key in this community.
    pub player_key: PlayerKey,
}

/// A new wallet's first contents, written when the player joins.
#[derive(Debug, Clone)]
pub struct NewCommunity {
    /// The pinned signing key (also the current one).
    pub community_key: CommunityKey,
    /// The recovery key.
    pub recovery_key: RecoveryKey,
    /// The community's name.
    pub name: String,
    /// The server URL to pin.
    pub server_url: String,
    /// Capabilities listed by the community document.
    pub capabilities: Vec<String>,
    /// The player's identity key.
    pub player_key: PlayerKey,
    /// When the player joined (registered).
    pub joined_at: i64,
}

/// One stored record and the wallet's mark on it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredRecord {
    /// The record's bytes as the community signed them.
    pub bytes: Vec<u8>,
    /// Whether a stored revocation covers it.
    pub revoked: bool,
}

/// The newest rating record of one module and algorithm.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredRating {
    /// Game module.
    pub game_module: String,
    /// Rating algorithm.
    pub algorithm_id: String,
    /// Sequence of the record.
    pub sequence: u64,
    /// Expiry (Unix seconds).
    pub expires_at: i64,
    /// Whether it is revoked.
    pub revoked: bool,
    /// The record's bytes.
    pub bytes: Vec<u8>,
}

/// What one write changed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ApplyReport {
    /// Records stored that the wallet did not hold.
    pub stored: usize,
    /// Rating records that replaced an older rating of the same module and algorithm.
    pub superseded: usize,
    /// Records already held (or older than what is held) and therefore ignored.
    pub ignored: usize,
    /// Revocations that raised a minimum.
    pub revocations_applied: usize,
    /// Stored records newly marked revoked.
    pub marked_revoked: u64,
    /// Rotations added to the stored chain.
    pub rotations_followed: usize,
}

/// An open wallet file of one community.
#[derive(Debug, Clone)]
pub struct CommunityStore {
    pub(super) pool: SqlitePool,
    path: PathBuf,
}

impl CommunityStore {
    /// Opens an existing wallet file, applying pending migrations.
    pub async fn open(path: &Path) -> Result<Self, WalletError> {
        if !path.is_file() {
            return Err(WalletError::NotFound(path.to_owned()));
        }
        let store = Self::connect(path, SqliteJournalMode::Wal, false).await?;
        // A file without its community row is not a wallet (joins write it before the file
        // gets its final name, so a finished join always has it).
        store.info().await?;
        Ok(store)
    }

    /// Creates a wallet file at `path` (which must not exist) holding `community` and the
    /// verified records, in one transaction. Used on a temporary path by `join`, then renamed.
    pub(crate) async fn create(
        path: &Path,
        community: &NewCommunity,
        records: &[Verified<Record>],
        highest_sequence: u64,
    ) -> Result<(Self, ApplyReport), WalletError> {
        // Rollback journal rather than WAL: the file is renamed after closing, and a journal
        // file left beside it would not follow the rename.
        let store = Self::connect(path, SqliteJournalMode::Delete, true).await?;
        let mut tx = store.pool.begin().await?;
        let key = community.community_key;
        let recovery = community.recovery_key;
        let capabilities = serde_json::to_string(&community.capabilities)
            .map_err(|error| WalletError::Corrupt(error.to_string()))?;
        sqlx::query(
            "INSERT INTO community_info (id, community_key, recovery_key, pinned_key, \
             community_name, server_url, key_fingerprint, rk_fingerprint, capabilities, \
             sk_rotated_at, joined_at, last_sync, last_sequence) \
             VALUES (1, ?, ?, ?, ?, ?, ?, ?, ?, NULL, ?, ?, 0)",
        )
        .bind(key.as_bytes().as_slice())
        .bind(recovery.as_bytes().as_slice())
        .bind(key.as_bytes().as_slice())
        .bind(&community.name)
        .bind(&community.server_url)
        .bind(key.fingerprint().to_string())
        .bind(recovery.fingerprint().to_string())
        .bind(capabilities)
        .bind(community.joined_at)
        .bind(community.joined_at)
        .execute(&mut *tx)
        .await?;
        sqlx::query("INSERT INTO player_info (id, player_key, registered_at) VALUES (1, ?, ?)")
            .bind(community.player_key.as_bytes().as_slice())
            .bind(community.joined_at)
            .execute(&mut *tx)
            .await?;
        let report = write_records(
            &mut tx,
            community.player_key,
            records,
            highest_sequence,
            community.joined_at,
        )
        .await?;
        tx.commit().await?;
        Ok((store, report))
    }

    async fn connect(
        path: &Path,
        journal: SqliteJournalMode,
        create: bool,
    ) -> Result<Self, WalletError> {
        // PRAGMAs of reference §1.9 (D034) for communities/*.db.
        let options = SqliteConnectOptions::new()
            .filename(path)
            .create_if_missing(create)
            .journal_mode(journal)
            .synchronous(SqliteSynchronous::Full)
            .busy_timeout(Duration::from_millis(3000))
            .foreign_keys(true)
            .auto_vacuum(SqliteAutoVacuum::None)
            .page_size(4096)
            .pragma("cache_size", "-512")
            .pragma("mmap_size", "0")
            .pragma("wal_autocheckpoint", "100");
        // One connection: the wallet is one player's file and every write is serialised anyway.
        let pool = SqlitePoolOptions::new()
            .max_connections(1)
            .connect_with(options)
            .await?;
        MIGRATOR.run(&pool).await?;
        Ok(Self {
            pool,
            path: path.to_owned(),
        })
    }

    /// The file this store reads and writes.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Closes the file, checkpointing the write-ahead log into it.
    pub async fn close(self) {
        self.pool.close().await;
    }

    /// Switches the file to a rollback journal, so that after closing it is one self-contained
    /// file that can be moved.
    pub(crate) async fn close_for_move(self) -> Result<(), WalletError> {
        sqlx::query("PRAGMA journal_mode = DELETE")
            .execute(&self.pool)
            .await?;
        self.pool.close().await;
        Ok(())
    }

    /// Runs SQLite's integrity check over the whole file.
    pub async fn check_integrity(&self) -> Result<(), WalletError> {
        let verdict: String = sqlx::query_scalar("PRAGMA integrity_check")
            .fetch_one(&self.pool)
            .await?;
        if verdict == "ok" {
            Ok(())
        } else {
            Err(WalletError::Corrupt(format!("integrity check: {verdict}")))
        }
    }

    /// The community and player this wallet belongs to.
    pub async fn info(&self) -> Result<CommunityInfo, WalletError> {
        let row = sqlx::query(
            "SELECT c.community_key, c.recovery_key, c.pinned_key, c.community_name, c.server_url, \
             c.capabilities, c.sk_rotated_at, c.joined_at, c.last_sync, c.last_sequence, p.player_key \
             FROM community_info c, player_info p",
        )
        .fetch_optional(&self.pool)
        .await?
        .ok_or_else(|| WalletError::NotAWallet(self.path.clone()))?;
        let capabilities: String = row.try_get("capabilities")?;
        Ok(CommunityInfo {
            community_key: CommunityKey::from_bytes(key_bytes(row.try_get("community_key")?)?),
            recovery_key: RecoveryKey::from_bytes(key_bytes(row.try_get("recovery_key")?)?),
            pinned_key: CommunityKey::from_bytes(key_bytes(row.try_get("pinned_key")?)?),
            name: row.try_get("community_name")?,
            server_url: row.try_get("server_url")?,
            capabilities: serde_json::from_str(&capabilities)
                .map_err(|error| WalletError::Corrupt(format!("capabilities: {error}")))?,
            sk_rotated_at: row.try_get("sk_rotated_at")?,
            joined_at: row.try_get("joined_at")?,
            last_sync: row.try_get("last_sync")?,
            last_sequence: from_db_u64(row.try_get("last_sequence")?, "last_sequence")?,
            player_key: PlayerKey::from_bytes(key_bytes(row.try_get("player_key")?)?),
        })
    }

    /// The stored rotation records, in rotation order (from the pinned key on).
    pub async fn rotation_records(&self) -> Result<Vec<Vec<u8>>, WalletError> {
        let rows = sqlx::query("SELECT rotation_record FROM key_rotations ORDER BY sequence")
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|row| row.try_get("rotation_record").map_err(WalletError::from))
            .collect()
    }

    /// The key chain from the pinned key through every stored rotation, verified again.
    pub async fn key_chain(&self) -> Result<KeyChain, WalletError> {
        let info = self.info().await?;
        let rotations = self.rotation_records().await?;
        let chain = KeyChain::from_rotations(
            info.pinned_key,
            Some(info.recovery_key),
            rotations.iter().map(Vec::as_slice),
        )
        .map_err(|error| WalletError::Corrupt(format!("stored rotation chain: {error}")))?;
        if chain.current() != info.community_key {
            return Err(WalletError::Corrupt(format!(
                "stored rotation chain ends at {}, but the stored current key is {}",
                chain.current(),
                info.community_key
            )));
        }
        Ok(chain)
    }

    /// The player's revocation table as stored.
    pub async fn revocation_table(&self) -> Result<RevocationTable, WalletError> {
        let info = self.info().await?;
        let mut table = RevocationTable::new(info.player_key);
        for (record_type, min_valid) in self.revocation_minimums().await? {
            table.raise(record_type, min_valid);
        }
        Ok(table)
    }

    async fn revocation_minimums(&self) -> Result<Vec<(RecordType, u64)>, WalletError> {
        let rows = sqlx::query("SELECT record_type, min_valid_sequence FROM revocations")
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|row| {
                let byte: i64 = row.try_get("record_type")?;
                let record_type = u8::try_from(byte)
                    .ok()
                    .and_then(RecordType::from_byte)
                    .ok_or_else(|| WalletError::Corrupt(format!("revocation type {byte}")))?;
                let min_valid =
                    from_db_u64(row.try_get("min_valid_sequence")?, "min_valid_sequence")?;
                Ok((record_type, min_valid))
            })
            .collect()
    }

    /// A verifier for this community's records of this wallet's player: the stored chain and
    /// the stored revocations.
    pub async fn verifier(&self) -> Result<Verifier, WalletError> {
        let chain = self.key_chain().await?;
        let table = self.revocation_table().await?;
        Ok(Verifier::new(chain).with_player(PlayerContext::new(table)))
    }

    /// Every stored record (ratings, matches, achievements, revocations), by sequence.
    pub async fn records(&self) -> Result<Vec<StoredRecord>, WalletError> {
        let rows = sqlx::query(
            "SELECT sequence, scr_blob, revoked FROM ratings \
             UNION ALL SELECT sequence, scr_blob, revoked FROM matches \
             UNION ALL SELECT sequence, scr_blob, revoked FROM achievements \
             UNION ALL SELECT NULL, scr_blob, 0 FROM revocations \
             ORDER BY 1",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                Ok(StoredRecord {
                    bytes: row.try_get("scr_blob")?,
                    revoked: row.try_get::<i64, _>("revoked")? != 0,
                })
            })
            .collect()
    }

    /// The newest rating record per module and algorithm.
    pub async fn ratings(&self) -> Result<Vec<StoredRating>, WalletError> {
        let rows = sqlx::query(
            "SELECT game_module, rating_type, sequence, expires_at, revoked, scr_blob \
             FROM ratings ORDER BY game_module, rating_type",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                Ok(StoredRating {
                    game_module: row.try_get("game_module")?,
                    algorithm_id: row.try_get("rating_type")?,
                    sequence: from_db_u64(row.try_get("sequence")?, "sequence")?,
                    expires_at: row.try_get("expires_at")?,
                    revoked: row.try_get::<i64, _>("revoked")? != 0,
                    bytes: row.try_get("scr_blob")?,
                })
            })
            .collect()
    }

    /// Writes a sync's result in one transaction: the followed key chain (if the key changed),
    /// the verified records, the highest sequence seen and the sync time.
    pub async fn apply(
        &self,
        chain: Option<&FollowedChain>,
        capabilities: Option<&[String]>,
        records: &[Verified<Record>],
        highest_sequence: u64,
        now: i64,
    ) -> Result<ApplyReport, WalletError> {
        let info = self.info().await?;
        let mut tx = self.pool.begin().await?;
        let mut rotations_followed = 0;
        if let Some(chain) = chain {
            if chain.pinned() != info.pinned_key {
                return Err(WalletError::Corrupt(
                    "a key chain for another pinned key was given to this wallet".into(),
                ));
            }
            for rotation in chain.new_rotations() {
                insert_rotation(&mut tx, rotation).await?;
                rotations_followed += 1;
            }
            sqlx::query(
                "UPDATE community_info SET community_key = ?, key_fingerprint = ?, sk_rotated_at = ?",
            )
            .bind(chain.current().as_bytes().as_slice())
            .bind(chain.current().fingerprint().to_string())
            .bind(chain.rotated_at())
            .execute(&mut *tx)
            .await?;
        }
        if let Some(capabilities) = capabilities {
            let text = serde_json::to_string(capabilities)
                .map_err(|error| WalletError::Corrupt(error.to_string()))?;
            sqlx::query("UPDATE community_info SET capabilities = ?")
                .bind(text)
                .execute(&mut *tx)
                .await?;
        }
        let mut report =
            write_records(&mut tx, info.player_key, records, highest_sequence, now).await?;
        report.rotations_followed = rotations_followed;
        tx.commit().await?;
        Ok(report)
    }
}

async fn insert_rotation(
    tx: &mut Transaction<'_, Sqlite>,
    rotation: &Record,
) -> Result<(), WalletError> {
    let Payload::KeyRotation(KeyRotationPayload {
        old_key,
        new_key,
        signed_by,
        reason,
        effective_at,
        grace_until,
    }) = rotation.payload()
    else {
        return Err(WalletError::Corrupt(
            "a non-rotation record in the key chain".into(),
        ));
    };
    sqlx::query(
        "INSERT INTO key_rotations (sequence, old_key, new_key, signed_by, reason, effective_at, \
         grace_until, rotation_record) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(to_db_i64(rotation.sequence(), "sequence")?)
    .bind(old_key.as_bytes().as_slice())
    .bind(new_key.as_bytes().as_slice())
    .bind(signed_by.name())
    .bind(reason.name())
    .bind(*effective_at)
    .bind(*grace_until)
    .bind(rotation.as_bytes())
    .execute(&mut **tx)
    .await?;
    Ok(())
}

fn key_bytes(bytes: Vec<u8>) -> Result<[u8; 32], WalletError> {
    <[u8; 32]>::try_from(bytes.as_slice())
        .map_err(|_| WalletError::Corrupt(format!("a stored key is {} bytes", bytes.len())))
}

pub(super) fn to_db_i64(value: u64, field: &'static str) -> Result<i64, WalletError> {
    i64::try_from(value).map_err(|_| WalletError::OutOfRange { field, value })
}

pub(super) fn from_db_u64(value: i64, field: &'static str) -> Result<u64, WalletError> {
    u64::try_from(value).map_err(|_| WalletError::Corrupt(format!("{field} is negative")))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use crate::community::{KeyCheck, follow};
    use crate::test_support::{Community, player_key};
    use scr::Verifier;

    const NOW: i64 = 1_700_000_000;

    fn verify_all(verifier: &Verifier, records: &[Record]) -> Vec<Verified<Record>> {
        records
            .iter()
            .map(|record| verifier.verify(record.as_bytes(), NOW).unwrap())
            .collect()
    }

    async fn new_store(dir: &Path, community: &Community, records: &[Record]) -> CommunityStore {
        let verifier =
            Verifier::for_keys(community.current_key(), community.recovery_key()).unwrap();
        let verified = verify_all(&verifier, records);
        let highest = records.iter().map(Record::sequence).max().unwrap_or(0);
        let (store, _) = CommunityStore::create(
            &dir.join("alpha.db"),
            &NewCommunity {
                community_key: community.current_key(),
                recovery_key: community.recovery_key(),
                name: "Alpha".into(),
                server_url: "http://127.0.0.1:1".into(),
                capabilities: vec!["ranking".into()],
                player_key: player_key(1),
                joined_at: NOW,
            },
            &verified,
            highest,
        )
        .await
        .unwrap();
        store
    }

    #[tokio::test]
    async fn a_new_wallet_has_the_reference_schema_and_pragmas() {
        let dir = tempfile::tempdir().unwrap();
        let community = Community::new(1);
        let store = new_store(
            dir.path(),
            &community,
            &[community.rating(player_key(1), 1, NOW, "ra", 1_500_000)],
        )
        .await;
        let path = store.path().to_owned();
        store.close().await;
        let store = CommunityStore::open(&path).await.unwrap();
        let info = store.info().await.unwrap();
        assert_eq!(info.community_key, community.current_key());
        assert_eq!(info.pinned_key, community.current_key());
        assert_eq!(info.player_key, player_key(1));
        assert_eq!(info.last_sequence, 1);
        assert_eq!(info.capabilities, vec!["ranking".to_owned()]);
        let synchronous: i64 = sqlx::query_scalar("PRAGMA synchronous")
            .fetch_one(&store.pool)
            .await
            .unwrap();
        assert_eq!(synchronous, 2, "synchronous=FULL");
        let journal: String = sqlx::query_scalar("PRAGMA journal_mode")
            .fetch_one(&store.pool)
            .await
            .unwrap();
        assert_eq!(journal, "wal");
        let version: i64 = sqlx::query_scalar("PRAGMA user_version")
            .fetch_one(&store.pool)
            .await
            .unwrap();
        assert_eq!(version, 1);
        let meta: i64 = sqlx::query_scalar("SELECT max(version) FROM _schema_meta")
            .fetch_one(&store.pool)
            .await
            .unwrap();
        assert_eq!(meta, 1);
        for table in [
            "community_info",
            "key_rotations",
            "player_info",
            "ratings",
            "matches",
            "achievements",
            "revocations",
        ] {
            let count: i64 = sqlx::query_scalar(
                "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = ?",
            )
            .bind(table)
            .fetch_one(&store.pool)
            .await
            .unwrap();
            assert_eq!(count, 1, "{table}");
        }
        assert_eq!(store.ratings().await.unwrap().len(), 1);
    }

    #[tokio::test]
    async fn duplicates_are_ignored_and_newer_ratings_supersede_older_ones() {
        let dir = tempfile::tempdir().unwrap();
        let community = Community::new(1);
        let player = player_key(1);
        let first = community.rating(player, 1, NOW, "ra", 1_500_000);
        let store = new_store(dir.path(), &community, std::slice::from_ref(&first)).await;
        let verifier = store.verifier().await.unwrap();
        let game = community.game(player, 2, NOW, 7);
        let newer = community.rating(player, 3, NOW, "ra", 1_520_000);
        let other_module = community.rating(player, 4, NOW, "td", 1_500_000);
        let batch = verify_all(
            &verifier,
            &[first.clone(), game.clone(), newer.clone(), other_module],
        );
        let report = store.apply(None, None, &batch, 4, NOW).await.unwrap();
        assert_eq!(
            (report.stored, report.superseded, report.ignored),
            (2, 1, 1)
        );
        // The same again changes nothing, and an older rating never replaces a newer one.
        let again = verify_all(&verifier, &[first, game, newer.clone()]);
        let report = store.apply(None, None, &again, 4, NOW).await.unwrap();
        assert_eq!(
            (report.stored, report.superseded, report.ignored),
            (0, 0, 3)
        );
        let ratings = store.ratings().await.unwrap();
        let ra = ratings.iter().find(|r| r.game_module == "ra").unwrap();
        assert_eq!(ra.sequence, 3);
        assert_eq!(ra.bytes, newer.as_bytes());
        assert_eq!(store.records().await.unwrap().len(), 3);
        assert_eq!(store.info().await.unwrap().last_sequence, 4);
    }

    #[tokio::test]
    async fn revocations_mark_what_they_revoke() {
        let dir = tempfile::tempdir().unwrap();
        let community = Community::new(1);
        let player = player_key(1);
        let store = new_store(
            dir.path(),
            &community,
            &[
                community.rating(player, 1, NOW, "ra", 1_500_000),
                community.game(player, 2, NOW, 7),
            ],
        )
        .await;
        let verifier = store.verifier().await.unwrap();
        let revocation = community.revocation(player, 3, NOW, RecordType::Rating, 3);
        let report = store
            .apply(
                None,
                None,
                &verify_all(&verifier, std::slice::from_ref(&revocation)),
                3,
                NOW,
            )
            .await
            .unwrap();
        assert_eq!((report.revocations_applied, report.marked_revoked), (1, 1));
        let records = store.records().await.unwrap();
        let revoked: Vec<bool> = records.iter().map(|r| r.revoked).collect();
        assert_eq!(
            revoked.iter().filter(|r| **r).count(),
            1,
            "only the rating is revoked"
        );
        assert!(store.ratings().await.unwrap()[0].revoked);
        assert_eq!(
            store
                .revocation_table()
                .await
                .unwrap()
                .min_valid(RecordType::Rating),
            3
        );
        // A lower revocation later changes nothing.
        let lower = community.revocation(player, 4, NOW, RecordType::Rating, 2);
        let verifier = store.verifier().await.unwrap();
        let report = store
            .apply(
                None,
                None,
                &verify_all(&verifier, &[revocation, lower]),
                4,
                NOW,
            )
            .await
            .unwrap();
        assert_eq!((report.revocations_applied, report.ignored), (0, 2));
        assert_eq!(
            store
                .revocation_table()
                .await
                .unwrap()
                .min_valid(RecordType::Rating),
            3
        );
        // A new rating after the revocation is stored unmarked.
        let fresh = community.rating(player, 5, NOW, "ra", 1_400_000);
        let verifier = store.verifier().await.unwrap();
        store
            .apply(None, None, &verify_all(&verifier, &[fresh]), 5, NOW)
            .await
            .unwrap();
        assert!(!store.ratings().await.unwrap()[0].revoked);
    }

    #[tokio::test]
    async fn a_followed_rotation_is_stored_and_the_chain_rebuilt() {
        let dir = tempfile::tempdir().unwrap();
        let mut community = Community::new(1);
        let store = new_store(dir.path(), &community, &[]).await;
        community.rotate_voluntarily(NOW - 10);
        let info = store.info().await.unwrap();
        let KeyCheck::Rotated(followed) = follow(&info, &[], &community.document("Alpha")).unwrap()
        else {
            panic!("expected a rotation");
        };
        let report = store
            .apply(Some(&followed), None, &[], 0, NOW)
            .await
            .unwrap();
        assert_eq!(report.rotations_followed, 1);
        let info = store.info().await.unwrap();
        assert_eq!(info.community_key, community.current_key());
        assert_eq!(info.sk_rotated_at, Some(NOW - 10));
        assert_eq!(
            store.key_chain().await.unwrap().current(),
            community.current_key()
        );
        assert_eq!(store.rotation_records().await.unwrap(), community.rotations);
        // Records by the new key now verify against the stored chain.
        let verifier = store.verifier().await.unwrap();
        verifier
            .verify(
                community.rating(player_key(1), 1, NOW, "ra", 1).as_bytes(),
                NOW,
            )
            .unwrap();
    }

    #[tokio::test]
    async fn a_failing_write_leaves_nothing_behind() {
        let dir = tempfile::tempdir().unwrap();
        let community = Community::new(1);
        let store = new_store(dir.path(), &community, &[]).await;
        // A verifier without a player context lets another player's record through to the
        // store, which must refuse the whole batch.
        let any_player =
            Verifier::for_keys(community.current_key(), community.recovery_key()).unwrap();
        let batch = verify_all(
            &any_player,
            &[
                community.rating(player_key(1), 1, NOW, "ra", 1),
                community.rating(player_key(2), 2, NOW, "td", 1),
            ],
        );
        assert!(matches!(
            store.apply(None, None, &batch, 2, NOW + 5).await,
            Err(WalletError::WrongPlayer { .. })
        ));
        assert!(store.records().await.unwrap().is_empty());
        let info = store.info().await.unwrap();
        assert_eq!((info.last_sequence, info.last_sync), (0, NOW));
    }

    #[tokio::test]
    async fn a_file_that_is_not_a_wallet_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        assert!(matches!(
            CommunityStore::open(&dir.path().join("none.db")).await,
            Err(WalletError::NotFound(_))
        ));
        let junk = dir.path().join("junk.db");
        std::fs::write(&junk, b"this is not sqlite").unwrap();
        assert!(CommunityStore::open(&junk).await.is_err());
    }
}
