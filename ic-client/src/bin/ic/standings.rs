//! `ic leaderboard`, `ic seasons`, `ic claim` and `ic campaign`: the community's standings and
//! seasons, claiming an achievement, and sharing campaign progress. Each prints lines, or JSON.

use std::path::Path;
use std::process::ExitCode;

use anyhow::Result;
use clap::Subcommand;
use ic_client::api::CampaignProgress;
use ic_client::wallet::Wallet;

use crate::play::{anonymous, print, signed_in};

/// Standings, seasons, achievements and campaigns.
#[derive(Subcommand)]
pub enum StandingsCommand {
    /// The community's leaderboard, best first.
    Leaderboard {
        /// Community slug, name or fingerprint.
        community: String,
        /// Game module (default: the community's first).
        #[arg(long)]
        module: Option<String>,
        /// Rows, 1-200.
        #[arg(long, default_value_t = 20)]
        limit: u32,
        /// The `next` cursor a previous page printed.
        #[arg(long)]
        after: Option<String>,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// The community's ranked seasons, oldest first.
    Seasons {
        /// Community slug, name or fingerprint.
        community: String,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Claim an achievement the community lets players claim; the record goes to your wallet
    /// at the next `ic refresh`.
    Claim {
        /// Community slug, name or fingerprint.
        community: String,
        /// Game module.
        module: String,
        /// The achievement's id (`ic achievements` lists what is held; the community's web page
        /// what is offered).
        achievement: String,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Campaign benchmarks: share your progress (opt in), report it, read the aggregates.
    Campaign {
        #[command(subcommand)]
        command: CampaignCommand,
    },
}

/// `ic campaign …`.
#[derive(Subcommand)]
pub enum CampaignCommand {
    /// Share your campaign progress from now on.
    OptIn {
        /// Community slug, name or fingerprint.
        community: String,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Stop sharing; what you shared is deleted.
    OptOut {
        /// Community slug, name or fingerprint.
        community: String,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Report progress in a campaign.
    Progress {
        /// Community slug, name or fingerprint.
        community: String,
        /// The campaign.
        campaign: String,
        /// Campaign version.
        #[arg(long)]
        version: String,
        /// Game module.
        #[arg(long)]
        module: String,
        /// Difficulty played.
        #[arg(long)]
        difficulty: String,
        /// Missions completed.
        #[arg(long)]
        missions: u32,
        /// The ending reached (marks the campaign completed).
        #[arg(long)]
        ending: Option<String>,
        /// The campaign is completed (without a named ending).
        #[arg(long)]
        completed: bool,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// The signed aggregates of a campaign over the players who share progress (JSON).
    Benchmarks {
        /// Community slug, name or fingerprint.
        community: String,
        /// The campaign.
        campaign: String,
    },
}

/// Runs `command`.
pub async fn standings_command(
    wallet: &Wallet,
    passphrase_file: Option<&Path>,
    command: StandingsCommand,
) -> Result<ExitCode> {
    match command {
        StandingsCommand::Leaderboard {
            community,
            module,
            limit,
            after,
            json,
        } => {
            let api = anonymous(wallet, &community).await?;
            let page = api
                .leaderboard(module.as_deref(), limit, after.as_deref())
                .await?;
            print(&page, json, || {
                let mut lines: Vec<String> = page
                    .entries
                    .iter()
                    .map(|entry| {
                        format!(
                            "{:>5}  {:<10} {:>8}  {}",
                            entry.rank.map_or_else(|| "-".to_owned(), |r| r.to_string()),
                            entry.tier.as_deref().unwrap_or("-"),
                            entry.display,
                            entry.player_key
                        )
                    })
                    .collect();
                if lines.is_empty() {
                    lines.push(format!("nobody is ranked in {} yet", page.module));
                }
                if let Some(next) = &page.next {
                    lines.push(format!("more: --after {next}"));
                }
                lines.join("\n")
            })?;
        }
        StandingsCommand::Seasons { community, json } => {
            let seasons = anonymous(wallet, &community).await?.seasons().await?;
            print(&seasons, json, || {
                if seasons.is_empty() {
                    return "no ranked seasons".to_owned();
                }
                seasons
                    .iter()
                    .map(|season| {
                        format!(
                            "season {} {:?}: {} to {}{}",
                            season.season,
                            season.name,
                            season.starts_at,
                            season.ends_at,
                            if season.running { " (running)" } else { "" }
                        )
                    })
                    .collect::<Vec<_>>()
                    .join("\n")
            })?;
        }
        StandingsCommand::Claim {
            community,
            module,
            achievement,
            json,
        } => {
            let (api, session) = signed_in(wallet, passphrase_file, &community).await?;
            let records = api
                .claim_achievement(&session, &module, &achievement)
                .await?;
            #[derive(serde::Serialize)]
            struct Claimed {
                achievement: String,
                records: usize,
            }
            let claimed = Claimed {
                achievement,
                records: records.len(),
            };
            print(&claimed, json, || {
                format!(
                    "claimed {}; `ic refresh` stores the record",
                    claimed.achievement
                )
            })?;
        }
        StandingsCommand::Campaign { command } => {
            return campaign_command(wallet, passphrase_file, command).await;
        }
    }
    Ok(ExitCode::SUCCESS)
}

async fn campaign_command(
    wallet: &Wallet,
    passphrase_file: Option<&Path>,
    command: CampaignCommand,
) -> Result<ExitCode> {
    match command {
        CampaignCommand::OptIn { community, json } => {
            let (api, session) = signed_in(wallet, passphrase_file, &community).await?;
            api.campaign_opt_in(&session, true).await?;
            print(&OptedIn { opted_in: true }, json, || {
                format!("sharing campaign progress with {community}")
            })?;
        }
        CampaignCommand::OptOut { community, json } => {
            let (api, session) = signed_in(wallet, passphrase_file, &community).await?;
            api.campaign_opt_in(&session, false).await?;
            print(&OptedIn { opted_in: false }, json, || {
                format!(
                    "no longer sharing campaign progress with {community}; what was shared is \
                     deleted"
                )
            })?;
        }
        CampaignCommand::Progress {
            community,
            campaign,
            version,
            module,
            difficulty,
            missions,
            ending,
            completed,
            json,
        } => {
            let (api, session) = signed_in(wallet, passphrase_file, &community).await?;
            let progress = CampaignProgress {
                version,
                game_module: module,
                difficulty,
                missions_completed: missions,
                completed: completed || ending.is_some(),
                ending,
            };
            api.campaign_progress(&session, &campaign, &progress)
                .await?;
            #[derive(serde::Serialize)]
            struct Stored {
                stored: bool,
            }
            print(&Stored { stored: true }, json, || {
                format!("progress in {campaign} stored")
            })?;
        }
        CampaignCommand::Benchmarks {
            community,
            campaign,
        } => {
            let benchmarks = anonymous(wallet, &community)
                .await?
                .campaign_benchmarks(&campaign)
                .await?;
            println!("{}", serde_json::to_string_pretty(&benchmarks)?);
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Whether progress is shared, for `--json`.
#[derive(serde::Serialize)]
struct OptedIn {
    opted_in: bool,
}
