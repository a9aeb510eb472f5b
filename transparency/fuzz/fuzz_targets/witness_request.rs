//! A witness's untrusted inputs: any `add-checkpoint` body, the note inside it, a cosigner key
//! and a witness's response lines are read or refused without a panic, and a request that reads
//! goes through the witness's decision.
#![no_main]

use libfuzzer_sys::fuzz_target;
use transparency::{AddCheckpoint, Checkpoint, Cosigner, Note, witness};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let _ = Cosigner::from_vkey(text);
    let Ok(request) = AddCheckpoint::parse(text) else {
        return;
    };
    let Ok(note) = Note::parse(&request.note) else {
        return;
    };
    if let Ok(checkpoint) = Checkpoint::parse(&note.text) {
        let latest = request.proof.first().map(|root| (request.old_size, *root));
        let _ = witness::decide(latest, request.old_size, &request.proof, &checkpoint);
    }
});
