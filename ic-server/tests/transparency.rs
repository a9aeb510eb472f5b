//! The transparency log on the real binary: every record a player is given is a leaf of the
//! log; the served checkpoint is a signed note that verifies with the community's key under the
//! origin its document names; inclusion and consistency proofs from the API verify against the
//! checkpoints; a key rotation is itself a leaf, and later checkpoints are signed with the new
//! key under the same origin; bad requests get typed 4xx answers.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

mod common;

use std::time::{Duration, Instant};

use base64::Engine;
use common::log::await_checkpoint;
use common::*;
use scr::CommunityKey;
use serde_json::Value;
use transparency::{Checkpoint, Hash, leaf_hash, verify_consistency, verify_inclusion};

/// The served checkpoint once it covers at least `size` leaves, verified with `key` under the
/// document's origin.
async fn checkpoint_covering(server: &Server, size: u64, key: &CommunityKey) -> Checkpoint {
    let origin = server.document().await["transparency_origin"]
        .as_str()
        .unwrap()
        .to_owned();
    // A smaller checkpoint may still carry the previous key's signature: a rotation is itself
    // a leaf, and the process may sign it before it switches keys (the old key stays valid
    // through its grace). The one awaited must verify with `key`.
    let (note, checkpoint) =
        await_checkpoint(server, &format!("of {size} leaves"), |_, checkpoint| {
            assert_eq!(checkpoint.origin, origin);
            checkpoint.size >= size
        })
        .await;
    note.verify(&origin, &key.public_key())
        .unwrap_or_else(|e| panic!("{e}: {}", note.to_text()));
    checkpoint
}

fn hashes(body: &Value) -> Vec<Hash> {
    body["hashes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|hash| {
            B64.decode(hash.as_str().unwrap())
                .unwrap()
                .try_into()
                .unwrap()
        })
        .collect()
}

/// Proves `record` in `checkpoint` through the API; returns its leaf index.
async fn proved_in(server: &Server, record: &[u8], checkpoint: &Checkpoint) -> u64 {
    let leaf = leaf_hash(record);
    let (status, body) = server
        .get(
            &format!(
                "/v1/transparency/inclusion?hash={}&tree_size={}",
                hex::encode(leaf),
                checkpoint.size
            ),
            None,
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["tree_size"], checkpoint.size);
    let index = body["leaf_index"].as_u64().unwrap();
    verify_inclusion(
        &hashes(&body),
        checkpoint.size,
        &checkpoint.root,
        index,
        &leaf,
    )
    .unwrap();
    index
}

async fn every_record_is_logged_and_proved_against_signed_checkpoints(backend: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let storage = match backend.storage() {
        sqlite if sqlite.is_empty() => "[storage]\n".to_owned(),
        postgres => postgres,
    };
    let config = format!(
        "{TEST_LIMITS}[transparency]\ncheckpoint_secs = 1\n{storage}key_refresh_secs = 1\n"
    );
    let server = Server::start(dir.path(), &config);
    let first_key = server.community_key().await;
    let origin = server.document().await["transparency_origin"].clone();
    let mut records = Vec::new();
    for seed in 1..=3 {
        records.extend(server.register(&player(seed)).await);
    }
    let first = checkpoint_covering(&server, 3, &first_key).await;
    assert_eq!(first.size, 3, "one leaf per issued record");
    let mut indexes: Vec<u64> = Vec::new();
    for record in &records {
        indexes.push(proved_in(&server, record, &first).await);
    }
    indexes.sort_unstable();
    assert_eq!(indexes, [0, 1, 2]);

    // A rotation is a leaf too; later checkpoints carry the new key's signature, same origin.
    let (code, out, err) = cli(dir.path(), &["keys", "rotate"]);
    assert_eq!(code, 0, "{out}{err}");
    let deadline = Instant::now() + Duration::from_secs(15);
    let new_key = loop {
        let key = server.community_key().await;
        if key != first_key {
            break key;
        }
        assert!(Instant::now() < deadline, "the server kept the old key");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(server.document().await["transparency_origin"], origin);
    let after = server.register(&player(4)).await;
    let second = checkpoint_covering(&server, 5, &new_key).await;
    assert_eq!(second.size, 5);
    let rotation = &records_in(&server.document().await["rotations"])[0];
    proved_in(&server, rotation, &second).await;
    proved_in(&server, &after[0], &second).await;
    for record in &records {
        proved_in(&server, record, &second).await;
    }
    let (status, body) = server
        .get(
            &format!(
                "/v1/transparency/consistency?first={}&second={}",
                first.size, second.size
            ),
            None,
        )
        .await;
    assert_eq!(status, 200, "{body}");
    verify_consistency(
        &hashes(&body),
        second.size,
        &second.root,
        first.size,
        &first.root,
    )
    .unwrap();

    // Requests the log cannot answer.
    let unknown = hex::encode(leaf_hash(b"never issued"));
    for (path, status, code) in [
        (
            "/v1/transparency/inclusion?hash=zz&tree_size=1".to_owned(),
            400,
            "invalid_query",
        ),
        (
            "/v1/transparency/inclusion?hash=00&tree_size=1".to_owned(),
            400,
            "invalid_query",
        ),
        (
            format!("/v1/transparency/inclusion?hash={unknown}&tree_size=5"),
            404,
            "unknown_leaf",
        ),
        (
            format!(
                "/v1/transparency/inclusion?hash={}&tree_size=6",
                hex::encode(leaf_hash(&records[0]))
            ),
            400,
            "tree_size_out_of_range",
        ),
        (
            format!(
                "/v1/transparency/inclusion?hash={}&tree_size=0",
                hex::encode(leaf_hash(&after[0]))
            ),
            400,
            "tree_size_out_of_range",
        ),
        (
            "/v1/transparency/inclusion?tree_size=1".to_owned(),
            400,
            "invalid_query",
        ),
        (
            "/v1/transparency/consistency?first=0&second=3".to_owned(),
            400,
            "tree_size_out_of_range",
        ),
        (
            "/v1/transparency/consistency?first=4&second=3".to_owned(),
            400,
            "tree_size_out_of_range",
        ),
        (
            format!("/v1/transparency/consistency?first=1&second={}", u64::MAX),
            400,
            "tree_size_out_of_range",
        ),
        (
            "/v1/transparency/consistency?first=-1&second=3".to_owned(),
            400,
            "invalid_query",
        ),
    ] {
        let (got, body) = server.get(&path, None).await;
        assert_eq!(
            (got, body["error"].as_str()),
            (status, Some(code)),
            "{path}: {body}"
        );
    }
}

fn records_in(list: &Value) -> Vec<Vec<u8>> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|item| B64.decode(item.as_str().unwrap()).unwrap())
        .collect()
}

on_each_backend!(every_record_is_logged_and_proved_against_signed_checkpoints);
