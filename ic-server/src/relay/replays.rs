//! Replay files: each match's canonical order stream, as relay-core records it, stored under the
//! SHA-256 the certified result carries as `replay_hash`, and removed after the retention time.

use std::fs::File;
use std::io::{BufWriter, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, SystemTime};

use relay_core::filters::{ReplaySink, ReplaySinkError};
use sha2::{Digest, Sha256};

/// File name suffix of a finished replay (`<replay_hash hex>.replay`).
pub const REPLAY_SUFFIX: &str = "replay";
/// Suffix while a match is still recording.
const PARTIAL_SUFFIX: &str = "partial";
/// A partial file this old belongs to no running match (the process stopped mid-match).
const ORPHAN_AGE: Duration = Duration::from_secs(24 * 3600);

/// Records one match into `<dir>/<game id>-<nonce>.partial`; when the match is over (the sink is
/// dropped with the match), the file is synced and renamed to `<sha256>.replay`, the name a
/// certified result's `replay_hash` points to. A write error deletes the file: a replay that
/// does not hash to the result's value is worth nothing.
pub struct FileReplay {
    recording: Arc<Mutex<Recording>>,
}

struct Recording {
    dir: PathBuf,
    partial: PathBuf,
    writer: Option<BufWriter<File>>,
    hasher: Sha256,
}

/// Reads what a running match has recorded so far (for a spectator who comes mid-match).
#[derive(Clone)]
pub struct ReplaySoFar {
    recording: Arc<Mutex<Recording>>,
}

fn lock(recording: &Mutex<Recording>) -> MutexGuard<'_, Recording> {
    recording
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl ReplaySoFar {
    /// The bytes recorded so far from byte `offset` on (the buffered tail flushed first); an
    /// error once the recording failed or finished. The recording is locked only for the
    /// flush: the file is read while the match goes on writing after the end read here.
    pub fn read_from(&self, offset: u64) -> std::io::Result<Vec<u8>> {
        let (path, end) = {
            let mut recording = lock(&self.recording);
            let Some(writer) = recording.writer.as_mut() else {
                return Err(std::io::Error::other("the replay is not being recorded"));
            };
            writer.flush()?;
            let end = writer.get_ref().metadata()?.len();
            (recording.partial.clone(), end)
        };
        let mut file = File::open(path)?;
        file.seek(SeekFrom::Start(offset))?;
        let mut bytes = Vec::new();
        file.take(end.saturating_sub(offset))
            .read_to_end(&mut bytes)?;
        Ok(bytes)
    }
}

impl FileReplay {
    /// Starts recording game `game_id` in `dir` (created if missing).
    pub fn create(dir: &Path, game_id: u64) -> std::io::Result<Self> {
        std::fs::create_dir_all(dir)?;
        let nonce: u32 = rand::random();
        let partial = dir.join(format!("{game_id:016x}-{nonce:08x}.{PARTIAL_SUFFIX}"));
        let file = File::create(&partial)?;
        Ok(Self {
            recording: Arc::new(Mutex::new(Recording {
                dir: dir.to_owned(),
                partial,
                writer: Some(BufWriter::new(file)),
                hasher: Sha256::new(),
            })),
        })
    }

    /// A reader of what this recording holds so far.
    pub fn so_far(&self) -> ReplaySoFar {
        ReplaySoFar {
            recording: self.recording.clone(),
        }
    }
}

impl Recording {
    /// Syncs and renames the recording to its content hash; returns the final path.
    fn finish(&mut self) -> std::io::Result<Option<PathBuf>> {
        let Some(writer) = self.writer.take() else {
            return Ok(None);
        };
        let file = writer.into_inner().map_err(|e| e.into_error())?;
        file.sync_all()?;
        let done = kept_path(
            &self.dir,
            &std::mem::take(&mut self.hasher).finalize().into(),
        );
        std::fs::rename(&self.partial, &done)?;
        Ok(Some(done))
    }
}

impl ReplaySink for FileReplay {
    fn write(&mut self, bytes: &[u8]) -> Result<(), ReplaySinkError> {
        lock(&self.recording).write(bytes)
    }
}

