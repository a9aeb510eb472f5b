//! A served checkpoint note as a wallet reads it: the note, then the checkpoint in its text.
//! Never a panic; whatever reads back writes back to the same bytes.
#![no_main]

use libfuzzer_sys::fuzz_target;
use transparency::{Checkpoint, Note};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(note) = Note::parse(text) {
        assert_eq!(note.to_text(), text);
        if let Ok(checkpoint) = Checkpoint::parse(&note.text) {
            assert_eq!(checkpoint.to_text(), note.text);
        }
    }
});
