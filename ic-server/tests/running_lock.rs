//! The data directory's `running.lock`, alone in its own test process: a lock is a property of
//! an open file, and a sibling test that spawns a long-lived child (a database server, a
//! watcher shell) around the same moment could otherwise keep a copy of it open.
#![allow(clippy::unwrap_used)]

use ic_server::running::{check_not_running, hold};

#[test]
fn a_held_directory_is_refused_until_its_holder_lets_go() {
    let dir = tempfile::tempdir().unwrap();
    let held = hold(dir.path()).unwrap();
    let refused = check_not_running(dir.path()).unwrap_err();
    let message = refused.to_string();
    assert!(
        message.contains(&format!("pid {}", std::process::id())),
        "{message}"
    );
    drop(held);
    check_not_running(dir.path()).unwrap();
    hold(dir.path()).unwrap();
}
