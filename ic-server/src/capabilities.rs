//! Builds the services of the enabled capabilities and starts their background tasks.
//! Each capability sits behind its Cargo feature; one disabled in config builds and runs nothing.

use std::sync::Arc;

use tokio::task::JoinHandle;

use crate::community::Community;
use crate::config::Config;
use crate::metrics::Metrics;
use crate::store::SqliteStore;

#[cfg(feature = "ranking")]
use crate::authority::Authority;
#[cfg(feature = "matchmaking")]
use crate::matchmaker::Matchmaker;
#[cfg(feature = "moderation")]
use crate::moderation::ModerationService;

/// The services of the capabilities this server runs (`None`: disabled in config).
#[derive(Clone, Default)]
pub struct Capabilities {
    /// Ranking authority.
    #[cfg(feature = "ranking")]
    pub authority: Option<Arc<Authority>>,
    /// Matchmaker.
    #[cfg(feature = "matchmaking")]
    pub matchmaker: Option<Arc<Matchmaker>>,
    /// Moderation review queue.
    #[cfg(feature = "moderation")]
    pub moderation: Option<Arc<ModerationService>>,
}

/// Builds every capability `config` enables, on `database`.
// Arguments unused by a build without some capability are still taken so callers need no cfg.
#[allow(unused_variables)]
pub async fn build(
    config: &Config,
    database: &SqliteStore,
    community: &Arc<Community>,
    metrics: &Arc<Metrics>,
) -> anyhow::Result<Capabilities> {
    #[allow(unused_mut)]
    let mut built = Capabilities::default();
    #[cfg(feature = "moderation")]
    let moderation_store: Arc<dyn crate::store::ModerationStore> = Arc::new(database.clone());
    #[cfg(feature = "ranking")]
    if config
        .capabilities
        .enabled(crate::config::Capability::Ranking)
    {
        let authority = Authority::new(
            Arc::new(database.clone()),
            community.clone(),
            config.ranking.clone(),
            config.rating.clone(),
            metrics.clone(),
        )?;
        // A ranked suspension blocks re-issue of rating records while it lasts.
        #[cfg(feature = "moderation")]
        let authority = if config
            .capabilities
            .enabled(crate::config::Capability::Moderation)
        {
            authority.with_suspensions(Arc::new(
                crate::moderation::suspensions::RankedSuspensions::new(moderation_store.clone()),
            ))
        } else {
            authority
        };
        built.authority = Some(Arc::new(authority));
    }
    #[cfg(feature = "moderation")]
    if config
        .capabilities
        .enabled(crate::config::Capability::Moderation)
    {
        built.moderation = Some(Arc::new(
            ModerationService::new(
                moderation_store,
                config.moderation.clone(),
                built.authority.clone(),
                metrics,
            )
            .await?,
        ));
    }
    Ok(built)
}

/// Starts the background tasks of the built capabilities; the caller aborts them on shutdown.
#[allow(unused_variables)]
pub fn spawn_tasks(config: &Config, built: &Capabilities) -> Vec<JoinHandle<()>> {
    #[allow(unused_mut)]
    let mut tasks = Vec::new();
    #[cfg(feature = "moderation")]
    if let Some(moderation) = built.moderation.clone() {
        let every = std::time::Duration::from_secs(config.moderation.retention.sweep_interval_secs);
        tasks.push(tokio::spawn(async move {
            let mut ticks = tokio::time::interval(every);
            loop {
                ticks.tick().await;
                match moderation
                    .expire_closed_cases(crate::clock::unix_now())
                    .await
                {
                    Ok(expired) if !expired.is_empty() => {
                        tracing::info!(count = expired.len(), "expired closed moderation cases");
                    }
                    Ok(_) => {}
                    Err(error) => tracing::warn!(%error, "moderation retention sweep failed"),
                }
            }
        }));
    }
    #[cfg(feature = "matchmaking")]
    if let Some(matchmaker) = built.matchmaker.clone() {
        tasks.push(tokio::spawn(async move { matchmaker.run().await }));
    }
    tasks
}
