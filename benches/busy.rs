//! Cues in time on a busy laptop (a bench binary: `cargo bench --bench busy`).
//!
//! Runs the release binary the way a rep meets it, on an idle machine and then with two busy
//! processes at the same priority (`python3` loops the bench starts and stops itself), each
//! with partials on and off (`[asr] partials`):
//! - headless at real speed (`run --headless --realtime`) on the demo call and the second
//!   synthetic call;
//! - live: `run --headless` on a private PulseAudio server with null sinks, the demo call's
//!   two channels played into the microphone sink and the softphone's output, after 20 s of a
//!   silent line (idle CPU).
//!
//! Event lines are timed as they arrive on the daemon's stdout. A call time maps to the wall
//! clock through the moment the call's audio began (the `call_start` line at real speed,
//! the start of playback live) and one offset: the median of (scripted end − recognised end)
//! over the final transcripts. Figures, p50 / p95 / max:
//! - phrase end → transcript: a final's arrival less the end of its speech;
//! - heard words → flag: a flag's arrival less the end of the speech of the decode that raised
//!   it (a partial's end while the speaker is still talking), which bounds "the end of the
//!   words that carry the cue" from above;
//! - line end → flag: a flag's arrival less the end of the scripted line it was raised on
//!   (negative: flagged before the speaker paused).
//!
//! Also: CPU per minute of call (both speakers, the rep alone, a silent line), peak RSS, and
//! the WER of final transcripts against the scripts. `-- --loads 0` or `-- --only realtime`
//! narrow it. Needs tiny.en (and the encoder, as the daemon uses it when installed),
//! espeak-ng, sox, pulseaudio and python3 (scripts/setup).

#[path = "../tests/common/mod.rs"]
mod common;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::desktop::{Desktop, split_call, wait_for};
use common::measure::{Load, pct, wer, words};
use common::{Truth, data_home, root, synth_call, warmcall_bin};
use warmcall::event::{Event, Speaker, Transcript};

/// Event lines with the time they arrived.
type Lines = Arc<Mutex<Vec<(Instant, Event)>>>;

/// A warmcall process whose stdout is read into `lines` and whose CPU and peak RSS are
/// sampled until it ends.
struct Daemon {
    child: Child,
    lines: Lines,
    reader: Option<std::thread::JoinHandle<()>>,
}

impl Daemon {
    /// Start `cmd`; its stderr goes to `stderr` (or nowhere).
    fn spawn(mut cmd: Command, stderr: Option<&Path>) -> Self {
        let err = match stderr {
            Some(p) => Stdio::from(std::fs::File::create(p).unwrap()),
            None => Stdio::null(),
        };
        let mut child = cmd
            .stdout(Stdio::piped())
            .stderr(err)
            .spawn()
            .expect("the warmcall binary (cargo build --release)");
        let out = child.stdout.take().unwrap();
        let lines: Lines = Arc::default();
        let l = lines.clone();
        let reader = std::thread::spawn(move || {
            for line in BufReader::new(out).lines().map_while(Result::ok) {
                if let Ok(e) = Event::from_json_line(&line) {
                    l.lock().unwrap().push((Instant::now(), e));
                }
            }
        });
        Self {
            child,
            lines,
            reader: Some(reader),
        }
    }

    /// (CPU seconds, VmHWM MB) so far.
    fn usage(&self) -> (f64, f64) {
        let pid = self.child.id();
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
        let f: Vec<&str> = stat
            .rsplit(')')
            .next()
            .unwrap_or("")
            .split_whitespace()
            .collect();
        let tick = |i: usize| f.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
        let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
        let hwm = status
            .lines()
            .find(|l| l.starts_with("VmHWM"))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse::<f64>().ok())
            .unwrap_or(0.0);
        ((tick(11) + tick(12)) / 100.0, hwm / 1024.0)
    }

    /// Wait for the process to end (SIGTERM first when `stop`); last usage sampled.
    fn finish(mut self, stop: bool) -> (Vec<(Instant, Event)>, f64, f64) {
        if stop {
            let _ = Command::new("kill")
                .arg(self.child.id().to_string())
                .status();
        }
        // The last samples before it is reaped (a zombie shows no memory): the largest.
        let mut last = self.usage();
        while self.child.try_wait().unwrap().is_none() {
            let (cpu, rss) = self.usage();
            last = (last.0.max(cpu), last.1.max(rss));
            std::thread::sleep(Duration::from_millis(50));
        }
        if let Some(r) = self.reader.take() {
            let _ = r.join();
        }
        let lines = std::mem::take(&mut *self.lines.lock().unwrap());
        (lines, last.0, last.1)
    }
}

