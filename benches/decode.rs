//! Decode cost by thread count, idle and under CPU load (a bench binary:
//! `cargo bench --bench decode`).
//!
//! Needs tiny.en (`models/fetch.sh`), espeak-ng, sox and python3 (scripts/setup). Synthesises the
//! demo call, cuts each scripted utterance out of its speaker's channel the way the segmenter
//! would (0.35 s before, 0.4 s after), and decodes every phrase with each thread setting, first
//! on the machine as it is, then with one and with two busy processes at the same priority
//! (`python3` loops the bench starts and stops itself; they also exit if the bench dies). Each
//! setting runs in a fresh child process, so its CPU time is its own. Prints a Markdown table:
//! decode time per phrase, CPU time of the whole run, and WER against the script.
//!
//!   cargo bench --bench decode [-- --threads 1,2,auto] [--loads 0,1,2] [--phrases N]
//!   cargo bench --bench decode --features openmp    # whisper.cpp on OpenMP: 1, 2, 2/passive
//!   cargo bench --bench decode -- --partials        # a partial's settings against a final's
//!
//! `--partials`: every phrase is also cut as partials are while someone speaks (from its start,
//! after each second of speech, then whole), and each piece is decoded with the settings of a
//! final (`transcribe`) and of a partial (`transcribe_partial`), on the machine as it is, with
//! the `auto` thread policy. Prints decode time per piece, and how far apart the two settings'
//! words are (WER of the partial settings' words against the final settings').

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Instant;

use serde::{Deserialize, Serialize};
use warmcall::asr::Transcriber;
use warmcall::asr::threads::{CpuSample, Threads};
use warmcall::asr::whisper::{DecodeOptions, WhisperModel};

#[path = "../tests/common/mod.rs"]
mod common;
use common::measure::{Load, channel_16k, pct, wer, words};
use common::{Truth, read_truth, synth_call};

/// Audio kept before and after a scripted utterance, as the segmenter keeps it.
const PRE_ROLL: f64 = 0.35;
const TAIL: f64 = 0.4;

/// What one child process measured.
#[derive(Serialize, Deserialize)]
struct Run {
    decode_secs: Vec<f64>,
    threads_used: Vec<usize>,
    texts: Vec<String>,
    cpu_secs: f64,
}

/// The scripted utterances of `wav`, cut from their speakers' channels at 16 kHz.
fn phrases(wav: &Path, truth: &[Truth]) -> Vec<Vec<f32>> {
    let channels = channel_16k(wav);
    truth
        .iter()
        .map(|u| {
            let ch = &channels[u.speaker.index()];
            let at = |t: f64| ((t * 16_000.0) as usize).min(ch.len());
            ch[at(u.start - PRE_ROLL)..at(u.end + TAIL)].to_vec()
        })
        .collect()
}

/// CPU time (user + system) of this process so far, all its threads, at 100 ticks a second.
fn own_cpu_secs() -> f64 {
    CpuSample::read().expect("/proc is mounted").own as f64 / 100.0
}

/// The child: decode every phrase with `threads` ("1", "auto", "2/passive": the thread setting,
/// then how OpenMP waits), print one JSON line.
fn child(wav: &Path, truth: &Path, threads: &str, limit: usize) {
    let truth = read_truth(truth);
    let mut phrases = phrases(wav, &truth);
    phrases.truncate(limit);
    let model = WhisperModel::load(&common::model("tiny.en")).unwrap();
    let threads: Threads = threads.split('/').next().unwrap().parse().unwrap();
    let mut tr = model
        .transcriber(DecodeOptions {
            threads,
            ..DecodeOptions::default()
        })
        .unwrap();
    tr.transcribe(&phrases[0]).unwrap(); // warm-up: first-use allocations
    let mut run = Run {
        decode_secs: Vec::new(),
        threads_used: Vec::new(),
        texts: Vec::new(),
        cpu_secs: 0.0,
    };
    let cpu = own_cpu_secs();
    for p in &phrases {
        let started = Instant::now();
        let text = tr.transcribe(p).unwrap().text();
        run.decode_secs.push(started.elapsed().as_secs_f64());
        run.threads_used.push(tr.threads_used());
        run.texts.push(text);
    }
    run.cpu_secs = own_cpu_secs() - cpu;
    println!("{}", serde_json::to_string(&run).unwrap());
}

fn run_child(wav: &Path, truth: &Path, threads: &str, limit: usize) -> Run {
    let mut cmd = Command::new(std::env::current_exe().unwrap());
    cmd.arg("--child")
        .args([wav, truth])
        .args([threads, &limit.to_string()])
        .stderr(Stdio::null());
    // libgomp reads its wait policy when it loads, so it is set for the child process.
    if let Some((_, policy)) = threads.split_once('/') {
        if !cfg!(feature = "openmp") {
            panic!("{threads}: build with --features openmp");
        }
        cmd.env("OMP_WAIT_POLICY", policy);
    }
    let out = cmd.output().unwrap();
    assert!(out.status.success(), "child for threads={threads} failed");
    let line = String::from_utf8(out.stdout).unwrap();
    serde_json::from_str(line.lines().last().unwrap()).unwrap()
}

fn list(args: &[String], flag: &str, default: &str) -> Vec<String> {
    let v = args
        .iter()
        .position(|a| a == flag)
        .and_then(|i| args.get(i + 1))
        .map_or(default, String::as_str);
    v.split(',').map(str::to_string).collect()
}

