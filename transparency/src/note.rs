//! The C2SP `signed-note` format: a text, a blank line, then one line per signature,
//! `— <key name> <base64(key ID ‖ signature)>`. Checkpoints travel in it, and witnesses add
//! their cosignature lines to the same note.
//!
//! The key ID of an Ed25519 key is the first four bytes of `SHA-256(name ‖ 0x0A ‖ 0x01 ‖ key)`:
//! a verifier finds its line by name and ID and ignores lines of keys it does not know.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use scr::signature::verify_signature;
use scr::{KeyPair, PublicKey};
use sha2::{Digest, Sha256};

/// The signature line's prefix: an em dash and a space.
const DASH: &str = "\u{2014} ";
/// The algorithm byte of Ed25519 in key IDs and verifier keys.
const ED25519: u8 = 0x01;
/// More signature lines than any note needs; a longer note is refused before any work.
const MAX_SIGNATURES: usize = 100;

/// One signature line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoteSignature {
    /// The key's name (for a checkpoint: the log's origin, or the witness's name).
    pub name: String,
    /// The key ID.
    pub key_id: [u8; 4],
    /// The signature bytes after the key ID (64 for Ed25519; a cosignature has 72).
    pub signature: Vec<u8>,
}

/// A note: its text and its signature lines.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Note {
    /// The signed text, ending in a newline.
    pub text: String,
    /// The signature lines, in order.
    pub signatures: Vec<NoteSignature>,
}

/// Why a note was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NoteError {
    /// The text or a signature line is not in the format.
    #[error("malformed note: {0}")]
    Malformed(&'static str),
    /// No signature line is by the expected key.
    #[error("the note has no signature by {0}")]
    Unsigned(String),
    /// The line by the expected key does not verify.
    #[error("the signature by {0} does not verify")]
    BadSignature(String),
}

/// The key ID of Ed25519 key `key` named `name`.
pub fn key_id(name: &str, key: &PublicKey) -> [u8; 4] {
    key_id_of(name, ED25519, key)
}

/// The key ID of `key` named `name` for signature type `algorithm` (0x01 a note signer, 0x04
/// an Ed25519 cosigner): `SHA-256(name ‖ 0x0A ‖ algorithm ‖ key)[:4]`.
pub(crate) fn key_id_of(name: &str, algorithm: u8, key: &PublicKey) -> [u8; 4] {
    let digest = Sha256::new()
        .chain_update(name.as_bytes())
        .chain_update([b'\n', algorithm])
        .chain_update(key.as_bytes())
        .finalize();
    [digest[0], digest[1], digest[2], digest[3]]
}

/// The verifier key text `<name>+<key ID hex>+<base64(0x01 ‖ key)>`, as other tools take it.
pub fn verifier_key(name: &str, key: &PublicKey) -> String {
    verifier_key_of(name, ED25519, key)
}

/// The verifier key text of `key` named `name` for signature type `algorithm`.
pub(crate) fn verifier_key_of(name: &str, algorithm: u8, key: &PublicKey) -> String {
    let mut blob = vec![algorithm];
    blob.extend_from_slice(key.as_bytes());
    format!(
        "{name}+{}+{}",
        hex_id(key_id_of(name, algorithm, key)),
        BASE64.encode(blob)
    )
}

pub(crate) fn hex_id(id: [u8; 4]) -> String {
    id.iter().map(|b| format!("{b:02x}")).collect()
}

pub(crate) fn valid_name(name: &str) -> bool {
    !name.is_empty() && !name.contains('+') && !name.chars().any(char::is_whitespace)
}

fn valid_text(text: &str) -> bool {
    text.ends_with('\n') && !text.chars().any(|c| c.is_control() && c != '\n')
}

impl NoteSignature {
    /// The signature line, `— <name> <base64(key ID ‖ signature)>` and a newline.
    pub fn to_line(&self) -> String {
        let mut blob = self.key_id.to_vec();
        blob.extend_from_slice(&self.signature);
        format!("{DASH}{} {}\n", self.name, BASE64.encode(blob))
    }
}

