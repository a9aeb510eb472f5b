//! The published test vectors (docs/test-vectors/scr): regenerated from fixed seeds, compared
//! byte for byte with the committed files, and every expectation checked from the files alone.
//!
//! Regenerate after a deliberate format change with:
//! `SCR_WRITE_VECTORS=1 cargo test -p scr --test vectors -- --test-threads=1`
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

mod common;

use std::path::{Path, PathBuf};

use common::*;
use scr::{
    KeyChain, PlayerContext, PlayerKey, RecordBuilder, RecordType, RevocationTable, Verifier,
};
use serde_json::{Value, json};

struct Vector {
    name: &'static str,
    description: &'static str,
    bytes: Vec<u8>,
    /// Names of rotation vectors to apply, in order.
    rotations: Vec<&'static str>,
    now: i64,
    player: Option<PlayerKey>,
    revoked_below: Option<(RecordType, u64)>,
    /// Newest rating sequence known to the issuer, per game module.
    newest_rating: Option<(&'static str, u64)>,
    expect: &'static str,
}

impl Vector {
    fn new(
        name: &'static str,
        description: &'static str,
        bytes: Vec<u8>,
        expect: &'static str,
    ) -> Self {
        Self {
            name,
            description,
            bytes,
            rotations: Vec::new(),
            now: T0 + 60,
            player: None,
            revoked_below: None,
            newest_rating: None,
            expect,
        }
    }
}

fn bytes_of(record: scr::Record) -> Vec<u8> {
    record.into_bytes()
}

fn vectors() -> Vec<Vector> {
    let sk = community();
    let rating = bytes_of(player_record(rating_payload(), 7, &sk));
    let mut v = vec![
        Vector::new(
            "rating_valid",
            "rating record (0x01), ra/glicko2, season 4 (layout 2), 221 bytes",
            rating.clone(),
            "valid",
        ),
        Vector::new(
            "rating_layout_1_valid",
            "rating record (0x01) of the first layout, without a season, 217 bytes",
            bytes_of(player_record(rating_payload_without_season(), 6, &sk)),
            "valid",
        ),
        Vector::new(
            "match_valid",
            "match record (0x02) with two participants",
            bytes_of(player_record(match_payload(), 8, &sk)),
            "valid",
        ),
        Vector::new(
            "achievement_valid",
            "achievement record (0x03) tied to a match",
            bytes_of(player_record(achievement_payload(Some([0xab; 32])), 9, &sk)),
            "valid",
        ),
        Vector::new(
            "achievement_no_match_valid",
            "achievement record (0x03) with match_id all zeros (none)",
            bytes_of(player_record(achievement_payload(None), 10, &sk)),
            "valid",
        ),
        Vector::new(
            "revocation_valid",
            "revocation record (0x04): rating records below sequence 7",
            bytes_of(player_record(
                revocation_payload(RecordType::Rating, 7),
                11,
                &sk,
            )),
            "valid",
        ),
        Vector::new(
            "rotation_1_voluntary",
            "key rotation 1 (0x05), signed by the old signing key, 30 days of grace",
            bytes_of(voluntary_rotation()),
            "valid",
        ),
        Vector::new(
            "rotation_2_emergency",
            "key rotation 2 (0x05), signed by the recovery key, no grace",
            bytes_of(emergency_rotation()),
            "valid",
        ),
    ];
    // The emergency rotation is checked with the chain up to it.
    v.last_mut().unwrap().rotations = vec!["rotation_1_voluntary"];
    v.last_mut().unwrap().now = T0 + 21 * DAY;

    let mut x = Vector::new(
        "rating_new_key_valid",
        "rating signed by the key of rotation 1, verified through the chain",
        bytes_of(player_record(rating_payload(), 12, &community2())),
        "valid",
    );
    x.rotations = vec!["rotation_1_voluntary"];
    v.push(x);

    let old_match = bytes_of(player_record(match_payload(), 8, &sk));
    let mut x = Vector::new(
        "old_key_last_second_of_grace",
        "match record by the retired key, checked at grace_until",
        old_match.clone(),
        "valid",
    );
    x.rotations = vec!["rotation_1_voluntary"];
    x.now = T0 + 40 * DAY;
    v.push(x);
    let mut x = Vector::new(
        "old_key_after_grace",
        "match record by the retired key, one second after grace_until",
        old_match,
        "key_outside_grace",
    );
    x.rotations = vec!["rotation_1_voluntary"];
    x.now = T0 + 40 * DAY + 1;
    v.push(x);

    let after_emergency = bytes_of(
        RecordBuilder::new(match_payload())
            .player(player())
            .sequence(20)
            .issued_at(T0 + 20 * DAY + 1)
            .sign(&community2())
            .unwrap(),
    );
    let mut x = Vector::new(
        "compromised_key_after_emergency",
        "record signed by the key an emergency rotation retired, issued after effective_at",
        after_emergency,
        "key_outside_grace",
    );
    x.rotations = vec!["rotation_1_voluntary", "rotation_2_emergency"];
    x.now = T0 + 20 * DAY + 2;
    v.push(x);

    let mut x = Vector::new(
        "rating_at_revocation_minimum",
        "rating with sequence equal to the revocation minimum (7)",
        rating.clone(),
        "valid",
    );
    x.player = Some(player());
    x.revoked_below = Some((RecordType::Rating, 7));
    v.push(x);
    let mut x = Vector::new(
        "revoked",
        "rating with sequence 7 below the revocation minimum 8",
        rating.clone(),
        "revoked",
    );
    x.player = Some(player());
    x.revoked_below = Some((RecordType::Rating, 8));
    v.push(x);
    let mut x = Vector::new(
        "stale",
        "rating sequence 7 when the issuer knows sequence 9",
        rating.clone(),
        "stale",
    );
    x.player = Some(player());
    x.newest_rating = Some(("ra", 9));
    v.push(x);
    let mut x = Vector::new(
        "identity_mismatch",
        "rating presented for another player",
        rating.clone(),
        "identity_mismatch",
    );
    x.player = Some(other_player());
    v.push(x);

    let mut x = Vector::new(
        "expired_at_boundary",
        "rating checked at exactly expires_at",
        rating.clone(),
        "expired",
    );
    x.now = T0 + 7 * DAY;
    v.push(x);
    let mut x = Vector::new(
        "valid_last_second",
        "rating checked one second before expires_at",
        rating.clone(),
        "valid",
    );
    x.now = T0 + 7 * DAY - 1;
    v.push(x);

    v.push(Vector::new(
        "wrong_community",
        "rating signed by another community's key",
        bytes_of(player_record(rating_payload(), 7, &other_community())),
        "wrong_community",
    ));

    let mut tampered = rating.clone();
    tampered[94 + 12] ^= 0x01; // inside the rating field
    v.push(Vector::new(
        "bad_signature_payload_changed",
        "rating value changed after signing",
        tampered,
        "bad_signature",
    ));
    let mut tampered = rating.clone();
    let last = tampered.len() - 1;
    tampered[last] ^= 0x01;
    v.push(Vector::new(
        "bad_signature_signature_changed",
        "last signature byte flipped",
        tampered,
        "bad_signature",
    ));

    let mut bad = rating.clone();
    bad[0] = 0x02;
    v.push(Vector::new(
        "unsupported_version",
        "version byte 0x02",
        bad,
        "unsupported_version",
    ));
    let mut bad = rating.clone();
    bad[1] = 0x06;
    v.push(Vector::new(
        "unknown_record_type",
        "record type byte 0x06",
        bad,
        "unknown_record_type",
    ));
    v.push(Vector::new(
        "malformed_truncated",
        "last byte of the signature missing",
        rating[..rating.len() - 1].to_vec(),
        "malformed",
    ));
    let mut bad = rating.clone();
    bad.push(0);
    v.push(Vector::new(
        "malformed_trailing_byte",
        "one byte after the signature",
        bad,
        "malformed",
    ));
    let mut bad = rating.clone();
    bad[90..94].copy_from_slice(&u32::MAX.to_le_bytes());
    v.push(Vector::new(
        "malformed_payload_len_too_large",
        "payload_len 0xFFFFFFFF, above the 65535 cap",
        bad,
        "malformed",
    ));

    // Signed correctly but breaking a field rule: only the decoder's rules catch these.
    let mut bad = rating.clone();
    bad[82..90].copy_from_slice(&T0.to_le_bytes());
    resign(&mut bad, &sk);
    v.push(Vector::new(
        "malformed_expires_not_after_issued",
        "expires_at equal to issued_at, validly signed",
        bad,
        "malformed",
    ));
    let mut bad = rating.clone();
    let percentile_at = rating.len() - 64 - 4 - 2;
    bad[percentile_at..percentile_at + 2].copy_from_slice(&1001u16.to_le_bytes());
    resign(&mut bad, &sk);
    v.push(Vector::new(
        "malformed_percentile",
        "percentile 1001 (max 1000), validly signed",
        bad,
        "malformed",
    ));
    let mut bad = rating.clone();
    bad[95] = 0xff; // first byte of game_module "ra"
    resign(&mut bad, &sk);
    v.push(Vector::new(
        "malformed_not_utf8",
        "game_module is not UTF-8, validly signed",
        bad,
        "malformed",
    ));
    let mut bad = rating.clone();
    bad[34..66].copy_from_slice(&[0; 32]);
    resign(&mut bad, &sk);
    v.push(Vector::new(
        "malformed_zero_player",
        "rating with the all-zero player key, validly signed",
        bad,
        "malformed",
    ));

    let mut x = Vector::new(
        "broken_chain_reordered",
        "rating by the newest key, with the two rotations given in the wrong order",
        bytes_of(player_record(rating_payload(), 30, &community3())),
        "broken_chain",
    );
    x.rotations = vec!["rotation_2_emergency", "rotation_1_voluntary"];
    v.push(x);
    v
}

fn dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/test-vectors/scr")
}

