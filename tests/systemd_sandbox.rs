//! The systemd user unit, run for real: a `systemd --user` manager of an unprivileged user
//! (nobody) in a private mount namespace (tests/fixtures/user-manager.sh), the repository's
//! unit file installed unchanged, a PulseAudio server of that user with null sinks, tiny.en.
//!
//! The daemon must start (READY=1) under every restriction of the unit, transcribe a call,
//! reload and stop cleanly; each restriction is shown to be in force by probes run in the
//! unit's own sandbox (tests/fixtures/sandbox-probe.py), which fail outside it. Needs root (to
//! start the manager and the server as another user).

use crate::common;

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use common::daemon::short_call;
use common::desktop::{Desktop, wait_for};
use common::user_manager::{UID, UserManager, chown_tree};
use warmcall::event::{Event, Speaker};

const DECODE_WAIT: f64 = 180.0;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The user's home: warmcall, tiny.en, a config naming the test's devices, the repository's
/// unit file as it is, a drop-in that only sends the daemon's output to a file (there is no
/// journal here), the sound-server units masked (the test runs its own), and the probe unit:
/// the real unit's sandbox with the probe as its only command.
fn install(home: &Path, desk: &Desktop, out_log: &Path, marker: &Path) {
    let bin = home.join(".local/bin");
    let models = home.join(".local/share/warmcall/models");
    let units = home.join(".config/systemd/user");
    for d in [
        &bin,
        &models,
        &units.join("warmcall.service.d"),
        &home.join(".config/pulse"),
    ] {
        std::fs::create_dir_all(d).unwrap();
    }
    std::fs::create_dir_all(home.join(".config/warmcall")).unwrap();
    std::fs::copy(
        assert_cmd::cargo::cargo_bin("warmcall"),
        bin.join("warmcall"),
    )
    .unwrap();
    std::fs::copy(common::model("tiny.en"), models.join("ggml-tiny.en.bin")).unwrap();
    std::fs::copy(
        root().join("tests/fixtures/sandbox-probe.py"),
        home.join("probe.py"),
    )
    .unwrap();
    // The server's cookie where the user's clients find it.
    std::fs::copy(
        desk.rt().join("config/pulse/cookie"),
        home.join(".config/pulse/cookie"),
    )
    .unwrap();
    std::fs::write(
        home.join(".config/warmcall/config.toml"),
        "[devices]\nme = \"virtmic\"\nthem = \"call_out.monitor\"\n\n[calls]\nend_after_silence = 600\n",
    )
    .unwrap();
    let unit = std::fs::read_to_string(root().join("systemd/warmcall.service")).unwrap();
    std::fs::write(units.join("warmcall.service"), &unit).unwrap();
    std::fs::write(
        units.join("warmcall.service.d/output.conf"),
        format!(
            "[Service]\nStandardOutput=append:{0}\nStandardError=append:{0}\nEnvironment=WARMCALL_LOG=info\n",
            out_log.display()
        ),
    )
    .unwrap();
    for masked in [
        "pulseaudio.service",
        "pulseaudio.socket",
        "pipewire.service",
        "pipewire.socket",
        "pipewire-pulse.service",
        "pipewire-pulse.socket",
        "wireplumber.service",
    ] {
        std::os::unix::fs::symlink("/dev/null", units.join(masked)).unwrap();
    }
    std::fs::write(
        units.join("warmcall-probe.service"),
        probe_unit(&unit, out_log, marker),
    )
    .unwrap();
    std::fs::write(out_log, "").unwrap();
    chown_tree(home);
    chown_tree(out_log);
}

/// The unit's sandbox settings (from PrivateUsers= to the end of [Service]) around the probe.
fn probe_unit(unit: &str, out_log: &Path, marker: &Path) -> String {
    let start = unit
        .find("PrivateUsers=yes")
        .expect("the unit starts its sandbox with PrivateUsers=yes");
    let end = unit.find("[Install]").unwrap();
    let probe_out = out_log.with_extension("probe");
    format!(
        "[Service]\nType=oneshot\nStandardOutput=file:{out}\nStandardError=file:{out}\n\
         ExecStart=/usr/bin/python3 %h/probe.py %h %h/.local/state/warmcall {marker}\n{sandbox}",
        out = probe_out.display(),
        marker = marker.display(),
        sandbox = &unit[start..end]
    )
}

