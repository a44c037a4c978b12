#![allow(dead_code)]
//! Real desktop parts for the daemon tests: a sound server with null sinks (PulseAudio, or
//! PipeWire with pipewire-pulse and WirePlumber), a private D-Bus session bus, and a
//! notification server (zbus) that records every Notify call.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Wait until `f` is true or `secs` pass.
pub fn wait_for(secs: f64, mut f: impl FnMut() -> bool) -> bool {
    let end = Instant::now() + Duration::from_secs_f64(secs);
    while Instant::now() < end {
        if f() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    f()
}

/// A private runtime directory (XDG_RUNTIME_DIR and HOME of the test's processes).
pub struct Desktop {
    pub dir: tempfile::TempDir,
    /// The sound server's processes.
    pulse: Vec<Child>,
    bus: Option<Child>,
    /// The sound server runs as this user (`None`: as the test's user).
    server_uid: Option<u32>,
    pipewire: bool,
}

const PA: &str = "load-module module-native-protocol-unix
load-module module-null-sink sink_name=call_out rate=48000
load-module module-null-sink sink_name=mic_feed rate=48000
load-module module-remap-source master=mic_feed.monitor source_name=virtmic
set-default-sink call_out
set-default-source virtmic
";

impl Desktop {
    pub fn new() -> Self {
        Self::start(None, false)
    }

    /// A desktop on PipeWire: pipewire, WirePlumber and pipewire-pulse (PulseAudio's protocol)
    /// on a private session bus, with the same null sinks.
    pub fn pipewire() -> Self {
        Self::start(None, true)
    }

    /// A desktop whose sound server runs as another user (`uid`, e.g. nobody), so it lets
    /// the test's processes in by their cookie alone: a server of the same user also admits
    /// a client by its socket credentials, whatever cookie it sends.
    pub fn with_server_user(uid: u32) -> Self {
        Self::start(Some(uid), false)
    }

    fn start(server_uid: Option<u32>, pipewire: bool) -> Self {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("test.pa"), PA).unwrap();
        if let Some(uid) = server_uid {
            // The server creates its runtime and cookie directories here.
            std::fs::create_dir(dir.path().join("config")).unwrap();
            for p in [dir.path(), &dir.path().join("config")] {
                std::os::unix::fs::chown(p, Some(uid), Some(uid)).unwrap();
            }
        }
        let mut d = Self {
            dir,
            pulse: Vec::new(),
            bus: None,
            server_uid,
            pipewire,
        };
        if pipewire {
            // WirePlumber needs the session bus.
            d.start_bus();
        }
        d.start_pulse();
        d
    }

    pub fn rt(&self) -> &Path {
        self.dir.path()
    }

    /// Environment for a process of this desktop.
    pub fn env(&self, cmd: &mut Command) {
        cmd.env("XDG_RUNTIME_DIR", self.rt())
            .env("HOME", self.rt())
            .env("XDG_CONFIG_HOME", self.rt().join("config"))
            .env("XDG_STATE_HOME", self.rt().join("state"))
            .env("DBUS_SESSION_BUS_ADDRESS", self.bus_address())
            .env_remove("NOTIFY_SOCKET")
            .env_remove("WATCHDOG_USEC")
            .env_remove("INVOCATION_ID")
            .env_remove("JOURNAL_STREAM")
            .env_remove("DISPLAY")
            .env_remove("WAYLAND_DISPLAY");
    }

    pub fn bus_address(&self) -> String {
        format!("unix:path={}", self.rt().join("bus").display())
    }

    /// Start the sound server (PulseAudio, or the PipeWire trio) with its null sinks.
    pub fn start_pulse(&mut self) {
        if self.pipewire {
            return self.start_pipewire();
        }
        let mut cmd = match self.server_uid {
            None => Command::new("pulseaudio"),
            Some(uid) => {
                let mut c = Command::new("setpriv");
                c.arg(format!("--reuid={uid}"))
                    .arg(format!("--regid={uid}"))
                    .args(["--clear-groups", "pulseaudio"]);
                c
            }
        };
        cmd.args([
            "-n",
            "--daemonize=no",
            "--exit-idle-time=-1",
            "--log-target=stderr",
            "-F",
        ])
        .arg(self.rt().join("test.pa"))
        .stdout(Stdio::null())
        .stderr(Stdio::null());
        // The server writes its cookie to $XDG_CONFIG_HOME/pulse/cookie, where libpulse
        // clients and warmcall look for it.
        self.env(&mut cmd);
        self.pulse
            .push(cmd.spawn().expect("pulseaudio (scripts/setup installs it)"));
        assert!(self.wait_pactl(), "PulseAudio did not come up");
    }

    fn wait_pactl(&self) -> bool {
        wait_for(10.0, || self.pactl(&["info"]))
    }

    /// Run `pactl` with `args` against this desktop's server; whether it succeeded.
    pub fn pactl_ok(&self, args: &[&str]) -> bool {
        self.pactl(args)
    }

    fn pactl(&self, args: &[&str]) -> bool {
        let mut c = Command::new("pactl");
        c.args(args).stdout(Stdio::null()).stderr(Stdio::null());
        self.pulse_client_env(&mut c);
        c.status().is_ok_and(|s| s.success())
    }

    /// PipeWire, WirePlumber and pipewire-pulse, then the null sinks through pactl. A start
    /// whose sinks cannot be set up is stopped and made again, up to three times: after a
    /// restart in the middle of a test, `set-default-sink call_out` sometimes failed for all
    /// of its 10 s (about one full run in five), although `load-module` had answered.
    fn start_pipewire(&mut self) {
        let mut failed = String::new();
        for attempt in 1..=3 {
            match self.try_start_pipewire() {
                Ok(()) => return,
                Err(why) => {
                    eprintln!("PipeWire start {attempt} of 3: {why}; starting it again");
                    failed = why;
                    self.kill_pulse();
                    std::thread::sleep(std::time::Duration::from_secs(1));
                }
            }
        }
        panic!("PipeWire could not be set up in three starts: {failed}");
    }

    fn try_start_pipewire(&mut self) -> Result<(), String> {
        for prog in ["pipewire", "wireplumber", "pipewire-pulse"] {
            let mut c = Command::new(prog);
            c.stdout(Stdio::null()).stderr(Stdio::null());
            self.env(&mut c);
            let child = c.spawn().unwrap_or_else(|e| {
                panic!("{prog}: {e} (scripts/setup installs pipewire, pipewire-pulse, wireplumber)")
            });
            self.pulse.push(child);
            if prog == "pipewire" {
                let sock = self.rt().join("pipewire-0");
                if !wait_for(10.0, || sock.exists()) {
                    return Err("PipeWire did not come up".into());
                }
            }
        }
        if !self.wait_pactl() {
            return Err("pipewire-pulse did not come up".into());
        }
        for line in PA.lines().filter(|l| !l.contains("native-protocol")) {
            let args: Vec<&str> = line.split_whitespace().collect();
            // A module's sink shows up in PipeWire's graph a moment after load-module answers
            // (WirePlumber links it), so `set-default-sink` right after can fail on a busy
            // machine: try again for a few seconds.
            if !wait_for(10.0, || self.pactl(&args)) {
                return Err(format!("pactl {line} failed: {}", self.pactl_stderr(&args)));
            }
        }
        Ok(())
    }

    /// What `pactl` with `args` says on stderr (for a failure message).
    fn pactl_stderr(&self, args: &[&str]) -> String {
        let mut c = Command::new("pactl");
        c.args(args);
        self.pulse_client_env(&mut c);
        match c.output() {
            Ok(out) => String::from_utf8_lossy(&out.stderr).trim().to_string(),
            Err(e) => e.to_string(),
        }
    }

    /// Environment for a libpulse tool (pactl, paplay). libpulse will not look for the
    /// socket in a runtime directory of another user, so it is named for it then.
    fn pulse_client_env(&self, cmd: &mut Command) {
        self.env(cmd);
        if self.server_uid.is_some() {
            cmd.env(
                "PULSE_SERVER",
                format!("unix:{}", self.rt().join("pulse/native").display()),
            );
        }
    }

    /// Kill the sound server (as a crash would): every process of it.
    pub fn kill_pulse(&mut self) {
        for mut p in self.pulse.drain(..).rev() {
            let _ = p.kill();
            let _ = p.wait();
        }
    }

    /// Start a private session bus with no service activation.
    pub fn start_bus(&mut self) {
        let conf = self.rt().join("bus.conf");
        std::fs::write(
            &conf,
            format!(
                r#"<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:path={}</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>"#,
                self.rt().join("bus").display()
            ),
        )
        .unwrap();
        let child = Command::new("dbus-daemon")
            .arg(format!("--config-file={}", conf.display()))
            .arg("--nofork")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("dbus-daemon (scripts/setup installs dbus)");
        self.bus = Some(child);
        assert!(
            wait_for(10.0, || self.rt().join("bus").exists()),
            "bus did not come up"
        );
    }

    /// Play a WAV into a sink ("mic_feed" = the rep's microphone, "call_out" = the softphone).
    pub fn play(&self, sink: &str, wav: &Path) -> Child {
        let mut cmd = Command::new("paplay");
        cmd.arg(format!("--device={sink}")).arg(wav);
        self.pulse_client_env(&mut cmd);
        cmd.spawn().expect("paplay")
    }
}

