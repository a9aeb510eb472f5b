//! The byte format seen from outside: round trips, tampering, truncation, lengths, boundaries.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

mod common;

use common::*;
use proptest::prelude::*;
use scr::payload::{KeyRotationPayload, Payload, RotationReason, RotationSigner};
use scr::{
    DecodeError, KeyPair, Malformed, PlayerContext, Record, RecordBuilder, RecordType,
    RevocationTable, Verifier, VerifyError,
};

fn verifier() -> Verifier {
    Verifier::for_keys(community_key(), recovery_key()).unwrap()
}

/// One valid record of every type, each verifiable by `verifier()` at T0.
fn samples() -> Vec<Record> {
    vec![
        player_record(rating_payload(), 7, &community()),
        player_record(match_payload(), 8, &community()),
        player_record(achievement_payload(Some([0xab; 32])), 9, &community()),
        player_record(achievement_payload(None), 10, &community()),
        player_record(revocation_payload(RecordType::Rating, 7), 11, &community()),
        voluntary_rotation(),
    ]
}

#[test]
fn samples_verify_and_match_documented_sizes() {
    let records = samples();
    for record in &records {
        verifier().verify(record.as_bytes(), T0).unwrap();
    }
    // D052: a "ra"/"glicko2" rating record is 158 + 59 = 217 bytes; layout 2 adds the
    // season's 4 bytes.
    assert_eq!(records[0].as_bytes().len(), 221);
    let first_layout = player_record(rating_payload_without_season(), 6, &community());
    assert_eq!(first_layout.as_bytes().len(), 217);
    // Revocation payload: 1 + 8 + 1 bytes; rotation payload: 32 + 32 + 1 + 1 + 8 + 8.
    assert_eq!(records[4].as_bytes().len(), 158 + 10);
    assert_eq!(records[5].as_bytes().len(), 158 + 82);
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn every_player_record_round_trips(
        payload in arb_player_payload(),
        sequence in any::<u64>(),
        issued_at in -(1i64 << 40)..(1i64 << 40),
        lifetime in prop::option::of(1i64..(1 << 30)),
    ) {
        let mut builder = RecordBuilder::new(payload.clone())
            .player(player())
            .sequence(sequence)
            .issued_at(issued_at);
        if let Some(lifetime) = lifetime {
            builder = builder.expires_at(issued_at + lifetime);
        }
        let record = builder.sign(&community()).unwrap();
        let decoded = Record::decode(record.as_bytes()).unwrap();
        prop_assert_eq!(&decoded, &record);
        prop_assert_eq!(decoded.payload(), &payload);
        prop_assert_eq!(decoded.sequence(), sequence);
        prop_assert_eq!(decoded.issued_at(), issued_at);
        let verified = verifier().verify(record.as_bytes(), issued_at).unwrap();
        prop_assert_eq!(verified.into_inner(), record);
    }

    #[test]
    fn key_rotations_round_trip(
        effective_at in -(1i64 << 40)..(1i64 << 40),
        grace in 0i64..(1 << 30),
        sequence in 1u64..1000,
        new_seed in any::<[u8; 32]>(),
    ) {
        let payload = Payload::KeyRotation(KeyRotationPayload {
            old_key: community_key(),
            new_key: KeyPair::from_seed(new_seed).public_key().into(),
            signed_by: RotationSigner::SigningKey,
            reason: RotationReason::Migration,
            effective_at,
            grace_until: effective_at + grace,
        });
        let record = RecordBuilder::new(payload.clone())
            .sequence(sequence)
            .issued_at(effective_at)
            .sign(&community())
            .unwrap();
        let decoded = Record::decode(record.as_bytes()).unwrap();
        prop_assert_eq!(decoded.payload(), &payload);
        prop_assert!(decoded.player_key().public_key().is_zero());
        prop_assert_eq!(decoded.expires_at(), None);
    }

    /// Arbitrary bytes never panic the decoder or the verifier.
    #[test]
    fn arbitrary_bytes_are_rejected_or_decoded_without_panic(bytes in prop::collection::vec(any::<u8>(), 0..400)) {
        let _ = Record::decode(&bytes);
        prop_assert!(verifier().verify(&bytes, T0).is_err());
    }
}

#[test]
fn every_single_bit_flip_is_rejected() {
    for record in samples() {
        let bytes = record.as_bytes();
        for bit in 0..bytes.len() * 8 {
            let mut flipped = bytes.to_vec();
            flipped[bit / 8] ^= 1 << (bit % 8);
            assert!(
                verifier().verify(&flipped, T0).is_err(),
                "{} record accepted with bit {bit} flipped",
                record.record_type()
            );
        }
    }
}

