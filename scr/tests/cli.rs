//! The `scr` binary's contract: JSON from `inspect`, exit codes and reason codes from `verify`.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use serde_json::Value;

fn vector(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("../docs/test-vectors/scr/{name}.scr"))
}

fn index() -> Value {
    let text = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/test-vectors/scr/index.json"),
    )
    .unwrap();
    serde_json::from_str(&text).unwrap()
}

fn community_key() -> String {
    index()["vectors"][0]["community_key"]
        .as_str()
        .unwrap()
        .to_owned()
}

fn scr(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_scr"))
        .args(args)
        .output()
        .unwrap()
}

#[test]
fn inspect_prints_the_documented_json() {
    let out = scr(&["inspect", vector("rating_valid").to_str().unwrap()]);
    assert!(out.status.success());
    let json: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["version"], 1);
    assert_eq!(json["record_type"], "rating");
    assert_eq!(json["community_key"], community_key().as_str());
    assert!(json["player_key"].as_str().unwrap().starts_with("ed25519:"));
    assert_eq!(json["sequence"], 7);
    assert_eq!(json["issued_at"], 1_767_225_600);
    assert_eq!(json["expires_at"], 1_767_225_600 + 7 * 86_400);
    let payload = &json["payload"];
    for key in [
        "game_module",
        "algorithm_id",
        "rating",
        "deviation",
        "volatility",
        "games_played",
        "wins",
        "losses",
        "draws",
        "streak",
        "rank",
        "percentile",
    ] {
        assert!(!payload[key].is_null(), "payload lacks {key}");
    }
    assert_eq!(payload["rating"], 1_612_345);
    assert_eq!(payload["algorithm_id"], "glicko2");
    assert_eq!(json["fingerprint"].as_str().unwrap().len(), 16);
    assert_eq!(json["signature"].as_str().unwrap().len(), 128);
}

#[test]
fn inspect_reads_stdin_and_prints_null_for_never() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_scr"))
        .args(["inspect", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(&std::fs::read(vector("match_valid")).unwrap())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    let json: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["record_type"], "match");
    assert!(json["expires_at"].is_null());
    assert_eq!(json["payload"]["match_id"], "ab".repeat(32));
    assert_eq!(json["payload"]["participants"][1]["result"], "loss");
}

#[test]
fn inspect_of_malformed_exits_1_with_reason() {
    let out = scr(&[
        "inspect",
        vector("malformed_trailing_byte").to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).starts_with("malformed"));
}

#[test]
fn verify_exit_codes_and_reasons_follow_the_vectors() {
    let key = community_key();
    // Vectors that need only the community key and a time.
    let index = index();
    let mut checked = 0;
    for x in index["vectors"].as_array().unwrap() {
        if !x["rotations"].as_array().unwrap().is_empty() || !x["player"].is_null() {
            continue;
        }
        let now = x["now"].as_i64().unwrap().to_string();
        let file = vector(x["name"].as_str().unwrap());
        let out = scr(&[
            "verify",
            "--community-key",
            &key,
            "--now",
            &now,
            file.to_str().unwrap(),
        ]);
        let stderr = String::from_utf8_lossy(&out.stderr).to_string();
        match x["expect"].as_str().unwrap() {
            "valid" => assert_eq!(out.status.code(), Some(0), "{}: {stderr}", x["name"]),
            code => {
                assert_eq!(out.status.code(), Some(1), "{}", x["name"]);
                assert_eq!(
                    stderr.split_whitespace().next(),
                    Some(code),
                    "{}",
                    x["name"]
                );
            }
        }
        checked += 1;
    }
    assert!(checked >= 15);
}

#[test]
fn verify_follows_rotations_and_players() {
    let key = community_key();
    let index = index();
    let recovery = index["vectors"][0]["recovery_key"]
        .as_str()
        .unwrap()
        .to_owned();
    let rotation = vector("rotation_1_voluntary");
    let out = scr(&[
        "verify",
        "--community-key",
        &key,
        "--recovery-key",
        &recovery,
        "--rotation",
        rotation.to_str().unwrap(),
        "--now",
        "1767225700",
        vector("rating_new_key_valid").to_str().unwrap(),
    ]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // Without the rotation the new key is unknown.
    let out = scr(&[
        "verify",
        "--community-key",
        &key,
        "--now",
        "1767225700",
        vector("rating_new_key_valid").to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).starts_with("wrong_community"));
    // A different expected player.
    let other = index["vectors"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["name"] == "identity_mismatch")
        .unwrap()["player"]
        .as_str()
        .unwrap()
        .to_owned();
    let out = scr(&[
        "verify",
        "--community-key",
        &key,
        "--player",
        &other,
        "--now",
        "1767225700",
        vector("rating_valid").to_str().unwrap(),
    ]);
    assert!(String::from_utf8_lossy(&out.stderr).starts_with("identity_mismatch"));
}

#[test]
fn usage_errors_exit_2() {
    assert_eq!(
        scr(&["verify", vector("rating_valid").to_str().unwrap()])
            .status
            .code(),
        Some(2)
    );
    assert_eq!(
        scr(&[
            "verify",
            "--community-key",
            "ed25519:nothex",
            vector("rating_valid").to_str().unwrap()
        ])
        .status
        .code(),
        Some(2)
    );
    assert_eq!(
        scr(&[
            "verify",
            "--community-key",
            &community_key(),
            "/nonexistent/file.scr"
        ])
        .status
        .code(),
        Some(2)
    );
}
