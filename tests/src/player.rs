//! One player for end-to-end tests: an `ic` data directory driven through the real `ic`
//! binary, optionally with a passphrase-sealed identity.

use std::path::PathBuf;
use std::process::{Command, Output, Stdio};

use ic_client::present::Presentation;
use ic_client::wallet::CommunityStore;
use scr::PlayerKey;
use serde_json::Value;

use crate::text;

/// A player: an `ic` data directory, optionally with a passphrase-sealed identity.
pub struct Player {
    /// Its `ic` data directory (identity and wallets).
    pub dir: tempfile::TempDir,
    /// The passphrase sealing the identity, if any.
    pub passphrase: Option<&'static str>,
}

impl Player {
    /// A player with a new identity (sealed under `passphrase`, if given).
    pub fn new(passphrase: Option<&'static str>) -> Self {
        let player = Self::empty(passphrase);
        let args: &[&str] = if passphrase.is_some() {
            &["identity", "new"]
        } else {
            &["identity", "new", "--unencrypted"]
        };
        player.ok(args);
        player
    }

    /// A player without an identity yet.
    pub fn empty(passphrase: Option<&'static str>) -> Self {
        Self {
            dir: tempfile::tempdir().unwrap(),
            passphrase,
        }
    }

    /// `ic` on this data directory with `args`.
    pub fn command(&self, args: &[&str]) -> Command {
        let mut command = Command::new(crate::binary("ic-client", "ic"));
        command
            .arg("--data-dir")
            .arg(self.dir.path())
            .args(args)
            .env_remove("IC_DATA_DIR");
        match self.passphrase {
            Some(passphrase) => command.env("IC_PASSPHRASE", passphrase),
            None => command.env_remove("IC_PASSPHRASE"),
        };
        command
    }

    /// Runs `ic` with `args`.
    pub fn run(&self, args: &[&str]) -> Output {
        self.command(args).stdin(Stdio::null()).output().unwrap()
    }

    /// Runs `ic` with `args`, which must succeed.
    pub fn ok(&self, args: &[&str]) -> Output {
        let output = self.run(args);
        assert!(output.status.success(), "ic {args:?}: {}", text(&output));
        output
    }

    /// The identity's public key.
    pub fn key(&self) -> PlayerKey {
        let output = self.ok(&["identity", "show", "--json"]);
        let json: Value = serde_json::from_slice(&output.stdout).unwrap();
        json["public_key"].as_str().unwrap().parse().unwrap()
    }

    /// The wallet file of a joined community.
    pub fn wallet_file(&self, slug: &str) -> PathBuf {
        self.dir
            .path()
            .join("communities")
            .join(format!("{slug}.db"))
    }

    /// `ic records <slug> --json`.
    pub fn records(&self, slug: &str) -> Vec<Value> {
        let output = self.ok(&["records", slug, "--json"]);
        serde_json::from_slice::<Value>(&output.stdout)
            .unwrap()
            .as_array()
            .unwrap()
            .clone()
    }

    /// The stored record bytes of one community, read through the library.
    pub async fn stored(&self, slug: &str) -> Vec<Vec<u8>> {
        stored_in(&self.wallet_file(slug)).await
    }

    /// `ic present <slug>` decoded into records.
    pub fn present(&self, slug: &str) -> Vec<Vec<u8>> {
        let output = self.ok(&["present", slug]);
        Presentation::from_text_or_bytes(&output.stdout)
            .unwrap()
            .records()
            .to_vec()
    }
}

/// The record bytes a wallet file holds, read through the library (its integrity checked).
pub async fn stored_in(wallet: &std::path::Path) -> Vec<Vec<u8>> {
    let store = CommunityStore::open(wallet).await.unwrap();
    store.check_integrity().await.unwrap();
    let records = store
        .records()
        .await
        .unwrap()
        .into_iter()
        .map(|r| r.bytes)
        .collect();
    store.close().await;
    records
}
