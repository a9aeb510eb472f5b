//! The leaver cooldown rule, pure: from a player's recorded abandons, the queue cooldown in
//! force and why. Every abandon starts a cooldown; a later one never shortens an earlier one.

use crate::config::ConductConfig;
use crate::store::Abandon;

/// Why a leaver waits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LeaverReason {
    /// The `nth` abandon (1-based) within the escalation window.
    Abandon {
        /// How many abandons the window held, this one included.
        nth: usize,
    },
    /// A habitual leaver: `count` abandons within the habitual window.
    Habitual {
        /// How many.
        count: usize,
    },
    /// An early leave that voided the match.
    GraceVoid,
}

/// A cooldown on queueing after leaving matches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LeaverCooldown {
    /// When it ends (Unix seconds).
    pub until: i64,
    /// Why.
    pub reason: LeaverReason,
    /// The abandon that started it (its match), which the player may appeal.
    pub match_id: [u8; 32],
}

impl LeaverCooldown {
    /// The reason as the player reads it.
    pub fn explain(&self) -> String {
        match self.reason {
            LeaverReason::Abandon { nth: 1 } => "you left a match".into(),
            LeaverReason::Abandon { nth } => format!("you left {nth} matches in a short time"),
            LeaverReason::Habitual { count } => {
                format!("you left {count} matches within days: habitual leaving")
            }
            LeaverReason::GraceVoid => "you left a match at its start, which voided it".into(),
        }
    }
}

/// The `[conduct]` settings as the rule uses them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LeaverPolicy {
    cooldowns: Vec<i64>,
    window: i64,
    habitual_count: usize,
    habitual_window: i64,
    habitual_cooldown: i64,
    grace_void_cooldown: i64,
    habitual_deviation_increase: i64,
}

impl LeaverPolicy {
    /// The policy `[conduct]` describes (validated values).
    pub fn new(config: &ConductConfig) -> Self {
        let secs = |value: u64| i64::try_from(value).unwrap_or(i64::MAX);
        Self {
            cooldowns: config
                .abandon_cooldowns_secs
                .iter()
                .map(|s| secs(*s))
                .collect(),
            window: secs(config.abandon_window_hours).saturating_mul(3600),
            habitual_count: config.habitual_abandon_count as usize,
            habitual_window: secs(config.habitual_window_days).saturating_mul(86_400),
            habitual_cooldown: secs(config.habitual_cooldown_secs),
            grace_void_cooldown: secs(config.grace_void_cooldown_secs),
            habitual_deviation_increase: i64::from(config.habitual_deviation_increase) * 1000,
        }
    }

    /// How far back the rule reads abandons (seconds): the longest window, plus the longest
    /// cooldown an abandon at the window's edge may still be serving.
    pub fn lookback_secs(&self) -> i64 {
        let longest_cooldown = self
            .cooldowns
            .iter()
            .copied()
            .chain([self.habitual_cooldown, self.grace_void_cooldown])
            .max()
            .unwrap_or(0);
        self.window
            .max(self.habitual_window)
            .saturating_add(longest_cooldown)
    }

    /// How much a habitual leaver's deviation rises (fixed point, ×1000; 0: it does not).
    pub fn habitual_deviation_increase(&self) -> i64 {
        self.habitual_deviation_increase
    }

    /// How far back an abandon counts towards habitual leaving (seconds).
    pub fn habitual_window_secs(&self) -> i64 {
        self.habitual_window
    }

    /// Whether a new (not voided) abandon at `at` makes a habitual leaver of a player whose
    /// earlier abandons are `earlier`.
    pub fn is_habitual(&self, earlier: &[Abandon], at: i64) -> bool {
        let counted = earlier
            .iter()
            .filter(|a| !a.voided && a.at <= at && at - a.at < self.habitual_window)
            .count();
        self.habitual_count > 0 && counted + 1 >= self.habitual_count
    }

    /// The cooldown in force at `now` given the player's `abandons` (any order), if any: the
    /// one that ends last.
    pub fn cooldown(&self, abandons: &[Abandon], now: i64) -> Option<LeaverCooldown> {
        abandons
            .iter()
            .map(|abandon| self.cooldown_after(abandon, abandons))
            .filter(|cooldown| cooldown.until > now)
            .max_by_key(|cooldown| cooldown.until)
    }