const RESTRICTIONS: &[&str] = &[
    "memory-deny-write-execute",
    "no-inet-sockets",
    "no-inet6-sockets",
    "no-netlink-sockets",
    "restrict-namespaces",
    "lock-personality",
    "restrict-suid-sgid",
    "syscall-filter-clock",
    "syscall-filter-resources",
    "protect-system-root-read-only",
    "protect-home",
    "private-tmp",
    "private-devices",
    "private-network",
    "protect-kernel-tunables",
    "protect-control-groups",
    "protect-kernel-logs",
    "no-capabilities",
    "no-new-privileges",
    "seccomp",
];

fn probe_lines(text: &str) -> Vec<(String, String)> {
    text.lines()
        .filter_map(|l| l.split_once(": "))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn keyring(text: &str) -> String {
    text.lines()
        .find_map(|l| l.strip_prefix("keyring "))
        .unwrap_or_default()
        .to_string()
}

/// Every restriction holds inside the sandbox, and the same probes fail outside it.
fn assert_sandbox(m: &UserManager, home: &Path, out_log: &Path, marker: &Path) {
    let start = m.systemctl(&["start", "warmcall-probe.service"]);
    let text = std::fs::read_to_string(out_log.with_extension("probe")).unwrap_or_default();
    assert!(start.status.success(), "probe unit: {text}");
    let inside = probe_lines(&text);
    for name in RESTRICTIONS {
        let got = inside
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str());
        assert_eq!(got, Some("ok"), "{name} in the sandbox:\n{text}");
    }
    assert!(inside.iter().all(|(_, v)| !v.starts_with("FAIL")), "{text}");
    // KeyringMode=private: not the session keyring a unit shares with the manager.
    let shared = m.as_user(&[
        "systemd-run",
        "--user",
        "--wait",
        "--pipe",
        "--quiet",
        "-p",
        "KeyringMode=inherit",
        "/usr/bin/python3",
        "-c",
        "import ctypes; print('keyring', ctypes.CDLL(None).syscall(250, 0, -3, 0))",
    ]);
    let shared = keyring(&String::from_utf8_lossy(&shared.stdout));
    assert!(
        !shared.is_empty() && keyring(&text) != shared,
        "keyring {} vs shared {shared}",
        keyring(&text)
    );

    // The probes can fail: outside the sandbox, as the same user, they do.
    let state = home.join(".local/state/warmcall");
    let out = m.as_user(&[
        "/usr/bin/python3",
        home.join("probe.py").to_str().unwrap(),
        home.to_str().unwrap(),
        state.to_str().unwrap(),
        marker.to_str().unwrap(),
    ]);
    let outside = probe_lines(&String::from_utf8_lossy(&out.stdout));
    for name in RESTRICTIONS {
        let got = outside
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str());
        assert!(
            got.is_some_and(|v| v.starts_with("FAIL")),
            "{name} holds even outside the sandbox: {got:?}"
        );
    }
}

/// The daemon's own process: no capabilities, no new privileges, a seccomp filter, and its
/// own user, mount, network and hostname namespaces.
fn assert_daemon_process(pid: &str) {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    for (field, want) in [
        ("CapBnd", "0000000000000000"),
        ("NoNewPrivs", "1"),
        ("Seccomp", "2"),
    ] {
        let line = status
            .lines()
            .find(|l| l.starts_with(field))
            .unwrap_or_default();
        assert!(line.ends_with(want), "{line}");
    }
    for ns in ["user", "mnt", "net", "uts"] {
        let theirs = std::fs::read_link(format!("/proc/{pid}/ns/{ns}")).unwrap();
        let ours = std::fs::read_link(format!("/proc/self/ns/{ns}")).unwrap();
        assert_ne!(theirs, ours, "the daemon shares the {ns} namespace");
    }
}

