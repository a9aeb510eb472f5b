//! Presenting records (the bytes a game sends to a server or peer) and verifying what a peer
//! presents against a community the wallet has pinned, offline.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use rand::rngs::OsRng;
use scr::envelope::{HEADER_LEN, MAX_PAYLOAD_LEN, MIN_RECORD_LEN};
use scr::{
    KeyChain, PlayerContext, PlayerKey, PublicKey, Record, RecordType, RevocationTable, Verified,
    Verifier, VerifyError,
};

use crate::wallet::{CommunityStore, Wallet, WalletError};

/// Most records in one presentation.
pub const MAX_PRESENTED_RECORDS: usize = 64;

/// Why a presentation could not be made or read.
#[derive(Debug, thiserror::Error)]
pub enum PresentError {
    /// The wallet failed.
    #[error(transparent)]
    Wallet(#[from] WalletError),
    /// No rating the wallet holds is valid now.
    #[error("no valid rating record{} in this wallet; run `ic refresh`", module.as_ref().map(|m| format!(" for module {m:?}")).unwrap_or_default())]
    NoValidRating {
        /// The module asked for, if any.
        module: Option<String>,
    },
    /// The bytes are not a sequence of records.
    #[error("not a presentation: {0}")]
    Malformed(String),
}

/// Records a player presents: their bytes, concatenated on the wire.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Presentation {
    records: Vec<Vec<u8>>,
}

impl Presentation {
    /// A presentation of these records.
    pub fn new(records: Vec<Vec<u8>>) -> Self {
        Self { records }
    }

    /// The records.
    pub fn records(&self) -> &[Vec<u8>] {
        &self.records
    }

    /// The wire form: the records one after another (each record states its own length).
    pub fn to_bytes(&self) -> Vec<u8> {
        self.records.concat()
    }

    /// The wire form in standard base64.
    pub fn to_base64(&self) -> String {
        BASE64.encode(self.to_bytes())
    }

    /// Splits the wire form into records, using each header's `payload_len`. The records are
    /// not checked beyond their length here; verification does that.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, PresentError> {
        let mut records = Vec::new();
        let mut rest = bytes;
        while !rest.is_empty() {
            if records.len() == MAX_PRESENTED_RECORDS {
                return Err(PresentError::Malformed(format!(
                    "more than {MAX_PRESENTED_RECORDS} records"
                )));
            }
            if rest.len() < MIN_RECORD_LEN {
                return Err(PresentError::Malformed(format!(
                    "{} bytes left, shorter than a record",
                    rest.len()
                )));
            }
            let mut len_bytes = [0u8; 4];
            len_bytes.copy_from_slice(&rest[HEADER_LEN - 4..HEADER_LEN]);
            let payload_len = u32::from_le_bytes(len_bytes);
            if payload_len > MAX_PAYLOAD_LEN {
                return Err(PresentError::Malformed(format!(
                    "payload_len {payload_len} exceeds the limit"
                )));
            }
            // At most 158 + 65 535, so this cannot overflow.
            let len = MIN_RECORD_LEN + payload_len as usize;
            if rest.len() < len {
                return Err(PresentError::Malformed(
                    "the last record is truncated".into(),
                ));
            }
            let (record, tail) = rest.split_at(len);
            records.push(record.to_vec());
            rest = tail;
        }
        Ok(Self { records })
    }

    /// Reads base64 text (whitespace ignored) or, failing that, raw bytes.
    pub fn from_text_or_bytes(input: &[u8]) -> Result<Self, PresentError> {
        let compact: Vec<u8> = input
            .iter()
            .copied()
            .filter(|b| !b.is_ascii_whitespace())
            .collect();
        match BASE64.decode(&compact) {
            Ok(bytes) if !bytes.is_empty() => Self::from_bytes(&bytes),
            _ => Self::from_bytes(input),
        }
    }
}

/// The player's current, valid rating records of one community (optionally one module).
pub async fn presentation(
    store: &CommunityStore,
    module: Option<&str>,
    now: i64,
) -> Result<Presentation, PresentError> {
    let verifier = store.verifier().await?;
    let mut records = Vec::new();
    for rating in store.ratings().await? {
        if module.is_some_and(|module| module != rating.game_module) {
            continue;
        }
        // Re-verified now: an expired, revoked or retired-key rating is not worth sending.
        if verifier.verify(&rating.bytes, now).is_ok() {
            records.push(rating.bytes);
        }
    }
    if records.is_empty() {
        return Err(PresentError::NoValidRating {
            module: module.map(str::to_owned),
        });
    }
    Ok(Presentation::new(records))
}

