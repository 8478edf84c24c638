use std::process::ExitCode;

use clap::Parser;
use registrar::config::Cli;

/// mimalloc rather than the system's allocator: a fifth of a save's server
/// CPU was glibc's malloc and free (BENCHMARKS.md, "Load, issue 31").
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

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
