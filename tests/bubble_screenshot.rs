//! The bubble as a desktop draws it: warmcall raises a cue on a private session bus whose
//! notification server (notification-daemon) draws on a virtual X display, and the display's
//! framebuffer is checked to show it. With `WARMCALL_UPDATE_DOCS=1` the shot becomes the
//! README's picture, `docs/bubble.png`.

use crate::common;

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use common::desktop::Desktop;
use common::screen::{Frame, Screen};

#[test]
fn a_cue_is_drawn_as_a_bubble_by_a_real_notification_server() {
    let _lock = common::whisper_lock();
    let mut desk = Desktop::new();
    desk.start_bus();
    let mut screen = Screen::start(1024, 640);
    assert_eq!(screen.frame().drawn().0, 0, "the root window starts black");
    screen.start_notification_daemon(&desk.bus_address());
    let call = desk.rt().join("call");
    std::fs::create_dir_all(&call).unwrap();
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/live-a.txt");
    let (wav, _) = common::synth_call(&script, &call);
    // Where the installed models are (…/warmcall/models/ggml-tiny.en.bin).
    let model = common::model("tiny.en");
    let data_home = model.ancestors().nth(3).unwrap();
    // Not headless: the cues become bubbles on the desktop's session bus.
    let mut cmd = Command::new(assert_cmd::cargo::cargo_bin("warmcall"));
    cmd.args(["run", "--realtime", "--input"])
        .arg(&wav)
        .arg("--log-dir")
        .arg(desk.rt().join("logs"));
    desk.env(&mut cmd);
    let mut run = cmd
        .env("DISPLAY", &screen.display)
        .env("XDG_DATA_HOME", data_home)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // The shot with most drawn on it: a bubble stays a few seconds, then fades.
    let mut best: Option<(usize, Frame)> = None;
    loop {
        let frame = screen.frame();
        let n = frame.drawn().0;
        if best.as_ref().is_none_or(|(m, _)| n > *m) {
            best = Some((n, frame));
        }
        if run.try_wait().unwrap().is_some() {
            break;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    assert!(run.wait().unwrap().success());
    let flags = common::flags(&common::read_call_logs(&desk.rt().join("logs")))
        .iter()
        .map(|f| f.rule.clone())
        .collect::<Vec<_>>();
    assert!(flags.iter().any(|r| r == "chasing"), "{flags:?}");
    let (n, frame) = best.unwrap();
    let (_, bbox) = frame.drawn();
    let (x0, y0, x1, y1) = bbox.expect("nothing was drawn: no bubble");
    let (w, h) = (x1 - x0 + 1, y1 - y0 + 1);
    // A bubble: a box of a few hundred by a few dozen pixels, filled, with anti-aliased text,
    // in the corner notification-daemon uses (top right).
    assert!(
        (150..=700).contains(&w) && (40..=400).contains(&h),
        "{w}×{h} at ({x0}, {y0})"
    );
    assert!(n > w * h / 2, "{n} pixels drawn in a {w}×{h} box");
    assert!(frame.colours() > 20, "{} colours: no text", frame.colours());
    assert!(x1 > 1024 / 2 && y0 < 640 / 2, "({x0}, {y0})–({x1}, {y1})");
    if std::env::var_os("WARMCALL_UPDATE_DOCS").is_some() {
        let docs = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/bubble.png");
        frame.write_crop_png(bbox.unwrap(), 24, &docs);
    }
}
