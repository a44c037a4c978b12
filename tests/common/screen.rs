//! A virtual X display for tests that look at what a desktop draws: Xvfb with its framebuffer
//! in a file (`-fbdir`, an XWD image Xvfb keeps current), read here without any screenshot
//! tool, and a notification server that draws on it (notification-daemon).

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use super::desktop::wait_for;

/// Xvfb on a free display, black root window, its framebuffer in a temporary directory.
pub struct Screen {
    pub display: String,
    fb: PathBuf,
    _dir: tempfile::TempDir,
    children: Vec<Child>,
}

impl Screen {
    /// Start Xvfb (`width`×`height`, 24-bit) on the first free display from :140.
    pub fn start(width: u32, height: u32) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let n = (140..240)
            .find(|n| {
                !Path::new(&format!("/tmp/.X{n}-lock")).exists()
                    && !Path::new(&format!("/tmp/.X11-unix/X{n}")).exists()
            })
            .expect("a free X display number");
        let display = format!(":{n}");
        let child = Command::new("Xvfb")
            .arg(&display)
            .args(["-screen", "0", &format!("{width}x{height}x24")])
            .args(["-br", "-nolisten", "tcp", "-fbdir"])
            .arg(dir.path())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("Xvfb (scripts/setup installs xvfb)");
        let fb = dir.path().join("Xvfb_screen0");
        let socket = PathBuf::from(format!("/tmp/.X11-unix/X{n}"));
        let screen = Self {
            display,
            fb,
            _dir: dir,
            children: vec![child],
        };
        assert!(
            wait_for(10.0, || screen.fb.exists() && socket.exists()),
            "Xvfb did not come up on {}",
            screen.display
        );
        screen
    }

    /// Start notification-daemon on this display and the session bus at `bus`; wait until it
    /// owns org.freedesktop.Notifications.
    pub fn start_notification_daemon(&mut self, bus: &str) {
        let child = Command::new("/usr/lib/notification-daemon/notification-daemon")
            .env("DISPLAY", &self.display)
            .env("DBUS_SESSION_BUS_ADDRESS", bus)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("notification-daemon (scripts/setup installs it)");
        self.children.push(child);
        let owned = || {
            Command::new("dbus-send")
                .env("DBUS_SESSION_BUS_ADDRESS", bus)
                .args([
                    "--session",
                    "--print-reply",
                    "--dest=org.freedesktop.DBus",
                    "/org/freedesktop/DBus",
                    "org.freedesktop.DBus.NameHasOwner",
                    "string:org.freedesktop.Notifications",
                ])
                .output()
                .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).contains("boolean true"))
        };
        assert!(
            wait_for(10.0, owned),
            "notification-daemon did not take the bus name"
        );
    }

    /// What the display shows now.
    pub fn frame(&self) -> Frame {
        Frame::from_xwd(&std::fs::read(&self.fb).unwrap())
    }
}

impl Drop for Screen {
    fn drop(&mut self) {
        for c in self.children.iter_mut().rev() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

/// An RGB image.
#[derive(Clone)]
pub struct Frame {
    pub width: usize,
    pub height: usize,
    /// Row-major, 3 bytes a pixel.
    pub rgb: Vec<u8>,
}

/// Big-endian u32 field `i` of an XWD header.
fn field(b: &[u8], i: usize) -> usize {
    u32::from_be_bytes(b[i * 4..i * 4 + 4].try_into().unwrap()) as usize
}

impl Frame {
    /// An XWD file as Xvfb writes it: ZPixmap, 24-bit TrueColor in 32-bit pixels.
    pub fn from_xwd(b: &[u8]) -> Self {
        let (header, format, depth) = (field(b, 0), field(b, 2), field(b, 3));
        let (width, height) = (field(b, 4), field(b, 5));
        let (lsb_first, bpp, stride, ncolors) =
            (field(b, 7) == 0, field(b, 11), field(b, 12), field(b, 19));
        assert_eq!(
            (format, depth, bpp),
            (2, 24, 32),
            "not Xvfb's 24-bit ZPixmap"
        );
        let start = header + ncolors * 12;
        let mut rgb = Vec::with_capacity(width * height * 3);
        for y in 0..height {
            let row = &b[start + y * stride..start + y * stride + width * 4];
            for px in row.chunks_exact(4) {
                let (r, g, b) = if lsb_first {
                    (px[2], px[1], px[0])
                } else {
                    (px[1], px[2], px[3])
                };
                rgb.extend_from_slice(&[r, g, b]);
            }
        }
        Self { width, height, rgb }
    }

    fn px(&self, x: usize, y: usize) -> [u8; 3] {
        let i = (y * self.width + x) * 3;
        [self.rgb[i], self.rgb[i + 1], self.rgb[i + 2]]
    }

    /// Pixels that are not the black root window, and their bounding box (x0, y0, x1, y1).
    pub fn drawn(&self) -> (usize, Option<(usize, usize, usize, usize)>) {
        let mut n = 0;
        let mut bbox: Option<(usize, usize, usize, usize)> = None;
        for y in 0..self.height {
            for x in 0..self.width {
                if self.px(x, y) != [0, 0, 0] {
                    n += 1;
                    bbox = Some(match bbox {
                        None => (x, y, x, y),
                        Some((x0, y0, x1, y1)) => (x0.min(x), y0.min(y), x1.max(x), y1.max(y)),
                    });
                }
            }
        }
        (n, bbox)
    }

    /// Distinct colours in the drawn part (text is anti-aliased: many).
    pub fn colours(&self) -> usize {
        let mut seen = std::collections::HashSet::new();
        for px in self.rgb.chunks_exact(3) {
            seen.insert((px[0], px[1], px[2]));
        }
        seen.len()
    }

    /// The part inside `bbox` with `border` pixels around it, the root's black replaced by a
    /// desktop-like grey, as a PNG at `path`.
    pub fn write_crop_png(&self, bbox: (usize, usize, usize, usize), border: usize, path: &Path) {
        const BACKDROP: [u8; 3] = [0x2e, 0x34, 0x36];
        let (x0, y0, x1, y1) = bbox;
        let (w, h) = (x1 - x0 + 1 + 2 * border, y1 - y0 + 1 + 2 * border);
        let mut out = Vec::with_capacity(w * h * 3);
        for y in 0..h {
            for x in 0..w {
                let inside = (border..border + x1 - x0 + 1).contains(&x)
                    && (border..border + y1 - y0 + 1).contains(&y);
                let px = if inside {
                    self.px(x0 + x - border, y0 + y - border)
                } else {
                    BACKDROP
                };
                out.extend_from_slice(if px == [0, 0, 0] { &BACKDROP } else { &px });
            }
        }
        let file = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
        let mut enc = png::Encoder::new(file, w as u32, h as u32);
        enc.set_color(png::ColorType::Rgb);
        enc.set_depth(png::BitDepth::Eight);
        enc.write_header().unwrap().write_image_data(&out).unwrap();
    }
}
