//! The `ic` binary's identity commands, run as a player would: create, show, back up, recover.
//! The wallet commands that need a community are covered by the end-to-end tests.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::Write as _;
use std::os::unix::fs::PermissionsExt as _;
use std::path::Path;
use std::process::{Command, Output, Stdio};

const PASSPHRASE: &str = "correct horse battery";

fn ic(data_dir: &Path, args: &[&str], passphrase: Option<&str>, stdin: Option<&str>) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_ic"));
    command
        .arg("--data-dir")
        .arg(data_dir)
        .args(args)
        .env_remove("IC_PASSPHRASE")
        .env_remove("IC_DATA_DIR")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    if let Some(passphrase) = passphrase {
        command.env("IC_PASSPHRASE", passphrase);
    }
    let mut child = command.spawn().unwrap();
    let mut input = child.stdin.take().unwrap();
    if let Some(text) = stdin {
        input.write_all(text.as_bytes()).unwrap();
    }
    drop(input);
    child.wait_with_output().unwrap()
}

fn stdout(output: &Output) -> String {
    String::from_utf8(output.stdout.clone()).unwrap()
}

fn stderr(output: &Output) -> String {
    String::from_utf8(output.stderr.clone()).unwrap()
}

fn public_key(data_dir: &Path) -> String {
    let output = ic(data_dir, &["identity", "show", "--json"], None, None);
    assert!(output.status.success(), "{}", stderr(&output));
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    json["public_key"].as_str().unwrap().to_owned()
}

fn phrase_of(backup_output: &str) -> String {
    backup_output
        .lines()
        .map(|line| line.split_whitespace().nth(1).unwrap())
        .collect::<Vec<_>>()
        .join(" ")
}

#[test]
fn an_encrypted_identity_is_backed_up_and_recovered_to_the_same_key() {
    let home = tempfile::tempdir().unwrap();
    let first = home.path().join("first");
    let created = ic(&first, &["identity", "new"], Some(PASSPHRASE), None);
    assert!(created.status.success(), "{}", stderr(&created));
    let key = public_key(&first);
    assert!(key.starts_with("ed25519:") && key.len() == 72, "{key}");

    let key_file = first.join("keys").join("identity.key");
    assert_eq!(
        std::fs::metadata(&key_file).unwrap().permissions().mode() & 0o777,
        0o600
    );

    let backup = ic(&first, &["identity", "backup"], Some(PASSPHRASE), None);
    assert!(backup.status.success(), "{}", stderr(&backup));
    let phrase = phrase_of(&stdout(&backup));
    assert_eq!(phrase.split(' ').count(), 24);
    let file_text = std::fs::read_to_string(&key_file).unwrap();
    assert!(
        !file_text.contains(&phrase),
        "the phrase is not stored in the clear"
    );

    let wrong = ic(
        &first,
        &["identity", "backup"],
        Some("not the passphrase"),
        None,
    );
    assert!(!wrong.status.success());
    assert!(
        stderr(&wrong).contains("wrong passphrase"),
        "{}",
        stderr(&wrong)
    );
    assert!(stdout(&wrong).is_empty());

    let second = home.path().join("second");
    let recovered = ic(
        &second,
        &["identity", "recover"],
        Some("another good passphrase"),
        Some(&phrase),
    );
    assert!(recovered.status.success(), "{}", stderr(&recovered));
    assert_eq!(public_key(&second), key);

    // An existing identity is never replaced.
    let again = ic(&first, &["identity", "new"], Some(PASSPHRASE), None);
    assert!(!again.status.success());
    assert_eq!(public_key(&first), key);
    assert_eq!(std::fs::read_to_string(&key_file).unwrap(), file_text);
}

#[test]
fn an_unencrypted_identity_needs_no_passphrase_and_a_bad_phrase_is_refused() {
    let home = tempfile::tempdir().unwrap();
    let created = ic(
        home.path(),
        &["identity", "new", "--unencrypted"],
        None,
        None,
    );
    assert!(created.status.success(), "{}", stderr(&created));
    let show = ic(home.path(), &["identity", "show", "--json"], None, None);
    let json: serde_json::Value = serde_json::from_slice(&show.stdout).unwrap();
    assert_eq!(json["encrypted"], false);
    let backup = ic(home.path(), &["identity", "backup"], None, None);
    assert!(backup.status.success(), "{}", stderr(&backup));

    let other = tempfile::tempdir().unwrap();
    let words = phrase_of(&stdout(&backup));
    let short: Vec<&str> = words.split(' ').take(12).collect();
    let refused = ic(
        other.path(),
        &["identity", "recover", "--unencrypted"],
        None,
        Some(&short.join(" ")),
    );
    assert!(!refused.status.success());
    assert!(
        stderr(&refused).contains("24 words"),
        "{}",
        stderr(&refused)
    );
    assert!(!other.path().join("keys").join("identity.key").exists());
}

#[test]
fn a_short_passphrase_is_refused_and_no_key_is_written() {
    let home = tempfile::tempdir().unwrap();
    let output = ic(home.path(), &["identity", "new"], Some("short"), None);
    assert!(!output.status.success());
    assert!(
        stderr(&output).contains("at least 8"),
        "{}",
        stderr(&output)
    );
    assert!(!home.path().join("keys").join("identity.key").exists());
}

#[test]
fn wallet_commands_work_on_an_empty_wallet_and_verify_rejects_garbage() {
    let home = tempfile::tempdir().unwrap();
    let listed = ic(home.path(), &["communities"], None, None);
    assert!(listed.status.success());
    assert!(stdout(&listed).contains("No communities"));
    let records = ic(home.path(), &["records", "--json"], None, None);
    assert!(records.status.success());
    assert_eq!(
        serde_json::from_slice::<serde_json::Value>(&records.stdout).unwrap(),
        serde_json::json!([])
    );
    let garbage = home.path().join("garbage.bin");
    std::fs::write(&garbage, vec![0xAB; 300]).unwrap();
    let verified = ic(
        home.path(),
        &["verify", garbage.to_str().unwrap()],
        None,
        None,
    );
    assert!(!verified.status.success());
    let present = ic(home.path(), &["present", "nowhere"], None, None);
    assert!(!present.status.success());
    assert!(
        stderr(&present).contains("no joined community"),
        "{}",
        stderr(&present)
    );
}
