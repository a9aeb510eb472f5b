//! Between the last accept and the hand-off: the map of the match, by the ranked veto where
//! the queue's pool asks for one. Bans, bans picked for an idle side, and leaving mid-veto.

use scr::PlayerKey;

use super::{AcceptedMatch, LiveCheck, Outbox, Seat, State};
use crate::matchmaker::error::MatchmakerError;
use crate::matchmaker::events::QueueEvent;
use crate::matchmaking::veto::{BanError, MapChoice, map_choice};
use crate::matchmaking::{MapVeto, MatchmakingSettings};

/// A match whose sides are banning maps.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct LiveVeto {
    /// The accepted match, handed to a relay once one map is left.
    pub accepted: AcceptedMatch,
    /// The bans so far.
    pub veto: MapVeto,
}

impl LiveVeto {
    /// The side (0 or 1) `player` bans for, if it plays in the match.
    fn side_of(&self, player: &PlayerKey) -> Option<usize> {
        let live = &self.accepted.live;
        let entry = live
            .entries
            .iter()
            .find(|entry| entry.members.iter().any(|m| m.key == *player))?;
        Some(usize::from(live.teams[1].contains(&entry.id)))
    }

    /// What `player` is told: the maps left and whether its side bans now.
    fn event_for(&self, player: &PlayerKey) -> QueueEvent {
        QueueEvent::MapVeto {
            match_id: self.accepted.id,
            maps: self
                .veto
                .remaining()
                .iter()
                .map(|m| m.name.clone())
                .collect(),
            your_turn: self.veto.chosen().is_none()
                && self.side_of(player) == Some(self.veto.turn()),
            ban_deadline: self.veto.deadline_ms() / 1000,
        }
    }

    fn players(&self) -> impl Iterator<Item = PlayerKey> + '_ {
        self.accepted.live.check.players().iter().copied()
    }
}

impl State {
    /// A match everyone accepted gets its map: at once (none, a fixed one, or one at random),
    /// or by a veto, whose first state every player is told. Returns the match when it is
    /// ready for a relay.
    pub(super) fn choose_map(
        &mut self,
        mut accepted: AcceptedMatch,
        settings: &MatchmakingSettings,
        now_ms: u64,
        out: &mut Outbox,
    ) -> Option<AcceptedMatch> {
        let queue = &accepted.live.queue;
        match map_choice(&settings.map_pools, queue, queue.mode.ranked(), accepted.id) {
            MapChoice::Lobby => Some(accepted),
            MapChoice::Fixed(map) => {
                accepted.map = Some(map);
                Some(accepted)
            }
            MapChoice::Veto(pool) => {
                let ban_ms = settings.veto_ban_secs.saturating_mul(1000);
                let live = LiveVeto {
                    veto: MapVeto::new(pool, now_ms, ban_ms, accepted.id),
                    accepted,
                };
                let id = live.accepted.id;
                for player in live.players() {
                    self.seats.insert(player, Seat::Veto { check: id });
                    out.push((player, live.event_for(&player)));
                }
                self.vetoes.insert(id, live);
                None
            }
        }
    }

    /// `player` bans the map named `map` in the veto of match `check`; returns the match
    /// when that left one map.
    pub fn ban(
        &mut self,
        check: u64,
        player: &PlayerKey,
        map: &str,
        now_ms: u64,
        out: &mut Outbox,
    ) -> Result<Option<AcceptedMatch>, MatchmakerError> {
        let live = self
            .vetoes
            .get_mut(&check)
            .ok_or(MatchmakerError::NoSuchMatch)?;
        let side = live.side_of(player).ok_or(MatchmakerError::NoSuchMatch)?;
        live.veto
            .ban(side, map, now_ms)
            .map_err(|error| match error {
                BanError::NotYourTurn => MatchmakerError::NotYourTurn,
                BanError::UnknownMap => MatchmakerError::UnknownMap(map.to_owned()),
            })?;
        Ok(self.veto_moved(check, out))
    }

