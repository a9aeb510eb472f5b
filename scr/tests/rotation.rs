//! Key rotation chains: voluntary with grace, emergency without, and every way a chain breaks.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

mod common;

use common::*;
use scr::payload::{KeyRotationPayload, Payload, RotationReason, RotationSigner};
use scr::{ChainError, KeyChain, Record, RecordBuilder, Verifier, VerifyError};

fn chain(rotations: &[&Record]) -> Result<KeyChain, ChainError> {
    KeyChain::from_rotations(
        community_key(),
        Some(recovery_key()),
        rotations.iter().map(|r| r.as_bytes()),
    )
}

fn rotation(
    old: &scr::KeyPair,
    new: &scr::KeyPair,
    signer: &scr::KeyPair,
    signed_by: RotationSigner,
    sequence: u64,
    effective_at: i64,
    grace_until: i64,
) -> Record {
    RecordBuilder::new(Payload::KeyRotation(KeyRotationPayload {
        old_key: old.public_key().into(),
        new_key: new.public_key().into(),
        signed_by,
        reason: RotationReason::Scheduled,
        effective_at,
        grace_until,
    }))
    .sequence(sequence)
    .issued_at(effective_at)
    .sign(signer)
    .unwrap()
}

#[test]
fn voluntary_rotation_keeps_old_key_for_its_grace() {
    let rotation = voluntary_rotation();
    let chain = chain(&[&rotation]).unwrap();
    assert_eq!(chain.current(), community2().public_key().into());
    let verifier = Verifier::new(chain);

    let effective = T0 + 10 * DAY;
    let grace_until = effective + 30 * DAY;
    // Old key, issued before the rotation, never-expiring match record.
    let old = player_record(match_payload(), 1, &community());
    assert!(
        verifier.verify(old.as_bytes(), grace_until).is_ok(),
        "last second of grace"
    );
    assert_eq!(
        verifier.verify(old.as_bytes(), grace_until + 1),
        Err(VerifyError::KeyOutsideGrace {
            key: community().public_key(),
            effective_at: effective,
            grace_until
        })
    );
    // The new key is valid without limit.
    let new = player_record(match_payload(), 2, &community2());
    assert!(
        verifier
            .verify(new.as_bytes(), grace_until + 1000 * DAY)
            .is_ok()
    );
    // The old key signing after the rotation took effect is refused even inside the grace.
    let late = RecordBuilder::new(match_payload())
        .player(player())
        .sequence(3)
        .issued_at(effective + 1)
        .sign(&community())
        .unwrap();
    assert_eq!(
        verifier
            .verify(late.as_bytes(), effective + 2)
            .unwrap_err()
            .code(),
        "key_outside_grace"
    );
}

#[test]
fn emergency_rotation_cuts_the_compromised_key_at_effective_at() {
    let voluntary = voluntary_rotation();
    let emergency = emergency_rotation();
    let chain = chain(&[&voluntary, &emergency]).unwrap();
    assert_eq!(chain.current(), community3().public_key().into());
    let verifier = Verifier::new(chain);
    let effective = T0 + 20 * DAY;

    let before = RecordBuilder::new(match_payload())
        .player(player())
        .sequence(5)
        .issued_at(effective - 1)
        .sign(&community2())
        .unwrap();
    assert!(verifier.verify(before.as_bytes(), effective).is_ok());
    assert_eq!(
        verifier
            .verify(before.as_bytes(), effective + 1)
            .unwrap_err()
            .code(),
        "key_outside_grace",
        "no grace after an emergency rotation"
    );
    let after = RecordBuilder::new(match_payload())
        .player(player())
        .sequence(6)
        .issued_at(effective + 1)
        .sign(&community2())
        .unwrap();
    assert_eq!(
        verifier
            .verify(after.as_bytes(), effective)
            .unwrap_err()
            .code(),
        "key_outside_grace",
        "signed by the compromised key after effective_at"
    );
    let fresh = player_record(match_payload(), 7, &community3());
    assert!(verifier.verify(fresh.as_bytes(), effective + 1).is_ok());
}

#[test]
fn a_holder_that_pinned_a_later_key_skips_earlier_history() {
    let voluntary = voluntary_rotation();
    let emergency = emergency_rotation();
    let chain = KeyChain::from_rotations(
        community2().public_key().into(),
        Some(recovery_key()),
        [voluntary.as_bytes(), emergency.as_bytes()],
    )
    .unwrap();
    assert_eq!(chain.current(), community3().public_key().into());
    assert_eq!(chain.epochs().len(), 2);
}

