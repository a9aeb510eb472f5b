//! How long the matchmaker waits between passes: long while few players are queued, so that a
//! small population is matched among more than the first two arrivals, short for a full queue.

use super::MatchmakingSettings;

/// Pause before the next pass with `queued` players waiting: the longest pause for 0–2
/// players, falling linearly to the shortest at `pass_full_queue` players and beyond.
pub fn pass_interval_ms(settings: &MatchmakingSettings, queued: usize) -> u64 {
    let (min, max) = (
        settings
            .pass_interval_min_ms
            .min(settings.pass_interval_max_ms),
        settings.pass_interval_max_ms,
    );
    let full = settings.pass_full_queue.max(3);
    let filled = queued.saturating_sub(2).min(full - 2) as u64;
    let span = (full - 2) as u64;
    max - (max - min) * filled / span
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_pause_shrinks_as_the_queue_fills() {
        let settings = MatchmakingSettings::default();
        assert_eq!(pass_interval_ms(&settings, 0), 5000);
        assert_eq!(pass_interval_ms(&settings, 2), 5000);
        assert_eq!(pass_interval_ms(&settings, 100), 500);
        assert_eq!(pass_interval_ms(&settings, 10_000), 500);
        let mut last = u64::MAX;
        for queued in 0..200 {
            let pause = pass_interval_ms(&settings, queued);
            assert!(pause <= last && (500..=5000).contains(&pause));
            last = pause;
        }
    }

    #[test]
    fn the_configured_pauses_and_full_queue_are_used() {
        let settings = crate::config::from_file_text(
            "[matchmaking]\npass_interval_min_ms = 100\npass_interval_max_ms = 900\n\
             pass_full_queue = 10\n",
        )
        .matchmaking;
        assert_eq!(pass_interval_ms(&settings, 2), 900);
        assert_eq!(pass_interval_ms(&settings, 6), 500);
        assert_eq!(pass_interval_ms(&settings, 10), 100);
        assert_eq!(pass_interval_ms(&settings, 50), 100);
    }
}
