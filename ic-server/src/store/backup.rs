//! Online, consistent copies of a community's database for `ic-server backup`, taken while the
//! server runs: SQLite writes a compact copy with `VACUUM INTO` (one read transaction, so one
//! moment's state); PostgreSQL is dumped by `pg_dump` in its custom format (one snapshot).

use std::path::{Path, PathBuf};

use sqlx::Connection;

use super::location::{mask_password, split_password};
use super::{Location, StoreError};

/// What a backup wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BackupReport {
    /// The file written.
    pub file: PathBuf,
    /// Its size in bytes.
    pub bytes: u64,
    /// How to restore it.
    pub restore_hint: String,
}

/// Copies the database at `location` into `file`, which must not exist yet.
pub async fn backup(location: &Location, file: &Path) -> Result<BackupReport, StoreError> {
    if file.exists() {
        return Err(StoreError::WriteFailed(format!(
            "{} exists already; a backup never overwrites a file",
            file.display()
        )));
    }
    let restore_hint = match location {
        Location::Sqlite(database) => {
            sqlite(database, file).await?;
            format!(
                "to restore: stop the server, then copy {} over {} (and delete any -wal and \
                 -shm files beside it)",
                file.display(),
                database.display()
            )
        }
        Location::Postgres(url) => {
            postgres(url, file).await?;
            format!(
                "to restore into an empty database: pg_restore --no-owner --dbname={} {}",
                mask_password(url),
                file.display()
            )
        }
    };
    let bytes = std::fs::metadata(file)
        .map_err(|error| StoreError::WriteFailed(format!("{}: {error}", file.display())))?
        .len();
    Ok(BackupReport {
        file: file.to_owned(),
        bytes,
        restore_hint,
    })
}

async fn sqlite(database: &Path, file: &Path) -> Result<(), StoreError> {
    if !database.exists() {
        return Err(StoreError::Unavailable(format!(
            "no database at {}",
            database.display()
        )));
    }
    let options = sqlx::sqlite::SqliteConnectOptions::new()
        .filename(database)
        .busy_timeout(std::time::Duration::from_secs(10));
    let mut conn = sqlx::SqliteConnection::connect_with(&options).await?;
    let target = file
        .to_str()
        .ok_or_else(|| StoreError::WriteFailed(format!("{}: not UTF-8", file.display())))?;
    let result = sqlx::query("VACUUM INTO ?")
        .bind(target)
        .execute(&mut conn)
        .await;
    conn.close().await?;
    result?;
    Ok(())
}

async fn postgres(url: &str, file: &Path) -> Result<(), StoreError> {
    // The password travels in the environment, not on the command line other users can read.
    let (without, password) = split_password(url);
    let mut command = tokio::process::Command::new(pg_tool("pg_dump"));
    command
        .arg("--format=custom")
        .arg("--file")
        .arg(file)
        .arg("--dbname")
        .arg(&without);
    if let Some(password) = password {
        command.env("PGPASSWORD", password);
    }
    let out = command.output().await.map_err(|error| {
        StoreError::Unavailable(format!(
            "pg_dump could not run ({error}); install the PostgreSQL client (postgresql-client)"
        ))
    })?;
    if !out.status.success() {
        let _ = std::fs::remove_file(file);
        return Err(StoreError::Unavailable(format!(
            "pg_dump failed: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        )));
    }
    Ok(())
}

/// A PostgreSQL client program: on `PATH`, else the newest of Debian's versioned folders.
pub fn pg_tool(name: &str) -> PathBuf {
    let on_path = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|dir| dir.join(name))
            .find(|candidate| candidate.is_file())
    });
    on_path
        .or_else(|| {
            let mut versions: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
                .ok()?
                .filter_map(|entry| Some(entry.ok()?.path().join("bin").join(name)))
                .filter(|path| path.is_file())
                .collect();
            versions.sort();
            versions.pop()
        })
        .unwrap_or_else(|| PathBuf::from(name))
}