    /// Bans for every side whose time ran out; returns the matches that left one map.
    pub(super) fn expire_vetoes(&mut self, now_ms: u64, out: &mut Outbox) -> Vec<AcceptedMatch> {
        let mut moved: Vec<u64> = self
            .vetoes
            .iter_mut()
            .filter_map(|(id, live)| live.veto.expire(now_ms).then_some(*id))
            .collect();
        moved.sort_unstable();
        moved
            .into_iter()
            .filter_map(|id| self.veto_moved(id, out))
            .collect()
    }

    /// After a ban in match `check`: everyone learns the maps left; with one left, the match
    /// leaves the veto with its map.
    fn veto_moved(&mut self, check: u64, out: &mut Outbox) -> Option<AcceptedMatch> {
        let live = self.vetoes.get(&check)?;
        for player in live.players() {
            out.push((player, live.event_for(&player)));
        }
        let chosen = live.veto.chosen()?.clone();
        let mut live = self.vetoes.remove(&check)?;
        for player in live.players() {
            self.seats.remove(&player);
        }
        live.accepted.map = Some(chosen);
        Some(live.accepted)
    }

    /// `player` leaves during the veto of match `check`: as a decline, it cools down and the
    /// others go back to the front of the queue.
    pub(super) fn leave_veto(
        &mut self,
        check: u64,
        player: &PlayerKey,
        settings: &MatchmakingSettings,
        now_ms: u64,
        out: &mut Outbox,
    ) -> Result<(), MatchmakerError> {
        let Some(live) = self.vetoes.remove(&check) else {
            // A seat without its veto must not keep the player from queueing again.
            self.seats.remove(player);
            return Err(MatchmakerError::NoSuchMatch);
        };
        let live: LiveCheck = live.accepted.live;
        self.fail_live(live, &[*player], "left", settings, now_ms, out);
        Ok(())
    }

    /// When the next ban of a veto falls due (Unix ms), if any veto runs: the leader passes
    /// then, so that an idle side's ban is picked on time.
    pub fn next_veto_deadline_ms(&self) -> Option<u64> {
        self.vetoes
            .values()
            .map(|live| live.veto.deadline_ms())
            .min()
    }

    /// What a player in the veto of match `check` is told when it asks where it stands.
    pub(super) fn veto_event(&self, check: u64, player: &PlayerKey) -> Option<QueueEvent> {
        Some(self.vetoes.get(&check)?.event_for(player))
    }
}

#[cfg(test)]
mod tests {
    use ranking::{RankingConfig, provider_for};

    use super::super::tests::{configured, events_of, joining, key, solo};
    use super::*;
    use crate::matchmaking::QueueMode;

    const POOL: &str = "map_pools = [\
        { module = \"ra\", mode = \"ranked_1v1\", maps = [{ name = \"a\" }, { name = \"b\" }, { name = \"c\" }] },\
        { module = \"ra\", mode = \"unranked_1v1\", maps = [{ name = \"a\" }, { name = \"b\" }] },\
        ]\nveto_ban_secs = 15";

    /// Players 1 and 2 found and accepted in `mode` at 1 s; returns the match id and the
    /// last accept's result.
    fn accepted(
        state: &mut State,
        settings: &MatchmakingSettings,
        mode: QueueMode,
        out: &mut Outbox,
    ) -> (u64, Option<AcceptedMatch>) {
        let provider = provider_for(&RankingConfig::default()).unwrap();
        for byte in [1, 2] {
            state
                .join(joining(byte, 1500, 4), solo(mode), settings, 0, out)
                .unwrap();
            state.stream_opened(key(byte), 0);
        }
        state.tick(provider.as_ref(), settings, 500, out);
        let id = state.checks.keys().copied().next().unwrap();
        assert!(
            state
                .accept(id, &key(1), settings, 1000, out)
                .unwrap()
                .is_none()
        );
        out.clear();
        (id, state.accept(id, &key(2), settings, 1000, out).unwrap())
    }

    fn turn_of(out: &Outbox, player: u8) -> Option<(Vec<String>, bool, u64)> {
        events_of(out, player)
            .into_iter()
            .rev()
            .find_map(|e| match e {
                QueueEvent::MapVeto {
                    maps,
                    your_turn,
                    ban_deadline,
                    ..
                } => Some((maps, your_turn, ban_deadline)),
                _ => None,
            })
    }

