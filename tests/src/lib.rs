//! End-to-end scenarios that cross the crates live in this package's `tests/` folder: real
//! `ic-server` and `ic` processes on loopback, wallets, relays and several communities. Tests
//! of one crate stay beside it; this library only finds the binaries they run.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::missing_panics_doc)]

pub mod community;
pub mod player;
pub mod relay;

use std::collections::HashMap;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::Mutex;

use scr::KeyPair;

/// The binary `name` of workspace package `package`, built (once per test process) into the
/// target directory this test runs from.
///
/// Cargo gives a test the paths of its own package's binaries only (`CARGO_BIN_EXE_…`), so the
/// binaries of the other packages are taken from the workspace's test build, which builds every
/// binary a package's integration tests run (`package` must have such tests; `ic-server` and
/// `ic-client` do). That build is a no-op inside `cargo test --workspace`. A `cargo build -p
/// <package>` here would resolve features for that package alone, and on a fresh checkout
/// rebuild much of the dependency tree a second time (minutes of CI).
pub fn binary(package: &str, name: &str) -> PathBuf {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join(package)
        .join("tests");
    assert!(
        manifest.is_dir(),
        "{package} has no integration tests, so its test build does not build {name}"
    );
    built(&["test", "--workspace", "--no-run", "--quiet"], name)
}

/// A library file of the workspace (e.g. `libic_client_ffi.a`), for linking a C program
/// against it.
///
/// Built by the workspace's own test build (`cargo test --workspace --no-run`), which is a
/// no-op inside `cargo test --workspace`.
pub fn library(file: &str) -> PathBuf {
    built(&["test", "--workspace", "--no-run", "--quiet"], file)
}

/// Runs `cargo args` once per test process and returns `file` beside the binaries of the
/// profile this test runs in.
fn built(args: &[&str], file: &str) -> PathBuf {
    static BUILT: Mutex<Option<HashMap<String, PathBuf>>> = Mutex::new(None);
    let mut built = BUILT
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    let built = built.get_or_insert_with(HashMap::new);
    if let Some(path) = built.get(file) {
        return path.clone();
    }
    let mut cargo = Command::new(env!("CARGO"));
    cargo.args(args).current_dir(env!("CARGO_MANIFEST_DIR"));
    // Cargo gives this test process the package's variables (`CARGO_MANIFEST_DIR`, …). Build
    // scripts track some of them (ring's tracks `CARGO_MANIFEST_DIR`), so handing them down
    // would make this build rerun ring's and rebuild everything above it: minutes, not a no-op.
    for (name, _) in std::env::vars_os() {
        let name = name.to_string_lossy();
        if is_test_package_variable(&name) {
            cargo.env_remove(name.as_ref());
        }
    }
    let status = cargo
        .status()
        .unwrap_or_else(|error| panic!("cargo does not run: {error}"));
    assert!(status.success(), "building {file} failed");
    // A test runs from <target>/<profile>/deps/; binaries sit in <target>/<profile>/.
    let exe = std::env::current_exe().unwrap_or_else(|error| panic!("own path: {error}"));
    let profile_dir = exe
        .parent()
        .and_then(|deps| deps.parent())
        .unwrap_or_else(|| panic!("{} is not in <target>/<profile>/deps", exe.display()));
    let path = profile_dir.join(file);
    let path = if path.exists() {
        path
    } else {
        // Cargo copies a fresh library beside the binaries only when it builds it; if that copy
        // was removed since, the build's own file in deps/ is the one.
        newest_in_deps(profile_dir, file)
            .unwrap_or_else(|| panic!("{} missing after the build", path.display()))
    };
    built.insert(file.to_owned(), path.clone());
    path
}

/// A variable cargo sets for the test process it runs, describing the test's package.
fn is_test_package_variable(name: &str) -> bool {
    [
        "CARGO_PKG_",
        "CARGO_MANIFEST_",
        "CARGO_CRATE_",
        "CARGO_BIN_",
    ]
    .iter()
    .any(|prefix| name.starts_with(prefix))
        || ["CARGO_PRIMARY_PACKAGE", "CARGO_TARGET_TMPDIR", "OUT_DIR"].contains(&name)
}

/// `file` in `<profile>/deps` (C libraries keep their plain name there), or else the newest
/// `<stem>-<hash>.<ext>` of it.
fn newest_in_deps(profile_dir: &Path, file: &str) -> Option<PathBuf> {
    let plain = profile_dir.join("deps").join(file);
    if plain.exists() {
        return Some(plain);
    }
    let (stem, ext) = file.rsplit_once('.')?;
    let prefix = format!("{stem}-");
    let suffix = format!(".{ext}");
    std::fs::read_dir(profile_dir.join("deps"))
        .ok()?
        .filter_map(Result::ok)
        .filter(|entry| {
            let name = entry.file_name().to_string_lossy().into_owned();
            name.starts_with(&prefix) && name.ends_with(&suffix)
        })
        .max_by_key(|entry| entry.metadata().and_then(|m| m.modified()).ok())
        .map(|entry| entry.path())
}

/// The `ic-server` binary of this workspace.
pub fn server_binary() -> PathBuf {
    binary("ic-server", "ic-server")
}

/// A TCP port on loopback that was free a moment ago.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Unix seconds now.
pub fn unix_now() -> i64 {
    ic_client::unix_now()
}

/// A command's status and output, for assertion messages.
pub fn text(output: &Output) -> String {
    format!(
        "status {:?}\nstdout:\n{}\nstderr:\n{}",
        output.status.code(),
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

/// A key pair from a hex seed file written by `ic-server init`.
pub fn read_seed_file(path: &Path) -> KeyPair {
    let content = std::fs::read_to_string(path).unwrap();
    let line = content
        .lines()
        .find(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .unwrap();
    let mut seed = [0u8; 32];
    hex::decode_to_slice(line.trim(), &mut seed).unwrap();
    KeyPair::from_seed(seed)
}
