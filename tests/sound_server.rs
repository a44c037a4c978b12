//! Finding and reaching the sound server the way libpulse does, against a real PulseAudio:
//! the cookie under a custom `XDG_CONFIG_HOME`, a server that refuses warmcall's cookie, and
//! no server at all. `devices` and the live daemon say which it is (exit status 6), never
//! "no capture device matches", and never fall back to raw ALSA devices.

use crate::common;

use std::process::{Command, Output};

use common::desktop::Desktop;

fn warmcall(desk: &Desktop, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut c = Command::new(assert_cmd::cargo::cargo_bin("warmcall"));
    c.args(args);
    desk.env(&mut c);
    for (k, v) in env {
        c.env(k, v);
    }
    c.output().expect("warmcall runs")
}

fn text(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr)
}

/// What an ALSA fallback would show: ALSA's own error lines or its plugins as devices.
fn assert_no_alsa(out: &str) {
    for alsa in [
        "ALSA lib",
        "Rate Converter Plugin",
        "Open Sound System",
        "no capture device",
    ] {
        assert!(!out.contains(alsa), "{alsa:?} in {out}");
    }
}

const LIVE: &[&str] = &["run", "--headless", "--log-dir", "/nonexistent-never-used"];

/// The server runs as nobody: it admits warmcall (root) by the cookie alone.
const SERVER_UID: u32 = 65534;

/// One server of nobody's at a time: with two running at once, one now and then admitted a
/// client with the wrong cookie (1 run in 6).
fn nobody_lock() -> std::sync::MutexGuard<'static, ()> {
    static LOCK: std::sync::Mutex<()> = std::sync::Mutex::new(());
    LOCK.lock().unwrap_or_else(|e| e.into_inner())
}

#[test]
fn the_cookie_under_a_custom_xdg_config_home_is_found() {
    let _nobody = nobody_lock();
    let desk = Desktop::with_server_user(SERVER_UID);
    // The server put its cookie where libpulse looks with XDG_CONFIG_HOME set, not in ~/.config.
    assert!(desk.rt().join("config/pulse/cookie").is_file());
    assert!(!desk.rt().join(".config/pulse/cookie").exists());
    let out = warmcall(&desk, &["devices"], &[]);
    let all = text(&out);
    assert!(out.status.success(), "{all}");
    assert!(
        all.contains("call_out.monitor") && all.contains("virtmic"),
        "{all}"
    );
    assert_no_alsa(&all);
}

#[test]
fn a_refused_cookie_is_reported_as_a_refusal() {
    let _nobody = nobody_lock();
    let desk = Desktop::with_server_user(SERVER_UID);
    let bad = desk.rt().join("wrong-cookie");
    std::fs::write(&bad, [0x5au8; 256]).unwrap();
    let bad = bad.to_str().unwrap();
    for args in [&["devices"][..], LIVE] {
        let out = warmcall(&desk, args, &[("PULSE_COOKIE", bad)]);
        let all = text(&out);
        assert_eq!(out.status.code(), Some(6), "{args:?}: {all}");
        let socket = desk.rt().join("pulse/native");
        assert!(
            all.contains(&format!(
                "the sound server at {} refused the connection: access denied; check that the cookie {bad}",
                socket.display()
            )),
            "{args:?}: {all}"
        );
        assert_no_alsa(&all);
    }
}

#[test]
fn no_server_is_reported_as_unreachable() {
    let mut desk = Desktop::new();
    desk.kill_pulse();
    for args in [&["devices"][..], LIVE] {
        let out = warmcall(&desk, args, &[]);
        let all = text(&out);
        assert_eq!(out.status.code(), Some(6), "{args:?}: {all}");
        let want = format!(
            "no PulseAudio or PipeWire server is reachable at {}",
            desk.rt().join("pulse/native").display()
        );
        assert!(
            all.contains(&want) && all.contains("is it running?"),
            "{args:?}: {all}"
        );
        assert_no_alsa(&all);
    }
}
