//! Live daemon benchmark (a bench binary: `cargo bench --bench live [-- --soak SECONDS]`).
//!
//! Starts a private PulseAudio server and D-Bus session with a recording notification server
//! (the same harness as the tests), runs `warmcall run` on them with tiny.en, then:
//! - plays trigger phrases one at a time into the microphone sink and measures from the end of
//!   each spoken phrase (end of playback, less the file's trailing silence) to the Notify call
//!   arriving on the bus;
//! - leaves the line silent and measures the daemon's CPU use and peak RSS;
//! - with `--soak SECONDS`, plays the demo call (rep into the microphone sink, prospect into
//!   the call's output) in a loop for that long and reports the audio the daemon dropped.

#[path = "../tests/common/mod.rs"]
mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::desktop::{Desktop, notification_server, split_call, wait_for};
use common::{data_home, root, warmcall_bin};

const LINES: &[&str] = &[
    "I am just following up on my email.",
    "Just checking in to see where things are.",
    "Did you get a chance to look at the proposal?",
    "Trust me, this is the right decision.",
    "This price is only good until Friday.",
    "When can we get started?",
    "I will send over the contract today.",
    "Any update on your end?",
    "You will regret waiting on this.",
    "Just touching base about last week.",
    "We need an answer by tomorrow.",
    "Let me draw up the paperwork.",
];

/// (path, seconds of trailing silence after the speech)
fn phrase_wav(dir: &Path, i: usize, text: &str) -> (PathBuf, f64) {
    let script = dir.join(format!("p{i}.txt"));
    std::fs::write(&script, format!("me | - | {text}\n")).unwrap();
    let wav = dir.join(format!("p{i}.wav"));
    let truth = dir.join(format!("p{i}.jsonl"));
    let ok = Command::new(root().join("scripts/synth-call"))
        .arg(&script)
        .args([
            "--out".as_ref(),
            wav.as_os_str(),
            "--truth".as_ref(),
            truth.as_os_str(),
        ])
        .stderr(Stdio::null())
        .status()
        .unwrap()
        .success();
    assert!(ok);
    let t: serde_json::Value = serde_json::from_str(
        std::fs::read_to_string(&truth)
            .unwrap()
            .lines()
            .next()
            .unwrap(),
    )
    .unwrap();
    let r = hound::WavReader::open(&wav).unwrap();
    let dur = r.duration() as f64 / r.spec().sample_rate as f64;
    let (me, _) = split_call(&wav, 0.0);
    let mono = dir.join(format!("p{i}-me.wav"));
    std::fs::rename(me, &mono).unwrap();
    (mono, dur - t["end"].as_f64().unwrap())
}

