//! The small VPS on this machine: processes pinned to one core and held in a memory cgroup with
//! a 512 MB limit (cgroup v1 `memory`, as this machine has; page cache counts, as on a VPS).

use std::path::PathBuf;

/// A memory cgroup with a limit; processes moved into it stay until they exit.
pub struct MemoryCage {
    dir: PathBuf,
}

impl MemoryCage {
    /// A new cgroup limited to `bytes`, or why there is none (the run goes on unlimited).
    pub fn new(name: &str, bytes: u64) -> Result<Self, String> {
        let dir = PathBuf::from("/sys/fs/cgroup/memory").join(name);
        std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        std::fs::write(dir.join("memory.limit_in_bytes"), bytes.to_string())
            .map_err(|e| format!("setting the memory limit: {e}"))?;
        Ok(Self { dir })
    }

    /// Moves `pid` (and the threads it starts later, and its future children) into the cgroup.
    pub fn admit(&self, pid: u32) -> Result<(), String> {
        std::fs::write(self.dir.join("cgroup.procs"), pid.to_string())
            .map_err(|e| format!("moving {pid} into {}: {e}", self.dir.display()))
    }

    /// Peak memory the cgroup was charged (resident memory and page cache), in bytes.
    pub fn peak_bytes(&self) -> u64 {
        read_number(&self.dir.join("memory.max_usage_in_bytes"))
    }

    /// Times the limit was hit (the kernel then reclaimed cache or, failing that, killed).
    pub fn limit_hits(&self) -> u64 {
        read_number(&self.dir.join("memory.failcnt"))
    }
}

impl Drop for MemoryCage {
    fn drop(&mut self) {
        // Whatever still lives inside (a database cluster) goes back to where this process is.
        let home = own_memory_cgroup();
        if let Ok(procs) = std::fs::read_to_string(self.dir.join("cgroup.procs")) {
            for pid in procs.lines() {
                let _ = std::fs::write(home.join("cgroup.procs"), pid);
            }
        }
        let _ = std::fs::remove_dir(&self.dir);
    }
}

fn own_memory_cgroup() -> PathBuf {
    let path = std::fs::read_to_string("/proc/self/cgroup")
        .unwrap_or_default()
        .lines()
        .find_map(|line| line.split_once(":memory:").map(|(_, path)| path.to_owned()))
        .unwrap_or_default();
    PathBuf::from("/sys/fs/cgroup/memory").join(path.trim_start_matches('/'))
}

fn read_number(path: &std::path::Path) -> u64 {
    std::fs::read_to_string(path)
        .ok()
        .and_then(|text| text.trim().parse().ok())
        .unwrap_or(0)
}

/// Pins every thread of `pid` to `cpu` (`taskset -a -p`); children started later inherit it.
pub fn pin(pid: u32, cpu: u32) {
    let status = std::process::Command::new("taskset")
        .args(["-a", "-p", "-c", &cpu.to_string(), &pid.to_string()])
        .stdout(std::process::Stdio::null())
        .status()
        .expect("taskset (util-linux) runs");
    assert!(status.success(), "taskset on {pid}");
}

/// `pid` and its children (a PostgreSQL postmaster and its backends).
pub fn with_children(pid: u32) -> Vec<u32> {
    let mut pids = vec![pid];
    for entry in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
        let Some(child) = entry
            .file_name()
            .to_str()
            .and_then(|n| n.parse::<u32>().ok())
        else {
            continue;
        };
        let stat = std::fs::read_to_string(entry.path().join("stat")).unwrap_or_default();
        let parent = stat
            .rfind(')')
            .and_then(|end| stat[end + 2..].split_whitespace().nth(1))
            .and_then(|ppid| ppid.parse::<u32>().ok());
        if parent == Some(pid) {
            pids.push(child);
        }
    }
    pids
}
