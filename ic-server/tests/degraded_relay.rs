//! The relay's own network losing packets: when its packets to every player of a match are lost
//! for a sustained stretch, the certified result says degraded; one player's bad line does not
//! make it so. The loss comes from a UDP proxy in front of the real relay (QUIC on loopback).

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
mod relay_support;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use ic_client::relay::bot::BotEnd;
use relay_support::{RelayEnv, plan, play_both, test_options};
use tokio::net::UdpSocket;

/// A UDP proxy in front of `relay`: every datagram from a client goes through, and of the
/// relay's datagrams back to a client every `drop_every`-th is dropped once the first 40 have
/// passed (the handshake goes through clean). Returns the address clients connect to.
async fn lossy_proxy(relay: SocketAddr, drop_every: u64) -> SocketAddr {
    let front = Arc::new(UdpSocket::bind("127.0.0.1:0").await.unwrap());
    let address = front.local_addr().unwrap();
    tokio::spawn(async move {
        let mut upstreams: HashMap<SocketAddr, Arc<UdpSocket>> = HashMap::new();
        let mut buffer = vec![0u8; 65_536];
        while let Ok((length, client)) = front.recv_from(&mut buffer).await {
            let upstream = match upstreams.get(&client) {
                Some(upstream) => upstream.clone(),
                None => {
                    let upstream = Arc::new(UdpSocket::bind("127.0.0.1:0").await.unwrap());
                    upstream.connect(relay).await.unwrap();
                    let (back, front) = (upstream.clone(), front.clone());
                    tokio::spawn(async move {
                        let mut buffer = vec![0u8; 65_536];
                        let mut count = 0u64;
                        while let Ok(length) = back.recv(&mut buffer).await {
                            count += 1;
                            if count > 40 && count % drop_every == 0 {
                                continue;
                            }
                            let _ = front.send_to(&buffer[..length], client).await;
                        }
                    });
                    upstreams.insert(client, upstream.clone());
                    upstream
                }
            };
            let _ = upstream.send(&buffer[..length]).await;
        }
    });
    address
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn loss_to_every_player_degrades_the_match_and_one_bad_line_does_not() {
    let mut options = test_options();
    options.degraded_loss_permille = 50;
    options.degraded_loss_windows = 2;
    let env = RelayEnv::start(options).await;
    let alice = env.player("alice").await;
    let bob = env.player("bob").await;
    for (game_id, both_lossy) in [(9001, false), (9002, true)] {
        // A fifth of the relay's packets to the player lost: 20 %, four times the threshold.
        // A fresh proxy per game, so each handshake goes through clean.
        let lossy = lossy_proxy(env.address, 5).await;
        let alice_at = if both_lossy { lossy } else { env.address };
        let a = alice
            .relay
            .connect(
                alice_at,
                env.relay_key,
                &alice.keys,
                &env.ticket(&alice.keys, game_id, 0),
            )
            .await
            .unwrap();
        let b = bob
            .relay
            .connect(
                lossy,
                env.relay_key,
                &bob.keys,
                &env.ticket(&bob.keys, game_id, 1),
            )
            .await
            .unwrap();
        // 100 ticks of 50 ms: five one-second loss windows. A degraded match is void by
        // default (`degraded_weight` 0), so no records come: the bots leave at the result.
        let mut bot = plan(100);
        bot.expect_records = 0;
        let (ra, rb) = play_both(a, bot.clone(), b, bot).await;
        assert_eq!(
            (ra.end, rb.end),
            (BotEnd::Finished, BotEnd::Finished),
            "game {game_id}: {ra:?} {rb:?}"
        );
        let cmr = env.verify_cmr(ra.cmr.as_ref().unwrap());
        assert_eq!(
            cmr.degraded, both_lossy,
            "game {game_id}: degraded only when every player lost packets"
        );
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    let metrics = env.metrics().await;
    assert!(
        metrics.contains(r#"ic_relay_degraded_matches_total{cause="loss"} 1"#),
        "{metrics}"
    );
}