    /// The cooldown `abandon` started, counting the earlier abandons in `all`. Abandons that
    /// voided a match count for neither the escalation nor habitual leaving.
    fn cooldown_after(&self, abandon: &Abandon, all: &[Abandon]) -> LeaverCooldown {
        if abandon.voided {
            return LeaverCooldown {
                until: abandon.at.saturating_add(self.grace_void_cooldown),
                reason: LeaverReason::GraceVoid,
                match_id: abandon.match_id,
            };
        }
        let counted_within = |window: i64| {
            all.iter()
                .filter(|a| !a.voided && a.at <= abandon.at && abandon.at - a.at < window)
                .count()
        };
        let nth = counted_within(self.window).max(1);
        let step = self.cooldowns[(nth - 1).min(self.cooldowns.len() - 1)];
        let habitual = counted_within(self.habitual_window);
        if self.habitual_count > 0
            && habitual >= self.habitual_count
            && self.habitual_cooldown > step
        {
            return LeaverCooldown {
                until: abandon.at.saturating_add(self.habitual_cooldown),
                reason: LeaverReason::Habitual { count: habitual },
                match_id: abandon.match_id,
            };
        }
        LeaverCooldown {
            until: abandon.at.saturating_add(step),
            reason: LeaverReason::Abandon { nth },
            match_id: abandon.match_id,
        }
    }
}

#[cfg(test)]
mod tests {
    use scr::PlayerKey;

    use super::*;

    const HOUR: i64 = 3600;
    const DAY: i64 = 86_400;

    fn policy() -> LeaverPolicy {
        LeaverPolicy::new(&ConductConfig::default())
    }

    fn left(at: i64, voided: bool) -> Abandon {
        Abandon {
            player_key: PlayerKey::from_bytes([1; 32]),
            match_id: [u8::try_from(at % 251).unwrap_or(0); 32],
            at,
            voided,
        }
    }

    #[test]
    fn cooldowns_escalate_within_a_day_and_the_last_step_repeats() {
        let p = policy();
        let t0 = 10 * DAY;
        let mut abandons = vec![left(t0, false)];
        let first = p.cooldown(&abandons, t0).unwrap();
        assert_eq!(first.until, t0 + 300);
        assert_eq!(first.reason, LeaverReason::Abandon { nth: 1 });
        abandons.push(left(t0 + HOUR, false));
        assert_eq!(
            p.cooldown(&abandons, t0 + HOUR).unwrap().until,
            t0 + HOUR + 1800
        );
        abandons.push(left(t0 + 2 * HOUR, false));
        let third = p.cooldown(&abandons, t0 + 2 * HOUR).unwrap();
        // The third within 7 days is also habitual: the day-long cooldown wins.
        assert_eq!(third.until, t0 + 2 * HOUR + DAY);
        assert_eq!(third.reason, LeaverReason::Habitual { count: 3 });
        // Over: nothing in force any more.
        assert_eq!(p.cooldown(&abandons, t0 + 2 * HOUR + DAY), None);
    }

    #[test]
    fn the_escalation_decays_after_the_window() {
        let p = policy();
        let abandons = [left(DAY, false), left(DAY + 25 * HOUR, false)];
        // 25 hours apart: the second is a first again.
        let cooldown = p.cooldown(&abandons, DAY + 25 * HOUR).unwrap();
        assert_eq!(cooldown.until, DAY + 25 * HOUR + 300);
        assert_eq!(cooldown.reason, LeaverReason::Abandon { nth: 1 });
    }

    #[test]
    fn habitual_counts_over_days_without_the_escalation() {
        let p = policy();
        let abandons = [left(DAY, false), left(3 * DAY, false), left(5 * DAY, false)];
        let cooldown = p.cooldown(&abandons, 5 * DAY).unwrap();
        assert_eq!(cooldown.reason, LeaverReason::Habitual { count: 3 });
        assert_eq!(cooldown.until, 6 * DAY);
        // Eight days later the first has left the window: two in seven days is not habitual.
        let abandons = [left(DAY, false), left(3 * DAY, false), left(9 * DAY, false)];
        assert_eq!(
            p.cooldown(&abandons, 9 * DAY).unwrap().reason,
            LeaverReason::Abandon { nth: 1 }
        );
    }

