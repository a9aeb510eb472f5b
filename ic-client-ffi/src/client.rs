//! The client handle: one player's wallet and identity, with the runtime the network calls run
//! on; open and free it, join a community, sync it, present its records, keep pushed records.

use std::ffi::{CString, c_char};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use ic_client::identity::{Identity, KdfCost, KeyProtection};
use ic_client::relay::store_pushed_records;
use ic_client::wallet::Wallet;
use ic_client::{Client, JoinOptions, Reissue, unix_now};
use tokio::runtime::Runtime;

use crate::args::{bytes, handle, optional_text, out, text, timeout};
use crate::buffers::{IcBytes, owned_string};
use crate::handles::{free, hand_out, read};
use crate::status::{FfiError, IcStatus, c_string, guard};

/// How long a call that only reads or writes the local wallet may take.
pub(crate) const LOCAL_TIMEOUT: Duration = Duration::from_secs(10);
/// How long freeing the last handle waits for the runtime's work to stop (a DNS lookup the
/// OS is still doing after a timeout, for one) before leaving it behind.
const SHUTDOWN_TIMEOUT: Duration = Duration::from_secs(1);

/// The runtime the network calls run on, shared by a client and its relay sessions. Freeing
/// the last of them stops it within [`SHUTDOWN_TIMEOUT`] rather than waiting for blocking work
/// that may never end.
pub(crate) struct SharedRuntime(Option<Runtime>);

impl std::ops::Deref for SharedRuntime {
    type Target = Runtime;

    fn deref(&self) -> &Runtime {
        self.0
            .as_ref()
            .unwrap_or_else(|| unreachable!("the runtime is taken only on drop"))
    }
}

impl Drop for SharedRuntime {
    fn drop(&mut self) {
        if let Some(runtime) = self.0.take() {
            runtime.shutdown_timeout(SHUTDOWN_TIMEOUT);
        }
    }
}

/// One player's wallet and identity. Opaque; from `ic_client_open`, freed with
/// `ic_client_free`. Its functions may be called from several threads at once.
pub struct IcClient {
    pub(crate) runtime: Arc<SharedRuntime>,
    pub(crate) client: Client,
    player_key: CString,
}

impl IcClient {
    /// Runs `work` on the client's runtime, giving up after `limit`.
    pub(crate) fn run<T, E: Into<FfiError>>(
        &self,
        limit: Duration,
        work: impl Future<Output = Result<T, E>>,
    ) -> Result<T, FfiError> {
        run_on(&self.runtime, limit, work)
    }

    /// The wallet slug of `community` (slug, name or fingerprint).
    pub(crate) fn slug_of(&self, community: &str) -> Result<String, FfiError> {
        self.run(LOCAL_TIMEOUT, self.client.wallet().slug_of(community))
    }
}

/// Runs `work` on `runtime`, giving up after `limit`.
pub(crate) fn run_on<T, E: Into<FfiError>>(
    runtime: &Runtime,
    limit: Duration,
    work: impl Future<Output = Result<T, E>>,
) -> Result<T, FfiError> {
    runtime.block_on(async {
        match tokio::time::timeout(limit, work).await {
            Ok(result) => result.map_err(Into::into),
            Err(_) => Err(FfiError::new(
                IcStatus::Timeout,
                format!("no answer within {} ms", limit.as_millis()),
            )),
        }
    })
}

