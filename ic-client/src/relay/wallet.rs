//! Storing the records a relay pushed after a match: verified against the wallet's pinned key
//! chain and revocations exactly like synced records, then written in one transaction.

use rand::rngs::OsRng;
use scr::{Record, RecordType};

use crate::wallet::{ApplyReport, CommunityStore, WalletError};

/// What storing pushed records did.
#[derive(Debug)]
pub struct PushedRecords {
    /// What the wallet changed.
    pub report: ApplyReport,
    /// Records refused, with the reason.
    pub rejected: Vec<scr::VerifyError>,
}

/// Verifies `records` (SCR bytes from a `RatingUpdate` frame) and stores the valid ones.
///
/// The wallet's `last_sequence` is left alone: records issued before these and not yet synced
/// must still be fetched by the next sync, which then ignores the ones stored here.
pub async fn store_pushed_records(
    store: &CommunityStore,
    records: &[Vec<u8>],
    now: i64,
) -> Result<PushedRecords, WalletError> {
    let verifier = store.verifier().await?;
    // Key rotations reach the wallet only through the community document's chain.
    let candidates: Vec<&[u8]> = records
        .iter()
        .map(Vec::as_slice)
        .filter(|bytes| {
            Record::decode(bytes).map_or(true, |r| r.record_type() != RecordType::KeyRotation)
        })
        .collect();
    let mut verified = Vec::new();
    let mut rejected = Vec::new();
    for outcome in verifier.verify_each(&candidates, now, &mut OsRng) {
        match outcome {
            Ok(record) => verified.push(record),
            Err(error) => rejected.push(error),
        }
    }
    let report = store.apply(None, None, &verified, 0, now).await?;
    Ok(PushedRecords { report, rejected })
}
