//! Signed checkpoints of the log: at most one every `[transparency] checkpoint_secs`, and only
//! when the log grew. Several processes may sign; the store keeps the largest tree's.

use std::sync::Arc;
use std::time::Duration;

use transparency::{Checkpoint, Note};

use super::cosigning::Witnesses;
use crate::community::{Community, Superseded};
use crate::store::{StoreError, StoredCheckpoint, TransparencyLog};

/// Why a checkpoint was not signed.
#[derive(Debug, thiserror::Error)]
pub enum CheckpointError {
    /// The log or the checkpoint could not be read or kept.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The community rotated past the key this process holds.
    #[error(transparent)]
    Superseded(#[from] Superseded),
    /// The note could not be made (an origin that is not a valid key name).
    #[error("signing the checkpoint: {0}")]
    Note(#[from] transparency::NoteError),
}

/// Signs a checkpoint of the log as it stands, unless the newest one already covers it;
/// returns the checkpoint kept, if this call made one.
pub async fn sign_if_grown(
    log: &dyn TransparencyLog,
    community: &Community,
    now: i64,
) -> Result<Option<StoredCheckpoint>, CheckpointError> {
    let tree = log.log_frontier().await?;
    let newest = log.latest_checkpoint().await?;
    if tree.size() == 0 || newest.is_some_and(|kept| kept.tree_size >= tree.size()) {
        return Ok(None);
    }
    let signing = community.current();
    let key = signing.issuer()?;
    let origin = super::origin(&signing.chain);
    let body = Checkpoint::new(&origin, tree.size(), tree.root()).to_text();
    let note = Note::sign(&body, &origin, key)?;
    let checkpoint = StoredCheckpoint {
        tree_size: tree.size(),
        note: note.to_text(),
        signed_at: now,
    };
    Ok(log
        .save_checkpoint(&checkpoint)
        .await?
        .then_some(checkpoint))
}

/// Signs a checkpoint when the log grew, every `every`, for as long as the server runs, and
/// asks `witnesses` to cosign the newest one until each has.
pub async fn run(
    log: Arc<dyn crate::store::Store>,
    community: Arc<Community>,
    witnesses: Witnesses,
    every: Duration,
) {
    let mut ticks = tokio::time::interval(every);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticks.tick().await;
        match sign_if_grown(log.as_ref(), &community, crate::clock::unix_now()).await {
            Ok(Some(checkpoint)) => {
                tracing::debug!(tree_size = checkpoint.tree_size, "signed a log checkpoint");
            }
            Ok(None) => {}
            Err(error) => tracing::warn!(%error, "signing a transparency checkpoint failed"),
        }
        let cosigned = witnesses.ask_all(log.as_ref()).await;
        if cosigned > 0 {
            tracing::debug!(cosigned, "witnesses cosigned the log's checkpoint");
        }
    }
}
