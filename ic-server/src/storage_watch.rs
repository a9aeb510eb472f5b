//! Watches the database while the server runs: a lost database is logged once, probed again
//! with growing pauses until it answers, and its state is the `storage_up` gauge. Requests in
//! the meantime fail with 503 and `/ready` answers 503; nothing has to restart.

use std::sync::Arc;
use std::time::Duration;

use prometheus::IntGauge;

use crate::store::Store;

/// Pause between probes while the database answers.
const HEALTHY_EVERY: Duration = Duration::from_secs(5);
/// First pause after a failed probe; doubled per failure up to [`MAX_BACKOFF`].
const FIRST_BACKOFF: Duration = Duration::from_millis(500);
/// Longest pause between probes of a lost database.
const MAX_BACKOFF: Duration = Duration::from_secs(30);

/// The pause after `failures` failed probes in a row (0: the database answered).
pub fn pause_after(failures: u32) -> Duration {
    if failures == 0 {
        return HEALTHY_EVERY;
    }
    FIRST_BACKOFF
        .saturating_mul(1 << failures.saturating_sub(1).min(10))
        .min(MAX_BACKOFF)
}

/// Probes `store` until the task is aborted, keeping `up` at 1 while it answers.
pub async fn watch(store: Arc<dyn Store>, up: IntGauge) {
    let mut failures = 0u32;
    loop {
        match store.ping().await {
            Ok(()) => {
                if failures > 0 {
                    tracing::info!(failed_probes = failures, "the database answers again");
                }
                failures = 0;
                up.set(1);
            }
            Err(error) => {
                if failures == 0 {
                    tracing::error!(%error, "the database is unreachable; retrying with back-off");
                }
                failures = failures.saturating_add(1);
                up.set(0);
            }
        }
        tokio::time::sleep(pause_after(failures)).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn probes_of_a_lost_database_back_off_to_a_cap() {
        assert_eq!(pause_after(0), HEALTHY_EVERY);
        assert_eq!(pause_after(1), Duration::from_millis(500));
        assert_eq!(pause_after(2), Duration::from_secs(1));
        assert_eq!(pause_after(4), Duration::from_secs(4));
        assert_eq!(pause_after(7), MAX_BACKOFF);
        assert_eq!(pause_after(u32::MAX), MAX_BACKOFF);
    }
}