#[test]
fn reordered_chain_is_rejected() {
    let voluntary = voluntary_rotation();
    let emergency = emergency_rotation();
    assert_eq!(
        chain(&[&emergency, &voluntary]).unwrap_err().code(),
        "broken_chain"
    );
}

#[test]
fn missing_link_is_rejected() {
    // Rotation 2 alone starts from community2, which the holder never pinned.
    let emergency = emergency_rotation();
    assert_eq!(chain(&[&emergency]).unwrap_err(), ChainError::NotConnected);
    // A link that skips a rotation number.
    let first = voluntary_rotation();
    let third = rotation(
        &community2(),
        &community3(),
        &community2(),
        RotationSigner::SigningKey,
        3,
        T0 + 30 * DAY,
        T0 + 60 * DAY,
    );
    assert_eq!(
        chain(&[&first, &third]).unwrap_err(),
        ChainError::OutOfOrder {
            expected: 2,
            found: 3
        }
    );
}

#[test]
fn rotation_signed_by_the_wrong_key_is_rejected() {
    // Claims to be an emergency rotation, but signed by another key than the recovery key.
    let forged = rotation(
        &community(),
        &other_community(),
        &other_community(),
        RotationSigner::RecoveryKey,
        1,
        T0,
        T0,
    );
    assert_eq!(
        chain(&[&forged]).unwrap_err(),
        ChainError::WrongSigner { sequence: 1 }
    );
    // Emergency rotation without a known recovery key.
    let emergency = rotation(
        &community(),
        &community2(),
        &recovery(),
        RotationSigner::RecoveryKey,
        1,
        T0,
        T0,
    );
    assert_eq!(
        KeyChain::from_rotations(community_key(), None, [emergency.as_bytes()]).unwrap_err(),
        ChainError::NoRecoveryKey { sequence: 1 }
    );
    // A tampered signature.
    let mut bytes = voluntary_rotation().into_bytes();
    let last = bytes.len() - 1;
    bytes[last] ^= 0x01;
    assert_eq!(
        KeyChain::from_rotations(community_key(), Some(recovery_key()), [bytes.as_slice()])
            .unwrap_err()
            .code(),
        "bad_signature"
    );
}

#[test]
fn rotation_rules_on_their_own() {
    // A chain that returns to an earlier key.
    let first = voluntary_rotation();
    let back = rotation(
        &community2(),
        &community(),
        &community2(),
        RotationSigner::SigningKey,
        2,
        T0 + 11 * DAY,
        T0 + 41 * DAY,
    );
    assert_eq!(
        chain(&[&first, &back]).unwrap_err(),
        ChainError::KeyReused { sequence: 2 }
    );
    // Effective time going backwards.
    let early = rotation(
        &community2(),
        &community3(),
        &community2(),
        RotationSigner::SigningKey,
        2,
        T0,
        T0 + DAY,
    );
    assert_eq!(
        chain(&[&first, &early]).unwrap_err(),
        ChainError::EffectiveAtBackwards { sequence: 2 }
    );
    // An emergency rotation may not carry a grace period.
    let with_grace = RecordBuilder::new(Payload::KeyRotation(KeyRotationPayload {
        old_key: community_key(),
        new_key: community2().public_key().into(),
        signed_by: RotationSigner::RecoveryKey,
        reason: RotationReason::Compromise,
        effective_at: T0,
        grace_until: T0 + DAY,
    }))
    .sequence(1)
    .issued_at(T0)
    .sign(&recovery());
    assert!(with_grace.is_err());
    // A record that is not a rotation.
    let rating = player_record(rating_payload(), 1, &community());
    assert_eq!(
        chain(&[&rating]).unwrap_err().code(),
        "broken_chain",
        "a rating record cannot connect a chain"
    );
    let mut keys = KeyChain::new(community_key(), Some(recovery_key())).unwrap();
    assert_eq!(
        keys.apply_rotation(rating.as_bytes()).unwrap_err().code(),
        "not_a_rotation"
    );
}

#[test]
fn verifier_accepts_rotation_records_signed_by_the_recovery_key() {
    let voluntary = voluntary_rotation();
    let emergency = emergency_rotation();
    let verifier = Verifier::new(chain(&[&voluntary, &emergency]).unwrap());
    assert!(verifier.verify(emergency.as_bytes(), T0 + 25 * DAY).is_ok());
    assert!(verifier.verify(voluntary.as_bytes(), T0 + 11 * DAY).is_ok());
}
