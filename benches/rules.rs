//! Rule stage benchmark (a bench binary, run with `cargo bench --bench rules`):
//! text throughput with the full default pack, per-event latency (p50/p99), and the time to
//! reload a changed rules.d file. Prints a Markdown table.

use std::time::{Duration, Instant};

use warmcall::event::{Speaker, Utterance};
use warmcall::rules::replay::parse_transcript;
use warmcall::rules::{CompiledRules, Engine, Input, RuleSet};

const FIXTURES: [&str; 3] = [
    include_str!("../tests/fixtures/pushy-call.jsonl"),
    include_str!("../tests/fixtures/good-call.jsonl"),
    include_str!("../tests/fixtures/monologue-call.jsonl"),
];

fn corpus() -> Vec<Utterance> {
    let mut all = Vec::new();
    for f in FIXTURES {
        all.extend(parse_transcript(f).0);
    }
    all
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

fn main() {
    let utts = corpus();
    let rules = CompiledRules::builtin();

    // Throughput: the whole text stage (normalise, match, metric rules) over ~20 MB of speech.
    let bytes_per_pass: usize = utts.iter().map(|u| u.text.as_str().len()).sum();
    let passes = (20_000_000 / bytes_per_pass).max(1);
    let mut engine = Engine::new(rules.clone());
    let mut flags = Vec::new();
    let mut t = 0.0;
    let start = Instant::now();
    for _ in 0..passes {
        for u in &utts {
            t += 1.0;
            flags.clear();
            engine.push(
                Input::Transcript {
                    utterance: u,
                    at: t,
                },
                &mut flags,
            );
        }
    }
    let secs = start.elapsed().as_secs_f64();
    let mbps = (bytes_per_pass * passes) as f64 / secs / 1e6;

    // Latency of one transcript event, in to flags out.
    let mut engine = Engine::new(rules.clone());
    let mut samples = Vec::with_capacity(200_000);
    let mut t = 0.0;
    for _ in 0..(200_000 / utts.len()).max(1) {
        for u in &utts {
            t += 1.0;
            flags.clear();
            let s = Instant::now();
            engine.push(
                Input::Transcript {
                    utterance: u,
                    at: t,
                },
                &mut flags,
            );
            samples.push(s.elapsed());
        }
    }
    samples.sort();
    let (p50, p99) = (percentile(&samples, 0.50), percentile(&samples, 0.99));

    // Latency of one speech-timing event (what the monologue and talk-ratio rules run on).
    let mut engine = Engine::new(rules.clone());
    let mut timing = Vec::with_capacity(200_000);
    for i in 0..200_000 {
        let now = i as f64 * 0.1;
        let speaker = if (i / 300) % 2 == 0 {
            Speaker::Me
        } else {
            Speaker::Them
        };
        flags.clear();
        let s = Instant::now();
        engine.push(
            Input::Speech {
                speaker,
                start: now - 0.1,
                end: now,
                ongoing: i % 10 != 0,
            },
            &mut flags,
        );
        timing.push(s.elapsed());
    }
    timing.sort();

    // Reload: read and validate a rules.d with a changed file, compile the whole set.
    let dir = std::env::temp_dir().join(format!("warmcall-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut reloads = Vec::new();
    for i in 0..50 {
        std::fs::write(
            dir.join("mine.toml"),
            format!(
                "[[rule]]\nid = \"chasing\"\ncooldown = {i}\n\n[[rule]]\nid = \"competitor\"\nspeaker = \"them\"\npatterns = [\"(acme|globex|initech) [corp]\", \"we use *\"]\nsuggestions = [\"Ask what they like about it.\"]\n"
            ),
        )
        .unwrap();
        let s = Instant::now();
        let set = RuleSet::load(&dir).unwrap();
        let compiled = CompiledRules::new(set).unwrap();
        reloads.push(s.elapsed());
        assert!(compiled.set.get("competitor").is_some());
    }
    std::fs::remove_dir_all(&dir).ok();
    reloads.sort();

    let us = |d: Duration| format!("{:.1} µs", d.as_secs_f64() * 1e6);
    let ms = |d: Duration| format!("{:.1} ms", d.as_secs_f64() * 1e3);
    println!("| figure | measured | target |");
    println!("|---|---|---|");
    println!("| text stage throughput, full default pack, one core | {mbps:.0} MB/s | ≥ 50 MB/s |");
    println!(
        "| transcript event in → flags out, p50 / p99 | {} / {} | p99 < 20 µs |",
        us(p50),
        us(p99)
    );
    println!(
        "| speech-timing event in → flags out, p50 / p99 | {} / {} | |",
        us(percentile(&timing, 0.5)),
        us(percentile(&timing, 0.99))
    );
    println!(
        "| reload of a changed rules.d file, median / max of 50 | {} / {} | < 50 ms |",
        ms(percentile(&reloads, 0.5)),
        ms(*reloads.last().unwrap())
    );
}