/// A config with partials on or off, in `dir/warmcall/config.toml`; returns `dir`.
fn config_home(dir: &Path, partials: bool) -> PathBuf {
    let home = dir.join(format!("config-{partials}"));
    std::fs::create_dir_all(home.join("warmcall")).unwrap();
    std::fs::write(
        home.join("warmcall/config.toml"),
        format!("[asr]\npartials = {partials}\n"),
    )
    .unwrap();
    home
}

/// The scripted line `text` most likely is (same speaker, most words in common), among the
/// lines that overlap `span` (script time, with a second's slack) when it is given.
fn line_of<'a>(
    truth: &'a [Truth],
    speaker: Speaker,
    text: &str,
    span: Option<(f64, f64)>,
) -> Option<&'a Truth> {
    let said = words(text);
    truth
        .iter()
        .filter(|u| u.speaker == speaker)
        .filter(|u| span.is_none_or(|(a, b)| u.start < b + 1.0 && u.end > a - 1.0))
        .map(|u| {
            let w = words(&u.text);
            (said.iter().filter(|x| w.contains(x)).count(), u)
        })
        .filter(|(n, _)| *n > 0)
        .max_by_key(|(n, _)| *n)
        .map(|(_, u)| u)
}

/// Latencies and words of one run.
#[derive(Default)]
struct Timings {
    transcript: Vec<f64>,
    heard_to_flag: Vec<f64>,
    line_to_flag: Vec<f64>,
    /// Flags raised before their line ended, flags matched to a line.
    early: usize,
    flags: usize,
    reference: Vec<String>,
    hypothesis: Vec<String>,
    partials: usize,
}

impl Timings {
    fn add(&mut self, o: Timings) {
        self.transcript.extend(o.transcript);
        self.heard_to_flag.extend(o.heard_to_flag);
        self.line_to_flag.extend(o.line_to_flag);
        self.early += o.early;
        self.flags += o.flags;
        self.reference.extend(o.reference);
        self.hypothesis.extend(o.hypothesis);
        self.partials += o.partials;
    }
}

/// Time one call's events: `t0` is the wall time of the call's first audio.
fn timings(lines: &[(Instant, Event)], truth: &[Truth], t0: Instant) -> Timings {
    let wall = |at: Instant| at.saturating_duration_since(t0).as_secs_f64();
    let finals: Vec<(&Instant, &Transcript)> = lines
        .iter()
        .filter_map(|(at, e)| match e {
            Event::Transcript(t) if t.is_final => Some((at, t)),
            _ => None,
        })
        .collect();
    let mut shifts: Vec<f64> = finals
        .iter()
        .filter_map(|(_, t)| {
            line_of(truth, t.speaker, t.text.as_str(), None).map(|u| u.end - t.end)
        })
        .collect();
    let offset = pct(&mut shifts, 0.5);
    let offset = if offset.is_nan() { 0.0 } else { offset };
    let mut out = Timings {
        reference: truth.iter().flat_map(|u| words(&u.text)).collect(),
        hypothesis: finals
            .iter()
            .flat_map(|(_, t)| words(t.text.as_str()))
            .collect(),
        ..Timings::default()
    };
    for (at, t) in &finals {
        out.transcript.push(wall(**at) - (t.end + offset));
    }
    let mut heard: Option<&Transcript> = None;
    for (at, e) in lines {
        match e {
            Event::Transcript(t) => {
                out.partials += usize::from(!t.is_final);
                heard = Some(t);
            }
            Event::Flag(f) => {
                // Phrase rules only: timing rules have no words behind them.
                let Some(t) = heard.filter(|t| t.speaker == f.speaker && (f.t - t.t).abs() < 1e-6)
                else {
                    continue;
                };
                out.heard_to_flag.push(wall(*at) - (t.end + offset));
                let span = (t.start + offset, t.end + offset);
                if let Some(u) = line_of(truth, t.speaker, t.text.as_str(), Some(span)) {
                    let d = wall(*at) - u.end;
                    out.line_to_flag.push(d);
                    out.flags += 1;
                    out.early += usize::from(d < 0.0);
                }
            }
            _ => {}
        }
    }
    out
}

