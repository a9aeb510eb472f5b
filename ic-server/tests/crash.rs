//! Crash safety: SIGKILL during a stream of ingests loses no acknowledged result and applies
//! none twice, and leaves no record without its transparency-log leaf nor a leaf without its
//! record.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

mod common;

use common::ledger::{applied_matches, assert_log_holds_exactly, match_id};
use common::submit::{Streams, round_robin_duels};
use common::*;

async fn sigkill_mid_stream_loses_nothing_acknowledged(backend: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let mut server = Server::start(
        dir.path(),
        &format!(
            "{TEST_LIMITS}{}\n[transparency]\ncheckpoint_secs = 1\n",
            backend.storage()
        ),
    );
    let players: Vec<_> = (0..6u32).map(player_from).collect();
    for p in &players {
        server.register(p).await;
    }
    let community = server.community_key().await;
    let relay = server.relay_key();
    let matches = round_robin_duels(&relay, community, &players, 400);

    // Submit from 4 concurrent streams; kill the server once a good number of results were
    // acknowledged, whatever the machine's speed.
    let streams = Streams::start(&[&server], &matches, 4);
    streams.until_acknowledged(40).await;
    server.kill();
    let acknowledged = streams.finish().await;
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
    // The kill fell inside issuing transactions: the log holds exactly what was issued.
    assert_log_holds_exactly(&server, &players).await;
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
    assert_log_holds_exactly(&server, &players).await;
}

crate::on_each_backend!(sigkill_mid_stream_loses_nothing_acknowledged,);
