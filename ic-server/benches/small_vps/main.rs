//! The small-VPS headline: one `ic-server` with every capability on, pinned to one core under a
//! 512 MB memory limit, serving a community of 100,000 registered players while 1,000 are
//! connected: 250 relayed 2-player ranked matches at 15 orders/s per player (each certified and
//! rated when it ends), 500 queue event streams held open, 500 players polling, and reports
//! trickling in. The load generator (this process) runs on the other core.
//!
//! Run: `cargo bench -p ic-server --bench small_vps` (as root, for the memory cgroup; a few
//! minutes). `SMALL_VPS_BACKENDS=sqlite,postgres` picks the databases, `SMALL_VPS_MEASURE_SECS`
//! (default 60) the window. On PostgreSQL the database server shares the core and the limit, as
//! it would on the VPS.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)] // benchmark harness

#[path = "../../tests/common/mod.rs"]
mod common;
mod confine;
mod http_load;
#[path = "../support/population.rs"]
mod population;
#[path = "../support/process.rs"]
mod process;

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use confine::{MemoryCage, pin, with_children};
use http_load::{Member, Samples};
use ic_client::relay::load::{IdentitySource, LoadPlan, LoadReport, LoadRun};
use relay_core::qos::QosProfile;

/// Concurrent relayed matches (`SMALL_VPS_MATCHES`, default 250).
fn matches() -> usize {
    setting("SMALL_VPS_MATCHES", 250)
}
/// Players holding a queue event stream (`SMALL_VPS_STREAMS`), and players polling
/// (`SMALL_VPS_POLLERS`), 500 each by default.
fn streams() -> u32 {
    setting("SMALL_VPS_STREAMS", 500)
}
fn pollers() -> u32 {
    setting("SMALL_VPS_POLLERS", 500)
}

fn setting<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name)
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(default)
}
/// The VPS's memory.
const MEMORY_LIMIT: u64 = 512 * 1024 * 1024;
/// The server's core, and the load generator's.
const SERVER_CPU: u32 = 0;
const LOAD_CPU: u32 = 1;

#[derive(Clone, Copy, PartialEq)]
enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    fn name(self) -> &'static str {
        match self {
            Self::Sqlite => "SQLite",
            Self::Postgres => "PostgreSQL",
        }
    }
}

