//! The live daemon under test: `warmcall run` on a test desktop (`desktop`), its call logs,
//! `warmcall ctl`, and the synthetic short call played into both sinks.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use super::desktop::{Desktop, split_call, wait_for};
use warmcall::event::{Event, Flag, Speaker, Transcript};

/// How long a test waits for speech to be decoded: whisper on a loaded two-core machine can
/// take tens of seconds per phrase. A bound, not a timing claim.
pub const DECODE_WAIT: f64 = 120.0;

pub struct Daemon {
    pub child: Child,
    pub logs: PathBuf,
    stderr: PathBuf,
}

fn data_home() -> PathBuf {
    let model = super::model("tiny.en");
    model.ancestors().nth(3).unwrap().to_path_buf()
}

impl Daemon {
    pub fn start(desk: &Desktop, headless: bool, extra_env: &[(&str, String)]) -> Self {
        let logs = desk.rt().join("logs");
        let stdout = desk.rt().join("stdout.jsonl");
        let stderr = desk.rt().join("stderr.log");
        let mut cmd = Command::new(assert_cmd::cargo::cargo_bin("warmcall"));
        cmd.arg("run").arg("--log-dir").arg(&logs);
        if headless {
            cmd.arg("--headless");
        }
        desk.env(&mut cmd);
        cmd.env("XDG_DATA_HOME", data_home())
            .env("WARMCALL_LOG", "info")
            .stdout(std::fs::File::create(&stdout).unwrap())
            .stderr(std::fs::File::create(&stderr).unwrap());
        for (k, v) in extra_env {
            cmd.env(k, v);
        }
        let child = cmd.spawn().unwrap();
        let d = Self {
            child,
            logs,
            stderr,
        };
        let sock = desk.rt().join("warmcall/control.sock");
        assert!(
            wait_for(60.0, || sock.exists()),
            "daemon did not start: {}",
            d.stderr_text()
        );
        d
    }

    pub fn stderr_text(&self) -> String {
        std::fs::read_to_string(&self.stderr).unwrap_or_default()
    }

    /// Every event of every call log, in file order.
    pub fn events(&self) -> Vec<Event> {
        super::log_files(&self.logs)
            .iter()
            .flat_map(|f| {
                std::fs::read_to_string(f)
                    .unwrap()
                    .lines()
                    .map(|l| Event::from_json_line(l).unwrap())
                    .collect::<Vec<_>>()
            })
            .collect()
    }

    pub fn flags(&self) -> Vec<Flag> {
        self.events()
            .into_iter()
            .filter_map(|e| match e {
                Event::Flag(f) => Some(f),
                _ => None,
            })
            .collect()
    }

    pub fn has_flag(&self, rule: &str) -> bool {
        self.flags().iter().any(|f| f.rule == rule)
    }

    /// The daemon process has not exited.
    pub fn running(&mut self) -> bool {
        self.child.try_wait().ok().flatten().is_none()
    }

    /// (speaker, lowercase text) of every transcript, in log order.
    pub fn transcripts(&self) -> Vec<(Speaker, String)> {
        self.events()
            .into_iter()
            .filter_map(|e| match e {
                Event::Transcript(Transcript { speaker, text, .. }) => {
                    Some((speaker, text.as_str().to_lowercase()))
                }
                _ => None,
            })
            .collect()
    }

    pub fn terminate(self) -> (std::process::ExitStatus, Vec<Event>) {
        self.terminate_within(DECODE_WAIT)
    }

    /// SIGTERM, then wait up to `secs` for the exit (the queued phrases are decoded first).
    pub fn terminate_within(mut self, secs: f64) -> (std::process::ExitStatus, Vec<Event>) {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let status = wait_child(&mut self.child, secs);
        let events = self.events();
        (status, events)
    }
}

/// A test that fails part-way must not leave its daemon running.
impl Drop for Daemon {
    fn drop(&mut self) {
        if self.child.try_wait().ok().flatten().is_none() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

fn wait_child(child: &mut Child, secs: f64) -> std::process::ExitStatus {
    let mut status = None;
    wait_for(secs, || {
        status = child.try_wait().unwrap();
        status.is_some()
    });
    status.unwrap_or_else(|| {
        let _ = child.kill();
        panic!("the daemon did not exit within {secs} s")
    })
}

pub fn ctl(desk: &Desktop, cmd: &str) -> (bool, String) {
    let mut c = Command::new(assert_cmd::cargo::cargo_bin("warmcall"));
    c.args(["ctl", cmd])
        .stderr(Stdio::piped())
        .stdout(Stdio::piped());
    desk.env(&mut c);
    let out = c.output().unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr),
    )
}

/// The synthetic short call, split per speaker with `lead` seconds of silence first.
pub fn short_call(desk: &Desktop, lead: f64) -> (PathBuf, PathBuf) {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/live-a.txt");
    let dir = desk.rt().join("call");
    std::fs::create_dir_all(&dir).unwrap();
    let (wav, _) = super::synth_call(&script, &dir);
    split_call(&wav, lead)
}

pub fn play_both(desk: &Desktop, me: &Path, them: &Path) {
    let mut a = desk.play("mic_feed", me);
    let mut b = desk.play("call_out", them);
    a.wait().unwrap();
    b.wait().unwrap();
}
