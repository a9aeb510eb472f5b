//! Fuzzes the match-ticket decoder and verifier: any input gives a ticket or a typed error, and
//! a decoded ticket re-encodes to exactly its input (the encoding is canonical).
#![no_main]

use libfuzzer_sys::fuzz_target;
use relay_core::ticket::{MatchTicket, SignerKind, TicketVerifier};
use scr::KeyPair;

fuzz_target!(|data: &[u8]| {
    if let Ok((ticket, signature)) = MatchTicket::decode_unverified(data) {
        let mut again = ticket.signed_part().expect("a decoded ticket is valid");
        again.extend_from_slice(&signature);
        assert_eq!(again, data);
    }
    // The community of the published test vector, so seeds from docs/test-vectors/ticket
    // reach the signature check.
    let community = KeyPair::from_seed([0x22; 32]).public_key();
    let verifier =
        TicketVerifier::new([(SignerKind::Community, community)]).expect("fixed key is valid");
    if let Ok(verified) = verifier.verify(data, 1_750_000_100) {
        assert_eq!(verified.bytes(), data);
    }
});
