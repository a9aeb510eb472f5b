//! Reloading the configuration of a running server (`ic-server config reload`, SIGHUP): the
//! limits and trusted relays change at once, keys read only at start are named in the log,
//! and a file that does not load changes nothing.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

mod common;

use std::process::Stdio;
use std::time::{Duration, Instant};

use common::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reload_applies_limits_and_trusted_relays_and_names_what_needs_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    Server::init(dir.path(), TEST_LIMITS);
    let env = [
        ("IC_LOGGING_LEVEL", "\"info\""),
        ("IC_HTTP_DRAIN_DELAY_SECS", "0"),
    ];
    let mut server = Server::spawn_with(dir.path(), &env, Stdio::piped());
    let reader = server.read_log();
    let (a, b) = (player(1), player(2));
    server.register(&a).await;
    server.register(&b).await;
    let other_relay = player(50);
    let community = server.community_key().await;
    let from_other = duel(&other_relay, community, &a, &b, 1);
    let (status, body) = server.post_bytes("/v1/matches", from_other.clone()).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (403, Some("untrusted_relay"))
    );

    // The operator trusts the other relay, lowers the request limit and changes a key that is
    // read only at start.
    std::fs::write(
        dir.path().join("ic-server.toml"),
        format!(
            "[http]\nrate_limit_per_minute = 3\n\
             [ranking]\nregistrations_per_ip_per_day = 10000\ntrusted_relays = [\"{}\"]\n\
             [relay]\nmax_matches = 5\n",
            other_relay.public_key()
        ),
    )
    .unwrap();
    let (code, out, err) = cli(dir.path(), &["config", "reload"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains(&format!("pid {}", server.child.id())), "{out}");

    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let (status, body) = server.post_bytes("/v1/matches", from_other.clone()).await;
        if status == 201 {
            break;
        }
        assert_eq!(status, 403, "{body}");
        assert!(
            Instant::now() < deadline,
            "the trusted relay was not taken over"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // Three requests a minute now: the next logins are refused.
    let mut refused = false;
    for _ in 0..6 {
        let challenge = serde_json::json!({ "key": player(3).public_key().to_string() });
        let (status, _) = server
            .post_json("/v1/auth/challenge", &challenge, None)
            .await;
        refused |= status == 429;
    }
    assert!(refused, "the lowered rate limit was not applied");

    // A file that does not load: the CLI refuses it, and a bare SIGHUP leaves the server as
    // it was.
    std::fs::write(
        dir.path().join("ic-server.toml"),
        "[http]\nrate_limit_per_minute = 0\n",
    )
    .unwrap();
    let (code, _, err) = cli(dir.path(), &["config", "reload"]);
    assert_eq!(code, 1);
    assert!(err.contains("http.rate_limit_per_minute"), "{err}");
    let pid = server.child.id().to_string();
    assert!(
        std::process::Command::new("kill")
            .args(["-HUP", &pid])
            .status()
            .unwrap()
            .success()
    );
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(server.get("/health", None).await.0, 200);

    assert!(server.stop().success());
    let log = reader.join().unwrap();
    let reloaded = log
        .lines()
        .find(|line| line.contains("configuration reloaded"))
        .unwrap_or_else(|| panic!("no reload logged: {log}"));
    assert!(
        reloaded.contains("http.rate_limit_per_minute")
            && reloaded.contains("ranking.trusted_relays"),
        "{reloaded}"
    );
    let restart = log
        .lines()
        .find(|line| line.contains("restart to apply"))
        .unwrap_or_else(|| panic!("no restart warning: {log}"));
    assert!(restart.contains("relay.max_matches"), "{restart}");
    assert!(log.contains("configuration not reloaded"), "{log}");

    // Without a running server there is nobody to ask.
    std::fs::write(dir.path().join("ic-server.toml"), TEST_LIMITS).unwrap();
    let (code, _, err) = cli(dir.path(), &["config", "reload"]);
    assert_eq!(code, 1);
    assert!(err.contains("no ic-server is running"), "{err}");
}
