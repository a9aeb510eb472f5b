//! Per-case pseudonyms: a keyed hash (HMAC-SHA256 with a per-community secret) of the case and
//! the player, so reviewers can tell the people in one case apart but never learn or link keys.

use hmac::{Hmac, Mac};
use scr::PublicKey;
use sha2::Sha256;

/// Makes pseudonyms with one community's secret.
#[derive(Clone)]
pub struct Pseudonyms {
    secret: [u8; 32],
}

impl std::fmt::Debug for Pseudonyms {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Pseudonyms(<secret>)")
    }
}

impl Pseudonyms {
    /// Pseudonyms keyed by `secret`.
    pub fn new(secret: [u8; 32]) -> Self {
        Self { secret }
    }

    fn tag(&self, parts: &[&[u8]]) -> String {
        // HMAC accepts keys of any length, so new_from_slice cannot fail for 32 bytes; the
        // fallback keeps this total without an unwrap.
        let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(&self.secret) else {
            return String::from("unavailable");
        };
        for part in parts {
            // Length-prefixed so that ("ab","c") and ("a","bc") differ.
            mac.update(&(part.len() as u64).to_le_bytes());
            mac.update(part);
        }
        hex::encode(&mac.finalize().into_bytes()[..8])
    }

    /// The name `player` goes by in `case_id` (`p-` + 16 hex characters).
    pub fn player(&self, case_id: &str, player: &PublicKey) -> String {
        format!(
            "p-{}",
            self.tag(&[b"case-player", case_id.as_bytes(), player.as_bytes()])
        )
    }

    /// A reviewer's stable pseudonym (`r-` + 16 hex characters), for votes and stats.
    pub fn reviewer(&self, reviewer: &PublicKey) -> String {
        format!("r-{}", self.tag(&[b"reviewer", reviewer.as_bytes()]))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn pseudonyms_are_stable_per_case_and_unlinkable_across_cases(
            secret in any::<[u8; 32]>(),
            key in any::<[u8; 32]>(),
            other in any::<[u8; 32]>(),
            case_a in "case_[0-9a-f]{8}",
            case_b in "case_[0-9a-f]{8}",
        ) {
            let names = Pseudonyms::new(secret);
            let player = PublicKey::from_bytes(key);
            let a = names.player(&case_a, &player);
            prop_assert_eq!(&a, &names.player(&case_a, &player));
            if case_a != case_b {
                prop_assert_ne!(&a, &names.player(&case_b, &player));
            }
            if key != other {
                prop_assert_ne!(&a, &names.player(&case_a, &PublicKey::from_bytes(other)));
            }
            prop_assert!(!a.contains(&hex::encode(key)[..16]));
            prop_assert_eq!(a.len(), 18);
            // Another community's secret gives other names.
            let mut other_secret = secret;
            other_secret[0] ^= 1;
            prop_assert_ne!(a, Pseudonyms::new(other_secret).player(&case_a, &player));
        }
    }
}
