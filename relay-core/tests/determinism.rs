//! Determinism: identical arrivals give byte-identical tick streams, hashes and results, and
//! the arrival order of different players' batches never changes the canonical order.

// Test helpers outside `#[test]` functions fail the test by panicking, like the tests themselves.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod sim;

use proptest::prelude::*;
use relay_core::cmr::EndReason;
use relay_core::core::RelayConfig;
use relay_core::frames::{ClientOrder, Frame, SimOutcome};
use relay_core::ids::{PlayerSlot, TeamId};
use relay_core::order::{ChatChannel, PlayerOrder, VoteKind};
use sim::{Sim, game_order};

/// A busy scripted match: chat, a flood, a silent spell, a surrender vote that does not pass,
/// then a consensus end. Returns every frame the relay would send and the signed result.
fn scripted_match() -> (Vec<u8>, [u8; 32], Vec<u8>) {
    let mut sim = Sim::new(
        4,
        |i| i % 2,
        2,
        true,
        RelayConfig {
            observer_delay_ticks: 3,
            ..RelayConfig::default()
        },
    );
    for tick in 0..120u64 {
        if tick == 50 {
            sim.silent.insert(PlayerSlot(3));
        }
        if tick == 65 {
            sim.silent.clear();
        }
        sim.tick_with(|slot, tick| match (slot, tick % 7) {
            (0, 0) => vec![ClientOrder {
                sub_tick_hint_us: 5_000,
                order: PlayerOrder::Chat {
                    channel: ChatChannel::Team,
                    text: format!("t{tick}"),
                },
            }],
            (1, 3) => (0..40).map(|i| game_order(1, i, 15_000)).collect(),
            (2, 5) if tick == 33 => vec![ClientOrder {
                sub_tick_hint_us: 1,
                order: PlayerOrder::Vote(VoteKind::Surrender),
            }],
            _ => Vec::new(),
        });
    }
    sim.report_all(SimOutcome::Victory {
        winner: TeamId(1),
        reason: EndReason::Elimination,
    });
    sim.honest_tick();
    let mut stream = Vec::new();
    for tick in &sim.ticks {
        stream.extend_from_slice(
            &Frame::TickOrders((*tick.canonical).clone())
                .to_bytes()
                .unwrap(),
        );
        for feed in &tick.feeds {
            for copy in &feed.ticks {
                stream.extend_from_slice(&Frame::TickOrders((**copy).clone()).to_bytes().unwrap());
            }
        }
    }
    let cmr = sim
        .core
        .certify(&sim::relay_keys(), sim.now_us)
        .unwrap()
        .into_bytes();
    (stream, sim.core.order_stream_hash(), cmr)
}

#[test]
fn the_same_arrivals_give_byte_identical_streams_hashes_and_results() {
    let first = scripted_match();
    let second = scripted_match();
    assert!(!first.0.is_empty());
    assert_eq!(first.0, second.0);
    assert_eq!(first.1, second.1);
    assert_eq!(first.2, second.2);
}

/// One player's batch for tick 0: arrival offset in the window and orders with hints.
fn batches() -> impl Strategy<Value = Vec<(u64, Vec<u32>)>> {
    // Few distinct arrival offsets and hints so that equal normalized times are common.
    let batch = (
        prop::sample::select(vec![20_000u64, 30_000, 45_000]),
        prop::collection::vec(prop::sample::select(vec![0u32, 5_000, 10_000]), 1..4),
    );
    prop::collection::vec(batch, 8)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn arrival_order_across_players_does_not_change_the_canonical_order(
        batches in batches(),
        order in Just((0..8u8).collect::<Vec<_>>()).prop_shuffle(),
    ) {
        let run = |feed_order: &[u8]| {
            let mut sim = Sim::new(8, |i| i % 2, 0, false, RelayConfig::default());
            for &slot in feed_order {
                let (arrival_offset, hints) = &batches[usize::from(slot)];
                let orders = hints.iter().enumerate()
                    .map(|(i, hint)| game_order(slot, i as u64, *hint))
                    .collect();
                let arrival = sim.window_start(0) + arrival_offset;
                sim.send_raw(slot, 0, arrival - sim::ONE_WAY_US, arrival, orders);
            }
            sim.core.finalize_tick(sim.core.next_deadline_us()).unwrap()
        };
        let in_slot_order = run(&(0..8).collect::<Vec<_>>());
        let shuffled = run(&order);
        prop_assert_eq!(&in_slot_order.canonical, &shuffled.canonical);
        // And the list is sorted by (normalized time, slot).
        let keys: Vec<_> = shuffled.canonical.orders.iter().map(|o| o.sort_key()).collect();
        prop_assert!(keys.windows(2).all(|w| w[0] <= w[1]));
    }
}
