//! fieldctl: a field device on the command line, over the fieldcore engine.

mod args;
mod case_text;
mod commands;
mod demo;
mod demo_hq;
mod demo_photos;
mod error;
mod input;
mod output;
mod photo_cmd;
mod photo_text;
mod sync_cmd;

use std::process::ExitCode;

use clap::Parser;

use crate::error::CliError;
use crate::output::Printer;

fn main() -> ExitCode {
    let cli = match args::Cli::try_parse() {
        Ok(cli) => cli,
        // --help and --version are not errors.
        Err(e) if !e.use_stderr() => {
            let _ = e.print();
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            let json = std::env::args_os().any(|a| a == "--json");
            return Printer::new(json).error(&CliError::from(e));
        }
    };
    let out = Printer::new(cli.json);
    match commands::run(cli, &out) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => out.error(&e),
    }
}