#[test]
fn every_truncation_is_rejected() {
    for record in samples() {
        let bytes = record.as_bytes();
        for len in 0..bytes.len() {
            let error = Record::decode(&bytes[..len]).unwrap_err();
            assert!(
                matches!(
                    error,
                    DecodeError::Malformed(Malformed::TooShort(_) | Malformed::Truncated { .. })
                ),
                "prefix of {len} bytes gave {error:?}"
            );
        }
    }
}

#[test]
fn both_rating_layouts_decode_and_a_partial_season_is_malformed() {
    let record = player_record(rating_payload_without_season(), 6, &community());
    let verified = verifier().verify(record.as_bytes(), T0).unwrap();
    let scr::payload::Payload::Rating(rating) = verified.payload() else {
        panic!("a rating record");
    };
    assert_eq!(rating.season, None);
    let record = player_record(rating_payload(), 7, &community());
    let verified = verifier().verify(record.as_bytes(), T0).unwrap();
    let scr::payload::Payload::Rating(rating) = verified.payload() else {
        panic!("a rating record");
    };
    assert_eq!(rating.season, Some(4));
    // One to three bytes after the percentile are neither layout.
    for extra in 1..4 {
        let mut payload = Vec::new();
        rating_payload_without_season()
            .encode(&mut payload)
            .unwrap();
        payload.extend(std::iter::repeat_n(0u8, extra));
        assert!(
            scr::payload::Payload::decode(RecordType::Rating, &payload).is_err(),
            "{extra} extra bytes"
        );
    }
}

#[test]
fn trailing_bytes_are_rejected() {
    let mut bytes = samples()[0].as_bytes().to_vec();
    bytes.push(0);
    assert_eq!(
        Record::decode(&bytes),
        Err(DecodeError::Malformed(Malformed::TrailingBytes(1)))
    );
}

#[test]
fn a_lying_payload_len_is_rejected() {
    let original = samples()[0].as_bytes().to_vec();
    let real_len = original.len() - 158;
    let set_len = |len: u32| {
        let mut bytes = original.clone();
        bytes[90..94].copy_from_slice(&len.to_le_bytes());
        bytes
    };
    // Larger than the cap: rejected on the header alone (the no_alloc test shows nothing is
    // allocated for it).
    assert_eq!(
        Record::decode(&set_len(u32::MAX)),
        Err(DecodeError::Malformed(Malformed::PayloadTooLong(u32::MAX)))
    );
    assert_eq!(
        Record::decode(&set_len(65_536)),
        Err(DecodeError::Malformed(Malformed::PayloadTooLong(65_536)))
    );
    // Within the cap but longer than the bytes present.
    assert!(matches!(
        Record::decode(&set_len(real_len as u32 + 1)),
        Err(DecodeError::Malformed(Malformed::Truncated { .. }))
    ));
    // Shorter: the rest looks like trailing bytes.
    assert_eq!(
        Record::decode(&set_len(real_len as u32 - 1)),
        Err(DecodeError::Malformed(Malformed::TrailingBytes(1)))
    );
}

#[test]
fn unknown_version_and_type_are_named() {
    let mut bytes = samples()[0].as_bytes().to_vec();
    bytes[0] = 0x02;
    assert_eq!(
        Record::decode(&bytes),
        Err(DecodeError::UnsupportedVersion(2))
    );
    let mut bytes = samples()[0].as_bytes().to_vec();
    bytes[1] = 0x06;
    assert_eq!(
        Record::decode(&bytes),
        Err(DecodeError::UnknownRecordType(6))
    );
}

#[test]
fn expiry_boundary_is_exclusive() {
    let record = player_record(rating_payload(), 1, &community());
    let expires_at = record.expires_at().unwrap();
    assert_eq!(expires_at, T0 + 7 * DAY, "rating records default to 7 days");
    assert!(verifier().verify(record.as_bytes(), expires_at - 1).is_ok());
    assert_eq!(
        verifier().verify(record.as_bytes(), expires_at),
        Err(VerifyError::Expired {
            expires_at,
            now: expires_at
        })
    );
    // Match records never expire.
    let never = player_record(match_payload(), 2, &community());
    assert_eq!(never.expires_at(), None);
    assert!(verifier().verify(never.as_bytes(), i64::MAX).is_ok());
}

#[test]
fn expires_at_not_after_issued_at_is_malformed() {
    let error = RecordBuilder::new(rating_payload())
        .player(player())
        .sequence(1)
        .issued_at(T0)
        .expires_at(T0)
        .sign(&community())
        .unwrap_err();
    assert!(error.to_string().contains("expires_at"));
    // Hand-built and validly signed, the decoder refuses it too.
    let mut bytes = player_record(rating_payload(), 1, &community()).into_bytes();
    bytes[82..90].copy_from_slice(&(T0 - 1).to_le_bytes());
    resign(&mut bytes, &community());
    assert_eq!(
        verifier().verify(&bytes, T0).unwrap_err().code(),
        "malformed"
    );
}

