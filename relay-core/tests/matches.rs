//! Simulated matches of 2, 4 and 8 players with observers, each ending in a certified result
//! whose fields are checked: consensus, surrender, abandon, remake, desync, lag switch,
//! clock-skew cheater and order flood.

mod sim;

use relay_core::cmr::{EndReason, MatchOutcome, PlayerResult};
use relay_core::core::{CoreError, PlayerStatus, RelayConfig};
use relay_core::filters::{BURST_ORDERS, REFILL_PER_TICK, Recipient, RejectReason};
use relay_core::frames::{ClientOrder, KickReason, SimOutcome};
use relay_core::ids::{ObserverId, PlayerSlot, TeamId};
use relay_core::order::{ChatChannel, PlayerOrder, VoteKind};
use relay_core::{Receipt, RelayEvent};
use sha2::{Digest, Sha256};
use sim::{Sim, TICK_US, connect, game_order, player_keys};

fn vote(kind: VoteKind) -> ClientOrder {
    ClientOrder {
        sub_tick_hint_us: 40_000,
        order: PlayerOrder::Vote(kind),
    }
}

fn chat(channel: ChatChannel, text: &str) -> ClientOrder {
    ClientOrder {
        sub_tick_hint_us: 12_000,
        order: PlayerOrder::Chat {
            channel,
            text: text.into(),
        },
    }
}

fn results(sim: &Sim) -> Vec<PlayerResult> {
    sim.certify().0.players.iter().map(|p| p.result).collect()
}

fn chat_texts(orders: &[relay_core::order::TimestampedOrder]) -> Vec<String> {
    orders
        .iter()
        .filter_map(|o| match &o.order {
            PlayerOrder::Chat { text, .. } => Some(text.clone()),
            _ => None,
        })
        .collect()
}

#[test]
fn one_v_one_ends_by_consensus_with_routed_chat() {
    let mut sim = Sim::new(2, |i| i, 1, true, RelayConfig::default());
    sim.run(5);
    sim.tick_with(|slot, _| {
        if slot == 0 {
            vec![
                chat(ChatChannel::All, "gl hf"),
                chat(ChatChannel::Team, "plan"),
                chat(ChatChannel::Whisper(PlayerSlot(1)), "psst"),
                chat(ChatChannel::Observer, "hi observers"),
            ]
        } else {
            Vec::new()
        }
    });
    let chat_tick = sim.ticks.last().unwrap().clone();
    // The canonical (hashed) stream has every message; recipients see only theirs.
    assert_eq!(chat_texts(&chat_tick.canonical.orders).len(), 4);
    let feed = |r: Recipient| {
        let f = chat_tick.feeds.iter().find(|f| f.recipient == r).unwrap();
        chat_texts(&f.ticks[0].orders)
    };
    assert_eq!(feed(Recipient::Player(PlayerSlot(0))).len(), 4);
    assert_eq!(
        feed(Recipient::Player(PlayerSlot(1))),
        vec!["gl hf", "psst"]
    );
    assert_eq!(
        feed(Recipient::Observer(ObserverId(0))),
        vec!["gl hf", "hi observers"]
    );

    sim.run(294);
    assert_eq!(sim.core.check_match_end(), None);
    // One report is not a consensus while the other player is still connected.
    let tick = sim.core.open_tick();
    let winner = SimOutcome::Victory {
        winner: TeamId(1),
        reason: EndReason::Elimination,
    };
    sim.core
        .record_game_ended_report(
            &sim.players[&PlayerSlot(1)],
            tick,
            winner,
            [0x77; 32],
            sim.now_us,
        )
        .unwrap();
    sim.honest_tick();
    assert_eq!(sim.core.check_match_end(), None);
    sim.report_all(winner);
    let last = sim.honest_tick().clone();
    let outcome = MatchOutcome::Completed {
        winner: TeamId(1),
        reason: EndReason::Elimination,
    };
    assert!(last.events.contains(&RelayEvent::MatchEnded(outcome)));
    assert_eq!(
        sim.core.finalize_tick(sim.now_us + 1),
        Err(CoreError::MatchOver)
    );

    let (cmr, bytes) = sim.certify();
    sim.check_common_fields(&cmr);
    assert_eq!(cmr.outcome, outcome);
    assert!(cmr.ranked);
    assert_eq!(cmr.final_state_hash, [0x77; 32]);
    assert_eq!(cmr.desync_tick, None);
    assert!(!cmr.degraded);
    assert_eq!(cmr.players[0].result, PlayerResult::Loss);
    assert_eq!(cmr.players[1].result, PlayerResult::Win);
    assert_eq!(
        cmr.match_id().as_bytes(),
        &<[u8; 32]>::from(Sha256::digest(&bytes))
    );
    assert_eq!(cmr.final_tick, 301);
}

