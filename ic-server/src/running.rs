//! Marks a data directory as being served: `run` holds an exclusive lock on `running.lock`
//! (with its process id inside) until it exits, so other commands can tell a server is there.
//!
//! The operating system drops the lock when the process ends, however it ends, so a crashed
//! server never leaves a stale marker behind.

use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

/// Why the lock was not taken.
#[derive(Debug, thiserror::Error)]
pub enum RunningError {
    /// A server process serves this data directory.
    #[error("an ic-server process (pid {pid}) is running on {dir}")]
    Running {
        /// The data directory.
        dir: PathBuf,
        /// The process id it wrote, or `?`.
        pid: String,
    },
    /// The lock file could not be opened or written.
    #[error("{path}: {source}")]
    Io {
        /// The lock file.
        path: PathBuf,
        /// What failed.
        source: std::io::Error,
    },
}

/// The lock, held while alive.
#[derive(Debug)]
pub struct RunningLock {
    _file: File,
}

fn lock_file(dir: &Path) -> PathBuf {
    dir.join("running.lock")
}

/// Takes the lock for the data directory `dir`; fails if another process holds it.
pub fn hold(dir: &Path) -> Result<RunningLock, RunningError> {
    let path = lock_file(dir);
    let io = |source| RunningError::Io {
        path: path.clone(),
        source,
    };
    let mut file = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(&path)
        .map_err(io)?;
    match rustix::fs::flock(&file, rustix::fs::FlockOperation::NonBlockingLockExclusive) {
        Ok(()) => {}
        Err(rustix::io::Errno::WOULDBLOCK) => {
            let mut pid = String::new();
            let _ = file.read_to_string(&mut pid);
            let pid = pid.trim();
            return Err(RunningError::Running {
                dir: dir.to_owned(),
                pid: if pid.is_empty() {
                    "?".into()
                } else {
                    pid.into()
                },
            });
        }
        Err(error) => return Err(io(error.into())),
    }
    file.set_len(0).map_err(io)?;
    file.seek(SeekFrom::Start(0)).map_err(io)?;
    writeln!(file, "{}", std::process::id()).map_err(io)?;
    Ok(RunningLock { _file: file })
}

/// The process id of the server serving `dir`, if one does.
pub fn running_pid(dir: &Path) -> Result<Option<u32>, RunningError> {
    match hold(dir) {
        Ok(_) => Ok(None),
        Err(RunningError::Running { pid, .. }) => Ok(pid.parse().ok()),
        Err(error) => Err(error),
    }
}

/// Fails if a server process serves `dir` now.
pub fn check_not_running(dir: &Path) -> Result<(), RunningError> {
    hold(dir).map(drop)
}
