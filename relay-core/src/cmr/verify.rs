//! Accepting a CMR: trusted relay, right community, valid signature, in that order (cheap first).
//! Only this module can make a `Verified<CertifiedMatchResult>`.

use std::collections::BTreeMap;
use std::fmt;

use scr::keys::{CommunityKey, RelayKey};
use scr::signature::VerifyingKey;

use super::codec::SIGNATURE_LEN;
use super::{CertifiedMatchResult, CmrError};

/// A match's id: SHA-256 of the complete signed record, signature included.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct MatchId(pub(super) [u8; 32]);

impl MatchId {
    /// The 32 raw bytes.
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }
}

impl fmt::Display for MatchId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for byte in self.0 {
            write!(f, "{byte:02x}")?;
        }
        Ok(())
    }
}

impl fmt::Debug for MatchId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "MatchId({self})")
    }
}

/// A value whose signature was checked against a trusted key.
///
/// The constructor is private to this module: holding one proves verification happened.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Verified<T> {
    value: T,
    match_id: MatchId,
    bytes: Vec<u8>,
}

impl<T> Verified<T> {
    /// The verified value.
    pub fn value(&self) -> &T {
        &self.value
    }

    /// The id of the record (SHA-256 of its bytes, signature included).
    pub fn match_id(&self) -> MatchId {
        self.match_id
    }

    /// The exact bytes that were verified, for storage and forwarding.
    pub fn bytes(&self) -> &[u8] {
        &self.bytes
    }
}

impl<T> std::ops::Deref for Verified<T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.value
    }
}

/// The relay keys whose results a ranking authority accepts.
#[derive(Clone, Debug, Default)]
pub struct TrustedRelays {
    keys: BTreeMap<RelayKey, VerifyingKey>,
}

impl TrustedRelays {
    /// Trusts the given keys; fails on a key that can never verify anything.
    pub fn new(keys: impl IntoIterator<Item = RelayKey>) -> Result<Self, CmrError> {
        let mut trusted = BTreeMap::new();
        for key in keys {
            trusted.insert(key, VerifyingKey::new(key.public_key())?);
        }
        Ok(Self { keys: trusted })
    }

    /// Decodes `bytes` and accepts them if a trusted relay signed them for `community`.
    pub fn verify(
        &self,
        bytes: &[u8],
        community: &CommunityKey,
    ) -> Result<Verified<CertifiedMatchResult>, CmrError> {
        let (value, signature) = CertifiedMatchResult::decode_unverified(bytes)?;
        let key = self
            .keys
            .get(&value.relay_key)
            .ok_or(CmrError::UntrustedRelay)?;
        if value.community_key != *community {
            return Err(CmrError::WrongCommunity);
        }
        // The decoder guarantees the signature is the last SIGNATURE_LEN bytes.
        let signed = &bytes[..bytes.len() - SIGNATURE_LEN];
        key.verify(signed, &signature)?;
        Ok(Verified {
            value,
            match_id: MatchId::of_record(bytes),
            bytes: bytes.to_vec(),
        })
    }
}

#[cfg(test)]
mod tests {
    use scr::keys::{KeyPair, PlayerKey};

    use super::*;
    use crate::cmr::{CmrPlayer, EndReason, MatchOutcome, PlayerResult};
    use crate::ids::{PlayerSlot, TeamId};
    use crate::wire::WireError;

    fn sample(relay: &KeyPair, community: &KeyPair) -> CertifiedMatchResult {
        CertifiedMatchResult {
            relay_key: relay.public_key().into(),
            community_key: community.public_key().into(),
            game_id: 42,
            game_module: "ra1".into(),
            map_name: "Coastal Influence".into(),
            map_hash: [3; 32],
            ranked: true,
            tick_interval_us: 66_667,
            final_tick: 9000,
            started_at_us: 1_700_000_000_000_000,
            ended_at_us: 1_700_000_600_000_000,
            outcome: MatchOutcome::Completed {
                winner: TeamId(1),
                reason: EndReason::Elimination,
            },
            observer_delay_ticks: 0,
            players: (0..2)
                .map(|i| CmrPlayer {
                    slot: PlayerSlot(i),
                    key: PlayerKey::from(KeyPair::from_seed([10 + i; 32]).public_key()),
                    team: TeamId(i),
                    result: if i == 1 {
                        PlayerResult::Win
                    } else {
                        PlayerResult::Loss
                    },
                })
                .collect(),
            final_state_hash: [4; 32],
            order_stream_hash: [5; 32],
            replay_hash: [6; 32],
            desync_tick: None,
            degraded: false,
        }
    }

