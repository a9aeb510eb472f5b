//! Matchmaking shared by several `ic-server` processes on one PostgreSQL database: players
//! queue through any process and hear their events there; one process runs the passes, and
//! when it dies (or hangs) another takes over with the waiting players, none matched twice.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use base64::Engine;
use common::*;
use scr::KeyPair;
use scr::payload::Payload;
use serde_json::{Value, json};

/// Passes run every 50-200 ms in a process that leads with this.
const FAST_PASSES: &str = "pass_interval_min_ms = 50\npass_interval_max_ms = 200\n";
/// Passes a minute apart: players wait in a process that leads with this.
const SLOW_PASSES: &str = "pass_interval_min_ms = 60000\npass_interval_max_ms = 60000\n";

/// A process's configuration on the shared `storage` (each `Backend::storage` is a new database).
fn config(passes: &str, storage: &str) -> String {
    format!("{TEST_LIMITS}[matchmaking]\n{passes}leader_failover_secs = 3\n{storage}")
}

/// Whether `server` says it leads the queue.
async fn leads(server: &Server) -> bool {
    server.metric("ic_matchmaking_leader").await == 1.0
}

/// Waits until exactly one of `servers` leads; returns its index and how long it took.
async fn one_leader(servers: &[&Server], within: Duration) -> (usize, Duration) {
    let started = Instant::now();
    loop {
        let mut leading = Vec::new();
        for (i, server) in servers.iter().enumerate() {
            if leads(server).await {
                leading.push(i);
            }
        }
        if leading.len() == 1 {
            return (leading[0], started.elapsed());
        }
        assert!(
            started.elapsed() < within,
            "no single leader within {within:?} (leading: {leading:?})"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// A player logged in at one process.
struct Player {
    key: KeyPair,
    at: usize,
    token: String,
}

/// The player's initial rating record, as registration issued it.
fn rating_record(records: &[Vec<u8>]) -> Vec<u8> {
    records
        .iter()
        .find(|bytes| {
            matches!(
                scr::Record::decode(bytes).unwrap().payload(),
                Payload::Rating(_)
            )
        })
        .expect("registration issues a rating record")
        .clone()
}

/// Registers `count` players and queues each for ranked 1v1 through `servers[at(i)]`.
async fn queue_players(servers: &[&Server], count: u8, at: impl Fn(usize) -> usize) -> Vec<Player> {
    let mut players = Vec::new();
    for i in 0..count {
        let key = player(40 + i);
        let at = at(usize::from(i));
        let server = servers[at];
        let record = rating_record(&server.register(&key).await);
        let token = server.login(&key).await;
        let body = json!({ "mode": "ranked_1v1", "record": B64.encode(record) });
        let (status, answer) = server.post_json("/v1/queue", &body, Some(&token)).await;
        assert_eq!(status, 202, "{answer}");
        players.push(Player { key, at, token });
    }
    players
}

/// What `GET /v1/queue` says of the player at its own process.
async fn standing(servers: &[&Server], player: &Player) -> Vec<Value> {
    let (status, body) = servers[player.at]
        .get("/v1/queue", Some(&player.token))
        .await;
    assert_eq!(status, 200, "{body}");
    body["events"].as_array().unwrap().clone()
}

/// Accepts each player's found match at its own process and returns each player's
/// `match_ready` event, waiting up to `within`.
async fn play_through(servers: &[&Server], players: &[Player], within: Duration) -> Vec<Value> {
    let deadline = Instant::now() + within;
    let mut ready: Vec<Option<Value>> = vec![None; players.len()];
    let mut accepted: BTreeSet<(usize, u64)> = BTreeSet::new();
    while ready.iter().any(Option::is_none) {
        assert!(
            Instant::now() < deadline,
            "not everyone was matched: {ready:?}"
        );
        for (i, player) in players.iter().enumerate() {
            for event in standing(servers, player).await {
                match event["event"].as_str().unwrap() {
                    "match_found" => {
                        let id = event["match_id"].as_u64().unwrap();
                        if accepted.insert((i, id)) {
                            let path = format!("/v1/queue/matches/{id}/accept");
                            let (status, body) = servers[player.at]
                                .post_json(&path, &json!({}), Some(&player.token))
                                .await;
                            assert_eq!(status, 200, "{body}");
                        }
                    }
                    "match_ready" => ready[i] = Some(event),
                    _ => {}
                }
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    ready.into_iter().map(Option::unwrap).collect()
}

/// Every player in exactly one match of two, with a ticket of its own.
fn assert_each_in_one_match(ready: &[Value], players: &[Player]) {
    let mut by_match: BTreeMap<u64, Vec<usize>> = BTreeMap::new();
    for (i, event) in ready.iter().enumerate() {
        by_match
            .entry(event["match_id"].as_u64().unwrap())
            .or_default()
            .push(i);
        let ticket = B64.decode(event["ticket"].as_str().unwrap()).unwrap();
        let (terms, _) = relay_core::ticket::MatchTicket::decode_unverified(&ticket).unwrap();
        assert_eq!(terms.player_key, players[i].key.public_key().into());
    }
    assert_eq!(by_match.len(), players.len() / 2, "{by_match:?}");
    assert!(
        by_match.values().all(|seated| seated.len() == 2),
        "{by_match:?}"
    );
}

/// Reads the server-sent events of a stream until one named `name` arrives.
async fn stream_until(response: &mut reqwest::Response, name: &str, within: Duration) -> Value {
    let deadline = Instant::now() + within;
    let mut buffer = String::new();
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        let chunk = tokio::time::timeout(left, response.chunk())
            .await
            .unwrap_or_else(|_| panic!("no {name} event on the stream within {within:?}"))
            .unwrap()
            .expect("the stream ended");
        buffer.push_str(&String::from_utf8_lossy(&chunk));
        while let Some(end) = buffer.find("\n\n") {
            let block: String = buffer.drain(..end + 2).collect();
            if let Some(data) = block.lines().find_map(|l| l.strip_prefix("data:")) {
                let event: Value = serde_json::from_str(data.trim()).unwrap();
                if event["event"] == name {
                    return event;
                }
            }
        }
    }
}

/// Three processes; the first leads with passes a minute apart, so the players it holds wait.
struct Community {
    servers: Vec<Server>,
    _dirs: Vec<tempfile::TempDir>,
}

impl Community {
    async fn start() -> Self {
        let dirs: Vec<tempfile::TempDir> = (0..3).map(|_| tempfile::tempdir().unwrap()).collect();
        let storage = Backend::Postgres.storage();
        Server::init(dirs[0].path(), &config(SLOW_PASSES, &storage));
        for dir in &dirs[1..] {
            init_sharing_keys(dirs[0].path(), dir.path(), &config(FAST_PASSES, &storage));
        }
        let first = Server::spawn(dirs[0].path());
        one_leader(&[&first], Duration::from_secs(10)).await;
        let mut servers = vec![first];
        servers.extend(dirs[1..].iter().map(|dir| Server::spawn(dir.path())));
        Self {
            servers,
            _dirs: dirs,
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_killed_leader_is_replaced_and_its_waiting_players_are_matched_once() {
    let mut community = Community::start().await;
    let servers: Vec<&Server> = community.servers.iter().collect();
    assert_eq!(one_leader(&servers, Duration::from_secs(5)).await.0, 0);

    // One player listens on its stream at a process that does not lead; all queue through
    // the two followers and wait, as the leader passes only once a minute.
    let players = queue_players(&servers, 4, |i| 1 + i % 2).await;
    let mut stream = servers[1]
        .http
        .get(format!("{}/v1/queue/events", servers[1].url))
        .bearer_auth(&players[0].token)
        .send()
        .await
        .unwrap();
    assert_eq!(stream.status().as_u16(), 200);
    let queued = stream_until(&mut stream, "queued", Duration::from_secs(5)).await;
    assert_eq!(queued["queue"], "ra/ranked_1v1", "{queued}");
    for player in &players {
        let events = standing(&servers, player).await;
        assert_eq!(events.len(), 1, "{events:?}");
        assert_eq!(events[0]["event"], "queued", "{events:?}");
    }

    // The leader dies. Another process leads within leader_failover_secs (a dead process's
    // session ends at once, so in practice within a second or two).
    community.servers[0].kill();
    let survivors: Vec<&Server> = community.servers[1..].iter().collect();
    let (_, took) = one_leader(&survivors, Duration::from_secs(3)).await;
    eprintln!("a new leader after {took:?}");

    // The new leader has the waiting players: each is matched once, hears of it where it
    // queued (the stream at a follower too), and gets a ticket.
    let found = stream_until(&mut stream, "match_found", Duration::from_secs(10)).await;
    let all: Vec<&Server> = community.servers.iter().collect();
    let ready = play_through(&all, &players, Duration::from_secs(15)).await;
    assert_eq!(found["match_id"], ready[0]["match_id"]);
    assert_each_in_one_match(&ready, &players);

    // Nobody is offered a second match later.
    tokio::time::sleep(Duration::from_secs(1)).await;
    for (player, ready) in players.iter().zip(&ready) {
        assert_eq!(standing(&all, player).await, vec![ready.clone()]);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_hung_leader_is_cut_off_after_the_failover_time_and_cannot_write_when_it_wakes() {
    let community = Community::start().await;
    let servers: Vec<&Server> = community.servers.iter().collect();
    let players = queue_players(&servers, 2, |i| 1 + i % 2).await;

    // The leader stops answering (SIGSTOP): its session stays open, so only its missing
    // heartbeats tell; after leader_failover_secs (3 s) another process cuts it off.
    let pid = community.servers[0].child.id().to_string();
    let signal = |name: &str| {
        assert!(
            std::process::Command::new("kill")
                .args([name, &pid])
                .status()
                .unwrap()
                .success()
        );
    };
    signal("-STOP");
    let started = Instant::now();
    let survivors: Vec<&Server> = community.servers[1..].iter().collect();
    one_leader(&survivors, Duration::from_secs(10)).await;
    let took = started.elapsed();
    assert!(
        took >= Duration::from_secs(2),
        "taken over after only {took:?}"
    );

    let shifted: Vec<Player> = players
        .into_iter()
        .map(|p| Player { at: p.at - 1, ..p })
        .collect();
    let ready = play_through(&survivors, &shifted, Duration::from_secs(15)).await;
    assert_each_in_one_match(&ready, &shifted);

    // Woken, the old leader finds it no longer leads (its session was ended): it neither
    // claims the lead nor matches anyone again.
    signal("-CONT");
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert!(!leads(&community.servers[0]).await);
    assert_ne!(one_leader(&servers, Duration::from_secs(1)).await.0, 0);
    for (player, ready) in shifted.iter().zip(&ready) {
        assert_eq!(standing(&survivors, player).await, vec![ready.clone()]);
    }
}
