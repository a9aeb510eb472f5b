//! Admitting a ticket: trusted signer, not expired, valid signature, in that order (cheap first).
//! Only this module can make a `VerifiedTicket`.

use std::collections::BTreeMap;

use scr::keys::PublicKey;
use scr::signature::VerifyingKey;

use super::{MatchTicket, SignerKind, TicketError};

/// How far in the future `issued_at` may lie (seconds): the issuer's and the relay's clocks
/// are not the same clock.
pub const MAX_CLOCK_SKEW_SECS: i64 = 300;

/// A ticket whose signer is trusted, whose signature verifies and which had not expired when
/// checked. The constructor is private to this module.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VerifiedTicket {
    ticket: MatchTicket,
    bytes: Vec<u8>,
}

impl VerifiedTicket {
    /// The verified ticket.
    pub fn ticket(&self) -> &MatchTicket {
        &self.ticket
    }

    /// The exact bytes that were verified.
    pub fn bytes(&self) -> &[u8] {
        &self.bytes
    }
}

impl std::ops::Deref for VerifiedTicket {
    type Target = MatchTicket;

    fn deref(&self) -> &MatchTicket {
        &self.ticket
    }
}

/// The signer keys a relay accepts tickets from, per kind.
#[derive(Clone, Debug, Default)]
pub struct TicketVerifier {
    signers: BTreeMap<(SignerKind, PublicKey), VerifyingKey>,
}

impl TicketVerifier {
    /// Accepts tickets from the given signers; fails on a key that can never verify anything.
    pub fn new(
        signers: impl IntoIterator<Item = (SignerKind, PublicKey)>,
    ) -> Result<Self, TicketError> {
        let mut accepted = BTreeMap::new();
        for (kind, key) in signers {
            accepted.insert((kind, key), VerifyingKey::new(key)?);
        }
        Ok(Self { signers: accepted })
    }

    /// Decodes `bytes` and admits them if a trusted signer signed them and they are valid at
    /// Unix time `now` (seconds).
    pub fn verify(&self, bytes: &[u8], now: i64) -> Result<VerifiedTicket, TicketError> {
        let (ticket, signature) = MatchTicket::decode_unverified(bytes)?;
        let key = self
            .signers
            .get(&(ticket.signer_kind, ticket.signer_key))
            .ok_or(TicketError::UntrustedSigner)?;
        if now >= ticket.expires_at {
            return Err(TicketError::Expired {
                expires_at: ticket.expires_at,
                now,
            });
        }
        if ticket.issued_at > now.saturating_add(MAX_CLOCK_SKEW_SECS) {
            return Err(TicketError::NotYetValid {
                issued_at: ticket.issued_at,
                now,
            });
        }
        // The decoder guarantees the signature is the last 64 bytes.
        key.verify(&bytes[..bytes.len() - 64], &signature)?;
        Ok(VerifiedTicket {
            ticket,
            bytes: bytes.to_vec(),
        })
    }
}

#[cfg(test)]
mod tests {
    use scr::keys::{CommunityKey, KeyPair, PlayerKey};

    use super::*;
    use crate::ids::{PlayerSlot, TeamId};
    use crate::ticket::{MatchSettings, TicketSeat, TicketSigner};
    use crate::wire::WireError;

    fn community() -> KeyPair {
        KeyPair::from_seed([0x22; 32])
    }

    fn ticket(signer: &KeyPair) -> MatchTicket {
        MatchTicket {
            signer_kind: SignerKind::Community,
            signer_key: signer.public_key(),
            community_key: CommunityKey::from(signer.public_key()),
            game_id: 77,
            game_module: "ra1".into(),
            player_key: PlayerKey::from(KeyPair::from_seed([0x30; 32]).public_key()),
            seat: TicketSeat::Player {
                slot: PlayerSlot(1),
                team: TeamId(1),
            },
            settings: MatchSettings {
                ranked: true,
                tick_interval_us: 66_667,
                map_name: "Coastal Influence".into(),
                map_hash: [9; 32],
                player_count: 2,
            },
            issued_at: 1_750_000_000,
            expires_at: 1_750_000_300,
        }
    }

    fn verifier() -> TicketVerifier {
        TicketVerifier::new([(SignerKind::Community, community().public_key())]).unwrap()
    }

    #[test]
    fn signed_ticket_verifies_and_round_trips() {
        let t = ticket(&community());
        let signed = TicketSigner::new(SignerKind::Community, community())
            .sign(&t)
            .unwrap();
        let verified = verifier().verify(signed.as_bytes(), 1_750_000_010).unwrap();
        assert_eq!(verified.ticket(), &t);
        assert_eq!(verified.bytes(), signed.as_bytes());
        // 1+1+32+32+8+(1+3)+32+1+1+1+1+4+(1+17)+32+1+8+8+64
        assert_eq!(signed.as_bytes().len(), 249);
    }

