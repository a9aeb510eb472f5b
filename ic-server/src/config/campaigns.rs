//! `[campaigns]`: opt-in campaign benchmarks, aggregates of single-player campaign progress
//! that players chose to share, with small groups suppressed.

use serde::{Deserialize, Serialize};

use super::InvalidValue;

/// Campaign benchmarks (served by the ranking capability; never rated).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct CampaignsConfig {
    /// Accept progress and serve benchmarks. false: the campaign routes answer 404.
    pub enabled: bool,
    /// Fewest players a group (difficulty, ending) needs before its numbers are shown, 2-1000;
    /// smaller groups are suppressed so that no single player can be picked out.
    pub min_bucket: u32,
}

impl Default for CampaignsConfig {
    fn default() -> Self {
        Self {
            enabled: true,
            min_bucket: 5,
        }
    }
}

impl CampaignsConfig {
    /// Checks the range of `min_bucket`.
    pub fn validate(&self) -> Result<(), InvalidValue> {
        super::range("campaigns.min_bucket", self.min_bucket, 2, 1000)
    }
}
