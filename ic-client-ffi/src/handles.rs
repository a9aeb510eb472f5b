//! Opaque handles: a Rust value boxed for C, read back through its pointer by getters, and
//! freed once; NULL is accepted everywhere a handle is taken back.

use crate::status::guard_value;

/// Boxes `value` into `*out` (checked not NULL by the caller).
///
/// # Safety
/// `out` is writable.
pub(crate) unsafe fn hand_out<T>(out: *mut *mut T, value: T) {
    // SAFETY: writable by the caller's promise.
    unsafe { out.write(Box::into_raw(Box::new(value))) };
}

/// `get(handle)` for a live handle; `fallback` for NULL (and for a panic in `get`).
///
/// # Safety
/// `handle` is NULL or a live handle of this type.
pub(crate) unsafe fn read<T, R: Copy>(
    handle: *const T,
    fallback: R,
    get: impl FnOnce(&T) -> R,
) -> R {
    // SAFETY: NULL or live, by the caller's promise.
    guard_value(fallback, || {
        unsafe { handle.as_ref() }.map_or(fallback, get)
    })
}

/// Frees a handle made by [`hand_out`]; NULL is fine.
///
/// # Safety
/// `handle` is NULL or a handle of this type not freed since, with no call on it running.
pub(crate) unsafe fn free<T>(handle: *mut T) {
    guard_value((), || {
        if !handle.is_null() {
            // SAFETY: made by `Box::into_raw` in `hand_out`, freed once.
            drop(unsafe { Box::from_raw(handle) });
        }
    });
}
