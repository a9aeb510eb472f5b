//! Many ingests at once over overlapping players: no sequence reused, no update lost.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

mod common;

use common::*;

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

    // Per player: sequences strictly increasing without gaps, every match record starts from
    // the rating the previous one ended at (no lost update), and replaying the matches one by
    // one in an order consistent with every player's commit order gives the same ratings.
    ledger::assert_replay_gives_the_same_ratings(&server, &players, &matches).await;
}

crate::on_each_backend!(fifty_concurrent_ingests_keep_sequences_and_ratings_consistent,);
