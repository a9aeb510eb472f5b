//! `[federation]`: how this community reads other communities' documents when players present
//! their records (rooms and queues that require them), and whether it publishes its sanctions.

use serde::{Deserialize, Serialize};

use super::{InvalidValue, range};

/// Reading other communities.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct FederationConfig {
    /// Seconds another community's document (its keys and rotations) is used before it is
    /// fetched again.
    pub document_ttl_secs: u64,
    /// Publish this community's moderation outcomes (sanctions and their liftings) as a signed
    /// feed at `GET /v1/federation/sanctions`, for other communities to subscribe to.
    pub publish_sanctions: bool,
}

impl Default for FederationConfig {
    fn default() -> Self {
        Self {
            document_ttl_secs: 300,
            publish_sanctions: false,
        }
    }
}

impl FederationConfig {
    /// Checks the range.
    pub fn validate(&self) -> Result<(), InvalidValue> {
        range(
            "federation.document_ttl_secs",
            self.document_ttl_secs,
            1,
            86_400,
        )
    }
}