#[test]
fn two_v_two_ends_when_a_whole_team_surrenders() {
    let mut sim = Sim::new(4, |i| i % 2, 2, true, RelayConfig::default());
    sim.run(50);
    sim.tick_with(|slot, _| {
        if slot == 0 {
            vec![vote(VoteKind::Surrender)]
        } else {
            Vec::new()
        }
    });
    sim.run(10);
    // One of two team members is not a team surrender.
    assert_eq!(sim.core.check_match_end(), None);
    sim.tick_with(|slot, _| {
        if slot == 2 {
            vec![vote(VoteKind::Surrender)]
        } else {
            Vec::new()
        }
    });
    let outcome = MatchOutcome::Completed {
        winner: TeamId(1),
        reason: EndReason::Surrender,
    };
    assert_eq!(sim.core.check_match_end(), Some(outcome));
    let (cmr, _) = sim.certify();
    sim.check_common_fields(&cmr);
    assert_eq!(cmr.outcome, outcome);
    assert_eq!(
        results(&sim),
        vec![
            PlayerResult::Loss,
            PlayerResult::Win,
            PlayerResult::Loss,
            PlayerResult::Win
        ]
    );
    assert_eq!(cmr.final_tick, 61);
}

#[test]
fn a_disconnect_past_the_reconnect_timeout_is_an_abandon() {
    let mut sim = Sim::new(2, |i| i, 1, false, RelayConfig::default());
    sim.run(20);
    let leaver = PlayerSlot(1);
    sim.core.player_disconnected(leaver, sim.now_us).unwrap();
    // Back after 10 s on a fresh authenticated connection: no abandon.
    sim.run(150);
    let fresh = connect(&sim.core, &player_keys(1));
    sim.core.player_reconnected(&fresh).unwrap();
    sim.players.insert(leaver, fresh);
    // While away the slot got Idle every tick, without strikes (it was not connected).
    let idle_ticks = sim.ticks[21..170]
        .iter()
        .filter(|t| {
            t.canonical
                .orders
                .iter()
                .any(|o| o.player == leaver && o.order == PlayerOrder::Idle)
        })
        .count();
    assert_eq!(idle_ticks, 149);
    assert_eq!(sim.strikes(leaver), 0);
    // Past the 120 s grace: leaving now costs the match instead of voiding it.
    sim.run(GRACE_TICKS);
    let left_at_us = sim.now_us;
    sim.core.player_disconnected(leaver, left_at_us).unwrap();
    sim.run(2_000);
    let outcome = MatchOutcome::Abandoned { leaver };
    assert_eq!(sim.core.check_match_end(), Some(outcome));
    // Declared at the first tick finalized 60 s or more after the disconnect.
    assert!(sim.now_us - left_at_us >= 60_000_000);
    assert!(sim.now_us - left_at_us < 60_000_000 + u64::from(TICK_US));
    let (cmr, _) = sim.certify();
    sim.check_common_fields(&cmr);
    assert!(!cmr.ranked);
    assert_eq!(cmr.outcome, outcome);
    assert_eq!(
        results(&sim),
        vec![PlayerResult::Win, PlayerResult::Abandoned]
    );
    assert!(matches!(
        sim.core.roster().get(leaver).unwrap().status,
        PlayerStatus::Abandoned { .. }
    ));
}

#[test]
fn a_chat_restricted_players_chat_reaches_nobody_but_stays_in_the_stream() {
    let mut sim = Sim::new(2, |i| i, 1, false, RelayConfig::default());
    assert!(sim.core.restrict_chat(PlayerSlot(1)));
    assert!(!sim.core.restrict_chat(PlayerSlot(7)), "no such seat");
    sim.run(5);
    sim.tick_with(|slot, _| {
        if slot == 1 {
            vec![
                chat(ChatChannel::All, "muted all"),
                chat(ChatChannel::Whisper(PlayerSlot(0)), "muted whisper"),
                chat(ChatChannel::Observer, "muted observers"),
            ]
        } else {
            vec![chat(ChatChannel::All, "free")]
        }
    });
    let tick = sim.ticks.last().unwrap().clone();
    assert_eq!(chat_texts(&tick.canonical.orders).len(), 4, "all certified");
    for feed in &tick.feeds {
        let texts = chat_texts(
            &feed
                .ticks
                .iter()
                .flat_map(|t| t.orders.clone())
                .collect::<Vec<_>>(),
        );
        assert!(
            texts.iter().all(|t| !t.starts_with("muted")),
            "{:?}: {texts:?}",
            feed.recipient
        );
    }
    let player_feed = |slot| {
        let feed = tick
            .feeds
            .iter()
            .find(|f| f.recipient == Recipient::Player(slot))
            .unwrap();
        chat_texts(&feed.ticks[0].orders)
    };
    // The restricted player still reads the others.
    assert_eq!(player_feed(PlayerSlot(1)), vec!["free"]);
    let withheld = tick
        .events
        .iter()
        .filter(|e| {
            **e == RelayEvent::ChatWithheld {
                player: PlayerSlot(1),
            }
        })
        .count();
    assert_eq!(withheld, 3);
}

#[test]
fn a_restart_ends_the_match_for_nobody_and_only_once() {
    let mut sim = Sim::new(2, |i| i, 0, true, RelayConfig::default());
    sim.run(20);
    sim.core.end_for_restart().unwrap();
    assert_eq!(
        sim.core.check_match_end(),
        Some(MatchOutcome::ServerRestart)
    );
    assert_eq!(sim.core.end_for_restart(), Err(CoreError::MatchOver));
    let (cmr, _) = sim.certify();
    sim.check_common_fields(&cmr);
    assert_eq!(cmr.outcome, MatchOutcome::ServerRestart);
    assert!(results(&sim).iter().all(|r| *r == PlayerResult::NoResult));
}

