//! Joining a community and syncing its wallet: pin or follow the keys, log in, fetch, verify every
//! record, then store the result in one transaction, so an interrupted sync leaves nothing half-done.

use std::fs;
use std::path::Path;

use rand::rngs::OsRng;
use scr::{
    CommunityKey, Fingerprint, KeyChain, PlayerContext, Record, RecordType, RevocationTable,
    Verified, Verifier, VerifyError,
};

use crate::api::{ApiClient, ApiError, Registration};
use crate::community::{KeyCheck, PinError, TrustBasis, follow, pin_first_contact};
use crate::identity::Identity;
use crate::wallet::{ApplyReport, CommunityStore, NewCommunity, Wallet, WalletError, io_error};

/// A rating expiring within this many seconds is re-issued by `sync` (two days).
pub const REISSUE_WINDOW_SECS: i64 = 2 * 24 * 60 * 60;

/// Why joining or syncing failed.
#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    /// Talking to the server failed.
    #[error(transparent)]
    Api(#[from] ApiError),
    /// The community's keys are not trusted.
    #[error(transparent)]
    Pin(#[from] PinError),
    /// The wallet could not be read or written.
    #[error(transparent)]
    Wallet(#[from] WalletError),
    /// The community is already in the wallet.
    #[error("already joined {name:?} (wallet {slug}); use `ic refresh` to sync it")]
    AlreadyJoined {
        /// The existing wallet's slug.
        slug: String,
        /// The community's name.
        name: String,
    },
    /// The wallet belongs to another identity than the one in use.
    #[error("the wallet of {slug} belongs to {wallet}, but the identity in use is {identity}")]
    WrongIdentity {
        /// The community.
        slug: String,
        /// The wallet's player key.
        wallet: scr::PlayerKey,
        /// The identity's key.
        identity: scr::PlayerKey,
    },
}

/// A record the wallet refused to store, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejected {
    /// The record's sequence, if it decoded.
    pub sequence: Option<u64>,
    /// The record's type, if it decoded.
    pub record_type: Option<RecordType>,
    /// Why it was refused.
    pub error: VerifyError,
}

/// Options of [`Client::join`].
#[derive(Debug, Clone, Default)]
pub struct JoinOptions {
    /// A fingerprint (16 hex) or key (`ed25519:…`) given out of band; without it, trust on
    /// first use.
    pub fingerprint: Option<String>,
    /// An invite code, for communities that require one.
    pub invite_code: Option<String>,
}

/// What [`Client::join`] did.
#[derive(Debug, Clone)]
pub struct JoinOutcome {
    /// The new wallet's slug.
    pub slug: String,
    /// The community's name.
    pub name: String,
    /// The pinned signing key.
    pub community_key: CommunityKey,
    /// Its fingerprint.
    pub fingerprint: Fingerprint,
    /// Whether the key was checked against a fingerprint or trusted on first use.
    pub trust: TrustBasis,
    /// Whether this join registered the key (false when it was registered before).
    pub newly_registered: bool,
    /// What was stored.
    pub report: ApplyReport,
    /// Records refused.
    pub rejected: Vec<Rejected>,
}

/// When [`Client::sync`] asks the community to re-issue rating records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Reissue {
    /// When a rating expires within [`REISSUE_WINDOW_SECS`] or no longer verifies (expired,
    /// revoked, or signed by a key retired since).
    #[default]
    WhenExpiring,
    /// Every sync.
    Always,
    /// Never.
    Never,
}

/// What [`Client::sync`] did for one community.
#[derive(Debug, Clone)]
pub struct SyncReport {
    /// The community's slug.
    pub slug: String,
    /// The signing key before and after, when the sync followed a rotation.
    pub rotated: Option<(CommunityKey, CommunityKey)>,
    /// Whether ratings were re-issued.
    pub reissued: bool,
    /// What was stored.
    pub report: ApplyReport,
    /// Records refused.
    pub rejected: Vec<Rejected>,
}

/// The player's side of the federation: a wallet, an identity and an HTTP client.
#[derive(Debug)]
pub struct Client {
    wallet: Wallet,
    identity: Identity,
    http: reqwest::Client,
}