impl Drop for Desktop {
    fn drop(&mut self) {
        self.kill_pulse();
        if let Some(mut b) = self.bus.take() {
            let _ = b.kill();
            let _ = b.wait();
        }
    }
}

/// One recorded Notify call.
#[derive(Debug, Clone)]
pub struct Notified {
    /// The id the server gave the bubble.
    pub id: u32,
    pub summary: String,
    pub body: String,
    pub replaces_id: u32,
    pub actions: Vec<String>,
    pub urgency: Option<u8>,
    pub transient: bool,
    pub at: Instant,
}

struct Server {
    log: Arc<Mutex<Vec<Notified>>>,
    next: u32,
    hang: bool,
}

#[zbus::interface(name = "org.freedesktop.Notifications")]
impl Server {
    async fn get_capabilities(&self) -> Vec<String> {
        vec!["actions".into(), "body".into()]
    }

    #[allow(clippy::too_many_arguments)]
    async fn notify(
        &mut self,
        _app_name: String,
        replaces_id: u32,
        _app_icon: String,
        summary: String,
        body: String,
        actions: Vec<String>,
        hints: HashMap<String, zbus::OwnedVariant>,
        _expire_timeout: i32,
    ) -> u32 {
        if self.hang {
            std::future::pending::<()>().await;
        }
        let urgency = hints.get("urgency").and_then(|v| u8::try_from(v).ok());
        let transient = hints
            .get("transient")
            .and_then(|v| bool::try_from(v).ok())
            .unwrap_or(false);
        let id = if replaces_id != 0 {
            replaces_id
        } else {
            self.next += 1;
            self.next
        };
        self.log.lock().unwrap().push(Notified {
            id,
            summary,
            body,
            replaces_id,
            actions,
            urgency,
            transient,
            at: Instant::now(),
        });
        id
    }

