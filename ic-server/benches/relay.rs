//! The relay under load: concurrent 2-player matches at 15 orders per second per player, the
//! relay in its own process, side by side with a minimal QUIC forwarder moving the same orders.
//!
//! Run: `cargo bench -p ic-server --bench relay` (prints markdown tables; a few minutes).
//! `IC_RELAY_BENCH_MATCHES=50,100` picks the steps, `IC_RELAY_BENCH_MEASURE_SECS` the window.
//!
//! The bench binary plays three roles. Started normally it is the driver: for each step it
//! starts itself again as a child process serving either the relay (`RelayService`, exactly as
//! `ic-server` runs it) or the forwarder, runs `ic_client::relay::load` against the child, and
//! reads the child's CPU time and resident memory from `/proc/<pid>/`. A separate process is
//! what makes the server's CPU honest: the load generator's QUIC work (as large as the
//! server's) never lands in the server's account, and the process accounting includes every
//! thread the server uses (tokio workers, blocking pool, quinn's drivers).
//!
//! The forwarder is the baseline: quinn with the relay's TLS configuration, transport settings
//! and socket buffers, the same handshake frames (the ticket only decoded, the challenge answer not
//! checked), and no `RelayCore`: each received `OrderBatch` is re-framed as a `TickOrders`
//! frame and queued to the opponent's writer at once, through the same kind of coalescing
//! writer task the relay uses. No ticks, no deadlines, no liveness, no hashing or filters.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)] // benchmark harness

#[path = "support/process.rs"]
mod process;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use ic_client::relay::load::{LoadPlan, LoadReport, LoadRun};
use ic_server::community::Community;
use ic_server::config::RelaySettings;
use ic_server::relay::{
    FrameReader, RelayMetrics, RelayOptions, RelayService, SOCKET_BUFFER_BYTES, server_config,
    write_coalesced,
};
use process::{TICK_INTERVAL_US, command_output, cpu_seconds, rss_bytes, tickets, udp_drops};
use rand::RngCore;
use rand::rngs::OsRng;
use relay_core::frames::{DisconnectReason, Frame, Seat};
use relay_core::order::{TickOrders, TimestampedOrder};
use relay_core::qos::QosProfile;
use relay_core::ticket::{MatchTicket, TicketSeat};
use scr::{KeyPair, RecoveryKey};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::sync::{mpsc, oneshot};

/// Orders per second per player (the load).
const ORDERS_PER_SECOND: u32 = 15;
/// Steps of concurrent matches unless `IC_RELAY_BENCH_MATCHES` says otherwise.
const STEPS: [usize; 8] = [50, 100, 200, 300, 400, 500, 750, 1000];
/// The goal: relay-added p99 under this, and no lost order.
const P99_GOAL_US: u32 = 5_000;
/// Client UDP sockets of the load generator.
const CLIENT_ENDPOINTS: usize = 8;
/// Frames queued per forwarder peer (the relay's outbound queue is as deep).
const FORWARD_QUEUE: usize = 4096;

const ROLE: &str = "IC_RELAY_BENCH_ROLE";
const RELAY_SEED: &str = "IC_RELAY_BENCH_RELAY_SEED";
const COMMUNITY_SEED: &str = "IC_RELAY_BENCH_COMMUNITY_SEED";

fn main() {
    let role = std::env::var(ROLE).unwrap_or_default();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    match role.as_str() {
        "relay" => runtime.block_on(serve_relay()),
        "forwarder" => runtime.block_on(serve_forwarder()),
        _ => runtime.block_on(drive()),
    }
}

fn seed_from_env(name: &str) -> [u8; 32] {
    let hex = std::env::var(name).unwrap();
    hex::decode(hex).unwrap().try_into().unwrap()
}

