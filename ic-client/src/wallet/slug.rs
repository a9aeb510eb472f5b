//! File names for communities: lowercase ASCII letters, digits and dashes from the display name.
//! The name comes from a server, so the slug must never be able to leave `communities/`.

/// Longest slug, in characters.
pub const MAX_SLUG_LEN: usize = 48;

/// The slug of a community name, e.g. `"Clan Wolfpack!"` → `"clan-wolfpack"`.
pub fn slug_for(name: &str) -> String {
    let mut slug = String::new();
    let mut dash_pending = false;
    for c in name.chars() {
        if c.is_ascii_alphanumeric() {
            if dash_pending && !slug.is_empty() {
                slug.push('-');
            }
            dash_pending = false;
            slug.push(c.to_ascii_lowercase());
        } else {
            dash_pending = true;
        }
        if slug.len() >= MAX_SLUG_LEN {
            break;
        }
    }
    if slug.is_empty() {
        // A name with nothing usable (all symbols or another script).
        "community".to_owned()
    } else {
        slug
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_are_safe_file_names() {
        assert_eq!(slug_for("Official IC"), "official-ic");
        assert_eq!(slug_for("  Clan  Wolfpack!! "), "clan-wolfpack");
        assert_eq!(slug_for("../../etc/passwd"), "etc-passwd");
        assert_eq!(slug_for("Ω Ω"), "community");
        assert_eq!(slug_for(""), "community");
        assert!(slug_for(&"x".repeat(500)).len() <= MAX_SLUG_LEN);
        assert!(!slug_for(".hidden").starts_with('.'));
    }
}
