//! Removes anything that could be a player key from free text shown to reviewers (a reporter may
//! paste the accused's key into a note): every unbroken run of 32+ key-alphabet characters.

/// Replacement text for a removed run.
pub const REDACTED: &str = "[redacted]";

/// Characters of the key text forms: hex, `ed25519:` prefix, standard and URL-safe base64.
fn in_key_alphabet(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '+' | '/' | '=' | '_' | '-' | ':')
}

/// `text` with every run of at least 32 key-alphabet characters replaced by [`REDACTED`].
/// A key is 43 (base64url) to 72 (`ed25519:` + hex) characters long in every text form, so no
/// whole key survives; ordinary words are far shorter than 32 characters.
pub fn redact_keys(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut run = String::new();
    let flush = |run: &mut String, out: &mut String| {
        if run.chars().count() >= 32 {
            out.push_str(REDACTED);
        } else {
            out.push_str(run);
        }
        run.clear();
    };
    for c in text.chars() {
        if in_key_alphabet(c) {
            run.push(c);
        } else {
            flush(&mut run, &mut out);
            out.push(c);
        }
    }
    flush(&mut run, &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine;
    use proptest::prelude::*;

    #[test]
    fn ordinary_text_is_kept() {
        assert_eq!(
            redact_keys("he used a maphack at 12:30!"),
            "he used a maphack at 12:30!"
        );
        assert_eq!(
            redact_keys(&format!("it was ed25519:{} again", "ab".repeat(32))),
            "it was [redacted] again"
        );
    }

    proptest! {
        #[test]
        fn no_key_form_survives(
            key in any::<[u8; 32]>(),
            before in "\\PC{0,30}",
            after in "\\PC{0,30}",
            form in 0u8..4,
        ) {
            let hex = hex::encode(key);
            let text_key = match form {
                0 => format!("ed25519:{hex}"),
                1 => hex.clone(),
                2 => base64::engine::general_purpose::STANDARD.encode(key),
                _ => base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(key),
            };
            let redacted = redact_keys(&format!("{before}{text_key}{after}"));
            prop_assert!(!redacted.contains(&text_key), "{}", redacted);
            prop_assert!(!redacted.contains(&hex));
        }
    }
}
