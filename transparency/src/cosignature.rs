//! C2SP `tlog-cosignature` (Ed25519, `cosignature/v1`): a witness's timestamped statement that
//! a checkpoint is the largest consistent one it has seen of that log, as a note signature line.
//!
//! The signed message is `cosignature/v1\n`, `time <timestamp>\n`, then the checkpoint's whole
//! body; the line carries the cosigner's key ID (algorithm byte 0x04), the timestamp (8 bytes,
//! big-endian) and the 64-byte signature.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use scr::signature::verify_signature;
use scr::{KeyPair, PublicKey};

use crate::note::{Note, NoteError, NoteSignature, hex_id, key_id_of, valid_name, verifier_key_of};

/// The signature type byte of Ed25519 `cosignature/v1` in key IDs and verifier keys.
const COSIGNATURE_V1: u8 = 0x04;
/// Timestamps above this are refused (the format's limit, 2^63 - 1).
const MAX_TIMESTAMP: u64 = i64::MAX as u64;

/// A witness as a log client knows it: its name and its Ed25519 public key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cosigner {
    /// The cosigner's name (a schema-less URL by convention, e.g. `witness.example/w1`).
    pub name: String,
    /// Its public key.
    pub key: PublicKey,
}

/// The message a cosignature signs.
pub fn cosigned_message(body: &str, timestamp: u64) -> Vec<u8> {
    format!("cosignature/v1\ntime {timestamp}\n{body}").into_bytes()
}

impl Cosigner {
    /// The cosigner named `name` with key `key`.
    pub fn new(name: &str, key: PublicKey) -> Result<Self, NoteError> {
        if !valid_name(name) {
            return Err(NoteError::Malformed(
                "a key name is not empty and has no space or '+'",
            ));
        }
        Ok(Self {
            name: name.to_owned(),
            key,
        })
    }

    /// The cosigner's key ID: `SHA-256(name ‖ 0x0A ‖ 0x04 ‖ key)[:4]`.
    pub fn key_id(&self) -> [u8; 4] {
        key_id_of(&self.name, COSIGNATURE_V1, &self.key)
    }

    /// The verifier key text `<name>+<key ID hex>+<base64(0x04 ‖ key)>`.
    pub fn vkey(&self) -> String {
        verifier_key_of(&self.name, COSIGNATURE_V1, &self.key)
    }

    /// Reads a verifier key as [`Cosigner::vkey`] writes it; the key ID must match.
    pub fn from_vkey(text: &str) -> Result<Self, NoteError> {
        let bad = NoteError::Malformed("a cosigner key is <name>+<key ID hex>+<base64 key>");
        // The key is base64, which may itself hold '+': the name and ID are the first two parts.
        let mut parts = text.trim().splitn(3, '+');
        let (Some(name), Some(id), Some(blob)) = (parts.next(), parts.next(), parts.next()) else {
            return Err(bad);
        };
        let blob = BASE64.decode(blob).map_err(|_| bad.clone())?;
        let (&[COSIGNATURE_V1], key) = blob.split_at(1.min(blob.len())) else {
            return Err(NoteError::Malformed(
                "the key is not an Ed25519 cosigner key (type 0x04)",
            ));
        };
        let key: [u8; 32] = key.try_into().map_err(|_| bad.clone())?;
        let cosigner = Self::new(name, PublicKey::from_bytes(key))?;
        if id.len() != 8 || id != hex_id(cosigner.key_id()) {
            return Err(NoteError::Malformed(
                "the cosigner key's ID does not match its name and key",
            ));
        }
        Ok(cosigner)
    }

    /// Cosigns the checkpoint body `body` at `timestamp` with `key` (this cosigner's secret).
    pub fn cosign(
        &self,
        body: &str,
        key: &KeyPair,
        timestamp: u64,
    ) -> Result<NoteSignature, NoteError> {
        if key.public_key() != self.key {
            return Err(NoteError::Malformed(
                "the secret key is not this cosigner's",
            ));
        }
        if timestamp > MAX_TIMESTAMP {
            return Err(NoteError::Malformed("the timestamp is beyond 2^63 - 1"));
        }
        let mut signature = timestamp.to_be_bytes().to_vec();
        signature.extend_from_slice(&key.sign(&cosigned_message(body, timestamp)));
        Ok(NoteSignature {
            name: self.name.clone(),
            key_id: self.key_id(),
            signature,
        })
    }

    /// Finds this cosigner's line in `note` and checks it; returns the cosignature's timestamp.
    /// Lines of other keys are ignored; of several lines by this key, one that verifies counts.
    pub fn verify(&self, note: &Note) -> Result<u64, NoteError> {
        let id = self.key_id();
        let mut found = false;
        for line in note
            .signatures
            .iter()
            .filter(|line| line.name == self.name && line.key_id == id)
        {
            found = true;
            if let Some(timestamp) = self.verify_line(&note.text, line) {
                return Ok(timestamp);
            }
        }
        Err(if found {
            NoteError::BadSignature(self.name.clone())
        } else {
            NoteError::Unsigned(self.name.clone())
        })
    }

