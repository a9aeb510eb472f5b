//! `ic-server backup FILE` while the server runs, on each backend, and the restore its output
//! describes: a server started from the backup answers as the original did at that moment.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

mod common;

use common::*;
use serde_json::Value;

/// What players and visitors see: each player's records and the leaderboard.
async fn answers(server: &Server, players: &[scr::KeyPair]) -> Vec<Value> {
    let mut seen = Vec::new();
    for key in players {
        let token = server.login(key).await;
        let (status, body) = server
            .get("/v1/players/me/records?since=0", Some(&token))
            .await;
        assert_eq!(status, 200, "{body}");
        seen.push(body);
    }
    let (status, board) = server.get("/v1/leaderboard?module=ra", None).await;
    assert_eq!(status, 200, "{board}");
    seen.push(board);
    seen
}

async fn a_backup_taken_while_serving_restores_to_the_same_answers(backend: Backend) {
    let storage = backend.storage();
    let dir = tempfile::tempdir().unwrap();
    let config = format!("{TEST_LIMITS}{storage}");
    let server = Server::start(dir.path(), &config);
    let players: Vec<_> = (0..4u8).map(|i| player(60 + i)).collect();
    for key in &players {
        server.register(key).await;
    }
    let (relay, community) = (server.relay_key(), server.community_key().await);
    for (game, pair) in players.chunks(2).enumerate() {
        let cmr = duel(&relay, community, &pair[0], &pair[1], game as u64);
        assert_eq!(server.post_bytes("/v1/matches", cmr).await.0, 201);
    }
    let before = answers(&server, &players).await;

    let file = dir.path().join("backup.bin");
    let (code, out, err) = cli(dir.path(), &["backup", file.to_str().unwrap()]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("to restore"), "{out}");
    // A later write is not in the backup; an existing file is never overwritten.
    server.register(&player(70)).await;
    let (code, _, err) = cli(dir.path(), &["backup", file.to_str().unwrap()]);
    assert_eq!(code, 1);
    assert!(err.contains("exists already"), "{err}");

    // Restore into a new home for the community, as the printed hint says.
    let restored_dir = tempfile::tempdir().unwrap();
    let restored_config = match backend {
        Backend::Sqlite => {
            init_sharing_keys(dir.path(), restored_dir.path(), TEST_LIMITS);
            std::fs::copy(&file, restored_dir.path().join("ic-server.db")).unwrap();
            TEST_LIMITS.to_owned()
        }
        Backend::Postgres => {
            let target = test_postgres::fresh_database();
            let out = std::process::Command::new(ic_server::store::backup::pg_tool("pg_restore"))
                .args(["--no-owner", "--dbname", &target])
                .arg(&file)
                .output()
                .unwrap();
            assert!(
                out.status.success(),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
            let config = format!("{TEST_LIMITS}\n[storage]\nurl = \"{target}\"\n");
            init_sharing_keys(dir.path(), restored_dir.path(), &config);
            config
        }
    };
    let restored = Server::start(restored_dir.path(), &restored_config);
    assert_eq!(answers(&restored, &players).await, before);
    let token = restored.login(&player(70)).await;
    let (status, body) = restored
        .get("/v1/players/me/records?since=0", Some(&token))
        .await;
    assert_eq!(status, 404, "{body}");
}

crate::on_each_backend!(a_backup_taken_while_serving_restores_to_the_same_answers);