impl Note {
    /// A note of `text` signed by `key` under `name`.
    pub fn sign(text: &str, name: &str, key: &KeyPair) -> Result<Self, NoteError> {
        let mut note = Self {
            text: text.to_owned(),
            signatures: Vec::new(),
        };
        note.add_signature(name, key)?;
        Ok(note)
    }

    /// Adds (or replaces) the signature line of `key` under `name`.
    pub fn add_signature(&mut self, name: &str, key: &KeyPair) -> Result<(), NoteError> {
        if !valid_text(&self.text) {
            return Err(NoteError::Malformed(
                "the text must end in a newline, without control characters",
            ));
        }
        if !valid_name(name) {
            return Err(NoteError::Malformed(
                "a key name is not empty and has no space or '+'",
            ));
        }
        let key_id = key_id(name, &key.public_key());
        self.signatures
            .retain(|s| !(s.name == name && s.key_id == key_id));
        self.signatures.push(NoteSignature {
            name: name.to_owned(),
            key_id,
            signature: key.sign(self.text.as_bytes()).to_vec(),
        });
        Ok(())
    }

    /// The note as it travels: text, blank line, signature lines.
    pub fn to_text(&self) -> String {
        let mut out = self.text.clone();
        out.push('\n');
        for signature in &self.signatures {
            out.push_str(&signature.to_line());
        }
        out
    }

    /// Reads a note. Signatures are not checked here: see [`Note::verify`].
    pub fn parse(note: &str) -> Result<Self, NoteError> {
        let split = note
            .rfind("\n\n")
            .ok_or(NoteError::Malformed("no blank line before the signatures"))?;
        let (text, lines) = (&note[..=split], &note[split + 2..]);
        if !valid_text(text) {
            return Err(NoteError::Malformed("the text has control characters"));
        }
        let lines = lines.strip_suffix('\n').ok_or(NoteError::Malformed(
            "the last signature line has no newline",
        ))?;
        let mut signatures = Vec::new();
        for line in lines.split('\n') {
            if signatures.len() == MAX_SIGNATURES {
                return Err(NoteError::Malformed("too many signatures"));
            }
            let rest = line.strip_prefix(DASH).ok_or(NoteError::Malformed(
                "a signature line does not start with '— '",
            ))?;
            let (name, blob) = rest
                .split_once(' ')
                .ok_or(NoteError::Malformed("a signature line has no signature"))?;
            if !valid_name(name) {
                return Err(NoteError::Malformed("a signature's key name is not valid"));
            }
            let blob = BASE64
                .decode(blob)
                .map_err(|_| NoteError::Malformed("a signature is not base64"))?;
            if blob.len() < 5 {
                return Err(NoteError::Malformed("a signature is too short"));
            }
            signatures.push(NoteSignature {
                name: name.to_owned(),
                key_id: [blob[0], blob[1], blob[2], blob[3]],
                signature: blob[4..].to_vec(),
            });
        }
        Ok(Self {
            text: text.to_owned(),
            signatures,
        })
    }

