//! Match conduct in simulated matches: abandons and the grace void, chat restriction, pauses,
//! a restart, and a relay that falls behind, each checked down to the certified result.

mod sim;

use relay_core::RelayEvent;
use relay_core::cmr::{EndReason, MatchOutcome, PlayerResult};
use relay_core::core::{CoreError, PlayerStatus, RelayConfig};
use relay_core::filters::Recipient;
use relay_core::frames::SimOutcome;
use relay_core::ids::{PlayerSlot, TeamId};
use relay_core::order::{ChatChannel, PlayerOrder, VoteKind};
use sim::{Sim, TICK_US, chat, chat_texts, connect, player_keys, results, vote};

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
fn loss_to_every_player_for_long_certifies_a_degraded_result_and_one_bad_line_does_not() {
    use relay_core::core::DegradedCause;
    let config = RelayConfig {
        degraded_loss_permille: 50,
        degraded_loss_windows: 3,
        ..RelayConfig::default()
    };
    let mut sim = Sim::new(2, |i| i, 0, true, config);
    sim.run(10);
    // One player's line loses a third of the packets for long: that player's problem.
    for _ in 0..10 {
        sim.core.observe_relay_loss(&[330, 0]);
        sim.run(1);
    }
    // Both lose 6 % for three windows: the relay's side.
    for _ in 0..3 {
        sim.core.observe_relay_loss(&[60, 70]);
        sim.run(1);
    }
    sim.core.observe_relay_loss(&[90, 90]);
    sim.run(1);
    let degraded: Vec<_> = sim
        .events
        .iter()
        .filter(|e| matches!(e, RelayEvent::Degraded { .. }))
        .collect();
    assert!(
        matches!(
            degraded.as_slice(),
            [RelayEvent::Degraded {
                cause: DegradedCause::Loss,
                ..
            }]
        ),
        "{degraded:?}"
    );
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
