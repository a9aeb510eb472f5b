//! What every call returns: a status code, and for a failure a message (and the server's error
//! code) kept per thread; no panic crosses the boundary, it becomes `IC_STATUS_PANIC`.

use std::cell::RefCell;
use std::ffi::{CString, c_char};
use std::panic::{AssertUnwindSafe, catch_unwind};

/// The outcome of a call. Details of a failure: `ic_last_error_message` and
/// `ic_last_error_code` on the same thread.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IcStatus {
    /// It worked.
    Ok = 0,
    /// An argument is missing (NULL), not UTF-8, or malformed (a key, a URL, record bytes).
    InvalidArgument = 1,
    /// The wallet holds no such thing (community, identity, valid rating record).
    NotFound = 2,
    /// The call's timeout passed first. The wallet holds all of the call's changes or none
    /// (each write is one transaction); sync again to know.
    Timeout = 3,
    /// The server or relay could not be reached, or the connection broke.
    Network = 4,
    /// The server or relay said no; `ic_last_error_code` holds its reason code.
    Refused = 5,
    /// The server or relay answered something the protocol does not allow.
    Protocol = 6,
    /// The wallet or identity file could not be read or written.
    Wallet = 7,
    /// The community's keys are not the ones trusted (fingerprint mismatch, key change without
    /// a rotation chain); nothing was stored.
    Untrusted = 8,
    /// The wallet already holds it (joining a community twice).
    Conflict = 9,
    /// The relay session has ended.
    Closed = 10,
    /// A bug in the library was caught at the boundary; the message says where.
    Panic = 11,
}

/// A failure on its way to the caller.
#[derive(Debug)]
pub(crate) struct FfiError {
    pub(crate) status: IcStatus,
    pub(crate) message: String,
    /// The server's or relay's reason code, for `Refused`.
    pub(crate) code: Option<String>,
}

impl FfiError {
    pub(crate) fn new(status: IcStatus, message: impl Into<String>) -> Self {
        Self {
            status,
            message: message.into(),
            code: None,
        }
    }

    pub(crate) fn refused(code: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            status: IcStatus::Refused,
            message: message.into(),
            code: Some(code.into()),
        }
    }

    pub(crate) fn invalid(message: impl Into<String>) -> Self {
        Self::new(IcStatus::InvalidArgument, message)
    }
}

struct LastError {
    message: CString,
    code: Option<CString>,
}

thread_local! {
    static LAST_ERROR: RefCell<Option<LastError>> = const { RefCell::new(None) };
}

/// A C string of `text`; interior NULs (never in our messages, possibly in a server's) become
/// spaces rather than cutting the text short.
pub(crate) fn c_string(text: &str) -> CString {
    CString::new(text.replace('\0', " ")).unwrap_or_default()
}

fn remember(error: FfiError) {
    let last = LastError {
        message: c_string(&error.message),
        code: error.code.as_deref().map(c_string),
    };
    // `try_with`: during the thread's teardown the slot is gone, and `with` would panic outside
    // any `catch_unwind`; the error is then simply not kept.
    let _ = LAST_ERROR.try_with(|slot| {
        if let Ok(mut slot) = slot.try_borrow_mut() {
            *slot = Some(last);
        }
    });
}

/// Runs one exported call: its failure is remembered for this thread, a panic is caught.
pub(crate) fn guard(body: impl FnOnce() -> Result<(), FfiError>) -> IcStatus {
    // Remembering happens inside the catch too: nothing on this path can unwind into C.
    catch_unwind(AssertUnwindSafe(|| guarded(body))).unwrap_or(IcStatus::Panic)
}

fn guarded(body: impl FnOnce() -> Result<(), FfiError>) -> IcStatus {
    match catch_unwind(AssertUnwindSafe(body)) {
        Ok(Ok(())) => IcStatus::Ok,
        Ok(Err(error)) => {
            let status = error.status;
            remember(error);
            status
        }
        Err(payload) => {
            let what = payload
                .downcast_ref::<&str>()
                .map(|s| (*s).to_owned())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown panic".to_owned());
            remember(FfiError::new(
                IcStatus::Panic,
                format!("internal error in ic-client: {what}"),
            ));
            IcStatus::Panic
        }
    }
}

/// Like [`guard`] for functions that return a value instead of a status (getters); a panic
/// gives `fallback`.
pub(crate) fn guard_value<T>(fallback: T, body: impl FnOnce() -> T) -> T {
    catch_unwind(AssertUnwindSafe(body)).unwrap_or(fallback)
}

/// The message of the last call on this thread that failed, or NULL if none has.
///
/// The text stays valid until the next failing call on this thread. Thread safety: each
/// thread sees its own last error.
#[unsafe(no_mangle)]
pub extern "C" fn ic_last_error_message() -> *const c_char {
    guard_value(std::ptr::null(), || {
        LAST_ERROR
            .try_with(|slot| {
                slot.try_borrow()
                    .ok()
                    .and_then(|last| last.as_ref().map(|last| last.message.as_ptr()))
            })
            .ok()
            .flatten()
            .unwrap_or(std::ptr::null())
    })
}

/// The server's or relay's reason code of the last call on this thread that failed with
/// `IC_STATUS_REFUSED` (e.g. `"invite_required"`, `"no_answer"`), or NULL.
///
/// Valid until the next failing call on this thread. Thread safety: per thread.
#[unsafe(no_mangle)]
pub extern "C" fn ic_last_error_code() -> *const c_char {
    guard_value(std::ptr::null(), || {
        LAST_ERROR
            .try_with(|slot| {
                slot.try_borrow().ok().and_then(|last| {
                    last.as_ref()
                        .and_then(|last| last.code.as_ref())
                        .map(|code| code.as_ptr())
                })
            })
            .ok()
            .flatten()
            .unwrap_or(std::ptr::null())
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, unsafe_code)]
    use std::ffi::CStr;

    use super::*;

    #[test]
    fn a_failure_is_kept_per_thread_and_a_panic_becomes_a_status() {
        assert_eq!(guard(|| Ok(())), IcStatus::Ok);
        let status = guard(|| Err(FfiError::refused("invite_required", "an invite is needed")));
        assert_eq!(status, IcStatus::Refused);
        // SAFETY: the pointers come from this thread's last error, which nothing replaced.
        let (message, code) = unsafe {
            (
                CStr::from_ptr(ic_last_error_message()),
                CStr::from_ptr(ic_last_error_code()),
            )
        };
        assert_eq!(message.to_str().unwrap(), "an invite is needed");
        assert_eq!(code.to_str().unwrap(), "invite_required");
        // Another thread has its own (empty) slot.
        let elsewhere = std::thread::spawn(|| ic_last_error_message().is_null())
            .join()
            .unwrap();
        assert!(elsewhere);

        let status = guard(|| panic!("boom"));
        assert_eq!(status, IcStatus::Panic);
        // SAFETY: as above.
        let message = unsafe { CStr::from_ptr(ic_last_error_message()) };
        assert!(message.to_str().unwrap().contains("boom"));
        assert!(ic_last_error_code().is_null());
    }
}
