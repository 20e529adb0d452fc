//! fieldctl: a field device on the command line, over the fieldcore engine. `main` parses the
//! command line and hands it to its concern: `case` (and `warranty`), `deadline`, `photo`,
//! `rma`, `stock`, `sync`, and `demo` (with the default `demo` feature).
//!
//! Modules depend one way: `main` → the concerns (`demo` → `case` → `rma`, `photo`; `stock`; `sync`) →
//! `device` → `output` → `error`, with `args` and `input` beside them.

mod args;
mod case;
mod deadline;
#[cfg(feature = "demo")]
mod demo;
mod device;
mod error;
mod input;
#[cfg(test)]
mod locale_check;
mod output;
mod photo;
mod reason;
mod rma;
mod stock;
mod sync;

use std::process::ExitCode;

use clap::Parser;

use crate::args::{Cli, Command, DeadlineCommand, WarrantyCommand};
use crate::device::Env;
use crate::error::{CliError, Result};
use crate::output::Printer;

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
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
    let lang_env = std::env::var("LANG").ok();
    match fieldcore::Locale::choose(cli.lang.as_deref(), lang_env.as_deref()) {
        Some(locale) => output::set_locale(locale),
        None => {
            return out.error(&CliError::from(fieldcore::Error::Validation {
                field: "lang",
                reason: fieldcore::Invalid::UnknownLanguage,
            }));
        }
    }
    match run(cli, &out) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => out.error(&e),
    }
}

/// Each command line to its concern.
fn run(cli: Cli, out: &Printer) -> Result<()> {
    let env = Env::new(cli.db, cli.user, cli.role);
    match cli.command {
        Command::Case(command) => case::run(&env, *command, out),
        Command::Photo(command) => photo::run(&env, command, out),
        Command::Rma(command) => rma::run(&env, *command, out),
        Command::Stock(command) => stock::run(&env, *command, out),
        Command::Warranty(WarrantyCommand::Check(args)) => case::warranty_check(&args, out),
        Command::Deadline(DeadlineCommand::Check(args)) => deadline::check(&args, out),
        #[cfg(feature = "demo")]
        Command::Demo { offline } => demo::run(&env, offline, out),
        Command::Sync(args) => {
            let token = sync::token(&args)?;
            sync::run(
                &env,
                &sync::SyncArgs {
                    hq: args.hq,
                    token,
                    pinned_certificate: args.pin_cert,
                },
                out,
            )
        }
    }
}
