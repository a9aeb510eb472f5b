//! Choosing and losing the database, seen from outside: the storage URL checked and its
//! password never shown; a PostgreSQL that cannot be used at start is one clear line and exit
//! code 1; a database lost while serving makes `/ready` and writes answer 503 until it is back.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

mod common;

use std::time::{Duration, Instant};

use common::*;
use test_postgres::{Cluster, with_database};

#[test]
fn the_storage_url_is_checked_and_its_password_never_shown() {
    let dir = tempfile::tempdir().unwrap();
    cli(dir.path(), &["init"]);
    let config = dir.path().join("ic-server.toml");
    std::fs::write(&config, "[storage]\nurl = \"mysql://ic:pw@db/ic\"\n").unwrap();
    let (code, _, err) = cli(dir.path(), &["config", "validate"]);
    assert_eq!(code, 1);
    assert!(
        err.contains("storage.url") && err.contains("mysql"),
        "{err}"
    );

    std::fs::write(
        &config,
        "[storage]\nurl = \"postgres://ic:hunter2@db.example:5432/ic\"\n",
    )
    .unwrap();
    let (code, out, err) = cli(dir.path(), &["config", "validate"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("configuration is valid"), "{out}");
    let (code, out, _) = cli(dir.path(), &["config", "show"]);
    assert_eq!(code, 0);
    assert!(
        out.contains("storage.url = \"postgres://ic:***@db.example:5432/ic\"  # file"),
        "{out}"
    );
    assert!(!out.contains("hunter2"), "{out}");
}

/// Runs `ic-server run` on `url` and returns its exit code and stderr.
fn run_on(url: &str) -> (i32, String) {
    let dir = tempfile::tempdir().unwrap();
    cli(dir.path(), &["init"]);
    std::fs::write(
        dir.path().join("ic-server.toml"),
        format!("[storage]\nurl = \"{url}\"\n"),
    )
    .unwrap();
    let (code, _, err) = cli(dir.path(), &["run", "--listen", "127.0.0.1:0"]);
    (code, err)
}

#[test]
fn a_postgres_that_cannot_be_used_at_start_is_one_clear_line() {
    let admin = test_postgres::admin_url().unwrap();
    let wrong_password = {
        let (scheme_user, rest) = admin.split_once(':').unwrap();
        let (_, after_user) = rest.split_once("//").unwrap();
        let (user, host) = after_user.split_once('@').unwrap();
        let user = user.split(':').next().unwrap();
        format!("{scheme_user}://{user}:not-the-password@{host}")
    };
    let database = test_postgres::fresh_database();
    let closed_port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let cases = [
        (
            format!("postgres://ic:secret-pw@127.0.0.1:{closed_port}/ic"),
            "database unavailable",
        ),
        (wrong_password, "password authentication failed"),
        (with_database(&admin, "no_such_database"), "does not exist"),
    ];
    for (url, says) in cases {
        let (code, err) = run_on(&url);
        assert_eq!(code, 1, "{url}: {err}");
        let lines: Vec<&str> = err.lines().filter(|l| !l.trim().is_empty()).collect();
        assert_eq!(lines.len(), 1, "one line for {url}: {err}");
        assert!(
            lines[0].starts_with("error: opening the database postgres://"),
            "{err}"
        );
        assert!(lines[0].contains(says), "{url}: {err}");
        assert!(
            !err.contains("secret-pw") && !err.contains("not-the-password"),
            "{err}"
        );
        assert!(!err.contains("panicked"), "{err}");
    }

    // A database an ic-server of a newer schema has written is refused, untouched.
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        use sqlx::Connection;
        let location = ic_server::store::Location::Postgres(database.clone());
        let stores = ic_server::store::open(&location, None).await.unwrap();
        stores.core.close().await.unwrap();
        let mut conn = sqlx::PgConnection::connect(&database).await.unwrap();
        sqlx::query(
            "INSERT INTO _sqlx_migrations (version, description, success, checksum, \
             execution_time) VALUES (9999, 'from the future', true, '\\x00', 0)",
        )
        .execute(&mut conn)
        .await
        .unwrap();
    });
    let (code, err) = run_on(&database);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("newer than this ic-server"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lost_database_answers_503_until_it_is_back() {
    let cluster = Cluster::start().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let config = format!(
        "{TEST_LIMITS}\n[storage]\nurl = \"{}\"\n",
        cluster.fresh_database()
    );
    let server = Server::start(dir.path(), &config);
    server.register(&player(1)).await;
    assert_eq!(server.get("/ready", None).await.0, 200);
    assert_eq!(server.metric("ic_storage_up").await, 1.0);

    cluster.stop().unwrap();
    let (status, body) = server.get("/ready", None).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (503, Some("storage_unavailable")),
        "{body}"
    );
    // A write while it is gone (a login challenge is stored): a JSON 503, not a 500.
    let challenge = serde_json::json!({ "key": player(2).public_key().to_string() });
    let (status, body) = server
        .post_json("/v1/auth/challenge", &challenge, None)
        .await;
    assert_eq!(status, 503, "{body}");
    assert_eq!(body["error"], "storage_unavailable", "{body}");
    // The watch notices within its ping interval (5 s): an alert can fire on the gauge.
    let deadline = Instant::now() + Duration::from_secs(15);
    while server.metric("ic_storage_up").await != 0.0 {
        assert!(Instant::now() < deadline, "ic_storage_up stayed 1");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }

    cluster.start_again().unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    while server.get("/ready", None).await.0 != 200 {
        assert!(
            Instant::now() < deadline,
            "/ready stayed 503 after the database came back"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let deadline = Instant::now() + Duration::from_secs(20);
    while server.metric("ic_storage_up").await != 1.0 {
        assert!(Instant::now() < deadline, "ic_storage_up stayed 0");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    server.register(&player(2)).await;
    let token = server.login(&player(1)).await;
    let (status, body) = server.get("/v1/players/me/records", Some(&token)).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(records(&body["records"]).len(), 1, "{body}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn connections_cut_mid_burst_leave_nothing_half_written() {
    use sqlx::Connection;
    let database = test_postgres::fresh_database();
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(
        dir.path(),
        &format!("{TEST_LIMITS}\n[storage]\nurl = \"{database}\"\n"),
    );
    let players: Vec<_> = (0..6u32).map(player_from).collect();
    for p in &players {
        server.register(p).await;
    }
    let community = server.community_key().await;
    let relay = server.relay_key();
    let matches = common::submit::round_robin_duels(&relay, community, &players, 120);
    // Four streams of results; meanwhile every connection of the server to the database is cut,
    // several times, whatever statement it is in the middle of.
    let mut streams = Vec::new();
    for lane in 0..4usize {
        let mine: Vec<Vec<u8>> = matches.iter().skip(lane).step_by(4).cloned().collect();
        let (http, url) = (server.http.clone(), format!("{}/v1/matches", server.url));
        streams.push(tokio::spawn(async move {
            let mut statuses = Vec::new();
            for cmr in mine {
                let response = http
                    .post(&url)
                    .header("content-type", "application/octet-stream")
                    .body(cmr)
                    .send()
                    .await
                    .unwrap();
                statuses.push(response.status().as_u16());
            }
            statuses
        }));
    }
    let admin = test_postgres::admin_url().unwrap();
    let name = database.rsplit('/').next().unwrap().to_owned();
    let mut conn = sqlx::PgConnection::connect(&admin).await.unwrap();
    let mut cut = 0u64;
    for _ in 0..5 {
        tokio::time::sleep(Duration::from_millis(150)).await;
        let killed: Vec<bool> = sqlx::query_scalar(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
             WHERE datname = $1 AND application_name = 'ic-server'",
        )
        .bind(&name)
        .fetch_all(&mut conn)
        .await
        .unwrap();
        cut += killed.len() as u64;
    }
    let mut statuses = Vec::new();
    for stream in streams {
        statuses.extend(stream.await.unwrap());
    }
    assert!(cut > 0, "connections were cut");
    // Every answer is a success or a 503 that the client may retry: never a 500.
    assert!(
        statuses.iter().all(|s| [201, 503].contains(s)),
        "{statuses:?}"
    );
    // Whatever was cut: every player's ledger is whole (gapless sequences, each match built on
    // the previous rating, no match twice), and resubmitting everything applies the rest once.
    common::ledger::commit_order(&server, &players).await;
    for cmr in &matches {
        let (status, body) = server.post_bytes("/v1/matches", cmr.clone()).await;
        assert!([200, 201].contains(&status), "{status} {body}");
    }
    let applied = common::ledger::applied_matches(&server, &players).await;
    assert_eq!(applied.len(), matches.len());
}
