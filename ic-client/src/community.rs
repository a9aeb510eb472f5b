//! The community document (`GET /.well-known/ic-community`) and pinning its keys: trust on first
//! use or an out-of-band fingerprint at join, then following only verified rotation chains.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use scr::payload::Payload;
use scr::{CommunityKey, Fingerprint, KeyChain, Record, RecoveryKey};
use serde::Deserialize;

use crate::wallet::CommunityInfo;

/// The API version this client speaks.
pub const API_VERSION: u32 = 1;
/// More rotations than this in one document is not a real community's history.
pub const MAX_ROTATIONS: usize = 4096;

/// Why a community's keys are not (or no longer) trusted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PinError {
    /// The document is not a valid community document.
    #[error("the community document is invalid: {0}")]
    BadDocument(String),
    /// The server speaks another API version.
    #[error("the community speaks API version {0}; this ic speaks version 1")]
    UnsupportedApiVersion(u32),
    /// The `--fingerprint` argument is not a fingerprint or key.
    #[error("{0:?} is not a fingerprint (16 hex characters) or a key (ed25519:<64 hex>)")]
    BadFingerprintArgument(String),
    /// The community's key does not match the fingerprint the player was given.
    #[error(
        "REFUSED: the community's signing key has fingerprint {found}, but you expected {expected}; \
         this server is not the community you were told about. Nothing was stored."
    )]
    FingerprintMismatch {
        /// What the player gave.
        expected: String,
        /// The fingerprint of the key the server presents.
        found: Fingerprint,
    },
    /// The server presents another signing key and no valid rotation chain to it.
    #[error(
        "REFUSED: the community now presents signing key {presented} (fingerprint {}), but the key \
         you trust is {pinned} (fingerprint {}), and there is no valid rotation chain between them \
         ({reason}). The server may be an impostor or compromised. Nothing in the wallet was changed.",
        presented.fingerprint(), pinned.fingerprint()
    )]
    KeyChangedWithoutChain {
        /// The key the wallet trusts now.
        pinned: CommunityKey,
        /// The key the server presents.
        presented: CommunityKey,
        /// Why no chain connects them.
        reason: String,
    },
    /// The server presents another recovery key (there is no record that can change it).
    #[error(
        "REFUSED: the community now presents recovery key {presented}, but the one cached at \
         join is {pinned}. Nothing in the wallet was changed."
    )]
    RecoveryKeyChanged {
        /// The recovery key cached at join.
        pinned: RecoveryKey,
        /// The one presented.
        presented: RecoveryKey,
    },
    /// The presented chain contradicts the rotations the wallet already followed.
    #[error(
        "REFUSED: the community's rotation history contradicts the one this wallet followed \
         ({0}). Nothing in the wallet was changed."
    )]
    ChainConflict(String),
}

/// The community document, parsed and checked for internal consistency.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommunityDocument {
    /// Display name.
    pub name: String,
    /// The URL the community gives for itself.
    pub url: String,
    /// Current signing key.
    pub signing_key: CommunityKey,
    /// Recovery key.
    pub recovery_key: RecoveryKey,
    /// Capabilities switched on (`relay`, `ranking`, ...).
    pub capabilities: Vec<String>,
    /// Every key rotation record, oldest first.
    pub rotations: Vec<Vec<u8>>,
    /// The running ranked season, when the community runs the ranking authority.
    pub season: Option<u32>,
    /// The origin line of its transparency log's checkpoints (absent: a server from before
    /// the log).
    pub transparency_origin: Option<String>,
}

#[derive(Deserialize)]
struct RawDocument {
    name: String,
    url: String,
    signing_key: CommunityKey,
    recovery_key: RecoveryKey,
    fingerprint: String,
    #[serde(default)]
    capabilities: Vec<String>,
    #[serde(default)]
    rotations: Vec<String>,
    #[serde(default)]
    season: Option<u32>,
    #[serde(default)]
    transparency_origin: Option<String>,
    api_version: u32,
}

