//! A federated sanction: one moderation outcome a community publishes for others, as the body
//! of a C2SP signed note signed by the community's key under its log origin.
//!
//! The body is strict line-per-field text, so the signed bytes are the only encoding:
//!
//! ```text
//! ic-sanction/v1
//! origin <the publisher's log origin>
//! seq <n>
//! subject ed25519:<hex>
//! action <kind[:amount]>
//! scope <what it restricts>
//! expires <unix seconds | never>
//! reason <public reason code>
//! case <64 hex: SHA-256 of the publisher's case id>
//! negates <seq | none>
//! issued <unix seconds>
//! ```

use scr::{KeyChain, KeyPair, PlayerKey};

use crate::checkpoint::canonical_decimal;
use crate::note::{Note, NoteError};

/// The first line of every entry.
pub const SANCTION_HEADER: &str = "ic-sanction/v1";
/// Longest action, scope or reason token.
const MAX_TOKEN: usize = 64;

/// One published sanction, or the lifting of one (`negates`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SanctionEntry {
    /// The publisher's log origin (stable across its key rotations): also the signing name.
    pub origin: String,
    /// Position in the publisher's feed, from 1.
    pub seq: u64,
    /// The sanctioned player.
    pub subject: PlayerKey,
    /// What was applied, as the publisher names it (`queue_cooldown:24`, `ranked_suspension:14`).
    pub action: String,
    /// What it restricts (`chat`, `matchmaking`, `ranked`, `record`).
    pub scope: String,
    /// When it ends (Unix seconds); `None` for a measure without end (a warning).
    pub expires_at: Option<i64>,
    /// The public reason code (the case's category: `cheating`, `griefing`, …).
    pub reason: String,
    /// SHA-256 of the publisher's case id: a reference without revealing the case.
    pub case_ref: [u8; 32],
    /// For a lifting entry, the `seq` of the sanction it lifts.
    pub negates: Option<u64>,
    /// When the publisher recorded it (Unix seconds).
    pub issued_at: i64,
}

/// Why an entry is not a valid sanction of the expected publisher.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SanctionProblem {
    /// The note or its body does not parse.
    #[error("the sanction entry does not parse: {0}")]
    Malformed(String),
    /// It names another publisher.
    #[error("the entry is published under {found:?}, not {expected:?}")]
    WrongOrigin {
        /// The publisher expected.
        expected: String,
        /// The origin it names.
        found: String,
    },
    /// No key of the publisher's chain signed it (tampered or forged).
    #[error("no key of the publisher's chain signed the entry")]
    NotSigned,
}

fn malformed(what: impl Into<String>) -> SanctionProblem {
    SanctionProblem::Malformed(what.into())
}

fn valid_token(token: &str) -> bool {
    !token.is_empty()
        && token.len() <= MAX_TOKEN
        && token
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b':')
}

fn signed_decimal(text: &str) -> Option<i64> {
    match text.strip_prefix('-') {
        Some(rest) if rest != "0" => canonical_decimal(rest)
            .and_then(|value| i64::try_from(value).ok())
            .map(|value| -value),
        Some(_) => None,
        None => canonical_decimal(text).and_then(|value| i64::try_from(value).ok()),
    }
}

impl SanctionEntry {
    /// The body text the note signs.
    pub fn to_text(&self) -> String {
        let expires = self
            .expires_at
            .map_or_else(|| "never".to_owned(), |at| at.to_string());
        let negates = self
            .negates
            .map_or_else(|| "none".to_owned(), |seq| seq.to_string());
        format!(
            "{SANCTION_HEADER}\norigin {}\nseq {}\nsubject {}\naction {}\nscope {}\nexpires \
             {expires}\nreason {}\ncase {}\nnegates {negates}\nissued {}\n",
            self.origin,
            self.seq,
            self.subject,
            self.action,
            self.scope,
            self.reason,
            hex::encode(self.case_ref),
            self.issued_at
        )
    }

    /// Checks the fields that have a shape: tokens, origin, sequence.
    pub fn validate(&self) -> Result<(), SanctionProblem> {
        if !crate::note::valid_name(&self.origin) {
            return Err(malformed("the origin is empty or holds a space or '+'"));
        }
        for (name, token) in [
            ("action", &self.action),
            ("scope", &self.scope),
            ("reason", &self.reason),
        ] {
            if !valid_token(token) {
                return Err(malformed(format!(
                    "{name} must be 1 to {MAX_TOKEN} of a-z, 0-9, '_' and ':'"
                )));
            }
        }
        if self.seq == 0 || self.negates.is_some_and(|n| n == 0 || n >= self.seq) {
            return Err(malformed(
                "seq starts at 1 and an entry negates an earlier one",
            ));
        }
        Ok(())
    }

