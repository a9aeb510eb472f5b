//! The C example against a real server: `examples/c/play_match.c` is compiled with `cc` against
//! the static library and the checked-in header, and two copies of it (two players, two wallets)
//! join, sync, present, find each other through matchmaking and play a ranked match through the
//! relay; both keep the new records and end with a changed rating. A search that times out
//! leaves the queue.
#![allow(clippy::unwrap_used, clippy::expect_used, unsafe_code)] // tests fail loudly; the ABI is called as C calls it

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output};
use std::time::{Duration, Instant};

use ic_e2e::community::Server;
use ic_e2e::{library, text};

/// The example compiled into `exe` with the checked-in header, linked with `link` arguments.
fn compile_example(exe: &Path, link: &[std::ffi::OsString]) {
    let ffi = Path::new(env!("CARGO_MANIFEST_DIR")).join("../ic-client-ffi");
    let output = Command::new("cc")
        .args(["-std=c11", "-Wall", "-Wextra", "-Werror", "-o"])
        .arg(exe)
        .arg("-I")
        .arg(ffi.join("include"))
        .arg(ffi.join("examples/c/play_match.c"))
        .args(link)
        .output()
        .expect("cc runs");
    assert!(output.status.success(), "cc failed:\n{}", text(&output));
}

/// The example linked against the static library, in `dir`.
fn static_example(dir: &Path) -> PathBuf {
    let archive = library("libic_client_ffi.a");
    let exe = dir.join("play_match");
    // What the Rust standard library needs from the system when linked statically.
    let link = [
        archive.into_os_string(),
        "-lpthread".into(),
        "-ldl".into(),
        "-lm".into(),
    ];
    compile_example(&exe, &link);
    exe
}

/// The shared library links and loads too: the example built against it starts and asks for
/// its arguments.
#[test]
fn the_example_links_against_the_shared_library_as_well() {
    let shared = library("libic_client_ffi.so");
    let dir = shared.parent().unwrap();
    let scratch = tempfile::tempdir().unwrap();
    let exe = scratch.path().join("play_match_shared");
    let link = [
        "-L".into(),
        dir.as_os_str().to_owned(),
        format!("-Wl,-rpath,{}", dir.display()).into(),
        "-lic_client_ffi".into(),
    ];
    compile_example(&exe, &link);
    let output = Command::new(&exe).output().unwrap();
    assert_eq!(output.status.code(), Some(2), "{}", text(&output));
    assert!(String::from_utf8_lossy(&output.stderr).contains("usage:"));
}

fn run(exe: &Path, url: &str, wallet: &Path) -> Child {
    Command::new(exe)
        .arg(url)
        .arg(wallet)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("the example starts")
}

/// Waits for every child; past `limit`, kills the ones still running (they then fail the test
/// with their output, instead of outliving it).
fn finish(children: Vec<Child>, limit: Duration) -> Vec<Output> {
    let deadline = Instant::now() + limit;
    let mut children = children;
    while Instant::now() < deadline
        && children
            .iter_mut()
            .any(|child| child.try_wait().unwrap().is_none())
    {
        std::thread::sleep(Duration::from_millis(100));
    }
    for child in &mut children {
        let _ = child.kill();
    }
    children
        .into_iter()
        .map(|child| child.wait_with_output().unwrap())
        .collect()
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// The value after `prefix` on the line that starts with it.
fn line_after<'a>(out: &'a str, prefix: &str) -> &'a str {
    out.lines()
        .find_map(|line| line.strip_prefix(prefix))
        .unwrap_or_else(|| panic!("no line {prefix:?} in:\n{out}"))
}

