//! State changes of the matchmaker, driven by hand with explicit times.

use ranking::description::{PlayerId, PlayerRating};
use ranking::{FixedRating, RankingConfig, provider_for};

use super::*;
use crate::federation::Unmet;
use crate::matchmaker::error::MatchmakerError;
use crate::matchmaking::QueueMode;

pub(super) fn key(byte: u8) -> PlayerKey {
    PlayerKey::from_bytes([byte; 32])
}

pub(super) fn joining(byte: u8, rating: i64, tier: usize) -> Joining {
    Joining {
        member: Member {
            key: key(byte),
            rating: PlayerRating {
                player_id: PlayerId([byte; 32]),
                rating: FixedRating::from_points(rating, 80, 60_000),
                games_played: 20,
            },
        },
        module: "ra".into(),
        tier: Some(tier),
        in_placement: false,
        low_priority: false,
        credentials: Vec::new(),
    }
}

pub(super) fn solo(mode: QueueMode) -> JoinChoices {
    JoinChoices {
        mode,
        regions: Vec::new(),
        party: Vec::new(),
        avoid: Vec::new(),
    }
}

/// `[matchmaking]` settings as the server loads them from a config file with `lines`.
pub(super) fn configured(lines: &str) -> MatchmakingSettings {
    crate::config::from_file_text(&format!("[matchmaking]\n{lines}\n")).matchmaking
}

pub(super) fn events_of(out: &Outbox, player: u8) -> Vec<QueueEvent> {
    out.iter()
        .filter(|(p, _)| *p == key(player))
        .map(|(_, e)| e.clone())
        .collect()
}

fn found_id(out: &Outbox, player: u8) -> u64 {
    events_of(out, player)
        .iter()
        .find_map(|e| match e {
            QueueEvent::MatchFound { match_id, .. } => Some(*match_id),
            _ => None,
        })
        .expect("a match_found event")
}

#[test]
fn decline_cools_the_decliner_down_and_requeues_the_other_in_front() {
    let settings = MatchmakingSettings::default();
    let provider = provider_for(&RankingConfig::default()).unwrap();
    let mut state = State::default();
    let mut out = Vec::new();
    for (byte, rating) in [(1, 1500), (2, 1510)] {
        state
            .join(
                joining(byte, rating, 4),
                solo(QueueMode::Ranked1v1),
                &settings,
                0,
                &mut out,
            )
            .unwrap();
    }
    state.tick(provider.as_ref(), &settings, 1000, &mut out);
    let id = found_id(&out, 1);
    assert_eq!(found_id(&out, 2), id);
    out.clear();
    state
        .accept(id, &key(1), &settings, 2000, &mut out)
        .unwrap();
    state
        .decline(id, &key(2), &settings, 3000, &mut out)
        .unwrap();
    assert_eq!(
        events_of(&out, 2),
        vec![QueueEvent::Cancelled {
            reason: "declined".into(),
            cooldown_until: Some(63),
        }]
    );
    assert_eq!(
        events_of(&out, 1),
        vec![QueueEvent::Requeued {
            reason: "another_player_declined".into()
        }]
    );
    // The decliner cannot rejoin during the cooldown; afterwards it can.
    let again = state.join(
        joining(2, 1510, 4),
        solo(QueueMode::Ranked1v1),
        &settings,
        10_000,
        &mut out,
    );
    assert!(matches!(
        again,
        Err(MatchmakerError::Cooldown { until: 63, .. })
    ));
    state
        .join(
            joining(2, 1510, 4),
            solo(QueueMode::Ranked1v1),
            &settings,
            63_000,
            &mut out,
        )
        .unwrap();
}

#[test]
fn silence_past_the_deadline_fails_the_check() {
    let settings = MatchmakingSettings::default();
    let provider = provider_for(&RankingConfig::default()).unwrap();
    let mut state = State::default();
    let mut out = Vec::new();
    for byte in [1, 2] {
        state
            .join(
                joining(byte, 1500, 4),
                solo(QueueMode::Ranked1v1),
                &settings,
                0,
                &mut out,
            )
            .unwrap();
        state.stream_opened(key(byte), 0);
    }
    state.tick(provider.as_ref(), &settings, 0, &mut out);
    let id = found_id(&out, 1);
    state
        .accept(id, &key(1), &settings, 1000, &mut out)
        .unwrap();
    out.clear();
    state.tick(provider.as_ref(), &settings, 30_000, &mut out);
    assert!(matches!(
        events_of(&out, 2).as_slice(),
        [QueueEvent::Cancelled { reason, cooldown_until: Some(_) }] if reason == "no_answer"
    ));
    assert_eq!(
        state.current(&key(1), 30_000).len(),
        1,
        "player 1 is queued again"
    );
}

