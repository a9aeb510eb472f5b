//! Files at rest, on the real binary: a fresh data directory is the owner's alone (directory
//! 0700, every file in it owner-only, the database included), a directory others can enter is
//! tightened at start with a log line, and a private key file others can read stops the start,
//! naming the file and the `chmod` that fixes it.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

mod common;

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Stdio;

use common::*;

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

fn set_mode(path: &Path, mode: u32) {
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

/// Every file below `dir`, recursively.
fn files_below(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files.extend(files_below(&path));
        } else {
            files.push(path);
        }
    }
    files
}

#[tokio::test]
async fn a_fresh_data_directory_and_everything_in_it_belong_to_the_owner_alone() {
    let parent = tempfile::tempdir().unwrap();
    set_mode(parent.path(), 0o755);
    let data = parent.path().join("community");
    let mut server = Server::start(&data, TEST_LIMITS);
    server.register(&player(1)).await;
    assert!(server.stop().success());
    assert_eq!(mode(&data), 0o700);
    assert_eq!(mode(&data.join("keys")), 0o700);
    let files = files_below(&data);
    assert!(
        files.iter().any(|f| f.ends_with("ic-server.db")),
        "{files:?}"
    );
    for file in files {
        assert_eq!(
            mode(&file) & 0o077,
            0,
            "{} is open to others",
            file.display()
        );
    }
}

#[tokio::test]
async fn a_data_directory_others_can_enter_is_tightened_at_start_and_says_so() {
    let dir = tempfile::tempdir().unwrap();
    Server::init(dir.path(), TEST_LIMITS);
    set_mode(dir.path(), 0o755);
    set_mode(&dir.path().join("keys"), 0o755);
    let mut server = Server::spawn_with(
        dir.path(),
        &[("IC_LOGGING_LEVEL", "\"warn\"")],
        Stdio::piped(),
    );
    let log = server.read_log();
    assert_eq!(mode(dir.path()), 0o700);
    assert_eq!(mode(&dir.path().join("keys")), 0o700);
    // Stopped at once after it said it listens: SIGTERM is already handled (a clean exit).
    assert!(server.stop().success());
    let log = log.join().unwrap();
    assert_eq!(log.matches("its mode is now 0700").count(), 2, "{log}");
}

#[test]
fn a_private_key_file_others_can_read_stops_the_start_and_names_the_fix() {
    let dir = tempfile::tempdir().unwrap();
    Server::init(dir.path(), TEST_LIMITS);
    for key in ["keys/relay.key", "keys/witness.key", "keys/signing.key"] {
        let file = dir.path().join(key);
        set_mode(&file, 0o644);
        let (code, _, err) = cli(dir.path(), &["run", "--listen", "127.0.0.1:0"]);
        assert_eq!(code, 1, "{err}");
        assert!(
            err.contains(&format!(
                "{} is open to other users (mode 644)",
                file.display()
            )) && err.contains(&format!("chmod 600 {}", file.display())),
            "{err}"
        );
        set_mode(&file, 0o600);
    }
}
