//! Offline verification of what a peer presents: a verifier holds one community's pinned key
//! chain, and checks a presentation for a player key without any network call.

use std::ffi::{CString, c_char};

use ic_client::present::{Presentation, verify_presented};
use ic_client::unix_now;
use scr::payload::Payload;
use scr::{KeyChain, PlayerKey, Record, VerifyError};

use crate::args::{bytes, handle, key, optional_text, out, text};
use crate::client::{IcClient, LOCAL_TIMEOUT};
use crate::handles::{free, hand_out, read};
use crate::status::{FfiError, IcStatus, c_string, guard};

/// One community's trusted keys, as the wallet pinned and followed them. Opaque; from
/// `ic_client_verifier`, freed with `ic_verifier_free`. Immutable: any thread may use it, at
/// the same time as others.
pub struct IcVerifier {
    chain: KeyChain,
}

/// The verdict on one presented record. The strings belong to the verification.
#[repr(C)]
#[derive(Debug)]
pub struct IcRecordVerdict {
    /// Non-zero when the record is valid for the player now.
    pub valid: i32,
    /// Why not (`"expired"`, `"revoked"`, `"identity_mismatch"`, `"wrong_community"`,
    /// `"bad_signature"`, …), or NULL when valid.
    pub error: *const c_char,
    /// The record type byte (1 rating, 2 match, 3 achievement, 4 revocation, 5 key rotation),
    /// or 0 when the bytes did not decode.
    pub record_type: u8,
    /// The record's sequence (0 when it did not decode).
    pub sequence: u64,
    /// Unix seconds after which the record is no longer valid (0: never, or did not decode).
    pub expires_at: i64,
    /// For a rating: the game module; NULL otherwise.
    pub game_module: *const c_char,
    /// For a rating: the rating ×1000.
    pub rating_milli: i64,
    /// For a rating: rated games played.
    pub games_played: u32,
}

/// The verdicts on a presentation, one per record in order. Opaque; from
/// `ic_verifier_check`, freed with `ic_verification_free`. Read-only.
pub struct IcVerification {
    _strings: Vec<CString>,
    verdicts: Vec<IcRecordVerdict>,
    valid: usize,
}

// SAFETY: the verdicts' string pointers lead only into `_strings`, owned by the same value, which
// is never changed after it is made: moving it or reading it from several threads is sound.
unsafe impl Send for IcVerification {}
// SAFETY: as above; the value is read-only.
unsafe impl Sync for IcVerification {}

/// A verifier for `community` (slug, name or fingerprint), from the keys the wallet holds.
///
/// # Safety
/// `client` is a live handle, `community` NUL-terminated, `out_verifier` writable. Thread
/// safety: any thread.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ic_client_verifier(
    client: *const IcClient,
    community: *const c_char,
    out_verifier: *mut *mut IcVerifier,
) -> IcStatus {
    guard(|| {
        let out_verifier = out(out_verifier, "out_verifier")?;
        // SAFETY: a live handle and a string, by the caller's promise.
        let (client, community) =
            unsafe { (handle(client, "client")?, text(community, "community")?) };
        let chain = client.run(LOCAL_TIMEOUT, async {
            let (_, store) = client.client.wallet().open_community(community).await?;
            let chain = store.key_chain().await;
            store.close().await;
            chain
        })?;
        // SAFETY: checked not NULL.
        unsafe { hand_out(out_verifier, IcVerifier { chain }) };
        Ok(())
    })
}

/// A verifier for a community known only by its keys, given out of band (a dedicated game
/// server without a wallet): `signing_key` and, when known, `recovery_key` (NULL otherwise), each
/// `ed25519:<64 hex>`. Records signed by keys the community rotated to later are not accepted.
///
/// # Safety
/// Strings are NULL or NUL-terminated, `out_verifier` writable. Thread safety: any thread.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ic_verifier_for_keys(
    signing_key: *const c_char,
    recovery_key: *const c_char,
    out_verifier: *mut *mut IcVerifier,
) -> IcStatus {
    guard(|| {
        let out_verifier = out(out_verifier, "out_verifier")?;
        // SAFETY: strings, by the caller's promise.
        let (signing, recovery) = unsafe {
            (
                text(signing_key, "signing_key")?,
                optional_text(recovery_key, "recovery_key")?,
            )
        };
        let signing = key(signing, "signing_key")?;
        let recovery = recovery.map(|r| key(r, "recovery_key")).transpose()?;
        let chain = KeyChain::new(signing, recovery)
            .map_err(|error| FfiError::invalid(format!("the keys do not form a chain: {error}")))?;
        // SAFETY: checked not NULL.
        unsafe { hand_out(out_verifier, IcVerifier { chain }) };
        Ok(())
    })
}

