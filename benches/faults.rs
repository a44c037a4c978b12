//! The fault matrix (a bench binary: `cargo bench --bench faults`, about 8 minutes, as root).
//!
//! Each fault is injected into a live call of its own: a private PulseAudio server with null
//! sinks, a private D-Bus session with a recording notification server, `warmcall run` with
//! tiny.en (the harness of `tests/live_daemon.rs`), the short test call played into both
//! sinks. For each fault the table says whether the daemon survived (still running, or exited
//! as asked), whether the call went on (a cue raised after the fault), how many completed
//! call-log lines were lost (every line ending in a newline must parse), and the diagnostic it
//! wrote. Faults: the sound server killed and restarted five times, the microphone removed and
//! returned, the notification server gone and back, the log directory made read-only
//! mid-call, the log's filesystem full, the config replaced by an editor's rename-over (a good
//! one, then a broken one), SIGKILL mid-call, SIGTERM during a decode. The log-directory
//! faults mount a small tmpfs and need root (they are reported as skipped otherwise).

#[path = "../tests/common/mod.rs"]
mod common;

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use common::daemon::{Daemon, ctl, play_both, short_call};
use common::desktop::{Desktop, NotificationServer, wait_for};
use warmcall::event::Event;

/// What one fault left behind.
struct Row {
    fault: &'static str,
    survived: String,
    went_on: String,
    lines_lost: usize,
    diagnostic: String,
}

/// Completed call-log lines that do not parse (a last line without its newline is not
/// completed), and the cut-off last lines.
fn broken_lines(logs: &Path) -> (usize, usize) {
    let (mut broken, mut cut) = (0, 0);
    for f in common::log_files(logs) {
        let text = std::fs::read_to_string(f).unwrap_or_default();
        let complete = text.ends_with('\n');
        let lines: Vec<&str> = text.lines().collect();
        for (i, l) in lines.iter().enumerate() {
            if Event::from_json_line(l).is_err() {
                if i + 1 == lines.len() && !complete {
                    cut += 1;
                } else {
                    broken += 1;
                }
            }
        }
    }
    (broken, cut)
}

/// Events of every call log, forgiving a cut-off line.
fn events(logs: &Path) -> Vec<Event> {
    common::read_call_logs(logs)
}

fn flags(logs: &Path) -> usize {
    events(logs)
        .iter()
        .filter(|e| matches!(e, Event::Flag(_)))
        .count()
}

/// The first diagnostic line (warning or error) the daemon wrote that mentions one of `words`.
/// The INFO line a stop by signal leaves.
fn stopping_line(d: &Daemon) -> String {
    d.stderr_text()
        .lines()
        .find(|l| l.contains("Stopping"))
        .map(|l| {
            l.split_once(' ')
                .map_or(l, |(_, rest)| rest)
                .trim()
                .to_string()
        })
        .unwrap_or_else(|| "(none)".into())
}

fn said(d: &Daemon, words: &[&str]) -> String {
    d.stderr_text()
        .lines()
        .filter(|l| l.contains("WARN") || l.contains("ERROR"))
        .filter(|l| !l.contains("whisper_rs"))
        .find(|l| words.iter().any(|w| l.contains(w)))
        .map(|l| {
            // Drop the timestamp.
            let l = l.split_once(' ').map_or(l, |(_, rest)| rest).trim();
            l.chars().take(160).collect()
        })
        .unwrap_or_else(|| "(none)".into())
}

/// Play the call and wait for one more cue in the log than `before`.
fn cue_after(desk: &Desktop, logs: &Path, before: usize) -> bool {
    let (me, them) = short_call(desk, 0.3);
    play_both(desk, &me, &them);
    wait_for(60.0, || flags(logs) > before)
}

fn yes(b: bool) -> String {
    if b { "yes".into() } else { "**no**".into() }
}

/// A live call with `d` running on `desk`, the first cues in.
fn started(desk: &Desktop, headless: bool) -> Daemon {
    let d = Daemon::start(desk, headless, &[]);
    assert!(cue_after(desk, &d.logs, 0), "no cue before any fault");
    d
}

/// Finish a row for a daemon that should still be running: it went on, then SIGTERM.
fn finish(
    fault: &'static str,
    desk: &Desktop,
    mut d: Daemon,
    words: &[&str],
    went_on: bool,
) -> Row {
    let alive = d.running();
    let diagnostic = said(&d, words);
    let logs = d.logs.clone();
    let (status, _) = d.terminate_within(60.0);
    let (lost, _) = broken_lines(&logs);
    let _ = desk;
    Row {
        fault,
        survived: yes(alive && status.success()),
        went_on: yes(went_on),
        lines_lost: lost,
        diagnostic,
    }
}

fn sound_server_restarts() -> Row {
    let mut desk = Desktop::new();
    let d = started(&desk, true);
    let mut went_on = true;
    for _ in 0..5 {
        desk.kill_pulse();
        std::thread::sleep(Duration::from_secs(1));
        desk.start_pulse();
        let before = flags(&d.logs);
        // The daemon rebuilds its streams with backoff before it hears again.
        std::thread::sleep(Duration::from_secs(3));
        went_on &= cue_after(&desk, &d.logs, before);
    }
    finish(
        "sound server killed and restarted ×5",
        &desk,
        d,
        &["lost", "sound server"],
        went_on,
    )
}

