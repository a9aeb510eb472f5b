//! Rooms without a relay: seats, spectators, closing, limits and the listing.
use std::cell::Cell;

use relay_core::ticket::TicketVerifier;

use super::*;

fn key(seed: u8) -> PlayerKey {
    KeyPair::from_seed([seed; 32]).public_key().into()
}

fn rooms() -> (Rooms, TicketVerifier) {
    let relay = KeyPair::from_seed([7; 32]);
    let verifier = TicketVerifier::new([(SignerKind::Relay, relay.public_key())]).unwrap();
    (
        Rooms::new(
            relay,
            900,
            2,
            RoomLimits {
                total: 4,
                per_host: 2,
            },
        ),
        verifier,
    )
}

#[test]
fn seats_are_dealt_in_join_order_into_teams_and_a_rejoin_keeps_its_seat() {
    let (rooms, verifier) = rooms();
    let request = RoomRequest {
        players: 4,
        ..RoomRequest::duel("ra")
    };
    let host = rooms
        .open(key(1), request, &[], 1_000, |_| GameState::NotStarted)
        .unwrap();
    let guest = rooms
        .join(&host.code, key(2), &[], 1_001, |_| GameState::NotStarted)
        .unwrap();
    let third = rooms
        .join(&host.code.to_lowercase(), key(3), &[], 1_002, |_| {
            GameState::NotStarted
        })
        .unwrap();
    let again = rooms
        .join(&host.code, key(2), &[], 1_003, |_| GameState::NotStarted)
        .unwrap();
    let seats: Vec<_> = [&host, &guest, &third, &again]
        .iter()
        .map(|s| s.seat)
        .collect();
    let player = |slot, team| TicketSeat::Player {
        slot: PlayerSlot(slot),
        team: TeamId(team),
    };
    assert_eq!(
        seats,
        vec![player(0, 0), player(1, 1), player(2, 0), player(1, 1)]
    );
    for (seat, player) in [(&host, key(1)), (&guest, key(2)), (&third, key(3))] {
        let verified = verifier.verify(&seat.ticket, 1_010).unwrap();
        let ticket = verified.ticket();
        assert_eq!(ticket.player_key, player);
        assert_eq!(ticket.game_id, host.game_id);
        assert!(!ticket.settings.ranked);
        assert_eq!(ticket.settings.player_count, 4);
        assert_eq!(ticket.community_key, CommunityKey::from_bytes([0; 32]));
    }
    rooms
        .join(&host.code, key(4), &[], 1_004, |_| GameState::NotStarted)
        .unwrap();
    assert_eq!(
        rooms.join(&host.code, key(5), &[], 1_005, |_| GameState::NotStarted),
        Err(RoomError::Full)
    );
}

#[test]
fn spectators_get_observer_tickets_up_to_the_limit_and_players_cannot_also_watch() {
    let (rooms, verifier) = rooms();
    let open = |_: u64| GameState::NotStarted;
    let host = rooms
        .open(key(1), RoomRequest::duel("ra"), &[], 1_000, open)
        .unwrap();
    let watcher = rooms.watch(&host.code, key(8), 1_001, open).unwrap();
    assert_eq!(watcher.seat, TicketSeat::Observer);
    let verified = verifier.verify(&watcher.ticket, 1_002).unwrap();
    assert_eq!(verified.player_key, key(8));
    assert_eq!(verified.seat, TicketSeat::Observer);
    assert_eq!(verified.game_id, host.game_id);
    assert_eq!(
        rooms.watch(&host.code, key(1), 1_003, open),
        Err(RoomError::AlreadyPlaying)
    );
    // Asking again keeps the spectator's place; a second spectator fills the limit.
    assert!(rooms.watch(&host.code, key(8), 1_004, open).is_ok());
    assert!(rooms.watch(&host.code, key(9), 1_005, open).is_ok());
    assert_eq!(
        rooms.watch(&host.code, key(10), 1_006, open),
        Err(RoomError::SpectatorsFull)
    );
    // Spectators never take a player seat.
    assert!(rooms.join(&host.code, key(2), &[], 1_007, open).is_ok());
    assert_eq!(
        rooms.watch("AAA-AAA", key(11), 1_008, open),
        Err(RoomError::NotFound)
    );
}

#[test]
fn a_room_closes_when_its_game_ends_or_never_starts() {
    let (rooms, _) = rooms();
    let state = Cell::new(GameState::NotStarted);
    let room = rooms
        .open(key(1), RoomRequest::duel("ra"), &[], 0, |_| state.get())
        .unwrap();
    state.set(GameState::Running);
    // Long past the open window, but the game runs: the room stays (reconnects need it).
    assert!(
        rooms
            .join(&room.code, key(2), &[], 5_000, |_| state.get())
            .is_ok()
    );
    state.set(GameState::Finished);
    assert_eq!(
        rooms.join(&room.code, key(2), &[], 5_001, |_| state.get()),
        Err(RoomError::NotFound)
    );
    assert_eq!(rooms.open_rooms(), 0);

    let idle = rooms
        .open(key(1), RoomRequest::duel("ra"), &[], 0, |_| {
            GameState::NotStarted
        })
        .unwrap();
    assert!(
        rooms
            .join(&idle.code, key(2), &[], 899, |_| GameState::NotStarted)
            .is_ok()
    );
    assert_eq!(
        rooms.join(&idle.code, key(3), &[], 900, |_| GameState::NotStarted),
        Err(RoomError::NotFound)
    );
}

