//! Matches the matchmaker placed on a relay lately, and spectator tickets for them: the same
//! community-signed terms as the players' tickets, with an observer seat for the viewer.

use std::collections::VecDeque;

use relay_core::ticket::{MatchTicket, SignedTicket, TicketSeat, TicketSigner};
use scr::{KeyPair, PlayerKey, RelayKey};

use super::handoff::HandedOff;

/// How long a placed match stays listed: longer than a match usually runs. The relay refuses
/// a spectator of a match that already ended, so a stale entry costs a refused connection.
const LISTED_FOR_MS: u64 = 2 * 3600 * 1000;
/// Most matches listed; the oldest go first.
const MAX_LISTED: usize = 10_000;
/// Seconds a spectator ticket admits.
const SPECTATOR_TICKET_SECS: i64 = 300;

/// A match placed on a relay.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LiveMatch {
    /// `module/mode` of the queue.
    pub queue: String,
    /// Players of team 0 and team 1.
    pub teams: [Vec<PlayerKey>; 2],
    /// Where to connect (`host:port`, UDP).
    pub relay_address: String,
    /// The relay's key, to pin.
    pub relay_key: RelayKey,
    /// When it was placed (Unix ms).
    pub placed_ms: u64,
    /// The terms of the players' tickets, which a spectator's ticket must repeat.
    terms: MatchTicket,
}

impl LiveMatch {
    /// The relay's game id.
    pub fn game_id(&self) -> u64 {
        self.terms.game_id
    }

    /// Whether results change ratings.
    pub fn ranked(&self) -> bool {
        self.terms.settings.ranked
    }
}

/// Why no spectator ticket was made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WatchError {
    /// No match with this game id was placed lately.
    #[error("no match with this game id is listed")]
    NotListed,
    /// The viewer plays in the match.
    #[error("you play in this match; players cannot also spectate")]
    Playing,
    /// The community's signing key changed since the match was placed; the relay only admits
    /// tickets signed like the players'.
    #[error("the community's signing key changed since this match started")]
    KeyRotated,
    /// This process may not sign tickets: the community rotated past its key.
    #[error(transparent)]
    SigningKeySuperseded(#[from] crate::community::Superseded),
}

/// The matches placed lately, oldest first.
#[derive(Debug, Default)]
pub struct LiveMatches {
    listed: VecDeque<LiveMatch>,
}

impl LiveMatches {
    /// Lists a match of `queue` placed at `placed_ms` as `handed` says.
    pub fn placed(
        &mut self,
        queue: String,
        teams: [Vec<PlayerKey>; 2],
        handed: &HandedOff,
        placed_ms: u64,
    ) {
        self.prune(placed_ms);
        if self.listed.len() >= MAX_LISTED {
            self.listed.pop_front();
        }
        self.listed.push_back(LiveMatch {
            queue,
            teams,
            relay_address: handed.relay_address.clone(),
            relay_key: handed.relay_key,
            placed_ms,
            terms: handed.terms.clone(),
        });
    }

    fn prune(&mut self, now_ms: u64) {
        while self
            .listed
            .front()
            .is_some_and(|m| now_ms.saturating_sub(m.placed_ms) >= LISTED_FOR_MS)
        {
            self.listed.pop_front();
        }
    }

    /// The matches placed within the listing time, newest first.
    pub fn listed(&mut self, now_ms: u64) -> Vec<LiveMatch> {
        self.prune(now_ms);
        self.listed.iter().rev().cloned().collect()
    }

    /// A spectator ticket for `viewer` in game `game_id`, signed with `signing` (the
    /// community's current signing key), valid from `now` (Unix seconds).
    pub fn spectator_ticket(
        &mut self,
        game_id: u64,
        viewer: PlayerKey,
        signing: &KeyPair,
        now_ms: u64,
    ) -> Result<(LiveMatch, SignedTicket), WatchError> {
        self.prune(now_ms);
        let live = self
            .listed
            .iter()
            .find(|m| m.game_id() == game_id)
            .ok_or(WatchError::NotListed)?;
        if live.teams.iter().flatten().any(|p| *p == viewer) {
            return Err(WatchError::Playing);
        }
        if signing.public_key() != live.terms.signer_key {
            return Err(WatchError::KeyRotated);
        }
        let now = i64::try_from(now_ms / 1000).unwrap_or(i64::MAX);
        let ticket = MatchTicket {
            player_key: viewer,
            seat: TicketSeat::Observer,
            issued_at: now,
            expires_at: now.saturating_add(SPECTATOR_TICKET_SECS),
            ..live.terms.clone()
        };
        let signed = TicketSigner::new(live.terms.signer_kind, signing.clone())
            .sign(&ticket)
            .map_err(|_| WatchError::KeyRotated)?;
        Ok((live.clone(), signed))
    }
}

#[cfg(test)]
mod tests {
    use relay_core::ids::{PlayerSlot, TeamId};
    use relay_core::ticket::{MatchSettings, SignerKind, TicketVerifier};

    use super::*;

    fn key(seed: u8) -> PlayerKey {
        KeyPair::from_seed([seed; 32]).public_key().into()
    }

    fn placed_terms(community: &KeyPair, game_id: u64) -> MatchTicket {
        MatchTicket {
            signer_kind: SignerKind::Community,
            signer_key: community.public_key(),
            community_key: community.public_key().into(),
            game_id,
            game_module: "ra".into(),
            player_key: key(1),
            seat: TicketSeat::Player {
                slot: PlayerSlot(0),
                team: TeamId(0),
            },
            settings: MatchSettings {
                ranked: true,
                tick_interval_us: 66_667,
                map_name: String::new(),
                map_hash: [0; 32],
                player_count: 2,
            },
            issued_at: 1_000,
            expires_at: 1_300,
        }
    }

    #[test]
    fn a_spectator_ticket_repeats_the_match_terms_with_an_observer_seat() {
        let community = KeyPair::from_seed([5; 32]);
        let mut live = LiveMatches::default();
        let relay: RelayKey = KeyPair::from_seed([6; 32]).public_key().into();
        let handed = HandedOff {
            relay_address: "relay:19711".into(),
            relay_key: relay,
            terms: placed_terms(&community, 77),
            tickets: Vec::new(),
        };
        live.placed(
            "ra/ranked_1v1".into(),
            [vec![key(1)], vec![key(2)]],
            &handed,
            1_000_000,
        );
        let (listed, signed) = live
            .spectator_ticket(77, key(9), &community, 1_010_000)
            .unwrap();
        assert_eq!(listed.relay_address, "relay:19711");
        let verifier =
            TicketVerifier::new([(SignerKind::Community, community.public_key())]).unwrap();
        let ticket = verifier.verify(signed.as_bytes(), 1_011).unwrap();
        assert_eq!(ticket.seat, TicketSeat::Observer);
        assert_eq!(ticket.player_key, key(9));
        assert_eq!(ticket.game_id, 77);
        assert!(ticket.settings.ranked);

        assert_eq!(
            live.spectator_ticket(77, key(2), &community, 1_010_000)
                .unwrap_err(),
            WatchError::Playing
        );
        assert_eq!(
            live.spectator_ticket(78, key(9), &community, 1_010_000)
                .unwrap_err(),
            WatchError::NotListed
        );
        let rotated = KeyPair::from_seed([7; 32]);
        assert_eq!(
            live.spectator_ticket(77, key(9), &rotated, 1_010_000)
                .unwrap_err(),
            WatchError::KeyRotated
        );
        // Two hours later the match is no longer listed.
        assert_eq!(live.listed(1_000_000 + LISTED_FOR_MS).len(), 0);
    }
}