#[test]
fn revocation_minimum_is_inclusive_and_never_goes_down() {
    let revocation = verifier()
        .verify(
            player_record(revocation_payload(RecordType::Rating, 7), 11, &community()).as_bytes(),
            T0,
        )
        .unwrap();
    let mut table = RevocationTable::new(player());
    assert_eq!(table.apply(&revocation), Ok(true));
    assert_eq!(table.apply(&revocation), Ok(false));
    let lower = verifier()
        .verify(
            player_record(revocation_payload(RecordType::Rating, 3), 12, &community()).as_bytes(),
            T0,
        )
        .unwrap();
    assert_eq!(table.apply(&lower), Ok(false));
    assert_eq!(table.min_valid(RecordType::Rating), 7);
    assert_eq!(table.min_valid(RecordType::Match), 0);

    let checker = verifier().with_player(PlayerContext::new(table.clone()));
    let at_min = player_record(rating_payload(), 7, &community());
    assert!(checker.verify(at_min.as_bytes(), T0).is_ok());
    let below = player_record(rating_payload(), 6, &community());
    assert_eq!(
        checker.verify(below.as_bytes(), T0),
        Err(VerifyError::Revoked {
            sequence: 6,
            min_valid: 7
        })
    );
    // Other types are untouched by a rating revocation.
    let older_match = player_record(match_payload(), 2, &community());
    assert!(checker.verify(older_match.as_bytes(), T0).is_ok());

    // A revocation for someone else does not apply to this table.
    let mut other = RevocationTable::new(other_player());
    assert!(other.apply(&revocation).is_err());
}

#[test]
fn stale_and_identity_checks() {
    let context = PlayerContext::new(RevocationTable::new(player()))
        .with_newest_rating("ra", 9)
        .with_newest_rating("td", 2);
    let checker = verifier().with_player(context);
    assert!(
        checker
            .verify(
                player_record(rating_payload(), 9, &community()).as_bytes(),
                T0
            )
            .is_ok()
    );
    assert_eq!(
        checker.verify(
            player_record(rating_payload(), 8, &community()).as_bytes(),
            T0
        ),
        Err(VerifyError::Stale {
            sequence: 8,
            newest: 9
        })
    );
    // Staleness is per game module: a rating of another module with a lower sequence is valid.
    let mut other_module = rating_payload();
    if let scr::Payload::Rating(rating) = &mut other_module {
        rating.game_module = "td".into();
    }
    assert!(
        checker
            .verify(
                player_record(other_module.clone(), 5, &community()).as_bytes(),
                T0
            )
            .is_ok()
    );
    assert_eq!(
        checker
            .verify(player_record(other_module, 1, &community()).as_bytes(), T0)
            .unwrap_err()
            .code(),
        "stale"
    );
    // Staleness is about ratings only.
    assert!(
        checker
            .verify(
                player_record(match_payload(), 3, &community()).as_bytes(),
                T0
            )
            .is_ok()
    );
    let someone_else = RecordBuilder::new(rating_payload())
        .player(other_player())
        .sequence(20)
        .issued_at(T0)
        .sign(&community())
        .unwrap();
    assert_eq!(
        checker
            .verify(someone_else.as_bytes(), T0)
            .unwrap_err()
            .code(),
        "identity_mismatch"
    );
}

#[test]
fn wrong_community_is_named() {
    let record = player_record(rating_payload(), 1, &other_community());
    assert_eq!(
        verifier().verify(record.as_bytes(), T0),
        Err(VerifyError::WrongCommunity(other_community().public_key()))
    );
}

#[test]
fn builder_refuses_what_the_decoder_would_refuse() {
    let long = "x".repeat(256);
    let mut payload = rating_payload();
    if let Payload::Rating(rating) = &mut payload {
        rating.game_module = long;
    }
    assert!(
        RecordBuilder::new(payload)
            .player(player())
            .sequence(1)
            .issued_at(T0)
            .sign(&community())
            .is_err()
    );
    assert!(
        RecordBuilder::new(rating_payload())
            .sequence(1)
            .issued_at(T0)
            .sign(&community())
            .is_err(),
        "player key is required"
    );
    // A voluntary rotation signed by another key than the one it retires.
    let Payload::KeyRotation(rotation) = voluntary_rotation().payload().clone() else {
        unreachable!()
    };
    assert!(
        RecordBuilder::new(Payload::KeyRotation(rotation))
            .sequence(1)
            .issued_at(T0)
            .sign(&other_community())
            .is_err()
    );
}
