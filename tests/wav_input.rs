//! WAV files at the edges of what warmcall accepts, written with hound and run through
//! `warmcall run --headless --input` and the WAV reader: NaN and infinite samples are cleaned
//! and counted, channel counts and sample rates outside the stated ranges are refused.

use crate::common;

use std::path::Path;

use warmcall::audio::wav::{self, WavError};
use warmcall::event::Event;
use warmcall::text::normalize;
use warmcall::verify::jfk_samples;

fn float_spec(channels: u16, rate: u32) -> hound::WavSpec {
    hound::WavSpec {
        channels,
        sample_rate: rate,
        bits_per_sample: 32,
        sample_format: hound::SampleFormat::Float,
    }
}

fn write_float(path: &Path, spec: hound::WavSpec, samples: &[f32]) {
    let mut w = hound::WavWriter::create(path, spec).unwrap();
    for s in samples {
        w.write_sample(*s).unwrap();
    }
    w.finalize().unwrap();
}

/// `warmcall run --headless --input WAV`: (exit code, events on stdout, stderr).
fn run(wav: &Path, logs: &Path) -> (i32, Vec<Event>, String) {
    let out = common::warmcall()
        .env("XDG_CONFIG_HOME", logs.join("no-config"))
        .args(["run", "--headless", "--input"])
        .arg(wav)
        .arg("--log-dir")
        .arg(logs)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    let code = out
        .status
        .code()
        .unwrap_or_else(|| panic!("died of a signal: {:?}\n{err}", out.status));
    let events = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| Event::from_json_line(l).unwrap())
        .collect();
    (code, events, err)
}

fn text_of(events: &[Event]) -> String {
    let text: String = events
        .iter()
        .filter_map(|e| match e {
            Event::Transcript(tr) => Some(tr.text.as_str().to_string() + " "),
            _ => None,
        })
        .collect();
    normalize(&text)
}

#[test]
fn nan_and_infinite_samples_are_replaced_and_counted() {
    let _lock = common::whisper_lock();
    common::model("tiny.en");
    let dir = tempfile::tempdir().unwrap();
    let mut pcm = jfk_samples();
    // Ten bad samples inside the first phrase ("and so my fellow americans").
    for (i, at) in (16_000..16_010).enumerate() {
        pcm[at] = match i % 3 {
            0 => f32::NAN,
            1 => f32::INFINITY,
            _ => f32::NEG_INFINITY,
        };
    }
    let wav = dir.path().join("nan.wav");
    write_float(&wav, float_spec(1, 16_000), &pcm);
    let (code, events, err) = run(&wav, &dir.path().join("logs"));
    assert_eq!(code, 0, "{err}");
    let text = text_of(&events);
    assert!(text.contains("and so my fellow americans"), "{text}");
    assert!(text.contains("ask not what your country"), "{text}");
    assert!(
        err.contains("nan.wav: 10 samples were NaN or infinite"),
        "{err}"
    );
}

#[test]
fn the_whole_file_reader_cleans_and_counts_too() {
    let dir = tempfile::tempdir().unwrap();
    let wav = dir.path().join("bad.wav");
    let samples = [0.5, f32::NAN, -0.25, f32::INFINITY, 3.0, f32::NEG_INFINITY];
    write_float(&wav, float_spec(2, 16_000), &samples);
    let a = wav::read_file(&wav).unwrap();
    assert_eq!(a.replaced, 3);
    assert_eq!(a.channels[0], [0.5, -0.25, 1.0]);
    assert_eq!(a.channels[1], [0.0, 0.0, 0.0]);
}

#[test]
fn more_than_two_channels_are_refused_clearly() {
    let dir = tempfile::tempdir().unwrap();
    let wav = dir.path().join("six.wav");
    write_float(&wav, float_spec(6, 16_000), &vec![0.0; 6 * 16_000]);
    let e = wav::read_file(&wav).unwrap_err();
    assert!(matches!(e, WavError::Channels { channels: 6, .. }), "{e}");
    let (code, _, err) = run(&wav, &dir.path().join("logs"));
    assert_eq!(code, 5, "{err}");
    assert!(err.contains("six.wav"), "{err}");
    assert!(err.contains("6 channels"), "{err}");
    assert!(err.contains("mono or stereo"), "{err}");
    assert!(!dir.path().join("logs").exists());
}

#[test]
fn sample_rates_outside_8_to_192_khz_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    for (rate, ok) in [
        (2_000_000_000, false),
        (192_001, false),
        (7_999, false),
        (8_000, true),
        (192_000, true),
    ] {
        let wav = dir.path().join(format!("r{rate}.wav"));
        // 800 frames of silence, mono 16-bit (so 2 GHz still fits the header's 32-bit byte
        // rate).
        let spec = hound::WavSpec {
            channels: 1,
            sample_rate: rate,
            bits_per_sample: 16,
            sample_format: hound::SampleFormat::Int,
        };
        let mut w = hound::WavWriter::create(&wav, spec).unwrap();
        for _ in 0..800 {
            w.write_sample(0i16).unwrap();
        }
        w.finalize().unwrap();
        let r = wav::read_file(&wav);
        assert_eq!(r.is_ok(), ok, "{rate} Hz: {:?}", r.err());
        if !ok {
            let e = r.unwrap_err().to_string();
            assert!(e.contains(&format!("{rate} Hz")), "{e}");
            assert!(e.contains("8 kHz to 192 kHz"), "{e}");
            let (code, _, err) = run(&wav, &dir.path().join("logs"));
            assert_eq!(code, 5, "{rate} Hz: {err}");
            assert!(err.contains("8 kHz to 192 kHz"), "{err}");
        }
    }
}

#[test]
fn sanitize_replaces_non_finite_samples_and_clips_the_rest() {
    let mut s = [0.1, f32::NAN, 2.0, -7.5, f32::INFINITY, -0.3];
    assert_eq!(warmcall::audio::sanitize(&mut s), 2);
    assert_eq!(s, [0.1, 0.0, 1.0, -1.0, 0.0, -0.3]);
}
