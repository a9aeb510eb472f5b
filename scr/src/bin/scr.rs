//! `scr`: inspect and verify Signed Credential Records from the command line.
//! Exit codes: 0 valid, 1 invalid (reason code first on stderr), 2 usage or I/O error.

use std::io::Read;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use scr::{
    CommunityKey, KeyChain, PlayerContext, PlayerKey, Record, RecoveryKey, RevocationTable,
    Verifier,
};

#[derive(Parser)]
#[command(
    name = "scr",
    version,
    about = "Inspect and verify Signed Credential Records"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Print one raw record as a JSON object.
    Inspect {
        /// Record file, or `-` for standard input.
        file: PathBuf,
    },
    /// Check that one raw record is valid for a community at a time.
    Verify {
        /// The community signing key the holder pinned (`ed25519:<hex>`).
        #[arg(long)]
        community_key: CommunityKey,
        /// The community recovery key, needed to follow emergency rotations.
        #[arg(long)]
        recovery_key: Option<RecoveryKey>,
        /// A key rotation record file; repeat in rotation order.
        #[arg(long = "rotation")]
        rotations: Vec<PathBuf>,
        /// Require the record to be about this player.
        #[arg(long)]
        player: Option<PlayerKey>,
        /// Unix seconds to verify at (default: now).
        #[arg(long)]
        now: Option<i64>,
        /// Record file, or `-` for standard input.
        file: PathBuf,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Inspect { file } => inspect(&file),
        Command::Verify {
            community_key,
            recovery_key,
            rotations,
            player,
            now,
            file,
        } => verify(community_key, recovery_key, &rotations, player, now, &file),
    }
}

fn inspect(file: &PathBuf) -> ExitCode {
    let bytes = match read_input(file) {
        Ok(bytes) => bytes,
        Err(code) => return code,
    };
    match Record::decode(&bytes) {
        Ok(record) => {
            println!("{}", record.to_json());
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("{error}");
            ExitCode::from(1)
        }
    }
}

fn verify(
    community_key: CommunityKey,
    recovery_key: Option<RecoveryKey>,
    rotation_files: &[PathBuf],
    player: Option<PlayerKey>,
    now: Option<i64>,
    file: &PathBuf,
) -> ExitCode {
    let mut rotations = Vec::new();
    for path in rotation_files {
        match read_input(path) {
            Ok(bytes) => rotations.push(bytes),
            Err(code) => return code,
        }
    }
    let bytes = match read_input(file) {
        Ok(bytes) => bytes,
        Err(code) => return code,
    };
    let chain = match KeyChain::from_rotations(
        community_key,
        recovery_key,
        rotations.iter().map(Vec::as_slice),
    ) {
        Ok(chain) => chain,
        Err(error) => {
            eprintln!("{} {error}", error.code());
            return ExitCode::from(1);
        }
    };
    let mut verifier = Verifier::new(chain);
    if let Some(player) = player {
        verifier = verifier.with_player(PlayerContext::new(RevocationTable::new(player)));
    }
    let now = now.unwrap_or_else(unix_now);
    match verifier.verify(&bytes, now) {
        Ok(record) => {
            println!(
                "valid {} sequence {} for {}",
                record.record_type(),
                record.sequence(),
                record.player_key()
            );
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("{} {error}", error.code());
            ExitCode::from(1)
        }
    }
}

/// Reads a file or standard input, capped so a huge input cannot exhaust memory.
fn read_input(file: &PathBuf) -> Result<Vec<u8>, ExitCode> {
    // One byte more than the largest record, so an oversized input is reported as malformed.
    let cap = (scr::envelope::MAX_RECORD_LEN + 1) as u64;
    let mut bytes = Vec::new();
    let result = if file.as_os_str() == "-" {
        std::io::stdin().take(cap).read_to_end(&mut bytes)
    } else {
        std::fs::File::open(file).and_then(|f| f.take(cap).read_to_end(&mut bytes))
    };
    match result {
        Ok(_) => Ok(bytes),
        Err(error) => {
            eprintln!("io_error cannot read {}: {error}", file.display());
            Err(ExitCode::from(2))
        }
    }
}

fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |elapsed| {
            i64::try_from(elapsed.as_secs()).unwrap_or(i64::MAX)
        })
}
