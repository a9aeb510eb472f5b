//! `ic identity`: create, show, back up and recover the identity key, and load it (asking for
//! its passphrase) for the commands that sign.

use std::io::{IsTerminal as _, Read as _};
use std::path::Path;
use std::process::ExitCode;

use anyhow::{Context as _, Result, bail};
use clap::Subcommand;
use ic_client::identity::{self, Identity, KdfCost, KeyProtection};
use ic_client::wallet::Wallet;
use zeroize::Zeroizing;

#[derive(Subcommand)]
pub enum IdentityCommand {
    /// Create a new identity key.
    New {
        /// Store the key unencrypted (file mode 0600) instead of under a passphrase.
        #[arg(long)]
        unencrypted: bool,
    },
    /// Show the public key and how it is stored.
    Show {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Print the 24-word backup phrase.
    Backup,
    /// Recreate the identity key from its 24-word backup phrase (read from standard input).
    Recover {
        /// Store the key unencrypted (file mode 0600) instead of under a passphrase.
        #[arg(long)]
        unencrypted: bool,
    },
}

pub fn identity_command(
    wallet: &Wallet,
    command: IdentityCommand,
    passphrase_file: Option<&Path>,
) -> Result<ExitCode> {
    let path = wallet.identity_path();
    match command {
        IdentityCommand::New { unencrypted } => {
            if path.exists() {
                bail!(
                    "an identity already exists at {}; it was not changed",
                    path.display()
                );
            }
            let identity = Identity::generate(&mut rand::rngs::OsRng)?;
            let protection = protection(unencrypted, passphrase_file)?;
            identity.save(&path, &protection, &mut rand::rngs::OsRng)?;
            println!("Created identity {}", identity.player_key());
            println!("Fingerprint {}", identity.player_key().fingerprint());
            println!("Stored {} at {}", describe(&protection), path.display());
            println!(
                "Write down your backup phrase now: `ic identity backup`. Without the key or the phrase, your history is lost."
            );
        }
        IdentityCommand::Show { json } => {
            let file = identity::read_file(&path)?;
            if json {
                println!(
                    "{}",
                    serde_json::to_string_pretty(&serde_json::json!({
                        "public_key": file.public_key.to_string(),
                        "fingerprint": file.public_key.fingerprint().to_string(),
                        "encrypted": file.is_encrypted(),
                        "path": path.display().to_string(),
                    }))?
                );
            } else {
                println!("Identity    {}", file.public_key);
                println!("Fingerprint {}", file.public_key.fingerprint());
                println!(
                    "Stored      {} at {}",
                    if file.is_encrypted() {
                        "encrypted under a passphrase"
                    } else {
                        "UNENCRYPTED"
                    },
                    path.display()
                );
            }
        }
        IdentityCommand::Backup => {
            let identity = load_identity(wallet, passphrase_file)?;
            let phrase = identity.backup_phrase()?;
            eprintln!("Your backup phrase. Anyone who has it can act as you; keep it offline.");
            for (index, word) in phrase.split(' ').enumerate() {
                println!("{:>2}. {word}", index + 1);
            }
        }
        IdentityCommand::Recover { unencrypted } => {
            if path.exists() {
                bail!(
                    "an identity already exists at {}; move it away first if you mean to replace it",
                    path.display()
                );
            }
            let phrase = read_phrase()?;
            let identity = Identity::recover(&phrase)?;
            let protection = protection(unencrypted, passphrase_file)?;
            identity.save(&path, &protection, &mut rand::rngs::OsRng)?;
            println!("Recovered identity {}", identity.player_key());
            println!("Join your communities again with `ic join <url>`; they know this key.");
        }
    }
    Ok(ExitCode::SUCCESS)
}

pub fn load_identity(wallet: &Wallet, passphrase_file: Option<&Path>) -> Result<Identity> {
    let path = wallet.identity_path();
    let file = identity::read_file(&path)?;
    let passphrase = if file.is_encrypted() {
        Some(read_passphrase(passphrase_file, false)?)
    } else {
        None
    };
    Ok(Identity::load(
        &path,
        passphrase.as_deref().map(String::as_str),
    )?)
}

fn protection(unencrypted: bool, passphrase_file: Option<&Path>) -> Result<KeyProtection> {
    if unencrypted {
        return Ok(KeyProtection::Unencrypted);
    }
    Ok(KeyProtection::Passphrase {
        passphrase: read_passphrase(passphrase_file, true)?,
        cost: KdfCost::default(),
    })
}

fn describe(protection: &KeyProtection) -> &'static str {
    match protection {
        KeyProtection::Passphrase { .. } => "encrypted under your passphrase",
        KeyProtection::Unencrypted => "UNENCRYPTED (mode 0600)",
    }
}

/// The passphrase from `--passphrase-file`, `IC_PASSPHRASE`, or a prompt (twice when creating).
fn read_passphrase(file: Option<&Path>, confirm: bool) -> Result<Zeroizing<String>> {
    if let Some(file) = file {
        let text = Zeroizing::new(
            std::fs::read_to_string(file).with_context(|| format!("reading {}", file.display()))?,
        );
        return Ok(Zeroizing::new(
            text.trim_end_matches(['\n', '\r']).to_owned(),
        ));
    }
    if let Some(value) = std::env::var_os("IC_PASSPHRASE") {
        let value = value
            .into_string()
            .map_err(|_| anyhow::anyhow!("IC_PASSPHRASE is not UTF-8"))?;
        return Ok(Zeroizing::new(value));
    }
    if !std::io::stdin().is_terminal() {
        bail!("a passphrase is needed: use --passphrase-file, IC_PASSPHRASE, or run in a terminal");
    }
    let first = Zeroizing::new(rpassword::prompt_password("Identity passphrase: ")?);
    if confirm {
        let second = Zeroizing::new(rpassword::prompt_password("Repeat passphrase: ")?);
        if first != second {
            bail!("the passphrases differ");
        }
    }
    Ok(first)
}

fn read_phrase() -> Result<Zeroizing<String>> {
    if std::io::stdin().is_terminal() {
        return Ok(Zeroizing::new(rpassword::prompt_password(
            "Backup phrase (24 words): ",
        )?));
    }
    let mut text = Zeroizing::new(String::new());
    std::io::stdin().read_to_string(&mut text)?;
    Ok(text)
}
