//! A subscriber's untrusted input: any feed entry (a signed note around a sanction body) is read
//! or refused without a panic, and a body that reads is canonical (it writes back identically).
#![no_main]

use libfuzzer_sys::fuzz_target;
use transparency::{Note, SanctionEntry};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    for body in [Some(text.to_owned()), Note::parse(text).ok().map(|note| note.text)]
        .into_iter()
        .flatten()
    {
        if let Ok(entry) = SanctionEntry::parse(&body) {
            assert_eq!(entry.to_text(), body);
        }
    }
});
