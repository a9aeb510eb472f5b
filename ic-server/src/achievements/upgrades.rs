//! The upgrade task of the `optimistic` policy: claims whose challenge window passed without a
//! challenge are re-issued as verified records (each a new record with a higher sequence).

use std::sync::Arc;
use std::time::Duration;

use crate::authority::Authority;

/// How often due claims are looked for: a claim is upgraded at most this long after its window.
pub const UPGRADE_TICK: Duration = Duration::from_secs(10);
/// Claims upgraded per look; the rest wait for the next.
const BATCH: u32 = 200;

/// Upgrades due claims until the task is dropped; a failed upgrade is logged and tried again
/// at the next look. Several processes may run it on one database: the player's sequence check
/// lets one issue each upgrade, the others find it done.
pub async fn run(authority: Arc<Authority>, now: impl Fn() -> i64 + Send + 'static) {
    let mut ticks = tokio::time::interval(UPGRADE_TICK);
    loop {
        ticks.tick().await;
        if let Err(error) = upgrade_due(&authority, now()).await {
            tracing::warn!(%error, "upgrading optimistic achievement claims failed");
        }
    }
}

/// Upgrades the claims due at `now`; returns how many were re-issued.
pub async fn upgrade_due(
    authority: &Authority,
    now: i64,
) -> Result<usize, crate::authority::AuthorityError> {
    let due = authority.due_claims(now, BATCH).await?;
    let mut upgraded = 0;
    for claim in &due {
        if authority.upgrade_claim(claim, now).await?.is_some() {
            upgraded += 1;
            tracing::info!(
                player = %claim.player_key,
                achievement = %claim.achievement_id,
                "optimistic achievement claim upgraded to verified"
            );
        }
    }
    Ok(upgraded)
}