fn proc_stat(pid: u32) -> (f64, u64) {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap();
    let fields: Vec<&str> = stat
        .rsplit(')')
        .next()
        .unwrap()
        .split_whitespace()
        .collect();
    let ticks: f64 = fields[11].parse::<f64>().unwrap() + fields[12].parse::<f64>().unwrap();
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let hwm = status
        .lines()
        .find(|l| l.starts_with("VmHWM"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    (ticks / 100.0, hwm)
}

fn pct(v: &mut [f64], p: f64) -> f64 {
    v.sort_by(f64::total_cmp);
    v[((v.len() - 1) as f64 * p).round() as usize]
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let soak = args
        .iter()
        .position(|a| a == "--soak")
        .and_then(|i| args.get(i + 1))
        .and_then(|s| s.parse::<f64>().ok());
    let mut desk = Desktop::new();
    desk.start_bus();
    let notes = notification_server(&desk.bus_address(), false);
    // Every detection notifies: no cooldowns, no global interval.
    let cfg_dir = desk.rt().join("config/warmcall");
    std::fs::create_dir_all(cfg_dir.join("rules.d")).unwrap();
    std::fs::write(cfg_dir.join("config.toml"), "[notify]\nmin_interval = 0\n").unwrap();
    let mut rules = String::new();
    for id in ["chasing", "urgency-pressure", "assumptive-close"] {
        rules.push_str(&format!("[[rule]]\nid = \"{id}\"\ncooldown = 0\n\n"));
    }
    std::fs::write(cfg_dir.join("rules.d/bench.toml"), rules).unwrap();

    let work = desk.rt().join("bench");
    std::fs::create_dir_all(&work).unwrap();
    let phrases: Vec<(PathBuf, f64)> = LINES
        .iter()
        .enumerate()
        .map(|(i, l)| phrase_wav(&work, i, l))
        .collect();

    let mut cmd = Command::new(warmcall_bin());
    cmd.arg("run").arg("--log-dir").arg(desk.rt().join("logs"));
    desk.env(&mut cmd);
    cmd.env("XDG_DATA_HOME", data_home())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    let mut daemon = cmd
        .spawn()
        .expect("the warmcall binary (cargo build --release)");
    let pid = daemon.id();
    assert!(wait_for(20.0, || desk
        .rt()
        .join("warmcall/control.sock")
        .exists()));
    std::thread::sleep(Duration::from_secs(1));

    let mut lat = Vec::new();
    let mut missed = 0;
    for (wav, tail) in &phrases {
        let before = notes.lock().unwrap().len();
        let mut p = desk.play("mic_feed", wav);
        p.wait().unwrap();
        let spoken_end = Instant::now() - Duration::from_secs_f64(*tail);
        if wait_for(6.0, || notes.lock().unwrap().len() > before) {
            let at = notes.lock().unwrap()[before].at;
            lat.push(at.duration_since(spoken_end).as_secs_f64());
        } else {
            missed += 1;
        }
        std::thread::sleep(Duration::from_millis(1500));
    }

    // A silent line: CPU and memory.
    let idle_secs = 60.0;
    let (cpu0, _) = proc_stat(pid);
    std::thread::sleep(Duration::from_secs_f64(idle_secs));
    let (cpu1, hwm) = proc_stat(pid);

    println!(
        "### Live daemon (tiny.en, PulseAudio null sinks, private D-Bus notification server)\n"
    );
    println!("| figure | measured | target |");
    println!("|---|---|---|");
    let n = lat.len();
    println!(
        "| end of spoken phrase → Notify on the bus, {n} phrases ({missed} without a bubble) | p50 {:.2} s, p95 {:.2} s, max {:.2} s | p50 ≤ 1.0 s, p95 ≤ 1.5 s |",
        pct(&mut lat, 0.5),
        pct(&mut lat, 0.95),
        pct(&mut lat, 1.0)
    );
    println!(
        "| CPU on a silent line ({idle_secs:.0} s) | {:.2}% of one core | < 2% |",
        (cpu1 - cpu0) / idle_secs * 100.0
    );
    println!("| peak RSS (VmHWM) | {} MB | < 250 MB |", hwm / 1024);

    if let Some(secs) = soak {
        let script = root().join("demo/call.txt");
        let (wav, _) = {
            let dir = work.join("soak");
            std::fs::create_dir_all(&dir).unwrap();
            let wav = dir.join("call.wav");
            Command::new(root().join("scripts/synth-call"))
                .arg(&script)
                .args(["--out".as_ref(), wav.as_os_str()])
                .stderr(Stdio::null())
                .status()
                .unwrap();
            (wav, ())
        };
        let (me, them) = split_call(&wav, 0.0);
        let start = Instant::now();
        while start.elapsed().as_secs_f64() < secs {
            let mut a = desk.play("mic_feed", &me);
            let mut b = desk.play("call_out", &them);
            a.wait().unwrap();
            b.wait().unwrap();
        }
        // A few seconds of silence first: a null sink renders a long playback in chunks, so
        // its monitor can be that far behind until the stream ends.
        std::thread::sleep(Duration::from_secs(3));
        let mut c = Command::new(warmcall_bin());
        c.args(["ctl", "status"]);
        desk.env(&mut c);
        let status: serde_json::Value =
            serde_json::from_slice(&c.output().unwrap().stdout).unwrap_or_default();
        println!(
            "| audio dropped over {:.0} min of call played at real speed | {} samples, {} gaps | none |",
            secs / 60.0,
            status["dropped_samples"],
            status["gaps"]
        );
        let wall = status["capture_seconds"].as_f64().unwrap_or(0.0);
        for speaker in ["me", "them"] {
            let audio = status["audio_seconds"][speaker].as_f64().unwrap_or(0.0);
            println!(
                "| audio of {speaker} that reached warmcall vs wall clock since capture began | {audio:.2} s of {wall:.2} s ({:.0} ms behind) | within the 100 ms capture buffer |",
                (wall - audio) * 1e3
            );
        }
    }
    let _ = Command::new("kill")
        .args(["-TERM", &pid.to_string()])
        .status();
    let _ = daemon.wait();
}
