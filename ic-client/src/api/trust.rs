//! Trust requirements of rooms and queues, as the API states them, and the records a player
//! presents to meet them (its own from this community, or another community's with its URL).

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use serde::{Deserialize, Serialize};

/// What a room or a queue requires of its players' records.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum TrustRequirement {
    /// Nothing.
    #[default]
    None,
    /// At least one record that verifies.
    AnyVerified,
    /// A rating record from each listed community meeting its minimums.
    Communities {
        /// The communities.
        communities: Vec<CommunityRequirement>,
    },
}

impl TrustRequirement {
    /// Whether nothing is required.
    pub fn is_none(&self) -> bool {
        matches!(self, Self::None)
    }
}

/// One community whose rating record is required.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommunityRequirement {
    /// A signing key of the community, `ed25519:<64 hex>`.
    pub key: String,
    /// Rated games the record must show.
    #[serde(default)]
    pub min_games: u32,
    /// Rating points the record must show.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_rating: Option<i64>,
    /// Game module the rating must be in (none: any).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub module: Option<String>,
}

/// A record presented to meet a requirement.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PresentedRecord {
    /// The record, base64.
    pub record: String,
    /// Base URL of the community that issued it; none for the server's own community.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
}

impl PresentedRecord {
    /// A record issued by the community at `url`.
    pub fn from_community(record: &[u8], url: &str) -> Self {
        Self {
            record: BASE64.encode(record),
            url: Some(url.to_owned()),
        }
    }

    /// A record issued by the community the request goes to.
    pub fn own(record: &[u8]) -> Self {
        Self {
            record: BASE64.encode(record),
            url: None,
        }
    }
}