impl Client {
    /// A client acting for `identity` on `wallet`.
    pub fn new(wallet: Wallet, identity: Identity) -> Self {
        Self {
            wallet,
            identity,
            http: reqwest::Client::new(),
        }
    }

    /// The wallet.
    pub fn wallet(&self) -> &Wallet {
        &self.wallet
    }

    /// The identity.
    pub fn identity(&self) -> &Identity {
        &self.identity
    }

    fn api(&self, url: &str) -> Result<ApiClient, ApiError> {
        ApiClient::with_http(self.http.clone(), url)
    }

    /// Joins the community at `url`: checks and pins its keys, registers the identity (or finds
    /// it registered), verifies the records it issued and writes the new wallet file.
    pub async fn join(
        &self,
        url: &str,
        options: &JoinOptions,
        now: i64,
    ) -> Result<JoinOutcome, SyncError> {
        let api = self.api(url)?;
        let document = api.community_document().await?;
        let trust = pin_first_contact(&document, options.fingerprint.as_deref())?;
        for joined in self.wallet.communities().await? {
            let same_key = joined.info.pinned_key == document.signing_key
                || joined.info.community_key == document.signing_key;
            if same_key || joined.info.server_url == api.base_url() {
                return Err(SyncError::AlreadyJoined {
                    slug: joined.slug,
                    name: joined.info.name,
                });
            }
        }
        let chain = KeyChain::new(document.signing_key, Some(document.recovery_key))
            .map_err(|error| PinError::BadDocument(error.to_string()))?;

        let session = api
            .login(self.identity.key_pair(), &document.signing_key)
            .await?;
        let (newly_registered, mut incoming) = match api
            .register(&session, options.invite_code.as_deref())
            .await?
        {
            Registration::Registered(records) => (true, records),
            Registration::AlreadyRegistered => (false, Vec::new()),
        };
        // Everything issued so far, including what a recovered identity earned before.
        incoming.extend(api.records_since(&session, 0).await?.records);

        let player = self.identity.player_key();
        // Records by keys before the pinned one are history this wallet cannot check (a rotation
        // chain that ends at the pinned key proves nothing about its start): refuse them and
        // move past them, unlike unknown signers later on.
        let checked = check_incoming(
            &chain,
            RevocationTable::new(player),
            incoming,
            now,
            UnknownSigner::SkipPast,
        );

        let slug = self.wallet.free_slug(&document.name)?;
        let final_path = self.wallet.community_path(&slug);
        // The file is built under a hidden name and renamed when complete: a join that is
        // interrupted never leaves a wallet that looks joined.
        let building = self
            .wallet
            .communities_dir()
            .join(format!(".{slug}.joining.db"));
        remove_if_present(&building)?;
        let community = NewCommunity {
            community_key: document.signing_key,
            recovery_key: document.recovery_key,
            name: document.name.clone(),
            server_url: api.base_url(),
            capabilities: document.capabilities.clone(),
            player_key: player,
            joined_at: now,
        };
        let (store, report) = CommunityStore::create(
            &building,
            &community,
            &checked.verified,
            checked.highest_sequence,
        )
        .await?;
        store.close().await;
        publish(&building, &final_path)?;
        Ok(JoinOutcome {
            slug,
            name: document.name,
            community_key: document.signing_key,
            fingerprint: document.signing_key.fingerprint(),
            trust,
            newly_registered,
            report,
            rejected: checked.rejected,
        })
    }

    /// Syncs one joined community: follows a rotated key only along a valid chain (refusing
    /// otherwise, with nothing changed), pulls new records and revocations, re-issues expiring
    /// ratings as `reissue` says, and stores everything in one transaction.
    pub async fn sync(
        &self,
        slug: &str,
        reissue: Reissue,
        now: i64,
    ) -> Result<SyncReport, SyncError> {
        let store = CommunityStore::open(&self.wallet.community_path(slug)).await?;
        let result = self.sync_store(slug, &store, reissue, now).await;
        store.close().await;
        result
    }

    /// Syncs every joined community, each on its own; one failing does not stop the others.
    pub async fn sync_all(
        &self,
        reissue: Reissue,
        now: i64,
    ) -> Result<Vec<(String, Result<SyncReport, SyncError>)>, SyncError> {
        let mut results = Vec::new();
        for slug in self.wallet.slugs()? {
            let result = self.sync(&slug, reissue, now).await;
            results.push((slug, result));
        }
        Ok(results)
    }