    /// Reads a body written by [`Self::to_text`]; anything else is refused.
    pub fn parse(text: &str) -> Result<Self, SanctionProblem> {
        let body = text
            .strip_suffix('\n')
            .ok_or_else(|| malformed("the body must end in a newline"))?;
        let mut lines = body.split('\n');
        if lines.next() != Some(SANCTION_HEADER) {
            return Err(malformed(format!(
                "the first line must be {SANCTION_HEADER}"
            )));
        }
        let mut field = |name: &'static str| {
            lines
                .next()
                .and_then(|line| line.strip_prefix(name))
                .and_then(|rest| rest.strip_prefix(' '))
                .ok_or_else(|| malformed(format!("expected the line {name:?}")))
        };
        let origin = field("origin")?.to_owned();
        let seq = canonical_decimal(field("seq")?).ok_or_else(|| malformed("bad seq"))?;
        let subject = field("subject")?
            .parse::<PlayerKey>()
            .map_err(|error| malformed(format!("bad subject: {error}")))?;
        let action = field("action")?.to_owned();
        let scope = field("scope")?.to_owned();
        let expires_at = match field("expires")? {
            "never" => None,
            text => Some(signed_decimal(text).ok_or_else(|| malformed("bad expires"))?),
        };
        let reason = field("reason")?.to_owned();
        let case_text = field("case")?;
        let case_ref = (case_text.len() == 64
            && case_text
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)))
        .then(|| hex::decode(case_text).ok())
        .flatten()
        .and_then(|bytes| <[u8; 32]>::try_from(bytes).ok())
        .ok_or_else(|| malformed("case must be 64 lowercase hex"))?;
        let negates = match field("negates")? {
            "none" => None,
            text => Some(canonical_decimal(text).ok_or_else(|| malformed("bad negates"))?),
        };
        let issued_at = signed_decimal(field("issued")?).ok_or_else(|| malformed("bad issued"))?;
        if lines.next().is_some() {
            return Err(malformed("extra lines after issued"));
        }
        let entry = Self {
            origin,
            seq,
            subject,
            action,
            scope,
            expires_at,
            reason,
            case_ref,
            negates,
            issued_at,
        };
        entry.validate()?;
        // Only the canonical form is accepted: one entry has one signed encoding.
        if entry.to_text() != text {
            return Err(malformed("not in canonical form"));
        }
        Ok(entry)
    }

    /// The signed note of this entry, by `key` under the origin.
    pub fn sign(&self, key: &KeyPair) -> Result<String, NoteError> {
        Ok(Note::sign(&self.to_text(), &self.origin, key)?.to_text())
    }
}

/// Reads `note` as a sanction entry published under `origin` and signed by a key of `chain`.
pub fn read_sanction(
    note: &str,
    origin: &str,
    chain: &KeyChain,
) -> Result<SanctionEntry, SanctionProblem> {
    let parsed = Note::parse(note).map_err(|error| malformed(error.to_string()))?;
    let entry = SanctionEntry::parse(&parsed.text)?;
    if entry.origin != origin {
        return Err(SanctionProblem::WrongOrigin {
            expected: origin.to_owned(),
            found: entry.origin,
        });
    }
    if !crate::signed::signed_by_chain(&parsed, origin, chain) {
        return Err(SanctionProblem::NotSigned);
    }
    Ok(entry)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use proptest::prelude::*;

    fn entry() -> SanctionEntry {
        SanctionEntry {
            origin: "ic-community/0123456789abcdef0123456789abcdef".into(),
            seq: 7,
            subject: PlayerKey::from_bytes([5; 32]),
            action: "queue_cooldown:24".into(),
            scope: "matchmaking".into(),
            expires_at: Some(1_800_000_000),
            reason: "griefing".into(),
            case_ref: [0xab; 32],
            negates: None,
            issued_at: 1_799_913_600,
        }
    }

    #[test]
    fn a_signed_entry_reads_back_with_the_publishers_chain_only() {
        let key = KeyPair::from_seed([1; 32]);
        let chain = KeyChain::new(key.public_key().into(), None).unwrap();
        let note = entry().sign(&key).unwrap();
        assert_eq!(
            read_sanction(&note, &entry().origin, &chain).unwrap(),
            entry()
        );
        let other = KeyChain::new(KeyPair::from_seed([2; 32]).public_key().into(), None).unwrap();
        assert_eq!(
            read_sanction(&note, &entry().origin, &other),
            Err(SanctionProblem::NotSigned)
        );
        assert!(matches!(
            read_sanction(&note, "ic-community/other", &chain),
            Err(SanctionProblem::WrongOrigin { .. })
        ));
        // A changed field breaks the signature.
        let tampered = note.replace("queue_cooldown:24", "queue_cooldown:99");
        assert_eq!(
            read_sanction(&tampered, &entry().origin, &chain),
            Err(SanctionProblem::NotSigned)
        );
    }

    #[test]
    fn only_the_canonical_body_is_read() {
        let text = entry().to_text();
        assert_eq!(SanctionEntry::parse(&text).unwrap(), entry());
        for bad in [
            text.replace("seq 7", "seq 07"),
            text.replace("expires 1800000000", "expires +1800000000"),
            text.replace("case ab", "case AB"),
            text.replace("scope matchmaking", "scope Match making"),
            text.replace("negates none", "negates 7"),
            text.replace("issued", "issued_at"),
            format!("{text}extra\n"),
            text.trim_end().to_owned(),
        ] {
            assert!(SanctionEntry::parse(&bad).is_err(), "{bad}");
        }
        let mut lifting = entry();
        lifting.seq = 9;
        lifting.negates = Some(7);
        lifting.expires_at = None;
        assert_eq!(SanctionEntry::parse(&lifting.to_text()).unwrap(), lifting);
    }

    proptest! {
        #[test]
        fn entries_round_trip_through_their_text(
            seq in 2u64..u64::MAX,
            subject in any::<[u8; 32]>(),
            action in "[a-z_]{1,20}(:[0-9]{1,4})?",
            expires in proptest::option::of(any::<i64>()),
            case_ref in any::<[u8; 32]>(),
            negates in proptest::option::of(1u64..2),
            issued in any::<i64>(),
        ) {
            let entry = SanctionEntry {
                seq,
                subject: PlayerKey::from_bytes(subject),
                action,
                expires_at: expires,
                case_ref,
                negates,
                issued_at: issued,
                ..entry()
            };
            prop_assert_eq!(SanctionEntry::parse(&entry.to_text()).unwrap(), entry);
        }

        #[test]
        fn arbitrary_text_never_panics_and_what_parses_is_canonical(text in "\\PC{0,300}") {
            if let Ok(entry) = SanctionEntry::parse(&text) {
                prop_assert_eq!(entry.to_text(), text);
            }
        }
    }
}