#[test]
fn a_relay_that_finalizes_late_for_long_certifies_a_degraded_result() {
    let mut sim = Sim::new(2, |i| i, 0, true, RelayConfig::default());
    sim.run(30);
    // Five late ticks (a hiccup) do not degrade the match.
    sim.lateness_us = 400_000;
    sim.run(5);
    sim.lateness_us = 0;
    sim.run(5);
    assert!(
        !sim.events
            .iter()
            .any(|e| matches!(e, RelayEvent::Degraded { .. }))
    );
    // A stall: twenty ticks in a row finalized late.
    sim.lateness_us = 300_000;
    sim.run(20);
    sim.lateness_us = 0;
    sim.run(5);
    let degraded: Vec<_> = sim
        .events
        .iter()
        .filter(|e| matches!(e, RelayEvent::Degraded { .. }))
        .collect();
    assert_eq!(degraded.len(), 1, "reported once");
    sim.report_all(SimOutcome::Victory {
        winner: TeamId(0),
        reason: EndReason::Elimination,
    });
    sim.honest_tick();
    assert!(sim.certify().0.degraded);
}

#[test]
fn pauses_are_decided_in_the_stream_and_end_by_both_sides_or_their_limit() {
    use relay_core::pauses::{PauseRefusal, PauseRules};
    let config = RelayConfig {
        pause_rules: Some(PauseRules {
            per_player: Some(1),
            max_duration_us: 1_000_000,
            min_game_time_us: 0,
        }),
        ..RelayConfig::default()
    };
    let mut sim = Sim::new(2, |i| i, 0, false, config);
    sim.run(5);
    let by = |slot: u8, kind: VoteKind| {
        move |s: u8, _| {
            if s == slot {
                vec![vote(kind)]
            } else {
                Vec::new()
            }
        }
    };
    let paused_at = sim.core.open_tick();
    sim.tick_with(by(0, VoteKind::Pause));
    let until = paused_at + 1_000_000u64.div_ceil(u64::from(TICK_US));
    assert!(sim.events.contains(&RelayEvent::Paused {
        player: PlayerSlot(0),
        tick: paused_at,
        until
    }));
    assert!(sim.core.is_paused());
    sim.tick_with(by(1, VoteKind::Pause));
    assert!(sim.events.contains(&RelayEvent::PauseRefused {
        player: PlayerSlot(1),
        reason: PauseRefusal::AlreadyPaused
    }));
    sim.tick_with(by(0, VoteKind::Resume));
    assert!(sim.core.is_paused(), "one side is not enough");
    let resumed_at = sim.core.open_tick();
    sim.tick_with(by(1, VoteKind::Resume));
    assert!(sim.events.contains(&RelayEvent::Resumed {
        tick: resumed_at,
        timed_out: false
    }));
    // Player 0's only pause is spent; player 1's runs out by itself.
    sim.tick_with(by(0, VoteKind::Pause));
    assert!(sim.events.contains(&RelayEvent::PauseRefused {
        player: PlayerSlot(0),
        reason: PauseRefusal::BudgetSpent
    }));
    let second = sim.core.open_tick();
    sim.tick_with(by(1, VoteKind::Pause));
    sim.run(30);
    let limit = second + 1_000_000u64.div_ceil(u64::from(TICK_US));
    assert!(sim.events.contains(&RelayEvent::Resumed {
        tick: limit,
        timed_out: true
    }));
    assert!(!sim.core.is_paused());
}

/// Ticks past the default 120 s grace void.
const GRACE_TICKS: u64 = 120_000_000 / TICK_US as u64 + 1;

#[test]
fn a_player_who_leaves_within_the_grace_voids_the_match_for_everyone() {
    let mut sim = Sim::new(3, |i| i, 2, true, RelayConfig::default());
    sim.run(150);
    let leaver = PlayerSlot(1);
    // Gone at 10 s of game time: declared 60 s later, when the grace has long passed, but what
    // counts is when the player left.
    sim.core.player_disconnected(leaver, sim.now_us).unwrap();
    sim.run(1_000);
    let outcome = MatchOutcome::GraceVoided { leaver };
    assert_eq!(
        sim.core.check_match_end(),
        Some(outcome),
        "three teams: still voided"
    );
    let (cmr, _) = sim.certify();
    sim.check_common_fields(&cmr);
    assert_eq!(cmr.outcome, outcome);
    assert_eq!(
        results(&sim),
        vec![
            PlayerResult::NoResult,
            PlayerResult::Abandoned,
            PlayerResult::NoResult
        ]
    );

    // The grace switched off (0): the same early leave in a 1v1 is an abandon.
    let config = RelayConfig {
        grace_void_us: 0,
        ..RelayConfig::default()
    };
    let mut sim = Sim::new(2, |i| i, 1, true, config);
    sim.run(150);
    sim.core.player_disconnected(leaver, sim.now_us).unwrap();
    sim.run(1_000);
    assert_eq!(
        sim.core.check_match_end(),
        Some(MatchOutcome::Abandoned { leaver })
    );
}

