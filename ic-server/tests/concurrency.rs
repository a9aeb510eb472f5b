//! Many ingests at once over overlapping players: no sequence reused, no update lost.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

mod common;

use std::collections::{BTreeMap, BTreeSet};

use common::*;
use scr::{PlayerKey, Record};

async fn fifty_concurrent_ingests_keep_sequences_and_ratings_consistent(backend: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path(), &format!("{TEST_LIMITS}{}", backend.storage()));
    let players: Vec<_> = (0..8u32).map(player_from).collect();
    for p in &players {
        server.register(p).await;
    }
    let community = server.community_key().await;
    let relay = server.relay_key();
    // 50 duels among 8 players: every player is in about 12 of them.
    let matches: Vec<Vec<u8>> = (0..50u64)
        .map(|i| {
            let a = (i % 8) as usize;
            let b = ((i * 3 + 1) % 8) as usize;
            let b = if a == b { (b + 1) % 8 } else { b };
            duel(&relay, community, &players[a], &players[b], i)
        })
        .collect();
    let mut tasks = Vec::new();
    for cmr in matches.clone() {
        let http = server.http.clone();
        let url = format!("{}/v1/matches", server.url);
        tasks.push(tokio::spawn(async move {
            let response = http
                .post(url)
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

    // Per player: sequences strictly increasing without gaps, and every match record starts
    // from the rating the previous one ended at (no lost update).
    let mut order: BTreeMap<PlayerKey, Vec<[u8; 32]>> = BTreeMap::new();
    for p in &players {
        let token = server.login(p).await;
        let (_, body) = server.get("/v1/players/me/records", Some(&token)).await;
        let records: Vec<Record> = records(&body["records"])
            .iter()
            .map(|r| Record::decode(r).unwrap())
            .collect();
        let sequences: Vec<u64> = records.iter().map(Record::sequence).collect();
        let expected: Vec<u64> = (1..=sequences.len() as u64).collect();
        assert_eq!(sequences, expected, "sequences of one player");
        let mut rating = 1_500_000;
        for record in &records {
            if let scr::Payload::Match(m) = record.payload() {
                assert_eq!(
                    m.rating_before, rating,
                    "update built on the previous rating"
                );
                rating = m.rating_after;
                order
                    .entry(record.player_key())
                    .or_default()
                    .push(m.match_id);
            }
        }
    }

    // Replaying the matches one by one in an order consistent with every player's commit order
    // on a fresh server gives the same final ratings.
    let by_id: BTreeMap<[u8; 32], Vec<u8>> = matches
        .iter()
        .map(|m| {
            let id: [u8; 32] = <sha2::Sha256 as sha2::Digest>::digest(m).into();
            (id, m.clone())
        })
        .collect();
    let sequence = topological(&order);
    assert_eq!(sequence.len(), 50);

    let replay_dir = tempfile::tempdir().unwrap();
    // Same keys, so the same relay and community sign: copy the initialized directory's keys.
    cli(replay_dir.path(), &["init"]);
    for file in ["keys/signing.key", "keys/relay.key", "keys/recovery.pub"] {
        std::fs::copy(dir.path().join(file), replay_dir.path().join(file)).unwrap();
    }
    let replay_config = format!("{TEST_LIMITS}{}", backend.storage());
    std::fs::write(replay_dir.path().join("ic-server.toml"), replay_config).unwrap();
    let replay = Server::spawn(replay_dir.path());
    for p in &players {
        replay.register(p).await;
    }
    for id in &sequence {
        let (status, body) = replay.post_bytes("/v1/matches", by_id[id].clone()).await;
        assert_eq!(status, 201, "{body}");
    }
    for p in &players {
        assert_eq!(
            final_rating(&server, p).await,
            final_rating(&replay, p).await
        );
    }
}

/// A global order of matches consistent with each player's order.
fn topological(order: &BTreeMap<PlayerKey, Vec<[u8; 32]>>) -> Vec<[u8; 32]> {
    let mut after: BTreeMap<[u8; 32], BTreeSet<[u8; 32]>> = BTreeMap::new();
    for list in order.values() {
        for pair in list.windows(2) {
            after.entry(pair[1]).or_default().insert(pair[0]);
        }
        for id in list {
            after.entry(*id).or_default();
        }
    }
    let mut done: Vec<[u8; 32]> = Vec::new();
    while done.len() < after.len() {
        let next = after
            .iter()
            .find(|(id, before)| !done.contains(id) && before.iter().all(|b| done.contains(b)))
            .map(|(id, _)| *id)
            .expect("per-player orders are consistent");
        done.push(next);
    }
    done
}

async fn final_rating(server: &Server, player: &scr::KeyPair) -> (i64, i64, i64) {
    let token = server.login(player).await;
    let (_, body) = server.get("/v1/players/me/records", Some(&token)).await;
    records(&body["records"])
        .iter()
        .map(|r| Record::decode(r).unwrap())
        .filter_map(|r| match r.payload() {
            scr::Payload::Rating(rating) => {
                Some((rating.rating, rating.deviation, rating.volatility))
            }
            _ => None,
        })
        .next_back()
        .unwrap()
}

crate::on_each_backend!(fifty_concurrent_ingests_keep_sequences_and_ratings_consistent,);
