//! A scripted match driver for behaviour tests: honest clients with fixed latencies and clock
//! offsets, hooks for cheaters, and checks shared by every scenario.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};

use rand_chacha::ChaCha8Rng;
use rand_core::SeedableRng;
use relay_core::cmr::{CertifiedMatchResult, TrustedRelays, Verified};
use relay_core::connection::{Connection, InGame, auth_message};
use relay_core::core::{MatchSetup, ObserverSeat, PlayerSeat, RelayConfig, RelayCore};
use relay_core::filters::{ReplaySink, ReplaySinkError};
use relay_core::frames::{ClientOrder, OrderBatch, SimOutcome};
use relay_core::ids::{ObserverId, PlayerSlot, SimTick, TeamId};
use relay_core::order::PlayerOrder;
use relay_core::qos::PlayerCalibration;
use relay_core::{FinalizedTick, Receipt, RelayEvent};
use scr::keys::KeyPair;
use sha2::{Digest, Sha256};

pub const START_US: u64 = 1_750_000_000_000_000;
pub const TICK_US: u32 = 66_667;
pub const ONE_WAY_US: u64 = 20_000;

/// Replay bytes shared between the core's sink and the test.
#[derive(Clone, Default)]
pub struct SharedSink(pub Arc<Mutex<Vec<u8>>>);

impl ReplaySink for SharedSink {
    fn write(&mut self, bytes: &[u8]) -> Result<(), ReplaySinkError> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(())
    }
}

pub fn relay_keys() -> KeyPair {
    KeyPair::from_seed([1; 32])
}

pub fn community_keys() -> KeyPair {
    KeyPair::from_seed([2; 32])
}

pub fn player_keys(slot: u8) -> KeyPair {
    KeyPair::from_seed([10 + slot; 32])
}

pub fn observer_keys(id: u8) -> KeyPair {
    KeyPair::from_seed([100 + id; 32])
}

/// Authenticates a key pair the way a real client would and seats it.
pub fn connect(core: &RelayCore, keys: &KeyPair) -> Connection<InGame> {
    let challenge = [7; 32];
    let binding = [9; 32];
    let connecting = Connection::new(keys.public_key().into(), core.game_id(), challenge);
    let signature = keys.sign(&auth_message(core.game_id(), &challenge, &binding));
    connecting
        .authenticate(&signature, &binding)
        .unwrap()
        .join_lobby()
        .start_game(core)
        .unwrap()
}

pub struct Sim {
    pub core: RelayCore,
    pub players: BTreeMap<PlayerSlot, Connection<InGame>>,
    pub observers: Vec<Connection<InGame>>,
    pub replay: SharedSink,
    pub ticks: Vec<FinalizedTick>,
    pub events: Vec<RelayEvent>,
    /// Relay clock minus client clock, per player.
    pub clock_offset_us: BTreeMap<PlayerSlot, i64>,
    /// Players that neither send nor echo.
    pub silent: BTreeSet<PlayerSlot>,
    /// Players whose sync hash differs from the others from this tick on.
    pub diverged_from: BTreeMap<PlayerSlot, SimTick>,
    rng: ChaCha8Rng,
    pub now_us: u64,
    /// How late (µs) after each tick's deadline the relay finalizes it (0: on time).
    pub lateness_us: u64,
}

impl Sim {
    /// `team_of(slot)` assigns teams; observers get ids 0..observers.
    pub fn new(
        players: u8,
        team_of: impl Fn(u8) -> u8,
        observers: u8,
        ranked: bool,
        config: RelayConfig,
    ) -> Sim {
        let setup = MatchSetup {
            relay_key: relay_keys().public_key().into(),
            community_key: community_keys().public_key().into(),
            game_id: 4242,
            game_module: "ra1".into(),
            map_name: "Test Arena".into(),
            map_hash: [0x5a; 32],
            ranked,
            tick_interval_us: TICK_US,
            start_us: START_US,
            players: (0..players)
                .map(|i| PlayerSeat {
                    slot: PlayerSlot(i),
                    team: TeamId(team_of(i)),
                    key: player_keys(i).public_key().into(),
                })
                .collect(),
            observers: (0..observers)
                .map(|i| ObserverSeat {
                    id: ObserverId(i),
                    key: observer_keys(i).public_key().into(),
                })
                .collect(),
        };
        let replay = SharedSink::default();
        let mut core = RelayCore::new(setup, config, Box::new(replay.clone())).unwrap();
        core.apply_calibration(
            &(0..players)
                .map(|i| PlayerCalibration {
                    player: PlayerSlot(i),
                    median_rtt_us: 2 * ONE_WAY_US,
                    jitter_us: 2_000,
                })
                .collect::<Vec<_>>(),
        );
        let player_conns = (0..players)
            .map(|i| (PlayerSlot(i), connect(&core, &player_keys(i))))
            .collect();
        let observer_conns = (0..observers)
            .map(|i| connect(&core, &observer_keys(i)))
            .collect();
        Sim {
            core,
            players: player_conns,
            observers: observer_conns,
            replay,
            ticks: Vec::new(),
            events: Vec::new(),
            clock_offset_us: (0..players)
                .map(|i| (PlayerSlot(i), 3_000_000 + i64::from(i) * 1_000))
                .collect(),
            silent: BTreeSet::new(),
            diverged_from: BTreeMap::new(),
            rng: ChaCha8Rng::seed_from_u64(99),
            now_us: START_US,
            lateness_us: 0,
        }
    }

