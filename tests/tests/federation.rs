//! End to end: real `ic-server` processes on loopback, real `ic` processes for the player.
//! Two communities, one player in both; certified matches, rotations, revocation, an impostor,
//! a sync killed with SIGKILL, and recovery from the backup phrase (issue 6, "Show").

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::Write as _;
use std::process::Stdio;
use std::time::Duration;

use ic_client::present::Presentation;
use ic_e2e::community::Server;
use ic_e2e::player::Player;
use ic_e2e::{text, unix_now};
use scr::RecordBuilder;
use scr::payload::{Payload, RatingPayload};
use serde_json::{Value, json};

fn of_type(records: &[Value], record_type: &str) -> Vec<Value> {
    records
        .iter()
        .filter(|r| r["record"]["record_type"] == record_type)
        .cloned()
        .collect()
}

fn record_type_of(bytes: &[u8]) -> scr::RecordType {
    scr::Record::decode(bytes).unwrap().record_type()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_player_two_communities_records_verification_revocation_and_an_impostor() {
    let mut alpha = Server::new("Alpha League");
    let mut bravo = Server::new("Bravo Clan");
    alpha.start().await;
    bravo.start().await;
    let player = Player::new(Some("correct horse battery"));
    let rival = Player::new(None);

    // Join A with its fingerprint (given out of band), B on trust-on-first-use.
    let fingerprint = alpha.document().await["fingerprint"]
        .as_str()
        .unwrap()
        .to_owned();
    let wrong = bravo.document().await["fingerprint"]
        .as_str()
        .unwrap()
        .to_owned();
    let refused = player.run(&["join", &alpha.url(), "--fingerprint", &wrong]);
    assert!(!refused.status.success());
    assert!(
        String::from_utf8_lossy(&refused.stderr).contains("REFUSED"),
        "{}",
        text(&refused)
    );
    assert!(!player.wallet_file("alpha-league").exists());

    let joined = player.ok(&["join", &alpha.url(), "--fingerprint", &fingerprint]);
    assert!(!String::from_utf8_lossy(&joined.stderr).contains("trust on first use"));
    let joined = player.ok(&["join", &bravo.url()]);
    assert!(
        String::from_utf8_lossy(&joined.stderr).contains("WARNING: trust on first use"),
        "{}",
        text(&joined)
    );
    rival.ok(&["join", &alpha.url()]);
    rival.ok(&["join", &bravo.url()]);
    let communities = player.ok(&["communities", "--json"]);
    let communities: Value = serde_json::from_slice(&communities.stdout).unwrap();
    assert_eq!(communities.as_array().unwrap().len(), 2);

    // A certified match in each community; `ic refresh` files the records where they belong.
    alpha.play(1, player.key(), rival.key()).await;
    bravo.play(2, rival.key(), player.key()).await;
    player.ok(&["refresh"]);
    let alpha_records = player.records("alpha-league");
    let bravo_records = player.records("bravo-clan");
    let alpha_match = of_type(&alpha_records, "match");
    let bravo_match = of_type(&bravo_records, "match");
    // `ic profile` shows the standing each server keeps: one rated game, still placing.
    let profile: Value =
        serde_json::from_slice(&player.ok(&["profile", "alpha-league", "--json"]).stdout).unwrap();
    assert_eq!(profile["player_key"], player.key().to_string().as_str());
    let standing = &profile["modules"][0];
    assert_eq!(
        (&standing["games_played"], &standing["wins"]),
        (&json!(1), &json!(1))
    );
    assert_eq!(
        (&standing["tier"], &standing["rank"]),
        (&Value::Null, &Value::Null)
    );
    let history: Value =
        serde_json::from_slice(&player.ok(&["matches", "alpha-league", "--json"]).stdout).unwrap();
    assert_eq!(history["matches"].as_array().unwrap().len(), 1, "{history}");
    assert_eq!(history["matches"][0]["result"], "win");
    assert_eq!(
        history["matches"][0]["opponents"],
        json!([rival.key().to_string()])
    );
    // The same history from the wallet's own match records, without the server.
    let offline: Value = serde_json::from_slice(
        &player
            .ok(&["matches", "alpha-league", "--offline", "--json"])
            .stdout,
    )
    .unwrap();
    assert_eq!(offline, history);
    // The win earned the default "first_win" achievement, in the server's list and the wallet.
    let unlocked: Value = serde_json::from_slice(
        &player
            .ok(&["achievements", "alpha-league", "--json"])
            .stdout,
    )
    .unwrap();
    assert_eq!(unlocked.as_array().unwrap().len(), 1, "{unlocked}");
    assert_eq!(unlocked[0]["achievement_id"], "first_win");
    assert_eq!(unlocked[0]["name"], "First victory");
    assert_eq!(unlocked[0]["verification"], "verified");
    let kept: Value = serde_json::from_slice(
        &player
            .ok(&["achievements", "alpha-league", "--offline", "--json"])
            .stdout,
    )
    .unwrap();
    assert_eq!(kept[0]["achievement_id"], "first_win");
    assert_eq!(kept[0]["match_id"], unlocked[0]["match_id"]);
    assert!(
        String::from_utf8_lossy(&player.ok(&["achievements", "bravo-clan"]).stdout)
            .contains("no achievements")
    );
    // `ic sanctions` signs in and reads GET /v1/sanctions/me: a player who stayed in their
    // matches and was never sanctioned may queue and chat.
    let sanctions: Value =
        serde_json::from_slice(&player.ok(&["sanctions", "alpha-league", "--json"]).stdout)
            .unwrap();
    assert!(sanctions["leaver_cooldown"].is_null(), "{sanctions}");
    assert_eq!(sanctions["sanctions"], serde_json::json!([]), "{sanctions}");
    assert!(
        String::from_utf8_lossy(&player.ok(&["sanctions", "bravo-clan"]).stdout)
            .contains("No sanctions: you may queue and chat.")
    );
    let rival_profile = player.ok(&[
        "profile",
        "bravo-clan",
        "--player",
        &rival.key().to_string(),
    ]);
    assert!(
        String::from_utf8_lossy(&rival_profile.stdout).contains("placing: "),
        "{}",
        text(&rival_profile)
    );
    assert_eq!(alpha_match.len(), 1);
    assert_eq!(bravo_match.len(), 1);
    assert_eq!(alpha_match[0]["record"]["payload"]["result"], "win");
    assert_eq!(bravo_match[0]["record"]["payload"]["result"], "loss");
    assert!(
        alpha_records
            .iter()
            .chain(&bravo_records)
            .all(|r| r["status"] == "valid")
    );
    let alpha_key = alpha.signing_key().public_key().to_string();
    assert!(
        alpha_records
            .iter()
            .all(|r| r["record"]["community_key"] == alpha_key.as_str())
    );

    // Each community accepts its own records and refuses the other's as wrong_community.
    let alpha_rating = player.present("alpha-league");
    let bravo_rating = player.present("bravo-clan");
    let both = vec![alpha_rating[0].clone(), bravo_rating[0].clone()];
    assert_eq!(
        alpha.verify(&both).await,
        vec![(true, None), (false, Some("wrong_community".into()))]
    );
    assert_eq!(
        bravo.verify(&both).await,
        vec![(false, Some("wrong_community".into())), (true, None)]
    );
    // `ic verify` checks each record against the community that signed it.
    let file = player.dir.path().join("presented.b64");
    std::fs::write(&file, Presentation::new(both.clone()).to_base64()).unwrap();
    let verified = player.ok(&["verify", file.to_str().unwrap()]);
    let out = String::from_utf8_lossy(&verified.stdout).to_string();
    assert!(
        out.contains("alpha-league") && out.contains("bravo-clan"),
        "{out}"
    );

    // A revokes the player's ratings: the wallet marks them, A refuses them, B is unaffected.
    let revoked = alpha.cli(&[
        "players",
        "revoke",
        &player.key().to_string(),
        "--record-type",
        "rating",
    ]);
    assert!(revoked.status.success(), "{}", text(&revoked));
    player.ok(&["refresh", "--reissue", "never"]);
    let ratings = of_type(&player.records("alpha-league"), "rating");
    assert!(!ratings.is_empty());
    assert!(
        ratings
            .iter()
            .all(|r| r["revoked"] == true && r["status"] == "revoked"),
        "{ratings:?}"
    );
    assert_eq!(
        alpha.verify(&alpha_rating).await,
        vec![(false, Some("revoked".into()))]
    );
    assert_eq!(bravo.verify(&bravo_rating).await, vec![(true, None)]);
    assert!(
        of_type(&player.records("bravo-clan"), "rating")
            .iter()
            .all(|r| r["status"] == "valid")
    );
    assert!(!player.run(&["present", "alpha-league"]).status.success());

    // A server with another key and no rotation chain answers at A's address: refused loudly,
    // A's wallet file untouched; B still syncs.
    alpha.stop();
    let mut impostor = Server::impostor_of(&alpha);
    impostor.start().await;
    let before = std::fs::read(player.wallet_file("alpha-league")).unwrap();
    let refresh = player.run(&["refresh"]);
    assert!(!refresh.status.success());
    let stderr = String::from_utf8_lossy(&refresh.stderr).to_string();
    assert!(
        stderr.contains("alpha-league") && stderr.contains("REFUSED"),
        "{}",
        text(&refresh)
    );
    assert!(
        String::from_utf8_lossy(&refresh.stdout).contains("bravo-clan"),
        "{}",
        text(&refresh)
    );
    assert_eq!(
        std::fs::read(player.wallet_file("alpha-league")).unwrap(),
        before
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_wallet_follows_voluntary_and_emergency_rotations() {
    let mut alpha = Server::new("Alpha League");
    alpha.start().await;
    let player = Player::new(None);
    let rival = Player::new(None);
    player.ok(&["join", &alpha.url()]);
    rival.ok(&["join", &alpha.url()]);
    alpha.play(1, player.key(), rival.key()).await;
    player.ok(&["refresh"]);
    let before_rotation: Vec<Vec<u8>> = player.stored("alpha-league").await;
    let old_match: Vec<Vec<u8>> = before_rotation
        .iter()
        .filter(|r| record_type_of(r) == scr::RecordType::Match)
        .cloned()
        .collect();
    assert_eq!(old_match.len(), 1);

    // Voluntary rotation: followed; what the old key signed stays valid through the grace.
    alpha.stop();
    let rotated = alpha.cli(&["keys", "rotate"]);
    assert!(rotated.status.success(), "{}", text(&rotated));
    alpha.start().await;
    let refresh = player.ok(&["refresh"]);
    assert!(
        String::from_utf8_lossy(&refresh.stdout).contains("followed a key rotation"),
        "{}",
        text(&refresh)
    );
    let current = alpha.signing_key().public_key().to_string();
    let communities: Value =
        serde_json::from_slice(&player.ok(&["communities", "--json"]).stdout).unwrap();
    assert_eq!(communities[0]["signing_key"], current.as_str());
    assert_ne!(communities[0]["pinned_key"], current.as_str());
    assert_eq!(alpha.verify(&old_match).await, vec![(true, None)]);
    assert!(
        player
            .records("alpha-league")
            .iter()
            .all(|r| r["status"] == "valid")
    );
    alpha.play(2, player.key(), rival.key()).await;
    player.ok(&["refresh"]);
    let matches = of_type(&player.records("alpha-league"), "match");
    assert_eq!(matches.len(), 2);
    assert!(
        matches
            .iter()
            .any(|m| m["record"]["community_key"] == current.as_str() && m["status"] == "valid")
    );

    // Emergency rotation with the recovery key: followed, new records verify, and what the
    // retired key signs after the rotation took effect is refused.
    let retired = alpha.signing_key();
    alpha.stop();
    let recovery = alpha.recovery_key_file();
    let emergency = alpha.cli(&[
        "keys",
        "emergency-rotate",
        "--recovery-key",
        recovery.to_str().unwrap(),
    ]);
    assert!(emergency.status.success(), "{}", text(&emergency));
    alpha.start().await;
    // The retired key's grace ends at the rotation's second (inclusive); step past it.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    alpha.play(3, player.key(), rival.key()).await;
    let refresh = player.ok(&["refresh"]);
    assert!(
        String::from_utf8_lossy(&refresh.stdout).contains("followed a key rotation"),
        "{}",
        text(&refresh)
    );
    let records = player.records("alpha-league");
    let retired_text = retired.public_key().to_string();
    let by_retired: Vec<&Value> = records
        .iter()
        .filter(|r| r["record"]["community_key"] == retired_text.as_str())
        .collect();
    assert!(!by_retired.is_empty());
    assert!(
        by_retired
            .iter()
            .all(|r| r["status"] == "key_outside_grace"),
        "{by_retired:?}"
    );
    let presented = player.present("alpha-league");
    let newest = alpha.signing_key().public_key();
    assert_eq!(
        scr::Record::decode(&presented[0]).unwrap().community_key(),
        newest
    );
    assert_eq!(alpha.verify(&presented).await, vec![(true, None)]);

    let forged = RecordBuilder::new(Payload::Rating(RatingPayload {
        game_module: "ra".into(),
        algorithm_id: "glicko2".into(),
        rating: 2_900_000,
        deviation: 50_000,
        volatility: 60_000,
        games_played: 500,
        wins: 500,
        losses: 0,
        draws: 0,
        streak: 500,
        rank: 1,
        percentile: 1000,
        season: None,
    }))
    .player(player.key())
    .sequence(1_000)
    .issued_at(unix_now() + 5)
    .sign(&retired)
    .unwrap();
    assert_eq!(
        alpha.verify(&[forged.as_bytes().to_vec()]).await,
        vec![(false, Some("key_outside_grace".into()))]
    );
    let file = player.dir.path().join("forged.scr");
    std::fs::write(&file, forged.as_bytes()).unwrap();
    let checked = player.run(&["verify", file.to_str().unwrap()]);
    assert!(!checked.status.success());
    assert!(
        String::from_utf8_lossy(&checked.stdout).contains("key_outside_grace"),
        "{}",
        text(&checked)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_sync_leaves_no_partial_records_and_the_backup_phrase_restores_everything() {
    let mut alpha = Server::new("Alpha League");
    alpha.start().await;
    let player = Player::new(Some("correct horse battery"));
    let rival = Player::new(None);
    player.ok(&["join", &alpha.url()]);
    rival.ok(&["join", &alpha.url()]);
    const MATCHES: u64 = 12;
    for game in 0..MATCHES {
        alpha.play(100 + game, player.key(), rival.key()).await;
    }
    let wallet = player.wallet_file("alpha-league");
    let count_matches = |bytes: &[Vec<u8>]| {
        bytes
            .iter()
            .filter(|r| record_type_of(r) == scr::RecordType::Match)
            .count()
    };

    // Kill `ic refresh` at different moments; after each, the wallet opens cleanly and holds
    // either none of the new match records or all of them.
    let mut completed_by_a_killed_run = false;
    for delay_ms in [0u64, 20, 60, 120, 200, 300, 450] {
        let mut child = player
            .command(&["refresh"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(delay_ms));
        child.kill().unwrap();
        child.wait().unwrap();
        let records = ic_e2e::player::stored_in(&wallet).await;
        let stored = count_matches(&records);
        assert!(
            stored == 0 || stored == usize::try_from(MATCHES).unwrap(),
            "partial sync: {stored} matches"
        );
        completed_by_a_killed_run |= stored > 0;
        if completed_by_a_killed_run {
            break;
        }
    }
    player.ok(&["refresh"]);
    assert_eq!(
        count_matches(&player.stored("alpha-league").await),
        usize::try_from(MATCHES).unwrap()
    );

    // Backup phrase -> recover in a fresh data directory -> same key, same registration.
    let backup = player.ok(&["identity", "backup"]);
    let phrase: Vec<String> = String::from_utf8_lossy(&backup.stdout)
        .lines()
        .map(|line| line.split_whitespace().nth(1).unwrap().to_owned())
        .collect();
    assert_eq!(phrase.len(), 24);
    let restored = Player::empty(Some("another passphrase"));
    let mut recover = restored
        .command(&["identity", "recover"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    recover
        .stdin
        .take()
        .unwrap()
        .write_all(phrase.join(" ").as_bytes())
        .unwrap();
    let recovered = recover.wait_with_output().unwrap();
    assert!(recovered.status.success(), "{}", text(&recovered));
    assert_eq!(restored.key(), player.key());
    let joined = restored.ok(&["join", &alpha.url()]);
    assert!(
        String::from_utf8_lossy(&joined.stdout).contains("already registered"),
        "{}",
        text(&joined)
    );
    assert_eq!(
        count_matches(&restored.stored("alpha-league").await),
        usize::try_from(MATCHES).unwrap()
    );
    let original = of_type(&player.records("alpha-league"), "rating");
    let copy = of_type(&restored.records("alpha-league"), "rating");
    let sequences = |ratings: &[Value]| {
        ratings
            .iter()
            .map(|r| r["record"]["sequence"].clone())
            .collect::<Vec<_>>()
    };
    assert!(!original.is_empty());
    assert_eq!(sequences(&original), sequences(&copy));
}
