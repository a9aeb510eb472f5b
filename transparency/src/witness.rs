//! The C2SP `tlog-witness` exchange: the `add-checkpoint` request a log sends (old size,
//! consistency proof, signed checkpoint) and the witness's decision to cosign it or refuse.
//!
//! The witness's decision is pure: given the last checkpoint it cosigned for the log and a
//! request whose signature already verified, [`decide`] says cosign or which refusal.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;

use crate::checkpoint::{Checkpoint, canonical_decimal};
use crate::hash::Hash;
use crate::verify::verify_consistency;

/// At most this many proof lines (a consistency proof of any 64-bit tree is shorter).
pub const MAX_PROOF_LINES: usize = 63;
/// The requests and responses are small; a longer body is refused unread.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// An `add-checkpoint` request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AddCheckpoint {
    /// The size of the last checkpoint the log believes the witness cosigned (0: none).
    pub old_size: u64,
    /// The consistency proof from `old_size` to the checkpoint's size.
    pub proof: Vec<Hash>,
    /// The signed checkpoint note, as the log serves it.
    pub note: String,
}

/// Why a request body is not an `add-checkpoint` request.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("malformed add-checkpoint request: {0}")]
pub struct MalformedRequest(pub &'static str);

impl AddCheckpoint {
    /// The request body: `old <size>`, one base64 hash per line, a blank line, the note.
    pub fn to_text(&self) -> String {
        let mut text = format!("old {}\n", self.old_size);
        for hash in &self.proof {
            text.push_str(&BASE64.encode(hash));
            text.push('\n');
        }
        text.push('\n');
        text.push_str(&self.note);
        text
    }

    /// Reads a request body as [`AddCheckpoint::to_text`] writes it. The note is not parsed
    /// here; the witness reads and verifies it next.
    pub fn parse(body: &str) -> Result<Self, MalformedRequest> {
        if body.len() > MAX_BODY_BYTES {
            return Err(MalformedRequest("the body is too long"));
        }
        let (head, note) = body
            .split_once("\n\n")
            .ok_or(MalformedRequest("no blank line before the checkpoint"))?;
        let mut lines = head.split('\n');
        let old = lines
            .next()
            .and_then(|line| line.strip_prefix("old "))
            .ok_or(MalformedRequest("the first line is not 'old <size>'"))?;
        let old_size = canonical_decimal(old)
            .ok_or(MalformedRequest("the old size is not a decimal number"))?;
        let mut proof = Vec::new();
        for line in lines {
            if proof.len() == MAX_PROOF_LINES {
                return Err(MalformedRequest("more than 63 proof lines"));
            }
            let hash = BASE64
                .decode(line)
                .ok()
                .and_then(|bytes| Hash::try_from(bytes.as_slice()).ok())
                .ok_or(MalformedRequest(
                    "a proof line is not base64 of a 32-byte hash",
                ))?;
            proof.push(hash);
        }
        Ok(Self {
            old_size,
            proof,
            note: note.to_owned(),
        })
    }
}

/// Why a witness refuses to cosign (each maps to the status code the protocol names).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    /// The old size is larger than the checkpoint's (400).
    #[error("the old size {old} is larger than the checkpoint's size {size}")]
    OldSizeTooLarge {
        /// The request's old size.
        old: u64,
        /// The checkpoint's size.
        size: u64,
    },
    /// The old size is not the size this witness last cosigned (409, with `latest`).
    #[error("the witness last cosigned a checkpoint of {latest} leaves, not {old}")]
    OldSizeMismatch {
        /// The request's old size.
        old: u64,
        /// The size of the last checkpoint cosigned for this log.
        latest: u64,
    },
    /// Same size as the last cosigned checkpoint, another root: a fork (409).
    #[error("the checkpoint of {size} leaves has another root than the one cosigned before")]
    RootMismatch {
        /// The size both checkpoints have.
        size: u64,
    },
    /// The consistency proof does not verify (422).
    #[error("the consistency proof from {old} to {size} leaves does not verify: {reason}")]
    BadProof {
        /// The old size.
        old: u64,
        /// The checkpoint's size.
        size: u64,
        /// What the verifier said.
        reason: String,
    },
}

impl Refusal {
    /// The HTTP status the protocol gives this refusal.
    pub fn status(&self) -> u16 {
        match self {
            Self::OldSizeTooLarge { .. } => 400,
            Self::OldSizeMismatch { .. } | Self::RootMismatch { .. } => 409,
            Self::BadProof { .. } => 422,
        }
    }
}

