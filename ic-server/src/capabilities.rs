//! Builds the services of the enabled capabilities (`build`, also used by CLI commands) and
//! starts what serves the network or runs in the background (`start`, only when serving).
//! Each capability sits behind its Cargo feature; one disabled in config builds and runs nothing.

use std::sync::Arc;

use tokio::task::JoinHandle;

use crate::community::Community;
use crate::config::Config;
use crate::metrics::Metrics;
use crate::state::{AppState, Capabilities};
use crate::store::Stores;

#[cfg(feature = "ranking")]
use crate::authority::Authority;
#[cfg(feature = "matchmaking")]
use crate::matchmaker::Matchmaker;
#[cfg(feature = "moderation")]
use crate::moderation::ModerationService;

/// Builds every capability `config` enables, on `stores`.
// Arguments unused by a build without some capability are still taken so callers need no cfg.
#[allow(unused_variables)]
pub async fn build(
    config: &Config,
    stores: &Stores,
    community: &Arc<Community>,
    metrics: &Arc<Metrics>,
) -> anyhow::Result<Capabilities> {
    #[allow(unused_mut)]
    let mut built = Capabilities::default();
    #[cfg(feature = "moderation")]
    let moderation_store = stores.moderation.clone();
    #[cfg(feature = "ranking")]
    if config
        .capabilities
        .enabled(crate::config::Capability::Ranking)
    {
        // The first start on a database opens its first season.
        let seasons = Arc::new(
            crate::seasons::SeasonClock::open(
                stores.core.as_ref(),
                &config.rating.season,
                crate::clock::unix_now(),
            )
            .await?,
        );
        built.seasons = Some(seasons.clone());
        let authority = Authority::new(
            stores.core.clone(),
            community.clone(),
            config.ranking.clone(),
            config.rating.clone(),
            metrics.clone(),
            seasons,
        )?
        .with_achievements(config.achievements.clone())
        .with_conduct(&config.conduct);
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
        let service = Arc::new(
            ModerationService::new(
                moderation_store,
                config.moderation.clone(),
                built.authority.clone(),
                metrics,
            )
            .await?,
        );
        if !config.federation.subscriptions.is_empty() {
            built.subscriber = Some(Arc::new(crate::federation::subscriber::Subscriber::new(
                &config.federation.subscriptions,
                service.clone(),
                std::time::Duration::from_secs(config.federation.poll_secs),
            )));
        }
        built.moderation = Some(service);
    }
    Ok(built)
}

/// What [`start`] started; [`Running::stop`] ends it.
pub struct Running {
    tasks: Vec<JoinHandle<()>>,
    #[cfg(feature = "relay")]
    relay: Option<Arc<crate::relay::RelayService>>,
}

impl Running {
    /// Drains the relay, when it runs, for up to `within` (see `RelayService::drain`): running
    /// matches finish, or end as server restarts when the time is up.
    pub async fn drain(&self, within: std::time::Duration) {
        #[cfg(feature = "relay")]
        if let Some(relay) = &self.relay {
            let report = relay.drain(within).await;
            tracing::info!(
                finished = report.finished,
                restarted = report.restarted,
                "relay drained"
            );
        }
        let _ = within;
    }

    /// Stops the background tasks and closes the relay's connections.
    pub async fn stop(&self) {
        for task in &self.tasks {
            task.abort();
        }
        #[cfg(feature = "relay")]
        if let Some(relay) = &self.relay {
            relay.shutdown().await;
        }
    }
}