/// Opens the wallet in `data_dir` and its identity. With `create` non-zero, a missing
/// directory or identity is created: sealed under `passphrase`, or unencrypted (owner-only
/// file) when `passphrase` is NULL. An existing sealed identity needs its `passphrase`.
///
/// On `IC_STATUS_OK`, `*out_client` is the new handle.
///
/// # Safety
/// `data_dir` and `passphrase` are NULL or NUL-terminated strings; `out_client` is NULL or
/// writable. Thread safety: any thread.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ic_client_open(
    data_dir: *const c_char,
    passphrase: *const c_char,
    create: i32,
    out_client: *mut *mut IcClient,
) -> IcStatus {
    guard(|| {
        let out_client = out(out_client, "out_client")?;
        // SAFETY: strings by the caller's promise.
        let (data_dir, passphrase) = unsafe {
            (
                text(data_dir, "data_dir")?,
                optional_text(passphrase, "passphrase")?,
            )
        };
        let dir = Path::new(data_dir);
        if create == 0 && !dir.is_dir() {
            return Err(FfiError::new(
                IcStatus::NotFound,
                format!("no wallet directory at {data_dir}"),
            ));
        }
        let wallet = Wallet::open(dir)?;
        let path = wallet.identity_path();
        let identity = if path.exists() || create == 0 {
            Identity::load(&path, passphrase)?
        } else {
            let mut rng = rand::rngs::OsRng;
            let identity = Identity::generate(&mut rng)?;
            let protection = match passphrase {
                Some(passphrase) => KeyProtection::Passphrase {
                    passphrase: passphrase.to_owned().into(),
                    cost: KdfCost::default(),
                },
                None => KeyProtection::Unencrypted,
            };
            identity.save(&path, &protection, &mut rng)?;
            identity
        };
        // One worker: the relay sessions' readers answer liveness while the game is busy, and
        // everything else runs inside the caller's blocking call.
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("ic-client")
            .enable_all()
            .build()
            .map_err(|error| FfiError::new(IcStatus::Wallet, format!("runtime: {error}")))?;
        let player_key = c_string(&identity.player_key().to_string());
        let client = IcClient {
            runtime: Arc::new(SharedRuntime(Some(runtime))),
            client: Client::new(wallet, identity),
            player_key,
        };
        // SAFETY: checked not NULL above.
        unsafe { hand_out(out_client, client) };
        Ok(())
    })
}

/// Frees a client. NULL is fine. Relay sessions opened with it stay usable until freed.
///
/// # Safety
/// `client` is NULL or a handle from `ic_client_open` not freed since, with no call on it
/// running. Thread safety: once, when no other thread uses the handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ic_client_free(client: *mut IcClient) {
    // SAFETY: NULL or a handle of this type, by the caller's promise.
    unsafe { free(client) }
}

/// The player's identity key (`ed25519:<64 hex>`), valid while the client lives; NULL for a
/// NULL client.
///
/// # Safety
/// `client` is NULL or a live handle. Thread safety: any thread.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ic_client_player_key(client: *const IcClient) -> *const c_char {
    // SAFETY: NULL or live, by the caller's promise.
    unsafe { read(client, std::ptr::null(), |c| c.player_key.as_ptr()) }
}

/// Joins the community at `url`: checks and pins its keys (against `fingerprint`, 16 hex or a
/// key, when given; trust on first use when NULL), registers the player (with `invite_code`
/// when the community needs one) and stores the records it issued in a new wallet file.
///
/// On `IC_STATUS_OK`, `*out_slug` names the new wallet (free it with `ic_string_free`).
/// `IC_STATUS_CONFLICT` when already joined; `IC_STATUS_UNTRUSTED` when the keys do not match.
///
/// # Safety
/// Strings are NULL or NUL-terminated; `out_slug` is writable. Thread safety: any thread.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ic_client_join(
    client: *const IcClient,
    url: *const c_char,
    fingerprint: *const c_char,
    invite_code: *const c_char,
    timeout_ms: u32,
    out_slug: *mut *mut c_char,
) -> IcStatus {
    guard(|| {
        let out_slug = out(out_slug, "out_slug")?;
        // SAFETY: a live handle and strings, by the caller's promise.
        let (client, url, fingerprint, invite_code) = unsafe {
            (
                handle(client, "client")?,
                text(url, "url")?,
                optional_text(fingerprint, "fingerprint")?,
                optional_text(invite_code, "invite_code")?,
            )
        };
        let options = JoinOptions {
            fingerprint: fingerprint.map(str::to_owned),
            invite_code: invite_code.map(str::to_owned),
        };
        let joined = client.run(
            timeout(timeout_ms)?,
            client.client.join(url, &options, unix_now()),
        )?;
        // SAFETY: checked not NULL.
        unsafe { out_slug.write(owned_string(&joined.slug)) };
        Ok(())
    })
}

/// What `ic_client_sync` did.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct IcSyncSummary {
    /// Records stored that the wallet did not hold.
    pub stored: u32,
    /// Records the wallet refused (they did not verify).
    pub rejected: u32,
    /// Non-zero when the community's signing key rotated and the wallet followed it.
    pub rotated: i32,
    /// Non-zero when the community re-issued expiring ratings.
    pub reissued: i32,
}

