//! The storage commands: `storage migrate` (SQLite to PostgreSQL) and `backup` (an online,
//! consistent copy of either backend).

use std::path::Path;

use anyhow::{Context, bail};

use super::load_config;
use crate::data_dir::DataDir;

/// `storage migrate`: copies the configured SQLite database to `to` and tells the operator
/// what to configure next. The password of `to` is never printed, not even in an error.
pub(super) async fn migrate(data: &DataDir, config_file: &Path, to: &str) -> anyhow::Result<()> {
    use crate::store::{Location, hide_password, mask_password};
    let shown = mask_password(to);
    // What a running server writes after the copy started would be lost.
    crate::running::check_not_running(data.root()).map_err(|error| {
        anyhow::anyhow!(
            "{error}; stop it before migrating (what it writes during the copy would be lost)"
        )
    })?;
    let config = load_config(config_file)?.config;
    let source = match config.storage.location(data.root())? {
        Location::Sqlite(path) => path,
        Location::Postgres(url) => bail!(
            "the configured storage is already PostgreSQL ({}); migrate copies from the SQLite \
             database, so leave storage.url empty while migrating",
            mask_password(&url)
        ),
    };
    if !matches!(
        Location::parse(to, "", data.root()),
        Ok(Location::Postgres(_))
    ) {
        bail!(
            "--to must be a PostgreSQL URL (postgres://user:password@host:port/database), not {shown}"
        );
    }
    println!("copying {} to {shown}", source.display());
    let summary = crate::store::transfer::sqlite_to_postgres(&source, to)
        .await
        .map_err(|error| anyhow::anyhow!("{}", hide_password(&error.to_string(), to)))
        .with_context(|| format!("migrating to {shown}: nothing was committed"))?;
    let width = summary
        .tables
        .iter()
        .map(|(name, _)| name.len())
        .max()
        .unwrap_or(0);
    for (table, rows) in &summary.tables {
        println!("  {table:width$}  {rows} rows");
    }
    println!(
        "verified: row counts equal in all {} tables; last_sequence equal for all {} players",
        summary.tables.len(),
        summary.players_verified
    );
    println!(
        "committed in {:.2} s. Now set in {}:\n\n[storage]\nurl = \"{shown}\"\n\n\
         (with the real password in place of ***), then start the server. The SQLite file \
         {} is unchanged; keep it as a backup.",
        summary.elapsed.as_secs_f64(),
        config_file.display(),
        source.display()
    );
    Ok(())
}

/// `backup FILE`: an online, consistent copy of the configured database.
pub(super) async fn backup(data: &DataDir, config_file: &Path, file: &Path) -> anyhow::Result<()> {
    let config = load_config(config_file)?.config;
    let location = config.storage.location(data.root())?;
    println!("backing up {} to {}", location.display(), file.display());
    let report = crate::store::backup::backup(&location, file)
        .await
        .with_context(|| format!("backing up to {}", file.display()))?;
    println!("wrote {} ({} bytes)", report.file.display(), report.bytes);
    println!("{}", report.restore_hint);
    Ok(())
}
