//! Memory the library hands to C: byte buffers and strings the caller owns and gives back with
//! the matching free function (never with C's `free`, since the allocators may differ).

use std::ffi::{CString, c_char};

use crate::status::guard_value;

/// Bytes the library allocated for the caller (record bytes, a presentation). Free them with
/// `ic_bytes_free`.
#[repr(C)]
#[derive(Debug)]
pub struct IcBytes {
    /// The first byte (NULL when empty).
    pub data: *mut u8,
    /// How many bytes.
    pub len: usize,
}

impl IcBytes {
    /// An empty buffer, for out-parameters before a call fills them.
    pub const EMPTY: Self = Self {
        data: std::ptr::null_mut(),
        len: 0,
    };

    pub(crate) fn from_vec(bytes: Vec<u8>) -> Self {
        if bytes.is_empty() {
            return Self::EMPTY;
        }
        let boxed = bytes.into_boxed_slice();
        let len = boxed.len();
        Self {
            data: Box::into_raw(boxed).cast::<u8>(),
            len,
        }
    }

    /// The bytes, borrowed.
    pub fn as_slice(&self) -> &[u8] {
        if self.data.is_null() {
            return &[];
        }
        // SAFETY: a non-NULL `data` came from `from_vec`: `len` initialized bytes we own.
        #[allow(unsafe_code)]
        unsafe {
            std::slice::from_raw_parts(self.data, self.len)
        }
    }
}

/// Gives back bytes the library allocated, and empties `bytes`. NULL or an empty buffer is
/// fine.
///
/// # Safety
/// `bytes` is NULL or points to an `IcBytes` filled by this library and not freed since.
/// Thread safety: any thread, once.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ic_bytes_free(bytes: *mut IcBytes) {
    guard_value((), || {
        // SAFETY: NULL or a buffer this library filled, by the caller's promise.
        let Some(bytes) = (unsafe { bytes.as_mut() }) else {
            return;
        };
        if !bytes.data.is_null() {
            let slice = std::ptr::slice_from_raw_parts_mut(bytes.data, bytes.len);
            // SAFETY: `data`/`len` are exactly the boxed slice `from_vec` leaked.
            drop(unsafe { Box::from_raw(slice) });
        }
        *bytes = IcBytes::EMPTY;
    });
}

/// A string for the caller to own.
pub(crate) fn owned_string(text: &str) -> *mut c_char {
    crate::status::c_string(text).into_raw()
}

/// Gives back a string the library allocated (a slug from `ic_client_join`). NULL is fine.
///
/// # Safety
/// `text` is NULL or a string this library returned as owned by the caller, not freed since.
/// Thread safety: any thread, once.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ic_string_free(text: *mut c_char) {
    guard_value((), || {
        if !text.is_null() {
            // SAFETY: it came from `CString::into_raw` in `owned_string`.
            drop(unsafe { CString::from_raw(text) });
        }
    });
}

#[cfg(test)]
mod tests {
    #![allow(unsafe_code)]
    use super::*;

    #[test]
    fn a_buffer_round_trips_and_freeing_twice_is_harmless() {
        let mut bytes = IcBytes::from_vec(vec![1, 2, 3]);
        assert_eq!(bytes.as_slice(), &[1, 2, 3]);
        // SAFETY: a buffer this library filled; the second call sees it emptied.
        unsafe {
            ic_bytes_free(&mut bytes);
            ic_bytes_free(&mut bytes);
            ic_bytes_free(std::ptr::null_mut());
            ic_string_free(owned_string("slug"));
            ic_string_free(std::ptr::null_mut());
        }
        assert!(bytes.data.is_null());
        assert!(IcBytes::from_vec(Vec::new()).data.is_null());
    }
}
