//! Command dispatch: sets up diagnostics (`diagnostics`), maps each CLI command onto its module in `commands`,
//! and turns a failure into one clear message on stderr and its exit code.

use std::process::ExitCode;

use crate::cli::{Cli, Command};
use crate::commands;
use crate::commands::outcome::Outcome;

/// Run one command line to completion.
pub fn main(cli: Cli) -> ExitCode {
    crate::diagnostics::init(cli.verbose);
    match dispatch(cli.command) {
        Ok(()) => ExitCode::SUCCESS,
        Err(f) => {
            let line = format!("warmcall: {}", f.message);
            eprintln!(
                "{}",
                crate::diagnostics::stderr_line(tracing::Level::ERROR, &line)
            );
            ExitCode::from(f.code)
        }
    }
}

fn dispatch(command: Command) -> Outcome {
    match command {
        Command::Model { command } => commands::model::run(command),
        Command::Run(args) => commands::run::run(args),
        Command::Analyze {
            input,
            transcript,
            config,
            explain,
        } => commands::rules::analyze(input.or(transcript), config.as_deref(), explain),
        Command::Rules { command } => commands::rules::run(command),
        Command::Config { command } => commands::daemon::config(command),
        Command::Devices => commands::daemon::devices(),
        Command::Ctl { command } => commands::daemon::ctl(command),
        Command::Report(args) => commands::report::report(args),
        Command::Calls(args) => commands::report::calls(args),
    }
}