fn device_removed() -> Row {
    let desk = Desktop::new();
    let d = started(&desk, true);
    assert!(desk.pactl_ok(&["unload-module", "module-remap-source"]));
    std::thread::sleep(Duration::from_secs(3));
    assert!(desk.pactl_ok(&[
        "load-module",
        "module-remap-source",
        "master=mic_feed.monitor",
        "source_name=virtmic",
    ]));
    std::thread::sleep(Duration::from_secs(3));
    let before = flags(&d.logs);
    let went_on = cue_after(&desk, &d.logs, before);
    finish(
        "microphone removed and returned",
        &desk,
        d,
        &["lost", "device"],
        went_on,
    )
}

fn notification_server_gone() -> Row {
    let mut desk = Desktop::new();
    desk.start_bus();
    let server = NotificationServer::start(&desk.bus_address(), false);
    let d = started(&desk, false);
    server.release();
    // Past the global interval, so the next cue is offered to the (gone) server.
    std::thread::sleep(Duration::from_secs(11));
    let before = flags(&d.logs);
    let logged = cue_after(&desk, &d.logs, before);
    server.acquire();
    let shown = server.shown().len();
    std::thread::sleep(Duration::from_secs(11));
    let before = flags(&d.logs);
    let back = cue_after(&desk, &d.logs, before) && wait_for(10.0, || server.shown().len() > shown);
    finish(
        "notification server gone and back",
        &desk,
        d,
        &["otification"],
        logged && back,
    )
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

fn mount_tmpfs(dir: &Path, size: &str) -> bool {
    std::fs::create_dir_all(dir).unwrap();
    Command::new("mount")
        .args([
            "-t",
            "tmpfs",
            "-o",
            &format!("size={size},mode=0700"),
            "tmpfs",
        ])
        .arg(dir)
        .status()
        .is_ok_and(|s| s.success())
}

/// A desktop whose log directory is a tmpfs of `size` (root only).
fn tmpfs_logs(size: &str) -> Option<(Desktop, std::path::PathBuf)> {
    let desk = Desktop::new();
    let logs = desk.rt().join("logs");
    (is_root() && mount_tmpfs(&logs, size)).then_some((desk, logs))
}

fn umount(dir: &Path) {
    let _ = Command::new("umount").arg("-l").arg(dir).status();
}

fn skipped(fault: &'static str) -> Row {
    Row {
        fault,
        survived: "skipped (needs root)".into(),
        went_on: "–".into(),
        lines_lost: 0,
        diagnostic: "–".into(),
    }
}

fn log_dir_read_only() -> Row {
    let fault = "log directory read-only when the next call starts";
    let Some((desk, logs)) = tmpfs_logs("8m") else {
        return skipped(fault);
    };
    let d = started(&desk, true);
    // The call in progress ends (its log closed: a filesystem with a file open for writing
    // cannot be made read-only), then the next call finds the directory read-only.
    let (ok, _) = ctl(&desk, "end-call");
    assert!(ok);
    std::thread::sleep(Duration::from_secs(1));
    let remount = |mode: &str| {
        Command::new("mount")
            .args(["-o", &format!("remount,{mode}")])
            .arg(&logs)
            .status()
            .is_ok_and(|s| s.success())
    };
    assert!(remount("ro"), "remount read-only");
    // The cues go on (stdout here, bubbles on a desktop); the log cannot take them.
    let stdout_flags = || {
        std::fs::read_to_string(desk.rt().join("stdout.jsonl"))
            .unwrap_or_default()
            .lines()
            .filter(|l| l.contains("\"type\":\"flag\""))
            .count()
    };
    let before = stdout_flags();
    let (me, them) = short_call(&desk, 0.3);
    play_both(&desk, &me, &them);
    let went_on = wait_for(60.0, || stdout_flags() > before);
    assert!(remount("rw"));
    let row = finish(fault, &desk, d, &["call log", "event log"], went_on);
    umount(&logs);
    row
}

fn disk_full() -> Row {
    let fault = "log filesystem full (64 KiB tmpfs)";
    let Some((desk, logs)) = tmpfs_logs("64k") else {
        return skipped(fault);
    };
    let d = started(&desk, true);
    // Fill what is left.
    let _ = Command::new("dd")
        .args(["if=/dev/zero", "bs=4k"])
        .arg(format!("of={}", logs.join("filler").display()))
        .stderr(std::process::Stdio::null())
        .status();
    // Three more plays: more lines than the log's last page can take.
    let (me, them) = short_call(&desk, 0.3);
    for _ in 0..3 {
        play_both(&desk, &me, &them);
    }
    std::thread::sleep(Duration::from_secs(5));
    let (ok, _) = ctl(&desk, "status");
    // Space again (the filler is not a call log), then the daemon is stopped.
    let _ = std::fs::remove_file(logs.join("filler"));
    let row = finish(fault, &desk, d, &["event log", "call log", "space"], ok);
    umount(&logs);
    row
}

fn config_rename_over() -> Row {
    let desk = Desktop::new();
    // The user has a config file the daemon watches.
    let dir = desk.rt().join("config/warmcall");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("config.toml"), "[notify]\nmin_interval = 10\n").unwrap();
    let d = started(&desk, true);
    let replace = |text: &str| {
        let tmp = dir.join(".config.toml.swp");
        std::fs::write(&tmp, text).unwrap();
        std::fs::rename(&tmp, dir.join("config.toml")).unwrap();
        std::thread::sleep(Duration::from_secs(3));
    };
    replace("[notify]\nmin_interval = 0\n");
    replace("[notify]\nmin_interval = \"soon\"\n");
    let before = flags(&d.logs);
    let went_on = cue_after(&desk, &d.logs, before);
    let reloaded = d.stderr_text().contains("Config reloaded");
    let refused = d.stderr_text().contains("refused");
    finish(
        "config replaced by rename-over (good, then broken)",
        &desk,
        d,
        &["refused"],
        went_on && reloaded && refused,
    )
}

