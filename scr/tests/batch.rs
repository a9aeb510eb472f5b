//! Batch verification gives exactly the one-by-one outcome, and names the failing record.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

mod common;

use common::*;
use proptest::prelude::*;
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;
use scr::{BatchError, PlayerContext, RecordType, RevocationTable, Verifier};

fn verifier() -> Verifier {
    let mut table = RevocationTable::new(player());
    table.raise(RecordType::Achievement, 5);
    Verifier::for_keys(community_key(), recovery_key())
        .unwrap()
        .with_player(PlayerContext::new(table))
}

/// One-by-one in order, stopping at the first failure: the reference outcome.
fn one_by_one(verifier: &Verifier, records: &[&[u8]], now: i64) -> Result<usize, BatchError> {
    for (index, bytes) in records.iter().enumerate() {
        verifier
            .verify(bytes, now)
            .map_err(|error| BatchError { index, error })?;
    }
    Ok(records.len())
}

/// Ways to spoil a record, each caught by a different check.
fn spoil(bytes: &mut Vec<u8>, how: u8) {
    match how % 6 {
        0 => {}
        1 => bytes[100] ^= 0x04, // payload tamper: bad signature
        2 => {
            let last = bytes.len() - 1; // signature tamper
            bytes[last] ^= 0x80;
        }
        3 => bytes.truncate(bytes.len() - 1), // malformed
        4 => *bytes = player_record(rating_payload(), 1, &other_community()).into_bytes(),
        _ => *bytes = player_record(achievement_payload(None), 4, &community()).into_bytes(), // revoked
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn batch_outcome_equals_one_by_one(spoils in prop::collection::vec(any::<u8>(), 1..24), seed in any::<u64>()) {
        let records: Vec<Vec<u8>> = spoils
            .iter()
            .enumerate()
            .map(|(i, how)| {
                let mut bytes = player_record(match_payload(), 10 + i as u64, &community()).into_bytes();
                // Mostly valid records, so batches of all-valid also occur.
                if how % 3 == 0 {
                    spoil(&mut bytes, how / 3);
                }
                bytes
            })
            .collect();
        let refs: Vec<&[u8]> = records.iter().map(Vec::as_slice).collect();
        let verifier = verifier();
        let expected = one_by_one(&verifier, &refs, T0);
        let mut rng = ChaCha20Rng::seed_from_u64(seed);
        let batch = verifier.verify_batch(&refs, T0, &mut rng).map(|v| v.len());
        prop_assert_eq!(batch, expected);

        // verify_each reports every record's own outcome, exactly as verify does.
        let each = verifier.verify_each(&refs, T0, &mut rng);
        for (bytes, result) in refs.iter().zip(each) {
            prop_assert_eq!(result, verifier.verify(bytes, T0));
        }
    }
}

#[test]
fn batch_names_the_first_failing_record() {
    let mut records: Vec<Vec<u8>> = (0..64)
        .map(|i| player_record(rating_payload(), 100 + i, &community()).into_bytes())
        .collect();
    let mut rng = ChaCha20Rng::seed_from_u64(1);
    let refs: Vec<&[u8]> = records.iter().map(Vec::as_slice).collect();
    assert_eq!(
        verifier().verify_batch(&refs, T0, &mut rng).unwrap().len(),
        64
    );

    // A bad signature at 40 and an expired record at 50: the signature failure comes first.
    records[40][120] ^= 1;
    let refs: Vec<&[u8]> = records.iter().map(Vec::as_slice).collect();
    let error = verifier().verify_batch(&refs, T0, &mut rng).unwrap_err();
    assert_eq!((error.index, error.error.code()), (40, "bad_signature"));

    // A cheap failure before the bad signature wins.
    records[10] = player_record(rating_payload(), 1, &other_community()).into_bytes();
    let refs: Vec<&[u8]> = records.iter().map(Vec::as_slice).collect();
    let error = verifier().verify_batch(&refs, T0, &mut rng).unwrap_err();
    assert_eq!((error.index, error.error.code()), (10, "wrong_community"));
}

#[test]
fn empty_batch_is_valid() {
    let mut rng = ChaCha20Rng::seed_from_u64(1);
    assert!(
        verifier()
            .verify_batch(&[], T0, &mut rng)
            .unwrap()
            .is_empty()
    );
}
