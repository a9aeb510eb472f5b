//! What the benchmarks read about their server processes from `/proc` (CPU time, resident
//! memory, UDP drops) and the relay tickets they sign as a matchmaker would.
#![allow(dead_code)] // each bench uses its own share

use std::sync::Arc;

use ic_client::relay::load::TicketSource;
use relay_core::ids::{PlayerSlot, TeamId};
use relay_core::ticket::{MatchSettings, MatchTicket, SignerKind, TicketSeat, TicketSigner};
use scr::{CommunityKey, KeyPair, PublicKey};

/// The default tick rate (DESIGN.md: 15 ticks per second), so one order per player per tick.
pub const TICK_INTERVAL_US: u32 = 66_667;

/// Clock ticks per second of `/proc/<pid>/stat` times.
pub fn ticks_per_second() -> f64 {
    command_output("getconf", &["CLK_TCK"])
        .parse()
        .unwrap_or(100.0)
}

/// utime + stime of a process (all its threads, live and exited), in seconds.
pub fn cpu_seconds(pid: u32, ticks_per_second: f64) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap();
    // The command name may hold spaces; the fields after its closing parenthesis do not.
    let fields: Vec<&str> = stat[stat.rfind(')').unwrap() + 2..]
        .split_whitespace()
        .collect();
    let utime: f64 = fields[11].parse().unwrap();
    let stime: f64 = fields[12].parse().unwrap();
    (utime + stime) / ticks_per_second
}

pub fn rss_bytes(pid: u32) -> i64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let kb: i64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap();
    kb * 1024
}

/// Datagrams the kernel dropped because a socket's receive buffer was full, from
/// `/proc/net/udp`: (on the server's socket, on every other loopback socket — the load
/// generator's). Sockets are new in every run, so the counts are this run's.
pub fn udp_drops(server_port: u16) -> (u64, u64) {
    let table = std::fs::read_to_string("/proc/net/udp").unwrap_or_default();
    let mut server = 0;
    let mut others = 0;
    for line in table.lines().skip(1) {
        let fields: Vec<&str> = line.split_whitespace().collect();
        let (Some(local), Some(drops)) = (fields.get(1), fields.last()) else {
            continue;
        };
        let Some((address, port)) = local.split_once(':') else {
            continue;
        };
        if address != "0100007F" {
            continue;
        }
        let drops: u64 = drops.parse().unwrap_or(0);
        if u16::from_str_radix(port, 16) == Ok(server_port) {
            server += drops;
        } else {
            others += drops;
        }
    }
    (server, others)
}

pub fn command_output(program: &str, args: &[&str]) -> String {
    std::process::Command::new(program)
        .args(args)
        .output()
        .ok()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .unwrap_or_default()
}

/// Peak resident memory of a process (`VmHWM`), in bytes.
pub fn peak_rss_bytes(pid: u32) -> i64 {
    status_kb(pid, "VmHWM:") * 1024
}

fn status_kb(pid: u32, field: &str) -> i64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix(field))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

/// Ranked 1v1 tickets of the `ra` module, signed with `community` as its matchmaker would.
pub fn tickets(community: &KeyPair) -> TicketSource {
    let signer = TicketSigner::new(SignerKind::Community, community.clone());
    let community_key = community.public_key();
    let now = ic_server::clock::unix_now();
    Arc::new(move |game_id: u64, slot: u8, player: &PublicKey| {
        let ticket = MatchTicket {
            signer_kind: SignerKind::Community,
            signer_key: community_key,
            community_key: CommunityKey::from(community_key),
            game_id,
            game_module: "ra".into(),
            player_key: (*player).into(),
            seat: TicketSeat::Player {
                slot: PlayerSlot(slot),
                team: TeamId(slot),
            },
            settings: MatchSettings {
                ranked: true,
                tick_interval_us: TICK_INTERVAL_US,
                map_name: "Bench Arena".into(),
                map_hash: [0x5a; 32],
                player_count: 2,
            },
            issued_at: now - 5,
            expires_at: now + 3600,
        };
        signer.sign(&ticket).unwrap().into_bytes()
    })
}
