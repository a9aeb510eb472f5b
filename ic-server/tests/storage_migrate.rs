//! `ic-server storage migrate --to postgres://…`, run as the real binary: a SQLite community
//! filled over the HTTP API answers exactly as before once moved to PostgreSQL; a target that
//! already holds data is refused and left as it was; the password never appears in the output.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

mod common;
#[path = "moderation/world.rs"]
mod world;

use std::path::Path;
use std::time::Duration;

use serde_json::{Value, json};
use sqlx::Connection;

use common::*;
use world::{Member, World};

/// The test cluster's password, from a database URL `postgres://user:password@host/db`.
fn password(url: &str) -> &str {
    let (_, rest) = url.split_once("://").unwrap();
    let (user_info, _) = rest.rsplit_once('@').unwrap();
    user_info.split_once(':').unwrap().1
}

/// The rows `storage migrate` reported for `table` (`  <table>  <n> rows`).
fn rows_of(out: &str, table: &str) -> u64 {
    out.lines()
        .find_map(
            |line| match line.split_whitespace().collect::<Vec<_>>()[..] {
                [name, rows, "rows"] if name == table => Some(rows.parse().unwrap()),
                _ => None,
            },
        )
        .unwrap_or_else(|| panic!("no row count for {table} in {out}"))
}

const AUDIT: &str = "/v1/moderation/audit?limit=5000";

/// What the community answers: its document, the leaderboard, each member's records (with the
/// token they logged in with), the accused's revocations, and the moderation staff's views.
async fn answers(world: &World, members: &[Member]) -> Vec<(String, u16, Value)> {
    let server = &world.server;
    let mut answers = Vec::new();
    for path in [
        "/.well-known/ic-community",
        "/v1/leaderboard?module=ra&limit=200",
    ] {
        let (status, body) = server.get(path, None).await;
        answers.push((path.to_owned(), status, body));
    }
    let accused = &members[0];
    let revocations = format!("/v1/players/{}/revocations", accused.id());
    let (status, body) = server.get(&revocations, None).await;
    answers.push((revocations, status, body));
    for member in members {
        let path = "/v1/players/me/records?since=0";
        let (status, body) = server.get(path, Some(&member.token)).await;
        answers.push((format!("{path} of {}", member.id()), status, body));
    }
    // The reviewer records last: reading them appends to the audit log.
    for (path, token) in [
        ("/v1/moderation/cases?limit=500", &world.moderator),
        ("/v1/sanctions/me", &accused.token),
        (AUDIT, &world.admin),
        ("/v1/moderation/reviewers", &world.moderator),
    ] {
        let (status, body) = server.get(path, Some(token)).await;
        answers.push((path.to_owned(), status, body));
    }
    answers
}