#[test]
fn out_of_range_requests_are_refused() {
    let (rooms, _) = rooms();
    let open = |request: RoomRequest| {
        rooms
            .open(key(1), request, &[], 0, |_| GameState::NotStarted)
            .map(|_| ())
    };
    let duel = RoomRequest::duel("ra");
    for bad in [
        RoomRequest {
            players: 1,
            ..duel.clone()
        },
        RoomRequest {
            players: 17,
            ..duel.clone()
        },
        RoomRequest {
            teams: 3,
            ..duel.clone()
        },
        RoomRequest {
            teams: 0,
            ..duel.clone()
        },
        RoomRequest {
            tick_rate: 0,
            ..duel.clone()
        },
        RoomRequest {
            module: String::new(),
            ..duel.clone()
        },
        RoomRequest {
            map_name: "m".repeat(129),
            ..duel.clone()
        },
    ] {
        assert!(matches!(open(bad), Err(RoomError::BadRequest(_))));
    }
    assert_eq!(open(duel), Ok(()));
}

#[test]
fn only_listed_rooms_with_a_free_seat_and_no_game_yet_are_listed() {
    let (rooms, _) = rooms();
    let not_started = |_| GameState::NotStarted;
    let listed = RoomRequest {
        listed: true,
        map_name: "Canyon".into(),
        ..RoomRequest::duel("ra")
    };
    let unlisted = rooms
        .open(key(1), RoomRequest::duel("ra"), &[], 1_000, not_started)
        .unwrap();
    let older = rooms
        .open(key(2), listed.clone(), &[], 1_001, not_started)
        .unwrap();
    let newer = rooms
        .open(key(3), listed.clone(), &[], 1_002, not_started)
        .unwrap();
    let shown = rooms.listed(1_003, not_started);
    let codes: Vec<_> = shown.iter().map(|room| room.code.as_str()).collect();
    assert_eq!(codes, [newer.code.as_str(), older.code.as_str()]);
    assert!(!codes.contains(&unlisted.code.as_str()));
    assert_eq!(
        (
            shown[0].seated,
            shown[0].players,
            shown[0].map_name.as_str()
        ),
        (1, 2, "Canyon")
    );

    // Full, or its game started: no longer listed.
    rooms
        .join(&older.code, key(4), &[], 1_004, not_started)
        .unwrap();
    let started = |id| {
        if id == newer.game_id {
            GameState::Running
        } else {
            GameState::NotStarted
        }
    };
    assert!(rooms.listed(1_005, started).is_empty());
    // Unplayed past the open time: closed, so not listed either.
    assert!(rooms.listed(1_002 + 900, not_started).is_empty());
}

#[test]
fn a_room_with_a_requirement_seats_only_players_whose_records_meet_it_at_every_join() {
    use crate::federation::requirement::{CommunityRequirement, CredentialRating};
    let (rooms, _) = rooms();
    let other = CommunityKey::from_bytes([9; 32]);
    let credential = |games| Credential {
        lineage: vec![other.public_key()],
        rating: Some(CredentialRating {
            module: "ra".into(),
            games,
            rating: 1_500_000,
        }),
    };
    let request = RoomRequest {
        requires: TrustRequirement::Communities {
            communities: vec![CommunityRequirement {
                key: other,
                min_games: 10,
                min_rating: None,
                module: None,
            }],
        },
        players: 3,
        ..RoomRequest::duel("ra")
    };
    let not_started = |_| GameState::NotStarted;
    // The host is held to the requirement too.
    assert!(matches!(
        rooms.open(key(1), request.clone(), &[], 1_000, not_started),
        Err(RoomError::RequirementUnmet(Unmet::NoRecordOf { .. }))
    ));
    let host = rooms
        .open(key(1), request, &[credential(10)], 1_000, not_started)
        .unwrap();
    let refused = rooms
        .join(&host.code, key(2), &[credential(9)], 1_001, not_started)
        .unwrap_err();
    assert_eq!(refused.code(), "requirement_unmet");
    assert!(refused.to_string().contains("9 rated games"), "{refused}");
    // A refused join takes no seat: two more qualified players still fit.
    rooms
        .join(&host.code, key(2), &[credential(12)], 1_002, not_started)
        .unwrap();
    // A seated player joining again is checked again.
    assert!(
        rooms
            .join(&host.code, key(2), &[], 1_003, not_started)
            .is_err()
    );
    rooms
        .join(&host.code, key(3), &[credential(10)], 1_004, not_started)
        .unwrap();
    let listed = rooms.listed(1_005, not_started);
    assert!(listed.is_empty(), "a full room is not listed");
}

#[test]
fn a_host_may_keep_a_few_rooms_open_and_the_relay_a_bounded_number() {
    let (rooms, _) = rooms();
    let not_started = |_| GameState::NotStarted;
    let open =
        |host: u8, now: i64| rooms.open(key(host), RoomRequest::duel("ra"), &[], now, not_started);
    open(1, 1_000).unwrap();
    open(1, 1_000).unwrap();
    assert_eq!(open(1, 1_000), Err(RoomError::TooManyRooms(2)));
    open(2, 1_000).unwrap();
    open(3, 1_000).unwrap();
    // Four open rooms fill this relay's share for rooms, whoever hosts the next.
    assert_eq!(open(4, 1_000), Err(RoomError::RoomsFull));
    // Rooms nobody played close after the open time, and free their places.
    open(1, 1_000 + 900).unwrap();
}
