//! The leaver rule: what an abandon does to the match. Early in the match it voids it (the
//! grace void), later it costs the leaver the match while the others play on or win.
//!
//! A kicked player never gets the void: a kick is a loss, so being kicked early (a flood, a lag
//! switch) cannot be used to escape a match going badly.

use crate::cmr::MatchOutcome;
use crate::ids::PlayerSlot;

/// What one abandon does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AbandonEffect {
    /// The match ends voided: nobody is rated, the leaver gets the short cooldown.
    Voids(MatchOutcome),
    /// Only one team is left: the match ends and that side wins.
    Ends(MatchOutcome),
    /// Several teams are left: the match goes on, the leaver's result is "abandoned".
    GoesOn,
}

/// How a player left.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Leaving {
    /// The player.
    pub player: PlayerSlot,
    /// Game time when the connection was lost (µs since the match start), not when the
    /// abandon was declared: the reconnect timeout runs in between.
    pub left_at_game_us: u64,
    /// Whether the relay kicked the player (flood, lag strikes).
    pub kicked: bool,
}

/// Judges an abandon: `grace_us` is the grace period (0 switches the void off), `teams_left`
/// how many teams still have a player in the match after it.
pub fn judge_abandon(leaving: Leaving, grace_us: u64, teams_left: usize) -> AbandonEffect {
    if !leaving.kicked && leaving.left_at_game_us < grace_us {
        return AbandonEffect::Voids(MatchOutcome::GraceVoided {
            leaver: leaving.player,
        });
    }
    if teams_left <= 1 {
        return AbandonEffect::Ends(MatchOutcome::Abandoned {
            leaver: leaving.player,
        });
    }
    AbandonEffect::GoesOn
}

#[cfg(test)]
mod tests {
    use super::*;

    const GRACE: u64 = 120_000_000;

    fn leaving(at_secs: u64, kicked: bool) -> Leaving {
        Leaving {
            player: PlayerSlot(1),
            left_at_game_us: at_secs * 1_000_000,
            kicked,
        }
    }

    #[test]
    fn an_early_leave_voids_whatever_is_left() {
        for teams_left in [1, 2, 3] {
            assert_eq!(
                judge_abandon(leaving(119, false), GRACE, teams_left),
                AbandonEffect::Voids(MatchOutcome::GraceVoided {
                    leaver: PlayerSlot(1)
                })
            );
        }
    }

    #[test]
    fn after_the_grace_the_leaver_loses() {
        assert_eq!(
            judge_abandon(leaving(120, false), GRACE, 1),
            AbandonEffect::Ends(MatchOutcome::Abandoned {
                leaver: PlayerSlot(1)
            })
        );
        assert_eq!(
            judge_abandon(leaving(600, false), GRACE, 2),
            AbandonEffect::GoesOn
        );
    }

    #[test]
    fn a_kick_is_never_voided_and_a_zero_grace_switches_the_void_off() {
        assert_eq!(
            judge_abandon(leaving(1, true), GRACE, 1),
            AbandonEffect::Ends(MatchOutcome::Abandoned {
                leaver: PlayerSlot(1)
            })
        );
        assert_eq!(
            judge_abandon(leaving(0, false), 0, 2),
            AbandonEffect::GoesOn
        );
    }
}
