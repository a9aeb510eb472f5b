//! `ic witnesses`: which witnesses the player trusts for a community's transparency log, and
//! how many of their cosignatures a checkpoint needs before the wallet accepts it.

use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::Subcommand;
use ic_client::wallet::Wallet;
use transparency::Cosigner;

/// A change to the witness rule.
#[derive(Debug, Subcommand)]
pub enum Change {
    /// Trust a witness: its verifier key, as a community lists it (`witness_key`).
    Trust {
        /// `<name>+<key ID>+<base64 key>`.
        vkey: String,
    },
    /// Stop trusting a witness.
    Forget {
        /// `<name>+<key ID>+<base64 key>`.
        vkey: String,
    },
    /// Require this many trusted witnesses' cosignatures on every checkpoint from now on
    /// (0: none).
    Require {
        /// How many.
        count: u32,
    },
}

/// Applies `change` (if any) to the rule for `community`, then prints the rule.
pub async fn witnesses_command(
    wallet: &Wallet,
    community: &str,
    change: Option<Change>,
    now: i64,
) -> Result<ExitCode> {
    let (slug, store) = wallet.open_community(community).await?;
    let result = apply(&store, change, now).await;
    let policy = store.witness_policy().await;
    store.close().await;
    let note = result?;
    let policy = policy?;
    if let Some(note) = note {
        println!("{slug}: {note}");
    }
    for witness in &policy.witnesses {
        println!("{slug}: trusted witness {}", witness.vkey());
    }
    println!(
        "{slug}: checkpoints need {} cosignature(s) from {} trusted witness(es)",
        policy.required,
        policy.witnesses.len()
    );
    if policy.required > policy.witnesses.len() {
        eprintln!(
            "{slug}: WARNING: more cosignatures required than witnesses trusted: no new \
             checkpoint will be accepted"
        );
    }
    Ok(ExitCode::SUCCESS)
}

async fn apply(
    store: &ic_client::wallet::CommunityStore,
    change: Option<Change>,
    now: i64,
) -> Result<Option<String>> {
    let witness = |vkey: &str| Cosigner::from_vkey(vkey).context("reading the witness key");
    Ok(match change {
        None => None,
        Some(Change::Trust { vkey }) => {
            let witness = witness(&vkey)?;
            let added = store.trust_witness(&witness, now).await?;
            Some(if added {
                format!("now trusting {}", witness.name)
            } else {
                format!("{} was trusted already", witness.name)
            })
        }
        Some(Change::Forget { vkey }) => {
            let witness = witness(&vkey)?;
            let removed = store.forget_witness(&witness).await?;
            Some(if removed {
                format!("no longer trusting {}", witness.name)
            } else {
                format!("{} was not trusted", witness.name)
            })
        }
        Some(Change::Require { count }) => {
            store.require_witnesses(count).await?;
            Some(format!("from now on {count} cosignature(s) required"))
        }
    })
}
