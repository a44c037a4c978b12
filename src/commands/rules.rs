//! `warmcall analyze` (a transcript or a call log, a file or stdin), `warmcall rules list` and
//! `warmcall rules check`: the rule stage alone. `rules mute/unmute/muted` are in `mutes`.

use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::outcome::{Failure, Outcome, exit};
use crate::cli::{RulesCommand, SpeakerArg};
use crate::config::Config;
use crate::event::{Event, Speaker, Utterance};
use crate::pipeline::redaction::Redaction;
use crate::report::log::{CallLog, is_event_log};
use crate::rules::CompiledRules;
use crate::rules::explain::explain;
use crate::rules::replay::{parse_transcript, replay};

/// The rules in force for a config file: built-ins plus the user's rules directory.
fn load_rules(config: Option<&Path>) -> Result<Arc<CompiledRules>, Failure> {
    let cfg = Config::load(config).map_err(|e| Failure::new(exit::CONFIG, e))?;
    rules_of(&cfg)
}

/// The rules in force for a loaded config.
pub fn rules_of(cfg: &Config) -> Result<Arc<CompiledRules>, Failure> {
    crate::rules::load(cfg).map_err(|e| Failure::new(exit::CONFIG, e))
}

/// Write event lines to stdout, one `write_all` per line; a closed pipe ends output quietly.
pub fn print_events<'a>(events: impl IntoIterator<Item = &'a Event>) -> Outcome {
    let stdout = io::stdout();
    let mut out = io::BufWriter::new(stdout.lock());
    let result = (|| {
        for e in events {
            crate::sink::write_line(&mut out, e)?;
        }
        out.flush()
    })();
    match result {
        Err(e) if e.kind() != io::ErrorKind::BrokenPipe => Err(Failure::new(
            exit::FAILURE,
            format!("cannot write to stdout: {e}"),
        )),
        _ => Ok(()),
    }
}

/// Read a file, or standard input for `-`.
pub fn read_input(path: &Path) -> Result<String, Failure> {
    let result = if path == Path::new("-") {
        io::read_to_string(io::stdin())
    } else {
        std::fs::read_to_string(path)
    };
    result.map_err(|e| {
        let what = if e.kind() == io::ErrorKind::NotFound {
            "no such file".to_string()
        } else {
            format!("cannot read: {e}")
        };
        Failure::new(exit::INPUT, format!("{}: {what}", shown(path)))
    })
}

/// How a path is named in messages (`-` is standard input).
fn shown(path: &Path) -> String {
    if path == Path::new("-") {
        "standard input".into()
    } else {
        path.display().to_string()
    }
}

/// The utterances of a call log's final transcript lines; skipped lines are noted on stderr.
fn call_log_utterances(path: &Path, text: &str) -> Result<Vec<Utterance>, Failure> {
    let log = CallLog::parse(path, text).map_err(|e| Failure::new(exit::INPUT, e))?;
    for n in &log.notes {
        eprintln!("warmcall: {}:{}: {}", shown(path), n.line, n.message);
    }
    let utts = log.utterances();
    if utts.is_empty() {
        eprintln!(
            "warmcall: {}: the call log has no transcript lines to coach",
            shown(path)
        );
    }
    Ok(utts)
}

/// `warmcall analyze FILE` / `--transcript FILE`: a transcript or a call log, `-` for stdin.
pub fn analyze(input: Option<PathBuf>, config: Option<&Path>, explain: bool) -> Outcome {
    let input = input.ok_or_else(|| Failure::new(exit::USAGE, "analyze needs a FILE (or -)"))?;
    let cfg = Config::load(config).map_err(|e| Failure::new(exit::CONFIG, e))?;
    let rules = rules_of(&cfg)?;
    let redaction = Redaction { on: cfg.redact };
    let text = read_input(&input)?;
    if text.trim().is_empty() {
        return Err(Failure::new(
            exit::INPUT,
            format!("{}: empty: nothing to analyse", shown(&input)),
        ));
    }
    let (utts, errors) = if is_event_log(&text) {
        (call_log_utterances(&input, &text)?, Vec::new())
    } else {
        parse_transcript(&text)
    };
    for e in &errors {
        eprintln!(
            "warmcall: {}:{}: {} (line skipped)",
            shown(&input),
            e.line,
            e.message
        );
    }
    // As the daemon does: words redacted before the rule stage, and every event printed.
    let utts: Vec<Utterance> = utts
        .into_iter()
        .map(|mut u| {
            u.text = redaction.text(&u.text);
            u
        })
        .collect();
    if explain {
        explain_all(&rules, &utts);
    }
    let events = replay(rules, &utts);
    let printed: Vec<_> = events.iter().map(|e| redaction.event(e)).collect();
    print_events(printed.iter().map(AsRef::as_ref))?;
    if errors.is_empty() {
        Ok(())
    } else {
        Err(Failure::new(
            exit::INPUT,
            format!(
                "{}: {} malformed line(s) skipped; the rest was analysed",
                shown(&input),
                errors.len()
            ),
        ))
    }
}

