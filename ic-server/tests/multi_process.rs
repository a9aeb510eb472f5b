//! Several `ic-server` processes on one PostgreSQL database, as a community that outgrew one
//! machine runs them: a burst of certified results spread over three processes is applied
//! exactly once with gapless sequences and the ratings of a one-by-one replay; the same result
//! sent to two processes at once is applied once and both answer with its records; a process
//! killed mid-burst loses nothing it acknowledged; a daily registration limit holds across
//! processes.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

mod common;

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use common::ledger::{applied_matches, assert_replay_gives_the_same_ratings, match_id};
use common::submit::Streams;
use common::*;
use serde_json::Value;

/// Processes of one community on one fresh PostgreSQL database.
struct Community {
    servers: Vec<Server>,
    dirs: Vec<tempfile::TempDir>,
}

impl Community {
    /// `count` processes with `config` (plus the shared database), all with the same keys.
    fn start(count: usize, config: &str) -> Self {
        let config = format!("{config}{}", Backend::Postgres.storage());
        let dirs: Vec<tempfile::TempDir> =
            (0..count).map(|_| tempfile::tempdir().unwrap()).collect();
        Server::init(dirs[0].path(), &config);
        for dir in &dirs[1..] {
            init_sharing_keys(dirs[0].path(), dir.path(), &config);
        }
        let servers = dirs.iter().map(|dir| Server::spawn(dir.path())).collect();
        Self { servers, dirs }
    }
}

/// `count` duels among `players`, every player in about the same number.
fn duels(
    community: &Server,
    players: &[scr::KeyPair],
    count: u64,
    first_game: u64,
) -> Vec<Vec<u8>> {
    let relay = community.relay_key();
    let key = community.signing_key().public_key().into();
    let n = players.len() as u64;
    (first_game..first_game + count)
        .map(|i| {
            let a = (i % n) as usize;
            let b = ((i * 3 + 1) % n) as usize;
            let b = if a == b { (b + 1) % n as usize } else { b };
            duel(&relay, key, &players[a], &players[b], i)
        })
        .collect()
}

