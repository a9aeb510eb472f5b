//! The whole trust chain through one real `ic-server` process: two players with wallets queue
//! with their rating records, accept the match, connect to the relay with the tickets the
//! matchmaker handed out, play, and the certified result updates both ratings; the new records
//! arrive over the relay connection and the wallets verify and keep them. A caster watches.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use ic_client::identity::Identity;
use ic_client::relay::bot::{BotEnd, BotPlan, play};
use ic_client::relay::spectate::watch;
use ic_client::relay::store_pushed_records;
use ic_client::wallet::Wallet;
use ic_client::{Client, JoinOptions};
use ic_e2e::community::Server;
use ic_e2e::relay::connect_as;
use relay_core::cmr::{CertifiedMatchResult, EndReason};
use relay_core::frames::SimOutcome;
use relay_core::ids::TeamId;
use relay_core::ticket::{MatchTicket, TicketSeat};
use scr::payload::Payload;
use scr::{KeyPair, Record};
use serde_json::json;
use sha2::{Digest, Sha256};

/// The newest rating record the community issued to `key`.
async fn newest_rating(server: &Server, key: &KeyPair) -> scr::payload::RatingPayload {
    let token = server.login(key).await;
    let (status, body) = server
        .get("/v1/players/me/records?since=0", Some(&token))
        .await;
    assert_eq!(status, 200, "{body}");
    body["records"]
        .as_array()
        .unwrap()
        .iter()
        .map(|text| Record::decode(&B64.decode(text.as_str().unwrap()).unwrap()).unwrap())
        .filter_map(|record| match record.payload() {
            Payload::Rating(rating) => Some((record.sequence(), rating.clone())),
            _ => None,
        })
        .max_by_key(|(sequence, _)| *sequence)
        .unwrap()
        .1
}