/// `run --headless --realtime` on `wav`: its events, CPU seconds and peak RSS.
fn realtime(wav: &Path, work: &Path, partials: bool) -> (Vec<(Instant, Event)>, f64, f64) {
    let mut cmd = Command::new(warmcall_bin());
    cmd.args(["run", "--headless", "--realtime", "--input"])
        .arg(wav)
        .arg("--log-dir")
        .arg(work.join("logs"))
        .env("XDG_CONFIG_HOME", config_home(work, partials))
        .env("XDG_STATE_HOME", work.join("state"));
    Daemon::spawn(cmd, None).finish(false)
}

struct Call {
    name: &'static str,
    wav: PathBuf,
    truth: Vec<Truth>,
    seconds: f64,
}

fn synth(work: &Path, name: &'static str, script: &str) -> Call {
    let dir = work.join(name);
    std::fs::create_dir_all(&dir).unwrap();
    let (wav, truth) = synth_call(&root().join(script), &dir);
    let r = hound::WavReader::open(&wav).unwrap();
    let seconds = r.duration() as f64 / r.spec().sample_rate as f64;
    Call {
        name,
        wav,
        truth,
        seconds,
    }
}

/// The same call with the prospect's channel silent: the rep talking alone.
fn rep_alone(call: &Call) -> PathBuf {
    let mut r = hound::WavReader::open(&call.wav).unwrap();
    let spec = r.spec();
    let out = call.wav.with_file_name("rep-alone.wav");
    let mut w = hound::WavWriter::create(&out, spec).unwrap();
    for (i, s) in r.samples::<i16>().map(Result::unwrap).enumerate() {
        w.write_sample(if i % 2 == 0 { s } else { 0 }).unwrap();
    }
    w.finalize().unwrap();
    out
}

/// One row of figures.
struct Row {
    mode: &'static str,
    load: usize,
    partials: bool,
    t: Timings,
    cpu_per_min: f64,
    rss: f64,
    idle_cpu: Option<f64>,
}

fn live(desk: &Desktop, call: &Call, work: &Path, partials: bool) -> Row {
    // The desktop's config home holds the sound server's cookie too.
    let cfg = desk.rt().join("config/warmcall");
    std::fs::create_dir_all(&cfg).unwrap();
    std::fs::write(
        cfg.join("config.toml"),
        format!("[asr]\npartials = {partials}\n"),
    )
    .unwrap();
    let mut cmd = Command::new(warmcall_bin());
    cmd.args(["run", "--headless", "--log-dir"])
        .arg(work.join("live-logs"));
    desk.env(&mut cmd);
    cmd.env("XDG_DATA_HOME", data_home());
    let d = Daemon::spawn(cmd, Some(&work.join("live-stderr.log")));
    let sock = desk.rt().join("warmcall/control.sock");
    assert!(
        wait_for(30.0, || sock.exists()),
        "the daemon did not start: {}",
        std::fs::read_to_string(work.join("live-stderr.log")).unwrap_or_default()
    );
    std::thread::sleep(Duration::from_secs(2));
    let idle = 20.0;
    let (c0, _) = d.usage();
    std::thread::sleep(Duration::from_secs_f64(idle));
    let (c1, _) = d.usage();
    let (me, them) = split_call(&call.wav, 0.0);
    let t0 = Instant::now();
    let mut players = [desk.play("mic_feed", &me), desk.play("call_out", &them)];
    for p in &mut players {
        p.wait().unwrap();
    }
    // The call ends after its silence; a few seconds for the last decodes.
    std::thread::sleep(Duration::from_secs(4));
    let (c2, _) = d.usage();
    let (lines, _, rss) = d.finish(true);
    Row {
        mode: "live",
        load: 0,
        partials,
        t: timings(&lines, &call.truth, t0),
        cpu_per_min: (c2 - c1) / (call.seconds / 60.0),
        rss,
        idle_cpu: Some((c1 - c0) / idle * 100.0),
    }
}

fn list(args: &[String], flag: &str, default: &str) -> Vec<String> {
    args.iter()
        .position(|a| a == flag)
        .and_then(|i| args.get(i + 1))
        .map_or(default, String::as_str)
        .split(',')
        .map(str::to_string)
        .collect()
}

