//! Seasons on the real binary: `ic-server seasons end|start` archives the standings, soft-resets
//! every rating by the configured formula, starts placement again, flags the previous season's
//! records and makes matchmaking refuse older ones; SIGKILL during a change leaves either season.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

mod common;

use std::collections::BTreeMap;
use std::time::Instant;

use base64::Engine;
use common::database::Database;
use common::ledger::records_of;
use common::*;
use ranking::FixedRating;
use ranking::season::SeasonConfig;
use scr::{KeyPair, Payload, Record};
use serde_json::{Value, json};

/// The newest rating record of `player`: its bytes and payload.
async fn newest_rating(
    server: &Server,
    player: &KeyPair,
) -> (Vec<u8>, scr::payload::RatingPayload) {
    records_of(server, player)
        .await
        .into_iter()
        .filter_map(|record| match record.payload() {
            Payload::Rating(rating) => Some((record.as_bytes().to_vec(), rating.clone())),
            _ => None,
        })
        .next_back()
        .unwrap()
}

async fn refresh(server: &Server, player: &KeyPair) -> scr::payload::RatingPayload {
    let token = server.login(player).await;
    let (status, body) = server
        .post_json("/v1/players/me/refresh", &json!({}), Some(&token))
        .await;
    assert_eq!(status, 200, "{body}");
    let fresh = records(&body["records"]);
    assert_eq!(fresh.len(), 1, "one module, one re-issued rating: {body}");
    match Record::decode(&fresh[0]).unwrap().payload() {
        Payload::Rating(rating) => rating.clone(),
        other => panic!("not a rating record: {other:?}"),
    }
}

async fn running_season(server: &Server) -> u64 {
    let (status, body) = server.get("/v1/seasons", None).await;
    assert_eq!(status, 200, "{body}");
    body["running"].as_u64().unwrap()
}

async fn queue_with(server: &Server, player: &KeyPair, record: &[u8]) -> (u16, Value) {
    let token = server.login(player).await;
    server
        .post_json(
            "/v1/queue",
            &json!({ "mode": "ranked_1v1", "record": B64.encode(record) }),
            Some(&token),
        )
        .await
}

