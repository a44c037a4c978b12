//! The control socket under clients that misbehave: one that sends a byte every 1.5 s, ten
//! that connect and say nothing, more than the socket serves at once, a daemon whose answer
//! does not come. `warmcall ctl status` (the real binary) must get its answer while others
//! misbehave, and must say "busy", not "not running", when the daemon is there but cannot
//! answer.
//!
//! The first two run a real pipeline (a paced WAV file, the tiny.en model, the hub answering)
//! with its control socket; the others inject the fault with the socket server alone.

use crate::common;

use std::io::{Read, Write};
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};
use std::time::Duration;

use crossbeam_channel::bounded;
use warmcall::config::Config;
use warmcall::control::Request;
use warmcall::control::server::{Limits, Server};
use warmcall::pipeline::{Builder, Pipeline, RunOptions, Services};

/// A runtime dir whose control socket `warmcall ctl` finds (`$XDG_RUNTIME_DIR/warmcall/`).
fn socket_in(rt: &Path) -> PathBuf {
    rt.join("warmcall/control.sock")
}

/// A pipeline playing ten minutes of silence at real speed, serving the control socket.
fn daemon(dir: &Path, rt: &Path) -> Pipeline {
    let wav = dir.join("silence.wav");
    common::write_wav(&wav, 16_000, 1, &vec![0.0; 600 * 16_000]);
    let mut cfg = Config::defaults();
    cfg.model = common::model("tiny.en");
    let opts = RunOptions {
        input: Some(wav),
        realtime: true,
        headless: true,
        log_dir: Some(dir.join("logs")),
        ..RunOptions::default()
    };
    Builder::new(cfg, opts)
        .services(Services {
            control: Some(socket_in(rt)),
            ..Services::default()
        })
        .start()
        .unwrap()
}

/// `warmcall ctl status` against `rt`: (exit code, stdout, stderr).
fn ctl_status(rt: &Path) -> (i32, String, String) {
    let out = common::warmcall()
        .env("XDG_RUNTIME_DIR", rt)
        .args(["ctl", "status"])
        .output()
        .unwrap();
    (
        out.status.code().expect("exited"),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn assert_answers_status(rt: &Path) {
    let (code, out, err) = ctl_status(rt);
    assert_eq!(code, 0, "{err}");
    let status: warmcall::control::Status = serde_json::from_str(out.trim()).unwrap();
    assert_eq!(status.source, "file");
}

#[test]
fn a_client_trickling_bytes_neither_holds_the_socket_nor_keeps_its_connection() {
    let dir = tempfile::tempdir().unwrap();
    let rt = dir.path().join("rt");
    let pipeline = daemon(dir.path(), &rt);
    let (sent_tx, sent_rx) = bounded::<usize>(64);
    let path = socket_in(&rt);
    // One byte every 1.5 s, up to 40 (a minute); each read alone is well inside any per-read
    // timeout. It stops at the first write the server no longer takes.
    let slow = std::thread::spawn(move || {
        let mut s = UnixStream::connect(path).unwrap();
        for n in 1..=40 {
            if s.write_all(b"s").is_err() {
                return n - 1;
            }
            let _ = sent_tx.send(n);
            std::thread::sleep(Duration::from_millis(1500));
        }
        40
    });
    // The slow client is connected and under way.
    assert_eq!(sent_rx.recv().unwrap(), 1);
    assert_answers_status(&rt);
    let sent = slow.join().unwrap();
    assert!(sent < 40, "the server kept a trickling client for a minute");
    pipeline.stop();
    pipeline.wait().unwrap();
}

#[test]
fn ten_idle_connections_do_not_stop_status_answering() {
    let dir = tempfile::tempdir().unwrap();
    let rt = dir.path().join("rt");
    let pipeline = daemon(dir.path(), &rt);
    let idle: Vec<UnixStream> = (0..10)
        .map(|_| UnixStream::connect(socket_in(&rt)).unwrap())
        .collect();
    assert_answers_status(&rt);
    drop(idle);
    pipeline.stop();
    pipeline.wait().unwrap();
}

/// A server whose connections wait a minute for their command (the fault: a full house).
fn patient_server(rt: &Path, connections: usize) -> (Server, crossbeam_channel::Receiver<Request>) {
    let (tx, rx) = bounded::<Request>(16);
    let limits = Limits {
        read: Duration::from_secs(60),
        connections,
        ..Limits::default()
    };
    (Server::start_with(&socket_in(rt), tx, limits).unwrap(), rx)
}

#[test]
fn a_full_house_is_reported_as_busy_not_as_missing() {
    let dir = tempfile::tempdir().unwrap();
    let rt = dir.path().join("rt");
    let (server, _rx) = patient_server(&rt, 3);
    let idle: Vec<UnixStream> = (0..3)
        .map(|_| UnixStream::connect(socket_in(&rt)).unwrap())
        .collect();
    // The fourth is answered at once, busy, and the connection closed.
    let mut fourth = UnixStream::connect(socket_in(&rt)).unwrap();
    let mut answer = String::new();
    fourth.read_to_string(&mut answer).unwrap();
    assert!(answer.contains("\"busy\":true"), "{answer}");
    let (code, _, err) = ctl_status(&rt);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("busy"), "{err}");
    assert!(!err.contains("is it running"), "{err}");
    drop(idle);
    server.shutdown();
}

#[test]
fn a_daemon_that_does_not_answer_is_busy() {
    let dir = tempfile::tempdir().unwrap();
    let rt = dir.path().join("rt");
    // The hub's end of the channel is held but never answers.
    let (server, _rx) = patient_server(&rt, 4);
    let (code, _, err) = ctl_status(&rt);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("busy"), "{err}");
    assert!(!err.contains("is it running"), "{err}");
    server.shutdown();
}

#[test]
fn a_socket_that_accepts_but_never_answers_is_busy() {
    let dir = tempfile::tempdir().unwrap();
    let rt = dir.path().join("rt");
    std::fs::create_dir_all(rt.join("warmcall")).unwrap();
    // Bound and listening (connect works), never accepted: a daemon stuck before its accept.
    let _listener = UnixListener::bind(socket_in(&rt)).unwrap();
    let (code, _, err) = ctl_status(&rt);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("busy"), "{err}");
    assert!(!err.contains("is it running"), "{err}");
}

#[test]
fn no_socket_is_still_not_running() {
    let rt = tempfile::tempdir().unwrap();
    let (code, _, err) = ctl_status(rt.path());
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("is it running?"), "{err}");
}