fn fmt3(v: &mut [f64]) -> String {
    if v.is_empty() {
        return "– | – | –".into();
    }
    format!(
        "{:.2} s | {:.2} s | {:.2} s",
        pct(v, 0.5),
        pct(v, 0.95),
        pct(v, 1.0)
    )
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let loads: Vec<usize> = list(&args, "--loads", "0,2")
        .iter()
        .map(|s| s.parse().unwrap())
        .collect();
    let only = list(&args, "--only", "realtime,live");
    let work = tempfile::tempdir().unwrap();
    let calls = [
        synth(work.path(), "demo", "demo/call.txt"),
        synth(work.path(), "call-2", "tests/fixtures/call-2.txt"),
    ];
    let mut rows = Vec::new();
    let mut budget = Vec::new();
    for &load in &loads {
        for partials in [true, false] {
            let busy = Load::start(load);
            if only.iter().any(|o| o == "realtime") {
                let (mut t, mut cpu, mut secs, mut rss) = (Timings::default(), 0.0, 0.0, 0.0f64);
                for call in &calls {
                    let (lines, c, r) = realtime(&call.wav, work.path(), partials);
                    let t0 = lines.first().map_or_else(Instant::now, |(at, _)| *at);
                    t.add(timings(&lines, &call.truth, t0));
                    cpu += c;
                    secs += call.seconds;
                    rss = rss.max(r);
                    eprintln!(
                        "busy: realtime {} load {load} partials {partials} done",
                        call.name
                    );
                }
                rows.push(Row {
                    mode: "headless realtime",
                    load,
                    partials,
                    t,
                    cpu_per_min: cpu / (secs / 60.0),
                    rss,
                    idle_cpu: None,
                });
                if load == 0 {
                    let alone = rep_alone(&calls[0]);
                    let (_, c, _) = realtime(&alone, work.path(), partials);
                    budget.push((partials, c / (calls[0].seconds / 60.0)));
                }
            }
            if only.iter().any(|o| o == "live") {
                let mut desk = Desktop::new();
                desk.start_bus();
                let mut row = live(&desk, &calls[0], work.path(), partials);
                row.load = load;
                rows.push(row);
                eprintln!("busy: live load {load} partials {partials} done");
            }
            drop(busy);
        }
    }
    print_tables(&mut rows, &budget);
}

fn print_tables(rows: &mut [Row], budget: &[(bool, f64)]) {
    let on = |p: bool| if p { "on" } else { "off" };
    println!("#### Phrase end → transcript and → flag (tiny.en, encoder as installed)\n");
    println!(
        "| mode | busy processes | partials | figure | p50 | p95 | max |\n|---|---|---|---|---|---|---|"
    );
    for r in rows.iter_mut() {
        let head = format!("| {} | {} | {}", r.mode, r.load, on(r.partials));
        let n = r.t.transcript.len();
        println!(
            "{head} | phrase end → final transcript ({n}) | {} |",
            fmt3(&mut r.t.transcript)
        );
        let n = r.t.heard_to_flag.len();
        println!(
            "{head} | heard words → flag ({n}) | {} |",
            fmt3(&mut r.t.heard_to_flag)
        );
        println!(
            "{head} | line end → flag ({} of {} before the line ended) | {} |",
            r.t.early,
            r.t.flags,
            fmt3(&mut r.t.line_to_flag)
        );
    }
    println!("\n#### CPU, memory and words\n");
    println!(
        "| mode | busy processes | partials | CPU per minute of call | idle CPU | peak RSS | partial decodes | WER of finals |\n|---|---|---|---|---|---|---|---|"
    );
    for r in rows.iter() {
        println!(
            "| {} | {} | {} | {:.1} s | {} | {:.0} MB | {} | {:.1}% |",
            r.mode,
            r.load,
            on(r.partials),
            r.cpu_per_min,
            r.idle_cpu.map_or("–".into(), |c| format!("{c:.2}%")),
            r.rss,
            r.t.partials,
            wer(&r.t.reference, &r.t.hypothesis) * 100.0
        );
    }
    if !budget.is_empty() {
        println!("\n#### CPU per minute of call, idle machine, headless realtime\n");
        println!(
            "| partials | both speakers (demo + call-2) | the rep alone (demo, prospect silent) |\n|---|---|---|"
        );
        for (partials, alone) in budget {
            let both = rows
                .iter()
                .find(|r| r.mode == "headless realtime" && r.load == 0 && r.partials == *partials)
                .map_or(f64::NAN, |r| r.cpu_per_min);
            println!("| {} | {both:.1} s | {alone:.1} s |", on(*partials));
        }
    }
}