/// The QUIC transport settings the relay uses (`RelayService::start`), for the forwarder.
fn relay_transport() -> quinn::TransportConfig {
    let mut transport = quinn::TransportConfig::default();
    transport.max_idle_timeout(Some(
        quinn::IdleTimeout::try_from(Duration::from_secs(15)).unwrap(),
    ));
    transport.max_concurrent_bidi_streams(1u8.into());
    transport.max_concurrent_uni_streams(0u8.into());
    transport
}

// ---------------------------------------------------------------------------------------------
// Child: the relay.

async fn serve_relay() {
    let signing = KeyPair::from_seed(seed_from_env(COMMUNITY_SEED));
    let relay_keys = KeyPair::from_seed(seed_from_env(RELAY_SEED));
    let recovery = RecoveryKey::from(KeyPair::generate(&mut OsRng).public_key());
    let community = Arc::new(
        Community::new(
            "bench".into(),
            "http://127.0.0.1".into(),
            signing,
            recovery,
            relay_keys,
            Vec::new(),
        )
        .unwrap(),
    );
    let registry = ic_server::metrics::Metrics::new().unwrap();
    let metrics = RelayMetrics::register(&registry).unwrap();
    let mut options = RelayOptions::from_settings(&RelaySettings::default());
    options.listen = "127.0.0.1:0".parse().unwrap();
    // Every simulated player connects from loopback, all at once.
    options.max_handshakes_per_address = options.max_connections;
    // No result sink: certified results go to the players only (no ranking in this process).
    let relay = RelayService::start(options, community, None, metrics.clone()).unwrap();
    println!("ready {}", relay.local_addr().unwrap());
    let mut lines = BufReader::new(tokio::io::stdin()).lines();
    while let Ok(Some(line)) = lines.next_line().await {
        if line == "stats" {
            println!("{}", relay_stats(&metrics));
        }
    }
    relay.shutdown().await;
}

/// The relay's own counters, for the notes under the table.
fn relay_stats(metrics: &RelayMetrics) -> String {
    let dropped: u64 = ["order_too_large", "too_many_orders", "over_budget"]
        .iter()
        .map(|l| metrics.orders_dropped.with_label_values(&[l]).get())
        .sum();
    let kicks: u64 = [
        "lag_strikes",
        "desync",
        "unresponsive",
        "protocol_violation",
        "authentication_failed",
    ]
    .iter()
    .map(|l| metrics.kicks.with_label_values(&[l]).get())
    .sum();
    let ticks = metrics.tick_seconds.get_sample_count();
    let tick_mean_us = if ticks == 0 {
        0.0
    } else {
        metrics.tick_seconds.get_sample_sum() / ticks as f64 * 1e6
    };
    format!(
        "received={} forwarded={} dropped={} late={} strikes={} kicks={} ticks={} tick_mean_us={:.1}",
        metrics.orders_received.get(),
        metrics.orders_forwarded.get(),
        dropped,
        metrics.late_batches.get(),
        metrics.strikes.get(),
        kicks,
        ticks,
        tick_mean_us
    )
}

// ---------------------------------------------------------------------------------------------
// Child: the minimal forwarder.

/// A player waiting for its opponent: its writer queue and where to hand the opponent's.
type Waiting = (mpsc::Sender<Bytes>, oneshot::Sender<mpsc::Sender<Bytes>>);

