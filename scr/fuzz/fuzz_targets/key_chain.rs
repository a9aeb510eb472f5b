//! Fuzzes rotation-chain building from arbitrary rotation lists.
#![no_main]

use libfuzzer_sys::fuzz_target;
use scr::{KeyChain, KeyPair};

fuzz_target!(|data: &[u8]| {
    // Split the input into records at 0xFF bytes so several rotations can be fuzzed at once.
    let parts: Vec<&[u8]> = data.split(|b| *b == 0xFF).collect();
    let pinned = KeyPair::from_seed([0x11; 32]).public_key().into();
    let recovery = KeyPair::from_seed([0x22; 32]).public_key().into();
    let _ = KeyChain::from_rotations(pinned, Some(recovery), parts.iter().copied());
});
