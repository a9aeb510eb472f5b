//! What an operator relies on when running the real binary: draining on SIGTERM with `/ready`
//! answering 503 first and without waiting on open event streams, JSON logs that never carry a
//! secret, and `IC_…` environment overrides.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use base64::Engine;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::{B64, Backend, Server, player};

/// Test limits plus a drain delay long enough to observe.
const DRAINING: &str = "[http]\nrate_limit_per_minute = 100000\ndrain_delay_secs = 3\n\
    [ranking]\nregistrations_per_ip_per_day = 10000\n";

async fn draining_server_reports_not_ready_then_exits_cleanly(backend: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let mut server = Server::start(dir.path(), &format!("{DRAINING}{}", backend.storage()));
    server.register(&player(1)).await;
    assert_eq!(server.get("/ready", None).await.0, 200);

    server.terminate();
    // The server keeps serving during the drain delay, and says it is not ready.
    let deadline = Instant::now() + Duration::from_secs(3);
    let (status, body) = loop {
        let (status, body) = server.get("/readyz", None).await;
        if status != 200 || Instant::now() > deadline {
            break (status, body);
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    assert_eq!((status, body["error"].as_str()), (503, Some("not_ready")));
    assert_eq!(server.get("/health", None).await.0, 200, "still alive");

    let exit = server.child.wait().unwrap();
    assert!(exit.success(), "clean exit on SIGTERM: {exit:?}");
    // SQLite: the write-ahead log was checkpointed into the database file on the way out.
    if backend == Backend::Sqlite {
        let wal = dir.path().join("ic-server.db-wal");
        let wal_len = std::fs::metadata(&wal).map(|m| m.len()).unwrap_or(0);
        assert_eq!(wal_len, 0, "WAL left with {wal_len} bytes");
    }
    // Restarting sees the registration.
    let server = Server::spawn(dir.path());
    let token = server.login(&player(1)).await;
    assert_eq!(
        server.get("/v1/players/me/records", Some(&token)).await.0,
        200
    );
}

async fn an_open_event_stream_does_not_hold_up_shutdown(backend: Backend) {
    let dir = tempfile::tempdir().unwrap();
    // A grace period far longer than the test may take: waiting for it would fail the test.
    let config = "[http]\nrate_limit_per_minute = 100000\ndrain_delay_secs = 0\n\
        shutdown_grace_secs = 120\n";
    let mut server = Server::start(dir.path(), &format!("{config}{}", backend.storage()));
    let token = server.login(&player(3)).await;
    let mut events = server
        .http
        .get(format!("{}/v1/queue/events", server.url))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(events.status().as_u16(), 200);

    let asked = Instant::now();
    server.terminate();
    // The stream ends (the client would reconnect elsewhere) and the process exits cleanly.
    let ended = tokio::time::timeout(Duration::from_secs(20), async {
        while let Ok(Some(_)) = events.chunk().await {}
    })
    .await;
    assert!(ended.is_ok(), "the event stream stayed open after SIGTERM");
    let exit = server.child.wait().unwrap();
    assert!(exit.success(), "{exit:?}");
    assert!(
        asked.elapsed() < Duration::from_secs(20),
        "shutdown took {:?}",
        asked.elapsed()
    );
}

async fn json_logs_are_one_object_per_line_and_carry_no_secret(backend: Backend) {
    let dir = tempfile::tempdir().unwrap();
    Server::start(dir.path(), &format!("{DRAINING}{}", backend.storage())).kill();
    let env = [
        ("IC_LOGGING_FORMAT", "\"json\""),
        ("IC_LOGGING_LEVEL", "\"debug\""),
        ("IC_HTTP_DRAIN_DELAY_SECS", "0"),
    ];
    let mut server = Server::spawn_with(dir.path(), &env, Stdio::piped());
    let reader = server.read_log();

    let token = server.login(&player(1)).await;
    server.register(&player(1)).await;
    let relay = server.relay_key();
    let community = server.community_key().await;
    let cmr = common::duel(&relay, community, &player(1), &player(2), 1);
    server.register(&player(2)).await;
    assert_eq!(server.post_bytes("/v1/matches", cmr).await.0, 201);
    // A failing request logs too.
    let (status, _) = server
        .get("/v1/players/me/records", Some("not-a-token"))
        .await;
    assert_eq!(status, 401);
    assert!(server.stop().success());
    let log = reader.join().unwrap();

    let lines: Vec<&str> = log.lines().filter(|l| !l.trim().is_empty()).collect();
    assert!(
        lines.iter().any(|l| l.contains("serving")),
        "the start-up line is logged: {log}"
    );
    for line in &lines {
        let object: serde_json::Value = serde_json::from_str(line)
            .unwrap_or_else(|e| panic!("not a JSON log line ({e}): {line}"));
        assert!(object["level"].is_string(), "{line}");
        assert!(object["timestamp"].is_string(), "{line}");
    }
    let signing_seed = hex::encode(server.signing_key().seed());
    let relay_seed = hex::encode(relay.seed());
    for secret in [
        token.as_str(),
        signing_seed.as_str(),
        relay_seed.as_str(),
        &B64.encode(server.signing_key().seed()),
    ] {
        assert!(!log.contains(secret), "a secret reached the log");
    }
}

async fn environment_overrides_reach_the_running_server(backend: Backend) {
    let dir = tempfile::tempdir().unwrap();
    Server::start(dir.path(), &format!("{DRAINING}{}", backend.storage())).kill();
    let env = [
        ("IC_COMMUNITY_NAME", "\"Env Clan\""),
        ("IC_LOGGING_LEVEL", "\"warn\""),
    ];
    let server = Server::spawn_with(dir.path(), &env, Stdio::inherit());
    assert_eq!(server.document().await["name"], "Env Clan");
    drop(server);

    // An out-of-range value from the environment stops start-up, naming the key and variable.
    let out = Command::new(common::binary())
        .arg("--data-dir")
        .arg(dir.path())
        .args(["run", "--listen", "127.0.0.1:0"])
        .env_remove("IC_DATA_DIR")
        .env_remove("IC_CONFIG")
        .env("IC_HTTP_REQUEST_TIMEOUT_SECS", "0")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        stderr.contains("http.request_timeout_secs")
            && stderr.contains("IC_HTTP_REQUEST_TIMEOUT_SECS"),
        "{stderr}"
    );
}

/// A player waiting in the queue is still there after the server restarts: the leading
/// matchmaker saves the queue in the database (on SQLite as on PostgreSQL).
async fn a_queued_player_is_still_queued_after_a_restart(backend: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let config = format!("{DRAINING}{}", backend.storage());
    let mut server = Server::start(dir.path(), &config);
    let key = player(7);
    let issued = server.register(&key).await;
    let token = server.login(&key).await;
    let body = serde_json::json!({ "mode": "ranked_1v1", "record": B64.encode(&issued[0]) });
    let (status, answer) = server.post_json("/v1/queue", &body, Some(&token)).await;
    assert_eq!(status, 202, "{answer}");
    assert!(server.stop().success());

    let server = Server::spawn_with(
        dir.path(),
        &[("IC_HTTP_DRAIN_DELAY_SECS", "0")],
        Stdio::inherit(),
    );
    let token = server.login(&key).await;
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let (status, standing) = server.get("/v1/queue", Some(&token)).await;
        if status == 200 && standing["events"][0]["event"] == "queued" {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "not queued after the restart: {standing}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

crate::on_each_backend!(
    a_queued_player_is_still_queued_after_a_restart,
    draining_server_reports_not_ready_then_exits_cleanly,
    an_open_event_stream_does_not_hold_up_shutdown,
    json_logs_are_one_object_per_line_and_carry_no_secret,
    environment_overrides_reach_the_running_server,
);

/// Human log lines written to a file or a pipe (journald, `docker logs`) carry no terminal
/// colour codes.
#[tokio::test]
async fn human_logs_to_a_pipe_carry_no_colour_codes() {
    let dir = tempfile::tempdir().unwrap();
    Server::start(dir.path(), DRAINING).kill();
    let env = [
        ("IC_LOGGING_FORMAT", "\"human\""),
        ("IC_LOGGING_LEVEL", "\"debug\""),
        ("IC_HTTP_DRAIN_DELAY_SECS", "0"),
    ];
    let mut server = Server::spawn_with(dir.path(), &env, Stdio::piped());
    let reader = server.read_log();
    server.register(&player(1)).await;
    assert!(server.stop().success());
    let log = reader.join().unwrap();
    assert!(log.contains("serving"), "{log}");
    assert!(
        !log.contains('\u{1b}'),
        "colour codes in a piped log: {log:?}"
    );
}