async fn serve_forwarder() {
    let relay_keys = KeyPair::from_seed(seed_from_env(RELAY_SEED));
    let mut server = server_config(&relay_keys).unwrap();
    server.transport_config(Arc::new(relay_transport()));
    // The relay's socket setup: the same buffer sizes.
    let socket = socket2::Socket::new(
        socket2::Domain::IPV4,
        socket2::Type::DGRAM,
        Some(socket2::Protocol::UDP),
    )
    .unwrap();
    socket.set_recv_buffer_size(SOCKET_BUFFER_BYTES).unwrap();
    socket.set_send_buffer_size(SOCKET_BUFFER_BYTES).unwrap();
    let address: SocketAddr = "127.0.0.1:0".parse().unwrap();
    socket.bind(&address.into()).unwrap();
    let endpoint = quinn::Endpoint::new(
        quinn::EndpointConfig::default(),
        Some(server),
        socket.into(),
        quinn::default_runtime().unwrap(),
    )
    .unwrap();
    println!("ready {}", endpoint.local_addr().unwrap());
    let waiting: Arc<Mutex<HashMap<u64, Waiting>>> = Arc::default();
    let accept = {
        let endpoint = endpoint.clone();
        tokio::spawn(async move {
            while let Some(incoming) = endpoint.accept().await {
                let waiting = waiting.clone();
                tokio::spawn(async move {
                    let _ = forward_connection(incoming, waiting).await;
                });
            }
        })
    };
    // Runs until the driver closes stdin.
    let mut sink = Vec::new();
    let _ = tokio::io::stdin().read_to_end(&mut sink).await;
    accept.abort();
    endpoint.close(0u32.into(), b"done");
}

fn bytes(frame: &Frame) -> Bytes {
    frame.to_bytes().unwrap().freeze()
}

async fn forward_connection(
    incoming: quinn::Incoming,
    waiting: Arc<Mutex<HashMap<u64, Waiting>>>,
) -> anyhow::Result<()> {
    let connection = incoming.await?;
    let (mut send, recv) = connection.accept_bi().await?;
    let mut frames = FrameReader::new(recv);
    let Some(Frame::ClientHello { game_id, .. }) = frames.next().await? else {
        anyhow::bail!("expected ClientHello");
    };
    let Some(Frame::Ticket(ticket)) = frames.next().await? else {
        anyhow::bail!("expected Ticket");
    };
    let (ticket, _) = MatchTicket::decode_unverified(&ticket)?;
    let TicketSeat::Player { slot, team } = ticket.seat else {
        anyhow::bail!("the forwarder only seats players");
    };
    let mut challenge = [0u8; 32];
    OsRng.fill_bytes(&mut challenge);
    send.write_all(&bytes(&Frame::AuthChallenge { challenge }))
        .await?;
    let Some(Frame::AuthResponse { .. }) = frames.next().await? else {
        anyhow::bail!("expected AuthResponse");
    };
    send.write_all(&bytes(&Frame::AuthAccepted {
        seat: Seat::Player { slot, team },
    }))
    .await?;
    let (out, queue) = mpsc::channel::<Bytes>(FORWARD_QUEUE);
    tokio::spawn(write_coalesced(send, queue, connection.clone()));
    // Pair the two players of the game; the second to arrive starts the match for both.
    let waiter = {
        let mut waiting = waiting.lock().unwrap();
        match waiting.remove(&game_id) {
            Some(first) => Err(first),
            None => {
                let (tx, rx) = oneshot::channel();
                waiting.insert(game_id, (out.clone(), tx));
                Ok(rx)
            }
        }
    };
    let opponent = match waiter {
        Ok(rx) => rx.await?,
        Err((their_out, their_handoff)) => {
            let _ = their_handoff.send(out.clone());
            let start = bytes(&Frame::MatchStart {
                start_us: unix_now_us() + 500_000,
                tick_interval_us: ticket.settings.tick_interval_us,
                open_tick: 0,
            });
            let _ = their_out.try_send(start.clone());
            let _ = out.try_send(start);
            their_out
        }
    };
    while let Some(frame) = frames.next().await? {
        match frame {
            Frame::OrderBatch(batch) => {
                let tick = TickOrders {
                    tick: batch.tick,
                    orders: batch
                        .orders
                        .into_iter()
                        .map(|o| TimestampedOrder {
                            player: slot,
                            sub_tick_us: o.sub_tick_hint_us,
                            order: o.order,
                        })
                        .collect(),
                };
                let _ = opponent.try_send(bytes(&Frame::TickOrders(tick)));
            }
            Frame::GameEndedReport { .. } => {
                let _ = out.try_send(bytes(&Frame::Disconnect {
                    reason: DisconnectReason::MatchOver,
                }));
                break;
            }
            _ => {}
        }
    }
    Ok(())
}

