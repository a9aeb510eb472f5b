//! The `ic-server` binary: parse the command line, run it, report errors.

use clap::Parser;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    // Everything this process creates (database, replays, backups, keys) is for its owner
    // alone: the database holds token hashes and the moderation pseudonym secret.
    rustix::process::umask(rustix::fs::Mode::from_bits_truncate(0o077));
    let cli = ic_server::cli::Cli::parse();
    match ic_server::cli::main(cli).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
