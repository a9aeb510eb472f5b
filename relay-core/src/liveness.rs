//! Liveness: every outgoing frame carries a random token the client must echo.
//! A token replaced before it was echoed counts as missed; missed tokens mark the player unresponsive.

use rand_core::RngCore;

/// Missed tokens after which a player is unresponsive (one frozen frame is enough to notice).
pub const UNRESPONSIVE_AFTER_MISSED: u32 = 1;

/// What an echo did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EchoVerdict {
    /// Matched the outstanding token.
    Answered {
        /// The player had been unresponsive and is responsive again.
        recovered: bool,
    },
    /// Did not match: ignored and counted.
    Unexpected,
}

/// One player's liveness state.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Liveness {
    outstanding: Option<u32>,
    missed_in_a_row: u32,
    /// Tokens never echoed, over the match.
    pub missed_total: u32,
    /// Echoes that matched no outstanding token.
    pub unexpected_echoes: u32,
    unresponsive_since_us: Option<u64>,
}

impl Liveness {
    /// Issues the token for the next frame. Returns it and whether this call made the player
    /// unresponsive.
    pub fn next_token(&mut self, rng: &mut dyn RngCore, now_us: u64) -> (u32, bool) {
        let mut became_unresponsive = false;
        if self.outstanding.is_some() {
            self.missed_in_a_row += 1;
            self.missed_total += 1;
            if self.missed_in_a_row >= UNRESPONSIVE_AFTER_MISSED
                && self.unresponsive_since_us.is_none()
            {
                self.unresponsive_since_us = Some(now_us);
                became_unresponsive = true;
            }
        }
        let token = rng.next_u32();
        self.outstanding = Some(token);
        (token, became_unresponsive)
    }

    /// Checks an echoed token.
    pub fn echo(&mut self, token: u32) -> EchoVerdict {
        if self.outstanding != Some(token) {
            self.unexpected_echoes += 1;
            return EchoVerdict::Unexpected;
        }
        self.outstanding = None;
        self.missed_in_a_row = 0;
        let recovered = self.unresponsive_since_us.take().is_some();
        EchoVerdict::Answered { recovered }
    }

    /// Since when the player has been unresponsive, if it is.
    pub fn unresponsive_since(&self) -> Option<u64> {
        self.unresponsive_since_us
    }

    /// Forgets outstanding tokens (after a reconnect the old connection's tokens are moot).
    pub fn reset(&mut self) {
        self.outstanding = None;
        self.missed_in_a_row = 0;
        self.unresponsive_since_us = None;
    }
}

#[cfg(test)]
mod tests {
    use rand_chacha::ChaCha8Rng;
    use rand_core::SeedableRng;

    use super::*;

    #[test]
    fn echoed_tokens_keep_the_player_live_and_a_missed_one_does_not() {
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        let mut live = Liveness::default();
        let (token, _) = live.next_token(&mut rng, 0);
        assert_eq!(live.echo(token.wrapping_add(1)), EchoVerdict::Unexpected);
        assert_eq!(live.echo(token), EchoVerdict::Answered { recovered: false });
        let (_, unresponsive) = live.next_token(&mut rng, 10);
        assert!(!unresponsive);
        let (token, unresponsive) = live.next_token(&mut rng, 20);
        assert!(unresponsive);
        assert_eq!(live.unresponsive_since(), Some(20));
        assert_eq!(live.echo(token), EchoVerdict::Answered { recovered: true });
        assert_eq!(live.unresponsive_since(), None);
        assert_eq!((live.missed_total, live.unexpected_echoes), (1, 1));
    }
}