/// Decides whether a witness whose last cosigned checkpoint of this log is `latest` (size and
/// root; `None`: never cosigned one) may cosign `checkpoint` given `old_size` and `proof`.
/// The checkpoint's signature must have verified already.
pub fn decide(
    latest: Option<(u64, Hash)>,
    old_size: u64,
    proof: &[Hash],
    checkpoint: &Checkpoint,
) -> Result<(), Refusal> {
    let size = checkpoint.size;
    if old_size > size {
        return Err(Refusal::OldSizeTooLarge {
            old: old_size,
            size,
        });
    }
    let latest_size = latest.map_or(0, |(size, _)| size);
    if old_size != latest_size {
        return Err(Refusal::OldSizeMismatch {
            old: old_size,
            latest: latest_size,
        });
    }
    let bad_proof = |reason: String| Refusal::BadProof {
        old: old_size,
        size,
        reason,
    };
    let Some((_, latest_root)) = latest.filter(|(size, _)| *size > 0) else {
        return if proof.is_empty() {
            Ok(())
        } else {
            Err(bad_proof("the proof from size 0 must be empty".into()))
        };
    };
    if old_size == size {
        if latest_root != checkpoint.root {
            return Err(Refusal::RootMismatch { size });
        }
        return if proof.is_empty() {
            Ok(())
        } else {
            Err(bad_proof(
                "the proof between equal sizes must be empty".into(),
            ))
        };
    }
    verify_consistency(proof, size, &checkpoint.root, old_size, &latest_root)
        .map_err(|error| bad_proof(error.to_string()))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::frontier::Frontier;
    use crate::hash::leaf_hash;

    /// A tree of `n` leaves, with every stored hash, so proofs can be made.
    fn tree(n: u64) -> (Vec<Hash>, Frontier) {
        let mut stored = Vec::new();
        let mut frontier = Frontier::empty();
        for i in 0..n {
            let appended = frontier.append(&[leaf_hash(&i.to_be_bytes())]).unwrap();
            stored.extend(appended.hashes);
        }
        (stored, frontier)
    }

    fn proof(stored: &[Hash], first: u64, second: u64) -> Vec<Hash> {
        let positions = crate::consistency_indexes(first, second).unwrap();
        let hashes: Vec<Hash> = positions.iter().map(|&p| stored[p as usize]).collect();
        crate::consistency_from(first, second, &hashes).unwrap()
    }

    #[test]
    fn the_witness_follows_the_protocol_for_each_case() {
        let (stored, eight) = tree(8);
        let (_, five) = tree(5);
        let checkpoint = Checkpoint::new("log.example", 8, eight.root());
        let good = proof(&stored, 5, 8);
        // First sight: old 0, empty proof.
        assert_eq!(decide(None, 0, &[], &checkpoint), Ok(()));
        assert_eq!(
            decide(None, 0, &good, &checkpoint).unwrap_err().status(),
            422
        );
        // Extending the last cosigned size with a good proof; a bad proof is 422.
        let latest = Some((5, five.root()));
        assert_eq!(decide(latest, 5, &good, &checkpoint), Ok(()));
        let mut bad = good.clone();
        bad[0][0] ^= 1;
        assert_eq!(
            decide(latest, 5, &bad, &checkpoint).unwrap_err().status(),
            422
        );
        // The log's idea of the last cosigned size is wrong: 409 with the right one.
        assert_eq!(
            decide(latest, 0, &[], &checkpoint),
            Err(Refusal::OldSizeMismatch { old: 0, latest: 5 })
        );
        // An old size beyond the checkpoint: 400.
        assert_eq!(
            decide(latest, 9, &[], &checkpoint).unwrap_err().status(),
            400
        );
        // The same size again: fine with the same root, a fork with another.
        let again = Some((8, eight.root()));
        assert_eq!(decide(again, 8, &[], &checkpoint), Ok(()));
        let forked = Some((8, [3; 32]));
        assert_eq!(
            decide(forked, 8, &[], &checkpoint),
            Err(Refusal::RootMismatch { size: 8 })
        );
        // A rewritten past: the proof from the cosigned root does not verify.
        let rewritten = Some((5, [6; 32]));
        assert_eq!(
            decide(rewritten, 5, &good, &checkpoint)
                .unwrap_err()
                .status(),
            422
        );
    }

    #[test]
    fn requests_read_back_and_refuse_bad_lines() {
        let request = AddCheckpoint {
            old_size: 20_852_014,
            proof: vec![[1; 32], [2; 32]],
            note: "log.example\n3\nAAAA\n\n\u{2014} log.example AAAAAAAA\n".into(),
        };
        assert_eq!(AddCheckpoint::parse(&request.to_text()), Ok(request));
        for bad in [
            "old 1\n",
            "new 1\n\nx",
            "old 01\n\nx",
            "old -1\n\nx",
            "old 1\nAAAA\n\nx",
            "old 1\nnot base64!\n\nx",
        ] {
            assert!(AddCheckpoint::parse(bad).is_err(), "{bad:?}");
        }
        let long: String = format!(
            "old 1\n{}\nx",
            "AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE=\n".repeat(64)
        );
        assert_eq!(
            AddCheckpoint::parse(&long),
            Err(MalformedRequest("more than 63 proof lines"))
        );
    }
}

#[cfg(test)]
mod properties {
    use proptest::prelude::*;

    use super::*;

    proptest! {
        /// Any body is read or refused, never a panic; what is read writes back the same.
        #[test]
        fn any_body_is_a_request_or_refused(input in "(old [0-9]{1,3}\n)?([A-Za-z0-9+/=]{0,44}\n){0,3}\n?.{0,40}") {
            if let Ok(request) = AddCheckpoint::parse(&input) {
                prop_assert_eq!(request.to_text(), input);
            }
        }

        /// Written requests read back equal.
        #[test]
        fn written_requests_read_back(
            old_size in any::<u64>(),
            proof in proptest::collection::vec(any::<[u8; 32]>(), 0..=MAX_PROOF_LINES),
            note in ".{0,80}",
        ) {
            let request = AddCheckpoint { old_size, proof, note };
            prop_assert_eq!(AddCheckpoint::parse(&request.to_text()), Ok(request));
        }
    }
}
