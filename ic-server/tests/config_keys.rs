//! Settings of the config template that act on the running binary, each shown by a behaviour
//! that differs from its default (issue 25: no setting may do nothing): body and match size
//! limits, challenge and token lifetimes, the SQLite file name, the rating records' validity
//! and algorithm, capabilities on top of a preset, campaigns switched off, the log level, the
//! claim window and the web session length; the request timeout, the drain delay and the
//! shutdown grace.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::process::Stdio;

use base64::Engine as _;
use common::{B64, Server, player};
use serde_json::json;

const CONFIG: &str = "\
[capabilities]
moderation = true
[rating]
algorithm = \"elo\"
[http]
rate_limit_per_minute = 100000
max_body_bytes = 2048
[storage]
sqlite_path = \"custom.db\"
[auth]
challenge_ttl_secs = 7
token_ttl_secs = 61
[ranking]
registrations_per_ip_per_day = 10000
rating_validity_days = 2
max_match_bytes = 1024
[campaigns]
enabled = false
[logging]
level = \"warn\"
";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn non_default_settings_change_what_the_server_does() {
    let dir = tempfile::tempdir().unwrap();
    Server::init(dir.path(), CONFIG);
    // No IC_LOGGING_LEVEL in the environment: the file's level applies.
    let mut server = Server::spawn_with(dir.path(), &[], Stdio::piped());
    let log = server.read_log();
    let now = ic_server::clock::unix_now();

    // [storage] sqlite_path: the database is the named file.
    assert!(dir.path().join("custom.db").exists());
    assert!(!dir.path().join("ic-server.db").exists());

    // [auth] challenge_ttl_secs and token_ttl_secs.
    let key = player(1);
    let (status, challenge) = server
        .post_json(
            "/v1/auth/challenge",
            &json!({ "key": key.public_key().to_string() }),
            None,
        )
        .await;
    assert_eq!(status, 200, "{challenge}");
    let ttl = challenge["expires_at"].as_i64().unwrap() - now;
    assert!((6..=9).contains(&ttl), "challenge lives {ttl} s");
    let bytes: [u8; 32] = B64
        .decode(challenge["challenge"].as_str().unwrap())
        .unwrap()
        .try_into()
        .unwrap();
    let message = ic_server::auth::challenge_message(&bytes, &server.community_key().await);
    let (status, token) = server
        .post_json(
            "/v1/auth/token",
            &json!({
                "key": key.public_key().to_string(),
                "challenge": challenge["challenge"],
                "signature": B64.encode(key.sign(&message)),
            }),
            None,
        )
        .await;
    assert_eq!(status, 200, "{token}");
    let ttl = token["expires_at"].as_i64().unwrap() - now;
    assert!((60..=63).contains(&ttl), "token lives {ttl} s");
    let records = server.register(&key).await;

    // [ranking] rating_validity_days: the registration's rating record lives two days.
    let rating = records
        .iter()
        .map(|bytes| scr::Record::decode(bytes).unwrap())
        .find(|record| record.record_type() == scr::RecordType::Rating)
        .unwrap();
    assert_eq!(
        rating.expires_at().unwrap() - rating.issued_at(),
        2 * 86_400
    );

    // [rating] algorithm = "elo": the records name the algorithm.
    let rating_payload = match rating.payload() {
        scr::payload::Payload::Rating(rating) => rating.clone(),
        other => panic!("not a rating: {other:?}"),
    };
    assert_eq!(rating_payload.algorithm_id, "elo");
    // [capabilities] moderation = true on the community preset: its routes exist.
    let (status, refused) = server.get("/v1/sanctions/me", None).await;
    assert_eq!(status, 401, "{refused}");
    let (status, refused) = server
        .post_json("/v1/reports", &json!({}), Some(&server.login(&key).await))
        .await;
    assert_ne!(
        refused["error"], "capability_disabled",
        "{status} {refused}"
    );

    // [http] max_body_bytes: a 4 KiB JSON body is refused before any handler reads it.
    let big = json!({ "key": "x".repeat(4096) });
    let (status, refused) = server.post_json("/v1/auth/challenge", &big, None).await;
    assert_eq!(
        (status, refused["error"].as_str()),
        (413, Some("body_too_large"))
    );

    // [ranking] max_match_bytes: a 1.5 KiB result is too large (the default takes 16 KiB and
    // would call it malformed instead).
    let (status, refused) = server.post_bytes("/v1/matches", vec![7; 1500]).await;
    assert_eq!(
        (status, refused["error"].as_str()),
        (413, Some("body_too_large"))
    );

    // [campaigns] enabled = false: the campaign routes answer 404.
    let (status, refused) = server.get("/v1/campaigns/allies/benchmarks", None).await;
    assert_eq!(
        (status, refused["error"].as_str()),
        (404, Some("campaigns_disabled"))
    );

    // [logging] level = "warn": the start-up line (info) is not logged.
    assert!(server.stop().success());
    let log = log.join().unwrap();
    assert!(!log.contains("serving"), "{log}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_claim_window_and_the_web_session_length_are_the_configured_ones() {
    let admin = player(9);
    let config = format!(
        "[capabilities]\npreset = \"minimal\"\nranking = true\n\
         [http]\nrate_limit_per_minute = 100000\n\
         [ranking]\nregistrations_per_ip_per_day = 10000\n\
         [auth]\nadmins = [\"{}\"]\n\
         [ui]\nsession_idle_secs = 60\nsession_max_secs = 120\n\
         [achievements]\npolicy = \"optimistic\"\nchallenge_window_hours = 3\n\
         [[achievements.definitions]]\nid = \"campaign\"\nname = \"Campaign finished\"\n\
         rule = \"claim\"\n",
        admin.public_key()
    );
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path(), &config);

    // [achievements] challenge_window_hours: the stored claim upgrades three hours on.
    let key = player(1);
    server.register(&key).await;
    let token = server.login(&key).await;
    let (status, claimed) = server
        .post_json(
            "/v1/achievements/claims",
            &json!({ "game_module": "ra", "achievement_id": "campaign" }),
            Some(&token),
        )
        .await;
    assert_eq!(status, 201, "{claimed}");
    let (status, held) = server
        .get(
            &format!("/v1/players/{}/achievements", key.public_key()),
            None,
        )
        .await;
    assert_eq!(status, 200, "{held}");
    let campaign = &held["achievements"][0];
    assert_eq!(campaign["claim"], "pending", "{held}");
    assert_eq!(
        campaign["upgrade_at"].as_i64().unwrap() - campaign["unlocked_at"].as_i64().unwrap(),
        3 * 3600
    );

    // [capabilities] preset = "minimal" with ranking = true: ranking on, matchmaking off.
    let (status, _) = server.get("/v1/leaderboard", None).await;
    assert_eq!(status, 200);
    let (status, refused) = server.get("/v1/queue", Some(&token)).await;
    assert_eq!(
        (status, refused["error"].as_str()),
        (404, Some("capability_disabled"))
    );

    // [ui] session_max_secs: the browser is told to drop the session after two minutes.
    let link = common::web::operator_login_link(&server, &admin);
    let signed_in = common::web::sign_in(&server, &link).await;
    let cookie = signed_in.headers()["set-cookie"].to_str().unwrap();
    assert!(cookie.contains("Max-Age=120"), "{cookie}");
    // [ui] session_idle_secs: a minute without a page view ends it (the default, an hour).
    let database = common::database::Database::open(common::Backend::Sqlite, dir.path(), "").await;
    let spans = database
        .run("SELECT idle_expires_at - created_at, expires_at - created_at FROM web_sessions")
        .await;
    assert_eq!(spans, vec![60, 120]);
}