#[test]
fn a_majority_remake_vote_inside_five_minutes_voids_the_match() {
    let mut sim = Sim::new(4, |i| i % 2, 1, true, RelayConfig::default());
    sim.run(100);
    sim.tick_with(|slot, _| {
        if slot < 2 {
            vec![vote(VoteKind::Remake)]
        } else {
            Vec::new()
        }
    });
    assert_eq!(sim.core.check_match_end(), None, "2 of 4 is not a majority");
    sim.tick_with(|slot, _| {
        if slot == 3 {
            vec![vote(VoteKind::Remake)]
        } else {
            Vec::new()
        }
    });
    assert_eq!(sim.core.check_match_end(), Some(MatchOutcome::Remade));
    let (cmr, _) = sim.certify();
    sim.check_common_fields(&cmr);
    assert_eq!(cmr.outcome, MatchOutcome::Remade);
    assert!(results(&sim).iter().all(|r| *r == PlayerResult::NoResult));
}

#[test]
fn remake_votes_after_five_minutes_are_ignored() {
    let mut sim = Sim::new(2, |i| i, 0, true, RelayConfig::default());
    // 4_500 ticks of 66_667 µs is just over 300 s.
    sim.run(4_500);
    sim.tick_with(|_, _| vec![vote(VoteKind::Remake)]);
    assert_eq!(sim.core.check_match_end(), None);
    let ignored = sim
        .events
        .iter()
        .filter(|e| matches!(e, RelayEvent::RemakeVoteIgnored { .. }))
        .count();
    assert_eq!(ignored, 2);
    sim.report_all(SimOutcome::Draw);
    sim.honest_tick();
    assert_eq!(sim.certify().0.outcome, MatchOutcome::Draw);
    assert_eq!(results(&sim), vec![PlayerResult::Draw; 2]);
}

#[test]
fn eight_players_drop_the_lone_desynced_player_and_finish() {
    let mut sim = Sim::new(8, |i| i % 2, 2, true, RelayConfig::default());
    let culprit = PlayerSlot(5);
    sim.diverged_from.insert(culprit, 60);
    sim.run(200);
    assert_eq!(sim.core.check_match_end(), None, "the other seven play on");
    assert!(sim.events.contains(&RelayEvent::Kicked {
        player: culprit,
        reason: KickReason::Desync,
    }));
    // Checks at 60 and 90 suspect it; the third consecutive check (tick 120) drops it.
    assert!(sim.events.contains(&RelayEvent::PlayerDropped {
        player: culprit,
        tick: 120,
    }));
    let after_drop = sim.ticks.last().unwrap();
    assert!(
        after_drop
            .feeds
            .iter()
            .all(|f| f.recipient != Recipient::Player(culprit))
    );
    sim.report_all(SimOutcome::Victory {
        winner: TeamId(0),
        reason: EndReason::Objective,
    });
    sim.honest_tick();
    let (cmr, _) = sim.certify();
    sim.check_common_fields(&cmr);
    assert_eq!(
        cmr.outcome,
        MatchOutcome::Completed {
            winner: TeamId(0),
            reason: EndReason::Objective
        }
    );
    assert_eq!(cmr.desync_tick, Some(60));
    let expected: Vec<PlayerResult> = (0..8)
        .map(|i| match i {
            5 => PlayerResult::DroppedForDesync,
            i if i % 2 == 0 => PlayerResult::Win,
            _ => PlayerResult::Loss,
        })
        .collect();
    assert_eq!(results(&sim), expected);
}

#[test]
fn two_players_that_desync_end_the_match_without_result() {
    let mut sim = Sim::new(2, |i| i, 1, true, RelayConfig::default());
    sim.diverged_from.insert(PlayerSlot(0), 90);
    sim.run(500);
    let outcome = MatchOutcome::DesyncTerminated {
        first_divergence_tick: 90,
    };
    assert_eq!(sim.core.check_match_end(), Some(outcome));
    let (cmr, _) = sim.certify();
    sim.check_common_fields(&cmr);
    assert_eq!(cmr.final_tick, 90);
    assert_eq!(cmr.desync_tick, Some(90));
    assert_eq!(results(&sim), vec![PlayerResult::NoResult; 2]);
}

#[test]
fn disagreeing_reports_are_a_desync() {
    let mut sim = Sim::new(2, |i| i, 0, true, RelayConfig::default());
    sim.run(40);
    let tick = sim.core.open_tick();
    for (slot, winner) in [(0, 0), (1, 1)] {
        let outcome = SimOutcome::Victory {
            winner: TeamId(winner),
            reason: EndReason::Elimination,
        };
        sim.core
            .record_game_ended_report(
                &sim.players[&PlayerSlot(slot)],
                tick,
                outcome,
                [1; 32],
                sim.now_us,
            )
            .unwrap();
    }
    sim.honest_tick();
    assert_eq!(
        sim.core.check_match_end(),
        Some(MatchOutcome::DesyncTerminated {
            first_divergence_tick: tick
        })
    );
}