/// "auto" with how many decodes used how many threads, e.g. "auto (2 ×12, 1 ×8)".
fn label(threads: &str, used: &[usize]) -> String {
    if threads != "auto" {
        return threads.replace('/', ", OMP_WAIT_POLICY=");
    }
    let mut counts: Vec<(usize, usize)> = Vec::new();
    for &n in used {
        match counts.iter_mut().find(|(k, _)| *k == n) {
            Some((_, c)) => *c += 1,
            None => counts.push((n, 1)),
        }
    }
    counts.sort_by_key(|&(n, _)| std::cmp::Reverse(n));
    let parts: Vec<String> = counts.iter().map(|(n, c)| format!("{n} ×{c}")).collect();
    format!("auto ({})", parts.join(", "))
}

fn row(load: &str, threads: &str, run: &mut Run, truth: &[Truth]) -> String {
    let reference: Vec<String> = truth.iter().flat_map(|u| words(&u.text)).collect();
    let hyp: Vec<String> = run.texts.iter().flat_map(|t| words(t)).collect();
    let total: f64 = run.decode_secs.iter().sum();
    let threads = label(threads, &run.threads_used);
    let d = &mut run.decode_secs;
    format!(
        "| {load} | {threads} | {:.2} s | {:.2} s | {:.2} s | {:.1} s | {:.1} s | {:.2} | {:.1}% |",
        pct(d, 0.5),
        pct(d, 0.95),
        pct(d, 1.0),
        total,
        run.cpu_secs,
        run.cpu_secs / total.max(1e-9),
        wer(&reference, &hyp) * 100.0,
    )
}

/// Each phrase as partials cut it: from its start, after each second of speech, then whole
/// (prefixes of what `phrases` cuts, which begins `PRE_ROLL` before the speech).
fn partial_pieces(wav: &Path, truth: &[Truth]) -> Vec<Vec<f32>> {
    let mut pieces = Vec::new();
    for (whole, u) in phrases(wav, truth).into_iter().zip(truth) {
        let mut spoken = 1.0;
        while u.start + spoken < u.end {
            let end = (((PRE_ROLL + spoken) * 16_000.0) as usize).min(whole.len());
            pieces.push(whole[..end].to_vec());
            spoken += 1.0;
        }
        pieces.push(whole);
    }
    pieces
}

/// `--partials`: the same pieces decoded with a final's settings and with a partial's.
fn partials(wav: &Path, truth: &[Truth]) {
    let pieces = partial_pieces(wav, truth);
    let model = WhisperModel::load(&common::model("tiny.en")).unwrap();
    let mut tr = model.transcriber(DecodeOptions::default()).unwrap();
    tr.transcribe(&pieces[0]).unwrap(); // warm-up: first-use allocations
    let audio: f64 = pieces.iter().map(|p| p.len() as f64).sum::<f64>() / 16e3;
    println!("### A partial's decode\n");
    println!(
        "tiny.en, {} pieces of the demo call's phrases cut as partials are ({audio:.1} s of audio), \
         threads `auto`.\n",
        pieces.len()
    );
    println!("| settings | decode p50 | p95 | max | total | words apart from a final's |");
    println!("|---|---|---|---|---|---|");
    let mut finals: Vec<String> = Vec::new();
    for partial in [false, true] {
        let mut secs = Vec::new();
        let mut texts = Vec::new();
        for p in &pieces {
            let started = Instant::now();
            let tr = if partial {
                tr.transcribe_partial(p)
            } else {
                tr.transcribe(p)
            };
            secs.push(started.elapsed().as_secs_f64());
            texts.push(tr.unwrap().text());
        }
        if !partial {
            finals = texts.clone();
        }
        let reference: Vec<String> = finals.iter().flat_map(|t| words(t)).collect();
        let hyp: Vec<String> = texts.iter().flat_map(|t| words(t)).collect();
        let total: f64 = secs.iter().sum();
        println!(
            "| {} | {:.3} s | {:.3} s | {:.3} s | {total:.1} s | {:.1}% |",
            if partial { "partial" } else { "final" },
            pct(&mut secs, 0.5),
            pct(&mut secs, 0.95),
            pct(&mut secs, 1.0),
            wer(&reference, &hyp) * 100.0,
        );
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let Some(i) = args.iter().position(|a| a == "--child") {
        let limit = args[i + 4].parse().unwrap();
        return child(
            Path::new(&args[i + 1]),
            Path::new(&args[i + 2]),
            &args[i + 3],
            limit,
        );
    }
    let (pool, default_threads) = if cfg!(feature = "openmp") {
        ("OpenMP (libgomp)", "1,2,2/passive")
    } else {
        ("ggml's own (barriers spin)", "1,2,auto")
    };
    let threads = list(&args, "--threads", default_threads);
    let loads = list(&args, "--loads", "0,1,2");
    let limit: usize = list(&args, "--phrases", "1000")[0].parse().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let (wav, truth) = synth_call(&root.join("demo/call.txt"), dir.path());
    let truth_path = dir.path().join("call.truth.jsonl");
    let truth: Vec<Truth> = truth.into_iter().take(limit).collect();
    if args.iter().any(|a| a == "--partials") {
        return partials(&wav, &truth);
    }
    let audio: f64 = phrases(&wav, &truth)
        .iter()
        .map(|p| p.len() as f64)
        .sum::<f64>()
        / 16e3;
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    println!("### Decoding on a busy machine\n");
    println!(
        "tiny.en, the {} phrases of the demo call ({audio:.1} s of audio), {cores} cores, \
         thread pool: {pool}.\n",
        truth.len()
    );
    println!(
        "| busy processes | threads | decode p50 | p95 | max | decode total | CPU total | CPU / decode time | WER |"
    );
    println!("|---|---|---|---|---|---|---|---|---|");
    for load in &loads {
        let _load = Load::start(load.parse().unwrap());
        for t in &threads {
            let mut run = run_child(&wav, &truth_path, t, limit);
            println!("{}", row(load, t, &mut run, &truth));
        }
    }
}
