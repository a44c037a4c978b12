//! `warmcall run`: the coaching daemon on live capture, or a WAV file with `--input`. The
//! pipeline's builder does the work; this maps the command line onto it and its failures
//! onto exit codes.

use super::outcome::{Failure, Outcome, exit};
use crate::cli::RunArgs;
use crate::config::Config;
use crate::pipeline::{Builder, RunOptions};

/// `warmcall run …`.
pub fn run(args: RunArgs) -> Outcome {
    let cfg = Config::load(args.config.as_deref()).map_err(|e| Failure::new(exit::CONFIG, e))?;
    let opts = RunOptions {
        input: args.input,
        realtime: args.realtime,
        headless: args.headless,
        log_dir: args.log_dir,
        config_path: args.config,
    };
    let log_dir = opts.log_dir(&cfg);
    let live = opts.input.is_none();
    let headless = opts.headless;
    let result = Builder::new(cfg, opts).start()?.wait();
    if !live || !headless {
        eprintln!("warmcall: call logs are in {}", log_dir.display());
    }
    result.map(|_| ()).map_err(|e| Failure::new(exit::INPUT, e))
}
