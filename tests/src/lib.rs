//! End-to-end scenarios that cross the crates live in this package's `tests/` folder: real
//! `ic-server` and `ic` processes on loopback, wallets, relays and several communities. Tests
//! of one crate stay beside it; this library only finds the binaries they run.

use std::collections::HashMap;
use std::path::PathBuf;
use std::process::Command;
use std::sync::Mutex;

/// The binary `name` of workspace package `package`, built (once per test process) into the
/// target directory this test runs from.
///
/// Cargo gives a test the paths of its own package's binaries only (`CARGO_BIN_EXE_…`), so the
/// binaries of the other packages are built here: a no-op when `cargo test --workspace` has
/// built them already.
pub fn binary(package: &str, name: &str) -> PathBuf {
    static BUILT: Mutex<Option<HashMap<String, PathBuf>>> = Mutex::new(None);
    let mut built = BUILT
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    let built = built.get_or_insert_with(HashMap::new);
    if let Some(path) = built.get(name) {
        return path.clone();
    }
    let status = Command::new(env!("CARGO"))
        .args(["build", "--quiet", "-p", package, "--bin", name])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .status()
        .unwrap_or_else(|error| panic!("cargo does not run: {error}"));
    assert!(status.success(), "building {name} failed");
    // A test runs from <target>/<profile>/deps/; binaries sit in <target>/<profile>/.
    let exe = std::env::current_exe().unwrap_or_else(|error| panic!("own path: {error}"));
    let profile_dir = exe
        .parent()
        .and_then(|deps| deps.parent())
        .unwrap_or_else(|| panic!("{} is not in <target>/<profile>/deps", exe.display()));
    let path = profile_dir.join(name);
    assert!(path.exists(), "{} missing after the build", path.display());
    built.insert(name.to_owned(), path.clone());
    path
}
