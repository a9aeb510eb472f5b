//! A signed checkpoint checked the way an outside tool would: reading the note by the C2SP
//! `signed-note` rules alone and verifying with plain ed25519-dalek, none of this crate's code.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use ed25519_dalek::{Signature, Verifier, VerifyingKey};
use scr::KeyPair;
use sha2::{Digest, Sha256};
use transparency::{Checkpoint, Note, leaf_hash};

#[test]
fn a_signed_checkpoint_verifies_with_a_plain_ed25519_implementation() {
    let origin = "ic.example.org/transparency";
    let community = KeyPair::from_seed([42; 32]);
    let checkpoint = Checkpoint::new(origin, 7, leaf_hash(b"a root stand-in"));
    let served = Note::sign(&checkpoint.to_text(), origin, &community)
        .unwrap()
        .to_text();

    // The note: the text up to and including the blank line's first newline, then lines of
    // "— <name> <base64(key ID || signature)>".
    let split = served.rfind("\n\n").unwrap();
    let (text, lines) = (&served[..=split], &served[split + 2..]);
    assert_eq!(text, checkpoint.to_text());
    let line = lines.lines().next().unwrap();
    let rest = line.strip_prefix("\u{2014} ").unwrap();
    let (name, blob) = rest.split_once(' ').unwrap();
    assert_eq!(name, origin);
    let blob = BASE64.decode(blob).unwrap();

    // Key ID: SHA-256(name || 0x0A || 0x01 || public key), first four bytes.
    let public = community.public_key();
    let mut id_input = origin.as_bytes().to_vec();
    id_input.extend_from_slice(&[0x0a, 0x01]);
    id_input.extend_from_slice(public.as_bytes());
    assert_eq!(&blob[..4], &Sha256::digest(&id_input)[..4]);

    let key = VerifyingKey::from_bytes(public.as_bytes()).unwrap();
    let signature = Signature::from_slice(&blob[4..]).unwrap();
    key.verify(text.as_bytes(), &signature).unwrap();
    // One byte of the body changed: the plain verifier refuses it.
    let forged = text.replacen("\n7\n", "\n8\n", 1);
    assert!(key.verify(forged.as_bytes(), &signature).is_err());
    // And the body reads back as the checkpoint.
    assert_eq!(Checkpoint::parse(text).unwrap(), checkpoint);
}
