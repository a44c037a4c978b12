//! Command dispatch: maps each CLI command onto the library, prints results, and turns failures
//! into an exit code and one clear message on stderr.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use crate::cli::{Cli, Command, ConfigCommand, ModelCommand};
use crate::model;
use crate::paths;

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

type Outcome = Result<(), Failure>;

fn init_tracing(verbose: u8) {
    let default = match verbose {
        0 => "warn",
        1 => "info",
        2 => "debug",
        _ => "trace",
    };
    // whisper.cpp is chatty at info: keep it at warn unless asked.
    let filter = tracing_subscriber::EnvFilter::try_from_env("WARMCALL_LOG").unwrap_or_else(|_| {
        tracing_subscriber::EnvFilter::new(format!("{default},whisper_rs=warn"))
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

fn not_yet(what: &str, issue: u32) -> Outcome {
    Err(Failure::new(
        exit::USAGE,
        format!("`warmcall {what}` is not available yet (planned in issue #{issue})"),
    ))
}

fn dispatch(command: Command) -> Outcome {
    match command {
        Command::Model { command } => model_command(command),
        Command::Run(_) => not_yet("run", 5),
        Command::Analyze { .. } => not_yet("analyze", 4),
        Command::Rules { .. } => not_yet("rules", 4),
        Command::Config { command } => match command {
            ConfigCommand::Path => {
                println!("{}", paths::config_file().display());
                Ok(())
            }
            _ => not_yet("config", 6),
        },
        Command::Devices => not_yet("devices", 6),
        Command::Ctl { .. } => not_yet("ctl", 6),
        Command::Report { .. } => not_yet("report", 6),
    }
}

/// The model `verify` and the pipeline use when none is named.
pub fn default_model_path() -> PathBuf {
    paths::models_dir().join(model::file_name(model::DEFAULT_MODEL))
}

fn model_command(command: ModelCommand) -> Outcome {
    match command {
        ModelCommand::Import { src, out } => import(&src, &out),
        ModelCommand::List => list_models(),
        ModelCommand::Verify { file } => verify(&file.unwrap_or_else(default_model_path)),
    }
}

fn import(src: &Path, out: &Path) -> Outcome {
    let bar = if std::io::stderr().is_terminal() {
        let bar = indicatif::ProgressBar::new(0);
        bar.set_style(
            indicatif::ProgressStyle::with_template("{msg} [{bar:40}] {pos}/{len} tensors")
                .expect("static template")
                .progress_chars("=> "),
        );
        bar.set_message("writing");
        Some(bar)
    } else {
        None
    };
    let summary = model::import::import_dir(src, out, |done, total| {
        if let Some(b) = &bar {
            b.set_length(total as u64);
            b.set_position(done as u64);
        }
    })?;
    if let Some(b) = bar {
        b.finish_and_clear();
    }
    let hp = summary.hparams;
    println!(
        "imported {} ({}{} f16, {} tensors, {:.1} MB) -> {}",
        src.display(),
        hp.size_name(),
        if hp.is_multilingual() { "" } else { ".en" },
        summary.tensors,
        summary.bytes as f64 / 1e6,
        out.display()
    );
    Ok(())
}

fn list_models() -> Outcome {
    let dir = paths::models_dir();
    let models = model::list(&dir)
        .map_err(|e| Failure::new(exit::FAILURE, format!("cannot read {}: {e}", dir.display())))?;
    if models.is_empty() {
        println!(
            "no models in {} (run models/fetch.sh to install tiny.en)",
            dir.display()
        );
        return Ok(());
    }
    let default = default_model_path();
    for m in models {
        let kind = m.kind.unwrap_or_else(|e| format!("unusable: {e}"));
        let mark = if m.path == default { "  (default)" } else { "" };
        println!(
            "{}\t{:.1} MB\t{kind}{mark}",
            m.path.display(),
            m.bytes as f64 / 1e6
        );
    }
    Ok(())
}

fn verify(path: &Path) -> Outcome {
    let v = crate::verify::verify(path)?;
    println!("model:      {}", path.display());
    println!("transcript: {}", v.text);
    println!(
        "load {:.2} s, transcribe 11.0 s of audio in {:.2} s",
        v.load_time.as_secs_f64(),
        v.decode_time.as_secs_f64()
    );
    if v.matches {
        println!("ok: the transcript is the JFK sentence");
        Ok(())
    } else {
        Err(Failure::new(
            exit::MODEL,
            format!(
                "{} did not transcribe the JFK sample correctly; expected \"{}\"",
                path.display(),
                crate::verify::JFK_TEXT
            ),
        ))
    }
}
