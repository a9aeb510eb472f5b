//! Fair play in simulated matches: a lag switch gets idle ticks and strikes, a clock-skew
//! cheater cannot jump the queue, floods are cut to the budget then kicked, and the deadline
//! follows sustained lateness, while honest players never stall.

mod sim;

use relay_core::cmr::{EndReason, MatchOutcome, PlayerResult};
use relay_core::core::{PlayerStatus, RelayConfig};
use relay_core::filters::{BURST_ORDERS, REFILL_PER_TICK, RejectReason};
use relay_core::frames::{KickReason, SimOutcome};
use relay_core::ids::{PlayerSlot, TeamId};
use relay_core::order::{PlayerOrder, VoteKind};
use relay_core::{Receipt, RelayEvent};
use sim::{Sim, game_order, results, vote};

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