fn index(vectors: &[Vector]) -> Value {
    let entries: Vec<Value> = vectors
        .iter()
        .map(|x| {
            json!({
                "name": x.name,
                "file": format!("{}.scr", x.name),
                "description": x.description,
                "community_key": community_key().to_string(),
                "recovery_key": recovery_key().to_string(),
                "rotations": x.rotations.iter().map(|r| format!("{r}.scr")).collect::<Vec<_>>(),
                "now": x.now,
                "player": x.player.map(|p| p.to_string()),
                "revocations": x.revoked_below.map(|(t, min)| json!({ t.name(): min })),
                "newest_ratings": x.newest_rating.map(|(module, seq)| json!({ module: seq })),
                "expect": x.expect,
            })
        })
        .collect();
    json!({
        "format": "scr",
        "version": 1,
        "how_to_check": "Build the key chain from community_key and recovery_key through the rotation files in order (a chain error gives its code); set the player context when player is given (revocations: record type name -> minimum valid sequence; newest_ratings: game module -> newest rating sequence the issuer knows); verify the file at now. expect is \"valid\" or the reason code.",
        "vectors": entries,
    })
}

#[test]
fn committed_vectors_match_generator() {
    let vectors = vectors();
    let index_text = serde_json::to_string_pretty(&index(&vectors)).unwrap() + "\n";
    if std::env::var_os("SCR_WRITE_VECTORS").is_some() {
        std::fs::create_dir_all(dir()).unwrap();
        for x in &vectors {
            std::fs::write(dir().join(format!("{}.scr", x.name)), &x.bytes).unwrap();
        }
        std::fs::write(dir().join("index.json"), &index_text).unwrap();
    }
    for x in &vectors {
        let on_disk = std::fs::read(dir().join(format!("{}.scr", x.name))).unwrap();
        assert_eq!(on_disk, x.bytes, "{} differs from the generator", x.name);
    }
    let on_disk = std::fs::read_to_string(dir().join("index.json")).unwrap();
    assert_eq!(on_disk, index_text, "index.json differs from the generator");
}