fn unix_now_us() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_micros()).unwrap_or(u64::MAX))
}

// ---------------------------------------------------------------------------------------------
// Driver.

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Server {
    Relay,
    Forwarder,
}

impl Server {
    fn name(self) -> &'static str {
        match self {
            Server::Relay => "relay",
            Server::Forwarder => "forwarder",
        }
    }
}

/// One server process under one load.
struct Outcome {
    report: LoadReport,
    /// Server CPU seconds per wall second during the window.
    server_cores: f64,
    /// Load generator (this process) CPU seconds per wall second during the window.
    driver_cores: f64,
    /// Server resident memory growth from idle to the end of the window (bytes).
    rss_delta: i64,
    /// UDP datagrams dropped for a full receive buffer: server socket, load generator sockets.
    udp_drops: (u64, u64),
    /// The relay's own counters.
    stats: Option<String>,
}

struct Keys {
    community: KeyPair,
    relay: KeyPair,
}

async fn run(server: Server, matches: usize, keys: &Keys, measure: Duration) -> Outcome {
    let ticks_per_second = process::ticks_per_second();
    let mut child = tokio::process::Command::new(std::env::current_exe().unwrap())
        .env(ROLE, server.name())
        .env(RELAY_SEED, hex::encode(keys.relay.seed()))
        .env(COMMUNITY_SEED, hex::encode(keys.community.seed()))
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let pid = child.id().unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let ready = lines.next_line().await.unwrap().unwrap();
    let address: SocketAddr = ready.strip_prefix("ready ").unwrap().parse().unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    let idle_rss = rss_bytes(pid);

    let plan = LoadPlan {
        matches,
        first_game_id: 1,
        orders_per_second: ORDERS_PER_SECOND,
        // On loopback the match-start calibration asks far less than the ranked profile's
        // floor, so every match's deadline is the floor (checked: no frame arrives earlier).
        hold_us: match server {
            Server::Relay => QosProfile::RANKED.deadline_min_us,
            Server::Forwarder => 0,
        },
        ramp: Duration::from_millis(4 * matches as u64).max(Duration::from_secs(1)),
        warmup: Duration::from_secs(2),
        measure,
        endpoints: CLIENT_ENDPOINTS,
        bind: "127.0.0.1:0".parse().unwrap(),
    };
    let load = LoadRun::start(
        address,
        keys.relay.public_key(),
        &plan,
        tickets(&keys.community),
    )
    .await
    .unwrap();
    let (window_start, window_end) = load.window();
    tokio::time::sleep_until(window_start).await;
    let (server_0, driver_0, wall_0) = (
        cpu_seconds(pid, ticks_per_second),
        cpu_seconds(std::process::id(), ticks_per_second),
        Instant::now(),
    );
    tokio::time::sleep_until(window_end).await;
    let (server_1, driver_1, wall) = (
        cpu_seconds(pid, ticks_per_second),
        cpu_seconds(std::process::id(), ticks_per_second),
        wall_0.elapsed().as_secs_f64(),
    );
    let rss_delta = rss_bytes(pid) - idle_rss;
    let udp_drops = udp_drops(address.port());
    let report = load.finish().await;
    let stats = match server {
        Server::Relay => {
            stdin.write_all(b"stats\n").await.unwrap();
            lines.next_line().await.unwrap()
        }
        Server::Forwarder => None,
    };
    drop(stdin);
    let _ = tokio::time::timeout(Duration::from_secs(10), child.wait()).await;
    Outcome {
        report,
        server_cores: (server_1 - server_0) / wall,
        driver_cores: (driver_1 - driver_0) / wall,
        rss_delta,
        udp_drops,
        stats,
    }
}