    /// Checks the signature of Ed25519 key `key` under `name`; lines of other keys are ignored.
    pub fn verify(&self, name: &str, key: &PublicKey) -> Result<(), NoteError> {
        let id = key_id(name, key);
        let line = self
            .signatures
            .iter()
            .find(|s| s.name == name && s.key_id == id)
            .ok_or_else(|| NoteError::Unsigned(name.to_owned()))?;
        let signature: [u8; 64] = line
            .signature
            .as_slice()
            .try_into()
            .map_err(|_| NoteError::BadSignature(name.to_owned()))?;
        verify_signature(key, self.text.as_bytes(), &signature)
            .map_err(|_| NoteError::BadSignature(name.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    /// The signed-note example of Go's `golang.org/x/mod/sumdb/note` tests: the key
    /// `PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz` and the note
    /// it signs, byte for byte.
    #[test]
    fn the_reference_example_signs_and_verifies_byte_for_byte() {
        let seed: [u8; 32] = BASE64
            .decode("AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz")
            .unwrap()[1..]
            .try_into()
            .unwrap();
        let key = KeyPair::from_seed(seed);
        assert_eq!(
            verifier_key("PeterNeumann", &key.public_key()),
            "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
        );
        let text = "If you think cryptography is the answer to your problem,\n\
                    then you don't know what your problem is.\n";
        let note = Note::sign(text, "PeterNeumann", &key).unwrap();
        let want = "If you think cryptography is the answer to your problem,\n\
                    then you don't know what your problem is.\n\
                    \n\
                    \u{2014} PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n";
        assert_eq!(note.to_text(), want);
        let parsed = Note::parse(want).unwrap();
        assert_eq!(parsed, note);
        parsed.verify("PeterNeumann", &key.public_key()).unwrap();
    }

    #[test]
    fn tampering_other_keys_and_malformed_notes_are_told_apart() {
        let key = KeyPair::from_seed([1; 32]);
        let witness = KeyPair::from_seed([2; 32]);
        let mut note = Note::sign("origin\n3\nAAAA\n", "origin", &key).unwrap();
        note.add_signature("witness.example", &witness).unwrap();
        let parsed = Note::parse(&note.to_text()).unwrap();
        parsed.verify("origin", &key.public_key()).unwrap();
        parsed
            .verify("witness.example", &witness.public_key())
            .unwrap();
        // Another key under the same name: not found, not a bad signature.
        assert_eq!(
            parsed.verify("origin", &witness.public_key()),
            Err(NoteError::Unsigned("origin".into()))
        );
        // The text changed after signing.
        let tampered = note.to_text().replacen("3\n", "4\n", 1);
        assert_eq!(
            Note::parse(&tampered)
                .unwrap()
                .verify("origin", &key.public_key()),
            Err(NoteError::BadSignature("origin".into()))
        );
        for bad in [
            "no blank line\n\u{2014} a AAAAAAAA\n",
            "text\n\n- a AAAAAAAA\n",
            "text\n\n\u{2014} a AAAA\n",
            "text\n\n\u{2014} a+b AAAAAAAA\n",
            "text\n\n\u{2014} a AAAAAAAA",
            "te\u{7}xt\n\n\u{2014} a AAAAAAAA\n",
        ] {
            assert!(
                matches!(Note::parse(bad), Err(NoteError::Malformed(_))),
                "{bad:?}"
            );
        }
    }
}

#[cfg(test)]
mod properties {
    #![allow(clippy::unwrap_used)]
    use proptest::prelude::*;

    use super::*;

    proptest! {
        /// Any text is either refused with an error or read; reading never panics, and what is
        /// read writes back to the same text.
        #[test]
        fn any_text_parses_or_is_refused_and_parsed_notes_write_back(input in ".{0,300}") {
            if let Ok(note) = Note::parse(&input) {
                prop_assert_eq!(note.to_text(), input);
            }
        }

        /// Every note this crate signs reads back equal and verifies.
        #[test]
        fn signed_notes_read_back_and_verify(
            lines in proptest::collection::vec("[a-zA-Z0-9 ./:+=-]{1,40}", 1..6),
            name in "[a-zA-Z0-9./:-]{1,30}",
            seed in any::<[u8; 32]>(),
        ) {
            let text: String = lines.iter().map(|line| format!("{line}\n")).collect();
            let key = KeyPair::from_seed(seed);
            let note = Note::sign(&text, &name, &key).unwrap();
            let parsed = Note::parse(&note.to_text()).unwrap();
            prop_assert_eq!(&parsed, &note);
            prop_assert!(parsed.verify(&name, &key.public_key()).is_ok());
        }
    }
}
