//! A served checkpoint: a C2SP signed note that must carry a valid signature, under the log's
//! origin, by a key of the community's chain (the key current when it was signed).

use scr::KeyChain;

use crate::checkpoint::Checkpoint;
use crate::note::Note;

/// A checkpoint whose signature verified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedCheckpoint {
    /// The checkpoint it carries.
    pub checkpoint: Checkpoint,
    /// The note as served.
    pub note: String,
    /// The note read, with every signature line (a witness's cosignatures among them).
    pub parsed: Note,
}

/// Why a served note is not a checkpoint of this community's log.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CheckpointProblem {
    /// The note or the checkpoint in it does not parse.
    #[error("the checkpoint does not parse: {0}")]
    Malformed(String),
    /// It names another log.
    #[error("the checkpoint is of log {found:?}, not {expected:?}")]
    WrongOrigin {
        /// The log this community names.
        expected: String,
        /// The log the checkpoint names.
        found: String,
    },
    /// No key of the community's chain signed it.
    #[error("no key of the community's chain signed the checkpoint")]
    NotSigned,
}

/// Reads `note` as a checkpoint of the log `origin`, signed by a key of `chain`.
pub fn read_checkpoint(
    note: &str,
    origin: &str,
    chain: &KeyChain,
) -> Result<SignedCheckpoint, CheckpointProblem> {
    let parsed =
        Note::parse(note).map_err(|error| CheckpointProblem::Malformed(error.to_string()))?;
    let checkpoint = Checkpoint::parse(&parsed.text)
        .map_err(|error| CheckpointProblem::Malformed(error.to_string()))?;
    if checkpoint.origin != origin {
        return Err(CheckpointProblem::WrongOrigin {
            expected: origin.to_owned(),
            found: checkpoint.origin,
        });
    }
    if !signed_by_chain(&parsed, origin, chain) {
        return Err(CheckpointProblem::NotSigned);
    }
    Ok(SignedCheckpoint {
        checkpoint,
        note: note.to_owned(),
        parsed,
    })
}

/// Whether a key of `chain` signed `note` under `name`.
pub(crate) fn signed_by_chain(note: &Note, name: &str, chain: &KeyChain) -> bool {
    chain
        .epochs()
        .iter()
        .any(|epoch| note.verify(name, &epoch.key.public_key()).is_ok())
}