impl CommunityDocument {
    /// Parses the JSON body of `GET /.well-known/ic-community`.
    pub fn from_json(body: &[u8]) -> Result<Self, PinError> {
        let raw: RawDocument = serde_json::from_slice(body)
            .map_err(|error| PinError::BadDocument(error.to_string()))?;
        if raw.api_version != API_VERSION {
            return Err(PinError::UnsupportedApiVersion(raw.api_version));
        }
        if raw.fingerprint != raw.signing_key.fingerprint().to_string() {
            return Err(PinError::BadDocument(format!(
                "fingerprint {:?} is not the fingerprint of signing key {}",
                raw.fingerprint, raw.signing_key
            )));
        }
        if raw.name.trim().is_empty() {
            return Err(PinError::BadDocument("the name is empty".into()));
        }
        if raw.rotations.len() > MAX_ROTATIONS {
            return Err(PinError::BadDocument(format!(
                "{} rotations (at most {MAX_ROTATIONS})",
                raw.rotations.len()
            )));
        }
        let rotations = raw
            .rotations
            .iter()
            .map(|text| {
                BASE64
                    .decode(text)
                    .map_err(|_| PinError::BadDocument("a rotation record is not base64".into()))
            })
            .collect::<Result<_, _>>()?;
        Ok(Self {
            name: raw.name,
            url: raw.url,
            signing_key: raw.signing_key,
            recovery_key: raw.recovery_key,
            capabilities: raw.capabilities,
            rotations,
            season: raw.season,
            transparency_origin: raw.transparency_origin,
        })
    }
}

/// On what ground the player trusted a community at first contact.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TrustBasis {
    /// The key matched the fingerprint the player was given out of band.
    FingerprintMatched,
    /// Nothing to check against: trust on first use. The player must be warned.
    TrustOnFirstUse,
}

/// Decides whether to pin `document`'s keys at first contact.
///
/// `expected` is a 16-hex-character fingerprint or a full `ed25519:` key given out of band.
pub fn pin_first_contact(
    document: &CommunityDocument,
    expected: Option<&str>,
) -> Result<TrustBasis, PinError> {
    let Some(expected) = expected else {
        return Ok(TrustBasis::TrustOnFirstUse);
    };
    let normalized: String = expected
        .trim()
        .chars()
        .filter(|c| !c.is_whitespace() && *c != ':' && *c != '-')
        .collect::<String>()
        .to_lowercase();
    let found = document.signing_key.fingerprint();
    let matches = if let Some(key_hex) = normalized.strip_prefix("ed25519") {
        if key_hex.len() != 64 || !key_hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(PinError::BadFingerprintArgument(expected.to_owned()));
        }
        key_hex == hex::encode(document.signing_key.as_bytes())
    } else {
        if normalized.len() != 16 || !normalized.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(PinError::BadFingerprintArgument(expected.to_owned()));
        }
        normalized == found.to_string()
    };
    if matches {
        Ok(TrustBasis::FingerprintMatched)
    } else {
        Err(PinError::FingerprintMismatch {
            expected: expected.to_owned(),
            found,
        })
    }
}

/// A key chain that extends the wallet's stored one, with the rotations it adds.
///
/// Only [`follow`] makes one, after verifying every rotation from the pinned key.
#[derive(Debug, Clone)]
pub struct FollowedChain {
    chain: KeyChain,
    new_rotations: Vec<Record>,
    rotated_at: Option<i64>,
}

impl FollowedChain {
    /// The verified chain.
    pub fn chain(&self) -> &KeyChain {
        &self.chain
    }

    /// The key pinned at join.
    pub fn pinned(&self) -> CommunityKey {
        self.chain.pinned()
    }

    /// The key the community signs with now.
    pub fn current(&self) -> CommunityKey {
        self.chain.current()
    }

    /// Rotations the wallet has not stored yet, in order.
    pub fn new_rotations(&self) -> &[Record] {
        &self.new_rotations
    }

    /// `effective_at` of the last rotation, `None` if the pinned key was never rotated.
    pub fn rotated_at(&self) -> Option<i64> {
        self.rotated_at
    }
}

/// What a later contact found about the community's keys.
#[derive(Debug, Clone)]
pub enum KeyCheck {
    /// Same keys as the wallet holds.
    Unchanged,
    /// The signing key changed along a valid rotation chain.
    Rotated(Box<FollowedChain>),
}

