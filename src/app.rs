//! Command dispatch: maps each CLI command onto the library, prints results, and turns failures
//! into an exit code and one clear message on stderr.

use std::process::ExitCode;

use crate::cli::{Cli, Command};
use crate::commands;
use crate::model;

/// Exit codes, distinct per failure kind so scripts and systemd can tell them apart.
pub mod exit {
    /// Something failed at run time.
    pub const FAILURE: u8 = 1;
    /// Bad usage, or a command that is not built yet.
    pub const USAGE: u8 = 2;
    /// The config or a rule file is invalid.
    pub const CONFIG: u8 = 3;
    /// The model is missing or unusable.
    pub const MODEL: u8 = 4;
    /// An input file (WAV, transcript) is unusable.
    pub const INPUT: u8 = 5;
    /// An audio device is missing or the sound server is unreachable.
    pub const AUDIO: u8 = 6;
}

/// A failed command: what to tell the user and which exit code to use.
#[derive(Debug)]
pub struct Failure {
    pub code: u8,
    pub message: String,
}

impl Failure {
    pub fn new(code: u8, message: impl std::fmt::Display) -> Self {
        Self {
            code,
            message: message.to_string(),
        }
    }
}

impl From<model::ImportError> for Failure {
    fn from(e: model::ImportError) -> Self {
        let code = match e {
            model::ImportError::Write { .. } => exit::FAILURE,
            _ => exit::INPUT,
        };
        Self::new(code, e)
    }
}

impl From<crate::asr::AsrError> for Failure {
    fn from(e: crate::asr::AsrError) -> Self {
        let code = match e {
            crate::asr::AsrError::Engine(_) => exit::FAILURE,
            _ => exit::MODEL,
        };
        Self::new(code, e)
    }
}

/// What a command returns.
pub type Outcome = Result<(), Failure>;

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

fn not_yet(what: &str) -> Outcome {
    Err(Failure::new(
        exit::USAGE,
        format!("`warmcall {what}` is not available yet"),
    ))
}

fn dispatch(command: Command) -> Outcome {
    match command {
        Command::Model { command } => commands::model::run(command),
        Command::Run(args) => commands::run::run(args),
        Command::Analyze { transcript, config } => {
            commands::rules::analyze(&transcript, config.as_deref())
        }
        Command::Rules { command } => commands::rules::run(command),
        Command::Config { command } => commands::daemon::config(command),
        Command::Devices => commands::daemon::devices(),
        Command::Ctl { command } => commands::daemon::ctl(command),
        Command::Report { .. } => not_yet("report"),
    }
}