    #[test]
    fn signed_record_verifies_and_round_trips() {
        let relay = KeyPair::from_seed([1; 32]);
        let community = KeyPair::from_seed([2; 32]);
        let cmr = sample(&relay, &community);
        let signed = cmr.sign(&relay).unwrap();
        let trusted = TrustedRelays::new([cmr.relay_key]).unwrap();
        let verified = trusted
            .verify(signed.as_bytes(), &cmr.community_key)
            .unwrap();
        assert_eq!(*verified.value(), cmr);
        assert_eq!(verified.match_id(), signed.match_id());
        assert_eq!(verified.bytes(), signed.as_bytes());
    }

    #[test]
    fn trust_community_and_signature_are_each_enforced() {
        let relay = KeyPair::from_seed([1; 32]);
        let community = KeyPair::from_seed([2; 32]);
        let cmr = sample(&relay, &community);
        let signed = cmr.sign(&relay).unwrap();
        let other: RelayKey = KeyPair::from_seed([9; 32]).public_key().into();
        let untrusted = TrustedRelays::new([other]).unwrap();
        assert_eq!(
            untrusted.verify(signed.as_bytes(), &cmr.community_key),
            Err(CmrError::UntrustedRelay)
        );
        let trusted = TrustedRelays::new([cmr.relay_key]).unwrap();
        let elsewhere: CommunityKey = KeyPair::from_seed([8; 32]).public_key().into();
        assert_eq!(
            trusted.verify(signed.as_bytes(), &elsewhere),
            Err(CmrError::WrongCommunity)
        );
        let mut tampered = signed.into_bytes();
        // community_key occupies bytes 33..65.
        tampered[40] ^= 1;
        assert_eq!(
            trusted.verify(&tampered, &cmr.community_key),
            Err(CmrError::WrongCommunity)
        );
        tampered[40] ^= 1;
        let game_id_byte = 1 + 32 + 32;
        tampered[game_id_byte] ^= 1;
        assert_eq!(
            trusted.verify(&tampered, &cmr.community_key),
            Err(CmrError::Signature(
                scr::signature::SignatureError::Mismatch
            ))
        );
    }

    #[test]
    fn signing_with_another_key_is_refused() {
        let relay = KeyPair::from_seed([1; 32]);
        let cmr = sample(&relay, &KeyPair::from_seed([2; 32]));
        assert_eq!(
            cmr.sign(&KeyPair::from_seed([7; 32])),
            Err(CmrError::WrongSigningKey)
        );
    }

    #[test]
    fn every_truncation_and_any_extension_is_rejected() {
        let relay = KeyPair::from_seed([1; 32]);
        let cmr = sample(&relay, &KeyPair::from_seed([2; 32]));
        let bytes = cmr.sign(&relay).unwrap().into_bytes();
        for len in 0..bytes.len() {
            assert!(matches!(
                CertifiedMatchResult::decode_unverified(&bytes[..len]),
                Err(CmrError::Wire(WireError::Truncated { .. }))
            ));
        }
        let mut longer = bytes.clone();
        longer.push(0);
        assert_eq!(
            CertifiedMatchResult::decode_unverified(&longer),
            Err(CmrError::Wire(WireError::TrailingBytes { count: 1 }))
        );
    }

    #[test]
    fn invalid_results_cannot_be_signed() {
        let relay = KeyPair::from_seed([1; 32]);
        let mut cmr = sample(&relay, &KeyPair::from_seed([2; 32]));
        cmr.players.swap(0, 1);
        assert_eq!(cmr.sign(&relay), Err(CmrError::SlotsNotAscending));
        cmr.players.swap(0, 1);
        cmr.outcome = MatchOutcome::DesyncTerminated {
            first_divergence_tick: 5,
        };
        assert_eq!(cmr.sign(&relay), Err(CmrError::DesyncTickMismatch));
        cmr.desync_tick = Some(5);
        assert!(cmr.sign(&relay).is_ok());
        cmr.map_name = "x".repeat(256);
        assert_eq!(cmr.sign(&relay), Err(CmrError::StringTooLong("map_name")));
    }
}
