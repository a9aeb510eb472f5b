//! The operator's command line: `run` (default), `init`, `config`, `keys`, `players`, `relays`,
//! `roles`, `staff`, `storage`, `scr`. Each command is a thin call into the library; errors surface via
//! anyhow.

mod args;
mod seasons;
mod storage;

pub use args::*;

use std::path::Path;

use anyhow::{Context, bail};
#[cfg(feature = "ranking")]
use scr::RecordType;
#[cfg(feature = "ranking")]
use scr::payload::RevocationReason;
use scr::{PlayerKey, RelayKey};

use crate::clock::unix_now;
use crate::config::{self, LoadedConfig};
use crate::data_dir::{DataDir, read_key_file};

/// Loads the configuration with the process environment, printing warnings to stderr.
pub fn load_config(file: &Path) -> anyhow::Result<LoadedConfig> {
    let env: Vec<(String, String)> = std::env::vars().collect();
    let loaded = config::load(Some(file), &env)?;
    for warning in &loaded.warnings {
        eprintln!("warning: {warning}");
    }
    Ok(loaded)
}

/// Runs the command line.
pub async fn main(cli: Cli) -> anyhow::Result<()> {
    let data = DataDir::new(&cli.data_dir);
    let config_file = cli.config_file();
    // A config file named on purpose must exist: running on defaults instead would hide a typo.
    if let Some(named) = &cli.config {
        if !named.is_file() {
            bail!("config file {} does not exist", named.display());
        }
    }
    match cli
        .command
        .as_ref()
        .unwrap_or(&Command::Run { listen: None })
    {
        Command::Run { listen } => {
            init(&data, false)?;
            let loaded = load_config(&config_file)?;
            crate::logging::init(&loaded.config.logging);
            crate::server::run(&data, &config_file, loaded, *listen).await
        }
        Command::Init => init(&data, true),
        Command::Config(ConfigCommand::Validate) => {
            let loaded = load_config(&config_file)?;
            println!(
                "configuration is valid ({} warning{})",
                loaded.warnings.len(),
                if loaded.warnings.len() == 1 { "" } else { "s" }
            );
            Ok(())
        }
        Command::Config(ConfigCommand::Show) => {
            print!("{}", load_config(&config_file)?.render_with_sources());
            Ok(())
        }
        Command::Config(ConfigCommand::Reload) => {
            // A file that does not load would be refused by the server: say so here.
            load_config(&config_file)?;
            let pid = crate::running::running_pid(data.root())?.ok_or_else(|| {
                anyhow::anyhow!("no ic-server is running on {}", data.root().display())
            })?;
            let target = i32::try_from(pid)
                .ok()
                .and_then(rustix::process::Pid::from_raw)
                .ok_or_else(|| anyhow::anyhow!("running.lock names no valid pid ({pid})"))?;
            rustix::process::kill_process(target, rustix::process::Signal::HUP)
                .with_context(|| format!("signalling pid {pid}"))?;
            println!("asked ic-server (pid {pid}) to reload; its log says which keys took effect");
            Ok(())
        }
        Command::Keys(command) => keys(&data, &config_file, command).await,
        Command::Players(PlayersCommand::Revoke {
            key,
            record_type,
            reason,
        }) => revoke(&data, &config_file, key, *record_type, *reason).await,
        Command::Relays(command) => relays(&data, &config_file, command).await,
        Command::Roles(command) => roles(&data, &config_file, command).await,
        Command::Seasons(command) => seasons::seasons(&data, &config_file, command).await,
        Command::Staff(StaffCommand::LoginLink { key }) => {
            login_link(&data, &config_file, key).await
        }
        Command::Storage(StorageCommand::Migrate { to }) => {
            storage::migrate(&data, &config_file, to).await
        }
        Command::Backup { file } => storage::backup(&data, &config_file, file).await,
        Command::Demo {
            bots,
            matches,
            json,
        } => demo(*bots, *matches, *json).await,
        Command::Scr(ScrCommand::Inspect { file }) => {
            let bytes = if file.as_os_str() == "-" {
                let mut bytes = Vec::new();
                std::io::Read::read_to_end(&mut std::io::stdin(), &mut bytes)?;
                bytes
            } else {
                std::fs::read(file).with_context(|| format!("reading {}", file.display()))?
            };
            let record = scr::Record::decode(&bytes)?;
            println!("{}", record.to_json());
            Ok(())
        }
    }
}

fn init(data: &DataDir, verbose: bool) -> anyhow::Result<()> {
    let report = data.init(&mut rand::rngs::OsRng)?;
    if report.wrote_config || verbose {
        println!(
            "data directory {} ({})",
            data.root().display(),
            if report.wrote_config {
                "config written"
            } else {
                "config kept"
            }
        );
    }
    if let Some(recovery) = report.recovery_key_file {
        eprintln!(
            "WARNING: the community RECOVERY KEY was written to {}.\n\
             Move it offline now (password manager, USB stick, paper) and delete it here.\n\
             It is the only way to recover from a stolen signing key; the server keeps only its public half.",
            recovery.display()
        );
    } else if verbose {
        println!("keys already exist; nothing overwritten");
    }
    Ok(())
}