fn sigkill() -> Row {
    let desk = Desktop::new();
    let mut d = started(&desk, true);
    let (me, them) = short_call(&desk, 0.3);
    let mut a = desk.play("mic_feed", &me);
    let mut b = desk.play("call_out", &them);
    std::thread::sleep(Duration::from_secs(4));
    let _ = d.child.kill();
    let _ = d.child.wait();
    let _ = (a.wait(), b.wait());
    let (lost, cut) = broken_lines(&d.logs);
    Row {
        fault: "SIGKILL mid-call",
        survived: "killed (as asked)".into(),
        went_on: "–".into(),
        lines_lost: lost,
        diagnostic: format!(
            "{} completed lines parse; {cut} cut-off last line",
            events(&d.logs).len()
        ),
    }
}

fn sigterm_during_decode() -> Row {
    let desk = Desktop::new();
    let mut d = started(&desk, true);
    let (me, _) = short_call(&desk, 0.3);
    let mut a = desk.play("mic_feed", &me);
    // The first line ends about 4 s into the file; its decode runs right after the pause.
    std::thread::sleep(Duration::from_millis(4700));
    let t = Instant::now();
    let _ = Command::new("kill")
        .args(["-TERM", &d.child.id().to_string()])
        .status();
    let exited = wait_for(30.0, || d.child.try_wait().unwrap().is_some());
    let took = t.elapsed().as_secs_f64();
    let _ = a.wait();
    let ok = exited && d.child.try_wait().unwrap().is_some_and(|s| s.success());
    let ended = matches!(events(&d.logs).last(), Some(Event::CallEnd { .. }));
    let (lost, _) = broken_lines(&d.logs);
    Row {
        fault: "SIGTERM during a decode",
        survived: yes(ok),
        went_on: format!("log ends with call_end: {}", yes(ended)),
        lines_lost: lost,
        diagnostic: format!("{} (exit 0 in {took:.1} s)", stopping_line(&d)),
    }
}

/// One fault's scenario.
type Fault = fn() -> Row;

fn name_of(name: &str) -> &'static str {
    match name {
        "sound" => "sound server killed and restarted ×5",
        "device" => "microphone removed and returned",
        "notify" => "notification server gone and back",
        "readonly" => "log directory read-only when the next call starts",
        "full" => "log filesystem full",
        "config" => "config replaced by rename-over",
        "kill" => "SIGKILL mid-call",
        _ => "SIGTERM during a decode",
    }
}

fn main() {
    let _ = common::model("tiny.en");
    let faults: [(&str, Fault); 8] = [
        ("sound", sound_server_restarts),
        ("device", device_removed),
        ("notify", notification_server_gone),
        ("readonly", log_dir_read_only),
        ("full", disk_full),
        ("config", config_rename_over),
        ("kill", sigkill),
        ("term", sigterm_during_decode),
    ];
    let only: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with('-'))
        .collect();
    let mut rows = Vec::new();
    for (name, f) in faults {
        if !only.is_empty() && !only.iter().any(|o| o == name) {
            continue;
        }
        eprintln!("faults: {name}…");
        let row = std::panic::catch_unwind(f).unwrap_or_else(|e| Row {
            fault: name_of(name),
            survived: format!(
                "bench failed: {}",
                e.downcast_ref::<String>()
                    .map(String::as_str)
                    .or_else(|| e.downcast_ref::<&str>().copied())
                    .unwrap_or("?")
            ),
            went_on: "–".into(),
            lines_lost: 0,
            diagnostic: "–".into(),
        });
        eprintln!(
            "faults: {} | {} | {} | {} | {}",
            row.fault, row.survived, row.went_on, row.lines_lost, row.diagnostic
        );
        rows.push(row);
    }
    println!("| fault | daemon survived | the call went on | completed lines lost | diagnostic |");
    println!("|---|---|---|---|---|");
    for r in rows {
        println!(
            "| {} | {} | {} | {} | {} |",
            r.fault,
            r.survived,
            r.went_on,
            r.lines_lost,
            r.diagnostic.replace('|', "\\|")
        );
    }
}
