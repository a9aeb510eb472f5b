//! `[transparency]`: how often the community signs a checkpoint of its transparency log (the
//! log itself always runs: every issued record gets its leaf).

use serde::{Deserialize, Serialize};

use super::{InvalidValue, range};

/// The transparency log's checkpoints.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct TransparencyConfig {
    /// A new signed checkpoint at most this often, and only when the log grew.
    pub checkpoint_secs: u64,
}

impl Default for TransparencyConfig {
    fn default() -> Self {
        Self {
            checkpoint_secs: 60,
        }
    }
}

impl TransparencyConfig {
    /// Checks the checkpoint interval.
    pub fn validate(&self) -> Result<(), InvalidValue> {
        range(
            "transparency.checkpoint_secs",
            self.checkpoint_secs,
            1,
            86_400,
        )
    }
}