    /// Verifies what the peer with identity key `player` presented, against the chain this
    /// wallet pinned for `community`, after fetching the peer's revocations from the community.
    pub async fn verify_peer(
        &self,
        community: &str,
        player: scr::PlayerKey,
        presentation: &crate::present::Presentation,
        now: i64,
    ) -> Result<Vec<Result<Verified<Record>, VerifyError>>, SyncError> {
        let (_, store) = self.wallet.open_community(community).await?;
        let info = store.info().await;
        store.close().await;
        let revocations = self.api(&info?.server_url)?.revocations(&player).await?;
        Ok(self
            .wallet
            .verify_peer(community, player, presentation, &revocations, now)
            .await?)
    }

    async fn sync_store(
        &self,
        slug: &str,
        store: &CommunityStore,
        reissue: Reissue,
        now: i64,
    ) -> Result<SyncReport, SyncError> {
        let info = store.info().await?;
        let player = self.identity.player_key();
        if info.player_key != player {
            return Err(SyncError::WrongIdentity {
                slug: slug.to_owned(),
                wallet: info.player_key,
                identity: player,
            });
        }
        let api = self.api(&info.server_url)?;
        let document = api.community_document().await?;
        let stored_rotations = store.rotation_records().await?;
        let followed = match follow(&info, &stored_rotations, &document)? {
            KeyCheck::Unchanged => None,
            KeyCheck::Rotated(followed) => Some(followed),
        };
        let chain = match &followed {
            Some(followed) => followed.chain().clone(),
            None => store.key_chain().await?,
        };

        let session = api
            .login(self.identity.key_pair(), &chain.current())
            .await?;
        let mut incoming = api
            .records_since(&session, info.last_sequence)
            .await?
            .records;
        incoming.extend(api.revocations(&player).await?);
        let table = store.revocation_table().await?;
        let mut checked =
            check_incoming(&chain, table.clone(), incoming, now, UnknownSigner::Retry);

        let reissued = match reissue {
            Reissue::Never => false,
            Reissue::Always => true,
            Reissue::WhenExpiring => {
                needs_reissue(
                    store,
                    &chain,
                    &checked.verified,
                    &checked.table,
                    document.season,
                    now,
                )
                .await?
            }
        };
        if reissued {
            let records = api.refresh(&session).await?;
            let more = check_incoming(
                &chain,
                checked.table.clone(),
                records,
                now,
                UnknownSigner::Retry,
            );
            checked.merge(more);
        }

        let report = store
            .apply(
                followed.as_deref(),
                Some(&document.capabilities),
                &checked.verified,
                checked.highest_sequence.max(info.last_sequence),
                now,
            )
            .await?;
        Ok(SyncReport {
            slug: slug.to_owned(),
            rotated: followed.map(|followed| (info.community_key, followed.current())),
            reissued,
            report,
            rejected: checked.rejected,
        })
    }
}

/// What to do with the sequence of a record signed by a key the chain does not hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum UnknownSigner {
    /// Fetch it again next time: a rotation to its key may be published meanwhile.
    Retry,
    /// Move past it: at join, such records predate the pinned key.
    SkipPast,
}

/// Records checked against the chain: those to store, those refused, the sequence reached.
struct Checked {
    verified: Vec<Verified<Record>>,
    rejected: Vec<Rejected>,
    highest_sequence: u64,
    table: RevocationTable,
}

impl Checked {
    fn merge(&mut self, other: Checked) {
        self.verified.extend(other.verified);
        self.rejected.extend(other.rejected);
        self.highest_sequence = self.highest_sequence.max(other.highest_sequence);
        self.table = other.table;
    }
}

