//! Wallet files while joining: a finished file gets its final name atomically, and a half-built
//! one is removed with its journal.

use std::fs;
use std::path::Path;

use crate::wallet::{WalletError, io_error};

pub(super) fn remove_if_present(path: &Path) -> Result<(), WalletError> {
    for suffix in ["", "-journal", "-wal", "-shm"] {
        let file = Path::new(&format!("{}{suffix}", path.display())).to_owned();
        match fs::remove_file(&file) {
            Ok(()) => {}
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {}
            Err(error) => return Err(io_error(&file, &error)),
        }
    }
    Ok(())
}

/// Gives a finished wallet file its final name, refusing to replace an existing wallet.
pub(super) fn publish(building: &Path, final_path: &Path) -> Result<(), WalletError> {
    fs::hard_link(building, final_path).map_err(|error| io_error(final_path, &error))?;
    fs::remove_file(building).map_err(|error| io_error(building, &error))?;
    if let Some(dir) = final_path.parent() {
        fs::File::open(dir)
            .and_then(|dir| dir.sync_all())
            .map_err(|error| io_error(dir, &error))?;
    }
    Ok(())
}
