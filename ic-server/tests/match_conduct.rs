//! Match conduct through the real relay (QUIC on loopback) and the ranking authority: a leaver
//! loses and the one who stayed gains, leaver cooldowns escalate and keep the leaver out of the
//! queue, an early leave voids the match and rates nobody, and a chat-restricted player's chat
//! reaches nobody. (A reconnect in time costs nothing: `relay.rs`.)

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
mod relay_support;

use std::time::Duration;

use ic_client::api::Profile;
use ic_client::relay::bot::BotEnd;
use relay_core::cmr::{MatchOutcome, PlayerResult};
use relay_core::ids::PlayerSlot;
use relay_support::{Player, RelayEnv, plan, play_both, test_options};

/// Plays `game_id` between Alice (slot 0, stays) and Bob (slot 1, leaves after 5 ticks and
/// never comes back); returns Alice's report.
async fn bob_leaves(
    env: &RelayEnv,
    alice: &Player,
    bob: &Player,
    game_id: u64,
    expect_records: usize,
) -> ic_client::relay::bot::BotReport {
    let a = alice
        .connect(env, &env.ticket(&alice.keys, game_id, 0))
        .await
        .unwrap();
    let b = bob
        .connect(env, &env.ticket(&bob.keys, game_id, 1))
        .await
        .unwrap();
    let mut stays = plan(100_000);
    stays.expect_records = expect_records;
    let mut leaves = plan(100_000);
    leaves.leave_after_tick = Some(5);
    let (ra, rb) = play_both(a, stays, b, leaves).await;
    assert_eq!(rb.end, BotEnd::Left);
    assert_eq!(ra.end, BotEnd::Finished, "{ra:?}");
    ra
}