async fn post(server: &Server, cmr: Vec<u8>) -> (u16, Value) {
    server.post_bytes("/v1/matches", cmr).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn three_processes_apply_a_burst_once_with_gapless_sequences() {
    let community = Community::start(3, TEST_LIMITS);
    let servers = &community.servers;
    let players: Vec<_> = (0..8u32).map(player_from).collect();
    for (i, p) in players.iter().enumerate() {
        servers[i % 3].register(p).await;
    }
    // 50 results at once, spread over the three processes.
    let matches = duels(&servers[0], &players, 50, 0);
    let mut tasks = Vec::new();
    for (i, cmr) in matches.iter().enumerate() {
        let (http, url) = (servers[i % 3].http.clone(), servers[i % 3].url.clone());
        let cmr = cmr.clone();
        tasks.push(tokio::spawn(async move {
            let response = http
                .post(format!("{url}/v1/matches"))
                .header("content-type", "application/octet-stream")
                .body(cmr)
                .send()
                .await
                .unwrap();
            (response.status().as_u16(), response.text().await.unwrap())
        }));
    }
    for task in tasks {
        let (status, body) = task.await.unwrap();
        assert_eq!(status, 201, "{body}");
    }
    for server in servers {
        assert_replay_gives_the_same_ratings(server, &players, &matches).await;
    }

    // The same result to two processes at the same moment: applied once, and both answers
    // carry the same records.
    let again = duels(&servers[0], &players, 10, 1_000);
    for (i, cmr) in again.iter().enumerate() {
        let (a, b) = (&servers[i % 3], &servers[(i + 1) % 3]);
        let ((status_a, body_a), (status_b, body_b)) =
            tokio::join!(post(a, cmr.clone()), post(b, cmr.clone()));
        let mut statuses = [status_a, status_b];
        statuses.sort_unstable();
        assert_eq!(statuses, [200, 201], "{body_a} {body_b}");
        assert_eq!(body_a["records"], body_b["records"]);
    }
    let all: Vec<Vec<u8>> = matches.iter().chain(&again).cloned().collect();
    assert_eq!(
        applied_matches(&servers[2], &players).await,
        all.iter().map(|m| match_id(m)).collect::<BTreeSet<_>>()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_process_killed_mid_burst_loses_nothing_it_acknowledged() {
    let mut community = Community::start(3, TEST_LIMITS);
    let players: Vec<_> = (0..6u32).map(player_from).collect();
    for p in &players {
        community.servers[0].register(p).await;
    }
    let matches = duels(&community.servers[0], &players, 240, 0);
    // Two streams per process; a stream stops at its first failed request.
    let streams = Streams::start(&community.servers.iter().collect::<Vec<_>>(), &matches, 6);
    streams.until_acknowledged(40).await;
    community.servers[1].kill();
    let acknowledged = streams.finish().await;
    assert!(
        acknowledged.len() >= 40,
        "results were acknowledged before the kill"
    );

    // The survivors know every acknowledged result; resubmitting everything through them
    // applies the rest, each once.
    let survivors = [&community.servers[0], &community.servers[2]];
    let applied = applied_matches(survivors[0], &players).await;
    for index in &acknowledged {
        assert!(
            applied.contains(&match_id(&matches[*index])),
            "acknowledged match {index} lost"
        );
    }
    for (index, cmr) in matches.iter().enumerate() {
        let (status, body) = post(survivors[index % 2], cmr.clone()).await;
        let expected: &[u16] = if acknowledged.contains(&index) {
            &[200]
        } else {
            &[200, 201]
        };
        assert!(expected.contains(&status), "match {index}: {status} {body}");
    }
    let applied = applied_matches(survivors[1], &players).await;
    assert_eq!(applied.len(), matches.len());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_daily_registration_limit_holds_across_processes() {
    let config = "[http]\nrate_limit_per_minute = 100000\n\
                  [ranking]\nregistrations_per_ip_per_day = 4\n";
    let community = Community::start(3, config);
    let mut outcomes = Vec::new();
    for seed in 0..9u8 {
        let server = &community.servers[usize::from(seed) % 3];
        let token = server.login(&player(seed)).await;
        let (status, body) = server
            .post_json("/v1/players", &serde_json::json!({}), Some(&token))
            .await;
        outcomes.push((status, body["error"].as_str().map(str::to_owned)));
    }
    let created = outcomes.iter().filter(|(status, _)| *status == 201).count();
    assert_eq!(created, 4, "{outcomes:?}");
    for (status, error) in &outcomes[4..] {
        assert_eq!(
            (*status, error.as_deref()),
            (429, Some("registration_limit")),
            "{outcomes:?}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_key_rotated_on_one_host_reaches_the_others_and_a_stale_key_never_signs() {
    let community = Community::start(2, TEST_LIMITS);
    let (here, there) = (&community.servers[0], &community.servers[1]);
    let old_key = here.community_key().await;
    here.register(&player(1)).await;

    // `keys rotate` on the first host: its server follows within key_refresh_secs.
    let (code, out, err) = cli(community.dirs[0].path(), &["keys", "rotate"]);
    assert_eq!(code, 0, "{out}{err}");
    let new_key = here.signing_key().public_key();
    assert_ne!(scr::PublicKey::from(old_key), new_key);
    let deadline = Instant::now() + Duration::from_secs(10);
    while here.community_key().await == old_key || there.community_key().await == old_key {
        assert!(Instant::now() < deadline, "the rotation was not followed");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let issued = here.register(&player(2)).await;
    let record = scr::Record::decode(&issued[0]).unwrap();
    assert_eq!(record.community_key(), new_key);

    // The other host still holds the old key: it says why it refuses, and signs nothing.
    let token = there.login(&player(3)).await;
    let (status, body) = there
        .post_json("/v1/players", &serde_json::json!({}), Some(&token))
        .await;
    assert_eq!(status, 503, "{body}");
    assert_eq!(body["error"], "signing_key_superseded", "{body}");
    let message = body["message"].as_str().unwrap();
    assert!(message.contains("keys/signing.key"), "{message}");
    let duel_there = duels(here, &[player(1), player(2)], 1, 7);
    let (status, body) = post(there, duel_there[0].clone()).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (503, Some("signing_key_superseded")),
        "{body}"
    );

    // Once the new key file is copied there, it signs again without a restart.
    std::fs::copy(
        community.dirs[0].path().join("keys/signing.key"),
        community.dirs[1].path().join("keys/signing.key"),
    )
    .unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    let issued = loop {
        let (status, body) = there
            .post_json("/v1/players", &serde_json::json!({}), Some(&token))
            .await;
        if status == 201 {
            break records(&body["records"]);
        }
        assert_eq!(status, 503, "{body}");
        assert!(
            Instant::now() < deadline,
            "the copied key was not picked up"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let record = scr::Record::decode(&issued[0]).unwrap();
    assert_eq!(record.community_key(), new_key);
    assert_eq!(post(there, duel_there[0].clone()).await.0, 201);
}