#[tokio::test(flavor = "multi_thread")]
async fn two_c_game_clients_join_present_and_play_a_ranked_match_through_the_relay() {
    let scratch = tempfile::tempdir().unwrap();
    let exe = static_example(scratch.path());
    let mut server = Server::with_config(
        "C Clan",
        "[matchmaking]\npass_interval_min_ms = 50\npass_interval_max_ms = 200\n",
    );
    server.start().await;

    let players: Vec<_> = ["alice", "bob"]
        .iter()
        .map(|name| run(&exe, &server.url(), &scratch.path().join(name)))
        .collect();
    let outputs = tokio::task::spawn_blocking(move || finish(players, Duration::from_secs(180)))
        .await
        .unwrap();

    for output in &outputs {
        assert!(output.status.success(), "{}", text(output));
        let out = stdout(output);
        assert!(out.contains("joined c-clan"), "{out}");
        assert!(out.contains("community c-clan \"C Clan\""), "{out}");
        // The initial rating, presented and verified offline, then a new one after the match.
        assert!(
            out.contains("before: rating ra 1500.0 after 0 games"),
            "{out}"
        );
        assert!(
            line_after(&out, "after: rating ra ").ends_with(")"),
            "{out}"
        );
        assert!(out.contains("after 1 games"), "{out}");
        assert!(out.contains("records valid offline"), "{out}");
        assert!(out.contains("certified result: "), "{out}");
        assert!(out.contains("match end: completed"), "{out}");
        let pushed = line_after(&out, "relay pushed ");
        assert!(!pushed.starts_with("0 "), "{out}");
        assert!(out.ends_with("done\n"), "{out}");
    }
    let (a, b) = (stdout(&outputs[0]), stdout(&outputs[1]));
    // Lockstep: both simulations saw the same orders and ended in the same state.
    assert_eq!(
        line_after(&a, "played ").split(", state ").nth(1),
        line_after(&b, "played ").split(", state ").nth(1),
        "{a}\n{b}"
    );
    assert_eq!(
        line_after(&a, "seated in game ").split(':').next(),
        line_after(&b, "seated in game ").split(':').next()
    );
    let mut results = [line_after(&a, "result: "), line_after(&b, "result: ")];
    results.sort_unstable();
    assert_eq!(results, ["lost", "won"], "{a}\n{b}");
    // The relay's winner is the one the simulations named.
    assert_eq!(
        line_after(&a, "match end: completed, winning team "),
        line_after(&a, "simulation over at tick ")
            .split("team ")
            .nth(1)
            .unwrap()
            .trim_end_matches(" wins")
    );
}

/// A match search that times out takes the player out of the queue: nobody else is queued, the
/// ABI call gives up at its timeout, and the server no longer holds the player.
#[tokio::test(flavor = "multi_thread")]
async fn a_match_search_that_times_out_leaves_the_queue() {
    use std::ffi::CString;

    use ic_client::staff::sign_in;
    use ic_client::wallet::Wallet;
    use ic_client_ffi::{
        IcStatus, ic_client_find_match, ic_client_free, ic_client_join, ic_client_open,
        ic_last_error_message, ic_string_free,
    };

    let mut server = Server::with_config(
        "Lonely Clan",
        "[matchmaking]\npass_interval_min_ms = 50\npass_interval_max_ms = 200\n",
    );
    server.start().await;
    let scratch = tempfile::tempdir().unwrap();
    let dir = scratch.path().join("solo");
    let (dir_text, url) = (
        CString::new(dir.to_str().unwrap()).unwrap(),
        CString::new(server.url()).unwrap(),
    );
    let (module, mode) = (
        CString::new("ra").unwrap(),
        CString::new("ranked_1v1").unwrap(),
    );
    let status = tokio::task::spawn_blocking(move || {
        let mut client = std::ptr::null_mut();
        let mut slug = std::ptr::null_mut();
        let mut seat = std::ptr::null_mut();
        // SAFETY: valid strings and out-pointers; each handle is freed once.
        unsafe {
            assert_eq!(
                ic_client_open(dir_text.as_ptr(), std::ptr::null(), 1, &mut client),
                IcStatus::Ok
            );
            assert_eq!(
                ic_client_join(
                    client,
                    url.as_ptr(),
                    std::ptr::null(),
                    std::ptr::null(),
                    20_000,
                    &mut slug
                ),
                IcStatus::Ok
            );
            let started = Instant::now();
            let status = ic_client_find_match(
                client,
                slug,
                module.as_ptr(),
                mode.as_ptr(),
                1_500,
                &mut seat,
            );
            assert!(
                started.elapsed() < Duration::from_secs(10),
                "{:?}",
                started.elapsed()
            );
            let message = std::ffi::CStr::from_ptr(ic_last_error_message())
                .to_string_lossy()
                .into_owned();
            assert!(seat.is_null());
            ic_string_free(slug);
            ic_client_free(client);
            (status, message)
        }
    })
    .await
    .unwrap();
    assert_eq!(status.0, IcStatus::Timeout, "{}", status.1);

    // The same wallet and identity, asked through the Rust client: not in the queue any more.
    let wallet = Wallet::open(&dir).unwrap();
    let identity = ic_client::identity::Identity::load(&wallet.identity_path(), None).unwrap();
    let (api, session) = sign_in(&wallet, &identity, "lonely-clan").await.unwrap();
    let events = api.queue_status(&session).await.unwrap();
    assert!(events.is_empty(), "still queued: {events:?}");
    server.stop();
}