#[test]
fn parties_need_every_member_within_one_tier() {
    let settings = MatchmakingSettings::default();
    let mut state = State::default();
    let mut out = Vec::new();
    let mut choices = solo(QueueMode::RankedTeam { team_size: 2 });
    choices.party = vec![key(2)];
    let Joined::PartyPending { party_id } = state
        .join(joining(1, 1500, 4), choices.clone(), &settings, 0, &mut out)
        .unwrap()
    else {
        panic!("a party waits for its member");
    };
    assert!(matches!(
        events_of(&out, 2).as_slice(),
        [QueueEvent::PartyInvite { leader, .. }] if *leader == key(1)
    ));
    assert!(matches!(
        state.confirm(party_id, joining(3, 1500, 4), &settings, 0, &mut out),
        Err(MatchmakerError::NotInvited)
    ));
    assert!(matches!(
        state.confirm(party_id, joining(2, 2200, 6), &settings, 0, &mut out),
        Err(MatchmakerError::PartyTierGap)
    ));
    out.clear();
    assert_eq!(
        state
            .confirm(party_id, joining(2, 1600, 5), &settings, 0, &mut out)
            .unwrap(),
        Joined::Queued
    );
    for player in [1, 2] {
        assert!(matches!(
            events_of(&out, player).as_slice(),
            [QueueEvent::Queued { players, .. }] if players.len() == 2
        ));
    }
    // A party does not fit 1v1, nor three players teams of two.
    choices.party = vec![key(8), key(9)];
    assert!(matches!(
        state.join(joining(7, 1500, 4), choices, &settings, 0, &mut out),
        Err(MatchmakerError::PartyTooLarge {
            size: 3,
            team_size: 2
        })
    ));
}

#[test]
fn an_entry_outlives_its_stream_for_the_ttl_only() {
    // The default TTL (60 s), then `entry_ttl_secs = 5` from a config file.
    for (settings, ttl_ms) in [
        (MatchmakingSettings::default(), 60_000),
        (configured("entry_ttl_secs = 5"), 5_000),
    ] {
        let provider = provider_for(&RankingConfig::default()).unwrap();
        let mut state = State::default();
        let mut out = Vec::new();
        state
            .join(
                joining(1, 1500, 4),
                solo(QueueMode::Ranked1v1),
                &settings,
                0,
                &mut out,
            )
            .unwrap();
        state.stream_opened(key(1), 0);
        state.stream_closed(key(1), 10_000);
        let at_ttl = 10_000 + ttl_ms;
        state.tick(provider.as_ref(), &settings, at_ttl, &mut out);
        assert_eq!(
            state.current(&key(1), at_ttl).len(),
            1,
            "still queued at the TTL"
        );
        out.clear();
        state.tick(provider.as_ref(), &settings, at_ttl + 1, &mut out);
        assert!(state.current(&key(1), at_ttl + 1).is_empty());
        assert!(matches!(
            events_of(&out, 1).as_slice(),
            [QueueEvent::Cancelled { reason, .. }] if reason == "expired"
        ));
    }
}

#[test]
fn a_ready_match_is_replayed_to_a_returning_player() {
    let mut state = State::default();
    let ready = QueueEvent::MatchReady {
        match_id: 7,
        relay_address: "127.0.0.1:19711".into(),
        relay_key: "ed25519:00".into(),
        ticket: "AAAA".into(),
        game_id: 9,
    };
    state.remember_ready(key(1), ready.clone(), 5000);
    assert_eq!(state.stream_opened(key(1), 4000), vec![ready]);
    assert!(state.stream_opened(key(1), 5000).is_empty());
}

#[test]
fn unknown_queues_and_long_avoid_lists_are_refused() {
    let settings = MatchmakingSettings::default();
    let mut state = State::default();
    let mut out = Vec::new();
    let mut other = joining(1, 1500, 4);
    other.module = "td".into();
    assert!(matches!(
        state.join(other, solo(QueueMode::Ranked1v1), &settings, 0, &mut out),
        Err(MatchmakerError::UnknownQueue { .. })
    ));
    let mut choices = solo(QueueMode::Ranked1v1);
    choices.avoid = (10..16).map(key).collect();
    assert!(matches!(
        state.join(joining(1, 1500, 4), choices, &settings, 0, &mut out),
        Err(MatchmakerError::AvoidListTooLong { max: 5 })
    ));
    assert!(matches!(
        state.leave(&key(1), &settings, 0, &mut out),
        Err(MatchmakerError::NotQueued)
    ));
}