    pub fn window_start(&self, tick: SimTick) -> u64 {
        START_US + tick * u64::from(TICK_US)
    }

    /// Sends a batch for `tick` that left the client `send_offset_us` into the tick window
    /// (relay clock) and arrives one one-way latency later.
    pub fn send_at(
        &mut self,
        slot: u8,
        tick: SimTick,
        send_offset_us: u64,
        orders: Vec<ClientOrder>,
    ) -> Receipt {
        let send_relay = self.window_start(tick) + send_offset_us;
        self.send_raw(slot, tick, send_relay, send_relay + ONE_WAY_US, orders)
    }

    /// Sends with an explicit relay-clock send time (converted to the client clock) and arrival.
    pub fn send_raw(
        &mut self,
        slot: u8,
        tick: SimTick,
        send_relay_us: u64,
        arrival_us: u64,
        orders: Vec<ClientOrder>,
    ) -> Receipt {
        let player = PlayerSlot(slot);
        let offset = self.clock_offset_us[&player];
        let batch = OrderBatch {
            tick,
            client_send_us: (send_relay_us as i64 - offset) as u64,
            orders,
        };
        self.core
            .receive_batch(&self.players[&player], batch, arrival_us)
            .unwrap()
    }

    /// One tick: every connected, non-silent player sends one game order (hint = its send
    /// offset), `extra` adds orders, liveness is exchanged, sync hashes go out at the cadence,
    /// and the tick is finalized at its deadline.
    pub fn tick_with(
        &mut self,
        mut extra: impl FnMut(u8, SimTick) -> Vec<ClientOrder>,
    ) -> &FinalizedTick {
        let tick = self.core.open_tick();
        let slots: Vec<u8> = self.players.keys().map(|p| p.0).collect();
        for slot in slots {
            let player = PlayerSlot(slot);
            if !self.is_connected(player) || self.silent.contains(&player) {
                continue;
            }
            let send_offset = 10_000 + u64::from(slot) * 1_000;
            let mut orders = vec![game_order(slot, tick, send_offset as u32)];
            orders.extend(extra(slot, tick));
            self.send_at(slot, tick, send_offset, orders);
            let token = self
                .core
                .next_liveness_token(player, self.window_start(tick), &mut self.rng)
                .unwrap();
            self.core
                .receive_liveness_echo(&self.players[&player], token)
                .unwrap();
            if tick % 30 == 0 {
                let diverged = self
                    .diverged_from
                    .get(&player)
                    .is_some_and(|from| tick >= *from);
                let hash = if diverged {
                    0xdead_0000 + tick
                } else {
                    tick.wrapping_mul(0x9e37_79b9)
                };
                self.core
                    .receive_sync_hash(&self.players[&player], tick, hash)
                    .unwrap();
            }
        }
        for player in self.silent.clone() {
            if self.is_connected(player) {
                // Frames still go out to a silent player; it never echoes.
                let _ =
                    self.core
                        .next_liveness_token(player, self.window_start(tick), &mut self.rng);
            }
        }
        self.now_us = self.core.next_deadline_us() + self.lateness_us;
        let finalized = self.core.finalize_tick(self.now_us).unwrap();
        self.events.extend(finalized.events.iter().cloned());
        self.ticks.push(finalized);
        self.ticks.last().unwrap()
    }

    pub fn honest_tick(&mut self) -> &FinalizedTick {
        self.tick_with(|_, _| Vec::new())
    }