    #[test]
    fn trust_expiry_and_signature_are_each_enforced() {
        let t = ticket(&community());
        let signed = TicketSigner::new(SignerKind::Community, community())
            .sign(&t)
            .unwrap()
            .into_bytes();
        let other = TicketVerifier::new([(SignerKind::Relay, community().public_key())]).unwrap();
        assert_eq!(
            other.verify(&signed, 1_750_000_010),
            Err(TicketError::UntrustedSigner)
        );
        assert!(matches!(
            verifier().verify(&signed, 1_750_000_300),
            Err(TicketError::Expired { .. })
        ));
        assert!(matches!(
            verifier().verify(&signed, 1_750_000_000 - MAX_CLOCK_SKEW_SECS - 1),
            Err(TicketError::NotYetValid { .. })
        ));
        let mut forged = signed.clone();
        // game_id starts after version, kind and two keys.
        forged[66] ^= 1;
        assert_eq!(
            verifier().verify(&forged, 1_750_000_010),
            Err(TicketError::Signature(
                scr::signature::SignatureError::Mismatch
            ))
        );
    }

    #[test]
    fn signer_rules_hold_when_signing() {
        let relay = KeyPair::from_seed([0x11; 32]);
        let mut t = ticket(&community());
        assert_eq!(
            TicketSigner::new(SignerKind::Community, relay.clone()).sign(&t),
            Err(TicketError::WrongSigningKey)
        );
        t.signer_kind = SignerKind::Relay;
        t.signer_key = relay.public_key();
        let signer = TicketSigner::new(SignerKind::Relay, relay);
        assert!(matches!(
            signer.sign(&t),
            Err(TicketError::SignerMismatch(_))
        ));
        t.settings.ranked = false;
        t.community_key = CommunityKey::from_bytes([0; 32]);
        assert!(signer.sign(&t).is_ok());
        t.seat = TicketSeat::Player {
            slot: PlayerSlot(2),
            team: TeamId(0),
        };
        assert_eq!(
            signer.sign(&t),
            Err(TicketError::SlotOutOfRange {
                slot: 2,
                player_count: 2
            })
        );
        // An observer has no slot to be out of range.
        t.seat = TicketSeat::Observer;
        assert!(signer.sign(&t).is_ok());
        t.expires_at = t.issued_at;
        assert_eq!(signer.sign(&t), Err(TicketError::ExpiresBeforeIssued));
        t.expires_at = t.issued_at + 1;
        t.game_module = "m".repeat(256);
        assert_eq!(
            signer.sign(&t),
            Err(TicketError::StringTooLong("game_module"))
        );
    }

    #[test]
    fn every_truncation_extension_and_oversize_is_rejected() {
        let t = ticket(&community());
        let bytes = TicketSigner::new(SignerKind::Community, community())
            .sign(&t)
            .unwrap()
            .into_bytes();
        for len in 0..bytes.len() {
            assert!(matches!(
                MatchTicket::decode_unverified(&bytes[..len]),
                Err(TicketError::Wire(WireError::Truncated { .. }))
            ));
        }
        let mut longer = bytes.clone();
        longer.push(0);
        assert_eq!(
            MatchTicket::decode_unverified(&longer),
            Err(TicketError::Wire(WireError::TrailingBytes { count: 1 }))
        );
        assert!(matches!(
            MatchTicket::decode_unverified(&vec![1; super::super::MAX_TICKET_BYTES + 1]),
            Err(TicketError::Wire(WireError::TooLong { .. }))
        ));
        let mut version = bytes.clone();
        version[0] = 1;
        assert_eq!(
            MatchTicket::decode_unverified(&version),
            Err(TicketError::UnknownVersion(1))
        );
    }

    #[test]
    fn tick_lengths_round_to_the_nearest_microsecond() {
        use crate::ticket::{DEFAULT_TICK_RATE, tick_interval_us};
        assert_eq!(tick_interval_us(DEFAULT_TICK_RATE), 66_667);
        assert_eq!(tick_interval_us(60), 16_667);
        assert_eq!(tick_interval_us(1), 1_000_000);
        assert_eq!(
            tick_interval_us(0),
            1_000_000,
            "0 is taken as 1, never a division by 0"
        );
    }

    /// Offset of `seat_role`: version, kind, two keys, game id, "ra1", player key.
    const ROLE_AT: usize = 1 + 1 + 32 + 32 + 8 + 4 + 32;

    #[test]
    fn observer_tickets_round_trip_and_their_seat_bytes_are_strict() {
        let mut t = ticket(&community());
        t.seat = TicketSeat::Observer;
        let bytes = TicketSigner::new(SignerKind::Community, community())
            .sign(&t)
            .unwrap()
            .into_bytes();
        assert_eq!(&bytes[ROLE_AT..ROLE_AT + 3], &[2, 0, 0]);
        let verified = verifier().verify(&bytes, 1_750_000_010).unwrap();
        assert_eq!(verified.seat, TicketSeat::Observer);
        for (at, value, field) in [
            (ROLE_AT, 0, "seat_role"),
            (ROLE_AT, 3, "seat_role"),
            (ROLE_AT + 1, 1, "slot"),
            (ROLE_AT + 2, 1, "team"),
        ] {
            let mut changed = bytes.clone();
            changed[at] = value;
            assert_eq!(
                MatchTicket::decode_unverified(&changed),
                Err(TicketError::UndefinedValue {
                    field,
                    value: u64::from(value)
                })
            );
        }
    }
}
