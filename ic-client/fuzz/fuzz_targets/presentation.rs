//! A peer's presentation as a game receives it (through `ic_verifier_check` of the C ABI too):
//! split into records or refused, never a panic; a split joins back to the same bytes.
#![no_main]

use ic_client::present::Presentation;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(presentation) = Presentation::from_bytes(data) {
        assert_eq!(presentation.to_bytes(), data);
    }
});