    /// Runs honest ticks until `ticks` have passed or the match ends.
    pub fn run(&mut self, ticks: u64) {
        for _ in 0..ticks {
            if self.core.check_match_end().is_some() {
                return;
            }
            self.honest_tick();
        }
    }

    pub fn is_connected(&self, player: PlayerSlot) -> bool {
        self.core
            .roster()
            .get(player)
            .is_some_and(|p| p.status.is_connected())
    }

    /// Every connected player reports `outcome` with the same state hash.
    pub fn report_all(&mut self, outcome: SimOutcome) {
        let tick = self.core.open_tick();
        let slots: Vec<PlayerSlot> = self
            .players
            .keys()
            .copied()
            .filter(|p| self.is_connected(*p))
            .collect();
        for player in slots {
            self.core
                .record_game_ended_report(
                    &self.players[&player],
                    tick,
                    outcome,
                    [0x77; 32],
                    self.now_us,
                )
                .unwrap();
        }
    }

    pub fn certify(&self) -> (Verified<CertifiedMatchResult>, Vec<u8>) {
        let signed = self.core.certify(&relay_keys(), self.now_us).unwrap();
        let trusted = TrustedRelays::new([relay_keys().public_key().into()]).unwrap();
        let verified = trusted
            .verify(signed.as_bytes(), &community_keys().public_key().into())
            .unwrap();
        (verified, signed.into_bytes())
    }

    /// Checks the fields every certified result of this driver must have.
    pub fn check_common_fields(&self, cmr: &CertifiedMatchResult) {
        assert_eq!(cmr.game_id, 4242);
        assert_eq!(cmr.game_module, "ra1");
        assert_eq!(cmr.map_name, "Test Arena");
        assert_eq!(cmr.map_hash, [0x5a; 32]);
        assert_eq!(cmr.tick_interval_us, TICK_US);
        assert_eq!(cmr.started_at_us, START_US as i64);
        assert_eq!(cmr.ended_at_us, self.now_us as i64);
        assert_eq!(cmr.final_tick, self.ticks.last().unwrap().canonical.tick);
        assert_eq!(cmr.order_stream_hash, self.core.order_stream_hash());
        let replay = self.replay.0.lock().unwrap();
        assert_eq!(cmr.replay_hash, <[u8; 32]>::from(Sha256::digest(&*replay)));
        assert_eq!(cmr.players.len(), self.players.len());
        for (player, entry) in self.players.keys().zip(&cmr.players) {
            assert_eq!(entry.slot, *player);
            assert_eq!(entry.key, player_keys(player.0).public_key().into());
        }
        // Observers never appear in the result.
        for id in 0..self.observers.len() as u8 {
            let key: scr::keys::PlayerKey = observer_keys(id).public_key().into();
            assert!(cmr.players.iter().all(|p| p.key != key));
        }
    }

    pub fn strikes(&self, player: PlayerSlot) -> u32 {
        self.events
            .iter()
            .filter_map(|e| match e {
                RelayEvent::Strike { player: p, total } if *p == player => Some(*total),
                _ => None,
            })
            .max()
            .unwrap_or(0)
    }
}

pub fn game_order(slot: u8, tick: SimTick, hint: u32) -> ClientOrder {
    ClientOrder {
        sub_tick_hint_us: hint,
        order: PlayerOrder::Game {
            type_tag: 1,
            payload: [u64::from(slot).to_le_bytes(), tick.to_le_bytes()].concat(),
        },
    }
}

/// A vote order.
pub fn vote(kind: relay_core::order::VoteKind) -> ClientOrder {
    ClientOrder {
        sub_tick_hint_us: 40_000,
        order: relay_core::order::PlayerOrder::Vote(kind),
    }
}

/// A chat order.
pub fn chat(channel: relay_core::order::ChatChannel, text: &str) -> ClientOrder {
    ClientOrder {
        sub_tick_hint_us: 12_000,
        order: relay_core::order::PlayerOrder::Chat {
            channel,
            text: text.into(),
        },
    }
}

/// Every player's result in the certified result.
pub fn results(sim: &Sim) -> Vec<relay_core::cmr::PlayerResult> {
    sim.certify().0.players.iter().map(|p| p.result).collect()
}

/// The chat texts among `orders`.
pub fn chat_texts(orders: &[relay_core::order::TimestampedOrder]) -> Vec<String> {
    orders
        .iter()
        .filter_map(|o| match &o.order {
            relay_core::order::PlayerOrder::Chat { text, .. } => Some(text.clone()),
            _ => None,
        })
        .collect()
}
