//! The demo's community: a real `ic-server` process (this same binary) on loopback ports in a
//! temporary data directory, every capability on, tuned so that bots are matched in moments.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};

use anyhow::{Context, bail};

/// The demo's settings over the defaults: every capability, no per-address limits worth
/// mentioning (all bots share 127.0.0.1), passes several times a second, and a leaderboard
/// that lists a player after its first match.
const CONFIG: &str = r#"
[community]
name = "ic-server demo"

[capabilities]
preset = "competitive"

[http]
rate_limit_per_minute = 100000
drain_delay_secs = 0

[ranking]
registrations_per_ip_per_day = 10000

[rating.leaderboard]
min_matches = 1
min_distinct_opponents = 1

[matchmaking]
pass_interval_min_ms = 100
pass_interval_max_ms = 250

[relay]
listen = "127.0.0.1:0"

[logging]
level = "warn"
"#;

/// The running community process; stopped when dropped.
pub struct DemoCommunity {
    child: Child,
    /// Base URL of its HTTP API.
    pub url: String,
}

impl DemoCommunity {
    /// Initializes `dir` and starts serving it; the server's log goes to `dir/server.log`.
    pub fn start(dir: &Path) -> anyhow::Result<Self> {
        let data = crate::data_dir::DataDir::new(dir);
        data.init(&mut rand::rngs::OsRng)
            .context("creating the demo's data directory")?;
        std::fs::write(data.config_file(), CONFIG).context("writing the demo's config")?;
        let log = std::fs::File::create(dir.join("server.log"))?;
        let mut child = Command::new(std::env::current_exe()?)
            .arg("--data-dir")
            .arg(dir)
            .args(["run", "--listen", "127.0.0.1:0"])
            .env_remove("IC_CONFIG")
            .env_remove("IC_DATA_DIR")
            .env_remove("IC_STORAGE_URL")
            .stdout(Stdio::piped())
            .stderr(log)
            .spawn()
            .context("starting the demo's server")?;
        let stdout = child.stdout.take().context("the server's output")?;
        let mut lines = BufReader::new(stdout).lines();
        let url = loop {
            let Some(line) = lines.next() else {
                let _ = child.wait();
                let log = std::fs::read_to_string(dir.join("server.log")).unwrap_or_default();
                bail!(
                    "the demo's server stopped before listening:\n{}",
                    log.trim()
                );
            };
            if let Some(url) = line?.strip_prefix("ic-server listening on ") {
                break url.trim().to_owned();
            }
        };
        // Keep reading so the server never blocks on a full pipe.
        std::thread::spawn(move || for _ in lines {});
        Ok(Self { child, url })
    }
}

impl Drop for DemoCommunity {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
