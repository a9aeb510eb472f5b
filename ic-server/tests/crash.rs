//! Crash safety: SIGKILL during a stream of ingests loses no acknowledged result and applies
//! none twice.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

mod common;

use std::collections::BTreeSet;

use common::ledger::{applied_matches, match_id};
use common::*;

async fn sigkill_mid_stream_loses_nothing_acknowledged(backend: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let mut server = Server::start(dir.path(), &format!("{TEST_LIMITS}{}", backend.storage()));
    let players: Vec<_> = (0..6u32).map(player_from).collect();
    for p in &players {
        server.register(p).await;
    }
    let community = server.community_key().await;
    let relay = server.relay_key();
    let matches: Vec<Vec<u8>> = (0..400u64)
        .map(|i| {
            let a = (i % 6) as usize;
            let b = ((i + 1 + i / 6) % 6) as usize;
            let b = if a == b { (b + 1) % 6 } else { b };
            duel(&relay, community, &players[a], &players[b], i)
        })
        .collect();

    // Submit from 4 concurrent streams; kill the server after a while.
    let acknowledged = std::sync::Arc::new(std::sync::Mutex::new(BTreeSet::new()));
    let mut streams = Vec::new();
    for lane in 0..4usize {
        let mine: Vec<(usize, Vec<u8>)> = matches
            .iter()
            .cloned()
            .enumerate()
            .filter(|(i, _)| i % 4 == lane)
            .collect();
        let http = server.http.clone();
        let url = format!("{}/v1/matches", server.url);
        let acknowledged = acknowledged.clone();
        streams.push(tokio::spawn(async move {
            for (index, cmr) in mine {
                let sent = http
                    .post(&url)
                    .header("content-type", "application/octet-stream")
                    .body(cmr)
                    .send()
                    .await;
                match sent {
                    Ok(response) if response.status().as_u16() == 201 => {
                        if response.text().await.is_ok() {
                            acknowledged.lock().unwrap().insert(index);
                        }
                    }
                    _ => break,
                }
            }
        }));
    }
    // Kill once a good number of results were acknowledged, whatever the machine's speed.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while acknowledged.lock().unwrap().len() < 40 && std::time::Instant::now() < deadline {
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    server.kill();
    for stream in streams {
        stream.await.unwrap();
    }
    let acknowledged = acknowledged.lock().unwrap().clone();
    assert!(
        !acknowledged.is_empty(),
        "some results were acknowledged before the kill"
    );
    assert!(
        acknowledged.len() < matches.len(),
        "the kill interrupted the stream"
    );

    // Restart: every acknowledged result is applied, each exactly once.
    let server = Server::spawn(dir.path());
    let applied = applied_matches(&server, &players).await;
    for index in &acknowledged {
        let id = match_id(&matches[*index]);
        assert!(applied.contains(&id), "acknowledged match {index} lost");
    }
    // Resubmitting everything: acknowledged ones are duplicates (200), the rest apply now.
    for (index, cmr) in matches.iter().enumerate() {
        let (status, body) = server.post_bytes("/v1/matches", cmr.clone()).await;
        let was_applied = applied.contains(&match_id(cmr));
        assert_eq!(
            status,
            if was_applied { 200 } else { 201 },
            "match {index}: {body}"
        );
    }
    // And once more: nothing changes.
    let before = applied_matches(&server, &players).await;
    for cmr in &matches {
        assert_eq!(server.post_bytes("/v1/matches", cmr.clone()).await.0, 200);
    }
    assert_eq!(applied_matches(&server, &players).await, before);
    assert_eq!(before.len(), matches.len());
}

crate::on_each_backend!(sigkill_mid_stream_loses_nothing_acknowledged,);
