//! Small display helpers shared by the pages: shortened keys, dates, fixed-point numbers.
// Used by the pages of capabilities a smaller build may leave out.
#![cfg_attr(
    not(all(feature = "ranking", feature = "matchmaking")),
    allow(dead_code)
)]

/// `ed25519:1a2b3c4d…9e8f` (first 8 and last 4 hex digits) for tables; the full key is in links.
pub fn short_key(full: &str) -> String {
    match full.split_once(':') {
        Some((scheme, hex)) if hex.len() > 12 => {
            format!("{scheme}:{}…{}", &hex[..8], &hex[hex.len() - 4..])
        }
        _ => full.to_owned(),
    }
}

pub use crate::clock::http_date as date;

/// A value stored ×1000 as a whole number (rounded half away from zero).
pub fn thousandths(value: i64) -> i64 {
    let half = if value < 0 { -500 } else { 500 };
    (value + half) / 1000
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_dates_and_numbers_read_as_people_expect() {
        let key = format!("ed25519:{}", "ab".repeat(32));
        assert_eq!(short_key(&key), "ed25519:abababab…abab");
        assert_eq!(short_key("ed25519:abc"), "ed25519:abc");
        assert_eq!(date(0), "Thu, 01 Jan 1970 00:00:00 GMT");
        assert_eq!(date(1_796_547_600), "Sun, 06 Dec 2026 09:00:00 GMT");
        assert_eq!(thousandths(1_499_500), 1500);
        assert_eq!(thousandths(1_499_499), 1499);
        assert_eq!(thousandths(-1_500), -2);
    }
}
