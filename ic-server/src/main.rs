//! The `ic-server` binary: parse the command line, run it, report errors.

use clap::Parser;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let cli = ic_server::cli::Cli::parse();
    match ic_server::cli::main(cli).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