async fn open_store(
    data: &DataDir,
    config_file: &Path,
) -> anyhow::Result<(crate::store::Stores, crate::config::Config)> {
    let config = load_config(config_file)?.config;
    let stores = crate::server::open_stores(data, &config, None).await?;
    Ok((stores, config))
}

async fn keys(data: &DataDir, config_file: &Path, command: &KeysCommand) -> anyhow::Result<()> {
    let (stores, _) = open_store(data, config_file).await?;
    let store = stores.core.as_ref();
    match command {
        KeysCommand::Show => {
            let keys = data.keys()?;
            let signing = keys.signing.public_key();
            let relay = keys.relay.public_key();
            println!(
                "signing key:  {signing}  fingerprint {}",
                signing.fingerprint()
            );
            println!(
                "recovery key: {}  fingerprint {}",
                keys.recovery,
                keys.recovery.fingerprint()
            );
            println!("relay key:    {relay}  fingerprint {}", relay.fingerprint());
            println!("rotations:    {}", store.rotations().await?.len());
        }
        KeysCommand::Rotate => {
            let record =
                crate::keys::rotate(data, store, None, &mut rand::rngs::OsRng, unix_now()).await?;
            println!(
                "rotated: rotation {} (old key valid 30 more days); a running server switches within seconds",
                record.sequence()
            );
        }
        KeysCommand::EmergencyRotate { recovery_key } => {
            let recovery = read_key_file(recovery_key)?;
            let record = crate::keys::rotate(
                data,
                store,
                Some(&recovery),
                &mut rand::rngs::OsRng,
                unix_now(),
            )
            .await?;
            println!(
                "emergency rotation {} done: the old key is no longer valid; a running server switches within seconds",
                record.sequence()
            );
        }
    }
    store.close().await?;
    Ok(())
}

async fn relays(data: &DataDir, config_file: &Path, command: &RelaysCommand) -> anyhow::Result<()> {
    let (stores, config) = open_store(data, config_file).await?;
    let store = stores.core.as_ref();
    match command {
        RelaysCommand::Trust { key, label } => {
            if !store.trust_relay(key, label, unix_now()).await? {
                println!("{key} was already trusted");
            } else {
                println!("trusting {key}");
            }
        }
        RelaysCommand::Untrust { key } => {
            if !store.untrust_relay(key).await? {
                store.close().await?;
                bail!("{key} was not trusted through the CLI");
            }
            println!("no longer trusting {key}");
        }
        RelaysCommand::List => {
            let own = RelayKey::from(data.keys()?.relay.public_key());
            println!("{own}  own relay key");
            for key in &config.ranking.trusted_relays {
                println!("{key}  config ranking.trusted_relays");
            }
            for (key, label) in store.trusted_relays().await? {
                println!("{key}  cli {label}");
            }
        }
        #[cfg(feature = "relay")]
        RelaysCommand::Outbox => {
            use crate::store::OutboxState;
            if config.relay.community_url.is_empty() {
                println!("relay.community_url is not set: results go only to the players");
            } else {
                println!("results go to {}/v1/matches", config.relay.community_url);
            }
            for state in [OutboxState::Pending, OutboxState::Refused] {
                // Bounded so a long outage does not flood the terminal; the count says the rest.
                let entries = stores.outbox.outbox_entries(state, 1000).await?;
                println!("{}: {}", state.name(), entries.len());
                for entry in entries {
                    println!(
                        "  {}  enqueued {}  attempts {}  next {}  {}",
                        hex::encode(entry.match_id),
                        entry.enqueued_at,
                        entry.attempts,
                        entry.next_attempt_at,
                        entry.last_error.unwrap_or_default()
                    );
                }
            }
        }
        #[cfg(feature = "relay")]
        RelaysCommand::Retry { match_id } => {
            if !stores.outbox.requeue_refused(match_id, unix_now()).await? {
                store.close().await?;
                bail!(
                    "no refused result with match id {} in the outbox",
                    hex::encode(match_id)
                );
            }
            println!(
                "{} is pending again; the running server sends it within a second",
                hex::encode(match_id)
            );
        }
    }
    store.close().await?;
    Ok(())
}

