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

/// Waits until the community's checkpoint covers `size` leaves and carries a cosignature by
/// the witness named `witness`.
async fn cosigned_covering(server: &Server, size: u64, witness: &str) {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        checkpoint_covers(server, size).await;
        let note = server
            .http
            .get(format!("{}/v1/transparency/checkpoint", server.url()))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        if note.contains(&format!("\u{2014} {witness} ")) {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "no cosignature by {witness}: {note}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wallet_accepts_only_checkpoints_its_trusted_witnesses_cosigned() {
    // Bravo witnesses Alpha's log; Alpha asks Bravo for a cosignature of each checkpoint.
    let mut alpha = Server::new("Log Clan");
    let mut bravo = Server::new("Witness Guild");
    let alpha_key = alpha.signing_key().public_key();
    let origin = format!("ic-community/{}", hex::encode(&alpha_key.as_bytes()[..16]));
    std::fs::write(
        bravo.dir.path().join("ic-server.toml"),
        format!(
            "[transparency]\nwitness_for = [{{ origin = \"{origin}\", key = \"{alpha_key}\", \
             url = \"{}\" }}]\n",
            alpha.url()
        ),
    )
    .unwrap();
    bravo.start().await;
    let witness_key =
        |document: serde_json::Value| document["witness_key"].as_str().unwrap().to_owned();
    let bravo_witness = witness_key(bravo.document().await);
    std::fs::write(
        alpha.dir.path().join("ic-server.toml"),
        format!(
            "[transparency]\ncheckpoint_secs = 1\nwitnesses = [{{ vkey = \"{bravo_witness}\", \
             url = \"{}/v1/transparency/witness\" }}]\n",
            bravo.url()
        ),
    )
    .unwrap();
    alpha.start().await;
    let bravo_name = bravo_witness.split('+').next().unwrap().to_owned();

    // The player trusts Bravo as a witness of Alpha and requires its cosignature.
    let player = Player::new(None);
    player.ok(&["join", &alpha.url()]);
    let trusted = text(&player.ok(&["witnesses", SLUG, "trust", &bravo_witness]));
    assert!(
        trusted.contains(&format!("now trusting {bravo_name}")),
        "{trusted}"
    );
    let rule = text(&player.ok(&["witnesses", SLUG, "require", "1"]));
    assert!(
        rule.contains("checkpoints need 1 cosignature(s) from 1 trusted witness(es)"),
        "{rule}"
    );
    cosigned_covering(&alpha, 1, &bravo_name).await;
    let refresh = text(&player.ok(&["refresh", "--reissue", "never"]));
    assert!(
        refresh.contains("transparency log of 1 leaves: 1 record(s) proved"),
        "{refresh}"
    );

    // Two cosignatures required, but only Bravo witnesses Alpha: the grown checkpoint waits,
    // the refresh says why, and nothing is held against the community.
    let alpha_witness = witness_key(alpha.document().await);
    player.ok(&["witnesses", SLUG, "trust", &alpha_witness]);
    player.ok(&["witnesses", SLUG, "require", "2"]);
    Player::new(None).ok(&["join", &alpha.url()]);
    cosigned_covering(&alpha, 2, &bravo_name).await;
    let refresh = text(&player.ok(&["refresh", "--reissue", "never"]));
    assert!(
        refresh.contains("the checkpoint of 2 leaves is not accepted yet: it carries 1 of the 2"),
        "{refresh}"
    );
    assert!(
        refresh.contains("transparency log of 1 leaves"),
        "{refresh}"
    );
    let audit = text(&player.ok(&["audit", SLUG]));
    assert!(audit.contains("audit passed"), "{audit}");

    // The rule as the player sees it, and forgetting a witness: with two required and one
    // trusted, no new checkpoint can be accepted, and the command warns.
    let alpha_name = alpha_witness.split('+').next().unwrap().to_owned();
    let shown = text(&player.ok(&["witnesses", SLUG]));
    for vkey in [&bravo_witness, &alpha_witness] {
        assert!(
            shown.contains(&format!("trusted witness {vkey}")),
            "{shown}"
        );
    }
    let forgotten = player.ok(&["witnesses", SLUG, "forget", &alpha_witness]);
    let forgotten_text = text(&forgotten);
    assert!(
        forgotten_text.contains(&format!("no longer trusting {alpha_name}")),
        "{forgotten_text}"
    );
    assert!(!forgotten_text.contains(&format!("trusted witness {alpha_witness}")));
    assert!(
        String::from_utf8_lossy(&forgotten.stderr)
            .contains("more cosignatures required than witnesses trusted"),
        "{forgotten_text}"
    );
    let again = text(&player.ok(&["witnesses", SLUG, "forget", &alpha_witness]));
    assert!(
        again.contains(&format!("{alpha_name} was not trusted")),
        "{again}"
    );
    let refused = player.run(&["witnesses", SLUG, "trust", "not-a-key"]);
    assert!(!refused.status.success(), "{}", text(&refused));
}