    #[test]
    fn the_sides_ban_in_turn_and_an_idle_side_gets_a_ban_picked() {
        let settings = configured(POOL);
        let mut state = State::default();
        let mut out = Vec::new();
        let (id, ready) = accepted(&mut state, &settings, QueueMode::Ranked1v1, &mut out);
        assert!(ready.is_none(), "the veto comes first");
        let (maps, first_turn, deadline) = turn_of(&out, 1).unwrap();
        assert_eq!(maps, ["a", "b", "c"]);
        assert_eq!(deadline, 16, "15 s per ban");
        let (first, second) = if first_turn { (1, 2) } else { (2, 1) };
        assert!(turn_of(&out, first).unwrap().1);
        assert!(!turn_of(&out, second).unwrap().1);
        // Where each stands, on asking.
        assert!(matches!(
            state.current(&key(second), 1000).as_slice(),
            [QueueEvent::MapVeto {
                your_turn: false,
                ..
            }]
        ));

        let ban = |state: &mut State, who: u8, map: &str, out: &mut Outbox| {
            state.ban(id, &key(who), map, 2000, out)
        };
        assert!(matches!(
            ban(&mut state, second, "a", &mut out),
            Err(MatchmakerError::NotYourTurn)
        ));
        assert!(matches!(
            ban(&mut state, first, "z", &mut out),
            Err(MatchmakerError::UnknownMap(_))
        ));
        assert!(matches!(
            ban(&mut state, 9, "a", &mut out),
            Err(MatchmakerError::NoSuchMatch)
        ));
        out.clear();
        assert!(ban(&mut state, first, "a", &mut out).unwrap().is_none());
        assert_eq!(
            turn_of(&out, second).unwrap(),
            (vec!["b".into(), "c".into()], true, 17)
        );

        // The second side lets its time run out: a ban is picked for it at the deadline.
        let provider = provider_for(&RankingConfig::default()).unwrap();
        out.clear();
        let report = state.tick(provider.as_ref(), &settings, 16_999, &mut out);
        assert!(report.ready.is_empty());
        let report = state.tick(provider.as_ref(), &settings, 17_000, &mut out);
        let [ready] = report.ready.as_slice() else {
            panic!("{report:?}");
        };
        let map = ready.map.as_ref().unwrap().name.clone();
        assert!(map == "b" || map == "c");
        assert_eq!(turn_of(&out, first).unwrap().0, [map]);
        assert!(state.current(&key(first), 17_000).is_empty());
        assert!(state.vetoes.is_empty());
    }

    #[test]
    fn leaving_during_the_veto_is_a_decline() {
        let settings = configured(POOL);
        let mut state = State::default();
        let mut out = Vec::new();
        let (_, ready) = accepted(&mut state, &settings, QueueMode::Ranked1v1, &mut out);
        assert!(ready.is_none());
        out.clear();
        state.leave(&key(1), &settings, 3000, &mut out).unwrap();
        assert!(matches!(
            events_of(&out, 1).as_slice(),
            [QueueEvent::Cancelled {
                cooldown_until: Some(_),
                ..
            }]
        ));
        assert!(matches!(
            events_of(&out, 2).as_slice(),
            [QueueEvent::Requeued { .. }]
        ));
        assert!(matches!(
            state.current(&key(2), 3000).as_slice(),
            [QueueEvent::Queued { .. }]
        ));
    }

    #[test]
    fn an_unranked_pool_picks_a_map_and_no_pool_leaves_it_to_the_lobby() {
        let mut out = Vec::new();
        let settings = configured(POOL);
        let (_, ready) = accepted(
            &mut State::default(),
            &settings,
            QueueMode::Unranked { team_size: 1 },
            &mut out,
        );
        let map = ready.unwrap().map.unwrap().name;
        assert!(map == "a" || map == "b");
        let (_, ready) = accepted(
            &mut State::default(),
            &MatchmakingSettings::default(),
            QueueMode::Ranked1v1,
            &mut out,
        );
        assert_eq!(ready.unwrap().map, None);
    }
}