    #[test]
    fn a_grace_void_costs_a_minute_and_counts_for_nothing_else() {
        let p = policy();
        let abandons = [left(DAY, true), left(DAY + 10, true), left(DAY + 20, false)];
        let cooldown = p.cooldown(&abandons, DAY + 20).unwrap();
        assert_eq!(cooldown.reason, LeaverReason::Abandon { nth: 1 });
        assert_eq!(cooldown.until, DAY + 320);
        let only_void = [left(DAY, true)];
        let cooldown = p.cooldown(&only_void, DAY).unwrap();
        assert_eq!(
            (cooldown.until, cooldown.reason),
            (DAY + 60, LeaverReason::GraceVoid)
        );
    }

    #[test]
    fn a_later_short_cooldown_never_cuts_an_earlier_long_one() {
        let p = policy();
        let abandons = [
            left(DAY, false),
            left(DAY + 1, false),
            left(DAY + 2, false),
            left(DAY + 3 * HOUR, true),
        ];
        let cooldown = p.cooldown(&abandons, DAY + 3 * HOUR).unwrap();
        assert_eq!(cooldown.until, DAY + 2 + DAY);
    }

    #[test]
    fn the_third_abandon_in_a_week_is_habitual_and_voids_do_not_count() {
        let p = policy();
        let earlier = [left(DAY, false), left(2 * DAY, true), left(3 * DAY, false)];
        assert!(p.is_habitual(&earlier, 4 * DAY));
        assert!(
            !p.is_habitual(&earlier[..2], 4 * DAY),
            "one counted abandon before"
        );
        assert!(
            !p.is_habitual(&earlier, 9 * DAY),
            "the first left the window"
        );
        let off = LeaverPolicy::new(&ConductConfig {
            habitual_abandon_count: 0,
            ..ConductConfig::default()
        });
        assert!(!off.is_habitual(&earlier, 4 * DAY));
    }

    #[test]
    fn the_configured_steps_are_used() {
        let config = ConductConfig {
            abandon_cooldowns_secs: vec![10, 20],
            habitual_abandon_count: 0,
            ..ConductConfig::default()
        };
        let p = LeaverPolicy::new(&config);
        let abandons = [left(DAY, false), left(DAY + 1, false), left(DAY + 2, false)];
        let cooldown = p.cooldown(&abandons, DAY + 2).unwrap();
        assert_eq!(cooldown.until, DAY + 2 + 20, "the last step repeats");
        assert!(p.lookback_secs() >= 7 * DAY);
    }

    /// The windows and the habitual count as an operator writes them in the config file.
    #[test]
    fn the_configured_windows_and_habitual_count_are_used() {
        let config = crate::config::from_file_text(
            "[conduct]\nabandon_window_hours = 2\nhabitual_abandon_count = 2\n\
             habitual_window_days = 2\nhabitual_cooldown_secs = 5000\n",
        );
        let p = LeaverPolicy::new(&config.conduct);
        // Two abandons three hours apart: the 2-hour window has forgotten the first, so the
        // second is a first again (the default 24 h would make it a second)...
        let apart = [left(DAY, false), left(DAY + 3 * HOUR, false)];
        // ...but two within two days make a habitual leaver (the default needs three).
        let cooldown = p.cooldown(&apart, DAY + 3 * HOUR).unwrap();
        assert_eq!(cooldown.reason, LeaverReason::Habitual { count: 2 });
        assert_eq!(cooldown.until, DAY + 3 * HOUR + 5000);
        // Three days apart is beyond the 2-day habitual window (the default's is 7 days).
        let days_apart = [left(DAY, false), left(4 * DAY, false)];
        let cooldown = p.cooldown(&days_apart, 4 * DAY).unwrap();
        assert_eq!(cooldown.reason, LeaverReason::Abandon { nth: 1 });
        assert!(!p.is_habitual(&days_apart[..1], 4 * DAY));
        assert!(p.is_habitual(&days_apart[..1], 2 * DAY));
    }
}