/// Checks `document` against what the wallet pinned and followed so far.
///
/// A changed signing key is followed only along a rotation chain that starts at the pinned key,
/// verifies link by link, extends the rotations already stored, and ends at the presented key.
pub fn follow(
    info: &CommunityInfo,
    stored_rotations: &[Vec<u8>],
    document: &CommunityDocument,
) -> Result<KeyCheck, PinError> {
    if document.recovery_key != info.recovery_key {
        return Err(PinError::RecoveryKeyChanged {
            pinned: info.recovery_key,
            presented: document.recovery_key,
        });
    }
    if document.signing_key == info.community_key {
        return Ok(KeyCheck::Unchanged);
    }
    let refuse = |reason: String| PinError::KeyChangedWithoutChain {
        pinned: info.community_key,
        presented: document.signing_key,
        reason,
    };
    let chain = KeyChain::from_rotations(
        info.pinned_key,
        Some(info.recovery_key),
        document.rotations.iter().map(Vec::as_slice),
    )
    .map_err(|error| refuse(error.to_string()))?;
    if chain.current() != document.signing_key {
        return Err(refuse(format!(
            "the published rotations lead to {}, not to the presented key",
            chain.current()
        )));
    }
    // The rotations `from_rotations` walked: from the one that retires the pinned key on.
    let mut walked = Vec::new();
    let mut started = false;
    for bytes in &document.rotations {
        let record = Record::decode(bytes).map_err(|error| refuse(error.to_string()))?;
        if let Payload::KeyRotation(rotation) = record.payload() {
            started |= rotation.old_key == info.pinned_key;
        }
        if started {
            walked.push(record);
        }
    }
    if walked.len() < stored_rotations.len()
        || walked
            .iter()
            .zip(stored_rotations)
            .any(|(presented, stored)| presented.as_bytes() != stored.as_slice())
    {
        return Err(PinError::ChainConflict(format!(
            "the wallet followed {} rotations that the community no longer publishes as they were",
            stored_rotations.len()
        )));
    }
    let rotated_at = walked.last().and_then(|record| match record.payload() {
        Payload::KeyRotation(rotation) => Some(rotation.effective_at),
        _ => None,
    });
    let new_rotations = walked.split_off(stored_rotations.len());
    Ok(KeyCheck::Rotated(Box::new(FollowedChain {
        chain,
        new_rotations,
        rotated_at,
    })))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use crate::test_support::{Community, player_key};

    fn info_for(community: &Community) -> CommunityInfo {
        CommunityInfo {
            community_key: community.current_key(),
            recovery_key: community.recovery_key(),
            pinned_key: community.current_key(),
            name: "Test".into(),
            server_url: "http://127.0.0.1:1".into(),
            capabilities: vec![],
            sk_rotated_at: None,
            joined_at: 0,
            last_sync: 0,
            last_sequence: 0,
            player_key: player_key(1),
        }
    }

    #[test]
    fn document_parses_and_checks_its_fingerprint() {
        let community = Community::new(1);
        let json = community.document_json("Alpha");
        let document = CommunityDocument::from_json(json.to_string().as_bytes()).unwrap();
        assert_eq!(document.signing_key, community.current_key());
        let mut lying = json.clone();
        lying["fingerprint"] = "0000000000000000".into();
        assert!(matches!(
            CommunityDocument::from_json(lying.to_string().as_bytes()),
            Err(PinError::BadDocument(_))
        ));
        let mut future = json.clone();
        future["api_version"] = 2.into();
        assert_eq!(
            CommunityDocument::from_json(future.to_string().as_bytes()),
            Err(PinError::UnsupportedApiVersion(2))
        );
        assert!(matches!(
            CommunityDocument::from_json(b"{\"name\": 5}"),
            Err(PinError::BadDocument(_))
        ));
    }

    #[test]
    fn first_contact_checks_a_given_fingerprint_or_key() {
        let community = Community::new(1);
        let document = community.document("Alpha");
        let fingerprint = community.current_key().fingerprint().to_string();
        assert_eq!(
            pin_first_contact(&document, None),
            Ok(TrustBasis::TrustOnFirstUse)
        );
        assert_eq!(
            pin_first_contact(&document, Some(&fingerprint.to_uppercase())),
            Ok(TrustBasis::FingerprintMatched)
        );
        assert_eq!(
            pin_first_contact(&document, Some(&community.current_key().to_string())),
            Ok(TrustBasis::FingerprintMatched)
        );
        let other = Community::new(2).current_key().fingerprint().to_string();
        assert!(matches!(
            pin_first_contact(&document, Some(&other)),
            Err(PinError::FingerprintMismatch { .. })
        ));
        assert!(matches!(
            pin_first_contact(&document, Some("xyz")),
            Err(PinError::BadFingerprintArgument(_))
        ));
    }

    #[test]
    fn a_valid_rotation_chain_is_followed_and_extends_the_stored_one() {
        let mut community = Community::new(1);
        let info = info_for(&community);
        assert!(matches!(
            follow(&info, &[], &community.document("Alpha")),
            Ok(KeyCheck::Unchanged)
        ));
        community.rotate_voluntarily(1_000);
        community.rotate_voluntarily(2_000);
        let KeyCheck::Rotated(followed) = follow(&info, &[], &community.document("Alpha")).unwrap()
        else {
            panic!("expected a rotation")
        };
        assert_eq!(followed.current(), community.current_key());
        assert_eq!(followed.new_rotations().len(), 2);
        assert_eq!(followed.rotated_at(), Some(2_000));

        // A wallet that already followed the first rotation gets only the second.
        let mut after_first = info.clone();
        after_first.community_key = followed.chain().epochs()[1].key.public_key().into();
        let stored = vec![community.rotations[0].clone()];
        let KeyCheck::Rotated(followed) =
            follow(&after_first, &stored, &community.document("Alpha")).unwrap()
        else {
            panic!("expected a rotation")
        };
        assert_eq!(followed.new_rotations().len(), 1);
        assert_eq!(
            followed.new_rotations()[0].as_bytes(),
            community.rotations[1].as_slice()
        );
    }

    #[test]
    fn an_emergency_rotation_by_the_recovery_key_is_followed() {
        let mut community = Community::new(1);
        let info = info_for(&community);
        community.rotate_emergency(3_000);
        let KeyCheck::Rotated(followed) = follow(&info, &[], &community.document("Alpha")).unwrap()
        else {
            panic!("expected a rotation")
        };
        assert_eq!(followed.current(), community.current_key());
        let retired = followed.chain().epochs()[0].retired.unwrap();
        assert!(retired.emergency);
        assert_eq!(retired.grace_until, 3_000);
    }

    #[test]
    fn a_changed_key_without_chain_is_refused() {
        let community = Community::new(1);
        let info = info_for(&community);
        let impostor = Community::new(7);
        let mut document = impostor.document("Alpha");
        document.recovery_key = community.recovery_key();
        assert!(matches!(
            follow(&info, &[], &document),
            Err(PinError::KeyChangedWithoutChain { .. })
        ));
        // The impostor's own rotation history does not start at the pinned key either.
        let mut rotated_impostor = Community::new(7);
        rotated_impostor.rotate_voluntarily(5);
        let mut document = rotated_impostor.document("Alpha");
        document.recovery_key = community.recovery_key();
        assert!(matches!(
            follow(&info, &[], &document),
            Err(PinError::KeyChangedWithoutChain { .. })
        ));
        let mut new_rk = community.document("Alpha");
        new_rk.recovery_key = impostor.recovery_key();
        assert!(matches!(
            follow(&info, &[], &new_rk),
            Err(PinError::RecoveryKeyChanged { .. })
        ));
    }

    #[test]
    fn a_history_that_contradicts_followed_rotations_is_refused() {
        // The wallet followed K0 -> K1. Someone holding K0 later publishes K0 -> K1' -> K2.
        let mut community = Community::new(1);
        let info = info_for(&community);
        community.rotate_voluntarily(1_000);
        let stored = community.rotations.clone();
        let mut after = info.clone();
        after.community_key = community.current_key();
        let mut fork = Community::new(1);
        fork.rotate_voluntarily_to(scr::KeyPair::from_seed([77; 32]), 1_000);
        fork.rotate_voluntarily(1_500);
        assert!(matches!(
            follow(&after, &stored, &fork.document("Alpha")),
            Err(PinError::ChainConflict(_))
        ));
        // Dropping the followed rotation (a rollback to K0) is refused too.
        let rolled_back = Community::new(1).document("Alpha");
        assert!(matches!(
            follow(&after, &stored, &rolled_back),
            Err(PinError::KeyChangedWithoutChain { .. } | PinError::ChainConflict(_))
        ));
    }
}