#[test]
fn a_silent_reporter_is_outvoted_by_the_timeout() {
    let mut sim = Sim::new(2, |i| i, 0, true, RelayConfig::default());
    sim.run(10);
    let tick = sim.core.open_tick();
    let winner = SimOutcome::Victory {
        winner: TeamId(0),
        reason: EndReason::Elimination,
    };
    sim.core
        .record_game_ended_report(
            &sim.players[&PlayerSlot(0)],
            tick,
            winner,
            [3; 32],
            sim.now_us,
        )
        .unwrap();
    let reported_at = sim.now_us;
    sim.run(449);
    assert_eq!(sim.core.check_match_end(), None, "30 s have not passed");
    sim.run(2);
    assert!(sim.now_us - reported_at >= 30_000_000);
    assert_eq!(results(&sim), vec![PlayerResult::Win, PlayerResult::Loss]);
}

#[test]
fn a_lag_switch_gets_idle_and_strikes_while_the_others_never_stall() {
    let mut sim = Sim::new(4, |i| i % 2, 1, false, RelayConfig::default());
    let switcher = PlayerSlot(2);
    sim.run(40);
    sim.silent.insert(switcher);
    let deadline = sim.core.deadline_us();
    for _ in 0..30 {
        let expected_close = sim.window_start(sim.core.open_tick()) + deadline;
        let tick = sim.honest_tick().clone();
        // Finalized on schedule, with the others' orders and Idle for the switcher.
        assert_eq!(sim.now_us, expected_close);
        for other in [0, 1, 3] {
            assert!(
                tick.canonical
                    .orders
                    .iter()
                    .any(|o| o.player == PlayerSlot(other)
                        && matches!(o.order, PlayerOrder::Game { .. }))
            );
        }
        let switcher_orders: Vec<_> = tick
            .canonical
            .orders
            .iter()
            .filter(|o| o.player == switcher)
            .collect();
        assert_eq!(switcher_orders.len(), 1);
        assert_eq!(switcher_orders[0].order, PlayerOrder::Idle);
    }
    assert_eq!(sim.strikes(switcher), 30);
    assert!(
        (0..4)
            .filter(|i| *i != 2)
            .all(|i| sim.strikes(PlayerSlot(i)) == 0)
    );
    assert!(matches!(
        sim.core.roster().get(switcher).unwrap().status,
        PlayerStatus::Unresponsive { .. }
    ));
    // The switch opens: the held batches arrive at once and are all late.
    for tick in 40..70 {
        let receipt = sim.send_raw(
            2,
            tick,
            sim.now_us - 20_000,
            sim.now_us,
            vec![game_order(2, tick, 0)],
        );
        assert_eq!(receipt, Receipt::Late { tick });
    }
    sim.silent.clear();
    sim.run(5);
    assert_eq!(
        sim.core.roster().get(switcher).unwrap().status,
        PlayerStatus::Active
    );
    // Below the default threshold of 45 the player stays; team 1 surrenders.
    sim.tick_with(|slot, _| {
        if slot % 2 == 1 {
            vec![vote(VoteKind::Surrender)]
        } else {
            Vec::new()
        }
    });
    let (cmr, _) = sim.certify();
    sim.check_common_fields(&cmr);
    assert_eq!(
        cmr.outcome,
        MatchOutcome::Completed {
            winner: TeamId(0),
            reason: EndReason::Surrender
        }
    );
    assert_eq!(
        results(&sim),
        vec![
            PlayerResult::Win,
            PlayerResult::Loss,
            PlayerResult::Win,
            PlayerResult::Loss
        ]
    );
}

#[test]
fn the_strike_threshold_disconnects_a_lag_switcher_who_then_abandons() {
    let config = RelayConfig {
        strike_threshold: 20,
        ..RelayConfig::default()
    };
    let mut sim = Sim::new(2, |i| i, 1, true, config);
    sim.run(10);
    sim.silent.insert(PlayerSlot(1));
    sim.run(20);
    assert!(sim.events.contains(&RelayEvent::Kicked {
        player: PlayerSlot(1),
        reason: KickReason::LagStrikes,
    }));
    assert!(matches!(
        sim.core.roster().get(PlayerSlot(1)).unwrap().status,
        PlayerStatus::Disconnected { .. }
    ));
    sim.run(1_000);
    assert_eq!(
        sim.core.check_match_end(),
        Some(MatchOutcome::Abandoned {
            leaver: PlayerSlot(1)
        })
    );
    let (cmr, _) = sim.certify();
    sim.check_common_fields(&cmr);
    assert_eq!(
        results(&sim),
        vec![PlayerResult::Win, PlayerResult::Abandoned]
    );
}

