//! Sentence encoder benchmark (a bench binary: `cargo bench --bench encoder`): load time,
//! per-phrase encode cost (p50/p95, one phrase per call as the rule stage calls it) for 5-,
//! 15- and 40-word phrases, and the RSS the encoder adds, for 1 and 2 threads and for 1 thread
//! with `RAYON_NUM_THREADS=1` (candle's matrix products then skip rayon altogether).
//!
//! Each setting runs in a fresh child process (this binary re-run with WARMCALL_ENCODER_BENCH
//! set), so load time and memory are measured from a clean start; settings are interleaved and
//! run `--repeat N` times (default 3), and the table shows the best of each figure. Besides
//! wall time it reports the CPU time of each call (all the process's threads, from
//! /proc/self/task/*/schedstat): on a quiet machine the two agree for one thread, on a busy
//! one the CPU time is still what a call costs. Needs the encoder installed by
//! models/fetch.sh. Prints a Markdown table.
//!
//! `cargo bench --bench encoder -- --rule-stage` measures instead what the rule stage spends
//! encoding, as it scores utterances: the example calls' utterances
//! (tests/fixtures/*-call.jsonl), each scored as partials would be while it is spoken (its
//! first 3 words, then 3 more at a time, about a second of speech each) and then whole, as
//! its final. It reports the wall time per scoring, and the encoder passes and texts each
//! needed. Here a partial's words are exactly the final's, so the rule stage's memo of recent
//! texts finds more of them than it does in a call, where a partial's punctuation can differ.

use std::process::Command;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use warmcall::encoder::{self, EncoderOptions, MiniLm, SentenceEncoder};

#[path = "../tests/common/mod.rs"]
mod common;

const CHILD: &str = "WARMCALL_ENCODER_BENCH";
const LENGTHS: [usize; 3] = [5, 15, 40];
const CALLS: usize = 300;
const WARMUP: usize = 20;

/// Words of the phrases: a rep's and a prospect's lines, windows of it make the phrases.
const TEXT: &str = "so before we get into any of the product side i would love to hear a bit \
    more about how your team handles onboarding today and where it tends to break down, \
    because from what you said on the last call it sounds like the handoff between sales and \
    the implementation folks is where most of the pain is. We have worked with a lot of \
    companies your size and honestly the pattern is pretty similar, the contract gets signed, \
    everyone is excited, and then three weeks later nobody knows who owns the kickoff. Yeah \
    that is exactly it, we lost two customers last quarter because the first month was a \
    mess and our director wants a plan before the budget review in march. Okay, so who else \
    would need to be part of that conversation on your side, and what would a good first \
    month look like for them if we got it right?";

struct Setting {
    name: &'static str,
    threads: usize,
    rayon_env: bool,
}

const SETTINGS: [Setting; 3] = [
    Setting {
        name: "1 thread",
        threads: 1,
        rayon_env: false,
    },
    Setting {
        name: "2 threads",
        threads: 2,
        rayon_env: false,
    },
    Setting {
        name: "1 thread, RAYON_NUM_THREADS=1",
        threads: 1,
        rayon_env: true,
    },
];

#[derive(Serialize, Deserialize, Clone)]
struct Figures {
    load_ms: f64,
    /// Per length: tokens of the first phrase, wall p50 ms, wall p95 ms, CPU p50 ms, CPU p95 ms.
    encode: Vec<(usize, f64, f64, f64, f64)>,
    rss_load_mb: f64,
    rss_use_mb: f64,
    hwm_mb: f64,
}

fn main() {
    if let Ok(i) = std::env::var(CHILD) {
        let setting = &SETTINGS[i.parse::<usize>().expect("setting index")];
        let figures = measure(setting.threads);
        println!("RESULT {}", serde_json::to_string(&figures).unwrap());
        return;
    }
    let args: Vec<String> = std::env::args().collect();
    if args.iter().any(|a| a == "--rule-stage") {
        return rule_stage::run();
    }
    let repeat = args
        .iter()
        .position(|a| a == "--repeat")
        .and_then(|i| args.get(i + 1))
        .map_or(3, |n| n.parse().expect("--repeat N"));
    let dir = encoder::default_dir();
    if !dir.join("model.safetensors").is_file() {
        eprintln!("{} is missing: run models/fetch.sh", dir.display());
        std::process::exit(1);
    }
    let mut runs: Vec<Vec<Figures>> = vec![Vec::new(); SETTINGS.len()];
    for _ in 0..repeat {
        for (i, s) in SETTINGS.iter().enumerate() {
            runs[i].push(child(i, s));
        }
    }
    let best: Vec<Figures> = runs.iter().map(|r| best_of(r)).collect();
    print_table(&best, repeat);
}