/// Sends a request whose body stops after 10 of its 100 bytes; returns the open connection.
async fn stalled_request(url: &str) -> tokio::net::TcpStream {
    use tokio::io::AsyncWriteExt as _;
    let address = url.trim_start_matches("http://");
    let mut stream = tokio::net::TcpStream::connect(address).await.unwrap();
    let head = format!(
        "POST /v1/auth/challenge HTTP/1.1\r\nHost: {address}\r\n\
         Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{{\"key\": \""
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    stream
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn request_timeout_drain_delay_and_shutdown_grace_are_the_configured_ones() {
    use std::time::{Duration, Instant};
    use tokio::io::AsyncReadExt as _;
    let dir = tempfile::tempdir().unwrap();
    let mut server = Server::start(
        dir.path(),
        "[http]\nrequest_timeout_secs = 6\ndrain_delay_secs = 2\nshutdown_grace_secs = 1\n",
    );

    // request_timeout_secs = 6: a client that stops sending is answered 503 after six seconds
    // (the default waits ten).
    let started = Instant::now();
    let mut stream = stalled_request(&server.url).await;
    let mut reply = Vec::new();
    tokio::time::timeout(Duration::from_secs(15), stream.read_to_end(&mut reply))
        .await
        .expect("the server answers a stalled request")
        .unwrap();
    let waited = started.elapsed();
    let reply = String::from_utf8_lossy(&reply);
    assert!(reply.starts_with("HTTP/1.1 503"), "{reply}");
    assert!(reply.contains("\"timeout\""), "{reply}");
    assert!(
        (Duration::from_millis(5_500)..Duration::from_secs(9)).contains(&waited),
        "answered after {waited:?}"
    );

    // drain_delay_secs = 2: after SIGTERM the server keeps answering (not ready) for two
    // seconds (the default closes the listener after one).
    let _in_flight = stalled_request(&server.url).await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    let term = Instant::now();
    server.signal("TERM");
    tokio::time::sleep(Duration::from_millis(1_400)).await;
    assert_eq!(server.get("/ready", None).await.0, 503);
    assert_eq!(server.get("/health", None).await.0, 200);

    // shutdown_grace_secs = 1: the stalled request (which would time out six seconds after
    // it began) gets one second after the delay, then the process stops anyway.
    let exited = loop {
        if server.child.try_wait().unwrap().is_some() {
            break term.elapsed();
        }
        assert!(term.elapsed() < Duration::from_secs(20), "still running");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert!(
        (Duration::from_millis(2_500)..Duration::from_millis(4_800)).contains(&exited),
        "exited {exited:?} after SIGTERM"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn listed_relays_are_probed_at_the_configured_pace() {
    // A relay-only server, whose relay the matchmaking server lists.
    let relay_dir = tempfile::tempdir().unwrap();
    let relay = Server::start(
        relay_dir.path(),
        "[capabilities]\npreset = \"minimal\"\nrelay = true\n",
    );
    let document = relay.document().await;
    let listed = &document["relays"][0];
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(
        dir.path(),
        &format!(
            "[capabilities]\nrelay = false\n\
             [matchmaking]\nrelay_probe_secs = 1\n\
             relays = [{{ address = \"{}\", key = \"{}\" }}]\n",
            listed["address"].as_str().unwrap(),
            listed["key"].as_str().unwrap(),
        ),
    );
    // relay_probe_secs = 1: a probe a second (the default, one every 30 s, would have made
    // only the first by now), each reaching the relay with its key pinned.
    tokio::time::sleep(std::time::Duration::from_millis(3_500)).await;
    let address = listed["address"].as_str().unwrap();
    let probes = server
        .metrics_text()
        .await
        .lines()
        .filter(|line| line.starts_with("ic_matchmaking_relay_probes_total{"))
        .filter(|line| line.contains(&format!("relay=\"{address}\"")))
        .filter(|line| line.contains("outcome=\"reachable\""))
        .map(|line| line.rsplit(' ').next().unwrap().parse::<f64>().unwrap())
        .sum::<f64>();
    assert!((3.0..=5.0).contains(&probes), "{probes} probes");
    drop(relay);
}
