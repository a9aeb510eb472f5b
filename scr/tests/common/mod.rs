//! Fixtures shared by the scr integration tests: fixed keys, sample records, proptest strategies.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use proptest::prelude::*;
use scr::payload::{
    AchievementPayload, AchievementVerification, KeyRotationPayload, MatchPayload, Participant,
    Payload, PlayerResult, RatingPayload, RevocationPayload, RevocationReason, RotationReason,
    RotationSigner,
};
use scr::{
    CommunityKey, KeyPair, PlayerKey, Record, RecordBuilder, RecordType, RecoveryKey, RelayKey,
};

/// 2026-01-01T00:00:00Z: the issue time of the sample records.
pub const T0: i64 = 1_767_225_600;
pub const DAY: i64 = 24 * 60 * 60;

pub fn community() -> KeyPair {
    KeyPair::from_seed([0x11; 32])
}
pub fn community_key() -> CommunityKey {
    community().public_key().into()
}
pub fn recovery() -> KeyPair {
    KeyPair::from_seed([0x22; 32])
}
pub fn recovery_key() -> RecoveryKey {
    recovery().public_key().into()
}
/// The key a voluntary rotation moves to.
pub fn community2() -> KeyPair {
    KeyPair::from_seed([0x12; 32])
}
/// The key an emergency rotation moves to after `community2`.
pub fn community3() -> KeyPair {
    KeyPair::from_seed([0x13; 32])
}
pub fn other_community() -> KeyPair {
    KeyPair::from_seed([0x44; 32])
}
pub fn player() -> PlayerKey {
    KeyPair::from_seed([0x33; 32]).public_key().into()
}
pub fn other_player() -> PlayerKey {
    KeyPair::from_seed([0x34; 32]).public_key().into()
}
pub fn relay_key() -> RelayKey {
    KeyPair::from_seed([0x55; 32]).public_key().into()
}

pub fn rating_payload() -> Payload {
    Payload::Rating(RatingPayload {
        game_module: "ra".into(),
        algorithm_id: "glicko2".into(),
        rating: 1_612_345,
        deviation: 87_500,
        volatility: 59_996,
        games_played: 42,
        wins: 25,
        losses: 15,
        draws: 2,
        streak: 3,
        rank: 17,
        percentile: 912,
        season: Some(4),
    })
}

/// The sample rating in the first layout, as records issued before seasons were recorded.
pub fn rating_payload_without_season() -> Payload {
    match rating_payload() {
        Payload::Rating(rating) => Payload::Rating(RatingPayload {
            season: None,
            ..rating
        }),
        _ => unreachable!("rating_payload is a rating"),
    }
}

pub fn match_payload() -> Payload {
    Payload::Match(MatchPayload {
        match_id: [0xab; 32],
        game_module: "ra".into(),
        map_name: "Coastal Influence".into(),
        played_at: T0 - 600,
        duration_ticks: 27_000,
        result: PlayerResult::Win,
        rating_before: 1_596_000,
        rating_after: 1_612_345,
        relay_key: relay_key(),
        participants: vec![
            Participant {
                player_key: player(),
                team: 1,
                result: PlayerResult::Win,
            },
            Participant {
                player_key: other_player(),
                team: 2,
                result: PlayerResult::Loss,
            },
        ],
    })
}

pub fn achievement_payload(match_id: Option<[u8; 32]>) -> Payload {
    Payload::Achievement(AchievementPayload {
        game_module: "ra".into(),
        achievement_id: "first_blood".into(),
        unlocked_at: T0 - 300,
        match_id,
        verification: AchievementVerification::Verified,
    })
}

pub fn revocation_payload(target: RecordType, min_valid_sequence: u64) -> Payload {
    Payload::Revocation(RevocationPayload {
        target_record_type: target,
        min_valid_sequence,
        reason: RevocationReason::ModeratorAction,
    })
}

/// A player record signed by `key`, issued at T0.
pub fn player_record(payload: Payload, sequence: u64, key: &KeyPair) -> Record {
    RecordBuilder::new(payload)
        .player(player())
        .sequence(sequence)
        .issued_at(T0)
        .sign(key)
        .expect("sample record builds")
}

/// Voluntary rotation 1: community → community2, effective T0 + 10 days, 30 days of grace.
pub fn voluntary_rotation() -> Record {
    let effective = T0 + 10 * DAY;
    RecordBuilder::new(Payload::KeyRotation(KeyRotationPayload {
        old_key: community_key(),
        new_key: community2().public_key().into(),
        signed_by: RotationSigner::SigningKey,
        reason: RotationReason::Scheduled,
        effective_at: effective,
        grace_until: effective + 30 * DAY,
    }))
    .sequence(1)
    .issued_at(effective)
    .sign(&community())
    .expect("rotation builds")
}