fn ms(us: u32) -> String {
    format!("{:.2} ms", f64::from(us) / 1000.0)
}

fn row(matches: usize, server: Server, o: &Outcome) -> String {
    let r = &o.report;
    let per_match_us = o.server_cores * 1e6 / matches as f64;
    format!(
        "| {matches} | {} | {} | {} | {} | {} | {} | {:.0}% | {:.0} µs/s | {:.1} KiB | {:.0}% |",
        server.name(),
        r.orders_sent,
        r.orders_lost(),
        ms(r.latency.p50_us),
        ms(r.latency.p99_us),
        ms(r.latency.max_us),
        o.server_cores * 100.0,
        per_match_us,
        o.rss_delta as f64 / 1024.0 / matches as f64,
        o.driver_cores * 100.0,
    )
}

async fn drive() {
    let steps: Vec<usize> = std::env::var("IC_RELAY_BENCH_MATCHES")
        .ok()
        .map(|s| s.split(',').map(|n| n.trim().parse().unwrap()).collect())
        .unwrap_or_else(|| STEPS.to_vec());
    let measure = Duration::from_secs(
        std::env::var("IC_RELAY_BENCH_MEASURE_SECS")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(10),
    );
    let keys = Keys {
        community: KeyPair::generate(&mut OsRng),
        relay: KeyPair::generate(&mut OsRng),
    };
    println!(
        "machine: nproc {}, {}, load average at start {}",
        command_output("nproc", &[]),
        command_output("rustc", &["--version"]),
        command_output("cat", &["/proc/loadavg"]),
    );
    println!(
        "load: 2-player matches, {ORDERS_PER_SECOND} orders/s per player, {} ticks/s, \
         {} s measured per row; relay hold (ranked deadline floor) {} ms",
        (1e6 / f64::from(TICK_INTERVAL_US)).round(),
        measure.as_secs(),
        QosProfile::RANKED.deadline_min_us / 1000
    );
    println!();
    println!(
        "| matches | server | orders sent | lost | added p50 | added p99 | added max | server CPU (of one core) | CPU per match | RSS per match | load generator CPU |"
    );
    println!("|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    let mut notes = Vec::new();
    let mut ratios = Vec::new();
    for &matches in &steps {
        let relay = run(Server::Relay, matches, &keys, measure).await;
        println!("{}", row(matches, Server::Relay, &relay));
        let forwarder = run(Server::Forwarder, matches, &keys, measure).await;
        println!("{}", row(matches, Server::Forwarder, &forwarder));
        ratios.push((matches, relay.server_cores / forwarder.server_cores));
        for (server, outcome) in [(Server::Relay, &relay), (Server::Forwarder, &forwarder)] {
            let r = &outcome.report;
            notes.push(format!(
                "{matches} {}: connect failures {}, ends {:?}, samples {}, early frames {}, duplicates {}, \
                 UDP receive-buffer drops {} at the server and {} at the load generator{}",
                server.name(),
                r.connect_failures,
                r.ends,
                r.latency.count,
                r.early_frames,
                r.orders_duplicated,
                outcome.udp_drops.0,
                outcome.udp_drops.1,
                outcome
                    .stats
                    .as_ref()
                    .map(|s| format!(", relay counters: {s}"))
                    .unwrap_or_default()
            ));
        }
        let met = relay.report.latency.p99_us < P99_GOAL_US
            && relay.report.orders_lost() == 0
            && relay.report.connect_failures == 0;
        if !met {
            notes.push(format!(
                "stopped rising at {matches} matches: relay p99 {} or orders lost {}",
                ms(relay.report.latency.p99_us),
                relay.report.orders_lost()
            ));
            break;
        }
    }
    println!();
    println!("| matches | relay CPU / forwarder CPU |");
    println!("|---:|---:|");
    for (matches, ratio) in ratios {
        println!("| {matches} | {ratio:.2} |");
    }
    println!();
    for note in notes {
        println!("- {note}");
    }
}