fn call_events(home: &Path) -> Vec<Event> {
    common::read_call_logs(&home.join(".local/state/warmcall/calls"))
}

/// Phrases decoded so far, from `ctl status`.
fn phrases(status: &str) -> u64 {
    serde_json::from_str::<serde_json::Value>(status)
        .ok()
        .and_then(|v| v["phrases"].as_u64())
        .unwrap_or(0)
}

fn heard(home: &Path, speaker: Speaker) -> usize {
    call_events(home)
        .iter()
        .filter(|e| matches!(e, Event::Transcript(t) if t.speaker == speaker))
        .count()
}

#[test]
fn the_hardened_unit_runs_the_daemon_under_a_real_user_manager() {
    assert!(
        rustix::process::geteuid().is_root(),
        "this test starts a systemd user manager and a sound server as another user: run it as root"
    );
    let _lock = common::whisper_lock();
    let desk = Desktop::with_server_user(UID);
    let home_dir = tempfile::Builder::new()
        .prefix("warmcall-unit-")
        .tempdir_in("/home")
        .unwrap();
    let home = home_dir.path().to_path_buf();
    std::fs::set_permissions(&home, std::fs::Permissions::from_mode(0o700)).unwrap();
    let out_log = desk.rt().join("daemon.log");
    let marker = std::env::temp_dir().join(format!("warmcall-host-tmp-{}", std::process::id()));
    std::fs::write(&marker, "").unwrap();
    install(&home, &desk, &out_log, &marker);
    let m = UserManager::start(desk.rt(), &home);
    let log = || std::fs::read_to_string(&out_log).unwrap_or_default();

    // Type=notify: `start` returns once the daemon said READY=1.
    let start = m.systemctl(&["start", "warmcall.service"]);
    assert!(
        start.status.success(),
        "{}\n{}",
        String::from_utf8_lossy(&start.stderr),
        log()
    );
    assert_eq!(m.show("warmcall.service", "ActiveState"), "active");
    assert_daemon_process(&m.show("warmcall.service", "MainPID"));
    assert_sandbox(&m, &home, &out_log, &marker);

    // A call is transcribed, both speakers, with every restriction in force.
    let (me, them) = short_call(&desk, 1.0);
    let mut a = desk.play("mic_feed", &me);
    let mut b = desk.play("call_out", &them);
    a.wait().unwrap();
    b.wait().unwrap();
    let status = || {
        let out = m.as_user(&[
            home.join(".local/bin/warmcall").to_str().unwrap(),
            "ctl",
            "status",
        ]);
        String::from_utf8_lossy(&out.stdout).to_string()
    };
    assert!(
        wait_for(DECODE_WAIT, || heard(&home, Speaker::Me) > 0
            && heard(&home, Speaker::Them) > 0
            && phrases(&status()) >= 3),
        "no transcripts under the unit: {:?}\n{}\n{}",
        call_events(&home),
        status(),
        log()
    );

    // ExecReload= reaches the daemon through its control socket (RuntimeDirectory=).
    let reload = m.systemctl(&["reload", "warmcall.service"]);
    assert!(reload.status.success(), "{}", log());
    assert!(
        wait_for(10.0, || log().contains("Config reloaded.")),
        "{}",
        log()
    );

    // A clean stop: SIGTERM, the call's log completed, exit status 0.
    let stop = m.systemctl(&["stop", "warmcall.service"]);
    assert!(stop.status.success());
    assert_eq!(m.show("warmcall.service", "Result"), "success", "{}", log());
    assert_eq!(m.show("warmcall.service", "ExecMainStatus"), "0");
    assert!(matches!(
        call_events(&home).last(),
        Some(Event::CallEnd { .. })
    ));
    let _ = std::fs::remove_file(&marker);
}
