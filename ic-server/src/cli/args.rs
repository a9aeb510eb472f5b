//! The operator command line as clap parses it: `ic-server` and its subcommands, with the
//! help text each shows. Running them is `cli/mod.rs`.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};
use scr::{PlayerKey, PublicKey, RelayKey};

use crate::data_dir::DataDir;
use crate::store::Role;

/// ic-server: a self-hostable community server.
#[derive(Parser, Debug)]
#[command(name = "ic-server", version, about)]
pub struct Cli {
    /// Data directory (config, keys, database).
    #[arg(long, env = "IC_DATA_DIR", default_value = "ic-data", global = true)]
    pub data_dir: PathBuf,
    /// Config file (default: <data-dir>/ic-server.toml).
    #[arg(long, env = "IC_CONFIG", global = true)]
    pub config: Option<PathBuf>,
    /// What to do (default: run).
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// Operator commands.
#[derive(Subcommand, Debug)]
pub enum Command {
    /// Serve (initializing the data directory first if needed).
    Run {
        /// Listen address, overriding `http.listen`.
        #[arg(long)]
        listen: Option<SocketAddr>,
    },
    /// Create the data directory, config and keys (keeps existing ones).
    Init,
    /// Check or print the configuration.
    #[command(subcommand)]
    Config(ConfigCommand),
    /// Show or rotate the community keys.
    #[command(subcommand)]
    Keys(KeysCommand),
    /// Act on players.
    #[command(subcommand)]
    Players(PlayersCommand),
    /// Manage trusted relay keys.
    #[command(subcommand)]
    Relays(RelaysCommand),
    /// Manage staff roles.
    #[command(subcommand)]
    Roles(RolesCommand),
    /// Ranked seasons: list them, or end the running one (archive, soft reset, next season).
    #[command(subcommand)]
    Seasons(SeasonsCommand),
    /// Staff access to the web UI.
    #[command(subcommand)]
    Staff(StaffCommand),
    /// Move the database to another backend.
    #[command(subcommand)]
    Storage(StorageCommand),
    /// Watch the whole system work: a temporary community, bots with wallets and hidden
    /// skills that queue, play through the relay and get rated; then the leaderboard.
    Demo {
        /// Bots that play (2-64).
        #[arg(long, default_value_t = 8)]
        bots: usize,
        /// Matches to play (1-1000).
        #[arg(long, default_value_t = 32)]
        matches: usize,
        /// Print the final leaderboard as JSON on stdout.
        #[arg(long)]
        json: bool,
    },
    /// Write an online, consistent copy of the database to FILE (SQLite: `VACUUM INTO`;
    /// PostgreSQL: `pg_dump` custom format). FILE must not exist.
    Backup {
        /// Where to write it.
        file: std::path::PathBuf,
    },
    /// Signed credential record tools.
    #[command(subcommand)]
    Scr(ScrCommand),
}

/// `config` subcommands.
#[derive(Subcommand, Debug)]
pub enum ConfigCommand {
    /// Load and validate; print warnings; exit non-zero on errors.
    Validate,
    /// Print the effective configuration and where each value came from.
    Show,
    /// Ask the server running on this data directory to re-read its configuration (sends it
    /// SIGHUP); its log says which keys took effect and which need a restart.
    Reload,
}

/// `keys` subcommands.
#[derive(Subcommand, Debug)]
pub enum KeysCommand {
    /// Print the public keys and fingerprints.
    Show,
    /// Voluntary rotation: new signing key, old one valid 30 more days. A running server switches within seconds.
    Rotate,
    /// Emergency rotation with the offline recovery key: the old key is cut off now.
    EmergencyRotate {
        /// The recovery key file written by `init`.
        #[arg(long)]
        recovery_key: PathBuf,
    },
}

/// A revocable record type.
#[derive(ValueEnum, Clone, Copy, Debug)]
pub enum RevocableType {
    /// Rating records.
    Rating,
    /// Match records.
    Match,
    /// Achievement records.
    Achievement,
}

/// Why records are revoked.
#[derive(ValueEnum, Clone, Copy, Debug)]
pub enum Reason {
    /// Cheating.
    Cheating,
    /// The player's key was compromised.
    KeyCompromise,
    /// Moderator action.
    ModeratorAction,
    /// Anything else.
    Other,
}

/// `players` subcommands.
#[derive(Subcommand, Debug)]
pub enum PlayersCommand {
    /// Revoke every record of one type issued to a player so far.
    Revoke {
        /// The player's key (`ed25519:<hex>`).
        key: PlayerKey,
        /// Which records.
        #[arg(long, value_enum)]
        record_type: RevocableType,
        /// Why.
        #[arg(long, value_enum, default_value = "moderator-action")]
        reason: Reason,
    },
}

/// `relays` subcommands.
#[derive(Subcommand, Debug)]
pub enum RelaysCommand {
    /// Accept certified results signed by this relay key.
    Trust {
        /// Relay key (`ed25519:<hex>`).
        key: RelayKey,
        /// A note for `list`.
        #[arg(long, default_value = "")]
        label: String,
    },
    /// Stop accepting results from this relay key.
    Untrust {
        /// Relay key.
        key: RelayKey,
    },
    /// List trusted relay keys (own, config, CLI).
    List,
    /// Certified results this server's relay has not delivered to `relay.community_url`:
    /// pending ones (retried by the running server) and those the community refused.
    #[cfg(feature = "relay")]
    Outbox,
    /// Send a result the community refused again, once what it was refused for is fixed
    /// (for example the community now trusts this relay's key).
    #[cfg(feature = "relay")]
    Retry {
        /// Match id of the result (64 hex characters, as `relays outbox` prints it).
        #[arg(value_parser = parse_match_id)]
        match_id: [u8; 32],
    },
}

/// A match id: 64 hex characters.
#[cfg(feature = "relay")]
fn parse_match_id(text: &str) -> Result<[u8; 32], String> {
    let bytes = hex::decode(text).map_err(|error| format!("not hex: {error}"))?;
    bytes
        .try_into()
        .map_err(|bytes: Vec<u8>| format!("{} bytes, expected 32", bytes.len()))
}

/// `roles` subcommands.
#[derive(Subcommand, Debug)]
pub enum RolesCommand {
    /// Grant a role (admin, moderator, reviewer).
    Grant {
        /// Principal key.
        key: PublicKey,
        /// Role.
        role: Role,
    },
    /// Revoke a role.
    Revoke {
        /// Principal key.
        key: PublicKey,
        /// Role.
        role: Role,
    },
    /// List role grants.
    List,
}

/// `seasons` subcommands. A season change archives every player's standing, soft-resets every
/// rating (`[rating.season]`), clears the season's counts so placement starts again, and opens
/// the next season, in one transaction.
#[derive(Subcommand, Debug)]
pub enum SeasonsCommand {
    /// Every season: number, name, start, end, whether it runs.
    List,
    /// End the running season now and start the next one, named and as long as given.
    Start {
        /// Name of the new season (default "Season N").
        #[arg(long)]
        name: Option<String>,
        /// Length of the new season in days, 1-3650 (default `[rating.season] duration_days`).
        #[arg(long)]
        days: Option<u32>,
    },
    /// End the running season now; the next starts at once with the default name and length.
    End,
}

/// `staff` subcommands.
#[derive(Subcommand, Debug)]
pub enum StaffCommand {
    /// Print a single-use web sign-in link for a staff key, valid five minutes (the URL is the
    /// last line of the output).
    LoginLink {
        /// The staff member's key (it must hold a role).
        key: PublicKey,
    },
}

/// `storage` subcommands.
#[derive(Subcommand, Debug)]
pub enum StorageCommand {
    /// Copy the SQLite database into an empty PostgreSQL database, verified, in one
    /// transaction. Stop the server first; the SQLite file is only read.
    Migrate {
        /// The target: `postgres://user:password@host:port/database` (or the environment
        /// variable, which keeps the password out of the process list).
        #[arg(long, env = "IC_STORAGE_MIGRATE_TO")]
        to: String,
    },
}

/// `scr` subcommands.
#[derive(Subcommand, Debug)]
pub enum ScrCommand {
    /// Print a raw record file as JSON.
    Inspect {
        /// Record file or `-`.
        file: PathBuf,
    },
}

impl Cli {
    pub(super) fn config_file(&self) -> PathBuf {
        self.config
            .clone()
            .unwrap_or_else(|| DataDir::new(&self.data_dir).config_file())
    }
}
