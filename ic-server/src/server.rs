//! Wires a running server from a data directory: config, keys, store, authority, HTTP; serves
//! until SIGTERM/SIGINT, then drains and checkpoints the database.

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use anyhow::Context;

use crate::live_setting::Live;

use crate::auth::Auth;
use crate::clock::unix_now;
use crate::community::Community;
use crate::config::{Config, LoadedConfig};
use crate::data_dir::DataDir;
use crate::http;
use crate::keys::Followed;
use crate::metrics::Metrics;
use crate::state::AppState;
use crate::store::Stores;
use crate::transparency::cosigning::Witnesses;
use crate::transparency::witness::{Witness, WitnessIdentity};

/// Everything a running server holds.
pub struct Services {
    /// Handler state.
    pub state: AppState,
    /// The stores on the configured database (the CLI audits operator actions in them).
    pub stores: Stores,
}

/// Opens the configured database: its location comes from `[storage]`, relative to `data`.
pub async fn open_stores(
    data: &DataDir,
    config: &Config,
    latency: Option<prometheus::HistogramVec>,
) -> anyhow::Result<Stores> {
    let location = config.storage.location(data.root())?;
    crate::store::open(&location, latency)
        .await
        .with_context(|| format!("opening the database {}", location.display()))
}

/// Opens the store and builds the community, authentication and authority from `data`.
pub async fn open(data: &DataDir, config: &Config) -> anyhow::Result<Services> {
    let keys = data.keys()?;
    let metrics = Arc::new(Metrics::new()?);
    let stores = open_stores(data, config, Some(metrics.database.clone())).await?;
    // Checked once the database is open, so a start that fails on the database is one line.
    for (dir, failed) in data.secure()? {
        match failed {
            None => tracing::warn!(
                dir = %dir.display(),
                "other users could enter the data directory; its mode is now 0700"
            ),
            Some(error) => tracing::warn!(
                dir = %dir.display(),
                %error,
                "other users can enter the data directory and its mode could not be changed; \
                 make it 0700"
            ),
        }
    }
    let store = stores.core.clone();
    let rotations = store.rotations().await?;
    let signing = crate::keys::finish_pending_rotation(data, &keys.signing, &rotations)?;
    let community = Community::new(
        config.community.name.clone(),
        config.community.url.clone(),
        signing,
        keys.recovery,
        keys.relay,
        rotations,
    )?;
    if let Err(superseded) = community.current().issuer() {
        tracing::error!(%superseded, "refusing to sign until the new key arrives");
    }
    let community = Arc::new(community);
    let auth = Arc::new(Auth::new(
        store.clone(),
        community.clone(),
        config.auth.admins.clone(),
        config.auth.challenge_ttl_secs,
        config.auth.token_ttl_secs,
    ));
    let capabilities = crate::capabilities::build(config, &stores, &community, &metrics).await?;
    let witness_identity = WitnessIdentity::new(
        data.witness_key(&mut rand::rngs::OsRng)?,
        config.transparency.witness_name.as_deref(),
    )?;
    let witness = Witness::new(
        witness_identity,
        &config.transparency.witness_for,
        store.clone(),
    )?;
    // Members who qualify to review by standing may sign in to review in the browser.
    #[cfg(feature = "moderation")]
    if let Some(moderation) = &capabilities.moderation {
        auth.set_reviewer_standing(moderation.clone());
    }
    let state = AppState {
        config: Arc::new(config.clone()),
        community,
        store: store.clone(),
        auth,
        capabilities,
        metrics,
        ready: Arc::new(AtomicBool::new(false)),
        stopping: Arc::new(tokio::sync::watch::Sender::new(false)),
        limiter: Arc::new(Live::new(AppState::limiter(
            config.http.rate_limit_per_minute,
        ))),
        outbox: stores.outbox.clone(),
        started_at: crate::clock::unix_now(),
        witness: Arc::new(witness),
        remote_communities: Arc::new(crate::federation::RemoteCommunities::new(
            std::time::Duration::from_secs(config.federation.document_ttl_secs),
            config.federation.allow_private_addresses,
        )),
    };
    Ok(Services { state, stores })
}