/// Syncs one joined community (`community`: slug, name or fingerprint): follows a key rotation
/// only along a valid chain, fetches new records and revocations, re-issues ratings that expire
/// within two days, and stores it all in one transaction (a timeout leaves the wallet as it
/// was). `out_summary` may be NULL.
///
/// # Safety
/// `client` is a live handle, `community` a NUL-terminated string, `out_summary` NULL or
/// writable. Thread safety: any thread; two syncs of one community at once are serialized by
/// the wallet file.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ic_client_sync(
    client: *const IcClient,
    community: *const c_char,
    timeout_ms: u32,
    out_summary: *mut IcSyncSummary,
) -> IcStatus {
    guard(|| {
        // SAFETY: a live handle and a string, by the caller's promise.
        let (client, community) =
            unsafe { (handle(client, "client")?, text(community, "community")?) };
        let slug = client.slug_of(community)?;
        let report = client.run(
            timeout(timeout_ms)?,
            client.client.sync(&slug, Reissue::WhenExpiring, unix_now()),
        )?;
        let summary = IcSyncSummary {
            stored: u32::try_from(report.report.stored).unwrap_or(u32::MAX),
            rejected: u32::try_from(report.rejected.len()).unwrap_or(u32::MAX),
            rotated: i32::from(report.rotated.is_some()),
            reissued: i32::from(report.reissued),
        };
        if !out_summary.is_null() {
            // SAFETY: not NULL, and writable by the caller's promise (it may be uninitialised).
            unsafe { out_summary.write(summary) };
        }
        Ok(())
    })
}

/// The player's current, valid rating records of `community` (of game module `module`, or of
/// every module when NULL), back to back as one presentation: what a game sends a peer or a
/// lobby to show the player's standing. Free `*out_presentation` with `ic_bytes_free`.
/// `IC_STATUS_NOT_FOUND` when no rating is valid now (sync first).
///
/// # Safety
/// `client` is a live handle, strings NULL or NUL-terminated, `out_presentation` writable.
/// Thread safety: any thread.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ic_client_present(
    client: *const IcClient,
    community: *const c_char,
    module: *const c_char,
    out_presentation: *mut IcBytes,
) -> IcStatus {
    guard(|| {
        let out_presentation = out(out_presentation, "out_presentation")?;
        // SAFETY: a live handle and strings, by the caller's promise.
        let (client, community, module) = unsafe {
            (
                handle(client, "client")?,
                text(community, "community")?,
                optional_text(module, "module")?,
            )
        };
        let presentation = client.run(
            LOCAL_TIMEOUT,
            client
                .client
                .wallet()
                .present(community, module, unix_now()),
        )?;
        // SAFETY: checked not NULL.
        unsafe { out_presentation.write(IcBytes::from_vec(presentation.to_bytes())) };
        Ok(())
    })
}

/// Keeps records a relay pushed after a match (the `data` of an `IC_FRAME_KIND_RATING_UPDATE`):
/// each is verified against the wallet's pinned keys like synced records, and the valid ones are
/// stored in one transaction. `out_stored` (may be NULL) receives how many were new.
///
/// # Safety
/// `client` is a live handle, `community` NUL-terminated, `records` `records_len` readable
/// bytes, `out_stored` NULL or writable. Thread safety: any thread.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ic_client_store_records(
    client: *const IcClient,
    community: *const c_char,
    records: *const u8,
    records_len: usize,
    out_stored: *mut u32,
) -> IcStatus {
    guard(|| {
        // SAFETY: a live handle, a string and a byte range, by the caller's promise.
        let (client, community, records) = unsafe {
            (
                handle(client, "client")?,
                text(community, "community")?,
                bytes(records, records_len, "records")?,
            )
        };
        let records = ic_client::present::Presentation::from_bytes(records)?;
        let stored = client.run(LOCAL_TIMEOUT, async {
            let (_, store) = client.client.wallet().open_community(community).await?;
            let result = store_pushed_records(&store, records.records(), unix_now()).await;
            store.close().await;
            result
        })?;
        if !out_stored.is_null() {
            let count = u32::try_from(stored.report.stored).unwrap_or(u32::MAX);
            // SAFETY: not NULL, and writable by the caller's promise (it may be uninitialised).
            unsafe { out_stored.write(count) };
        }
        Ok(())
    })
}
