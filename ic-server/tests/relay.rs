//! The relay end to end on loopback: players with wallets get tickets, play through the relay,
//! the ranking authority certifies and rates the match, and the records come back over the
//! relay connection into the wallets. Also every refusal, floods and reconnects.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
mod relay_support;

use std::time::Duration;

use ic_client::relay::RelayClientError;
use ic_client::relay::bot::BotEnd;
use relay_core::cmr::{EndReason, MatchOutcome, PlayerResult};
use relay_core::connection::ALPN;
use relay_core::frames::Frame;
use relay_core::ids::{PlayerSlot, TeamId};
use relay_support::{KickReason, RelayEnv, match_ticket, plan, play_both, test_options};
use scr::{KeyPair, Record, RecordType};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_match_through_the_relay_is_certified_rated_and_records_reach_the_wallets() {
    let env = RelayEnv::start(test_options()).await;
    let ((alice, a), (bob, b)) = env.seated_pair(1001).await;
    assert_eq!(env.relay.running_matches(), 1);
    let (ra, rb) = play_both(a, plan(30), b, plan(30)).await;
    assert_eq!(ra.end, BotEnd::Finished, "{ra:?}");
    assert_eq!(rb.end, BotEnd::Finished, "{rb:?}");
    assert!(ra.ticks_received >= 30 && rb.ticks_received >= 30);
    // Both saw every game order of both players (15 per second each, 20 ticks per second).
    assert!(ra.orders_sent > 15 && ra.orders_received >= ra.orders_sent);

    let expected = MatchOutcome::Completed {
        winner: TeamId(0),
        reason: EndReason::Elimination,
    };
    assert_eq!(ra.match_end, Some(expected));
    let cmr_bytes = ra.cmr.clone().unwrap();
    assert_eq!(rb.cmr.as_ref(), Some(&cmr_bytes), "one result for everyone");
    let cmr = env.verify_cmr(&cmr_bytes);
    assert_eq!(cmr.outcome, expected);
    assert_eq!(cmr.game_id, 1001);
    assert_eq!(cmr.tick_interval_us, 50_000);
    let results: Vec<(PlayerSlot, PlayerResult)> =
        cmr.players.iter().map(|p| (p.slot, p.result)).collect();
    assert_eq!(
        results,
        vec![
            (PlayerSlot(0), PlayerResult::Win),
            (PlayerSlot(1), PlayerResult::Loss)
        ]
    );
    assert_eq!(cmr.players[0].key, alice.keys.public_key().into());

    // Alice's win also earns the default "first_win" achievement; Bob's loss nothing.
    for (player, report, unlocked) in [(&alice, &ra, 1), (&bob, &rb, 0)] {
        let types: Vec<RecordType> = report
            .records
            .iter()
            .map(|bytes| Record::decode(bytes).unwrap())
            .inspect(|record| assert_eq!(record.player_key(), player.keys.public_key().into()))
            .map(|record| record.record_type())
            .collect();
        assert!(types.contains(&RecordType::Rating) && types.contains(&RecordType::Match));
        let store = player.wallet().await;
        let pushed =
            ic_client::relay::store_pushed_records(&store, &report.records, ic_client::unix_now())
                .await
                .unwrap();
        assert!(pushed.rejected.is_empty(), "{:?}", pushed.rejected);
        let achievements = types
            .iter()
            .filter(|t| **t == RecordType::Achievement)
            .count();
        assert_eq!(achievements, unlocked, "{types:?}");
        // The initial rating from joining is superseded; the match record (and any
        // achievement) is new.
        assert_eq!(
            pushed.report.stored + pushed.report.superseded,
            2 + unlocked
        );
        let ratings = store.ratings().await.unwrap();
        assert_eq!(ratings.len(), 1);
        store.close().await;
    }
    // The relay is done with the game, and its tickets cannot start it again.
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(env.relay.running_matches(), 0);
    let again = alice.connect(&env, &env.ticket(&alice.keys, 1001, 0)).await;
    assert!(
        matches!(
            again,
            Err(RelayClientError::Disconnected(
                relay_core::frames::DisconnectReason::MatchOver
            ))
        ),
        "{again:?}"
    );
}

fn kicked_for_auth(result: Result<ic_client::relay::RelaySession, RelayClientError>) {
    match result {
        Err(RelayClientError::Kicked(KickReason::AuthenticationFailed)) => {}
        other => panic!("expected an authentication kick, got {other:?}"),
    }
}

