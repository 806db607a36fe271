//! `igw-monitoring`: see `igw-monitoring --help`.

use std::process::ExitCode;

use clap::Parser;
use igw_monitoring_cli::{Cli, run};

fn main() -> ExitCode {
    // clap prints usage errors itself and exits with code 2, like every invalid input here.
    let cli = Cli::parse();
    run(
        &cli,
        &mut std::io::stdout().lock(),
        &mut std::io::stderr().lock(),
    )
    .into()
}
