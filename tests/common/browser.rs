#![allow(dead_code)]
//! Debian's chromium, headless, for the report tests: load a page from disk with the network
//! features off, and give back its DOM or a screenshot.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Run chromium on `page` with `args`; a profile in a fresh temporary directory. Gives up
/// (panics) after five minutes: a hang guard, not a timing assertion.
fn chromium(page: &Path, args: &[String]) -> std::process::Output {
    let profile = tempfile::tempdir().unwrap();
    let mut child = Command::new("chromium")
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--hide-scrollbars",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .args(args)
        .arg(format!("file://{}", page.display()))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("chromium runs (scripts/setup installs Debian's chromium)");
    let end = Instant::now() + Duration::from_secs(300);
    let stdout = child.stdout.take().unwrap();
    let reader = std::thread::spawn(move || {
        let mut s = Vec::new();
        std::io::Read::read_to_end(&mut { stdout }, &mut s).map(|_| s)
    });
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return std::process::Output {
                status,
                stdout: reader.join().unwrap().unwrap(),
                stderr: Vec::new(),
            };
        }
        if Instant::now() > end {
            let _ = child.kill();
            panic!("chromium did not finish with {}", page.display());
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// The DOM of `page` after loading, as HTML.
pub fn dump_dom(page: &Path) -> String {
    let out = chromium(page, &["--dump-dom".to_string()]);
    assert!(out.status.success(), "chromium --dump-dom failed");
    String::from_utf8(out.stdout).unwrap()
}

/// A screenshot of `page` in a `width`×`height` window; `dark` asks for the dark scheme.
pub fn screenshot(page: &Path, width: u32, height: u32, dark: bool) -> PathBuf {
    let png = page.with_extension(if dark { "dark.png" } else { "png" });
    let mut args = vec![
        format!("--window-size={width},{height}"),
        format!("--screenshot={}", png.display()),
    ];
    if dark {
        args.push("--force-dark-mode".into());
    }
    let out = chromium(page, &args);
    assert!(out.status.success(), "chromium --screenshot failed");
    png
}

/// A decoded RGB(A) image: width, height, bytes per pixel, pixels.
pub struct Image {
    pub width: u32,
    pub height: u32,
    pub channels: usize,
    pub pixels: Vec<u8>,
}

impl Image {
    pub fn read(path: &Path) -> Self {
        let decoder =
            png::Decoder::new(std::io::BufReader::new(std::fs::File::open(path).unwrap()));
        let mut reader = decoder.read_info().expect("a PNG");
        let mut pixels = vec![0; reader.output_buffer_size().unwrap()];
        let info = reader.next_frame(&mut pixels).expect("a PNG frame");
        pixels.truncate(info.buffer_size());
        let channels = info.color_type.samples();
        assert_eq!(info.bit_depth, png::BitDepth::Eight);
        Self {
            width: info.width,
            height: info.height,
            channels,
            pixels,
        }
    }

    /// Distinct colours, and the share of pixels the most common colour covers.
    pub fn colours(&self) -> (usize, f64) {
        let mut counts = std::collections::HashMap::new();
        for px in self.pixels.chunks(self.channels) {
            *counts.entry((px[0], px[1], px[2])).or_insert(0usize) += 1;
        }
        let top = counts.values().copied().max().unwrap_or(0);
        let n = (self.pixels.len() / self.channels).max(1);
        (counts.len(), top as f64 / n as f64)
    }

    /// Mean luminance, 0 (black) to 255 (white).
    pub fn luminance(&self) -> f64 {
        let px = self.pixels.chunks(self.channels);
        let n = px.len().max(1) as f64;
        px.map(|p| 0.2126 * f64::from(p[0]) + 0.7152 * f64::from(p[1]) + 0.0722 * f64::from(p[2]))
            .sum::<f64>()
            / n
    }
}
