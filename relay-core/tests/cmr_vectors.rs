//! The CMR test vectors under `docs/test-vectors/cmr/`: regenerated from fixed seeds and checked.
//! Run with `REGENERATE_CMR_VECTORS=1` to rewrite the files after a deliberate format change.

// Test helpers outside `#[test]` functions fail the test by panicking, like the tests themselves.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;

use relay_core::cmr::{
    CertifiedMatchResult, CmrPlayer, EndReason, MatchOutcome, PlayerResult, TrustedRelays,
};
use relay_core::ids::{PlayerSlot, TeamId};
use scr::keys::{CommunityKey, KeyPair, PlayerKey, RelayKey};
use serde::{Deserialize, Serialize};

#[derive(Serialize, Deserialize, PartialEq, Debug)]
struct Index {
    description: String,
    relay_seed_hex: String,
    community_seed_hex: String,
    trusted_relay_key: RelayKey,
    community_key: CommunityKey,
    vectors: Vec<Vector>,
}

#[derive(Serialize, Deserialize, PartialEq, Debug)]
struct Vector {
    file: String,
    description: String,
    /// `"ok"` or the `CmrError::code()` that verification must return.
    expect: String,
    /// For valid vectors: SHA-256 of the whole file.
    match_id: Option<String>,
}

fn dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../docs/test-vectors/cmr")
}

fn relay() -> KeyPair {
    KeyPair::from_seed([0x11; 32])
}

fn community() -> KeyPair {
    KeyPair::from_seed([0x22; 32])
}

fn player_key(i: u8) -> PlayerKey {
    KeyPair::from_seed([0x30 + i; 32]).public_key().into()
}

fn one_v_one() -> CertifiedMatchResult {
    CertifiedMatchResult {
        relay_key: relay().public_key().into(),
        community_key: community().public_key().into(),
        game_id: 0x0102_0304_0506_0708,
        game_module: "ra1".into(),
        map_name: "Coastal Influence".into(),
        map_hash: [0xaa; 32],
        ranked: true,
        tick_interval_us: 66_667,
        final_tick: 13_500,
        started_at_us: 1_750_000_000_000_000,
        ended_at_us: 1_750_000_900_000_000,
        outcome: MatchOutcome::Completed {
            winner: TeamId(1),
            reason: EndReason::Elimination,
        },
        observer_delay_ticks: 0,
        players: vec![
            CmrPlayer {
                slot: PlayerSlot(0),
                key: player_key(0),
                team: TeamId(0),
                result: PlayerResult::Loss,
            },
            CmrPlayer {
                slot: PlayerSlot(1),
                key: player_key(1),
                team: TeamId(1),
                result: PlayerResult::Win,
            },
        ],
        final_state_hash: [0xbb; 32],
        order_stream_hash: [0xcc; 32],
        replay_hash: [0xdd; 32],
        desync_tick: None,
        degraded: false,
    }
}

fn two_v_two_abandoned() -> CertifiedMatchResult {
    let mut cmr = one_v_one();
    cmr.game_id = 77;
    cmr.map_name = "Ore Rift".into();
    cmr.ranked = false;
    cmr.final_tick = 4_000;
    cmr.ended_at_us = cmr.started_at_us + 4_000 * 66_667;
    cmr.outcome = MatchOutcome::Abandoned {
        leaver: PlayerSlot(2),
    };
    cmr.observer_delay_ticks = 2_700;
    cmr.players = (0..4)
        .map(|i| CmrPlayer {
            slot: PlayerSlot(i),
            key: player_key(i),
            team: TeamId(i % 2),
            result: match i {
                2 => PlayerResult::Abandoned,
                0 => PlayerResult::Loss,
                _ => PlayerResult::Win,
            },
        })
        .collect();
    cmr.degraded = true;
    cmr
}

fn desync_terminated() -> CertifiedMatchResult {
    let mut cmr = one_v_one();
    cmr.game_id = 9;
    cmr.outcome = MatchOutcome::DesyncTerminated {
        first_divergence_tick: 1_230,
    };
    cmr.desync_tick = Some(1_230);
    cmr.final_tick = 1_260;
    for player in &mut cmr.players {
        player.result = PlayerResult::NoResult;
    }
    cmr
}

/// Appends a genuine relay signature to hand-edited bytes, so only the edit is wrong.
fn resign(mut signed_part: Vec<u8>) -> Vec<u8> {
    let signature = relay().sign(&signed_part);
    signed_part.extend_from_slice(&signature);
    signed_part
}

