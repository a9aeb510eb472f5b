//! Watches the space left on the data directory's file system: a full disk stops every write
//! (SQLite, replays, key rotation), so an operator wants an alert well before.
//!
//! The gauges are refreshed every 30 s from `statvfs`, read through rustix (std has no call).

use std::path::PathBuf;
use std::time::Duration;

use prometheus::IntGauge;

/// Pause between readings.
const EVERY: Duration = Duration::from_secs(30);

/// The gauges of the data directory's file system.
#[derive(Debug, Clone)]
pub struct DiskGauges {
    /// Bytes an unprivileged process may still write.
    pub available: IntGauge,
    /// Size of the file system in bytes.
    pub capacity: IntGauge,
}

impl DiskGauges {
    /// Creates the gauges (not registered).
    pub fn new() -> Result<Self, prometheus::Error> {
        Ok(Self {
            available: IntGauge::new(
                "data_dir_available_bytes",
                "Bytes left for ic-server on the data directory's file system",
            )?,
            capacity: IntGauge::new(
                "data_dir_capacity_bytes",
                "Size of the data directory's file system in bytes",
            )?,
        })
    }

    /// Reads the file system of `dir` once into the gauges.
    pub fn read(&self, dir: &std::path::Path) -> Result<(), std::io::Error> {
        let stat = rustix::fs::statvfs(dir)?;
        let bytes =
            |blocks: u64| i64::try_from(blocks.saturating_mul(stat.f_frsize)).unwrap_or(i64::MAX);
        self.available.set(bytes(stat.f_bavail));
        self.capacity.set(bytes(stat.f_blocks));
        Ok(())
    }
}

/// Refreshes the gauges from `dir` until the task is aborted.
pub async fn watch(dir: PathBuf, gauges: DiskGauges) {
    let mut warned = false;
    loop {
        match gauges.read(&dir) {
            Ok(()) => warned = false,
            Err(error) if !warned => {
                tracing::warn!(%error, dir = %dir.display(), "cannot read the data directory's free space");
                warned = true;
            }
            Err(_) => {}
        }
        tokio::time::sleep(EVERY).await;
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn a_reading_gives_free_space_within_the_file_system() {
        let dir = tempfile::tempdir().unwrap();
        let gauges = DiskGauges::new().unwrap();
        gauges.read(dir.path()).unwrap();
        let (available, capacity) = (gauges.available.get(), gauges.capacity.get());
        assert!(capacity > 0 && available > 0 && available <= capacity);
        assert!(gauges.read(&dir.path().join("missing")).is_err());
    }
}