    fn verify_line(&self, body: &str, line: &NoteSignature) -> Option<u64> {
        let (timestamp, signature) = line.signature.split_at_checked(8)?;
        let timestamp = u64::from_be_bytes(timestamp.try_into().ok()?);
        let signature: [u8; 64] = signature.try_into().ok()?;
        if timestamp > MAX_TIMESTAMP {
            return None;
        }
        verify_signature(&self.key, &cosigned_message(body, timestamp), &signature)
            .ok()
            .map(|()| timestamp)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use ed25519_dalek::{Signature, Verifier, VerifyingKey};
    use sha2::{Digest, Sha256};

    use super::*;

    const BODY: &str =
        "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n";

    fn witness() -> (Cosigner, KeyPair) {
        let key = KeyPair::from_seed([4; 32]);
        (
            Cosigner::new("witness.example.com/w1", key.public_key()).unwrap(),
            key,
        )
    }

    /// The line checks with a plain Ed25519 verifier, following the spec's words alone.
    #[test]
    fn a_cosignature_follows_the_spec_byte_for_byte() {
        let (cosigner, key) = witness();
        let line = cosigner.cosign(BODY, &key, 1_679_315_147).unwrap();
        let text = line.to_line();
        let (prefix, blob) = text.trim_end().rsplit_once(' ').unwrap();
        assert_eq!(prefix, "\u{2014} witness.example.com/w1");
        let blob = BASE64.decode(blob).unwrap();
        assert_eq!(blob.len(), 4 + 8 + 64);
        let mut id_input = b"witness.example.com/w1\n\x04".to_vec();
        id_input.extend_from_slice(key.public_key().as_bytes());
        assert_eq!(blob[..4], Sha256::digest(&id_input)[..4]);
        assert_eq!(blob[4..12], 1_679_315_147u64.to_be_bytes());
        let message = format!("cosignature/v1\ntime 1679315147\n{BODY}");
        let verifying = VerifyingKey::from_bytes(key.public_key().as_bytes()).unwrap();
        let signature = Signature::from_bytes(&blob[12..].try_into().unwrap());
        verifying.verify(message.as_bytes(), &signature).unwrap();
    }

    #[test]
    fn a_cosigned_note_verifies_and_tampering_or_another_key_does_not() {
        let (cosigner, key) = witness();
        let log = KeyPair::from_seed([1; 32]);
        let mut note = Note::sign(BODY, "example.com/behind-the-sofa", &log).unwrap();
        note.signatures
            .push(cosigner.cosign(BODY, &key, 1_700_000_000).unwrap());
        let parsed = Note::parse(&note.to_text()).unwrap();
        assert_eq!(cosigner.verify(&parsed), Ok(1_700_000_000));
        // The log's own line is not a cosignature (another key ID).
        let as_log = Cosigner::new("example.com/behind-the-sofa", log.public_key()).unwrap();
        assert!(matches!(
            as_log.verify(&parsed),
            Err(NoteError::Unsigned(_))
        ));
        let tampered = Note::parse(&note.to_text().replacen("20852163", "20852164", 1)).unwrap();
        assert!(matches!(
            cosigner.verify(&tampered),
            Err(NoteError::BadSignature(_))
        ));
        // A cosigner's secret that is not its own is refused before signing.
        assert!(cosigner.cosign(BODY, &log, 1).is_err());
    }

    #[test]
    fn verifier_keys_read_back_and_refuse_a_wrong_id_or_type() {
        let (cosigner, _) = witness();
        let vkey = cosigner.vkey();
        assert_eq!(Cosigner::from_vkey(&vkey), Ok(cosigner.clone()));
        // Keys whose base64 holds '+' read back too.
        let plus = (0..=255u8)
            .map(|seed| Cosigner::new("w", KeyPair::from_seed([seed; 32]).public_key()).unwrap())
            .find(|c| c.vkey().matches('+').count() > 2)
            .unwrap();
        assert_eq!(Cosigner::from_vkey(&plus.vkey()), Ok(plus));
        let (name, rest) = vkey.split_once('+').unwrap();
        let renamed = format!("{name}x+{rest}");
        assert!(
            Cosigner::from_vkey(&renamed).is_err(),
            "the ID binds the name"
        );
        let as_note_key = crate::note::verifier_key(&cosigner.name, &cosigner.key);
        assert!(
            Cosigner::from_vkey(&as_note_key).is_err(),
            "type 0x01 is not 0x04"
        );
        for bad in ["", "a+b", "a+00000000+", "a+00000000+AAAA+x"] {
            assert!(Cosigner::from_vkey(bad).is_err(), "{bad:?}");
        }
    }
}

#[cfg(test)]
mod properties {
    use proptest::prelude::*;

    use super::*;

    proptest! {
        /// Any text is read as a cosigner key or refused, never a panic; what is read writes
        /// back to the same text.
        #[test]
        fn any_text_is_a_verifier_key_or_refused(input in ".{0,120}") {
            if let Ok(cosigner) = Cosigner::from_vkey(&input) {
                prop_assert_eq!(cosigner.vkey(), input.trim());
            }
        }

        /// Every cosignature verifies over the body it signed, at its timestamp, and over no
        /// other body.
        #[test]
        fn cosignatures_verify_only_over_their_body(
            seed in any::<[u8; 32]>(),
            timestamp in 0..=MAX_TIMESTAMP,
            size in any::<u64>(),
        ) {
            let key = KeyPair::from_seed(seed);
            let cosigner = Cosigner::new("w.example", key.public_key()).map_err(|e| TestCaseError::fail(e.to_string()))?;
            let body = format!("log.example\n{size}\nAAAA\n");
            let line = cosigner.cosign(&body, &key, timestamp).map_err(|e| TestCaseError::fail(e.to_string()))?;
            let note = Note { text: body, signatures: vec![line.clone()] };
            prop_assert_eq!(cosigner.verify(&note), Ok(timestamp));
            let other = Note { text: format!("log.example\n{}\nAAAA\n", size.wrapping_add(1)), signatures: vec![line] };
            prop_assert!(cosigner.verify(&other).is_err());
        }
    }
}