fn child(index: usize, setting: &Setting) -> Figures {
    let mut cmd = Command::new(std::env::current_exe().unwrap());
    cmd.env(CHILD, index.to_string());
    if setting.rayon_env {
        cmd.env("RAYON_NUM_THREADS", "1");
    } else {
        cmd.env_remove("RAYON_NUM_THREADS");
    }
    let out = cmd.output().expect("run the bench child");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let line = stdout
        .lines()
        .find_map(|l| l.strip_prefix("RESULT "))
        .unwrap_or_else(|| {
            panic!(
                "bench child failed: {}",
                String::from_utf8_lossy(&out.stderr)
            )
        });
    serde_json::from_str(line).unwrap()
}

fn best_of(runs: &[Figures]) -> Figures {
    let min = |f: &dyn Fn(&Figures) -> f64| runs.iter().map(f).fold(f64::INFINITY, f64::min);
    Figures {
        load_ms: min(&|f| f.load_ms),
        encode: (0..LENGTHS.len())
            .map(|i| {
                (
                    runs[0].encode[i].0,
                    min(&|f| f.encode[i].1),
                    min(&|f| f.encode[i].2),
                    min(&|f| f.encode[i].3),
                    min(&|f| f.encode[i].4),
                )
            })
            .collect(),
        rss_load_mb: min(&|f| f.rss_load_mb),
        rss_use_mb: min(&|f| f.rss_use_mb),
        hwm_mb: min(&|f| f.hwm_mb),
    }
}

/// (VmRSS, VmHWM) of this process in MB.
fn memory() -> (f64, f64) {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
            .unwrap_or(0.0)
            / 1024.0
    };
    (field("VmRSS:"), field("VmHWM:"))
}

fn phrases(words: usize) -> Vec<String> {
    let all: Vec<&str> = TEXT.split_whitespace().collect();
    (0..30)
        .map(|i| {
            let start = (i * 7) % (all.len() - words);
            all[start..start + words].join(" ")
        })
        .collect()
}

fn measure(threads: usize) -> Figures {
    let (rss0, _) = memory();
    let options = EncoderOptions {
        threads,
        ..EncoderOptions::default()
    };
    let start = Instant::now();
    let enc = MiniLm::load_with(&encoder::default_dir(), &options).expect("encoder loads");
    let load_ms = ms(start.elapsed());
    let (rss_load, _) = memory();
    let mut encode = Vec::new();
    for words in LENGTHS {
        let set = phrases(words);
        for p in set.iter().cycle().take(WARMUP) {
            std::hint::black_box(enc.encode_one(p).unwrap());
        }
        let mut wall: Vec<Duration> = Vec::with_capacity(CALLS);
        let mut cpu: Vec<Duration> = Vec::with_capacity(CALLS);
        for p in set.iter().cycle().take(CALLS) {
            let c = cpu_time();
            let t = Instant::now();
            std::hint::black_box(enc.encode_one(p).unwrap());
            wall.push(t.elapsed());
            cpu.push(cpu_time().saturating_sub(c));
        }
        let (w50, w95) = percentiles(&mut wall);
        let (c50, c95) = percentiles(&mut cpu);
        encode.push((tokens(&set[0]), w50, w95, c50, c95));
    }
    let (rss_use, hwm) = memory();
    Figures {
        load_ms,
        encode,
        rss_load_mb: rss_load - rss0,
        rss_use_mb: rss_use - rss0,
        hwm_mb: hwm - rss0,
    }
}

/// p50 and p95 in ms.
fn percentiles(samples: &mut [Duration]) -> (f64, f64) {
    samples.sort();
    let pct = |p: f64| ms(samples[((samples.len() - 1) as f64 * p).round() as usize]);
    (pct(0.5), pct(0.95))
}

/// CPU time of all this process's threads so far (the first field of each thread's
/// schedstat, in ns): what an encode costs, however busy the machine is. Reading it costs a
/// few tens of microseconds, counted in.
fn cpu_time() -> Duration {
    let Ok(tasks) = std::fs::read_dir("/proc/self/task") else {
        return Duration::ZERO;
    };
    let ns: u64 = tasks
        .flatten()
        .filter_map(|t| std::fs::read_to_string(t.path().join("schedstat")).ok())
        .filter_map(|s| s.split_whitespace().next()?.parse::<u64>().ok())
        .sum();
    Duration::from_nanos(ns)
}

