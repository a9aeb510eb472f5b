//! Fuzzes the CertifiedMatchResult decoder and verifier: any input gives a result or a typed
//! error, and a decoded record re-encodes to exactly its input (the encoding is canonical).
#![no_main]

use libfuzzer_sys::fuzz_target;
use relay_core::cmr::{CertifiedMatchResult, TrustedRelays};
use scr::KeyPair;

fuzz_target!(|data: &[u8]| {
    if let Ok((result, signature)) = CertifiedMatchResult::decode_unverified(data) {
        let mut again = result.signed_part().expect("a decoded result is valid");
        again.extend_from_slice(&signature);
        assert_eq!(again, data);
    }
    // The relay and community of the published test vectors, so seeds from
    // docs/test-vectors/cmr reach the signature check.
    let relay = KeyPair::from_seed([0x11; 32]).public_key().into();
    let community = KeyPair::from_seed([0x22; 32]).public_key().into();
    let trusted = TrustedRelays::new([relay]).expect("fixed key is valid");
    if let Ok(verified) = trusted.verify(data, &community) {
        assert_eq!(verified.bytes(), data);
    }
});