#[test]
fn a_low_priority_player_is_passed_over_for_equally_good_matches() {
    let settings = MatchmakingSettings::default();
    let provider = provider_for(&RankingConfig::default()).unwrap();
    let found_for_first = |sanctioned: bool, settings: &MatchmakingSettings| {
        let mut state = State::default();
        let mut out = Vec::new();
        for (byte, rating) in [(1, 1510), (2, 1500), (3, 1500)] {
            let mut joining = joining(byte, rating, 4);
            joining.low_priority = sanctioned && byte == 1;
            state
                .join(joining, solo(QueueMode::Ranked1v1), settings, 0, &mut out)
                .unwrap();
        }
        state.tick(provider.as_ref(), settings, 1000, &mut out);
        events_of(&out, 1)
            .iter()
            .any(|e| matches!(e, QueueEvent::MatchFound { .. }))
    };
    // First in line, player 1 gets a match; with the sanction the two others go first.
    assert!(found_for_first(false, &settings));
    assert!(!found_for_first(true, &settings));
    // With `low_priority_delay_secs = 0` the sanction costs no waiting.
    assert!(found_for_first(
        true,
        &configured("low_priority_delay_secs = 0")
    ));
}

#[test]
fn only_matches_formed_after_the_window_opened_completely_are_desperation_matches() {
    let mut settings = MatchmakingSettings::default();
    settings.window.initial_range = 20;
    settings.window.widen_step = 0;
    settings.window.max_range = 30;
    settings.window.desperation_timeout_secs = 60;
    settings.window.desperation_min_queued = 2;
    // No event streams in this test: keep the entries anyway.
    settings.entry_ttl_secs = 3600;
    let provider = provider_for(&RankingConfig::default()).unwrap();
    let mut state = State::default();
    let mut out = Vec::new();
    // Two close players match at once; two far apart only once the timeout opens the window.
    for (byte, rating) in [(1, 1500), (2, 1510), (3, 1500), (4, 1560)] {
        state
            .join(
                joining(byte, rating, 4),
                solo(QueueMode::Ranked1v1),
                &settings,
                0,
                &mut out,
            )
            .unwrap();
        if byte == 2 {
            state.tick(provider.as_ref(), &settings, 1000, &mut out);
        }
    }
    let close = found_id(&out, 1);
    assert!(!state.checks[&close].desperation);
    out.clear();
    state.tick(provider.as_ref(), &settings, 30_000, &mut out);
    assert!(events_of(&out, 3).is_empty(), "not before the timeout");
    state.tick(provider.as_ref(), &settings, 61_000, &mut out);
    let far = found_id(&out, 3);
    assert_eq!(found_id(&out, 4), far);
    assert!(state.checks[&far].desperation);
}

#[test]
fn a_queue_with_a_requirement_refuses_solo_players_and_party_members_who_miss_it() {
    use crate::federation::requirement::{Credential, CredentialRating};
    let other = scr::CommunityKey::from_bytes([9; 32]);
    let settings = configured(&format!(
        "requirements = [{{ module = \"ra\", mode = \"ranked_2v2\", requires = {{ kind = \
         \"communities\", communities = [{{ key = \"{other}\", min_games = 10 }}] }} }}]"
    ));
    let with_games = |byte, games| {
        let mut joining = joining(byte, 1500, 4);
        joining.credentials = vec![Credential {
            lineage: vec![other.public_key()],
            rating: Some(CredentialRating {
                module: "ra".into(),
                games,
                rating: 1_500_000,
            }),
        }];
        joining
    };
    let mut state = State::default();
    let mut out = Vec::new();
    let team = solo(QueueMode::RankedTeam { team_size: 2 });
    // Other queues ask nothing.
    state
        .join(
            joining(1, 1500, 4),
            solo(QueueMode::Ranked1v1),
            &settings,
            0,
            &mut out,
        )
        .unwrap();
    assert!(matches!(
        state.join(joining(2, 1500, 4), team.clone(), &settings, 0, &mut out),
        Err(MatchmakerError::RequirementUnmet(_))
    ));
    assert!(matches!(
        state.join(with_games(2, 9), team.clone(), &settings, 0, &mut out),
        Err(MatchmakerError::RequirementUnmet(Unmet::TooFewGames {
            games: 9,
            ..
        }))
    ));
    let mut party = team.clone();
    party.party = vec![key(4)];
    let Joined::PartyPending { party_id } = state
        .join(with_games(3, 10), party, &settings, 0, &mut out)
        .unwrap()
    else {
        panic!("a party waits for its member");
    };
    assert!(matches!(
        state.confirm(party_id, joining(4, 1500, 4), &settings, 0, &mut out),
        Err(MatchmakerError::RequirementUnmet(_))
    ));
    assert_eq!(
        state
            .confirm(party_id, with_games(4, 11), &settings, 0, &mut out)
            .unwrap(),
        Joined::Queued
    );
}
