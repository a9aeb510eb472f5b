//! Mapping a client's sub-tick hint into the window of times the relay finds feasible.
//! A hint only moves an order within what the arrival time allows, so claiming "earlier" gains nothing.

/// The relay-time interval in which an order can have been issued.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Envelope {
    /// Earliest feasible issue time (relay µs).
    pub earliest_us: u64,
    /// Latest feasible issue time (relay µs).
    pub latest_us: u64,
}

/// How long a client may hold an order before sending it (one 60 Hz frame, µs): clients send
/// each batch in the frame its orders were issued, so an older claim is not credible.
pub const MAX_HOLD_US: u64 = 16_667;

impl Envelope {
    /// The feasible interval for a batch that arrived at `arrival_us`.
    ///
    /// `send_estimate_us` is the relay-clock send time. A batch cannot have been sent after it
    /// arrived, and holds orders issued at most [`MAX_HOLD_US`] before sending; `3 × jitter`
    /// widens both ends for measurement noise.
    pub fn for_batch(send_estimate_us: u64, arrival_us: u64, jitter_us: u32) -> Self {
        let slack = 3 * u64::from(jitter_us);
        let send = send_estimate_us.min(arrival_us);
        Self {
            earliest_us: send.saturating_sub(MAX_HOLD_US).saturating_sub(slack),
            latest_us: send.saturating_add(slack).min(arrival_us),
        }
    }
}

/// The relay-normalized sub-tick time of an order: the client's claim, clamped into the
/// envelope and then into the tick window `[0, tick_us)`.
pub fn normalize_sub_tick(window_start_us: u64, tick_us: u64, hint_us: u32, env: Envelope) -> u32 {
    let claimed = window_start_us.saturating_add(u64::from(hint_us));
    let feasible = claimed.clamp(env.earliest_us, env.latest_us.max(env.earliest_us));
    let within = feasible
        .saturating_sub(window_start_us)
        .min(tick_us.saturating_sub(1));
    u32::try_from(within).unwrap_or(u32::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_held_order_cannot_claim_the_start_of_the_tick() {
        // Window 100_000..166_667; the batch left at 150_000 and arrived at 170_000.
        let env = Envelope::for_batch(150_000, 170_000, 0);
        assert_eq!(env.earliest_us, 150_000 - MAX_HOLD_US);
        assert_eq!(normalize_sub_tick(100_000, 66_667, 0, env), 50_000 - 16_667);
    }

    #[test]
    fn honest_hints_inside_the_envelope_are_kept_and_the_window_bounds_all() {
        let env = Envelope::for_batch(130_000, 150_000, 1_000);
        assert_eq!(normalize_sub_tick(100_000, 66_667, 25_000, env), 25_000);
        assert_eq!(normalize_sub_tick(100_000, 66_667, 31_000, env), 31_000);
        assert_eq!(normalize_sub_tick(100_000, 66_667, 60_000, env), 33_000);
        // A batch for a tick whose window has not opened yet clamps to its first microsecond.
        let early = Envelope::for_batch(50_000, 70_000, 0);
        assert_eq!(normalize_sub_tick(100_000, 66_667, 500, early), 0);
    }
}
