//! `warmcall report` (one call, or `--trend`) and `warmcall calls`: call logs on disk →
//! `report` figures → text on the terminal, or an HTML page written (`--html`) or opened
//! (`--open`).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use askama::Template;

use super::outcome::{Failure, Outcome, exit};
use crate::cli::{CallsArgs, ReportArgs};
use crate::commands::rules::rules_of;
use crate::config::Config;
use crate::report::output;
use crate::report::page::CallPage;
use crate::report::store::{self, StoreError};
use crate::report::summary::{self, CallRow};
use crate::report::trend::Trend;
use crate::report::trend_page::TrendPage;
use crate::report::{CallLog, Figures, Timeline, text, time};
use crate::rules::CompiledRules;

/// The config, the rules in force and the log directory the arguments name.
fn setup(
    config: Option<&Path>,
    log_dir: Option<PathBuf>,
) -> Result<(Arc<CompiledRules>, PathBuf), Failure> {
    let cfg = Config::load(config).map_err(|e| Failure::new(exit::CONFIG, e))?;
    let rules = rules_of(&cfg)?;
    Ok((rules, log_dir.unwrap_or(cfg.log_dir)))
}

fn print(text: &str) -> Outcome {
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(Failure::new(
            exit::FAILURE,
            format!("cannot write to stdout: {e}"),
        )),
        _ => Ok(()),
    }
}

/// Write an HTML page to `--html FILE`, or privately for `--open`, then open it if asked.
fn deliver(html: String, to: Option<PathBuf>, open: bool, name: &str) -> Outcome {
    let path = match to {
        Some(p) => p,
        None => output::private_report_path(name)?,
    };
    output::write_private(&path, html.as_bytes())?;
    println!("{}", path.display());
    if open {
        output::open(&path)?;
    }
    Ok(())
}

fn render(page: &impl Template) -> Result<String, Failure> {
    page.render()
        .map_err(|e| Failure::new(exit::FAILURE, format!("cannot render the report: {e}")))
}

/// `warmcall report`.
pub fn report(args: ReportArgs) -> Outcome {
    let (rules, dir) = setup(args.config.as_deref(), args.log_dir)?;
    if args.trend {
        return trend(&rules, &dir, args.since.as_deref(), args.html, args.open);
    }
    let path = match &args.call {
        Some(arg) if store::names_a_file(arg) => arg.clone(),
        Some(arg) => store::by_id(&dir, &arg.to_string_lossy())?.path,
        None => store::last(&dir)?.path,
    };
    let log = CallLog::read(&path)?;
    for n in &log.notes {
        eprintln!("warmcall: {}:{}: {}", path.display(), n.line, n.message);
    }
    let figures = Figures::compute(&log, &rules);
    let timeline = Timeline::build(&log);
    if args.html.is_none() && !args.open {
        return print(&text::call(&log, &figures, &timeline));
    }
    let html = render(&CallPage::new(&log, &figures, &timeline))?;
    deliver(html, args.html, args.open, &log.call_id())
}

fn since(arg: Option<&str>) -> Result<Option<jiff::Timestamp>, Failure> {
    arg.map(|s| time::parse_since(s, jiff::Timestamp::now()))
        .transpose()
        .map_err(|e| Failure::new(exit::USAGE, e))
}

/// The calls in `dir` since `since`, read; unreadable logs are reported and left out.
fn rows(
    dir: &Path,
    since_arg: Option<&str>,
    rules: &Arc<CompiledRules>,
) -> Result<Vec<CallRow>, Failure> {
    let since = since(since_arg)?;
    let files = store::list(dir)?;
    let (rows, errors) = summary::read_all(&files, since, rules);
    for e in errors {
        eprintln!("warmcall: {e} (left out)");
    }
    Ok(rows)
}

fn trend(
    rules: &Arc<CompiledRules>,
    dir: &Path,
    since_arg: Option<&str>,
    html: Option<PathBuf>,
    open: bool,
) -> Outcome {
    let rows = rows(dir, since_arg, rules)?;
    if rows.is_empty() {
        let what = match since_arg {
            Some(s) => format!("no calls since {s} in {}", dir.display()),
            None => StoreError::NoCalls(dir.to_path_buf()).to_string(),
        };
        return Err(Failure::new(exit::INPUT, what));
    }
    let trend = Trend::with_rules(rows, rules);
    if html.is_none() && !open {
        return print(&trend.text());
    }
    deliver(render(&TrendPage::new(&trend))?, html, open, "trend")
}

/// `warmcall calls`.
pub fn calls(args: CallsArgs) -> Outcome {
    let (rules, dir) = setup(args.config.as_deref(), args.log_dir)?;
    let rows = rows(&dir, args.since.as_deref(), &rules)?;
    if rows.is_empty() {
        match &args.since {
            Some(s) => eprintln!("warmcall: no calls since {s} in {}", dir.display()),
            None => eprintln!("warmcall: {}", StoreError::NoCalls(dir)),
        }
        return Ok(());
    }
    if args.json {
        let mut out = String::new();
        for r in &rows {
            let line =
                serde_json::to_string(&r.json()).map_err(|e| Failure::new(exit::FAILURE, e))?;
            out.push_str(&line);
            out.push('\n');
        }
        return print(&out);
    }
    print(&text::calls(&rows))
}
