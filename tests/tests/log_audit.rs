//! A wallet holding its community to the transparency log, with the real `ic-server` and `ic`:
//! `ic refresh` proves the player's records in the signed log and accepts each new checkpoint
//! only if it extends the last; `ic audit` re-checks that offline. When the community rewrites
//! its past (here: a record slipped in before the others and the log rebuilt), the next refresh
//! says so loudly and fails, the evidence stays in the wallet, and `ic audit` fails naming it.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

use std::time::{Duration, Instant};

use ic_e2e::community::Server;
use ic_e2e::player::Player;
use ic_e2e::text;
use sqlx::Connection;

const SLUG: &str = "log-clan";

/// Waits until the community's newest checkpoint covers at least `size` leaves.
async fn checkpoint_covers(server: &Server, size: u64) {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let response = server
            .http
            .get(format!("{}/v1/transparency/checkpoint", server.url()))
            .send()
            .await
            .unwrap();
        if response.status().is_success() {
            let note = response.text().await.unwrap();
            let covered: u64 = note.lines().nth(1).unwrap().parse().unwrap();
            if covered >= size {
                return;
            }
        }
        assert!(Instant::now() < deadline, "no checkpoint of {size} leaves");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wallet_proves_its_records_and_catches_a_rewritten_log() {
    let mut server = Server::with_config("Log Clan", "[transparency]\ncheckpoint_secs = 1\n");
    server.start().await;
    let player = Player::new(None);
    player.ok(&["join", &server.url()]);
    checkpoint_covers(&server, 1).await;
    let refresh = text(&player.ok(&["refresh", "--reissue", "never"]));
    assert!(
        refresh.contains("transparency log of 1 leaves: 1 record(s) proved"),
        "{refresh}"
    );

    // The log grows; the next refresh accepts the larger checkpoint through a consistency proof.
    let rival = Player::new(None);
    rival.ok(&["join", &server.url()]);
    checkpoint_covers(&server, 2).await;
    let refresh = text(&player.ok(&["refresh", "--reissue", "never"]));
    assert!(
        refresh.contains("transparency log of 2 leaves: 0 record(s) proved"),
        "{refresh}"
    );
    let audit = player.ok(&["audit", SLUG]);
    let audit = text(&audit);
    assert!(
        audit.contains("2 checkpoint(s), newest of 2 leaves"),
        "{audit}"
    );
    assert!(audit.contains("1 of 1 record(s) proved"), "{audit}");
    assert!(audit.contains("audit passed"), "{audit}");

    // The community rewrites its past: a record slipped in before the others, the log rebuilt
    // from scratch, a new checkpoint signed with its real key.
    server.stop();
    let database = server.dir.path().join("ic-server.db");
    let mut sqlite = sqlx::SqliteConnection::connect(&format!("sqlite://{}", database.display()))
        .await
        .unwrap();
    sqlx::raw_sql(
        "INSERT INTO issued_records (player_key, sequence, record_type, record, match_id, \
         issued_at) VALUES (zeroblob(32), 1, 1, X'0102', NULL, 0); \
         DELETE FROM transparency_hashes; DELETE FROM transparency_leaves; \
         DELETE FROM transparency_checkpoint; \
         UPDATE transparency_tree SET size = 0, frontier = X'', backfilled = 0;",
    )
    .execute(&mut sqlite)
    .await
    .unwrap();
    sqlite.close().await.unwrap();
    server.start().await;
    checkpoint_covers(&server, 3).await;

    let refresh = player.run(&["refresh", "--reissue", "never"]);
    assert!(!refresh.status.success(), "{}", text(&refresh));
    let stderr = String::from_utf8_lossy(&refresh.stderr);
    assert!(
        stderr.contains("WARNING: THE COMMUNITY'S TRANSPARENCY LOG CONTRADICTS ITSELF")
            && stderr.contains("inconsistent_checkpoint"),
        "{stderr}"
    );
    let audit = player.run(&["audit", SLUG]);
    assert!(!audit.status.success(), "{}", text(&audit));
    let stderr = String::from_utf8_lossy(&audit.stderr);
    assert!(
        stderr.contains("inconsistent_checkpoint") && stderr.contains("AUDIT FAILED"),
        "{stderr}"
    );
    // The records and proofs held before are still there, and still verify.
    assert!(
        text(&audit).contains("1 of 1 record(s) proved"),
        "{}",
        text(&audit)
    );
}