/// Initializes `data` if needed, then serves until a shutdown signal.
pub async fn run(
    data: &DataDir,
    config_file: &Path,
    loaded: LoadedConfig,
    listen: Option<SocketAddr>,
) -> anyhow::Result<()> {
    let config = loaded.config;
    // Two servers on one data directory would share its key files and SQLite file unknowingly.
    let _running = crate::running::hold(data.root()).map_err(|error| {
        anyhow::anyhow!("{error}; give each ic-server process its own data directory")
    })?;
    let services = open(data, &config).await?;
    let address = listen.unwrap_or(config.http.listen);
    let listener = tokio::net::TcpListener::bind(address)
        .await
        .with_context(|| format!("binding {address}"))?;
    let bound = listener.local_addr()?;
    // Listen for SIGTERM before saying "listening": a supervisor that stops the server right
    // after it started must get a drained shutdown, not the signal's default (death).
    let shutdown_requested = shutdown_signal()?;
    let state = services.state.clone();
    let community = state.community.clone();
    let capabilities = config.capabilities.enabled_names();
    println!("ic-server listening on http://{bound}");
    println!("  community:   {} ({})", community.name, community.url);
    println!("  fingerprint: {}", community.signing_key().fingerprint());
    println!("  capabilities: {}", capabilities.join(", "));
    println!("  config:      {}", config_file.display());
    println!("  data:        {}", data.root().display());
    tracing::info!(%bound, fingerprint = %community.signing_key().fingerprint(), "serving");

    // The CLI rotates keys in the same data directory; new records switch to the new key as
    // soon as its rotation record is in the database.
    let key_refresh = Duration::from_secs(config.storage.key_refresh_secs);
    let follow = {
        let (data, store, community) = (
            data.clone(),
            services.stores.core.clone(),
            community.clone(),
        );
        tokio::spawn(async move {
            let mut every = tokio::time::interval(key_refresh);
            loop {
                every.tick().await;
                match crate::keys::follow_rotations(&data, store.as_ref(), &community).await {
                    Ok(Followed::Switched) => tracing::info!(
                        fingerprint = %community.signing_key().fingerprint(),
                        "signing with the rotated key"
                    ),
                    Ok(Followed::Superseded(superseded)) => {
                        tracing::error!(%superseded, "refusing to sign until the new key arrives");
                    }
                    Ok(Followed::Unchanged) => {}
                    Err(error) => tracing::warn!(%error, "following a key rotation failed"),
                }
            }
        })
    };
    let watch = tokio::spawn(crate::storage_watch::watch(
        services.stores.core.clone(),
        state.metrics.storage_up.clone(),
    ));
    let hangups = tokio::spawn(crate::reload::on_hangup(
        config_file.to_owned(),
        state.clone(),
        config.clone(),
    ));
    let disk = tokio::spawn(crate::disk_watch::watch(
        data.root().to_owned(),
        state.metrics.disk.clone(),
    ));
    let purge_store = services.stores.core.clone();
    let limiter = state.limiter.clone();
    let purger = tokio::spawn(async move {
        let mut every = tokio::time::interval(Duration::from_secs(60));
        loop {
            every.tick().await;
            if let Err(error) = purge_store.purge_expired(unix_now()).await {
                tracing::warn!(%error, "purging expired challenges and tokens failed");
            }
            // Addresses whose allowance has refilled are forgotten: the limiter holds only
            // those seen within about a minute, however many have passed.
            let limiter = limiter.get();
            limiter.retain_recent();
            limiter.shrink_to_fit();
        }
    });
    // Signed checkpoints of the transparency log, when it grew.
    let witnesses = Witnesses::new(
        &config.transparency.witnesses,
        state.metrics.cosignature_requests.clone(),
    )?;
    let checkpoints = tokio::spawn(crate::transparency::checkpoints::run(
        services.stores.core.clone(),
        community.clone(),
        witnesses,
        Duration::from_secs(config.transparency.checkpoint_secs),
    ));

    // The relay, the matchmaker and background work of the enabled capabilities (a disabled
    // capability runs nothing).
    let mut state = state;
    let running = crate::capabilities::start(&config, data, &mut state, &services.stores).await?;
    for relay in &state.capabilities.relays {
        println!("  relay:       {} (key {})", relay.address, relay.key);
    }

    state.ready.store(true, Ordering::SeqCst);
    let ready = state.ready.clone();
    let stopping = state.stopping.clone();
    let grace = Duration::from_secs(config.http.shutdown_grace_secs);
    let app = http::router(state).into_make_service_with_connect_info::<SocketAddr>();
    let (drained_tx, drained_rx) = tokio::sync::oneshot::channel::<()>();
    let drain_delay = Duration::from_secs(config.http.drain_delay_secs);
    let relay_drain = Duration::from_secs(config.relay.drain_secs);
    let running = Arc::new(running);
    let draining = running.clone();
    let shutdown = async move {
        shutdown_requested.await;
        ready.store(false, Ordering::SeqCst);
        stopping.send_replace(true);
        tracing::info!(
            delay_secs = drain_delay.as_secs(),
            "shutdown requested: /ready answers 503, then the listener closes"
        );
        // Matches finish (or end as restarts) while the API still takes their results.
        draining.drain(relay_drain).await;
        tokio::time::sleep(drain_delay).await;
        tracing::info!("draining in-flight requests");
        let _ = drained_tx.send(());
    };
    let server = axum::serve(listener, app).with_graceful_shutdown(shutdown);
    let mut serving = tokio::spawn(async move { server.await });
    tokio::select! {
        joined = &mut serving => joined??,
        _ = drained_rx => {
            // In-flight requests get the grace period; then the server stops anyway.
            match tokio::time::timeout(grace, &mut serving).await {
                Ok(joined) => joined??,
                Err(_) => tracing::warn!("requests still running after the grace period; stopping"),
            }
        }
    }
    purger.abort();
    checkpoints.abort();
    follow.abort();
    watch.abort();
    disk.abort();
    hangups.abort();
    running.stop().await;
    services.stores.core.close().await?;
    tracing::info!("database checkpointed; bye");
    Ok(())
}

/// Resolves on Ctrl-C or SIGTERM; SIGTERM is caught from the moment this is called.
fn shutdown_signal() -> std::io::Result<impl std::future::Future<Output = ()>> {
    #[cfg(unix)]
    let mut terminate = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
    Ok(async move {
        let ctrl_c = async {
            let _ = tokio::signal::ctrl_c().await;
        };
        #[cfg(unix)]
        let terminate = async {
            terminate.recv().await;
        };
        #[cfg(not(unix))]
        let terminate = std::future::pending::<()>();
        tokio::select! {
            () = ctrl_c => {},
            () = terminate => {},
        }
    })
}
