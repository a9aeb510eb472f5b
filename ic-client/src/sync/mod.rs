//! Joining a community and syncing its wallet: pin or follow the keys, log in, fetch, verify every
//! record, then store the result in one transaction, so an interrupted sync leaves nothing half-done.

mod files;
mod incoming;
mod reissue;

use scr::{
    CommunityKey, Fingerprint, KeyChain, Record, RecordType, RevocationTable, Verified, VerifyError,
};

use self::files::{publish, remove_if_present};
use self::incoming::{UnknownSigner, check_incoming};
use self::reissue::needs_reissue;
use crate::api::{ApiClient, ApiError, Registration};
use crate::community::{KeyCheck, PinError, TrustBasis, follow, pin_first_contact};
use crate::identity::Identity;
use crate::wallet::{ApplyReport, CommunityStore, NewCommunity, Wallet, WalletError};

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
    /// The transparency log step: the checkpoint accepted, records proved, any evidence.
    pub log: crate::audit::LogReport,
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
        // After the records are stored, so a community that cannot prove them loses the
        // player nothing: it leaves evidence, or postpones the check.
        let log = crate::audit::check_log(
            &api,
            store,
            &chain,
            document.transparency_origin.as_deref(),
            now,
        )
        .await?;
        Ok(SyncReport {
            slug: slug.to_owned(),
            rotated: followed.map(|followed| (info.community_key, followed.current())),
            reissued,
            report,
            rejected: checked.rejected,
            log,
        })
    }
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
mod tests;
