//! The ready check after a match is found: every player accepts before the deadline or the
//! match is off; decliners (and the silent) get a cooldown that escalates within a day.

use std::collections::HashMap;

use scr::PlayerKey;

use super::MatchmakingSettings;

/// Milliseconds in the window over which declines add up.
const DECLINE_MEMORY_MS: u64 = 24 * 3600 * 1000;

/// Where a ready check stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReadyOutcome {
    /// Some players have not answered and the deadline has not passed.
    Waiting,
    /// Everyone accepted: hand the match to a relay.
    AllAccepted,
    /// Someone declined or let the deadline pass: the match is off.
    Failed {
        /// The player who declined, or every player who let the deadline pass.
        decliners: Vec<PlayerKey>,
        /// Everyone else: back to the front of the queue.
        others: Vec<PlayerKey>,
    },
}

/// The player is not part of this ready check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the player is not part of this match")]
pub struct NotInMatch;

/// One found match waiting for its players.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ReadyCheck {
    players: Vec<PlayerKey>,
    accepted: Vec<bool>,
    declined: Option<PlayerKey>,
    deadline_ms: u64,
}

impl ReadyCheck {
    /// Starts a check for `players` at `now_ms`.
    pub fn new(players: Vec<PlayerKey>, now_ms: u64, settings: &MatchmakingSettings) -> Self {
        Self {
            accepted: vec![false; players.len()],
            players,
            declined: None,
            deadline_ms: now_ms.saturating_add(settings.ready_check_secs * 1000),
        }
    }

    /// When the check fails for everyone who has not accepted.
    pub fn deadline_ms(&self) -> u64 {
        self.deadline_ms
    }

    /// The players of the match.
    pub fn players(&self) -> &[PlayerKey] {
        &self.players
    }

    /// Records an acceptance (answers after the deadline count as silence).
    pub fn accept(&mut self, player: &PlayerKey, now_ms: u64) -> Result<ReadyOutcome, NotInMatch> {
        let at = self.position(player)?;
        if now_ms < self.deadline_ms && self.declined.is_none() {
            self.accepted[at] = true;
        }
        Ok(self.outcome(now_ms))
    }

    /// Records a decline; the check fails at once.
    pub fn decline(&mut self, player: &PlayerKey, now_ms: u64) -> Result<ReadyOutcome, NotInMatch> {
        let at = self.position(player)?;
        if self.outcome(now_ms) == ReadyOutcome::Waiting {
            self.accepted[at] = false;
            self.declined = Some(*player);
        }
        Ok(self.outcome(now_ms))
    }

    /// The state at `now_ms`.
    pub fn outcome(&self, now_ms: u64) -> ReadyOutcome {
        if self.accepted.iter().all(|a| *a) {
            return ReadyOutcome::AllAccepted;
        }
        if self.declined.is_none() && now_ms < self.deadline_ms {
            return ReadyOutcome::Waiting;
        }
        // A decline ends the check at once; those who had not answered yet are not to blame.
        if let Some(decliner) = self.declined {
            return ReadyOutcome::Failed {
                decliners: vec![decliner],
                others: self
                    .players
                    .iter()
                    .copied()
                    .filter(|p| *p != decliner)
                    .collect(),
            };
        }
        let (others, decliners): (Vec<_>, Vec<_>) = self
            .players
            .iter()
            .zip(&self.accepted)
            .partition(|(_, accepted)| **accepted);
        ReadyOutcome::Failed {
            decliners: decliners.into_iter().map(|(p, _)| *p).collect(),
            others: others.into_iter().map(|(p, _)| *p).collect(),
        }
    }

    fn position(&self, player: &PlayerKey) -> Result<usize, NotInMatch> {
        self.players
            .iter()
            .position(|p| p == player)
            .ok_or(NotInMatch)
    }
}

/// Declines per player over the last day, and the cooldowns they earned.
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
pub struct DeclineHistory {
    /// Per player: (declined at, cooldown until), oldest first.
    declines: HashMap<PlayerKey, Vec<(u64, u64)>>,
}