/// Verifies incoming records of this player: revocations first (they change what is valid),
/// then everything else against the raised minimums. Rotation records are skipped here; they
/// reach the wallet only through the key chain.
fn check_incoming(
    chain: &KeyChain,
    mut table: RevocationTable,
    incoming: Vec<Vec<u8>>,
    now: i64,
    unknown_signer: UnknownSigner,
) -> Checked {
    let mut verified = Vec::new();
    let mut rejected = Vec::new();
    let mut highest_sequence = 0;
    let mut revocations = Vec::new();
    let mut others = Vec::new();
    for bytes in incoming {
        match Record::decode(&bytes) {
            Ok(record) if record.record_type() == RecordType::KeyRotation => {}
            Ok(record) if record.record_type() == RecordType::Revocation => revocations.push(bytes),
            Ok(_) => others.push(bytes),
            Err(error) => rejected.push(Rejected {
                sequence: None,
                record_type: None,
                error: VerifyError::Decode(error),
            }),
        }
    }
    for batch in [revocations, others] {
        let verifier = Verifier::new(chain.clone()).with_player(PlayerContext::new(table.clone()));
        let slices: Vec<&[u8]> = batch.iter().map(Vec::as_slice).collect();
        let outcomes = verifier.verify_each(&slices, now, &mut OsRng);
        for (bytes, outcome) in batch.iter().zip(outcomes) {
            match outcome {
                Ok(record) => {
                    highest_sequence = highest_sequence.max(record.sequence());
                    if record.record_type() == RecordType::Revocation {
                        // Verified with this player's context, so it is this player's
                        // revocation and `apply` cannot refuse it.
                        let _ = table.apply(&record);
                    }
                    verified.push(record);
                }
                Err(error) => {
                    let header = scr::RecordView::parse(bytes).ok();
                    // A record signed by a key this wallet does not know yet may become valid
                    // after a rotation is published: do not move past it.
                    let retry = unknown_signer == UnknownSigner::Retry
                        && matches!(error, VerifyError::WrongCommunity(_));
                    if !retry {
                        if let Some(header) = &header {
                            highest_sequence = highest_sequence.max(header.sequence());
                        }
                    }
                    rejected.push(Rejected {
                        sequence: header.as_ref().map(scr::RecordView::sequence),
                        record_type: header.as_ref().map(scr::RecordView::record_type),
                        error,
                    });
                }
            }
        }
    }
    Checked {
        verified,
        rejected,
        highest_sequence,
        table,
    }
}

/// Whether the newest rating of any module and algorithm (stored or just received) expires
/// soon or is no longer valid now: expired, revoked, or signed by a key retired since; or is
/// from before the community's running season (`running_season`; a record of the first layout
/// names no season and counts as older).
async fn needs_reissue(
    store: &CommunityStore,
    chain: &KeyChain,
    incoming: &[Verified<Record>],
    table: &RevocationTable,
    running_season: Option<u32>,
    now: i64,
) -> Result<bool, WalletError> {
    use std::collections::BTreeMap;
    // Newest rating per (module, algorithm): (sequence, expires_at, bytes).
    let mut newest: BTreeMap<(String, String), (u64, i64, Vec<u8>)> = BTreeMap::new();
    let mut consider = |key: (String, String), sequence: u64, expires_at: i64, bytes: &[u8]| {
        let replace = newest.get(&key).is_none_or(|held| sequence > held.0);
        if replace {
            newest.insert(key, (sequence, expires_at, bytes.to_vec()));
        }
    };
    for rating in store.ratings().await? {
        consider(
            (rating.game_module, rating.algorithm_id),
            rating.sequence,
            rating.expires_at,
            &rating.bytes,
        );
    }
    for record in incoming {
        if let scr::Payload::Rating(rating) = record.payload() {
            consider(
                (rating.game_module.clone(), rating.algorithm_id.clone()),
                record.sequence(),
                record.expires_at().unwrap_or(i64::MAX),
                record.as_bytes(),
            );
        }
    }
    let verifier = Verifier::new(chain.clone()).with_player(PlayerContext::new(table.clone()));
    let from_an_earlier_season = |bytes: &[u8]| {
        running_season.is_some_and(|running| {
            Record::decode(bytes).is_ok_and(|record| match record.payload() {
                scr::Payload::Rating(rating) => rating.season.is_none_or(|s| s < running),
                _ => false,
            })
        })
    };
    Ok(newest.values().any(|(_, expires_at, bytes)| {
        expires_at.saturating_sub(now) <= REISSUE_WINDOW_SECS
            || verifier.verify(bytes, now).is_err()
            || from_an_earlier_season(bytes)
    }))
}

