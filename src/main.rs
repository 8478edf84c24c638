use std::process::ExitCode;

use clap::Parser;
use registrar::config::Cli;

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    registrar::telemetry::init();
    match registrar::startup::run(cli).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("registrar: {err}");
            ExitCode::FAILURE
        }
    }
}
