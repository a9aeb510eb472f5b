//! Fuzzes the record decoder and the verifier: any input must give a value or a typed error.
#![no_main]

use libfuzzer_sys::fuzz_target;
use scr::{KeyPair, PlayerContext, Record, RecordView, RevocationTable, Verifier};

fuzz_target!(|data: &[u8]| {
    if let Ok(view) = RecordView::parse(data) {
        let _ = view.payload();
    }
    let decoded = Record::decode(data);
    let community = KeyPair::from_seed([0x11; 32]).public_key().into();
    let player = KeyPair::from_seed([0x33; 32]).public_key().into();
    let verifier = Verifier::for_key(community)
        .expect("fixed key is valid")
        .with_player(PlayerContext::new(RevocationTable::new(player)));
    let verified = verifier.verify(data, 1_767_225_600);
    // A record that verifies must also decode to the same thing.
    if let Ok(verified) = verified {
        assert_eq!(Ok(verified.into_inner()), decoded);
    }
});