/// Verifies a peer's presentation against a pinned community's chain, for the peer's identity
/// key `player` (from the session handshake), after applying `revocations` the community
/// published for that player (those that do not verify are ignored).
pub fn verify_presented(
    chain: &KeyChain,
    player: PlayerKey,
    presentation: &Presentation,
    revocations: &[Vec<u8>],
    now: i64,
) -> Vec<Result<Verified<Record>, VerifyError>> {
    let mut table = RevocationTable::new(player);
    let plain = Verifier::new(chain.clone()).with_player(PlayerContext::new(table.clone()));
    for bytes in revocations {
        if let Ok(record) = plain.verify(bytes, now) {
            if record.record_type() == RecordType::Revocation {
                let _ = table.apply(&record);
            }
        }
    }
    let verifier = Verifier::new(chain.clone()).with_player(PlayerContext::new(table));
    let slices: Vec<&[u8]> = presentation.records().iter().map(Vec::as_slice).collect();
    verifier.verify_each(&slices, now, &mut OsRng)
}

/// One record of a file checked by [`check_records`].
#[derive(Debug, Clone)]
pub struct RecordCheck {
    /// The record, if it decoded.
    pub record: Option<Record>,
    /// The joined community whose chain holds the signer (slug), if any.
    pub community: Option<String>,
    /// The verdict.
    pub verdict: Result<(), CheckError>,
}

/// Why a record in a file is not valid.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CheckError {
    /// The community refuses it.
    #[error(transparent)]
    Invalid(#[from] VerifyError),
    /// No joined community has the signing key.
    #[error("unknown_community: signed by {key} (fingerprint {}), a key of no joined community", key.fingerprint())]
    UnknownCommunity {
        /// The signer.
        key: PublicKey,
    },
}

impl CheckError {
    /// The snake_case reason code.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Invalid(error) => error.code(),
            Self::UnknownCommunity { .. } => "unknown_community",
        }
    }
}

/// Checks records from a file against every joined community: each is verified by the
/// community whose key chain holds its signer, with the wallet's revocations when it is about
/// the wallet's own player.
pub async fn check_records(
    wallet: &Wallet,
    presentation: &Presentation,
    now: i64,
) -> Result<Vec<RecordCheck>, WalletError> {
    let mut communities = Vec::new();
    for slug in wallet.slugs()? {
        let store = CommunityStore::open(&wallet.community_path(&slug)).await?;
        let chain = store.key_chain().await;
        let own = store.verifier().await;
        store.close().await;
        communities.push((slug, chain?, own?));
    }
    let mut checks = Vec::new();
    for bytes in presentation.records() {
        let record = match Record::decode(bytes) {
            Ok(record) => record,
            Err(error) => {
                checks.push(RecordCheck {
                    record: None,
                    community: None,
                    verdict: Err(CheckError::Invalid(VerifyError::Decode(error))),
                });
                continue;
            }
        };
        let signer = record.community_key();
        let issuer = communities.iter().find(|(_, chain, _)| {
            chain.epoch_of(&signer).is_some()
                || chain.recovery().is_some_and(|rk| rk.public_key() == signer)
        });
        let Some((slug, chain, own)) = issuer else {
            checks.push(RecordCheck {
                record: Some(record),
                community: None,
                verdict: Err(CheckError::UnknownCommunity { key: signer }),
            });
            continue;
        };
        let is_own = own
            .player()
            .is_some_and(|player| player.player() == record.player_key());
        let verdict = if is_own {
            own.verify(bytes, now)
        } else {
            Verifier::new(chain.clone()).verify(bytes, now)
        };
        checks.push(RecordCheck {
            record: Some(record),
            community: Some(slug.clone()),
            verdict: verdict.map(|_| ()).map_err(CheckError::from),
        });
    }
    Ok(checks)
}

impl Wallet {
    /// The bytes a game would send to show the player's standing in `community` (slug, name or
    /// fingerprint): the current valid rating records, optionally of one module.
    pub async fn present(
        &self,
        community: &str,
        module: Option<&str>,
        now: i64,
    ) -> Result<Presentation, PresentError> {
        let (_, store) = self.open_community(community).await?;
        let result = presentation(&store, module, now).await;
        store.close().await;
        result
    }

