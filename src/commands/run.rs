//! `warmcall run`: the coaching daemon on live capture, or a WAV file with `--input`. The
//! pipeline's builder does the work; this maps the command line onto it and its failures
//! onto exit codes.

use super::outcome::{Failure, Outcome, exit};
use crate::cli::{FormatArg, RunArgs};
use crate::config::Config;
use crate::pipeline::{Builder, RunOptions};
use crate::sink::Format;

/// `warmcall run …`.
pub fn run(args: RunArgs) -> Outcome {
    let cfg = Config::load(args.config.as_deref()).map_err(|e| Failure::new(exit::CONFIG, e))?;
    let opts = RunOptions {
        input: args.input,
        realtime: args.realtime,
        headless: args.headless,
        format: match args.format {
            FormatArg::Jsonl => Format::Jsonl,
            FormatArg::Text => Format::Text,
        },
        log_dir: args.log_dir,
        config_path: args.config,
    };
    let log_dir = opts.log_dir(&cfg);
    let live = opts.input.is_none();
    let headless = opts.headless;
    let result = Builder::new(cfg, opts).start()?.wait();
    if !live || !headless {
        let note = format!("warmcall: call logs are in {}", log_dir.display());
        eprintln!(
            "{}",
            crate::diagnostics::stderr_line(tracing::Level::INFO, &note)
        );
    }
    result.map(|_| ()).map_err(|e| Failure::new(exit::INPUT, e))
}