struct Outcome {
    backend: Backend,
    http: Vec<(&'static str, usize, u32, u32)>,
    http_failures: Vec<String>,
    streams_held: usize,
    relay: LoadReport,
    results_applied: f64,
    server_cpu: f64,
    database_cpu: Option<f64>,
    server_peak_rss: i64,
    results_after: Duration,
    cage: Option<(u64, u64)>,
    window_secs: f64,
}

fn main() {
    // Threads made from here on inherit the load generator's core.
    pin(std::process::id(), LOAD_CPU);
    let backends = std::env::var("SMALL_VPS_BACKENDS").unwrap_or_else(|_| "sqlite,postgres".into());
    let measure = Duration::from_secs(
        std::env::var("SMALL_VPS_MEASURE_SECS")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(60),
    );
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let mut outcomes = Vec::new();
    for name in backends.split(',') {
        let backend = match name.trim() {
            "sqlite" => Backend::Sqlite,
            "postgres" => Backend::Postgres,
            other => panic!("unknown backend {other}"),
        };
        outcomes.push(runtime.block_on(run(backend, measure)));
    }
    print_tables(&outcomes);
}

fn config(relay_port: u16, storage: &str) -> String {
    format!(
        "[http]\nrate_limit_per_minute = 100000\n\
         [ranking]\nregistrations_per_ip_per_day = 10000\n\
         [capabilities]\npreset = \"competitive\"\n\
         [rating.leaderboard]\nmin_matches = 0\nmin_distinct_opponents = 0\n\
         [relay]\nlisten = \"127.0.0.1:{relay_port}\"\npublic_address = \"127.0.0.1:{relay_port}\"\n\
         max_handshakes_per_address = 100000\n\
         {storage}"
    )
}

fn free_udp_port() -> u16 {
    std::net::UdpSocket::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Starts the release server on the server core, inside `cage`; returns it and its URL.
fn spawn_confined(data_dir: &std::path::Path, cage: Option<&MemoryCage>) -> (Child, String) {
    let mut child = Command::new("taskset")
        .args(["-c", &SERVER_CPU.to_string()])
        .arg(common::binary())
        .arg("--data-dir")
        .arg(data_dir)
        .args(["run", "--listen", "127.0.0.1:0"])
        .env_remove("IC_DATA_DIR")
        .env_remove("IC_CONFIG")
        .env("IC_LOGGING_LEVEL", "\"warn\"")
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    if let Some(cage) = cage {
        cage.admit(child.id()).unwrap();
    }
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let url = loop {
        let line = lines.next().expect("the server exited").unwrap();
        if let Some(url) = line.strip_prefix("ic-server listening on ") {
            break url.trim().replace("0.0.0.0", "127.0.0.1");
        }
    };
    std::thread::spawn(move || lines.for_each(drop));
    (child, url)
}

async fn run(backend: Backend, measure: Duration) -> Outcome {
    let dir = tempfile::tempdir().unwrap();
    let relay_port = free_udp_port();
    let now = ic_server::clock::unix_now();
    let cluster = (backend == Backend::Postgres)
        .then(|| test_postgres::Cluster::start_durable().expect("PostgreSQL 15 is installed"));
    let storage = match &cluster {
        Some(cluster) => format!("[storage]\nurl = \"{}\"\n", cluster.fresh_database()),
        None => String::new(),
    };
    // A first start creates the schema; then the players go straight into the database.
    let mut first = common::Server::start(dir.path(), &config(relay_port, &storage));
    first.stop();
    match &cluster {
        Some(_) => population::into_postgres(storage.split('"').nth(1).unwrap(), now).await,
        None => population::into_sqlite(dir.path(), now),
    }
    eprintln!(
        "{}: {} players written",
        backend.name(),
        population::PLAYERS
    );

    let cage = match MemoryCage::new(
        &format!("ic-small-vps-{}", std::process::id()),
        MEMORY_LIMIT,
    ) {
        Ok(cage) => Some(cage),
        Err(why) => {
            eprintln!("no memory limit: {why}");
            None
        }
    };
    let database_pids = cluster.as_ref().map(|cluster| {
        let postmaster = cluster.postmaster_pid().expect("the cluster runs");
        for pid in with_children(postmaster) {
            pin(pid, SERVER_CPU);
            if let Some(cage) = &cage {
                let _ = cage.admit(pid);
            }
        }
        postmaster
    });
    let (mut server, url) = spawn_confined(dir.path(), cage.as_ref());
    let pid = server.id();
    let http = reqwest::Client::new();
    let document: serde_json::Value = http
        .get(format!("{url}/.well-known/ic-community"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let community: scr::CommunityKey = document["signing_key"].as_str().unwrap().parse().unwrap();
    let signing = ic_server::data_dir::read_key_file(&dir.path().join("keys/signing.key")).unwrap();
    let relay_key = ic_server::data_dir::read_key_file(&dir.path().join("keys/relay.key"))
        .unwrap()
        .public_key();

    // The connected players sign in (players 500..1500; the first 500 play on the relay).
    let first_http = 2 * matches() as u32;
    let mut members: Vec<Member> = Vec::new();
    for chunk in (first_http..first_http + streams() + pollers())
        .collect::<Vec<_>>()
        .chunks(50)
    {
        let signing_in = chunk
            .iter()
            .map(|&index| http_load::sign_in(&http, &url, &community, population::driven(index)));
        members.extend(futures_util::future::join_all(signing_in).await);
    }
    let (streamers, pollers) = members.split_at(streams() as usize);
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let streams = http_load::hold_streams(&http, &url, streamers, &stop_rx);

    let plan = LoadPlan {
        matches: matches(),
        first_game_id: 1,
        orders_per_second: 15,
        hold_us: QosProfile::RANKED.deadline_min_us,
        ramp: Duration::from_secs(10),
        warmup: Duration::from_secs(5),
        measure,
        endpoints: 8,
        bind: "127.0.0.1:0".parse().unwrap(),
    };
    let identities: IdentitySource =
        Arc::new(|index, slot| population::driven(2 * index as u32 + u32::from(slot)));
    let relay_address = format!("127.0.0.1:{relay_port}").parse().unwrap();
    let load = LoadRun::start_as(
        relay_address,
        relay_key,
        &plan,
        process::tickets(&signing),
        identities,
    )
    .await
    .unwrap();
    let window = load.window();
    let samples = Arc::new(Samples::default());
    let polling = http_load::poll(&http, &url, pollers, window, &samples);
    let reporting = http_load::report(&http, &url, pollers, window, &samples);

    let ticks = process::ticks_per_second();
    let database_cpu = |postmaster: u32| -> f64 {
        with_children(postmaster)
            .into_iter()
            .map(|pid| process::cpu_seconds(pid, ticks))
            .sum()
    };
    tokio::time::sleep_until(window.0).await;
    let (server_0, database_0) = (
        process::cpu_seconds(pid, ticks),
        database_pids.map(database_cpu),
    );
    tokio::time::sleep_until(window.1).await;
    let (server_1, database_1) = (
        process::cpu_seconds(pid, ticks),
        database_pids.map(database_cpu),
    );
    let window_secs = measure.as_secs_f64();

    let relay = load.finish().await;
    for task in polling {
        task.await.unwrap();
    }
    reporting.await.unwrap();
    // Every finished match is certified and rated: wait until the results are in.
    let mut results_applied = 0.0;
    for _ in 0..240 {
        let metrics = http
            .get(format!("{url}/metrics"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        results_applied = common::sample(&metrics, "ic_matches_total{outcome=\"accepted\"}");
        if results_applied as usize >= relay.players_finished() / 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    // The matches all end at the window's close: their results arrive as one burst.
    let results_after = window.1.elapsed();
    stop_tx.send(true).unwrap();
    let mut streams_held = 0;
    for stream in streams {
        streams_held += usize::from(stream.await.unwrap());
    }
    let server_peak_rss = process::peak_rss_bytes(pid);
    let cage_figures = cage
        .as_ref()
        .map(|cage| (cage.peak_bytes(), cage.limit_hits()));
    let _ = Command::new("kill")
        .args(["-TERM", &pid.to_string()])
        .status();
    let _ = server.wait();
    drop(cage);
    Outcome {
        backend,
        http: samples.summary(),
        http_failures: samples
            .failures()
            .iter()
            .map(|((route, status), n)| format!("{route} → {status}: {n}"))
            .collect(),
        streams_held,
        relay,
        results_applied,
        server_cpu: (server_1 - server_0) / window_secs,
        database_cpu: database_0
            .zip(database_1)
            .map(|(a, b)| (b - a) / window_secs),
        server_peak_rss,
        results_after,
        cage: cage_figures,
        window_secs,
    }
}

fn ms(us: u32) -> String {
    format!("{:.2}", f64::from(us) / 1000.0)
}

fn mb(bytes: i64) -> String {
    format!("{:.1} MB", bytes as f64 / 1e6)
}

fn print_tables(outcomes: &[Outcome]) {
    println!(
        "\nmachine: {} cores ({}), {}; server on core {SERVER_CPU}, load generator on core {LOAD_CPU}\n",
        process::command_output("nproc", &["--all"]),
        process::command_output(
            "sh",
            &["-c", "grep -m1 'model name' /proc/cpuinfo | cut -d: -f2"]
        ),
        process::command_output("rustc", &["--version"]),
    );
    let header: Vec<&str> = outcomes.iter().map(|o| o.backend.name()).collect();
    println!("| measure | {} |", header.join(" | "));
    println!("|---|{}", "---:|".repeat(outcomes.len()));
    let line = |name: &str, value: &dyn Fn(&Outcome) -> String| {
        let cells: Vec<String> = outcomes.iter().map(value).collect();
        println!("| {name} | {} |", cells.join(" | "));
    };
    let mut routes: Vec<&'static str> = outcomes
        .iter()
        .flat_map(|o| o.http.iter().map(|r| r.0))
        .collect();
    routes.sort_unstable();
    routes.dedup();
    for route in routes {
        line(&format!("{route} p50 / p99 ms (requests)"), &|o| {
            o.http
                .iter()
                .find(|r| r.0 == route)
                .map(|r| format!("{} / {} ({})", ms(r.2), ms(r.3), r.1))
                .unwrap_or_default()
        });
    }
    line("HTTP refusals or errors", &|o| {
        if o.http_failures.is_empty() {
            "none".into()
        } else {
            o.http_failures.join("; ")
        }
    });
    line("queue event streams held open", &|o| {
        format!("{} of {}", o.streams_held, streams())
    });
    line("relay-added p50 / p99 ms", &|o| {
        format!(
            "{} / {}",
            ms(o.relay.latency.p50_us),
            ms(o.relay.latency.p99_us)
        )
    });
    line("orders sent / lost", &|o| {
        format!("{} / {}", o.relay.orders_sent, o.relay.orders_lost())
    });
    line("players who played to the end", &|o| {
        format!("{} of {}", o.relay.players_finished(), 2 * o.relay.matches)
    });
    line("results certified and rated", &|o| {
        format!("{} of {}", o.results_applied, o.relay.matches)
    });
    line("all rated, after the matches ended", &|o| {
        format!("{:.1} s", o.results_after.as_secs_f64())
    });
    line("server CPU (share of its core)", &|o| {
        format!("{:.0} %", 100.0 * o.server_cpu)
    });
    line("database CPU (same core)", &|o| {
        o.database_cpu
            .map(|c| format!("{:.0} %", 100.0 * c))
            .unwrap_or_else(|| "in process".into())
    });
    line("server peak RSS", &|o| mb(o.server_peak_rss));
    line(
        "memory cgroup peak (RSS + page cache) / limit hits",
        &|o| match o.cage {
            Some((peak, hits)) => format!("{} / {hits}", mb(peak as i64)),
            None => "no limit applied".into(),
        },
    );
    line("measured window", &|o| format!("{:.0} s", o.window_secs));
}
