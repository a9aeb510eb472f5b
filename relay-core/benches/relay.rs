//! Hot-path benchmarks of the relay: `finalize_tick` for 8 players × 16 orders (per order), and
//! whole simulated match-ticks (batches in, liveness, finalize) per second on one core.

// A benchmark fails loudly when its fixed setup is wrong, like a test; criterion_group! makes
// undocumented functions.
#![allow(clippy::expect_used, missing_docs)]

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use rand_chacha::ChaCha8Rng;
use rand_core::SeedableRng;
use relay_core::connection::{Connection, InGame, auth_message};
use relay_core::core::{MatchSetup, ObserverSeat, PlayerSeat, RelayConfig, RelayCore};
use relay_core::filters::{ReplaySink, ReplaySinkError};
use relay_core::frames::{ClientOrder, OrderBatch};
use relay_core::ids::{ObserverId, PlayerSlot, TeamId};
use relay_core::order::PlayerOrder;
use scr::keys::KeyPair;

const PLAYERS: u8 = 8;
const START_US: u64 = 1_750_000_000_000_000;
const TICK_US: u64 = 66_667;

/// Replays are hashed by the recorder; a benchmark must not keep them in memory.
struct DiscardSink;

impl ReplaySink for DiscardSink {
    fn write(&mut self, _bytes: &[u8]) -> Result<(), ReplaySinkError> {
        Ok(())
    }
}

struct Match {
    core: RelayCore,
    players: Vec<Connection<InGame>>,
    rng: ChaCha8Rng,
}

fn new_match() -> Match {
    let keys: Vec<KeyPair> = (0..PLAYERS)
        .map(|i| KeyPair::from_seed([10 + i; 32]))
        .collect();
    let setup = MatchSetup {
        relay_key: KeyPair::from_seed([1; 32]).public_key().into(),
        community_key: KeyPair::from_seed([2; 32]).public_key().into(),
        game_id: 1,
        game_module: "ra1".into(),
        map_name: "Bench".into(),
        map_hash: [0; 32],
        ranked: true,
        tick_interval_us: TICK_US as u32,
        start_us: START_US,
        players: (0..PLAYERS)
            .map(|i| PlayerSeat {
                slot: PlayerSlot(i),
                team: TeamId(i % 2),
                key: keys[usize::from(i)].public_key().into(),
            })
            .collect(),
        observers: vec![ObserverSeat {
            id: ObserverId(0),
            key: KeyPair::from_seed([99; 32]).public_key().into(),
        }],
    };
    let core =
        RelayCore::new(setup, RelayConfig::default(), Box::new(DiscardSink)).expect("valid setup");
    let players = keys
        .iter()
        .map(|k| {
            let challenge = [3; 32];
            let binding = [4; 32];
            let signature = k.sign(&auth_message(1, &challenge, &binding));
            Connection::new(k.public_key().into(), 1, challenge)
                .authenticate(&signature, &binding)
                .expect("signed")
                .join_lobby()
                .start_game(&core)
                .expect("seated")
        })
        .collect();
    Match {
        core,
        players,
        rng: ChaCha8Rng::seed_from_u64(5),
    }
}

impl Match {
    /// Every player's batch of `orders` for the open tick, arriving 30 ms into its window.
    fn receive_batches(&mut self, orders: u32) {
        let tick = self.core.open_tick();
        let window = START_US + tick * TICK_US;
        for (i, player) in self.players.iter().enumerate() {
            let batch = OrderBatch {
                tick,
                client_send_us: window + 10_000,
                orders: (0..orders)
                    .map(|o| ClientOrder {
                        sub_tick_hint_us: 10_000 - o * 100 + i as u32,
                        order: PlayerOrder::Game {
                            type_tag: 3,
                            payload: vec![o as u8; 12],
                        },
                    })
                    .collect(),
            };
            self.core
                .receive_batch(player, batch, window + 30_000)
                .expect("accepted");
        }
    }

    fn liveness(&mut self) {
        for (i, player) in self.players.iter().enumerate() {
            let now = self.core.next_deadline_us();
            let token = self
                .core
                .next_liveness_token(PlayerSlot(i as u8), now, &mut self.rng)
                .expect("connected");
            self.core
                .receive_liveness_echo(player, token)
                .expect("echo");
        }
    }

    fn finalize(&mut self) {
        let now = self.core.next_deadline_us();
        black_box(self.core.finalize_tick(now).expect("running"));
    }
}

fn finalize_tick(c: &mut Criterion) {
    let mut group = c.benchmark_group("finalize_tick");
    group.throughput(Throughput::Elements(u64::from(PLAYERS) * 16));
    group.bench_function("8_players_x_16_orders", |b| {
        let mut m = new_match();
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                m.receive_batches(16);
                let started = Instant::now();
                m.finalize();
                total += started.elapsed();
            }
            total
        });
    });
    group.finish();
}

fn match_ticks(c: &mut Criterion) {
    let mut group = c.benchmark_group("match_tick");
    group.throughput(Throughput::Elements(1));
    for orders in [1u32, 16] {
        group.bench_function(format!("8_players_x_{orders}_orders"), |b| {
            let mut m = new_match();
            b.iter(|| {
                m.receive_batches(orders);
                m.liveness();
                m.finalize();
            });
        });
    }
    group.finish();
}

criterion_group!(benches, finalize_tick, match_ticks);
criterion_main!(benches);