/// `players revoke`: issues a revocation record through the ranking authority.
#[cfg(feature = "ranking")]
async fn revoke(
    data: &DataDir,
    config_file: &Path,
    key: &PlayerKey,
    record_type: RevocableType,
    reason: Reason,
) -> anyhow::Result<()> {
    let config = load_config(config_file)?.config;
    let services = crate::server::open(data, &config).await?;
    let authority = services
        .state
        .capabilities
        .authority
        .clone()
        .context("the ranking capability is disabled")?;
    let target = match record_type {
        RevocableType::Rating => RecordType::Rating,
        RevocableType::Match => RecordType::Match,
        RevocableType::Achievement => RecordType::Achievement,
    };
    let reason = match reason {
        Reason::Cheating => RevocationReason::Cheating,
        Reason::KeyCompromise => RevocationReason::KeyCompromise,
        Reason::ModeratorAction => RevocationReason::ModeratorAction,
        Reason::Other => RevocationReason::Other,
    };
    let record = authority.revoke(key, target, reason, unix_now()).await?;
    let details = serde_json::json!({
        "record_type": target.name(),
        "reason": format!("{reason:?}"),
        "min_valid_sequence": record.sequence,
    });
    audit_operator(
        &config,
        &services.stores,
        "revoke_records",
        key.public_key(),
        details,
    )
    .await?;
    services.stores.core.close().await?;
    println!(
        "revoked {target} records of {key} below sequence {}",
        record.sequence
    );
    Ok(())
}

/// `players revoke` in a build without the ranking authority, which alone issues revocations.
#[cfg(not(feature = "ranking"))]
async fn revoke(
    _data: &DataDir,
    _config_file: &Path,
    _key: &PlayerKey,
    _record_type: RevocableType,
    _reason: Reason,
) -> anyhow::Result<()> {
    bail!("this build of ic-server has no ranking capability (cargo feature `ranking`)")
}

/// Writes an operator's action to the moderation audit log when that capability is enabled (a
/// disabled capability touches none of its tables).
#[cfg(feature = "moderation")]
async fn audit_operator(
    config: &crate::config::Config,
    stores: &crate::store::Stores,
    action: &str,
    target: scr::PublicKey,
    details: serde_json::Value,
) -> anyhow::Result<()> {
    if config
        .capabilities
        .enabled(crate::config::Capability::Moderation)
    {
        let entry = crate::moderation::service::operator_audit(action, target, details, unix_now());
        stores.moderation.audit(&entry).await?;
    }
    Ok(())
}

/// Without the moderation capability there is no audit log to write to.
#[cfg(not(feature = "moderation"))]
async fn audit_operator(
    _config: &crate::config::Config,
    _stores: &crate::store::Stores,
    _action: &str,
    _target: scr::PublicKey,
    _details: serde_json::Value,
) -> anyhow::Result<()> {
    Ok(())
}

/// `demo`: runs the whole system once (needs the relay, ranking and matchmaking features).
#[allow(clippy::unused_async)]
async fn demo(bots: usize, matches: usize, json: bool) -> anyhow::Result<()> {
    #[cfg(all(feature = "relay", feature = "ranking", feature = "matchmaking"))]
    return crate::demo::run(crate::demo::DemoOptions {
        bots,
        matches,
        json,
    })
    .await;
    #[cfg(not(all(feature = "relay", feature = "ranking", feature = "matchmaking")))]
    {
        let _ = (bots, matches, json);
        bail!("the demo needs a build with the relay, ranking and matchmaking features")
    }
}

async fn login_link(
    data: &DataDir,
    config_file: &Path,
    key: &scr::PublicKey,
) -> anyhow::Result<()> {
    let (stores, config) = open_store(data, config_file).await?;
    let store = stores.core.as_ref();
    let issued =
        crate::auth::issue_login_link(store, &config.auth.admins, key, false, unix_now()).await;
    store.close().await?;
    let (token, expires_at) = issued?;
    if !config.ui.enabled {
        eprintln!("warning: the web UI is off ([ui] enabled = false); the link opens nothing");
    }
    println!("Sign-in link for {key}, usable once until Unix time {expires_at} (five minutes):");
    println!(
        "{}",
        crate::auth::sign_in_url(&config.community.url, &token)
    );
    Ok(())
}

async fn roles(data: &DataDir, config_file: &Path, command: &RolesCommand) -> anyhow::Result<()> {
    let (stores, config) = open_store(data, config_file).await?;
    let store = stores.core.as_ref();
    match command {
        RolesCommand::Grant { key, role } => {
            let granted = store.grant_role(key, *role, unix_now()).await?;
            if granted {
                let details = serde_json::json!({ "role": role.name() });
                audit_operator(&config, &stores, "grant_role", *key, details).await?;
            }
            println!(
                "{key} {} {}",
                if granted { "now has" } else { "already had" },
                role.name()
            );
        }
        RolesCommand::Revoke { key, role } => {
            if !store.revoke_role(key, *role).await? {
                store.close().await?;
                bail!("{key} does not have the {} role", role.name());
            }
            let details = serde_json::json!({ "role": role.name() });
            audit_operator(&config, &stores, "revoke_role", *key, details).await?;
            println!("{key} no longer has {}", role.name());
        }
        RolesCommand::List => {
            for key in &config.auth.admins {
                println!("{key}  admin  (config auth.admins)");
            }
            for (key, role) in store.all_roles().await? {
                println!("{key}  {}", role.name());
            }
        }
    }
    store.close().await?;
    Ok(())
}