impl DeclineHistory {
    /// Records a decline at `now_ms`; returns the end of the cooldown it earns: the first
    /// decline within a day gets the first configured cooldown, the second the second, and
    /// every later one the last.
    pub fn record(
        &mut self,
        player: PlayerKey,
        now_ms: u64,
        settings: &MatchmakingSettings,
    ) -> u64 {
        let list = self.declines.entry(player).or_default();
        list.retain(|(at, _)| now_ms.saturating_sub(*at) < DECLINE_MEMORY_MS);
        let step = list
            .len()
            .min(settings.decline_cooldowns_secs.len().saturating_sub(1));
        let secs = settings
            .decline_cooldowns_secs
            .get(step)
            .copied()
            .unwrap_or(0);
        let until = now_ms.saturating_add(secs * 1000);
        list.push((now_ms, until));
        until
    }

    /// End of the player's running cooldown, if one runs at `now_ms`.
    pub fn cooldown_until(&self, player: &PlayerKey, now_ms: u64) -> Option<u64> {
        self.declines
            .get(player)?
            .iter()
            .map(|(_, until)| *until)
            .filter(|until| *until > now_ms)
            .max()
    }

    /// Forgets declines older than a day.
    pub fn prune(&mut self, now_ms: u64) {
        self.declines.retain(|_, list| {
            list.retain(|(at, _)| now_ms.saturating_sub(*at) < DECLINE_MEMORY_MS);
            !list.is_empty()
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(byte: u8) -> PlayerKey {
        PlayerKey::from_bytes([byte; 32])
    }

    #[test]
    fn everyone_accepting_readies_the_match() {
        let settings = MatchmakingSettings::default();
        let mut check = ReadyCheck::new(vec![key(1), key(2)], 0, &settings);
        assert_eq!(check.accept(&key(1), 1000), Ok(ReadyOutcome::Waiting));
        assert_eq!(check.accept(&key(2), 2000), Ok(ReadyOutcome::AllAccepted));
        assert_eq!(check.accept(&key(3), 2000), Err(NotInMatch));
    }

    #[test]
    fn a_decline_or_silence_fails_the_check() {
        let settings = MatchmakingSettings::default();
        let mut check = ReadyCheck::new(vec![key(1), key(2), key(3)], 0, &settings);
        check.accept(&key(1), 10).unwrap();
        let failed = check.decline(&key(2), 20).unwrap();
        assert_eq!(
            failed,
            ReadyOutcome::Failed {
                decliners: vec![key(2)],
                others: vec![key(1), key(3)],
            }
        );
        // An acceptance after the failure changes nothing.
        assert_eq!(check.accept(&key(3), 30).unwrap(), failed);

        let mut silent = ReadyCheck::new(vec![key(1), key(2)], 0, &settings);
        silent.accept(&key(1), 10).unwrap();
        assert_eq!(silent.outcome(29_999), ReadyOutcome::Waiting);
        assert_eq!(
            silent.accept(&key(2), 30_000).unwrap(),
            ReadyOutcome::Failed {
                decliners: vec![key(2)],
                others: vec![key(1)],
            }
        );
    }

    #[test]
    fn cooldowns_escalate_within_a_day_then_reset() {
        let settings = MatchmakingSettings::default();
        let mut history = DeclineHistory::default();
        let minute = 60_000;
        assert_eq!(history.record(key(1), 0, &settings), minute);
        assert_eq!(history.cooldown_until(&key(1), 30_000), Some(minute));
        assert_eq!(history.cooldown_until(&key(1), minute), None);
        assert_eq!(history.record(key(1), 2 * minute, &settings), 7 * minute);
        assert_eq!(history.record(key(1), 10 * minute, &settings), 25 * minute);
        assert_eq!(history.record(key(1), 30 * minute, &settings), 45 * minute);
        // A day after the first decline only three remain in memory: still the last step.
        let day = 24 * 60 * minute;
        assert_eq!(history.record(key(1), day, &settings), day + 15 * minute);
        // Two days of calm: back to the first step.
        let later = 3 * day;
        assert_eq!(history.record(key(1), later, &settings), later + minute);
        assert_eq!(history.cooldown_until(&key(2), 0), None);
    }
}