fn build() -> (Index, Vec<(String, Vec<u8>)>) {
    let mut files = Vec::new();
    let mut vectors = Vec::new();
    let mut add = |file: &str, description: &str, expect: &str, bytes: Vec<u8>| {
        let match_id = (expect == "ok").then(|| {
            use sha2::Digest;
            hex::encode(sha2::Sha256::digest(&bytes))
        });
        vectors.push(Vector {
            file: file.into(),
            description: description.into(),
            expect: expect.into(),
            match_id,
        });
        files.push((file.to_string(), bytes));
    };
    let valid = one_v_one().sign(&relay()).unwrap().into_bytes();
    add(
        "valid-1v1-elimination.bin",
        "1v1 ranked, team 1 wins by elimination",
        "ok",
        valid.clone(),
    );
    add(
        "valid-2v2-abandoned-degraded.bin",
        "2v2 casual, slot 2 abandoned, observer delay 2700 ticks, degraded flag set",
        "ok",
        two_v_two_abandoned().sign(&relay()).unwrap().into_bytes(),
    );
    add(
        "valid-desync-terminated.bin",
        "1v1 ended by desync at tick 1230; both players without result",
        "ok",
        desync_terminated().sign(&relay()).unwrap().into_bytes(),
    );
    add(
        "truncated.bin",
        "valid 1v1 record missing its last byte",
        "truncated",
        valid[..valid.len() - 1].to_vec(),
    );
    let mut trailing = valid.clone();
    trailing.push(0);
    add(
        "trailing-bytes.bin",
        "valid 1v1 record plus one zero byte",
        "trailing_bytes",
        trailing,
    );
    let signed_part = one_v_one().signed_part().unwrap();
    let mut version = signed_part.clone();
    version[0] = 2;
    add(
        "unknown-version.bin",
        "version byte 2, re-signed",
        "unknown_version",
        resign(version),
    );
    let mut flipped = valid.clone();
    flipped[65] ^= 0x01; // first byte of game_id
    add(
        "bad-signature.bin",
        "valid 1v1 record with game_id altered after signing",
        "bad_signature",
        flipped,
    );
    let mut stranger = one_v_one();
    stranger.relay_key = KeyPair::from_seed([0x99; 32]).public_key().into();
    add(
        "untrusted-relay.bin",
        "well-formed record signed by a relay that is not in the trusted set",
        "untrusted_relay",
        stranger
            .sign(&KeyPair::from_seed([0x99; 32]))
            .unwrap()
            .into_bytes(),
    );
    let mut elsewhere = one_v_one();
    elsewhere.community_key = KeyPair::from_seed([0x23; 32]).public_key().into();
    add(
        "wrong-community.bin",
        "valid record of the trusted relay for another community",
        "wrong_community",
        elsewhere.sign(&relay()).unwrap().into_bytes(),
    );
    // Offsets in the 1v1 record: strings "ra1" (3) and "Coastal Influence" (17).
    let players_at = 1 + 32 + 32 + 8 + 1 + 3 + 1 + 17 + 32 + 1 + 4 + 8 + 8 + 8 + 3 + 4;
    let mut swapped = signed_part.clone();
    swapped[players_at + 1] = 1; // first player's slot becomes 1, equal to the second's
    add(
        "duplicate-slot.bin",
        "two players with slot 1, re-signed",
        "slots_not_ascending",
        resign(swapped),
    );
    let outcome_at = players_at - 4 - 3;
    let mut outcome = signed_part.clone();
    outcome[outcome_at] = 9;
    add(
        "unknown-outcome.bin",
        "outcome kind 9, re-signed",
        "undefined_value",
        resign(outcome),
    );
    let mut utf8 = signed_part.clone();
    utf8[1 + 32 + 32 + 8 + 1] = 0xff; // first byte of game_module "ra1"
    add(
        "bad-utf8.bin",
        "game_module not UTF-8, re-signed",
        "bad_utf8",
        resign(utf8),
    );
    let mut flags = signed_part;
    let last = flags.len() - 1;
    flags[last] = 0x80;
    add(
        "unknown-flag.bin",
        "undefined flag bit 7, re-signed",
        "undefined_value",
        resign(flags),
    );
    let index = Index {
        description: "CertifiedMatchResult v1 test vectors; see docs/cmr-format.md. Generated by \
                      relay-core/tests/cmr_vectors.rs from the fixed seeds below."
            .into(),
        relay_seed_hex: hex::encode([0x11; 32]),
        community_seed_hex: hex::encode([0x22; 32]),
        trusted_relay_key: relay().public_key().into(),
        community_key: community().public_key().into(),
        vectors,
    };
    (index, files)
}

#[test]
fn vectors_on_disk_match_the_generator_and_verify_as_indexed() {
    let (index, files) = build();
    if std::env::var_os("REGENERATE_CMR_VECTORS").is_some() {
        std::fs::create_dir_all(dir()).unwrap();
        for (name, bytes) in &files {
            std::fs::write(dir().join(name), bytes).unwrap();
        }
        let json = serde_json::to_string_pretty(&index).unwrap() + "\n";
        std::fs::write(dir().join("index.json"), json).unwrap();
    }
    let on_disk: Index =
        serde_json::from_slice(&std::fs::read(dir().join("index.json")).unwrap()).unwrap();
    assert_eq!(
        on_disk, index,
        "index.json is stale: regenerate the vectors"
    );
    let trusted = TrustedRelays::new([on_disk.trusted_relay_key]).unwrap();
    for (vector, (_, generated)) in on_disk.vectors.iter().zip(&files) {
        let bytes = std::fs::read(dir().join(&vector.file)).unwrap();
        assert_eq!(&bytes, generated, "{} is stale", vector.file);
        match trusted.verify(&bytes, &on_disk.community_key) {
            Ok(verified) => {
                assert_eq!(vector.expect, "ok", "{} verified", vector.file);
                assert_eq!(
                    Some(verified.match_id().to_string()),
                    vector.match_id,
                    "{}",
                    vector.file
                );
            }
            Err(error) => assert_eq!(error.code(), vector.expect, "{}: {error}", vector.file),
        }
    }
}