impl Recording {
    fn write(&mut self, bytes: &[u8]) -> Result<(), ReplaySinkError> {
        let Some(writer) = self.writer.as_mut() else {
            return Err(ReplaySinkError("the replay file failed earlier".into()));
        };
        if let Err(error) = writer.write_all(bytes) {
            self.writer = None;
            let _ = std::fs::remove_file(&self.partial);
            return Err(ReplaySinkError(error.to_string()));
        }
        self.hasher.update(bytes);
        Ok(())
    }
}

impl Drop for FileReplay {
    fn drop(&mut self) {
        let mut recording = lock(&self.recording);
        if recording.writer.is_none() {
            return;
        }
        match recording.finish() {
            Ok(Some(path)) => tracing::debug!(path = %path.display(), "replay stored"),
            Ok(None) => {}
            Err(error) => {
                tracing::warn!(%error, "storing a replay failed");
                let _ = std::fs::remove_file(&recording.partial);
            }
        }
    }
}

/// Deletes replays older than `keep` and partial recordings left by a stopped process; returns
/// how many files it removed.
pub fn sweep(dir: &Path, keep: Duration, now: SystemTime) -> std::io::Result<usize> {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(0),
        Err(error) => return Err(error),
    };
    let mut removed = 0;
    for entry in entries {
        let entry = entry?;
        let path = entry.path();
        let limit = match path.extension().and_then(|e| e.to_str()) {
            Some(REPLAY_SUFFIX) => keep,
            Some(PARTIAL_SUFFIX) => ORPHAN_AGE,
            _ => continue,
        };
        let modified = entry.metadata()?.modified()?;
        if now.duration_since(modified).unwrap_or_default() >= limit {
            std::fs::remove_file(&path)?;
            removed += 1;
        }
    }
    Ok(removed)
}

/// Where the finished replay with `replay_hash` is kept in `dir`.
pub fn kept_path(dir: &Path, replay_hash: &[u8; 32]) -> PathBuf {
    dir.join(format!("{}.{REPLAY_SUFFIX}", hex::encode(replay_hash)))
}

/// The replay kept under `replay_hash` in `dir`, if it is still kept.
pub fn read_kept(dir: &Path, replay_hash: &[u8; 32]) -> std::io::Result<Option<Vec<u8>>> {
    match std::fs::read(kept_path(dir, replay_hash)) {
        Ok(bytes) => Ok(Some(bytes)),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(error) => Err(error),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_finished_recording_is_named_by_the_hash_of_its_bytes() {
        let dir = tempfile::tempdir().unwrap();
        let mut replay = FileReplay::create(dir.path(), 7).unwrap();
        let so_far = replay.so_far();
        replay.write(b"tick one").unwrap();
        assert_eq!(
            so_far.read_from(0).unwrap(),
            b"tick one",
            "buffered bytes included"
        );
        replay.write(b"tick two").unwrap();
        assert_eq!(so_far.read_from(5).unwrap(), b"onetick two");
        drop(replay);
        assert!(so_far.read_from(0).is_err(), "finished");
        let hash = hex::encode(Sha256::digest(b"tick onetick two"));
        let stored = dir.path().join(format!("{hash}.replay"));
        assert_eq!(std::fs::read(&stored).unwrap(), b"tick onetick two");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn the_sweep_keeps_fresh_replays_and_removes_old_ones_and_orphans() {
        let dir = tempfile::tempdir().unwrap();
        drop(FileReplay::create(dir.path(), 1).unwrap());
        let orphan = dir.path().join("0000000000000002-00000000.partial");
        std::fs::write(&orphan, b"half").unwrap();
        std::fs::write(dir.path().join("notes.txt"), b"operator's").unwrap();
        let now = SystemTime::now();
        let day = Duration::from_secs(24 * 3600);
        assert_eq!(sweep(dir.path(), day * 30, now).unwrap(), 0);
        // Two days later: the orphan goes, the replay (30 days) stays.
        assert_eq!(sweep(dir.path(), day * 30, now + day * 2).unwrap(), 1);
        assert!(!orphan.exists());
        assert_eq!(sweep(dir.path(), day * 30, now + day * 31).unwrap(), 1);
        let left: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
        assert_eq!(left.len(), 1, "only the operator's file is left");
        assert_eq!(sweep(&dir.path().join("missing"), day, now).unwrap(), 0);
    }
}