async fn a_season_change_archives_resets_and_places_again(backend: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let config = format!(
        "{TEST_LIMITS}[rating.season]\nplacement_matches = 2\n{}",
        backend.storage()
    );
    let server = Server::start(dir.path(), &config);
    let players: Vec<KeyPair> = (0..5u32).map(player_from).collect();
    play_ladder(&server, &players).await;
    let first = running_season(&server).await;

    // Before: each player's newest rating record, and the peak the season should keep (the
    // best rating of a record issued once placement, 2 games here, was over).
    let mut before = BTreeMap::new();
    for player in &players {
        let peak = records_of(&server, player)
            .await
            .iter()
            .filter_map(|record| match record.payload() {
                Payload::Rating(r) if r.games_played >= 2 => Some(r.rating),
                _ => None,
            })
            .max();
        let (bytes, rating) = newest_rating(&server, player).await;
        assert_eq!(
            rating.season,
            Some(first as u32),
            "records name their season"
        );
        assert_eq!(
            verdict(&server, &bytes).await["season_status"],
            "current_season"
        );
        before.insert(player.public_key().to_string(), (bytes, rating, peak));
    }

    let (code, out, err) = cli(dir.path(), &["seasons", "end"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("5 standings archived"), "{out}");
    assert_eq!(running_season(&server).await, first + 1);

    // The archive holds the final standings, best first.
    let (status, board) = server
        .get(&format!("/v1/leaderboard?season={first}&limit=200"), None)
        .await;
    assert_eq!(status, 200, "{board}");
    let mut expected: Vec<(i64, String)> = before
        .iter()
        .map(|(key, (_, rating, _))| (rating.rating, key.clone()))
        .collect();
    expected.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    let entries = board["entries"].as_array().unwrap();
    let got: Vec<(i64, String)> = entries
        .iter()
        .map(|e| {
            (
                e["rating"].as_i64().unwrap(),
                e["player_key"].as_str().unwrap().into(),
            )
        })
        .collect();
    assert_eq!(got, expected);
    for entry in entries {
        let (_, rating, peak) = &before[entry["player_key"].as_str().unwrap()];
        assert_eq!(entry["games_played"], rating.games_played);
        assert_eq!(entry["wins"], rating.wins);
        assert_eq!(entry["peak_rating"].as_i64(), *peak);
    }
    let (status, unknown) = server.get("/v1/leaderboard?season=999", None).await;
    assert_eq!(
        (status, unknown["error"].as_str()),
        (404, Some("unknown_season"))
    );

    // The old records still verify, flagged; a refresh gives the soft reset in the new
    // season, placing again; the live board is empty until players place again.
    let reset = SeasonConfig::default();
    let mut refreshed = BTreeMap::new();
    for player in &players[..4] {
        let (bytes, old, _) = &before[&player.public_key().to_string()];
        let old_verdict = verdict(&server, bytes).await;
        assert_eq!(old_verdict["valid"], true, "{old_verdict}");
        assert_eq!(old_verdict["season_status"], "previous_season");
        assert_eq!(old_verdict["season"], first);
        let new = refresh(&server, player).await;
        let expected = reset.soft_reset(FixedRating {
            rating: old.rating,
            deviation: old.deviation,
            volatility: old.volatility,
        });
        assert_eq!(
            (new.rating, new.deviation, new.volatility),
            (expected.rating, expected.deviation, expected.volatility)
        );
        assert_eq!(
            (new.games_played, new.wins, new.season),
            (0, 0, Some(first as u32 + 1))
        );
        let (fresh, _) = newest_rating(&server, player).await;
        assert_eq!(
            verdict(&server, &fresh).await["season_status"],
            "current_season"
        );
        refreshed.insert(player.public_key().to_string(), fresh);
    }
    let (_, live) = server.get("/v1/leaderboard", None).await;
    assert_eq!(live["entries"], json!([]), "placement starts again");

    // A second change, named: the first season's records are now two seasons old.
    let (code, out, err) = cli(
        dir.path(),
        &["seasons", "start", "--name", "Summer Cup", "--days", "30"],
    );
    assert_eq!(code, 0, "{out}{err}");
    let (_, listed, _) = cli(dir.path(), &["seasons", "list"]);
    assert!(
        listed.contains("Summer Cup") && listed.contains("running"),
        "{listed}"
    );
    let (_, seasons) = server.get("/v1/seasons", None).await;
    let newest = seasons["seasons"]
        .as_array()
        .unwrap()
        .last()
        .unwrap()
        .clone();
    assert_eq!(newest["name"], "Summer Cup");
    assert_eq!(
        newest["ends_at"].as_i64().unwrap() - newest["starts_at"].as_i64().unwrap(),
        30 * 86_400
    );

    // Player 4 never refreshed: its record is two seasons old and matchmaking refuses it.
    let stale_player = &players[4];
    let (stale, _, _) = &before[&stale_player.public_key().to_string()];
    assert_eq!(
        verdict(&server, stale).await["season_status"],
        "season_expired"
    );
    let (status, refused) = queue_with(&server, stale_player, stale).await;
    assert_eq!(
        (status, refused["error"].as_str()),
        (422, Some("season_expired")),
        "{refused}"
    );
    // Player 0's record is from the previous season: it queues.
    let (status, joined) = queue_with(
        &server,
        &players[0],
        &refreshed[&players[0].public_key().to_string()],
    )
    .await;
    assert_eq!(status, 202, "{joined}");
}

async fn a_season_ends_on_schedule_when_its_planned_end_passes(backend: Backend) {
    let dir = tempfile::tempdir().unwrap();
    // Season 1 started almost a day ago and lasts one day: it ends 3 s after the first start.
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let config = format!(
        "{TEST_LIMITS}[rating.season]\nfirst_season_start_unix = {}\nduration_days = 1\n{}",
        now - 86_400 + 3,
        backend.storage()
    );
    let mut server = Server::start(dir.path(), &config);
    let players: Vec<KeyPair> = (0..3u32).map(player_from).collect();
    play_ladder(&server, &players).await;
    assert_eq!(running_season(&server).await, 1);
    server.stop();
    std::thread::sleep(std::time::Duration::from_secs(4));
    // The schedule looks at once on start: season 1 is over, season 2 runs.
    let server = Server::spawn(dir.path());
    let deadline = Instant::now() + std::time::Duration::from_secs(10);
    while running_season(&server).await != 2 {
        assert!(
            Instant::now() < deadline,
            "the season did not end on schedule"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let (_, seasons) = server.get("/v1/seasons", None).await;
    let second = &seasons["seasons"][1];
    assert_eq!(second["name"], "Season 2");
    // On time: the next season follows on from the planned end, one duration long.
    assert_eq!(second["starts_at"].as_i64().unwrap(), now + 3);
    assert_eq!(second["ends_at"].as_i64().unwrap(), now + 3 + 86_400);
    let (_, board) = server.get("/v1/leaderboard?season=1", None).await;
    assert_eq!(board["entries"].as_array().unwrap().len(), 3, "{board}");
}

/// Rows written straight into the database, for a season change that takes long enough to
/// be killed in the middle.
const POPULATION: i64 = 40_000;

async fn fill(backend: Backend, dir: &std::path::Path, url: &str, season: i64) {
    let statements = match backend {
        Backend::Sqlite => vec![
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {N}) \
             INSERT INTO players (player_key, registered_at, last_sequence) \
             SELECT CAST(printf('%032d', i) AS BLOB), 1, 1 FROM n"
                .to_owned(),
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {N}) \
             INSERT INTO ratings (player_key, game_module, algorithm_id, rating, deviation, \
             volatility, games_played, wins, losses, draws, streak, last_played_at, \
             rating_sequence, rating_expires_at, season, peak_rating) \
             SELECT CAST(printf('%032d', i) AS BLOB), 'ra', 'glicko2', 900000 + i * 37, 80000, \
             60000, 3, 2, 1, 0, 1, 1, 1, 99, {S}, NULL FROM n"
                .to_owned(),
        ],
        Backend::Postgres => vec![
            "INSERT INTO players (player_key, registered_at, last_sequence) \
             SELECT decode(lpad(i::text, 64, '0'), 'hex'), 1, 1 FROM generate_series(1, {N}) i"
                .to_owned(),
            "INSERT INTO ratings (player_key, game_module, algorithm_id, rating, deviation, \
             volatility, games_played, wins, losses, draws, streak, last_played_at, \
             rating_sequence, rating_expires_at, season, peak_rating) \
             SELECT decode(lpad(i::text, 64, '0'), 'hex'), 'ra', 'glicko2', 900000 + i * 37, \
             80000, 60000, 3, 2, 1, 0, 1, 1, 1, 99, {S}, NULL FROM generate_series(1, {N}) i"
                .to_owned(),
        ],
    };
    for statement in statements {
        let sql = statement
            .replace("{N}", &POPULATION.to_string())
            .replace("{S}", &season.to_string());
        execute(backend, dir, url, &sql).await;
    }
}

async fn execute(backend: Backend, dir: &std::path::Path, url: &str, sql: &str) {
    Database::open(backend, dir, url).await.run(sql).await;
}

/// (running season, seasons stored, ratings not in the running season, ratings with games,
/// the sum of all ratings) read in one consistent view.
async fn state(backend: Backend, dir: &std::path::Path, url: &str) -> (i64, i64, i64, i64, i64) {
    let sql = "SELECT (SELECT season FROM seasons WHERE ended = {F}) AS running, \
               (SELECT COUNT(*) FROM seasons) AS seasons, \
               (SELECT COUNT(*) FROM ratings WHERE season <> \
                  (SELECT season FROM seasons WHERE ended = {F})) AS mixed, \
               (SELECT COUNT(*) FROM ratings WHERE games_played > 0) AS played, \
               (SELECT CAST(SUM(rating) AS BIGINT) FROM ratings) AS total";
    let row = Database::open(backend, dir, url).await.run(sql).await;
    (row[0], row[1], row[2], row[3], row[4])
}

/// The sum of all ratings after `changes` soft resets of the filled population.
fn expected_total(changes: u32) -> i64 {
    let config = SeasonConfig::default();
    (1..=POPULATION)
        .map(|i| {
            let mut rating = FixedRating {
                rating: 900_000 + i * 37,
                deviation: 80_000,
                volatility: 60_000,
            };
            for _ in 0..changes {
                rating = config.soft_reset(rating);
            }
            rating.rating
        })
        .sum()
}

async fn sigkill_during_a_season_change_leaves_one_season_or_the_other(backend: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let storage = backend.storage();
    let url = storage
        .split('"')
        .nth(1)
        .map(str::to_owned)
        .unwrap_or_default();
    // Start once so the schema and the first season exist, then stop.
    let mut server = Server::start(dir.path(), &format!("{TEST_LIMITS}{storage}"));
    let first = running_season(&server).await as i64;
    server.stop();
    fill(backend, dir.path(), &url, first).await;

    // One change left alone, to learn how long a change takes here.
    let started = Instant::now();
    let (code, out, err) = cli(dir.path(), &["seasons", "end"]);
    let full = started.elapsed();
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        out.contains(&format!("{POPULATION} standings archived")),
        "{out}"
    );
    let mut changes = 1u32;
    assert_eq!(
        state(backend, dir.path(), &url).await,
        (first + 1, 2, 0, 0, expected_total(1))
    );

    // Killed at points spread over a change's length: each time the database holds the old
    // season or the new one, whole.
    let mut interrupted = 0;
    for step in 1..=6u32 {
        let mut child = std::process::Command::new(binary())
            .arg("--data-dir")
            .arg(dir.path())
            .args(["seasons", "end"])
            .env_remove("IC_DATA_DIR")
            .env_remove("IC_CONFIG")
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(full.mul_f64(f64::from(step) / 7.0));
        let finished = child.try_wait().unwrap().is_some();
        child.kill().ok();
        child.wait().unwrap();
        let (running, seasons, mixed, played, total) = state(backend, dir.path(), &url).await;
        assert_eq!(mixed, 0, "a rating in another season than the running one");
        assert_eq!(played, 0, "season counts were cleared");
        let done = u32::try_from(running - first).unwrap();
        assert!(
            done == changes || done == changes + 1,
            "{done} changes after {changes}"
        );
        assert_eq!(seasons, i64::from(done) + 1);
        assert_eq!(
            total,
            expected_total(done),
            "every rating reset exactly {done} times"
        );
        if done == changes && !finished {
            interrupted += 1;
        }
        changes = done;
    }
    eprintln!("{interrupted} of 6 kills left the old season (change took {full:?})");
    // The server starts on whatever the kills left.
    let server = Server::spawn(dir.path());
    assert_eq!(
        running_season(&server).await as i64,
        first + i64::from(changes)
    );
}

on_each_backend!(
    a_season_change_archives_resets_and_places_again,
    a_season_ends_on_schedule_when_its_planned_end_passes,
    sigkill_during_a_season_change_leaves_one_season_or_the_other,
);
