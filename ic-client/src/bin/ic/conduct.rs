//! `ic report`, `ic appeal` and `ic review`: report a player, appeal a sanction or a leaver
//! cooldown, and review assigned cases. Each prints a line, or JSON.

use std::path::Path;
use std::process::ExitCode;

use anyhow::{Result, bail};
use clap::Subcommand;
use ic_client::api::{Report, Vote};
use ic_client::wallet::Wallet;
use scr::PlayerKey;

use crate::play::{print, signed_in};

/// Reporting, appealing and reviewing.
#[derive(Subcommand)]
pub enum ConductCommand {
    /// Report a player to the community's moderators.
    Report {
        /// Community slug, name or fingerprint.
        community: String,
        /// The player reported.
        player: PlayerKey,
        /// `cheating`, `griefing`, `afk_intentional_idle`, `harassment`, `spam_disruptive_comms`
        /// or `other`.
        category: String,
        /// A certified match you both played in, 64 hex characters.
        #[arg(long = "match")]
        match_id: Option<String>,
        /// What happened.
        #[arg(long, default_value = "")]
        note: String,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Appeal a sanction (by its case) or a leaver cooldown (by the abandoned match), once.
    Appeal {
        /// Community slug, name or fingerprint.
        community: String,
        /// The sanction's case, from `ic sanctions`.
        #[arg(long = "case", conflicts_with = "match_id")]
        case_id: Option<String>,
        /// The abandoned match behind a leaver cooldown, from `ic sanctions`.
        #[arg(long = "match")]
        match_id: Option<String>,
        /// Why the decision should change.
        statement: String,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Review cases as a community reviewer.
    Review {
        #[command(subcommand)]
        command: ReviewCommand,
    },
}

/// `ic review …`.
#[derive(Subcommand)]
pub enum ReviewCommand {
    /// Your open assignment, or the next case to review (anonymized).
    Next {
        /// Community slug, name or fingerprint.
        community: String,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Your assignments, newest first.
    List {
        /// Community slug, name or fingerprint.
        community: String,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Vote once on an assignment.
    Vote {
        /// Community slug, name or fingerprint.
        community: String,
        /// The assignment.
        assignment_id: String,
        /// `likely_clean`, `insufficient_evidence`, `suspected_griefing`, `suspected_cheating`,
        /// `abuse_comms` or `escalate`.
        decision: String,
        /// How sure you are, 0-100.
        #[arg(long, default_value_t = 80)]
        confidence: u8,
        /// Notes for the moderators.
        #[arg(long)]
        notes: Option<String>,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Your calibration results and whether new cases are given to you.
    Me {
        /// Community slug, name or fingerprint.
        community: String,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

/// Runs `command`.
pub async fn conduct_command(
    wallet: &Wallet,
    passphrase_file: Option<&Path>,
    command: ConductCommand,
) -> Result<ExitCode> {
    match command {
        ConductCommand::Report {
            community,
            player,
            category,
            match_id,
            note,
            json,
        } => {
            let (api, session) = signed_in(wallet, passphrase_file, &community).await?;
            let report = Report {
                accused: player.to_string(),
                category,
                match_id,
                note,
                ..Report::default()
            };
            let receipt = api.report(&session, &report).await?;
            print(&receipt, json, || {
                format!(
                    "report {} filed in case {} ({})",
                    receipt.report_id, receipt.case_id, receipt.status
                )
            })?;
        }
        ConductCommand::Appeal {
            community,
            case_id,
            match_id,
            statement,
            json,
        } => {
            let (api, session) = signed_in(wallet, passphrase_file, &community).await?;
            let appeal = match (case_id, match_id) {
                (Some(case_id), None) => api.appeal_case(&session, &case_id, &statement).await?,
                (None, Some(match_id)) => {
                    let mut id = [0; 32];
                    hex::decode_to_slice(&match_id, &mut id)
                        .map_err(|_| anyhow::anyhow!("--match must be 64 hex characters"))?;
                    api.appeal_abandon(&session, &id, &statement).await?
                }
                _ => bail!("name the sanction's --case or the abandoned --match"),
            };
            print(&appeal, json, || {
                format!(
                    "appeal {} of {} filed; a moderator decides",
                    appeal.appeal_id, appeal.case_id
                )
            })?;
        }
        ConductCommand::Review { command } => {
            return review_command(wallet, passphrase_file, command).await;
        }
    }
    Ok(ExitCode::SUCCESS)
}

async fn review_command(
    wallet: &Wallet,
    passphrase_file: Option<&Path>,
    command: ReviewCommand,
) -> Result<ExitCode> {
    match command {
        ReviewCommand::Next { community, json } => {
            let (api, session) = signed_in(wallet, passphrase_file, &community).await?;
            let next = api.next_assignment(&session).await?;
            print(&next, json, || match &next {
                Some(case) => format!(
                    "assignment {}: case {} ({}), vote by {}",
                    case["assignment_id"], case["case_id"], case["category"], case["expires_at"]
                ),
                None => "no case waits for review".to_owned(),
            })?;
        }
        ReviewCommand::List { community, json } => {
            let (api, session) = signed_in(wallet, passphrase_file, &community).await?;
            let list = api.assignments(&session).await?;
            print(&list, json, || {
                if list.is_empty() {
                    return "no assignments".to_owned();
                }
                list.iter()
                    .map(|case| {
                        format!(
                            "{}  {}  voted: {}",
                            case["assignment_id"], case["category"], case["voted"]
                        )
                    })
                    .collect::<Vec<_>>()
                    .join("\n")
            })?;
        }
        ReviewCommand::Vote {
            community,
            assignment_id,
            decision,
            confidence,
            notes,
            json,
        } => {
            let (api, session) = signed_in(wallet, passphrase_file, &community).await?;
            let vote = Vote {
                decision,
                confidence,
                notes,
            };
            api.vote(&session, &assignment_id, &vote).await?;
            #[derive(serde::Serialize)]
            struct Recorded<'a> {
                assignment_id: &'a str,
                status: &'static str,
            }
            let recorded = Recorded {
                assignment_id: &assignment_id,
                status: "recorded",
            };
            print(&recorded, json, || {
                format!("vote on {assignment_id} recorded")
            })?;
        }
        ReviewCommand::Me { community, json } => {
            let (api, session) = signed_in(wallet, passphrase_file, &community).await?;
            let me = api.my_calibration(&session).await?;
            print(&me, json, || {
                format!(
                    "{} case(s) reviewed, calibration accuracy {}, weight {}, receives cases: {}",
                    me["cases_reviewed"],
                    me["calibration_accuracy"],
                    me["review_weight"],
                    me["receives_cases"]
                )
            })?;
        }
    }
    Ok(ExitCode::SUCCESS)
}