#[test]
fn a_clock_skew_cheater_cannot_jump_the_queue() {
    let mut sim = Sim::new(2, |i| i, 1, true, RelayConfig::default());
    sim.run(20);
    let cheater = sim.core.calibration(PlayerSlot(1)).unwrap();
    assert!(cheater.is_adopted());
    let mut skew_events = 0;
    for round in 0..12 {
        let tick = sim.core.open_tick();
        // Honest player 0 acts 30 ms into the tick and says so.
        sim.send_at(0, tick, 30_000, vec![game_order(0, tick, 30_000)]);
        // The cheater acts 50 ms in, claims 0 µs and forges its send time 80 ms early.
        let send = sim.window_start(tick) + 50_000;
        let receipt = sim.send_raw(
            1,
            tick,
            send - 80_000,
            send + sim::ONE_WAY_US,
            vec![game_order(1, tick, 0)],
        );
        assert_eq!(receipt, Receipt::Accepted { tick });
        sim.now_us = sim.core.next_deadline_us();
        let finalized = sim.core.finalize_tick(sim.now_us).unwrap();
        let first = &finalized.canonical.orders[0];
        assert_eq!(
            first.player,
            PlayerSlot(0),
            "round {round}: the honest order stays first"
        );
        let cheat = finalized
            .canonical
            .orders
            .iter()
            .find(|o| o.player == PlayerSlot(1))
            .unwrap();
        assert!(cheat.sub_tick_us >= 50_000 - 16_667 - 3 * 2_000);
        skew_events += finalized
            .events
            .iter()
            .filter(|e| matches!(e, RelayEvent::ClockSkewRejected { .. }))
            .count();
        sim.events.extend(finalized.events.iter().cloned());
        sim.ticks.push(finalized);
    }
    // Ten rejections in a row reset the calibration; the next two samples start a new one,
    // which is not trusted until it has enough samples.
    assert_eq!(skew_events, 10);
    let cal = sim.core.calibration(PlayerSlot(1)).unwrap();
    assert_eq!(
        (cal.skew_rejections, cal.resets, cal.sample_count()),
        (10, 1, 2)
    );
    assert!(!cal.is_adopted());
    assert!(sim.events.contains(&RelayEvent::CalibrationReset {
        player: PlayerSlot(1)
    }));
    sim.report_all(SimOutcome::Victory {
        winner: TeamId(0),
        reason: EndReason::Elimination,
    });
    sim.honest_tick();
    let (cmr, _) = sim.certify();
    sim.check_common_fields(&cmr);
    assert_eq!(results(&sim), vec![PlayerResult::Win, PlayerResult::Loss]);
}

#[test]
fn an_order_flood_is_cut_to_the_budget_and_the_others_are_untouched() {
    let mut sim = Sim::new(8, |i| i, 1, false, RelayConfig::default());
    let flooder = PlayerSlot(3);
    let flood = |slot: u8, tick: u64| {
        if slot == 3 {
            (0..199)
                .map(|i| game_order(3, tick * 1000 + i, 20_000))
                .collect()
        } else {
            Vec::new()
        }
    };
    let mut accepted = Vec::new();
    for _ in 0..10 {
        let tick = sim.tick_with(flood);
        accepted.push(
            tick.canonical
                .orders
                .iter()
                .filter(|o| o.player == flooder)
                .count(),
        );
        for other in (0..8).filter(|i| *i != 3) {
            assert_eq!(
                tick.canonical
                    .orders
                    .iter()
                    .filter(|o| o.player == PlayerSlot(other))
                    .count(),
                1
            );
        }
    }
    let burst = BURST_ORDERS as usize;
    let refill = REFILL_PER_TICK as usize;
    assert_eq!(accepted, [vec![burst], vec![refill; 9]].concat());
    let dropped: usize = sim
        .events
        .iter()
        .filter_map(|e| match e {
            RelayEvent::OrdersDropped {
                player,
                count,
                reason: RejectReason::OverBudget,
            } if *player == flooder => Some(*count),
            _ => None,
        })
        .sum();
    assert_eq!(dropped, 200 * 10 - burst - 9 * refill);
    // More than 256 orders in one tick is refused outright, before the budget.
    let tick = sim.core.open_tick();
    let too_many = (0..257).map(|i| game_order(3, i, 0)).collect();
    assert_eq!(
        sim.send_at(3, tick, 10_000, too_many),
        Receipt::Rejected(RejectReason::TooManyOrders)
    );
    sim.run(5);
    sim.report_all(SimOutcome::Draw);
    sim.honest_tick();
    let (cmr, _) = sim.certify();
    sim.check_common_fields(&cmr);
    assert_eq!(cmr.outcome, MatchOutcome::Draw);
    assert_eq!(results(&sim), vec![PlayerResult::Draw; 8]);
}

#[test]
fn observers_cannot_send_and_bad_signatures_do_not_authenticate() {
    let mut sim = Sim::new(2, |i| i, 1, true, RelayConfig::default());
    let observer = &sim.observers[0];
    let batch = relay_core::frames::OrderBatch {
        tick: 0,
        client_send_us: 0,
        orders: vec![],
    };
    assert_eq!(
        sim.core.receive_batch(observer, batch, sim::START_US),
        Err(CoreError::NotAPlayer)
    );
    let connecting = relay_core::connection::Connection::new(
        player_keys(0).public_key().into(),
        sim.core.game_id(),
        [1; 32],
    );
    let wrong = player_keys(1).sign(b"not the challenge");
    assert!(connecting.authenticate(&wrong, &[0; 32]).is_err());
    sim.run(1);
}

