//! Simulated matches of 2, 4 and 8 players with observers, each ending in a certified result
//! whose fields are checked: consensus, surrender, remake, desync, silent reporters, observers
//! and the connection lifecycle. Conduct and fair play have their own files.

mod sim;

use relay_core::RelayEvent;
use relay_core::cmr::{EndReason, MatchOutcome, PlayerResult};
use relay_core::core::{CoreError, RelayConfig};
use relay_core::filters::Recipient;
use relay_core::frames::{KickReason, SimOutcome};
use relay_core::ids::{ObserverId, PlayerSlot, TeamId};
use relay_core::order::{ChatChannel, VoteKind};
use sha2::{Digest, Sha256};
use sim::{Sim, chat, chat_texts, connect, player_keys, results, vote};

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