/// A raw QUIC connection to the relay with its one stream opened, for handshakes the client
/// library would never send.
async fn raw(env: &RelayEnv) -> (quinn::Connection, quinn::SendStream, quinn::RecvStream) {
    let mut endpoint = quinn::Endpoint::client("127.0.0.1:0".parse().unwrap()).unwrap();
    endpoint.set_default_client_config(ic_client::relay::client_config(env.relay_key).unwrap());
    let connection = endpoint
        .connect(env.address, "ic-relay")
        .unwrap()
        .await
        .unwrap();
    assert_eq!(
        connection
            .handshake_data()
            .unwrap()
            .downcast::<quinn::crypto::rustls::HandshakeData>()
            .unwrap()
            .protocol
            .as_deref(),
        Some(ALPN)
    );
    let (send, recv) = connection.open_bi().await.unwrap();
    (connection, send, recv)
}

async fn read_all(mut recv: quinn::RecvStream) -> Vec<Frame> {
    let bytes = tokio::time::timeout(Duration::from_secs(5), recv.read_to_end(1 << 16))
        .await
        .unwrap()
        .unwrap_or_default();
    let mut buf = bytes::BytesMut::from(&bytes[..]);
    let mut frames = Vec::new();
    while let Ok(Some(frame)) = Frame::decode_from(&mut buf) {
        frames.push(frame);
    }
    frames
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_relay_refuses_every_bad_admission() {
    let env = RelayEnv::start(test_options()).await;
    let alice = env.player("alice").await;
    let bob = env.player("bob").await;
    let now = ic_server::clock::unix_now();

    // A ticket for another player.
    kicked_for_auth(alice.connect(&env, &env.ticket(&bob.keys, 7, 1)).await);
    // An expired ticket.
    kicked_for_auth(
        alice
            .connect(
                &env,
                &env.ticket_with(&alice.keys, 7, 0, now - 600, now - 1),
            )
            .await,
    );
    // A ticket signed by a key that is not the community's.
    let forger = KeyPair::from_seed([0x66; 32]);
    let forged = relay_core::ticket::TicketSigner::new(
        relay_core::ticket::SignerKind::Community,
        forger.clone(),
    )
    .sign(&match_ticket(
        &forger,
        &alice.keys,
        7,
        0,
        now - 5,
        now + 300,
    ))
    .unwrap()
    .into_bytes();
    kicked_for_auth(alice.connect(&env, &forged).await);
    // A genuine ticket with one byte changed (the map hash): the signature fails.
    let mut tampered = env.ticket(&alice.keys, 7, 0);
    let at = tampered.len() - 64 - 20;
    tampered[at] ^= 1;
    kicked_for_auth(alice.connect(&env, &tampered).await);

    // No ticket at all: hello, then straight to a signature.
    let (_conn, mut send, recv) = raw(&env).await;
    let mut bytes = Frame::ClientHello {
        player_key: alice.keys.public_key().into(),
        game_id: 7,
    }
    .to_bytes()
    .unwrap();
    Frame::AuthResponse { signature: [0; 64] }
        .encode(&mut bytes)
        .unwrap();
    send.write_all(&bytes).await.unwrap();
    assert_eq!(
        read_all(recv).await,
        vec![Frame::Kick {
            reason: KickReason::AuthenticationFailed
        }]
    );

    // A ticket for another game than the hello asks for.
    let (_conn, mut send, recv) = raw(&env).await;
    let mut bytes = Frame::ClientHello {
        player_key: alice.keys.public_key().into(),
        game_id: 8,
    }
    .to_bytes()
    .unwrap();
    Frame::Ticket(env.ticket(&alice.keys, 7, 0))
        .encode(&mut bytes)
        .unwrap();
    send.write_all(&bytes).await.unwrap();
    assert_eq!(
        read_all(recv).await,
        vec![Frame::Kick {
            reason: KickReason::AuthenticationFailed
        }]
    );

    // A valid ticket but a signature not bound to this TLS session.
    let (_conn, mut send, mut recv) = raw(&env).await;
    let mut bytes = Frame::ClientHello {
        player_key: alice.keys.public_key().into(),
        game_id: 7,
    }
    .to_bytes()
    .unwrap();
    Frame::Ticket(env.ticket(&alice.keys, 7, 0))
        .encode(&mut bytes)
        .unwrap();
    send.write_all(&bytes).await.unwrap();
    let mut head = [0u8; 38];
    recv.read_exact(&mut head).await.unwrap();
    let Frame::AuthChallenge { challenge } = Frame::decode(&head).unwrap() else {
        panic!("expected a challenge");
    };
    let signature = alice.keys.sign(&relay_core::connection::auth_message(
        7, &challenge, &[0; 32],
    ));
    send.write_all(&Frame::AuthResponse { signature }.to_bytes().unwrap())
        .await
        .unwrap();
    assert_eq!(
        read_all(recv).await,
        vec![Frame::Kick {
            reason: KickReason::AuthenticationFailed
        }]
    );

    // A connection that never says anything is closed after the authentication timeout.
    let (silent, _send, _recv) = raw(&env).await;
    let closed = tokio::time::timeout(Duration::from_secs(5), silent.closed()).await;
    assert!(closed.is_ok(), "a silent connection must be dropped");

    // None of it created a match.
    assert_eq!(env.relay.running_matches(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_order_flood_is_throttled_then_kicked_and_the_flooder_abandons() {
    let mut options = test_options();
    options.flood_kick_threshold = 8;
    options.reconnect_timeout = Duration::from_secs(1);
    let env = RelayEnv::start(options).await;
    // The players are kept: their relay client endpoints carry the sessions.
    let ((_alice, a), (_bob, b)) = env.seated_pair(2002).await;
    // Alice plays on and never reports an end; Bob floods 200 orders per tick.
    let mut calm = plan(100_000);
    calm.timeout = Duration::from_secs(30);
    let mut flood = plan(100_000);
    flood.orders_per_second = 4_000;
    let (ra, rb) = play_both(a, calm, b, flood).await;
    assert_eq!(
        rb.end,
        BotEnd::Kicked(KickReason::ProtocolViolation),
        "{rb:?}"
    );
    // Bob never came back: the match ends as abandoned, Alice's side wins, and she is rated.
    assert_eq!(
        ra.match_end,
        Some(MatchOutcome::Abandoned {
            leaver: PlayerSlot(1)
        })
    );
    assert_eq!(ra.end, BotEnd::Finished, "{ra:?}");
    let cmr = env.verify_cmr(ra.cmr.as_ref().unwrap());
    assert_eq!(cmr.players[0].result, PlayerResult::Win);
    assert_eq!(cmr.players[1].result, PlayerResult::Abandoned);
    // A rating and a match record, and the default "first_win" for her first win.
    assert_eq!(ra.records.len(), 3);
    // The kicked connection is no longer counted, nor any other once the match is over.
    env.connections_settle_to_zero().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_player_who_reconnects_in_time_continues_the_match() {
    let env = RelayEnv::start(test_options()).await;
    let alice = env.player("alice").await;
    let bob = env.player("bob").await;
    let bob_ticket = env.ticket(&bob.keys, 3003, 1);
    let a = alice
        .connect(&env, &env.ticket(&alice.keys, 3003, 0))
        .await
        .unwrap();
    let b = bob.connect(&env, &bob_ticket).await.unwrap();
    let alice_plays = tokio::spawn(async move { ic_client::relay::bot::play(a, &plan(60)).await });
    let mut leaving = plan(60);
    leaving.leave_after_tick = Some(10);
    let first = ic_client::relay::bot::play(b, &leaving).await;
    assert_eq!(first.end, BotEnd::Left);
    tokio::time::sleep(Duration::from_millis(500)).await;
    let again = bob.connect(&env, &bob_ticket).await.unwrap();
    let second = ic_client::relay::bot::play(again, &plan(60)).await;
    let ra = alice_plays.await.unwrap();
    assert_eq!(second.end, BotEnd::Finished, "{second:?}");
    assert_eq!(ra.end, BotEnd::Finished, "{ra:?}");
    // The second session resumed the stream where the match was, not from the start.
    assert!(second.ticks_received < ra.ticks_received);
    let cmr = env.verify_cmr(ra.cmr.as_ref().unwrap());
    assert_eq!(
        cmr.outcome,
        MatchOutcome::Completed {
            winner: TeamId(0),
            reason: EndReason::Elimination
        }
    );
    assert_eq!(cmr.players[1].result, PlayerResult::Loss);
    assert_eq!(second.records.len(), 2);
    // Not an abandon: no leaver cooldown, and the queue takes Bob.
    assert_eq!(env.sanctions(&bob).await.leaver_cooldown, None);
    let (status, joined) = env.join_queue(&bob).await;
    assert!(status < 300, "{status} {joined}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_player_gone_past_the_reconnect_timeout_abandons() {
    let mut options = test_options();
    options.reconnect_timeout = Duration::from_secs(1);
    let env = RelayEnv::start(options).await;
    let ((_alice, a), (_bob, b)) = env.seated_pair(4004).await;
    let mut leaving = plan(100_000);
    leaving.leave_after_tick = Some(5);
    let (ra, rb) = play_both(a, plan(100_000), b, leaving).await;
    assert_eq!(rb.end, BotEnd::Left);
    assert_eq!(
        ra.match_end,
        Some(MatchOutcome::Abandoned {
            leaver: PlayerSlot(1)
        })
    );
    let cmr = env.verify_cmr(ra.cmr.as_ref().unwrap());
    assert_eq!(cmr.players[1].result, PlayerResult::Abandoned);
    assert_eq!(ra.end, BotEnd::Finished, "{ra:?}");
}

/// The matchmaker's check of a relay of another server: a relay that answers with its key
/// takes matches; a wrong key or a silent port makes it unreachable, and it recovers.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_configured_relay_is_probed_with_its_key_pinned() {
    use std::sync::Arc;

    use ic_server::matchmaker::relays::HostingRelay;
    use ic_server::matchmaker::remote_relay::{ConfiguredRelay, probe_once};
    use ic_server::matchmaking::RelayListing;

    let env = RelayEnv::start(test_options()).await;
    let remote = |address: String, key: scr::PublicKey| {
        Arc::new(ConfiguredRelay::new(RelayListing {
            address,
            key: key.into(),
            region: String::new(),
        }))
    };
    let right = remote(env.address.to_string(), env.relay_key);
    let wrong_key = remote(
        env.address.to_string(),
        KeyPair::from_seed([0x44; 32]).public_key(),
    );
    // A port nobody answers on: bound, so nothing else takes it while the test runs.
    let silent_socket = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    let silent = remote(
        silent_socket.local_addr().unwrap().to_string(),
        env.relay_key,
    );
    let relays = [right.clone(), wrong_key.clone(), silent.clone()];
    probe_once(&relays).await;
    assert_eq!(right.reserve(), Ok(()));
    let refused = wrong_key.reserve().unwrap_err();
    assert!(refused.starts_with("unreachable"), "{refused}");
    let refused = silent.reserve().unwrap_err();
    assert!(refused.starts_with("unreachable"), "{refused}");
    // The probe is not a session: the relay counts no match, only a client that hung up.
    assert_eq!(env.relay.running_matches(), 0);
    tokio::time::sleep(Duration::from_millis(300)).await;
    let metrics = env.metrics().await;
    assert!(
        metrics.contains(r#"reason="closed_by_client""#),
        "{metrics}"
    );

    // A relay that comes back takes matches again after the next probe.
    drop(silent_socket);
    let relay_again = remote(env.address.to_string(), env.relay_key);
    relay_again.probed(Err("was down".into()));
    assert!(relay_again.reserve().is_err());
    probe_once(std::slice::from_ref(&relay_again)).await;
    assert_eq!(relay_again.reserve(), Ok(()));
}

/// Spectator tickets signed by the community: seats up to the relay's limit, then
/// `not admitted`; a player of the match cannot also take a spectator seat.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn spectator_seats_end_at_the_limit() {
    let env = RelayEnv::start(test_options()).await;
    let alice = env.player("alice").await;
    let now = ic_server::clock::unix_now();
    let signer = relay_core::ticket::TicketSigner::new(
        relay_core::ticket::SignerKind::Community,
        env.signing.clone(),
    );
    let watcher_ticket = |who: &KeyPair| {
        let mut ticket = match_ticket(&env.signing, who, 31, 0, now - 5, now + 300);
        ticket.seat = relay_core::ticket::TicketSeat::Observer;
        signer.sign(&ticket).unwrap().into_bytes()
    };
    let mut watching = Vec::new();
    for name in ["fan1", "fan2"] {
        let fan = env.player(name).await;
        let session = fan.connect(&env, &watcher_ticket(&fan.keys)).await.unwrap();
        assert!(matches!(
            session.seat(),
            relay_core::frames::Seat::Observer(_)
        ));
        watching.push((fan, session));
    }
    // test_options admits two spectators per match.
    let third = env.player("fan3").await;
    assert!(matches!(
        third.connect(&env, &watcher_ticket(&third.keys)).await,
        Err(RelayClientError::Disconnected(
            relay_core::frames::DisconnectReason::NotAdmitted
        ))
    ));
    // A player seated in the match cannot also watch it.
    let _playing = alice
        .connect(&env, &env.ticket(&alice.keys, 31, 0))
        .await
        .unwrap();
    assert!(matches!(
        alice.connect(&env, &watcher_ticket(&alice.keys)).await,
        Err(RelayClientError::Disconnected(
            relay_core::frames::DisconnectReason::ProtocolError
        ))
    ));
}

/// A match whose lobby never fills is dropped after the lobby timeout, telling the player who
/// came; connections still authenticating beyond relay.max_connections are refused.
/// One source may hold only `max_handshakes_per_address` connections that have not yet
/// authenticated, however many the relay takes in all; a finished handshake frees its place.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_source_cannot_hold_every_handshake_slot() {
    let mut options = test_options();
    options.max_connections = 64;
    options.max_handshakes_per_address = 2;
    let env = RelayEnv::start(options).await;
    let alice = env.player("alice").await;
    let silent = [raw(&env).await, raw(&env).await];
    let refused = alice.connect(&env, &env.ticket(&alice.keys, 5006, 0)).await;
    assert!(refused.is_err(), "{:?}", refused.map(|s| s.seat()));
    assert!(
        env.metrics()
            .await
            .contains(r#"reason="too_many_handshakes_from_address""#)
    );
    // A silent connection that closes gives its place back.
    let (first, _, _) = &silent[0];
    first.close(0u32.into(), b"bye");
    drop(silent);
    tokio::time::sleep(Duration::from_millis(300)).await;
    let seated = alice.connect(&env, &env.ticket(&alice.keys, 5006, 0)).await;
    assert!(seated.is_ok(), "{:?}", seated.err());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unfilled_lobby_times_out_and_the_connection_limit_holds() {
    let mut options = test_options();
    options.lobby_timeout = Duration::from_secs(1);
    options.max_connections = 1;
    let env = RelayEnv::start(options).await;
    let alice = env.player("alice").await;

    // One connection that never says hello holds the only handshake slot...
    let (_silent, _send, _recv) = raw(&env).await;
    let refused = alice.connect(&env, &env.ticket(&alice.keys, 5005, 0)).await;
    assert!(refused.is_err(), "{:?}", refused.map(|s| s.seat()));
    assert!(
        env.metrics()
            .await
            .contains(r#"reason="too_many_connections""#)
    );
    // ...until the authentication timeout drops it.
    tokio::time::sleep(Duration::from_secs(1)).await;
    let mut waiting = alice
        .connect(&env, &env.ticket(&alice.keys, 5005, 0))
        .await
        .unwrap();
    // Bob never comes: the lobby gives up and says so.
    let started = std::time::Instant::now();
    let ended = loop {
        match waiting.next_frame().await {
            Some(Frame::Disconnect { reason }) => break Some(reason),
            Some(_) => continue,
            None => break None,
        }
    };
    assert_eq!(ended, Some(relay_core::frames::DisconnectReason::Timeout));
    assert!(started.elapsed() < Duration::from_secs(5));
    assert_eq!(env.relay.running_matches(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_post_game_window_closes_after_its_configured_length() {
    let mut options = test_options();
    options.post_game = Duration::from_secs(2);
    let env = RelayEnv::start(options).await;
    let ((_alice, a), (_bob, b)) = env.seated_pair(4004).await;
    // Bob stays for records that never come (he expects more than the match issues), so only
    // the end of the post-game window can close his session; at the default 30 s his plan's
    // own 12 s timeout would end it first.
    let mut waiting = plan(30);
    waiting.expect_records = 99;
    waiting.timeout = Duration::from_secs(12);
    let started = tokio::time::Instant::now();
    let (ra, rb) = play_both(a, plan(30), b, waiting).await;
    assert_eq!(ra.end, BotEnd::Finished, "{ra:?}");
    assert!(rb.cmr.is_some() && rb.records.len() == 2, "{rb:?}");
    assert!(
        matches!(rb.end, BotEnd::Closed | BotEnd::Disconnected(_)),
        "{rb:?}"
    );
    // 30 ticks of 50 ms, then two seconds of window.
    assert!(
        started.elapsed() < Duration::from_secs(8),
        "{:?}",
        started.elapsed()
    );
}
