//! Checking the records a community sends: revocations first (they change what is valid), then
//! the rest against the raised minimums; what does not verify is reported, not stored.

use rand::rngs::OsRng;
use scr::{
    KeyChain, PlayerContext, Record, RecordType, RevocationTable, Verified, Verifier, VerifyError,
};

use super::Rejected;

/// What to do with the sequence of a record signed by a key the chain does not hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum UnknownSigner {
    /// Fetch it again next time: a rotation to its key may be published meanwhile.
    Retry,
    /// Move past it: at join, such records predate the pinned key.
    SkipPast,
}

/// Records checked against the chain: those to store, those refused, the sequence reached.
pub(super) struct Checked {
    pub(super) verified: Vec<Verified<Record>>,
    pub(super) rejected: Vec<Rejected>,
    pub(super) highest_sequence: u64,
    pub(super) table: RevocationTable,
}

impl Checked {
    pub(super) fn merge(&mut self, other: Checked) {
        self.verified.extend(other.verified);
        self.rejected.extend(other.rejected);
        self.highest_sequence = self.highest_sequence.max(other.highest_sequence);
        self.table = other.table;
    }
}

/// Verifies incoming records of this player: revocations first (they change what is valid),
/// then everything else against the raised minimums. Rotation records are skipped here; they
/// reach the wallet only through the key chain.
pub(super) fn check_incoming(
    chain: &KeyChain,
    mut table: RevocationTable,
    incoming: Vec<Vec<u8>>,
    now: i64,
    unknown_signer: UnknownSigner,
) -> Checked {
    let mut verified = Vec::new();
    let mut rejected = Vec::new();
    let mut highest_sequence = 0;
    let mut revocations = Vec::new();
    let mut others = Vec::new();
    for bytes in incoming {
        match Record::decode(&bytes) {
            Ok(record) if record.record_type() == RecordType::KeyRotation => {}
            Ok(record) if record.record_type() == RecordType::Revocation => revocations.push(bytes),
            Ok(_) => others.push(bytes),
            Err(error) => rejected.push(Rejected {
                sequence: None,
                record_type: None,
                error: VerifyError::Decode(error),
            }),
        }
    }
    for batch in [revocations, others] {
        let verifier = Verifier::new(chain.clone()).with_player(PlayerContext::new(table.clone()));
        let slices: Vec<&[u8]> = batch.iter().map(Vec::as_slice).collect();
        let outcomes = verifier.verify_each(&slices, now, &mut OsRng);
        for (bytes, outcome) in batch.iter().zip(outcomes) {
            match outcome {
                Ok(record) => {
                    highest_sequence = highest_sequence.max(record.sequence());
                    if record.record_type() == RecordType::Revocation {
                        // Verified with this player's context, so it is this player's
                        // revocation and `apply` cannot refuse it.
                        let _ = table.apply(&record);
                    }
                    verified.push(record);
                }
                Err(error) => {
                    let header = scr::RecordView::parse(bytes).ok();
                    // A record signed by a key this wallet does not know yet may become valid
                    // after a rotation is published: do not move past it.
                    let retry = unknown_signer == UnknownSigner::Retry
                        && matches!(error, VerifyError::WrongCommunity(_));
                    if !retry {
                        if let Some(header) = &header {
                            highest_sequence = highest_sequence.max(header.sequence());
                        }
                    }
                    rejected.push(Rejected {
                        sequence: header.as_ref().map(scr::RecordView::sequence),
                        record_type: header.as_ref().map(scr::RecordView::record_type),
                        error,
                    });
                }
            }
        }
    }
    Checked {
        verified,
        rejected,
        highest_sequence,
        table,
    }
}