    async fn close_notification(&self, _id: u32) {}

    async fn get_server_information(&self) -> (String, String, String, String) {
        (
            "warmcall-tests".into(),
            "test".into(),
            "1".into(),
            "1.2".into(),
        )
    }
}

/// Own `org.freedesktop.Notifications` on `address`; `hang` never answers Notify.
pub fn notification_server(address: &str, hang: bool) -> Arc<Mutex<Vec<Notified>>> {
    NotificationServer::start(address, hang).log
}

/// The recording notification server, and its connection to emit signals as a user's clicks
/// would.
pub struct NotificationServer {
    pub log: Arc<Mutex<Vec<Notified>>>,
    conn: zbus::Connection,
}

impl NotificationServer {
    pub fn start(address: &str, hang: bool) -> Self {
        let log: Arc<Mutex<Vec<Notified>>> = Arc::default();
        let (ready_tx, ready_rx) = std::sync::mpsc::channel();
        let server = Server {
            log: log.clone(),
            next: 0,
            hang,
        };
        let address = address.to_string();
        std::thread::spawn(move || {
            zbus::block_on(async move {
                let conn = zbus::connection::Builder::address(address.as_str())
                    .serve_at("/org/freedesktop/Notifications", server)
                    .name("org.freedesktop.Notifications")
                    .build()
                    .await
                    .unwrap();
                ready_tx.send(conn.clone()).unwrap();
                let _keep = conn;
                std::future::pending::<()>().await;
            })
        });
        let conn = ready_rx
            .recv_timeout(Duration::from_secs(10))
            .expect("notification server up");
        Self { log, conn }
    }

    /// The user picked the action `key` on bubble `id`: the server's `ActionInvoked` signal.
    pub fn invoke(&self, id: u32, key: &str) {
        zbus::block_on(self.conn.emit_signal(
            None::<zbus::names::BusName<'_>>,
            "/org/freedesktop/Notifications",
            "org.freedesktop.Notifications",
            "ActionInvoked",
            &(id, key),
        ))
        .expect("emit ActionInvoked");
    }

    /// The server goes away, as a notification daemon that was killed: its bus name is
    /// released (the object stays, unreachable by name).
    pub fn release(&self) {
        zbus::block_on(self.conn.release_name("org.freedesktop.Notifications"))
            .expect("release the name");
    }

    /// The server is back under its name.
    pub fn acquire(&self) {
        zbus::block_on(self.conn.request_name("org.freedesktop.Notifications"))
            .expect("request the name");
    }

    /// Every bubble shown so far.
    pub fn shown(&self) -> Vec<Notified> {
        self.log.lock().unwrap().clone()
    }
}

/// The key of the action labelled `label` in a Notify call's `actions` (key, label, …).
pub fn action_key(n: &Notified, label: &str) -> Option<String> {
    n.actions
        .chunks(2)
        .find(|kv| kv.len() == 2 && kv[1] == label)
        .map(|kv| kv[0].clone())
}

/// Split a synthetic stereo call into the rep's and the prospect's mono files, each with
/// `lead` seconds of silence first.
pub fn split_call(wav: &Path, lead: f64) -> (PathBuf, PathBuf) {
    let mut r = hound::WavReader::open(wav).unwrap();
    let spec = r.spec();
    let samples: Vec<i16> = r.samples::<i16>().map(Result::unwrap).collect();
    let pad = vec![0i16; (lead * spec.sample_rate as f64) as usize];
    let mut out = Vec::new();
    for (ch, name) in [(0, "me.wav"), (1, "them.wav")] {
        let p = wav.with_file_name(name);
        let mono = hound::WavSpec {
            channels: 1,
            ..spec
        };
        let mut w = hound::WavWriter::create(&p, mono).unwrap();
        for s in pad.iter().chain(samples.iter().skip(ch).step_by(2)) {
            w.write_sample(*s).unwrap();
        }
        w.finalize().unwrap();
        out.push(p);
    }
    (out[0].clone(), out[1].clone())
}
