//! The communities a wallet has joined, as a list handle whose entries C reads in place: slug,
//! name, address and key fingerprint, with when each was last synced.

use std::ffi::{CString, c_char};

use crate::args::{handle, out};
use crate::client::{IcClient, LOCAL_TIMEOUT};
use crate::handles::{free, hand_out, read};
use crate::status::{IcStatus, c_string, guard};

/// One joined community. The strings belong to the list and live as long as it does.
#[repr(C)]
#[derive(Debug)]
pub struct IcCommunity {
    /// The wallet's name for it, used by every call that takes `community`.
    pub slug: *const c_char,
    /// The community's own name.
    pub name: *const c_char,
    /// The server address pinned at join.
    pub server_url: *const c_char,
    /// The fingerprint (16 hex) of its current signing key.
    pub fingerprint: *const c_char,
    /// When the wallet last synced it (Unix seconds).
    pub last_sync: i64,
    /// The highest record sequence the wallet received.
    pub last_sequence: u64,
}

/// The joined communities. Opaque; from `ic_client_communities`, freed with
/// `ic_community_list_free`. Read-only, so any thread may read it.
pub struct IcCommunityList {
    /// Owns the strings the entries point into.
    _strings: Vec<[CString; 4]>,
    entries: Vec<IcCommunity>,
}

// SAFETY: the entries' string pointers lead only into `_strings`, owned by the same value, which
// is never changed after it is made: moving it or reading it from several threads is sound.
unsafe impl Send for IcCommunityList {}
// SAFETY: as above; the value is read-only.
unsafe impl Sync for IcCommunityList {}

/// The communities the wallet has joined, in slug order. On `IC_STATUS_OK`, `*out_list` is a
/// new list handle.
///
/// # Safety
/// `client` is a live handle and `out_list` writable. Thread safety: any thread.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ic_client_communities(
    client: *const IcClient,
    out_list: *mut *mut IcCommunityList,
) -> IcStatus {
    guard(|| {
        let out_list = out(out_list, "out_list")?;
        // SAFETY: a live handle, by the caller's promise.
        let client = unsafe { handle(client, "client")? };
        let mut joined = client.run(LOCAL_TIMEOUT, client.client.wallet().communities())?;
        joined.sort_by(|a, b| a.slug.cmp(&b.slug));
        let strings: Vec<[CString; 4]> = joined
            .iter()
            .map(|community| {
                [
                    c_string(&community.slug),
                    c_string(&community.info.name),
                    c_string(&community.info.server_url),
                    c_string(&community.info.community_key.fingerprint().to_string()),
                ]
            })
            .collect();
        // The CStrings' heap buffers do not move when the Vec holding them moves.
        let entries = joined
            .iter()
            .zip(&strings)
            .map(|(community, [slug, name, url, fingerprint])| IcCommunity {
                slug: slug.as_ptr(),
                name: name.as_ptr(),
                server_url: url.as_ptr(),
                fingerprint: fingerprint.as_ptr(),
                last_sync: community.info.last_sync,
                last_sequence: community.info.last_sequence,
            })
            .collect();
        let list = IcCommunityList {
            _strings: strings,
            entries,
        };
        // SAFETY: checked not NULL.
        unsafe { hand_out(out_list, list) };
        Ok(())
    })
}

/// How many communities the list holds (0 for NULL).
///
/// # Safety
/// `list` is NULL or a live list. Thread safety: any thread.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ic_community_list_len(list: *const IcCommunityList) -> usize {
    // SAFETY: NULL or live, by the caller's promise.
    unsafe { read(list, 0, |l| l.entries.len()) }
}

/// The entry at `index`, or NULL when `index` is out of range. Valid while the list lives.
///
/// # Safety
/// `list` is NULL or a live list. Thread safety: any thread.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ic_community_list_get(
    list: *const IcCommunityList,
    index: usize,
) -> *const IcCommunity {
    // SAFETY: NULL or live, by the caller's promise.
    unsafe {
        read(list, std::ptr::null(), |l| {
            l.entries
                .get(index)
                .map_or(std::ptr::null(), std::ptr::from_ref)
        })
    }
}

/// Frees a list. NULL is fine.
///
/// # Safety
/// `list` is NULL or a list not freed since, no longer read. Thread safety: once.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ic_community_list_free(list: *mut IcCommunityList) {
    // SAFETY: NULL or a handle of this type, by the caller's promise.
    unsafe { free(list) }
}
