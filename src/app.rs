//! Command dispatch: sets up diagnostics, maps each CLI command onto its module in `commands`,
//! and turns a failure into one clear message on stderr and its exit code.

use std::process::ExitCode;

use crate::cli::{Cli, Command};
use crate::commands;
use crate::commands::outcome::Outcome;

fn init_tracing(verbose: u8) {
    let default = match verbose {
        0 => "warn",
        1 => "info",
        2 => "debug",
        _ => "trace",
    };
    // whisper.cpp is chatty at info: keep it at warn unless asked.
    let filter = tracing_subscriber::EnvFilter::try_from_env("WARMCALL_LOG").unwrap_or_else(|_| {
        tracing_subscriber::EnvFilter::new(format!(
            "{default},whisper_rs=warn,pulseaudio::client::reactor=off"
        ))
    });
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}

/// Run one command line to completion.
pub fn main(cli: Cli) -> ExitCode {
    init_tracing(cli.verbose);
    match dispatch(cli.command) {
        Ok(()) => ExitCode::SUCCESS,
        Err(f) => {
            eprintln!("warmcall: {}", f.message);
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
