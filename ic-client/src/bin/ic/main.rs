//! `ic`, the player's command line: identity key, joining communities, the credential wallet.
//! A thin shell over the `ic_client` library; every decision lives there.

mod audit;
mod conduct;
mod identity;
mod play;
mod profile;
mod rooms;
mod standings;
mod witnesses;

use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context as _, Result};
use clap::{Parser, Subcommand, ValueEnum};
use ic_client::community::TrustBasis;
use ic_client::present::{Presentation, check_records};
use ic_client::wallet::{CommunityStore, Wallet};
use ic_client::{Client, JoinOptions, Reissue, unix_now};
use scr::Payload;

use identity::{IdentityCommand, identity_command, load_identity};

/// The player's command line for ic-server communities.
#[derive(Parser)]
#[command(name = "ic", version, about)]
struct Cli {
    /// Data directory (identity key and community wallets).
    #[arg(long, env = "IC_DATA_DIR", global = true)]
    data_dir: Option<PathBuf>,
    /// Read the identity passphrase from this file instead of asking (IC_PASSPHRASE also works).
    #[arg(long, global = true)]
    passphrase_file: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Create, show, back up or recover the identity key.
    Identity {
        #[command(subcommand)]
        command: IdentityCommand,
    },
    /// Join the community at URL: pin its keys, register, store the first records.
    Join {
        /// The community's URL, e.g. https://ic.example.org.
        url: String,
        /// The community's key fingerprint (16 hex) or key, from a source you trust.
        #[arg(long)]
        fingerprint: Option<String>,
        /// Invite code, for communities that require one.
        #[arg(long)]
        invite: Option<String>,
    },
    /// List joined communities.
    Communities {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Show stored records, of one community or all.
    Records {
        /// Community slug, name or fingerprint.
        community: Option<String>,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Pull new records, revocations and key rotations from every joined community.
    Refresh {
        /// When to ask for re-issued rating records.
        #[arg(long, value_enum, default_value_t = ReissueArg::WhenExpiring)]
        reissue: ReissueArg,
    },
    /// Re-check, offline, everything the wallet holds of a community's transparency log; exits
    /// non-zero on any failure, printing what is wrong.
    Audit {
        /// Community slug, name or fingerprint.
        community: String,
    },
    /// Show or change the witnesses whose cosignatures a community's log checkpoints need.
    Witnesses {
        /// Community slug, name or fingerprint.
        community: String,
        /// What to change (nothing: show the rule).
        #[command(subcommand)]
        change: Option<witnesses::Change>,
    },
    /// Verify records in a file (raw bytes or base64; `-` for stdin) against joined communities.
    Verify {
        /// The file.
        file: PathBuf,
    },
    /// Print (base64) the records a game would send to show your rating in a community.
    Present {
        /// Community slug, name or fingerprint.
        community: String,
        /// Only this game module.
        #[arg(long)]
        module: Option<String>,
    },
    /// Show a player's standing in a joined community, as its server ranks them: rating, tier,
    /// rank, percentile, this season's games and peak.
    Profile {
        /// Community slug, name or fingerprint.
        community: String,
        /// Another player's key (default: yours).
        #[arg(long)]
        player: Option<scr::PlayerKey>,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Show a player's most recent certified matches in a joined community (newest first).
    Matches {
        /// Community slug, name or fingerprint.
        community: String,
        /// Another player's key (default: yours).
        #[arg(long)]
        player: Option<scr::PlayerKey>,
        /// How many, 1-100.
        #[arg(long, default_value_t = 20, value_parser = clap::value_parser!(u32).range(1..=100))]
        limit: u32,
        /// Your own matches from the match records in your wallet, without asking the server.
        #[arg(long, conflicts_with = "player")]
        offline: bool,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Show a player's achievements in a joined community.
    Achievements {
        /// Community slug, name or fingerprint.
        community: String,
        /// Another player's key (default: yours).
        #[arg(long)]
        player: Option<scr::PlayerKey>,
        /// Your own achievements from the records in your wallet, without asking the server.
        #[arg(long, conflicts_with = "player")]
        offline: bool,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Show what keeps you out of play in a joined community, why and until when: the cooldown
    /// for leaving matches and moderators' sanctions (appeal those with the case id).
    Sanctions {
        /// Community slug, name or fingerprint.
        community: String,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Staff of a community: sign in to its web UI with this identity key.
    Staff {
        #[command(subcommand)]
        command: StaffCommand,
    },
    /// Leave a community: its wallet is moved to communities/left/ and no longer synced.
    Leave {
        /// Community slug, name or fingerprint.
        community: String,
    },
    #[command(flatten)]
    Play(play::PlayCommand),
    #[command(flatten)]
    Conduct(conduct::ConductCommand),
    #[command(flatten)]
    Standings(standings::StandingsCommand),
}

#[derive(Subcommand)]
enum StaffCommand {
    /// Print a single-use link that signs this key in to the community's web UI, valid five
    /// minutes (the URL is the last line). The key must hold a staff role there.
    Login {
        /// The community's address, as joined.
        url: String,
    },
}

#[derive(Clone, Copy, ValueEnum)]
enum ReissueArg {
    WhenExpiring,
    Always,
    Never,
}

impl From<ReissueArg> for Reissue {
    fn from(arg: ReissueArg) -> Self {
        match arg {
            ReissueArg::WhenExpiring => Reissue::WhenExpiring,
            ReissueArg::Always => Reissue::Always,
            ReissueArg::Never => Reissue::Never,
        }
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("ic: cannot start: {error}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(code) => code,
        Err(error) => {
            eprintln!("ic: {error:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> Result<ExitCode> {
    let data_dir = match &cli.data_dir {
        Some(dir) => dir.clone(),
        None => default_data_dir()?,
    };
    let wallet = Wallet::open(&data_dir)?;
    let passphrase_file = cli.passphrase_file.as_deref();
    let now = unix_now();
    match cli.command {
        Command::Identity { command } => identity_command(&wallet, command, passphrase_file),
        Command::Join {
            url,
            fingerprint,
            invite,
        } => {
            let client = Client::new(wallet.clone(), load_identity(&wallet, passphrase_file)?);
            let options = JoinOptions {
                fingerprint,
                invite_code: invite,
            };
            let outcome = client.join(&url, &options, now).await?;
            if outcome.trust == TrustBasis::TrustOnFirstUse {
                eprintln!(
                    "WARNING: trust on first use. No --fingerprint was given, so ic cannot tell this \
                     server from an impostor.\n  Community:   {}\n  Fingerprint: {}\nCompare this \
                     fingerprint with the one the community publishes elsewhere (website, forum). \
                     From now on ic accepts a new key only with a valid rotation chain.",
                    outcome.name, outcome.fingerprint
                );
            }
            println!(
                "Joined {:?} as {} ({}); {} record(s) stored.",
                outcome.name,
                outcome.slug,
                if outcome.newly_registered {
                    "registered"
                } else {
                    "already registered"
                },
                outcome.report.stored + outcome.report.superseded
            );
            print_rejected(&outcome.rejected);
            Ok(ExitCode::SUCCESS)
        }
        Command::Communities { json } => {
            let communities = wallet.communities().await?;
            if json {
                let list: Vec<_> = communities
                    .iter()
                    .map(|joined| {
                        serde_json::json!({
                            "slug": joined.slug,
                            "name": joined.info.name,
                            "url": joined.info.server_url,
                            "signing_key": joined.info.community_key.to_string(),
                            "fingerprint": joined.info.community_key.fingerprint().to_string(),
                            "recovery_key": joined.info.recovery_key.to_string(),
                            "pinned_key": joined.info.pinned_key.to_string(),
                            "capabilities": joined.info.capabilities,
                            "player_key": joined.info.player_key.to_string(),
                            "joined_at": joined.info.joined_at,
                            "last_sync": joined.info.last_sync,
                        })
                    })
                    .collect();
                println!("{}", serde_json::to_string_pretty(&list)?);
            } else if communities.is_empty() {
                println!("No communities joined yet; use `ic join <url>`.");
            } else {
                for joined in communities {
                    let rotated = if joined.info.sk_rotated_at.is_some() {
                        " (key rotated since join)"
                    } else {
                        ""
                    };
                    println!(
                        "{:<24} {:<32} {}  {}{}",
                        joined.slug,
                        joined.info.name,
                        joined.info.community_key.fingerprint(),
                        joined.info.server_url,
                        rotated
                    );
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Records { community, json } => {
            records_command(&wallet, community.as_deref(), json, now).await
        }
        Command::Refresh { reissue } => {
            let client = Client::new(wallet.clone(), load_identity(&wallet, passphrase_file)?);
            let mut failed = false;
            for (slug, result) in client.sync_all(reissue.into(), now).await? {
                match result {
                    Ok(report) => {
                        if let Some((old, new)) = report.rotated {
                            println!(
                                "{slug}: followed a key rotation {} -> {}",
                                old.fingerprint(),
                                new.fingerprint()
                            );
                        }
                        let r = &report.report;
                        println!(
                            "{slug}: {} new, {} superseded, {} already held, {} revocation(s) applied, {} record(s) marked revoked{}",
                            r.stored,
                            r.superseded,
                            r.ignored,
                            r.revocations_applied,
                            r.marked_revoked,
                            if report.reissued {
                                ", ratings re-issued"
                            } else {
                                ""
                            }
                        );
                        print_rejected(&report.rejected);
                        audit::print_log(&slug, &report.log);
                        // A community caught forking or rewriting its log fails the refresh.
                        failed |= !report.log.evidence.is_empty();
                    }
                    Err(error) => {
                        failed = true;
                        eprintln!("{slug}: {error}");
                    }
                }
            }
            Ok(if failed {
                ExitCode::FAILURE
            } else {
                ExitCode::SUCCESS
            })
        }
        Command::Audit { community } => audit::audit_command(&wallet, &community).await,
        Command::Witnesses { community, change } => {
            witnesses::witnesses_command(&wallet, &community, change, now).await
        }
        Command::Verify { file } => {
            let bytes = read_input(&file)?;
            let presentation = Presentation::from_text_or_bytes(&bytes)?;
            let mut all_valid = !presentation.records().is_empty();
            for check in check_records(&wallet, &presentation, now).await? {
                let what = check
                    .record
                    .as_ref()
                    .map(|record| format!("{} #{}", record.record_type(), record.sequence()))
                    .unwrap_or_else(|| "record".to_owned());
                let community = check.community.unwrap_or_else(|| "-".to_owned());
                match check.verdict {
                    Ok(()) => println!("valid    {community:<24} {what}"),
                    Err(error) => {
                        all_valid = false;
                        println!("INVALID  {community:<24} {what}: {error}");
                    }
                }
            }
            Ok(if all_valid {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            })
        }
        Command::Present { community, module } => {
            let presentation = wallet.present(&community, module.as_deref(), now).await?;
            println!("{}", presentation.to_base64());
            Ok(ExitCode::SUCCESS)
        }
        Command::Profile {
            community,
            player,
            json,
        } => profile::profile_command(&wallet, &community, player, json).await,
        Command::Matches {
            community,
            player,
            limit,
            offline,
            json,
        } => profile::matches_command(&wallet, &community, player, limit, offline, json).await,
        Command::Achievements {
            community,
            player,
            offline,
            json,
        } => profile::achievements_command(&wallet, &community, player, offline, json).await,
        Command::Sanctions { community, json } => {
            let identity = load_identity(&wallet, passphrase_file)?;
            let mine = ic_client::staff::my_sanctions(&wallet, &identity, &community).await?;
            profile::print_sanctions(&mine, now, json)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Staff {
            command: StaffCommand::Login { url },
        } => {
            let identity = load_identity(&wallet, passphrase_file)?;
            let (link, expires_at) = ic_client::staff::login_link(&wallet, &identity, &url).await?;
            println!(
                "Open this link in your browser before Unix time {expires_at}; it works once:"
            );
            println!("{link}");
            Ok(ExitCode::SUCCESS)
        }
        Command::Play(command) => play::play_command(&wallet, passphrase_file, command).await,
        Command::Conduct(command) => {
            conduct::conduct_command(&wallet, passphrase_file, command).await
        }
        Command::Standings(command) => {
            standings::standings_command(&wallet, passphrase_file, command).await
        }
        Command::Leave { community } => {
            let slug = wallet.slug_of(&community).await?;
            let archived = wallet.leave(&slug, now).await?;
            println!(
                "Left {slug}; its records were kept in {}",
                archived.display()
            );
            Ok(ExitCode::SUCCESS)
        }
    }
}

async fn records_command(
    wallet: &Wallet,
    community: Option<&str>,
    json: bool,
    now: i64,
) -> Result<ExitCode> {
    let slugs = match community {
        Some(name) => vec![wallet.slug_of(name).await?],
        None => wallet.slugs()?,
    };
    let mut all = Vec::new();
    for slug in slugs {
        let store = CommunityStore::open(&wallet.community_path(&slug)).await?;
        let info = store.info().await?;
        let verifier = store.verifier().await?;
        let records = store.records().await?;
        store.close().await;
        for stored in records {
            let record =
                scr::Record::decode(&stored.bytes).context("a stored record no longer decodes")?;
            let status = match verifier.verify(&stored.bytes, now) {
                Ok(_) => "valid".to_owned(),
                Err(error) => error.code().to_owned(),
            };
            if json {
                all.push(serde_json::json!({
                    "community": slug,
                    "community_name": info.name,
                    "status": status,
                    "revoked": stored.revoked,
                    "record": record.to_json(),
                }));
            } else {
                println!(
                    "{slug:<20} #{:<6} {:<12} {:<48} {status}",
                    record.sequence(),
                    record.record_type().name(),
                    summary(&record)
                );
            }
        }
    }
    if json {
        println!("{}", serde_json::to_string_pretty(&all)?);
    }
    Ok(ExitCode::SUCCESS)
}

fn summary(record: &scr::Record) -> String {
    let points = |value: i64| format!("{:.1}", value as f64 / 1000.0);
    match record.payload() {
        Payload::Rating(r) => format!(
            "{} {} {} ±{} ({} games)",
            r.game_module,
            r.algorithm_id,
            points(r.rating),
            points(r.deviation),
            r.games_played
        ),
        Payload::Match(m) => format!(
            "{} {} {} {} -> {}",
            m.game_module,
            m.map_name,
            m.result.name(),
            points(m.rating_before),
            points(m.rating_after)
        ),
        Payload::Achievement(a) => format!("{} {}", a.game_module, a.achievement_id),
        Payload::Revocation(r) => format!(
            "{} below #{} ({})",
            r.target_record_type,
            r.min_valid_sequence,
            r.reason.name()
        ),
        Payload::KeyRotation(k) => {
            format!("{} -> {}", k.old_key.fingerprint(), k.new_key.fingerprint())
        }
    }
}

fn print_rejected(rejected: &[ic_client::sync::Rejected]) {
    for rejection in rejected {
        eprintln!(
            "refused record {} #{}: {}",
            rejection.record_type.map_or("?", |t| t.name()),
            rejection
                .sequence
                .map_or_else(|| "?".to_owned(), |s| s.to_string()),
            rejection.error
        );
    }
}

fn default_data_dir() -> Result<PathBuf> {
    if let Some(dir) = std::env::var_os("XDG_DATA_HOME").filter(|dir| !dir.is_empty()) {
        return Ok(PathBuf::from(dir).join("ic"));
    }
    let home = std::env::var_os("HOME")
        .context("neither --data-dir, IC_DATA_DIR, XDG_DATA_HOME nor HOME is set")?;
    Ok(PathBuf::from(home).join(".local").join("share").join("ic"))
}

fn read_input(file: &Path) -> Result<Vec<u8>> {
    // Records are small; a file this large is not a presentation.
    const MAX_INPUT: u64 = 16 * 1024 * 1024;
    let mut bytes = Vec::new();
    if file == Path::new("-") {
        std::io::stdin().take(MAX_INPUT).read_to_end(&mut bytes)?;
    } else {
        std::fs::File::open(file)
            .with_context(|| format!("opening {}", file.display()))?
            .take(MAX_INPUT)
            .read_to_end(&mut bytes)?;
    }
    Ok(bytes)
}