/// Starts the enabled capabilities' network services and background tasks: the relay (which
/// binds its UDP port) with its result outbox, then the matchmaker handing matches to it, then
/// the periodic work.
#[allow(unused_variables, unused_mut)]
pub async fn start(
    config: &Config,
    data: &crate::data_dir::DataDir,
    state: &mut AppState,
    stores: &Stores,
) -> anyhow::Result<Running> {
    let mut tasks = Vec::new();
    #[cfg(feature = "relay")]
    let mut relay = None;
    #[cfg(feature = "relay")]
    if config
        .capabilities
        .enabled(crate::config::Capability::Relay)
    {
        if let Some(outbox) = result_outbox(config, state, stores)? {
            state.capabilities.outbox = Some(outbox.clone());
            tasks.push(tokio::spawn(outbox.run()));
        }
        let service = Arc::new(crate::relay::start_from_config(
            config,
            data,
            state.community.clone(),
            &state.metrics,
            result_sink(&state.capabilities, stores),
        )?);
        let bound = service.local_addr()?;
        state
            .capabilities
            .relays
            .push(crate::matchmaking::RelayListing {
                address: crate::relay::public_address(
                    &config.relay.public_address,
                    &config.community.url,
                    bound,
                ),
                key: service.relay_key(),
                region: config.relay.region.clone(),
            });
        state.capabilities.rooms = Some(Arc::new(crate::relay::rooms::Rooms::new(
            state.community.relay.clone(),
            config.relay.room_open_secs,
            config.relay.spectators_per_match,
            crate::relay::rooms::RoomLimits {
                total: config.relay.max_rooms,
                per_host: config.relay.max_rooms_per_host,
            },
        )));
        #[cfg(feature = "moderation")]
        if let Some(moderation) = &state.capabilities.moderation {
            service.restrict_chat_with(moderation.clone());
        }
        state.capabilities.relay = Some(service.clone());
        if config.relay.replay_retention_days > 0 {
            let dir = crate::relay::replay_dir(data);
            let keep = std::time::Duration::from_secs(config.relay.replay_retention_days * 86_400);
            tasks.push(tokio::spawn(async move {
                let mut hourly = tokio::time::interval(std::time::Duration::from_secs(3600));
                loop {
                    hourly.tick().await;
                    let dir = dir.clone();
                    let swept = tokio::task::spawn_blocking(move || {
                        crate::relay::replays::sweep(&dir, keep, std::time::SystemTime::now())
                    })
                    .await;
                    match swept {
                        Ok(Ok(0)) => {}
                        Ok(Ok(removed)) => tracing::info!(removed, "expired replays removed"),
                        Ok(Err(error)) => tracing::warn!(%error, "replay retention sweep failed"),
                        Err(error) => tracing::warn!(%error, "replay retention sweep panicked"),
                    }
                }
            }));
        }
        relay = Some(service);
    }
    state
        .capabilities
        .relays
        .extend(config.matchmaking.relays.iter().cloned());
    #[cfg(feature = "matchmaking")]
    if config
        .capabilities
        .enabled(crate::config::Capability::Matchmaking)
    {
        let (parts, remote_relays) = matchmaker_parts(config, state, stores)?;
        let relay_probes = parts.metrics.relay_probes.clone();
        let matchmaker = Arc::new(Matchmaker::new(parts));
        state.capabilities.matchmaker = Some(matchmaker.clone());
        tasks.extend(
            matchmaker
                .start(crate::matchmaker::Passes::Scheduled)
                .await?,
        );
        if !remote_relays.is_empty() {
            let every = std::time::Duration::from_secs(config.matchmaking.relay_probe_secs);
            tasks.push(tokio::spawn(crate::matchmaker::remote_relay::probe_relays(
                remote_relays,
                every,
                relay_probes,
            )));
        }
    }
    // Seasons end on schedule where the ranking authority runs (with several such processes
    // on one database, the first to try ends it; the others find it ended).
    #[cfg(feature = "ranking")]
    if let Some(seasons) = state.capabilities.seasons.clone() {
        tasks.push(tokio::spawn(crate::seasons::run_schedule(
            stores.core.clone(),
            config.rating.season.clone(),
            seasons,
            crate::clock::unix_now,
        )));
    }
    // Optimistic achievement claims become verified when their window passes unchallenged.
    #[cfg(feature = "ranking")]
    if let Some(authority) = state.capabilities.authority.clone()
        && config.achievements.policy == crate::config::AchievementPolicy::Optimistic
    {
        tasks.push(tokio::spawn(crate::achievements::upgrades::run(
            authority,
            crate::clock::unix_now,
        )));
    }
    // On a shared database, results that relay processes hand over are applied here.
    #[cfg(feature = "ranking")]
    if let Some(authority) = state.capabilities.authority.clone()
        && stores.backend == crate::store::Backend::Postgres
    {
        tasks.push(tokio::spawn(crate::authority::handoff::drain(
            authority,
            stores.outbox.clone(),
        )));
    }
    // Other communities' sanction feeds, read every `[federation] poll_secs`.
    #[cfg(feature = "moderation")]
    if let Some(subscriber) = state.capabilities.subscriber.clone() {
        tasks.push(tokio::spawn(subscriber.run()));
    }
    #[cfg(feature = "moderation")]
    if let Some(moderation) = state.capabilities.moderation.clone() {
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
    Ok(Running {
        tasks,
        #[cfg(feature = "relay")]
        relay,
    })
}

/// The outbox that sends the relay's certified results to `[relay] community_url`, when that is
/// set and the ranking authority does not run in this process (which then takes them itself).
#[cfg(feature = "relay")]
fn result_outbox(
    config: &Config,
    state: &AppState,
    stores: &Stores,
) -> anyhow::Result<Option<Arc<crate::relay::RemoteSink>>> {
    if config.relay.community_url.is_empty() {
        return Ok(None);
    }
    if config
        .capabilities
        .enabled(crate::config::Capability::Ranking)
    {
        tracing::warn!(
            "relay.community_url is ignored: the ranking capability runs in this server and \
             rates the relay's matches itself"
        );
        return Ok(None);
    }
    let metrics = crate::relay::outbox::OutboxMetrics::register(&state.metrics)?;
    let sink = crate::relay::RemoteSink::new(stores.outbox.clone(), &config.relay, metrics)?;
    tracing::info!(
        endpoint = sink.endpoint(),
        "certified results go to a remote community"
    );
    Ok(Some(Arc::new(sink)))
}

/// Where the relay sends its certified results: the ranking authority of this process when
/// that capability runs, otherwise the outbox to `[relay] community_url` when there is one,
/// otherwise, on a database that several processes share (PostgreSQL), a ranking process of
/// the community through that database, otherwise nowhere (only the players get them).
#[cfg(feature = "relay")]
fn result_sink(
    capabilities: &Capabilities,
    stores: &Stores,
) -> Option<Arc<dyn crate::relay::ResultSink>> {
    use crate::relay::ResultSink;
    #[cfg(feature = "ranking")]
    if let Some(authority) = &capabilities.authority {
        return Some(Arc::new(crate::relay::AuthoritySink::new(
            authority.clone(),
        )));
    }
    if let Some(outbox) = &capabilities.outbox {
        return Some(outbox.clone() as Arc<dyn ResultSink>);
    }
    (stores.backend == crate::store::Backend::Postgres).then(|| {
        tracing::info!("certified results go to a ranking process through the shared database");
        Arc::new(crate::relay::DatabaseHandoff::new(
            stores.outbox.clone(),
            stores.core.clone(),
        )) as Arc<dyn ResultSink>
    })
}

/// The matchmaker's parts: this server's relay first, then the configured ones (also returned,
/// for probing); moderation's queue sanctions when that capability runs.
#[cfg(feature = "matchmaking")]
fn matchmaker_parts(
    config: &Config,
    state: &AppState,
    stores: &Stores,
) -> anyhow::Result<(
    crate::matchmaker::MatchmakerParts,
    Vec<Arc<crate::matchmaker::remote_relay::ConfiguredRelay>>,
)> {
    use crate::matchmaker::relays::{HostingRelay, TicketHandoff};
    use crate::matchmaker::remote_relay::ConfiguredRelay;
    use crate::matchmaker::{MatchmakerParts, QueueRestrictions};
    let mut relays: Vec<Arc<dyn HostingRelay>> = Vec::new();
    #[cfg(feature = "relay")]
    if let (Some(service), Some(listing)) =
        (&state.capabilities.relay, state.capabilities.own_relay())
    {
        relays.push(Arc::new(crate::relay::LocalRelay::new(
            service.clone(),
            listing,
            config.relay.max_matches,
        )));
    }
    let remote: Vec<Arc<ConfiguredRelay>> = config
        .matchmaking
        .relays
        .iter()
        .map(|remote| Arc::new(ConfiguredRelay::new(remote.clone())))
        .collect();
    relays.extend(
        remote
            .iter()
            .map(|relay| relay.clone() as Arc<dyn HostingRelay>),
    );
    if relays.is_empty() {
        tracing::warn!(
            "matchmaking runs without a relay: enable the relay capability or list relays in \
             [matchmaking] relays, or every found match will be cancelled"
        );
    }
    #[allow(unused_mut)]
    let mut restrictions: Option<Arc<dyn QueueRestrictions>> = None;
    #[cfg(feature = "moderation")]
    if let Some(moderation) = &state.capabilities.moderation {
        restrictions = Some(moderation.clone());
    }
    let parts = MatchmakerParts::from_config(
        config,
        state.community.clone(),
        state.store.clone(),
        &state.metrics,
        Arc::new(crate::clock::SystemClock),
        Arc::new(TicketHandoff::new(state.community.clone(), relays)),
        restrictions,
        stores.queue.clone(),
        state.remote_communities.clone(),
    )?;
    Ok((parts, remote))
}