/// Emergency rotation 2: community2 → community3, signed by the recovery key, at T0 + 20 days.
pub fn emergency_rotation() -> Record {
    let effective = T0 + 20 * DAY;
    RecordBuilder::new(Payload::KeyRotation(KeyRotationPayload {
        old_key: community2().public_key().into(),
        new_key: community3().public_key().into(),
        signed_by: RotationSigner::RecoveryKey,
        reason: RotationReason::Compromise,
        effective_at: effective,
        grace_until: effective,
    }))
    .sequence(2)
    .issued_at(effective)
    .sign(&recovery())
    .expect("rotation builds")
}

/// Replaces the signature of `bytes` with `key`'s signature over everything before it.
pub fn resign(bytes: &mut [u8], key: &KeyPair) {
    let split = bytes.len() - 64;
    let signature = key.sign(&bytes[..split]);
    bytes[split..].copy_from_slice(&signature);
}

// ---- proptest strategies ----

fn short_string(required: bool) -> impl Strategy<Value = String> {
    let min = usize::from(required);
    prop::collection::vec(any::<char>(), min..40)
        .prop_map(|chars| chars.into_iter().collect::<String>())
        .prop_filter("fits a u8 length", |s| s.len() <= 255)
}

fn arb_key() -> impl Strategy<Value = [u8; 32]> {
    any::<[u8; 32]>().prop_filter("non-zero", |k| *k != [0; 32])
}

fn arb_result() -> impl Strategy<Value = PlayerResult> {
    prop_oneof![
        Just(PlayerResult::Win),
        Just(PlayerResult::Loss),
        Just(PlayerResult::Draw),
        Just(PlayerResult::Abandoned)
    ]
}

pub fn arb_rating() -> impl Strategy<Value = Payload> {
    (
        short_string(true),
        short_string(true),
        any::<i64>(),
        0..=i64::MAX,
        0..=i64::MAX,
        any::<[u32; 4]>(),
        any::<i16>(),
        any::<u32>(),
        0..=1000u16,
        proptest::option::of(any::<u32>()),
    )
        .prop_map(
            |(
                game_module,
                algorithm_id,
                rating,
                deviation,
                volatility,
                counts,
                streak,
                rank,
                percentile,
                season,
            )| {
                Payload::Rating(RatingPayload {
                    game_module,
                    algorithm_id,
                    rating,
                    deviation,
                    volatility,
                    games_played: counts[0],
                    wins: counts[1],
                    losses: counts[2],
                    draws: counts[3],
                    streak,
                    rank,
                    percentile,
                    season,
                })
            },
        )
}

pub fn arb_match() -> impl Strategy<Value = Payload> {
    let participant =
        (arb_key(), any::<u8>(), arb_result()).prop_map(|(key, team, result)| Participant {
            player_key: PlayerKey::from_bytes(key),
            team,
            result,
        });
    (
        any::<[u8; 32]>(),
        short_string(true),
        short_string(false),
        any::<i64>(),
        any::<u64>(),
        arb_result(),
        any::<(i64, i64)>(),
        any::<[u8; 32]>(),
        prop::collection::vec(participant, 0..12),
    )
        .prop_map(
            |(
                match_id,
                game_module,
                map_name,
                played_at,
                duration_ticks,
                result,
                ratings,
                relay,
                participants,
            )| {
                Payload::Match(MatchPayload {
                    match_id,
                    game_module,
                    map_name,
                    played_at,
                    duration_ticks,
                    result,
                    rating_before: ratings.0,
                    rating_after: ratings.1,
                    relay_key: RelayKey::from_bytes(relay),
                    participants,
                })
            },
        )
}

pub fn arb_achievement() -> impl Strategy<Value = Payload> {
    (
        short_string(true),
        short_string(true),
        any::<i64>(),
        prop::option::of(arb_key()),
        prop_oneof![
            Just(AchievementVerification::Optimistic),
            Just(AchievementVerification::Verified)
        ],
    )
        .prop_map(
            |(game_module, achievement_id, unlocked_at, match_id, verification)| {
                Payload::Achievement(AchievementPayload {
                    game_module,
                    achievement_id,
                    unlocked_at,
                    match_id,
                    verification,
                })
            },
        )
}

pub fn arb_revocation() -> impl Strategy<Value = Payload> {
    (
        prop_oneof![
            Just(RecordType::Rating),
            Just(RecordType::Match),
            Just(RecordType::Achievement)
        ],
        any::<u64>(),
        prop_oneof![
            Just(RevocationReason::Cheating),
            Just(RevocationReason::KeyCompromise),
            Just(RevocationReason::ModeratorAction),
            Just(RevocationReason::Other)
        ],
    )
        .prop_map(|(target_record_type, min_valid_sequence, reason)| {
            Payload::Revocation(RevocationPayload {
                target_record_type,
                min_valid_sequence,
                reason,
            })
        })
}

/// Any player payload (rating, match, achievement, revocation).
pub fn arb_player_payload() -> impl Strategy<Value = Payload> {
    prop_oneof![
        arb_rating(),
        arb_match(),
        arb_achievement(),
        arb_revocation()
    ]
}
