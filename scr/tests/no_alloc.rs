//! A record whose header claims a huge payload is rejected before anything is allocated.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

struct Counting;

static ALLOCATED: AtomicUsize = AtomicUsize::new(0);

// A global allocator cannot be written without `unsafe`; this test alone lifts the workspace's
// `unsafe_code = "deny"` to count allocations.
#[allow(unsafe_code)]
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATED.fetch_add(layout.size(), Ordering::SeqCst);
        // SAFETY: forwards the caller's layout unchanged to the system allocator.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` was allocated by `System` with this layout in `alloc` above.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

#[test]
fn oversized_payload_len_allocates_nothing() {
    let mut bytes = vec![0u8; 158];
    bytes[0] = 1;
    bytes[1] = 1;
    bytes[90..94].copy_from_slice(&u32::MAX.to_le_bytes());
    let before = ALLOCATED.load(Ordering::SeqCst);
    let result = scr::RecordView::parse(&bytes);
    let during = ALLOCATED.load(Ordering::SeqCst) - before;
    assert!(result.is_err());
    assert_eq!(during, 0, "parsing allocated {during} bytes");

    let before = ALLOCATED.load(Ordering::SeqCst);
    let result = scr::Record::decode(&bytes);
    let during = ALLOCATED.load(Ordering::SeqCst) - before;
    assert!(result.is_err());
    assert_eq!(during, 0, "decoding allocated {during} bytes");
}
