//! Serving as a witness (C2SP `tlog-witness`): another community posts its new checkpoint with
//! a consistency proof from the last one cosigned here; it is checked, recorded and cosigned.
//!
//! A log is known by its origin and its pinned key; an ic community's later keys are followed
//! through the rotations its document publishes, fetched when a checkpoint's key is new.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use scr::{CommunityKey, KeyChain, KeyPair};
use tokio::sync::Mutex;
use transparency::witness::{Refusal, decide};
use transparency::{AddCheckpoint, Checkpoint, Cosigner, Note, NoteError, read_checkpoint};

use crate::config::WitnessedLogConfig;
use crate::federation::document;
use crate::store::{StoreError, WitnessLog, WitnessedCheckpoint};

/// A community document is fetched again for a log at most this often: forged requests can
/// cause no more than one fetch a second, and delay following a real rotation by no more.
const REFETCH_AFTER: Duration = Duration::from_secs(1);

/// This community's identity as a witness: its name and its own key (not the signing key,
/// so that it survives key rotations).
#[derive(Clone)]
pub struct WitnessIdentity {
    cosigner: Cosigner,
    key: KeyPair,
}

impl WitnessIdentity {
    /// The witness of `key`, named `name` or by default `ic-witness/<first 16 key bytes, hex>`.
    pub fn new(key: KeyPair, name: Option<&str>) -> Result<Self, NoteError> {
        let default = format!(
            "ic-witness/{}",
            hex::encode(&key.public_key().as_bytes()[..16])
        );
        let cosigner = Cosigner::new(name.unwrap_or(&default), key.public_key())?;
        Ok(Self { cosigner, key })
    }

    /// The name and public key clients verify cosignatures with.
    pub fn cosigner(&self) -> &Cosigner {
        &self.cosigner
    }
}

/// Why an `add-checkpoint` request was not cosigned.
#[derive(Debug, thiserror::Error)]
pub enum WitnessError {
    /// The body is not a request, or its note not a checkpoint (400).
    #[error("{0}")]
    Malformed(String),
    /// This community does not witness the log (404).
    #[error("this community does not witness the log {0:?}")]
    UnknownLog(String),
    /// No key of the log signed the checkpoint (403).
    #[error("the checkpoint is not signed by a key of log {origin:?}: {reason}")]
    NotSigned {
        /// The log.
        origin: String,
        /// Why (including a failed fetch of its rotations).
        reason: String,
    },
    /// The protocol's checks refused it (400, 409 or 422).
    #[error(transparent)]
    Refused(#[from] Refusal),
    /// The witness's state could not be read or written.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// One log this community witnesses, with the keys followed so far.
struct WitnessedLog {
    pinned: CommunityKey,
    url: Option<String>,
    chain: Mutex<FollowedChain>,
}

struct FollowedChain {
    chain: KeyChain,
    fetched: Option<Instant>,
}

/// The witness service: the logs this community witnesses and what it cosigned for them.
pub struct Witness {
    identity: WitnessIdentity,
    logs: HashMap<String, WitnessedLog>,
    store: Arc<dyn WitnessLog>,
    http: reqwest::Client,
}

impl Witness {
    /// A witness of the logs `logs`, keeping its state in `store`.
    pub fn new(
        identity: WitnessIdentity,
        logs: &[WitnessedLogConfig],
        store: Arc<dyn WitnessLog>,
    ) -> Result<Self, scr::ChainError> {
        let mut known = HashMap::new();
        for log in logs {
            let chain = KeyChain::new(log.key, None)?;
            known.insert(
                log.origin.clone(),
                WitnessedLog {
                    pinned: log.key,
                    url: log
                        .url
                        .as_ref()
                        .map(|url| url.trim_end_matches('/').to_owned()),
                    chain: Mutex::new(FollowedChain {
                        chain,
                        fetched: None,
                    }),
                },
            );
        }
        let http = document::client();
        Ok(Self {
            identity,
            logs: known,
            store,
            http,
        })
    }

    /// This community's identity as a witness.
    pub fn identity(&self) -> &WitnessIdentity {
        &self.identity
    }

    /// Answers an `add-checkpoint` request `body` at Unix second `now`: the cosignature line.
    pub async fn add_checkpoint(&self, body: &str, now: i64) -> Result<String, WitnessError> {
        let malformed = |error: &dyn std::fmt::Display| WitnessError::Malformed(error.to_string());
        let request = AddCheckpoint::parse(body).map_err(|e| malformed(&e))?;
        let note = Note::parse(&request.note).map_err(|e| malformed(&e))?;
        let checkpoint = Checkpoint::parse(&note.text).map_err(|e| malformed(&e))?;
        let origin = checkpoint.origin.clone();
        let log = self
            .logs
            .get(&origin)
            .ok_or_else(|| WitnessError::UnknownLog(origin.clone()))?;
        self.check_signed(log, &request.note, &origin).await?;
        let latest = self.store.witnessed(&origin).await?;
        decide(
            latest.map(|held| (held.tree_size, held.root)),
            request.old_size,
            &request.proof,
            &checkpoint,
        )?;
        let witnessed = WitnessedCheckpoint {
            origin: origin.clone(),
            tree_size: checkpoint.size,
            root: checkpoint.root,
            note: request.note.clone(),
            cosigned_at: now,
        };
        if !self
            .store
            .advance_witnessed(request.old_size, &witnessed)
            .await?
        {
            // Another request for this log was recorded between the read and the write.
            let latest = self.store.witnessed(&origin).await?;
            return Err(Refusal::OldSizeMismatch {
                old: request.old_size,
                latest: latest.map_or(0, |held| held.tree_size),
            }
            .into());
        }
        let timestamp = u64::try_from(now).unwrap_or(0);
        let line = self
            .identity
            .cosigner
            .cosign(&note.text, &self.identity.key, timestamp)
            .map_err(|e| malformed(&e))?;
        Ok(line.to_line())
    }

    /// Checks that a key of the log signed `note`; the first time a new key shows up, the
    /// community's published rotations are fetched to follow its chain to that key.
    async fn check_signed(
        &self,
        log: &WitnessedLog,
        note: &str,
        origin: &str,
    ) -> Result<(), WitnessError> {
        let mut followed = log.chain.lock().await;
        let first = match read_checkpoint(note, origin, &followed.chain) {
            Ok(_) => return Ok(()),
            Err(problem) => problem.to_string(),
        };
        let not_signed = |reason: String| WitnessError::NotSigned {
            origin: origin.to_owned(),
            reason,
        };
        let Some(url) = &log.url else {
            return Err(not_signed(first));
        };
        if followed
            .fetched
            .is_some_and(|at| at.elapsed() < REFETCH_AFTER)
        {
            return Err(not_signed(first));
        }
        followed.fetched = Some(Instant::now());
        followed.chain = self
            .fetch_chain(url, log.pinned)
            .await
            .map_err(|reason| not_signed(format!("{first}; following its rotations: {reason}")))?;
        read_checkpoint(note, origin, &followed.chain)
            .map(|_| ())
            .map_err(|problem| not_signed(problem.to_string()))
    }

    /// The log's key chain from `pinned` through the rotations its community document lists.
    async fn fetch_chain(&self, url: &str, pinned: CommunityKey) -> Result<KeyChain, String> {
        document::fetch(&self.http, url)
            .await?
            .chain_from(pinned, None)
    }
}
