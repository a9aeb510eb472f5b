//! Reading what C passes in (strings, byte ranges, out-pointers, timeouts) into Rust values,
//! with a typed error naming the argument instead of undefined behaviour on NULL or bad UTF-8.

use std::ffi::{CStr, c_char};
use std::time::Duration;

use crate::status::FfiError;

/// The UTF-8 text at `ptr`, which must not be NULL.
///
/// # Safety
/// `ptr` is NULL or points to a NUL-terminated string that outlives the call.
pub(crate) unsafe fn text<'a>(ptr: *const c_char, name: &str) -> Result<&'a str, FfiError> {
    // SAFETY: the caller promises a NUL-terminated string or NULL.
    unsafe { optional_text(ptr, name) }?.ok_or_else(|| FfiError::invalid(format!("{name} is NULL")))
}

/// The UTF-8 text at `ptr`, or `None` for NULL.
///
/// # Safety
/// As [`text`].
pub(crate) unsafe fn optional_text<'a>(
    ptr: *const c_char,
    name: &str,
) -> Result<Option<&'a str>, FfiError> {
    if ptr.is_null() {
        return Ok(None);
    }
    // SAFETY: not NULL, and NUL-terminated by the caller's promise.
    let text = unsafe { CStr::from_ptr(ptr) };
    text.to_str()
        .map(Some)
        .map_err(|_| FfiError::invalid(format!("{name} is not UTF-8")))
}

/// The `len` bytes at `ptr` (NULL is allowed when `len` is 0).
///
/// # Safety
/// `ptr` points to `len` readable bytes that outlive the call.
pub(crate) unsafe fn bytes<'a>(
    ptr: *const u8,
    len: usize,
    name: &str,
) -> Result<&'a [u8], FfiError> {
    if len == 0 {
        return Ok(&[]);
    }
    if ptr.is_null() {
        return Err(FfiError::invalid(format!(
            "{name} is NULL with length {len}"
        )));
    }
    // SAFETY: not NULL, and `len` readable bytes by the caller's promise.
    Ok(unsafe { std::slice::from_raw_parts(ptr, len) })
}

/// Checks that an out-pointer is not NULL.
pub(crate) fn out<T>(ptr: *mut T, name: &str) -> Result<*mut T, FfiError> {
    if ptr.is_null() {
        Err(FfiError::invalid(format!("{name} is NULL")))
    } else {
        Ok(ptr)
    }
}

/// A call's timeout: at least one millisecond.
pub(crate) fn timeout(ms: u32) -> Result<Duration, FfiError> {
    if ms == 0 {
        return Err(FfiError::invalid(
            "timeout_ms is 0; give the call time to finish",
        ));
    }
    Ok(Duration::from_millis(u64::from(ms)))
}

/// A handle argument that must not be NULL.
///
/// # Safety
/// `ptr` is NULL or a live handle of this type from this library.
pub(crate) unsafe fn handle<'a, T>(ptr: *const T, name: &str) -> Result<&'a T, FfiError> {
    // SAFETY: the caller promises NULL or a live handle.
    unsafe { ptr.as_ref() }.ok_or_else(|| FfiError::invalid(format!("{name} is NULL")))
}

/// Parses a key given as text (`ed25519:<64 hex>`).
pub(crate) fn key<K: std::str::FromStr>(text: &str, name: &str) -> Result<K, FfiError> {
    text.parse()
        .map_err(|_| FfiError::invalid(format!("{name} {text:?} is not a key (ed25519:<64 hex>)")))
}