/// `warmcall rules …`.
pub fn run(command: RulesCommand) -> Outcome {
    match command {
        RulesCommand::List { config } => list(&*load_rules(config.as_deref())?),
        RulesCommand::Train { corpus, out } => super::coaching::train(&corpus, &out),
        RulesCommand::Eval { corpus, folds } => super::coaching::eval(&corpus, folds),
        RulesCommand::Check {
            text,
            speaker,
            at,
            config,
        } => {
            let speaker = match speaker {
                SpeakerArg::Me => Speaker::Me,
                SpeakerArg::Them => Speaker::Them,
            };
            check(&*load_rules(config.as_deref())?, &text, speaker, at)
        }
        RulesCommand::Mute { id, length, config } => {
            super::mutes::mute(&*load_rules(config.as_deref())?, &id, length.as_deref())
        }
        RulesCommand::Unmute { id, config } => {
            super::mutes::unmute(&*load_rules(config.as_deref())?, &id)
        }
        RulesCommand::Muted { config } => super::mutes::muted(&*load_rules(config.as_deref())?),
    }
}

/// Which detectors rule `i` runs with.
fn detectors(rules: &CompiledRules, i: usize) -> &'static str {
    let r = &rules.set.rules[i];
    let crate::rules::spec::Detector::Phrase {
        patterns, examples, ..
    } = &r.detector
    else {
        return match r.kind {
            crate::rules::spec::Kind::Practice => "patterns",
            _ => "timing/words",
        };
    };
    let semantic = rules.semantic.as_ref();
    match (
        patterns.is_empty(),
        semantic.is_some_and(|s| s.has_head(i)),
        semantic.is_some_and(|s| s.covers(i)) && !examples.is_empty(),
    ) {
        (false, true, true) => "patterns+head+examples",
        (false, true, false) => "patterns+head",
        (false, false, true) => "patterns+examples",
        (true, _, true) => "examples",
        (true, true, false) => "head",
        (true, false, false) => "none (needs the encoder)",
        (false, false, false) => "patterns",
    }
}

fn list(rules: &CompiledRules) -> Outcome {
    match &rules.semantic {
        Some(_) => println!(
            "semantic detection: on (sentence encoder {})",
            crate::encoder::DIR_NAME
        ),
        None => println!(
            "semantic detection: off (sentence encoder not installed: run models/fetch.sh); patterns alone"
        ),
    }
    println!(
        "{:<22} {:<11} {:<7} {:<9} {:<12} {:<9} {:<8} {:<23} source",
        "id", "kind", "speaker", "severity", "window", "cooldown", "enabled", "detectors"
    );
    for (i, r) in rules.set.rules.iter().enumerate() {
        let window = match r.until {
            Some(u) => format!("{}-{} s", r.from, u),
            None if r.from > 0.0 => format!("{}- s", r.from),
            None => "whole call".into(),
        };
        let severity = if r.kind == crate::rules::spec::Kind::Practice {
            "-".to_string()
        } else {
            format!("{:?}", r.severity).to_lowercase()
        };
        println!(
            "{:<22} {:<11} {:<7} {:<9} {:<12} {:<9} {:<8} {:<23} {}",
            r.id,
            r.kind.as_str(),
            r.speaker.as_str(),
            severity,
            window,
            format!("{} s", r.cooldown),
            if r.enabled { "yes" } else { "no" },
            detectors(rules, i),
            r.source
        );
    }
    Ok(())
}

/// `analyze --explain`: for each utterance, on stderr, the rules that fired and the phrase
/// rules that matched a pattern or scored at least half their threshold but stayed quiet.
fn explain_all(rules: &CompiledRules, utts: &[crate::event::Utterance]) {
    use crate::rules::spec::Kind;
    for u in utts {
        let worth = |e: &crate::rules::explain::Explanation| {
            e.fired
                || (e.kind == Kind::Phrase
                    && (e.detail.starts_with("pattern")
                        || e.score.is_some_and(|(s, t)| s >= t / 2.0)))
        };
        let found: Vec<_> = explain(rules, u.text.as_str(), u.speaker, u.start)
            .into_iter()
            .filter(worth)
            .collect();
        if found.is_empty() {
            continue;
        }
        eprintln!(
            "{} {}: {}",
            crate::event::clock(u.start),
            u.speaker.label(),
            u.text.as_str()
        );
        for e in found {
            let verdict = if e.fired { "FIRES" } else { "quiet" };
            eprintln!("  {verdict} {:<22} {}", e.rule, e.detail);
        }
    }
}

fn check(rules: &CompiledRules, text: &str, speaker: Speaker, at: f64) -> Outcome {
    let found = explain(rules, text, speaker, at);
    if found.is_empty() {
        println!("no rule matches");
    }
    for e in found {
        let verdict = match (e.fired, e.kind) {
            (true, crate::rules::spec::Kind::Practice) => "GOOD ",
            (true, _) => "FIRES",
            (false, _) => "quiet",
        };
        println!("{verdict} {:<22} {}", e.rule, e.detail);
    }
    Ok(())
}