#[test]
fn an_unresponsive_player_past_the_timeout_abandons_even_without_strike_kicks() {
    let config = RelayConfig {
        strike_threshold: 0,
        ..RelayConfig::default()
    };
    let mut sim = Sim::new(2, |i| i, 0, true, config);
    sim.run(GRACE_TICKS);
    sim.silent.insert(PlayerSlot(0));
    sim.run(2);
    assert!(sim.events.contains(&RelayEvent::PlayerUnresponsive {
        player: PlayerSlot(0)
    }));
    sim.run(2_000);
    assert_eq!(
        sim.core.check_match_end(),
        Some(MatchOutcome::Abandoned {
            leaver: PlayerSlot(0)
        })
    );
    assert!(
        !sim.events
            .iter()
            .any(|e| matches!(e, RelayEvent::Kicked { .. }))
    );
    assert_eq!(
        results(&sim),
        vec![PlayerResult::Abandoned, PlayerResult::Win]
    );
}

#[test]
fn sustained_lateness_raises_the_deadline_and_players_get_feedback() {
    // Every tick is missed here; kicking is not what this test is about.
    let config = RelayConfig {
        strike_threshold: 0,
        ..RelayConfig::default()
    };
    let mut sim = Sim::new(2, |i| i, 0, false, config);
    let initial = sim.core.deadline_us();
    let mut late_ticks = 0;
    for _ in 0..150 {
        let tick = sim.core.open_tick();
        // Both players send every batch 10 ms after the deadline.
        for slot in 0..2 {
            let late_arrival = sim.core.next_deadline_us() + 10_000;
            let receipt = sim.send_raw(
                slot,
                tick,
                late_arrival - sim::ONE_WAY_US,
                late_arrival,
                vec![game_order(slot, tick, 0)],
            );
            if receipt == (Receipt::Late { tick }) {
                late_ticks += 1;
            }
        }
        sim.now_us = sim.core.next_deadline_us();
        let finalized = sim.core.finalize_tick(sim.now_us).unwrap();
        sim.events.extend(finalized.events);
    }
    assert_eq!(late_ticks, 300);
    let raises: Vec<_> = sim
        .events
        .iter()
        .filter_map(|e| match e {
            RelayEvent::QosAdjusted(change) => Some(*change),
            _ => None,
        })
        .collect();
    assert!(!raises.is_empty());
    assert_eq!(raises[0].old_deadline_us, initial);
    assert_eq!(raises[0].new_deadline_us, initial + 10_000);
    assert!(sim.core.deadline_us() > initial);
    let feedback = sim
        .events
        .iter()
        .find_map(|e| match e {
            RelayEvent::TimingFeedback { player, feedback } if *player == PlayerSlot(0) => {
                Some(*feedback)
            }
            _ => None,
        })
        .unwrap();
    assert_eq!(feedback.late_count, 30);
    assert_eq!(feedback.late_us, 10_000);
    assert_eq!(feedback.recommended_offset_us, 10_000);
}

#[test]
fn the_connection_lifecycle_runs_to_post_game_and_back_to_the_lobby() {
    let sim = Sim::new(2, |i| i, 0, true, RelayConfig::default());
    let connection = connect(&sim.core, &player_keys(1));
    assert_eq!(
        connection.seat(),
        relay_core::frames::Seat::Player {
            slot: PlayerSlot(1),
            team: TeamId(1)
        }
    );
    let lobby = connection.end_game().leave();
    assert_eq!(lobby.player_key(), player_keys(1).public_key().into());
    let stranger = relay_core::connection::Connection::new(
        sim::observer_keys(9).public_key().into(),
        sim.core.game_id(),
        [1; 32],
    );
    let signature = sim::observer_keys(9).sign(&relay_core::connection::auth_message(
        sim.core.game_id(),
        &[1; 32],
        &[2; 32],
    ));
    let lobby = stranger
        .authenticate(&signature, &[2; 32])
        .unwrap()
        .join_lobby();
    assert_eq!(
        lobby.start_game(&sim.core).err(),
        Some(relay_core::connection::SeatError::NoSeat)
    );
}

#[test]
fn an_order_flood_is_throttled_then_kicked() {
    let config = RelayConfig {
        flood_kick_threshold: 3,
        ..RelayConfig::default()
    };
    let mut sim = Sim::new(2, |i| i, 0, false, config);
    sim.run(5);
    // Round 0 costs two strikes (the flood, then the honest order of the same tick finds the
    // bucket empty); round 1's flood is the third.
    for round in 0..2 {
        let tick = sim.core.open_tick();
        let flood = (0..200).map(|i| game_order(1, tick, i)).collect();
        // The budget throttles: the batch is taken, the orders beyond the budget are dropped.
        assert_eq!(
            sim.send_at(1, tick, 5_000, flood),
            Receipt::Accepted { tick }
        );
        assert_eq!(sim.is_connected(PlayerSlot(1)), round < 1);
        sim.honest_tick();
    }
    assert!(sim.events.iter().any(|e| matches!(
        e,
        RelayEvent::OrdersDropped {
            player: PlayerSlot(1),
            reason: RejectReason::OverBudget,
            ..
        }
    )));
    assert!(sim.events.contains(&RelayEvent::Kicked {
        player: PlayerSlot(1),
        reason: KickReason::ProtocolViolation,
    }));
    assert!(sim.is_connected(PlayerSlot(0)));
}