async fn profile(env: &RelayEnv, player: &Player) -> Profile {
    let api = ic_client::api::ApiClient::new(&env.url).unwrap();
    api.profile(&player.keys.public_key().into()).await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_leaver_loses_the_stayer_gains_and_cooldowns_escalate() {
    let mut options = test_options();
    options.reconnect_timeout = Duration::from_secs(1);
    let env = RelayEnv::start(options).await;
    let alice = env.player("alice").await;
    let bob = env.player("bob").await;
    assert_eq!(env.sanctions(&bob).await.leaver_cooldown, None);

    let ra = bob_leaves(&env, &alice, &bob, 6001, 2).await;
    assert_eq!(
        ra.match_end,
        Some(MatchOutcome::Abandoned {
            leaver: PlayerSlot(1)
        })
    );
    let cmr = env.verify_cmr(ra.cmr.as_ref().unwrap());
    assert_eq!(cmr.players[1].result, PlayerResult::Abandoned);
    let played_at = cmr.ended_at_us / 1_000_000;

    // The stayer gains, the leaver loses: a full loss on the leaver's profile.
    let (alice_now, bob_now) = (profile(&env, &alice).await, profile(&env, &bob).await);
    let (a, b) = (&alice_now.modules[0], &bob_now.modules[0]);
    assert!(a.rating > 1_500_000 && b.rating < 1_500_000, "{a:?} {b:?}");
    assert_eq!((a.wins, a.losses, b.wins, b.losses), (1, 0, 0, 1));

    // The first abandon of the day: five minutes, and the queue says so.
    let first = env.sanctions(&bob).await.leaver_cooldown.unwrap();
    assert_eq!(first.until, played_at + 300);
    assert_eq!(first.reason, "you left a match");
    let (status, refusal) = env.join_queue(&bob).await;
    assert_eq!(
        (status, refusal["error"].as_str()),
        (403, Some("queue_cooldown"))
    );
    assert!(
        refusal["message"]
            .as_str()
            .unwrap()
            .contains("you left a match"),
        "{refusal}"
    );
    // The one who stayed is not held back.
    assert_eq!(env.sanctions(&alice).await.leaver_cooldown, None);
    let (status, joined) = env.join_queue(&alice).await;
    assert!(status < 300, "{status} {joined}");

    // The second abandon within a day: thirty minutes.
    let ra = bob_leaves(&env, &alice, &bob, 6002, 2).await;
    let cmr = env.verify_cmr(ra.cmr.as_ref().unwrap());
    let second = env.sanctions(&bob).await.leaver_cooldown.unwrap();
    assert_eq!(second.until, cmr.ended_at_us / 1_000_000 + 1800);
    assert_eq!(second.reason, "you left 2 matches in a short time");
    let deviation_before = profile(&env, &bob).await.modules[0].deviation;

    // The third within a week: a habitual leaver waits a day, and the rating is less certain
    // (a rated match alone would lower the deviation).
    let ra = bob_leaves(&env, &alice, &bob, 6003, 2).await;
    let cmr = env.verify_cmr(ra.cmr.as_ref().unwrap());
    let third = env.sanctions(&bob).await.leaver_cooldown.unwrap();
    assert_eq!(third.until, cmr.ended_at_us / 1_000_000 + 86_400);
    assert_eq!(
        third.reason,
        "you left 3 matches within days: habitual leaving"
    );
    let deviation_after = profile(&env, &bob).await.modules[0].deviation;
    assert!(
        deviation_after > deviation_before,
        "{deviation_before} -> {deviation_after}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_conduct_settings_set_the_cooldowns_and_the_deviation_rule() {
    let mut options = test_options();
    options.reconnect_timeout = Duration::from_secs(1);
    let env = RelayEnv::start_with(
        options,
        "[conduct]\nabandon_cooldowns_secs = [7, 11]\nhabitual_cooldown_secs = 13\n\
         habitual_deviation_increase = 0\n",
    )
    .await;
    let alice = env.player("alice").await;
    let bob = env.player("bob").await;
    let mut deviations = Vec::new();
    for (game_id, wait, reason) in [
        (6401, 7, "you left a match"),
        (6402, 11, "you left 2 matches in a short time"),
        (6403, 13, "you left 3 matches within days: habitual leaving"),
    ] {
        let ra = bob_leaves(&env, &alice, &bob, game_id, 2).await;
        let ended = env.verify_cmr(ra.cmr.as_ref().unwrap()).ended_at_us / 1_000_000;
        let cooldown = env.sanctions(&bob).await.leaver_cooldown.unwrap();
        assert_eq!(
            (cooldown.until, cooldown.reason.as_str()),
            (ended + wait, reason)
        );
        deviations.push(profile(&env, &bob).await.modules[0].deviation);
    }
    // No increase configured: the third rated match lowers the deviation like any other.
    assert!(deviations[2] < deviations[1], "{deviations:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn leaving_within_the_grace_voids_the_match_and_rates_nobody() {
    let mut options = test_options();
    options.reconnect_timeout = Duration::from_secs(1);
    options.grace_void = Duration::from_secs(60);
    let env = RelayEnv::start_with(options, "[conduct]\ngrace_void_cooldown_secs = 45\n").await;
    let alice = env.player("alice").await;
    let bob = env.player("bob").await;

    let ra = bob_leaves(&env, &alice, &bob, 6101, 0).await;
    let voided = MatchOutcome::GraceVoided {
        leaver: PlayerSlot(1),
    };
    assert_eq!(ra.match_end, Some(voided));
    let cmr = env.verify_cmr(ra.cmr.as_ref().unwrap());
    assert_eq!(cmr.outcome, voided);
    let results: Vec<PlayerResult> = cmr.players.iter().map(|p| p.result).collect();
    assert_eq!(results, [PlayerResult::NoResult, PlayerResult::Abandoned]);
    // Nobody rated, no records issued.
    assert!(ra.records.is_empty(), "{:?}", ra.records.len());
    for player in [&alice, &bob] {
        let standing = profile(&env, player).await;
        assert!(
            standing.modules.iter().all(|m| m.games_played == 0),
            "{standing:?}"
        );
    }
    // The leaver waits the configured 45 s for the void (default 60), not an abandon's five
    // minutes.
    let cooldown = env.sanctions(&bob).await.leaver_cooldown.unwrap();
    assert_eq!(cooldown.until, cmr.ended_at_us / 1_000_000 + 45);
    assert_eq!(
        cooldown.reason,
        "you left a match at its start, which voided it"
    );
}

/// Bob may not chat until `until`; nobody else is restricted.
struct Muted(scr::PlayerKey, i64);

#[async_trait::async_trait]
impl ic_server::relay::ChatRestrictions for Muted {
    async fn chat_restricted_until(&self, player: &scr::PlayerKey, _now: i64) -> Option<i64> {
        (*player == self.0).then_some(self.1)
    }
}

/// What one player read during the test: chat texts (frames and orders) and system notices.
#[derive(Default, Debug)]
struct Heard {
    chat: Vec<String>,
    notices: Vec<String>,
}

/// Sends a chat frame and a chat order (in the tick stream) once the match runs, then listens
/// for `listen`, echoing liveness tokens.
async fn chat_and_listen(
    mut session: ic_client::relay::RelaySession,
    say: &str,
    listen: Duration,
) -> Heard {
    use relay_core::frames::{ClientOrder, Frame};
    use relay_core::order::{ChatChannel, PlayerOrder};
    let mut heard = Heard::default();
    let mut said = false;
    let deadline = tokio::time::Instant::now() + listen;
    while let Ok(Some(frame)) = tokio::time::timeout_at(deadline, session.next_frame()).await {
        match frame {
            Frame::TickOrders(tick) => {
                for order in &tick.orders {
                    if let PlayerOrder::Chat { text, .. } = &order.order {
                        heard.chat.push(text.clone());
                    }
                }
                if !said {
                    said = true;
                    let chat = |text: String| Frame::Chat {
                        sender: None,
                        channel: ChatChannel::All,
                        text,
                    };
                    session.send(&chat(format!("{say} (frame)"))).await.unwrap();
                    session
                        .send(&chat(format!("{say} (frame again)")))
                        .await
                        .unwrap();
                    let order = ClientOrder {
                        sub_tick_hint_us: 0,
                        order: PlayerOrder::Chat {
                            channel: ChatChannel::All,
                            text: format!("{say} (order)"),
                        },
                    };
                    let now_us = u64::try_from(ic_client::unix_now()).unwrap() * 1_000_000;
                    session
                        .send_orders(tick.tick + 3, now_us, vec![order])
                        .await
                        .unwrap();
                }
            }
            Frame::Chat {
                sender: Some(_),
                text,
                ..
            } => heard.chat.push(text),
            Frame::Chat {
                sender: None, text, ..
            } => heard.notices.push(text),
            Frame::Liveness { token } => {
                let _ = session.send(&Frame::LivenessEcho { token }).await;
            }
            _ => {}
        }
    }
    heard
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_chat_restricted_players_chat_never_reaches_the_others() {
    let env = RelayEnv::start(test_options()).await;
    let alice = env.player("alice").await;
    let bob = env.player("bob").await;
    let until = ic_client::unix_now() + 3600;
    env.relay.restrict_chat_with(std::sync::Arc::new(Muted(
        bob.keys.public_key().into(),
        until,
    )));
    let a = alice
        .connect(&env, &env.ticket(&alice.keys, 6301, 0))
        .await
        .unwrap();
    let b = bob
        .connect(&env, &env.ticket(&bob.keys, 6301, 1))
        .await
        .unwrap();
    let listen = Duration::from_secs(3);
    let (heard_by_alice, heard_by_bob) = tokio::join!(
        chat_and_listen(a, "alice", listen),
        chat_and_listen(b, "bob", listen)
    );
    // Alice hears herself and nothing of Bob's, in frames or in the tick stream.
    assert!(
        heard_by_alice.chat.iter().all(|t| t.starts_with("alice")),
        "{heard_by_alice:?}"
    );
    assert_eq!(heard_by_alice.chat.len(), 3, "{heard_by_alice:?}");
    assert!(heard_by_alice.notices.is_empty(), "{heard_by_alice:?}");
    // Bob still reads Alice, never sees his own messages, and is told once why.
    assert_eq!(heard_by_bob.chat.len(), 3, "{heard_by_bob:?}");
    assert!(heard_by_bob.chat.iter().all(|t| t.starts_with("alice")));
    assert_eq!(heard_by_bob.notices.len(), 1, "{heard_by_bob:?}");
    assert!(
        heard_by_bob.notices[0].contains(&format!("Unix time {until}")),
        "{heard_by_bob:?}"
    );
}

/// Keeps a scripted player in step: a batch for every tick (carrying `vote` if there is one)
/// and an echo for every liveness token, so the relay neither strikes nor drops it.
async fn keep_in_step(
    session: &ic_client::relay::RelaySession,
    frame: &relay_core::frames::Frame,
    vote: Option<relay_core::order::VoteKind>,
) {
    use relay_core::frames::{ClientOrder, Frame};
    match frame {
        Frame::TickOrders(tick) => {
            let orders = vote
                .map(|kind| ClientOrder {
                    sub_tick_hint_us: 0,
                    order: relay_core::order::PlayerOrder::Vote(kind),
                })
                .into_iter()
                .collect();
            let now_us = u64::try_from(ic_client::unix_now()).unwrap() * 1_000_000;
            let _ = session.send_orders(tick.tick + 2, now_us, orders).await;
        }
        Frame::Liveness { token } => {
            let _ = session.send(&Frame::LivenessEcho { token: *token }).await;
        }
        _ => {}
    }
}

/// What one side of the pause test saw and is about to do.
#[derive(Default)]
struct Side {
    pauses: Vec<(u8, u64, u64)>,
    resumes: Vec<(u64, bool)>,
    refusals: Vec<relay_core::pauses::PauseRefusal>,
    /// A vote to put in the next batch.
    next_vote: Option<relay_core::order::VoteKind>,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pause_holds_until_both_sides_resume_or_its_time_runs_out() {
    use relay_core::frames::Frame;
    use relay_core::order::VoteKind;
    use relay_core::pauses::PauseRefusal;

    // test_options: one ranked pause of one second per player, from the start.
    let env = RelayEnv::start(test_options()).await;
    let ((_alice, mut a), (_bob, mut b)) = env.seated_pair(6501).await;
    let mut sides = [Side::default(), Side::default()];
    sides[0].next_vote = Some(VoteKind::Pause);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    // Both sessions are driven here: a batch for every tick (with a planned vote), liveness
    // echoed, and the pause frames recorded.
    loop {
        let (who, frame) = tokio::select! {
            frame = a.next_frame() => (0, frame),
            frame = b.next_frame() => (1, frame),
            () = tokio::time::sleep_until(deadline) => panic!("the pause script did not finish"),
        };
        let frame = frame.expect("the match went on");
        let session = if who == 0 { &a } else { &b };
        match frame {
            Frame::TickOrders(_) | Frame::Liveness { .. } => {
                keep_in_step(session, &frame, sides[who].next_vote.take()).await;
            }
            Frame::Paused {
                player,
                tick,
                until,
            } => {
                sides[who].pauses.push((player.0, tick, until));
                // Alice's pause: both sides agree to resume. Bob's: nobody does.
                if player.0 == 0 {
                    sides[who].next_vote = Some(VoteKind::Resume);
                }
            }
            Frame::Resumed { tick, timed_out } => {
                sides[who].resumes.push((tick, timed_out));
                // Then Bob takes his pause; once it ran out, Alice asks for a second one.
                if who == usize::from(!timed_out) {
                    sides[who].next_vote = Some(VoteKind::Pause);
                }
            }
            Frame::PauseRefused { reason } => sides[who].refusals.push(reason),
            _ => {}
        }
        if sides.iter().all(|side| side.resumes.len() == 2) && !sides[0].refusals.is_empty() {
            break;
        }
    }
    for side in &sides {
        // Two pauses, each announced to both players: Alice's, then Bob's.
        let by: Vec<u8> = side.pauses.iter().map(|p| p.0).collect();
        assert_eq!(by, [0, 1]);
        // Alice's ended by both sides, Bob's by its one-second limit (20 ticks).
        assert!(!side.resumes[0].1);
        let (paused_at, until) = (side.pauses[1].1, side.pauses[1].2);
        assert_eq!(until, paused_at + 20);
        assert_eq!(side.resumes[1], (until, true));
    }
    // Alice asked for a second pause: refused, her one pause is spent.
    assert_eq!(sides[0].refusals, [PauseRefusal::BudgetSpent]);
    assert!(sides[1].refusals.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_team_votes_out_a_teammate_in_an_unranked_match() {
    use relay_core::frames::{Frame, KickReason};
    use relay_core::order::VoteKind;

    let env = RelayEnv::start(test_options()).await;
    // Alice and Bob against Carol, unranked.
    let names = ["alice", "bob", "carol"];
    let mut players = Vec::new();
    let mut sessions = Vec::new();
    for (slot, (name, team)) in names.iter().zip([0u8, 0, 1]).enumerate() {
        let player = env.player(name).await;
        let slot = u8::try_from(slot).unwrap();
        let ticket = env.unranked_ticket(&player.keys, 6601, (slot, team), 3);
        sessions.push(player.connect(&env, &ticket).await.unwrap());
        players.push(player);
    }
    // Alice votes Bob out at once; once he is gone, Carol surrenders to end the match.
    let mut votes = [Some(VoteKind::Kick(PlayerSlot(1))), None, None];
    let mut kicked = [None; 3];
    let mut cmr = None;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    let Ok(mut sessions) = <[ic_client::relay::RelaySession; 3]>::try_from(sessions) else {
        panic!("three sessions");
    };
    let mut closed = [false; 3];
    while cmr.is_none() {
        let [s0, s1, s2] = &mut sessions;
        let (who, frame) = tokio::select! {
            frame = s0.next_frame(), if !closed[0] => (0, frame),
            frame = s1.next_frame(), if !closed[1] => (1, frame),
            frame = s2.next_frame(), if !closed[2] => (2, frame),
            () = tokio::time::sleep_until(deadline) => panic!("the kick vote did not finish"),
        };
        let Some(frame) = frame else {
            // Only the kicked player's connection closes before the end.
            assert_eq!(who, 1);
            closed[who] = true;
            continue;
        };
        match frame {
            Frame::TickOrders(_) | Frame::Liveness { .. } if kicked[who].is_none() => {
                keep_in_step(&sessions[who], &frame, votes[who].take()).await;
            }
            Frame::Kick { reason } => {
                kicked[who] = Some(reason);
                votes[2] = Some(VoteKind::Surrender);
            }
            Frame::CertifiedResult(bytes) => cmr = Some(bytes),
            _ => {}
        }
    }
    assert_eq!(kicked, [None, Some(KickReason::VotedOut), None]);
    let cmr = env.verify_cmr(&cmr.unwrap());
    let results: Vec<PlayerResult> = cmr.players.iter().map(|p| p.result).collect();
    assert_eq!(
        results,
        [
            PlayerResult::Win,
            PlayerResult::Abandoned,
            PlayerResult::Loss
        ]
    );
    assert!(!cmr.ranked);
    drop(players);
}
