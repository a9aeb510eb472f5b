//! Room codes: six characters from an alphabet without look-alikes, written `XXX-XXX`, and the
//! canonical form of whatever a player typed or read aloud.

use rand::Rng;

/// Room code characters: no 0/O, 1/I/L, 2/Z, 5/S, 8/B look-alikes, so codes survive being read
/// aloud or copied by hand.
pub const CODE_ALPHABET: &[u8] = b"ACDEFGHJKMNPQRTUVWXY34679";

/// A fresh `XXX-XXX` code.
pub(super) fn new_code(rng: &mut impl Rng) -> String {
    let mut code = String::with_capacity(7);
    for index in 0..6 {
        if index == 3 {
            code.push('-');
        }
        code.push(char::from(
            CODE_ALPHABET[rng.gen_range(0..CODE_ALPHABET.len())],
        ));
    }
    code
}

/// The canonical form of a code a player typed: upper case, dash optional, spaces ignored.
pub fn normalize(typed: &str) -> Option<String> {
    let letters: Vec<u8> = typed
        .bytes()
        .filter(|b| *b != b'-' && !b.is_ascii_whitespace())
        .map(|b| b.to_ascii_uppercase())
        .collect();
    if letters.len() != 6 || !letters.iter().all(|b| CODE_ALPHABET.contains(b)) {
        return None;
    }
    let text = String::from_utf8(letters).ok()?;
    Some(format!("{}-{}", &text[..3], &text[3..]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_use_the_unambiguous_alphabet_and_normalize_from_what_people_type() {
        let mut rng = rand::rngs::OsRng;
        for _ in 0..200 {
            let code = new_code(&mut rng);
            assert_eq!(code.len(), 7);
            assert_eq!(&code[3..4], "-");
            assert_eq!(normalize(&code).as_deref(), Some(code.as_str()));
            assert_eq!(
                normalize(&code.to_lowercase().replace('-', " ")),
                Some(code)
            );
        }
        assert_eq!(normalize("ACD-EFO"), None, "O is not in the alphabet");
        assert_eq!(normalize("ACD-EF"), None);
        assert_eq!(normalize("ACD-EFGH"), None);
    }
}