    /// Verifies, offline, what the peer with identity key `player` presented, against the
    /// chain this wallet pinned and followed for `community`, with `revocations` the community
    /// published for that player (may be empty).
    pub async fn verify_peer(
        &self,
        community: &str,
        player: PlayerKey,
        presentation: &Presentation,
        revocations: &[Vec<u8>],
        now: i64,
    ) -> Result<Vec<Result<Verified<Record>, VerifyError>>, WalletError> {
        let (_, store) = self.open_community(community).await?;
        let chain = store.key_chain().await;
        store.close().await;
        Ok(verify_presented(
            &chain?,
            player,
            presentation,
            revocations,
            now,
        ))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use crate::test_support::{Community, player_key};

    const NOW: i64 = 1_700_000_000;

    #[test]
    fn presentations_split_back_into_their_records() {
        let community = Community::new(1);
        let a = community
            .rating(player_key(1), 1, NOW, "ra", 1_500_000)
            .into_bytes();
        let b = community.game(player_key(1), 2, NOW, 3).into_bytes();
        let presentation = Presentation::new(vec![a.clone(), b.clone()]);
        assert_eq!(
            Presentation::from_bytes(&presentation.to_bytes()).unwrap(),
            presentation
        );
        let text = format!("{}\n", presentation.to_base64());
        assert_eq!(
            Presentation::from_text_or_bytes(text.as_bytes()).unwrap(),
            presentation
        );
        assert_eq!(
            Presentation::from_text_or_bytes(&presentation.to_bytes()).unwrap(),
            presentation
        );
        let truncated = &presentation.to_bytes()[..a.len() + 10];
        assert!(matches!(
            Presentation::from_bytes(truncated),
            Err(PresentError::Malformed(_))
        ));
        let mut huge = a.clone();
        huge[HEADER_LEN - 4..HEADER_LEN].copy_from_slice(&u32::MAX.to_le_bytes());
        assert!(matches!(
            Presentation::from_bytes(&huge),
            Err(PresentError::Malformed(_))
        ));
    }

    #[test]
    fn a_peer_presentation_is_checked_against_the_pinned_chain_and_revocations() {
        let community = Community::new(1);
        let chain = KeyChain::new(community.current_key(), Some(community.recovery_key())).unwrap();
        let peer = player_key(5);
        let rating = community.rating(peer, 4, NOW, "ra", 1_600_000).into_bytes();
        let presentation = Presentation::new(vec![rating.clone()]);
        let results = verify_presented(&chain, peer, &presentation, &[], NOW);
        assert!(results[0].is_ok());
        // Presented as someone else's: refused.
        let results = verify_presented(&chain, player_key(6), &presentation, &[], NOW);
        assert_eq!(results[0].as_ref().unwrap_err().code(), "identity_mismatch");
        // Revoked by the community: refused.
        let revocation = community
            .revocation(peer, 5, NOW, RecordType::Rating, 5)
            .into_bytes();
        let results = verify_presented(&chain, peer, &presentation, &[revocation], NOW);
        assert_eq!(results[0].as_ref().unwrap_err().code(), "revoked");
        // Another community's record: wrong community.
        let other = Community::new(2)
            .rating(peer, 4, NOW, "ra", 2_400_000)
            .into_bytes();
        let results = verify_presented(&chain, peer, &Presentation::new(vec![other]), &[], NOW);
        assert_eq!(results[0].as_ref().unwrap_err().code(), "wrong_community");
        // Expired.
        let results = verify_presented(&chain, peer, &presentation, &[], NOW + 8 * 86_400);
        assert_eq!(results[0].as_ref().unwrap_err().code(), "expired");
    }
}

#[cfg(test)]
mod properties {
    #![allow(clippy::unwrap_used)]
    use proptest::prelude::*;

    use super::*;

    proptest! {
        /// Bytes from a peer split into records or are refused, never a panic; whatever splits
        /// joins back to the same bytes.
        #[test]
        fn any_bytes_split_or_are_refused_and_splits_join_back(
            bytes in proptest::collection::vec(any::<u8>(), 0..2048),
        ) {
            if let Ok(presentation) = Presentation::from_bytes(&bytes) {
                prop_assert_eq!(presentation.to_bytes(), bytes);
            }
        }

        /// Records of any payload length, back to back, split into exactly those records.
        #[test]
        fn records_back_to_back_split_into_the_same_records(
            payloads in proptest::collection::vec(0usize..600, 0..6),
            filler in any::<u8>(),
        ) {
            let records: Vec<Vec<u8>> = payloads
                .iter()
                .map(|&len| {
                    let mut record = vec![filler; MIN_RECORD_LEN + len];
                    record[HEADER_LEN - 4..HEADER_LEN]
                        .copy_from_slice(&u32::try_from(len).unwrap().to_le_bytes());
                    record
                })
                .collect();
            let presentation = Presentation::new(records.clone());
            let split = Presentation::from_bytes(&presentation.to_bytes()).unwrap();
            prop_assert_eq!(split.records(), records.as_slice());
        }
    }
}