/// Checks, offline, the records `player` (`ed25519:<64 hex>`, from the peer's session) presented:
/// each must be signed by the community (its current or an earlier key in the chain), be about
/// `player`, and be unexpired at `now` (Unix seconds; 0 means the clock now). Revocations are
/// not known offline. On `IC_STATUS_OK`, `*out_verification` holds one verdict per record;
/// malformed bytes are `IC_STATUS_INVALID_ARGUMENT`.
///
/// # Safety
/// `verifier` is a live verifier, `player` NUL-terminated, `presentation` `presentation_len`
/// readable bytes, `out_verification` writable. Thread safety: any thread, concurrently.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ic_verifier_check(
    verifier: *const IcVerifier,
    player: *const c_char,
    presentation: *const u8,
    presentation_len: usize,
    now: i64,
    out_verification: *mut *mut IcVerification,
) -> IcStatus {
    guard(|| {
        let out_verification = out(out_verification, "out_verification")?;
        // SAFETY: a live verifier, a string and a byte range, by the caller's promise.
        let (verifier, player, presentation) = unsafe {
            (
                handle(verifier, "verifier")?,
                text(player, "player")?,
                bytes(presentation, presentation_len, "presentation")?,
            )
        };
        let player: PlayerKey = key(player, "player")?;
        let presentation = Presentation::from_bytes(presentation)?;
        let now = if now == 0 { unix_now() } else { now };
        let results = verify_presented(&verifier.chain, player, &presentation, &[], now);
        let verification = verdicts(presentation.records(), results);
        // SAFETY: checked not NULL.
        unsafe { hand_out(out_verification, verification) };
        Ok(())
    })
}

/// The verdicts in C's shape.
fn verdicts(
    records: &[Vec<u8>],
    results: Vec<Result<scr::Verified<Record>, VerifyError>>,
) -> IcVerification {
    let mut strings = Vec::new();
    let mut keep = |text: &str| {
        let owned = c_string(text);
        let ptr = owned.as_ptr();
        strings.push(owned);
        ptr
    };
    let mut valid = 0;
    let verdicts = records
        .iter()
        .zip(results)
        .map(|(bytes, result)| {
            let error = match &result {
                Ok(_) => {
                    valid += 1;
                    std::ptr::null()
                }
                Err(error) => keep(error.code()),
            };
            let mut verdict = IcRecordVerdict {
                valid: i32::from(result.is_ok()),
                error,
                record_type: 0,
                sequence: 0,
                expires_at: 0,
                game_module: std::ptr::null(),
                rating_milli: 0,
                games_played: 0,
            };
            // A valid record was decoded by the verifier; an invalid one is decoded here, so a
            // game can still say which one failed.
            let record = match result {
                Ok(verified) => Some(verified.into_inner()),
                Err(_) => Record::decode(bytes).ok(),
            };
            if let Some(record) = record {
                verdict.record_type = record.record_type().to_byte();
                verdict.sequence = record.sequence();
                verdict.expires_at = record.expires_at().unwrap_or(0);
                if let Payload::Rating(rating) = record.payload() {
                    verdict.game_module = keep(&rating.game_module);
                    verdict.rating_milli = rating.rating;
                    verdict.games_played = rating.games_played;
                }
            }
            verdict
        })
        .collect();
    IcVerification {
        _strings: strings,
        verdicts,
        valid,
    }
}

/// How many records were checked (0 for NULL).
///
/// # Safety
/// `verification` is NULL or live. Thread safety: any thread.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ic_verification_len(verification: *const IcVerification) -> usize {
    // SAFETY: NULL or live, by the caller's promise.
    unsafe { read(verification, 0, |v| v.verdicts.len()) }
}

/// How many of them are valid (0 for NULL).
///
/// # Safety
/// `verification` is NULL or live. Thread safety: any thread.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ic_verification_valid_count(verification: *const IcVerification) -> usize {
    // SAFETY: NULL or live, by the caller's promise.
    unsafe { read(verification, 0, |v| v.valid) }
}

/// The verdict on record `index`, or NULL out of range. Valid while the verification lives.
///
/// # Safety
/// `verification` is NULL or live. Thread safety: any thread.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ic_verification_get(
    verification: *const IcVerification,
    index: usize,
) -> *const IcRecordVerdict {
    // SAFETY: NULL or live, by the caller's promise.
    unsafe {
        read(verification, std::ptr::null(), |v| {
            v.verdicts
                .get(index)
                .map_or(std::ptr::null(), std::ptr::from_ref)
        })
    }
}

/// Frees a verification. NULL is fine.
///
/// # Safety
/// `verification` is NULL or not freed since, and no longer read. Thread safety: once.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ic_verification_free(verification: *mut IcVerification) {
    // SAFETY: NULL or a handle of this type, by the caller's promise.
    unsafe { free(verification) }
}

/// Frees a verifier. NULL is fine.
///
/// # Safety
/// `verifier` is NULL or not freed since, with no check running. Thread safety: once.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ic_verifier_free(verifier: *mut IcVerifier) {
    // SAFETY: NULL or a handle of this type, by the caller's promise.
    unsafe { free(verifier) }
}
