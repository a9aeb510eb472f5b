//! `ic-server seasons list|start|end`: the operator's view of the ranked seasons and the
//! command that changes them, on the configured database (the running server need not stop).

use std::path::Path;

use anyhow::bail;

use super::args::SeasonsCommand;
use crate::clock::{http_date as date, unix_now};
use crate::data_dir::DataDir;
use crate::seasons::{ChangeReport, change_season, first_season};
use crate::store::SeasonRow;

/// Runs one `seasons` subcommand.
pub(super) async fn seasons(
    data: &DataDir,
    config_file: &Path,
    command: &SeasonsCommand,
) -> anyhow::Result<()> {
    let (stores, config) = super::open_store(data, config_file).await?;
    let store = stores.core.as_ref();
    let season_config = &config.rating.season;
    // A database the server never ran on has no season yet; these commands open the first
    // one as the server would.
    store
        .open_first_season(&first_season(season_config, unix_now()))
        .await?;
    let outcome = match command {
        SeasonsCommand::List => {
            for season in store.seasons().await? {
                println!("{}", describe(&season));
            }
            Ok(())
        }
        SeasonsCommand::Start { name, days } => {
            check_days(*days)?;
            if let Some(name) = name
                && !(1..=64).contains(&name.chars().count())
            {
                bail!("--name must be 1-64 characters");
            }
            change_season(store, season_config, unix_now(), name.as_deref(), *days)
                .await
                .map(|report| print_report(&report))
                .map_err(anyhow::Error::from)
        }
        SeasonsCommand::End => change_season(store, season_config, unix_now(), None, None)
            .await
            .map(|report| print_report(&report))
            .map_err(anyhow::Error::from),
    };
    store.close().await?;
    outcome
}

fn check_days(days: Option<u32>) -> anyhow::Result<()> {
    if let Some(days) = days
        && !(1..=3650).contains(&days)
    {
        bail!("--days must be 1-3650, got {days}");
    }
    Ok(())
}

fn print_report(report: &ChangeReport) {
    println!(
        "ended season {} ({}): {} standings archived, every rating soft-reset, placement again",
        report.ended.season, report.ended.name, report.archived
    );
    println!("running: {}", describe(&report.started));
}

/// One line per season: number, name, start, end and whether it runs.
fn describe(season: &SeasonRow) -> String {
    let state = if season.ended { "ended" } else { "running" };
    let end = if season.ended { "ended" } else { "ends" };
    format!(
        "{:>4}  {:<20}  starts {}  {end} {}  {state}",
        season.season,
        season.name,
        date(season.starts_at),
        date(season.ends_at)
    )
}