fn remove_if_present(path: &Path) -> Result<(), WalletError> {
    for suffix in ["", "-journal", "-wal", "-shm"] {
        let file = Path::new(&format!("{}{suffix}", path.display())).to_owned();
        match fs::remove_file(&file) {
            Ok(()) => {}
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {}
            Err(error) => return Err(io_error(&file, &error)),
        }
    }
    Ok(())
}

/// Gives a finished wallet file its final name, refusing to replace an existing wallet.
fn publish(building: &Path, final_path: &Path) -> Result<(), WalletError> {
    fs::hard_link(building, final_path).map_err(|error| io_error(final_path, &error))?;
    fs::remove_file(building).map_err(|error| io_error(building, &error))?;
    if let Some(dir) = final_path.parent() {
        fs::File::open(dir)
            .and_then(|dir| dir.sync_all())
            .map_err(|error| io_error(dir, &error))?;
    }
    Ok(())
}

/// The current Unix time in seconds.
pub fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |elapsed| {
            i64::try_from(elapsed.as_secs()).unwrap_or(i64::MAX)
        })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use crate::test_support::Community;
    use crate::test_support::mock_server::{self, MockState, Shared};
    use rand::SeedableRng;

    const NOW: i64 = 1_700_000_000;

    fn identity(seed: u64) -> Identity {
        Identity::generate(&mut rand::rngs::StdRng::seed_from_u64(seed)).unwrap()
    }

    async fn setup(seed: u8) -> (tempfile::TempDir, Client, Shared, String) {
        let dir = tempfile::tempdir().unwrap();
        let wallet = Wallet::open(dir.path()).unwrap();
        let client = Client::new(wallet, identity(u64::from(seed)));
        let state = MockState::new(Community::new(seed), "Alpha League", NOW);
        let url = mock_server::start(state.clone()).await;
        (dir, client, state, url)
    }

    fn files_in(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = fs::read_dir(dir)
            .unwrap()
            .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    #[tokio::test]
    async fn join_pins_registers_and_stores_the_initial_records() {
        let (_dir, client, state, url) = setup(1).await;
        let outcome = client
            .join(&url, &JoinOptions::default(), NOW)
            .await
            .unwrap();
        assert_eq!(outcome.trust, TrustBasis::TrustOnFirstUse);
        assert!(outcome.newly_registered);
        assert_eq!(outcome.slug, "alpha-league");
        assert_eq!(outcome.report.stored, 1);
        assert!(
            state
                .lock()
                .unwrap()
                .is_registered(&client.identity().player_key())
        );
        let (_, store) = client
            .wallet()
            .open_community("alpha-league")
            .await
            .unwrap();
        let info = store.info().await.unwrap();
        assert_eq!(info.server_url, url);
        assert_eq!(
            info.pinned_key,
            state.lock().unwrap().community.current_key()
        );
        assert_eq!(store.ratings().await.unwrap().len(), 1);
        store.close().await;
        assert_eq!(
            files_in(&client.wallet().communities_dir()),
            vec!["alpha-league.db"]
        );
        assert!(matches!(
            client.join(&url, &JoinOptions::default(), NOW).await,
            Err(SyncError::AlreadyJoined { .. })
        ));
    }

    #[tokio::test]
    async fn leaving_archives_the_wallet_and_stops_syncing_it() {
        let (_dir, client, _state, url) = setup(7).await;
        let slug = client
            .join(&url, &JoinOptions::default(), NOW)
            .await
            .unwrap()
            .slug;
        let archived = client.wallet().leave(&slug, NOW + 1).await.unwrap();
        assert!(client.wallet().slugs().unwrap().is_empty());
        assert!(!client.wallet().community_path(&slug).exists());
        assert!(
            client
                .sync_all(Reissue::Never, NOW + 2)
                .await
                .unwrap()
                .is_empty()
        );
        let store = CommunityStore::open(&archived).await.unwrap();
        assert_eq!(
            store.ratings().await.unwrap().len(),
            1,
            "the records are kept"
        );
        store.close().await;
        // Joining again starts a new wallet.
        assert!(
            client
                .join(&url, &JoinOptions::default(), NOW + 3)
                .await
                .is_ok()
        );
    }

    #[tokio::test]
    async fn a_wrong_fingerprint_is_refused_and_nothing_is_stored() {
        let (_dir, client, state, url) = setup(2).await;
        let wrong = JoinOptions {
            fingerprint: Some(Community::new(9).current_key().fingerprint().to_string()),
            invite_code: None,
        };
        assert!(matches!(
            client.join(&url, &wrong, NOW).await,
            Err(SyncError::Pin(PinError::FingerprintMismatch { .. }))
        ));
        assert!(files_in(&client.wallet().communities_dir()).is_empty());
        assert!(
            !state
                .lock()
                .unwrap()
                .is_registered(&client.identity().player_key())
        );
        let right = JoinOptions {
            fingerprint: Some(
                state
                    .lock()
                    .unwrap()
                    .community
                    .current_key()
                    .fingerprint()
                    .to_string(),
            ),
            invite_code: None,
        };
        let outcome = client.join(&url, &right, NOW).await.unwrap();
        assert_eq!(outcome.trust, TrustBasis::FingerprintMatched);
    }

    #[tokio::test]
    async fn sync_stores_new_records_marks_revocations_and_reissues() {
        let (_dir, client, state, url) = setup(3).await;
        let player = client.identity().player_key();
        let slug = client
            .join(&url, &JoinOptions::default(), NOW)
            .await
            .unwrap()
            .slug;
        {
            let mut state = state.lock().unwrap();
            state.issue_match(player, 1);
            state.issue_rating(player, 1_520_000);
        }
        let report = client.sync(&slug, Reissue::Never, NOW + 10).await.unwrap();
        assert_eq!((report.report.stored, report.report.superseded), (1, 1));
        assert!(report.rejected.is_empty());
        // Nothing new: nothing changes.
        let report = client.sync(&slug, Reissue::Never, NOW + 20).await.unwrap();
        assert_eq!((report.report.stored, report.report.superseded), (0, 0));

        state.lock().unwrap().revoke(player, RecordType::Rating);
        let report = client.sync(&slug, Reissue::Never, NOW + 30).await.unwrap();
        assert_eq!(
            (
                report.report.revocations_applied,
                report.report.marked_revoked
            ),
            (1, 1)
        );
        assert!(!report.reissued);
        let (_, store) = client.wallet().open_community(&slug).await.unwrap();
        assert!(store.ratings().await.unwrap()[0].revoked);
        store.close().await;

        // A revoked rating is re-issued on the next sync.
        let report = client
            .sync(&slug, Reissue::WhenExpiring, NOW + 40)
            .await
            .unwrap();
        assert!(report.reissued);
        assert_eq!(report.report.superseded, 1);
        let (_, store) = client.wallet().open_community(&slug).await.unwrap();
        let rating = &store.ratings().await.unwrap()[0];
        assert!(!rating.revoked);
        store
            .verifier()
            .await
            .unwrap()
            .verify(&rating.bytes, NOW + 40)
            .unwrap();
        store.close().await;
    }

    #[tokio::test]
    async fn a_new_season_asks_for_a_rating_of_that_season() {
        let (_dir, client, state, url) = setup(5).await;
        let player = client.identity().player_key();
        let slug = client
            .join(&url, &JoinOptions::default(), NOW)
            .await
            .unwrap()
            .slug;
        state.lock().unwrap().issue_rating(player, 1_520_000);
        let season = |number: u32| {
            let state = state.lock().unwrap();
            let mut document = state.community.document_json(&state.name);
            document["season"] = serde_json::json!(number);
            document
        };
        // The test community's ratings name season 1: nothing to ask while it runs.
        let running = season(1);
        state.lock().unwrap().document_override = Some(running);
        let report = client
            .sync(&slug, Reissue::WhenExpiring, NOW + 10)
            .await
            .unwrap();
        assert!(!report.reissued);
        // Season 2 starts: the wallet's fresh, valid rating is of the season before.
        let running = season(2);
        state.lock().unwrap().document_override = Some(running);
        let report = client
            .sync(&slug, Reissue::WhenExpiring, NOW + 20)
            .await
            .unwrap();
        assert!(report.reissued);
    }

    #[tokio::test]
    async fn sync_follows_a_rotation_chain_and_refuses_a_key_without_one() {
        let (_dir, client, state, url) = setup(4).await;
        let player = client.identity().player_key();
        let slug = client
            .join(&url, &JoinOptions::default(), NOW)
            .await
            .unwrap()
            .slug;
        let old_key = state.lock().unwrap().community.current_key();
        {
            let mut state = state.lock().unwrap();
            state.community.rotate_voluntarily(NOW + 5);
            state.issue_match(player, 2);
        }
        let report = client.sync(&slug, Reissue::Never, NOW + 10).await.unwrap();
        let new_key = state.lock().unwrap().community.current_key();
        assert_eq!(report.rotated, Some((old_key, new_key)));
        assert_eq!(report.report.rotations_followed, 1);
        assert_eq!(report.report.stored, 1, "the new key's record verifies");

        // An impostor with its own key and no chain from ours.
        let path = client.wallet().community_path(&slug);
        let before = fs::read(&path).unwrap();
        {
            let mut state = state.lock().unwrap();
            let mut impostor = Community::new(40).document_json("Alpha League");
            impostor["recovery_key"] = state.community.recovery_key().to_string().into();
            state.document_override = Some(impostor);
        }
        let error = client
            .sync(&slug, Reissue::Never, NOW + 20)
            .await
            .unwrap_err();
        assert!(
            matches!(
                error,
                SyncError::Pin(PinError::KeyChangedWithoutChain { .. })
            ),
            "{error}"
        );
        assert!(error.to_string().starts_with("REFUSED"));
        assert_eq!(
            fs::read(&path).unwrap(),
            before,
            "the wallet file is unchanged"
        );
        let (_, store) = client.wallet().open_community(&slug).await.unwrap();
        assert_eq!(store.info().await.unwrap().community_key, new_key);
        store.close().await;
    }

    #[tokio::test]
    async fn after_an_emergency_rotation_old_key_records_are_refused_and_ratings_reissued() {
        let (_dir, client, state, url) = setup(6).await;
        let player = client.identity().player_key();
        let slug = client
            .join(&url, &JoinOptions::default(), NOW)
            .await
            .unwrap()
            .slug;
        let retired = state.lock().unwrap().community.signing.clone();
        state.lock().unwrap().community.rotate_emergency(NOW + 5);
        // Someone holding the stolen key signs a record after the rotation took effect.
        let forged = Community::new(6).rating(player, 9, NOW + 6, "ra", 2_900_000);
        assert_eq!(forged.community_key(), retired.public_key());
        state.lock().unwrap().push_raw(player, forged.into_bytes());

        let report = client
            .sync(&slug, Reissue::WhenExpiring, NOW + 10)
            .await
            .unwrap();
        assert!(report.rotated.is_some());
        assert_eq!(report.rejected.len(), 1);
        assert_eq!(report.rejected[0].error.code(), "key_outside_grace");
        // The join-time rating was signed by the retired key, so a new one was issued.
        assert!(report.reissued);
        let presented = client
            .wallet()
            .present(&slug, Some("ra"), NOW + 10)
            .await
            .unwrap();
        let record = scr::Record::decode(&presented.records()[0]).unwrap();
        assert_eq!(
            record.community_key(),
            state.lock().unwrap().community.current_key().public_key()
        );
    }

    #[tokio::test]
    async fn a_recovered_identity_finds_its_registration_and_history() {
        let (_dir, client, state, url) = setup(5).await;
        let player = client.identity().player_key();
        client
            .join(&url, &JoinOptions::default(), NOW)
            .await
            .unwrap();
        state.lock().unwrap().issue_match(player, 3);

        let phrase = client.identity().backup_phrase().unwrap();
        let fresh = tempfile::tempdir().unwrap();
        let recovered = Client::new(
            Wallet::open(fresh.path()).unwrap(),
            Identity::recover(&phrase).unwrap(),
        );
        assert_eq!(recovered.identity().player_key(), player);
        let outcome = recovered
            .join(&url, &JoinOptions::default(), NOW + 5)
            .await
            .unwrap();
        assert!(!outcome.newly_registered);
        assert_eq!(outcome.report.stored, 2, "the rating and the match");
    }
}