#[test]
fn observers_get_every_tick_late_by_the_delay_and_the_rest_once_the_match_ends() {
    const DELAY: u64 = 10;
    let config = RelayConfig {
        observer_delay_ticks: DELAY as u32,
        ..RelayConfig::default()
    };
    let mut sim = Sim::new(2, |i| i, 2, false, config);
    sim.run(20);
    // A third observer comes mid-match: the replay covers what was released before it came,
    // its own feed goes on from the next released tick without a gap.
    let late: scr::keys::PlayerKey = sim::observer_keys(7).public_key().into();
    assert_eq!(sim.core.observer_released_through(), Some(19 - DELAY));
    assert_eq!(sim.core.add_observer(late, &[]), Ok(ObserverId(2)));
    assert_eq!(
        sim.core.add_observer(late, &[]),
        Err(CoreError::NoObserverSeat),
        "one seat per key"
    );
    assert_eq!(
        sim.core
            .add_observer(player_keys(0).public_key().into(), &[]),
        Err(CoreError::NoObserverSeat),
        "players cannot also watch"
    );
    let joined_at = sim.ticks.len();
    sim.run(20);
    let winner = SimOutcome::Victory {
        winner: TeamId(0),
        reason: EndReason::Surrender,
    };
    sim.report_all(winner);
    sim.honest_tick();
    assert!(sim.core.check_match_end().is_some());
    let watched = |sim: &Sim, id: u8| -> Vec<u64> {
        let recipient = Recipient::Observer(ObserverId(id));
        sim.ticks
            .iter()
            .flat_map(|t| {
                let feed = t.feeds.iter().find(|f| f.recipient == recipient).unwrap();
                assert!(
                    feed.ticks
                        .iter()
                        .all(|o| o.tick + DELAY <= t.canonical.tick),
                    "an observer saw a tick less than {DELAY} ticks old"
                );
                feed.ticks.iter().map(|o| o.tick).collect::<Vec<_>>()
            })
            .collect()
    };
    let last = sim.ticks.last().unwrap().canonical.tick;
    for id in 0..2 {
        assert_eq!(watched(&sim, id), (0..=last - DELAY).collect::<Vec<_>>());
    }
    let late_feed: Vec<u64> = sim.ticks[joined_at..]
        .iter()
        .flat_map(|t| {
            let recipient = Recipient::Observer(ObserverId(2));
            let feed = t.feeds.iter().find(|f| f.recipient == recipient).unwrap();
            feed.ticks.iter().map(|o| o.tick).collect::<Vec<_>>()
        })
        .collect();
    assert_eq!(late_feed, (20 - DELAY..=last - DELAY).collect::<Vec<_>>());
    // The end releases the held ticks, identical to the canonical ones (no chat was hidden).
    let tail = sim.core.release_observer_feeds();
    assert_eq!(tail.len(), 3);
    for feed in &tail {
        let ticks: Vec<u64> = feed.ticks.iter().map(|o| o.tick).collect();
        assert_eq!(ticks, (last - DELAY + 1..=last).collect::<Vec<_>>());
        for tick in &feed.ticks {
            assert_eq!(**tick, *sim.ticks[tick.tick as usize].canonical);
        }
    }
    // Released once: nothing is held any more.
    assert!(
        sim.core
            .release_observer_feeds()
            .iter()
            .all(|f| f.ticks.is_empty())
    );
    let (cmr, _) = sim.certify();
    assert_eq!(cmr.observer_delay_ticks, DELAY as u32);
}

#[test]
fn the_first_observer_mid_match_brings_the_unreleased_ticks_from_the_replay() {
    const DELAY: u64 = 10;
    let config = RelayConfig {
        observer_delay_ticks: DELAY as u32,
        ..RelayConfig::default()
    };
    let mut sim = Sim::new(2, |i| i, 0, false, config);
    sim.run(30);
    let key: scr::keys::PlayerKey = sim::observer_keys(3).public_key().into();
    // Nobody watched, so nothing was held: ticks 20..=29 must come from the replay.
    assert_eq!(sim.core.observer_released_through(), Some(29 - DELAY));
    assert_eq!(sim.core.observer_unreleased(), 20..30);
    let recorded: Vec<_> = sim.ticks.iter().map(|t| (*t.canonical).clone()).collect();
    assert_eq!(
        sim.core.add_observer(key, &recorded[19..29]),
        Err(CoreError::ObserverHistory)
    );
    assert_eq!(
        sim.core.add_observer(key, &recorded[20..30]),
        Ok(ObserverId(0))
    );
    let joined_at = sim.ticks.len();
    sim.run(15);
    let recipient = Recipient::Observer(ObserverId(0));
    let fed: Vec<&std::sync::Arc<relay_core::order::TickOrders>> = sim.ticks[joined_at..]
        .iter()
        .flat_map(|t| {
            &t.feeds
                .iter()
                .find(|f| f.recipient == recipient)
                .unwrap()
                .ticks
        })
        .collect();
    let numbers: Vec<u64> = fed.iter().map(|t| t.tick).collect();
    assert_eq!(numbers, (20..=44 - DELAY).collect::<Vec<_>>());
    for tick in fed {
        assert_eq!(**tick, *sim.ticks[tick.tick as usize].canonical);
    }
}