/// Tokens of a phrase as the model sees it ([CLS] and [SEP] included).
fn tokens(text: &str) -> usize {
    let path = encoder::default_dir().join("tokenizer.json");
    let tok: tokenizers::Tokenizer = std::fs::read_to_string(path).unwrap().parse().unwrap();
    tok.encode_fast(text, true)
        .unwrap()
        .get_ids()
        .iter()
        .filter(|&&id| id != 0)
        .count()
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn print_table(best: &[Figures], repeat: usize) {
    println!("Best of {repeat} runs per setting, each in a fresh process.\n");
    let names: Vec<&str> = SETTINGS.iter().map(|s| s.name).collect();
    println!("| figure | {} | target |", names.join(" | "));
    println!("|---|{}---|", "---|".repeat(names.len()));
    let row = |label: String, cells: Vec<String>, target: &str| {
        println!("| {label} | {} | {target} |", cells.join(" | "));
    };
    row(
        "load".into(),
        best.iter()
            .map(|f| format!("{:.0} ms", f.load_ms))
            .collect(),
        "≤ 1 s",
    );
    for (i, words) in LENGTHS.iter().enumerate() {
        let target = if *words == 40 { "p95 ≤ 20 ms" } else { "" };
        row(
            format!(
                "{words} words ({} tokens), wall p50 / p95",
                best[0].encode[i].0
            ),
            best.iter()
                .map(|f| format!("{:.1} / {:.1} ms", f.encode[i].1, f.encode[i].2))
                .collect(),
            target,
        );
        row(
            format!("{words} words, CPU time p50 / p95"),
            best.iter()
                .map(|f| format!("{:.1} / {:.1} ms", f.encode[i].3, f.encode[i].4))
                .collect(),
            "",
        );
    }
    row(
        "RSS increase after load (VmRSS)".into(),
        best.iter()
            .map(|f| format!("{:.0} MB", f.rss_load_mb))
            .collect(),
        "≤ 120 MB",
    );
    row(
        "RSS increase after use (VmRSS)".into(),
        best.iter()
            .map(|f| format!("{:.0} MB", f.rss_use_mb))
            .collect(),
        "≤ 120 MB",
    );
    row(
        "peak RSS increase (VmHWM)".into(),
        best.iter().map(|f| format!("{:.0} MB", f.hwm_mb)).collect(),
        "",
    );
}

mod rule_stage {
    //! `--rule-stage`: the encoding the rule stage does per utterance.

    use std::sync::Arc;
    use std::time::{Duration, Instant};

    use warmcall::encoder::{self, MiniLm, SentenceEncoder};
    use warmcall::rules::replay::parse_transcript;
    use warmcall::rules::{CompiledRules, RuleSet};

    use crate::common::CountingEncoder;

    const CALLS: [&str; 3] = [
        include_str!("../tests/fixtures/pushy-call.jsonl"),
        include_str!("../tests/fixtures/good-call.jsonl"),
        include_str!("../tests/fixtures/monologue-call.jsonl"),
    ];
    const ROUNDS: usize = 5;
    const STEP: usize = 3;

    pub fn run() {
        let enc = Arc::new(CountingEncoder::new(Arc::new(
            MiniLm::load(&encoder::default_dir()).expect("encoder loads"),
        )));
        let dyn_enc: Arc<dyn SentenceEncoder> = enc.clone();
        let utts: Vec<_> = CALLS.iter().flat_map(|c| parse_transcript(c).0).collect();
        let words: usize = utts
            .iter()
            .map(|u| u.text.as_str().split_whitespace().count())
            .sum();
        let (mut partial, mut fin) = (Vec::new(), Vec::new());
        // Scorings, encoder passes and texts encoded in the first round.
        let mut counted = (0, 0, 0);
        for round in 0..ROUNDS {
            // Each round compiles the rules again, as a reload does: nothing carries over.
            let rules = CompiledRules::with_encoder(RuleSet::builtin(), Some(dyn_enc.clone()))
                .expect("the pack compiles");
            let start = enc.counts();
            for u in &utts {
                let text = u.text.as_str();
                let all: Vec<&str> = text.split_whitespace().collect();
                let mut n = STEP;
                while n < all.len() {
                    let t = Instant::now();
                    std::hint::black_box(rules.score(&all[..n].join(" "), u.speaker));
                    partial.push(t.elapsed());
                    n += STEP;
                }
                let t = Instant::now();
                std::hint::black_box(rules.score(text, u.speaker));
                fin.push(t.elapsed());
            }
            if round == 0 {
                let now = enc.counts();
                counted = (partial.len() + fin.len(), now.0 - start.0, now.1 - start.1);
            }
        }
        let total: Duration = partial.iter().chain(&fin).sum::<Duration>() / ROUNDS as u32;
        let (p50, p95) = super::percentiles(&mut partial);
        let (f50, f95) = super::percentiles(&mut fin);
        println!(
            "{} utterances ({words} words) of the example calls, scored as partials every \
             {STEP} words and whole; {ROUNDS} rounds.\n",
            utts.len()
        );
        println!("| figure | measured |\n|---|---|");
        println!("| scoring a partial, wall p50 / p95 | {p50:.1} / {p95:.1} ms |");
        println!("| scoring a final, wall p50 / p95 | {f50:.1} / {f95:.1} ms |");
        println!(
            "| encoding for the whole of the three calls (one round) | {:.0} ms |",
            super::ms(total)
        );
        println!(
            "| scorings / encoder passes / texts encoded (one round) | {} / {} / {} |",
            counted.0, counted.1, counted.2
        );
    }
}