/// The scenario, on the database `storage` names (empty: the SQLite default).
async fn queued_players_are_admitted_by_the_relay_and_their_match_updates_both_ratings(
    storage: String,
) {
    let wallets_dir = tempfile::tempdir().unwrap();
    let config =
        format!("[matchmaking]\npass_interval_min_ms = 50\npass_interval_max_ms = 200\n{storage}");
    let mut server = Server::with_config("Queue Clan", &config);
    server.start().await;
    let document = server.document().await;
    let listed = document["relays"].as_array().unwrap();
    assert_eq!(listed.len(), 1, "{document}");
    assert_eq!(listed[0]["key"], document["relay_key"]);

    // Two players with wallets join the community (the wallet registers and stores the initial
    // rating record) and queue with that record.
    let mut wallets = Vec::new();
    let mut players = Vec::new();
    for name in ["alice", "bob"] {
        let identity = Identity::generate(&mut rand::rngs::OsRng).unwrap();
        players.push(identity.key_pair().clone());
        let client = Client::new(
            Wallet::open(&wallets_dir.path().join(name)).unwrap(),
            identity,
        );
        let joined = client
            .join(
                &server.url(),
                &JoinOptions::default(),
                ic_client::unix_now(),
            )
            .await
            .unwrap();
        wallets.push((client, joined.slug));
    }
    let mut tokens = Vec::new();
    for (key, (client, slug)) in players.iter().zip(&wallets) {
        let (_, store) = client.wallet().open_community(slug).await.unwrap();
        let initial = store.ratings().await.unwrap();
        assert_eq!(initial.len(), 1);
        store.close().await;
        let token = server.login(key).await;
        let join = json!({ "record": B64.encode(&initial[0].bytes), "mode": "ranked_1v1" });
        let (status, body) = server.post_json("/v1/queue", &join, Some(&token)).await;
        assert_eq!((status, body["status"].as_str()), (202, Some("queued")));
        tokens.push(token);
    }
    for token in &tokens {
        let found = server.queue_event(token, "match_found").await;
        let id = found["match_id"].as_u64().unwrap();
        let (status, body) = server
            .post_json(
                &format!("/v1/queue/matches/{id}/accept"),
                &json!({}),
                Some(token),
            )
            .await;
        assert_eq!(status, 200, "{body}");
    }

    // Each player connects where the matchmaker said, pinning the key it gave.
    let mut sessions = Vec::new();
    let mut teams = Vec::new();
    let mut game_id = 0;
    for (key, token) in players.iter().zip(&tokens) {
        let ready = server.queue_event(token, "match_ready").await;
        game_id = ready["game_id"].as_u64().unwrap();
        assert_eq!(ready["relay_address"], listed[0]["address"]);
        assert_eq!(ready["relay_key"], listed[0]["key"]);
        let ticket = B64.decode(ready["ticket"].as_str().unwrap()).unwrap();
        let (claimed, _) = MatchTicket::decode_unverified(&ticket).unwrap();
        assert_eq!(claimed.player_key, key.public_key().into());
        assert_eq!(claimed.game_id, ready["game_id"].as_u64().unwrap());
        assert!(claimed.settings.ranked);
        let TicketSeat::Player { team, .. } = claimed.seat else {
            panic!("matchmaking hands out player tickets");
        };
        teams.push(team);
        sessions.push(connect_as(&ready, key).await);
    }
    assert_ne!(teams[0], teams[1]);

    // Team 0 wins after 30 ticks (2 s at 15 ticks per second).
    let plan = BotPlan {
        ticks: 30,
        orders_per_second: 15,
        outcome: SimOutcome::Victory {
            winner: TeamId(0),
            reason: EndReason::Elimination,
        },
        expect_records: 2,
        leave_after_tick: None,
        timeout: Duration::from_secs(30),
    };
    let mut bots = Vec::new();
    for (client, session) in sessions {
        let plan = plan.clone();
        bots.push(tokio::spawn(async move {
            let report = play(session, &plan).await;
            drop(client);
            report
        }));
    }
    // A caster finds the match among the live ones and watches it with a community-signed
    // spectator ticket; a player of the match cannot also watch, an unknown match is not there.
    let caster = KeyPair::from_seed([90; 32]);
    server.register(&caster).await;
    let caster_token = server.login(&caster).await;
    let (status, live) = server.get("/v1/matches/live", Some(&caster_token)).await;
    assert_eq!(status, 200, "{live}");
    let listed = &live["matches"][0];
    assert_eq!(listed["game_id"].as_u64(), Some(game_id), "{live}");
    assert_eq!(listed["ranked"], true);
    assert_eq!(listed["queue"], "ra/ranked_1v1");
    let in_teams: Vec<String> = listed["teams"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|team| team.as_array().unwrap().iter())
        .map(|k| k.as_str().unwrap().to_owned())
        .collect();
    for key in &players {
        assert!(in_teams.contains(&key.public_key().to_string()));
    }
    let watch_path = format!("/v1/matches/live/{game_id}/watch");
    let (status, refused) = server
        .post_json(&watch_path, &json!({}), Some(&tokens[0]))
        .await;
    assert_eq!(
        (status, refused["error"].as_str()),
        (409, Some("already_playing"))
    );
    let (status, missing) = server
        .post_json(
            "/v1/matches/live/12345/watch",
            &json!({}),
            Some(&caster_token),
        )
        .await;
    assert_eq!(
        (status, missing["error"].as_str()),
        (404, Some("match_not_found"))
    );
    let (status, spectating) = server
        .post_json(&watch_path, &json!({}), Some(&caster_token))
        .await;
    assert_eq!(status, 200, "{spectating}");
    assert_eq!(spectating["role"], "spectator");
    let (client, session) = connect_as(&spectating, &caster).await;
    let caster_watch = tokio::spawn(async move {
        let watched = watch(session, Duration::from_secs(60)).await;
        drop(client);
        watched
    });

    let mut results = Vec::new();
    let mut achievements = 0;
    for ((bot, key), (client, slug)) in bots.into_iter().zip(&players).zip(&wallets) {
        let report = bot.await.unwrap();
        assert_eq!(report.end, BotEnd::Finished, "{report:?}");
        results.push(report.cmr.clone().unwrap());
        // The rating and match records came back over the relay connection, and for the
        // winner the default "first_win" achievement.
        let unlocked = report
            .records
            .iter()
            .filter(|bytes| {
                matches!(
                    Record::decode(bytes).unwrap().payload(),
                    Payload::Achievement(a) if a.achievement_id == "first_win"
                )
            })
            .count();
        achievements += unlocked;
        assert_eq!(report.records.len(), 2 + unlocked, "{report:?}");
        for bytes in &report.records {
            assert_eq!(
                Record::decode(bytes).unwrap().player_key(),
                key.public_key().into()
            );
        }
        // The wallet verifies them against the community's keys and keeps them.
        let (_, store) = client.wallet().open_community(slug).await.unwrap();
        let pushed = store_pushed_records(&store, &report.records, ic_client::unix_now())
            .await
            .unwrap();
        assert!(pushed.rejected.is_empty(), "{:?}", pushed.rejected);
        assert_eq!(
            pushed.report.stored + pushed.report.superseded,
            2 + unlocked
        );
        assert_eq!(store.achievements().await.unwrap().len(), unlocked);
        let ratings = store.ratings().await.unwrap();
        assert_eq!(ratings.len(), 1);
        let Payload::Rating(held) = Record::decode(&ratings[0].bytes).unwrap().payload().clone()
        else {
            panic!("not a rating record");
        };
        assert_eq!(held.games_played, 1);
        store.close().await;
    }
    assert_eq!(achievements, 1, "one winner, one first win");

    // The relay kept the order stream as a replay file named by the hash the result carries.
    assert_eq!(results[0], results[1]);
    let (cmr, _) = CertifiedMatchResult::decode_unverified(&results[0]).unwrap();
    let stored = server.replay_file(&cmr.replay_hash).await;
    assert!(!stored.is_empty());
    assert_eq!(<[u8; 32]>::from(Sha256::digest(&stored)), cmr.replay_hash);
    // A player's match history says the replay is there.
    let (status, history) = server
        .get(&format!("/v1/players/{}/matches", cmr.players[0].key), None)
        .await;
    assert_eq!(status, 200, "{history}");
    assert_eq!(
        history["matches"][0]["replay_hash"],
        hex::encode(cmr.replay_hash)
    );
    assert_eq!(history["matches"][0]["replay_available"], true, "{history}");

    // The caster saw the whole match, held back by the ranked delay (120 s at 15 ticks/s,
    // longer than the match, so everything came at its end), and the same result.
    let watched = caster_watch.await.unwrap();
    assert_eq!(watched.end, BotEnd::Finished, "{:?}", watched.end);
    assert_eq!(watched.cmr.as_ref(), Some(&results[0]));
    assert_eq!(cmr.observer_delay_ticks, 1800);
    let mut seen = bytes::BytesMut::new();
    for (tick, _) in &watched.ticks {
        relay_core::frames::encode_tick_orders(tick, &mut seen).unwrap();
    }
    assert_eq!(&seen[..], &stored[..], "every tick, exactly as recorded");

    for (key, team) in players.iter().zip(&teams) {
        let rating = newest_rating(&server, key).await;
        assert_eq!(rating.games_played, 1);
        if *team == TeamId(0) {
            assert!(rating.rating > 1_500_000, "winner {}", rating.rating);
        } else {
            assert!(rating.rating < 1_500_000, "loser {}", rating.rating);
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn on_sqlite() {
    queued_players_are_admitted_by_the_relay_and_their_match_updates_both_ratings(String::new())
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn on_postgres() {
    let url = test_postgres::fresh_database();
    queued_players_are_admitted_by_the_relay_and_their_match_updates_both_ratings(format!(
        "[storage]\nurl = \"{url}\"\n"
    ))
    .await;
}
