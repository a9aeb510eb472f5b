//! `ic audit` and the log lines of `ic refresh`: what the wallet holds of a community's
//! transparency log, and loud warnings when the community forked or rewrote it.

use std::process::ExitCode;

use anyhow::Result;
use ic_client::audit::{LogReport, audit};
use ic_client::wallet::Wallet;

/// Re-checks the log of `community` offline; fails on any problem.
pub async fn audit_command(wallet: &Wallet, community: &str) -> Result<ExitCode> {
    let (slug, store) = wallet.open_community(community).await?;
    let report = audit(&store).await;
    store.close().await;
    let report = report?;
    println!(
        "{slug}: {} checkpoint(s), newest of {} leaves; {} of {} record(s) proved in the log",
        report.checkpoints,
        report
            .tree_size
            .map_or_else(|| "no".to_owned(), |size| size.to_string()),
        report.proved,
        report.records
    );
    if report.passed() {
        println!("{slug}: audit passed");
        return Ok(ExitCode::SUCCESS);
    }
    for problem in &report.problems {
        eprintln!("{slug}: FAILED: {problem}");
    }
    eprintln!(
        "{slug}: AUDIT FAILED: {} problem(s); this community's history cannot be trusted",
        report.problems.len()
    );
    Ok(ExitCode::FAILURE)
}

/// Prints the log step of a sync; evidence of a fork or rewrite loudly, on stderr.
pub fn print_log(slug: &str, log: &LogReport) {
    for evidence in &log.evidence {
        eprintln!(
            "{slug}: WARNING: THE COMMUNITY'S TRANSPARENCY LOG CONTRADICTS ITSELF: {}: {}",
            evidence.kind, evidence.detail
        );
        eprintln!("{slug}: the evidence is kept in the wallet; `ic audit {slug}` lists it");
    }
    if let Some(why) = &log.unwitnessed {
        println!("{slug}: {why}; `ic witnesses {slug}` shows the rule");
    }
    match (&log.unavailable, log.checkpoint_size) {
        (Some(why), _) => println!("{slug}: transparency log not checked: {why}"),
        (None, Some(size)) => println!(
            "{slug}: transparency log of {size} leaves: {} record(s) proved, {} waiting for a later checkpoint",
            log.proved, log.pending
        ),
        (None, None) => println!("{slug}: no transparency checkpoint yet"),
    }
}