/// Fills the running SQLite community: ten players, a dozen certified matches, a moderation
/// case reported, reviewed, acted on, appealed and reversed, a trusted relay, a role grant and
/// a key rotation. Returns the members, the accused first.
async fn populate(world: &World) -> Vec<Member> {
    let mut members = Vec::new();
    for _ in 0..10 {
        members.push(world.member().await);
    }
    let (accused, reporters, reviewers) = (&members[0], &members[1..4], &members[4..7]);
    let mut reported_matches = Vec::new();
    for reporter in reporters {
        reported_matches.push(world.play(accused, reporter).await);
    }
    for (winner, loser) in [
        (4, 7),
        (5, 8),
        (6, 9),
        (7, 5),
        (8, 6),
        (9, 4),
        (1, 2),
        (2, 3),
        (3, 1),
    ] {
        world.play(&members[winner], &members[loser]).await;
    }
    let mut case = String::new();
    for (reporter, match_id) in reporters.iter().zip(&reported_matches) {
        let (status, body) = world
            .report(
                reporter,
                accused,
                "griefing",
                Some(match_id),
                "blocked our base",
            )
            .await;
        assert_eq!(status, 201, "{body}");
        case = body["case_id"].as_str().unwrap().to_owned();
    }
    for reviewer in reviewers {
        assert_eq!(world.review(reviewer, "suspected_griefing").await, case);
    }
    for action in ["queue_cooldown:24", "ranked_suspension:7"] {
        let (status, body) = world.act(&case, action, "griefed three matches").await;
        assert_eq!(status, 201, "{body}");
    }
    let appeal = json!({ "case_id": case, "statement": "my brother played" });
    let (status, appeal) = world.post("/v1/appeals", appeal, &accused.token).await;
    assert_eq!(status, 201, "{appeal}");
    let decision = format!(
        "/v1/moderation/appeals/{}/decision",
        appeal["appeal_id"].as_str().unwrap()
    );
    let reverse = json!({ "decision": "reverse", "reason": "account shared, not griefing" });
    let (status, body) = world.post(&decision, reverse, &world.moderator).await;
    assert_eq!(status, 200, "{body}");

    let dir = world.dir.path();
    let relay = player(40).public_key().to_string();
    assert_eq!(
        cli(dir, &["relays", "trust", &relay, "--label", "eu-1"]).0,
        0
    );
    assert_eq!(
        cli(dir, &["roles", "grant", &members[9].id(), "reviewer"]).0,
        0
    );
    let (code, _, err) = cli(dir, &["keys", "rotate"]);
    assert_eq!(code, 0, "{err}");
    // The running server follows the rotation within seconds.
    for _ in 0..100 {
        if world.server.document().await["rotations"]
            .as_array()
            .unwrap()
            .len()
            == 1
        {
            return members;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the server did not follow the key rotation");
}

/// A loopback UDP address that was free a moment ago.
fn free_udp_address() -> String {
    let socket = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    socket.local_addr().unwrap().to_string()
}

/// Serves `dir` with its relay on `relay_listen`.
fn serve(dir: &Path, relay_listen: &str) -> Server {
    let env = [
        ("IC_LOGGING_LEVEL", "\"warn\""),
        ("IC_RELAY_LISTEN", relay_listen),
    ];
    Server::spawn_with(dir, &env, std::process::Stdio::inherit())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_migrated_community_answers_exactly_as_before() {
    let leaderboard = "[rating.leaderboard]\nmin_matches = 1\nmin_distinct_opponents = 1\n";
    let config = world::config("", leaderboard);
    let mut world = World::start_with(&config).await;
    let members = populate(&world).await;
    // Results are addressed to the community's current key.
    world.community = world.server.community_key().await;
    // The community document names the relay's UDP address: the same port before and after.
    let relay_listen = free_udp_address();
    assert!(world.server.stop().success());
    world.server = serve(world.dir.path(), &relay_listen);
    let before = answers(&world, &members).await;
    for (what, status, body) in &before {
        assert_eq!(*status, 200, "{what}: {body}");
    }
    let board = &before[1].2["entries"];
    assert_eq!(board.as_array().unwrap().len(), 10, "{board}");
    assert!(world.server.stop().success());

    let dir = world.dir.path().to_owned();
    let sqlite = std::fs::read(dir.join("ic-server.db")).unwrap();
    let url = test_postgres::fresh_database();
    let (code, out, err) = cli(&dir, &["storage", "migrate", "--to", &url]);
    eprintln!("{out}");
    assert_eq!(code, 0, "{out}{err}");
    for output in [&out, &err] {
        assert!(!output.contains(password(&url)), "{output}");
    }
    assert!(
        out.contains(&ic_server::store::mask_password(&url)),
        "{out}"
    );
    assert!(
        out.contains("[storage]"),
        "the operator is told what to set: {out}"
    );
    assert!(
        out.contains("last_sequence equal for all 10 players"),
        "{out}"
    );
    for (table, rows) in [
        ("players", 10),
        ("processed_matches", 12),
        ("key_rotations", 1),
        ("trusted_relays", 1),
        ("mod_reports", 3),
        ("mod_votes", 3),
        ("mod_actions", 2),
        ("mod_appeals", 1),
        ("mod_reversals", 2),
        ("mod_secret", 1),
    ] {
        assert_eq!(rows_of(&out, table), rows, "{table}");
    }
    for table in [
        "issued_records",
        "ratings",
        "revocations",
        "roles",
        "auth_tokens",
        "mod_audit",
    ] {
        assert!(rows_of(&out, table) > 0, "{table}: {out}");
    }
    assert_eq!(
        std::fs::read(dir.join("ic-server.db")).unwrap(),
        sqlite,
        "the SQLite database is only read"
    );

    std::fs::write(
        dir.join("ic-server.toml"),
        format!("{config}\n[storage]\nurl = \"{url}\"\n"),
    )
    .unwrap();
    world.server = serve(&dir, &relay_listen);
    let mut after = answers(&world, &members).await;
    // The audit log has one entry more: the staff's look at the reviewer records before.
    let (_, _, audit) = after.iter_mut().find(|(what, ..)| what == AUDIT).unwrap();
    let entries = audit["entries"].as_array_mut().unwrap();
    let last = entries.pop().unwrap();
    assert_eq!(last["action"], "list_reviewers", "{last}");
    for ((what, status, body), (_, before_status, before_body)) in after.iter().zip(&before) {
        assert_eq!(
            (status, body),
            (before_status, before_body),
            "{what} differs after the migration"
        );
    }
    assert_eq!(after.len(), before.len());
    // The ledger goes on where it was: a new match is certified on PostgreSQL.
    world.play(&members[7], &members[8]).await;
}

/// Each table's row count in the PostgreSQL database at `url`.
async fn counts(url: &str) -> Vec<(String, i64)> {
    let mut db = sqlx::PgConnection::connect(url).await.unwrap();
    let tables: Vec<String> = sqlx::query_scalar(
        "SELECT table_name::text FROM information_schema.tables \
         WHERE table_schema = current_schema() ORDER BY 1",
    )
    .fetch_all(&mut db)
    .await
    .unwrap();
    let mut counts = Vec::new();
    for table in tables {
        let sql = format!("SELECT COUNT(*) FROM \"{table}\"");
        counts.push((
            table,
            sqlx::query_scalar(&sql).fetch_one(&mut db).await.unwrap(),
        ));
    }
    counts
}

/// Runs `storage migrate --to url` on `dir`; returns the exit code and stdout + stderr.
fn migrate(dir: &Path, url: &str) -> (i32, String) {
    let (code, out, err) = cli(dir, &["storage", "migrate", "--to", url]);
    (code, format!("{out}{err}"))
}

#[tokio::test]
async fn a_target_with_data_is_refused_and_left_as_it_was() {
    let dir = tempfile::tempdir().unwrap();
    assert_eq!(cli(dir.path(), &["init"]).0, 0);
    let first = player(40).public_key().to_string();
    assert_eq!(cli(dir.path(), &["relays", "trust", &first]).0, 0);
    let url = test_postgres::fresh_database();
    let (code, output) = migrate(dir.path(), &url);
    assert_eq!(code, 0, "{output}");

    // The community goes on on SQLite; migrating it again into the same target is refused.
    let second = player(41).public_key().to_string();
    assert_eq!(cli(dir.path(), &["relays", "trust", &second]).0, 0);
    let before = counts(&url).await;
    let (code, output) = migrate(dir.path(), &url);
    assert_eq!(code, 1, "{output}");
    assert!(
        output.contains("already holds ic-server data") && output.contains("trusted_relays"),
        "{output}"
    );
    assert!(!output.contains(password(&url)), "{output}");
    assert_eq!(counts(&url).await, before, "nothing was written");

    // A wrong password is one clear error, and neither password shows.
    let wrong = url.replace(password(&url), "not-the-password-17");
    let (code, output) = migrate(dir.path(), &wrong);
    assert_eq!(code, 1, "{output}");
    assert!(
        output.contains("password authentication failed"),
        "{output}"
    );
    for secret in [password(&url), "not-the-password-17"] {
        assert!(!output.contains(secret), "{output}");
    }
}

#[tokio::test]
async fn a_community_whose_server_runs_is_not_migrated() {
    let dir = tempfile::tempdir().unwrap();
    let mut server = Server::start(dir.path(), TEST_LIMITS);
    let url = test_postgres::fresh_database();
    let (code, output) = migrate(dir.path(), &url);
    assert_eq!(code, 1, "{output}");
    let pid = server.child.id().to_string();
    assert!(
        output.contains("is running on") && output.contains(&pid),
        "{output}"
    );
    assert!(counts(&url).await.is_empty(), "nothing was created");

    // A second server on the same data directory is refused the same way.
    let (code, _, err) = cli(dir.path(), &["run", "--listen", "127.0.0.1:0"]);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("its own data directory"), "{err}");

    server.stop();
    let (code, output) = migrate(dir.path(), &url);
    assert_eq!(code, 0, "{output}");
}

#[tokio::test]
async fn the_target_may_come_from_the_environment_keeping_the_password_off_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    assert_eq!(cli(dir.path(), &["init"]).0, 0);
    let relay = player(42).public_key().to_string();
    assert_eq!(cli(dir.path(), &["relays", "trust", &relay]).0, 0);
    let url = test_postgres::fresh_database();
    let out = std::process::Command::new(binary())
        .arg("--data-dir")
        .arg(dir.path())
        .args(["storage", "migrate"])
        .env_remove("IC_DATA_DIR")
        .env_remove("IC_CONFIG")
        .env("IC_STORAGE_MIGRATE_TO", &url)
        .output()
        .unwrap();
    let output = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(out.status.code(), Some(0), "{output}");
    assert!(!output.contains(password(&url)), "{output}");
    assert!(!output.contains("unknown environment variable"), "{output}");
    let copied: Vec<(String, i64)> = counts(&url).await;
    assert!(
        copied.contains(&("trusted_relays".to_owned(), 1)),
        "{copied:?}"
    );
}