/// Checks every vector using only what the files say, as another implementation would.
#[test]
fn every_vector_produces_its_expected_outcome() {
    let index: Value =
        serde_json::from_str(&std::fs::read_to_string(dir().join("index.json")).unwrap()).unwrap();
    let vectors = index["vectors"].as_array().unwrap();
    assert!(vectors.len() >= 25);
    for x in vectors {
        let name = x["name"].as_str().unwrap();
        let outcome = check(x);
        assert_eq!(outcome, x["expect"].as_str().unwrap(), "vector {name}");
    }
}

fn check(x: &Value) -> String {
    let read = |file: &str| std::fs::read(dir().join(file)).unwrap();
    let rotations: Vec<Vec<u8>> = x["rotations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| read(f.as_str().unwrap()))
        .collect();
    let chain = match KeyChain::from_rotations(
        x["community_key"].as_str().unwrap().parse().unwrap(),
        Some(x["recovery_key"].as_str().unwrap().parse().unwrap()),
        rotations.iter().map(Vec::as_slice),
    ) {
        Ok(chain) => chain,
        Err(error) => return error.code().to_owned(),
    };
    let mut verifier = Verifier::new(chain);
    if let Some(player) = x["player"].as_str() {
        let mut table = RevocationTable::new(player.parse().unwrap());
        if let Some(revocations) = x["revocations"].as_object() {
            for (name, min) in revocations {
                let record_type = RecordType::ALL
                    .into_iter()
                    .find(|t| t.name() == name)
                    .unwrap();
                table.raise(record_type, min.as_u64().unwrap());
            }
        }
        let mut context = PlayerContext::new(table);
        if let Some(newest) = x["newest_ratings"].as_object() {
            for (module, sequence) in newest {
                context = context.with_newest_rating(module, sequence.as_u64().unwrap());
            }
        }
        verifier = verifier.with_player(context);
    }
    let bytes = read(x["file"].as_str().unwrap());
    match verifier.verify(&bytes, x["now"].as_i64().unwrap()) {
        Ok(_) => "valid".to_owned(),
        Err(error) => error.code().to_owned(),
    }
}
