//! The live daemon on a real PipeWire (pipewire + WirePlumber + pipewire-pulse, as most
//! desktops now run), with the devices chosen in the config file: both speakers are
//! transcribed, and a restart of the whole sound server mid-call is survived with a gap and
//! capture resumes.

use crate::common;

use std::time::Duration;

use common::daemon::{DECODE_WAIT, Daemon, ctl, play_both, short_call};
use common::desktop::{Desktop, wait_for};
use warmcall::event::{Event, Speaker};

fn heard(d: &Daemon, speaker: Speaker, words: &str) -> usize {
    d.transcripts()
        .iter()
        .filter(|(s, t)| *s == speaker && t.contains(words))
        .count()
}

#[test]
fn pipewire_call_is_transcribed_and_survives_a_server_restart() {
    let _lock = common::whisper_lock();
    let mut desk = Desktop::pipewire();
    let config = desk.rt().join("config/warmcall/config.toml");
    std::fs::create_dir_all(config.parent().unwrap()).unwrap();
    // Devices by the names pipewire-pulse gives them; the call must outlast the restart.
    std::fs::write(
        &config,
        "[devices]\nme = \"virtmic\"\nthem = \"call_out.monitor\"\n\n[calls]\nend_after_silence = 600\n",
    )
    .unwrap();
    let mut d = Daemon::start(&desk, true, &[]);
    let (ok, status) = ctl(&desk, "status");
    assert!(ok, "{status}");
    assert!(
        status.contains("me: Remapped mic_feed.monitor")
            && status.contains("them: Monitor of call_out"),
        "the configured devices: {status}"
    );

    let (me, them) = short_call(&desk, 1.0);
    play_both(&desk, &me, &them);
    assert!(
        wait_for(DECODE_WAIT, || heard(&d, Speaker::Me, "following up") > 0
            && heard(&d, Speaker::Them, "not interested") > 0),
        "both speakers on PipeWire: {:?}\n{}",
        d.transcripts(),
        d.stderr_text()
    );

    // Every second reached warmcall from both devices (PipeWire's buffering loses nothing).
    let (ok, status) = ctl(&desk, "status");
    assert!(ok, "{status}");
    let v: serde_json::Value = serde_json::from_str(&status).unwrap();
    let wall = v["capture_seconds"].as_f64().unwrap();
    for speaker in ["me", "them"] {
        let audio = v["audio_seconds"][speaker].as_f64().unwrap();
        assert!(
            (wall - audio).abs() < 0.5,
            "{speaker}: {audio} s of audio in {wall} s: {status}"
        );
    }

    // The whole sound server goes away and comes back; its sinks are created anew.
    desk.kill_pulse();
    std::thread::sleep(Duration::from_secs(2));
    desk.start_pulse();
    assert!(
        wait_for(60.0, || d
            .events()
            .iter()
            .any(|e| matches!(e, Event::Gap { .. }))),
        "no gap logged after the restart: {}",
        d.stderr_text()
    );
    let (me_before, them_before) = (
        heard(&d, Speaker::Me, "following up"),
        heard(&d, Speaker::Them, "not interested"),
    );
    play_both(&desk, &me, &them);
    assert!(
        wait_for(DECODE_WAIT, || heard(&d, Speaker::Me, "following up")
            > me_before
            && heard(&d, Speaker::Them, "not interested") > them_before),
        "capture did not resume after the restart: {:?}\n{}",
        d.transcripts(),
        d.stderr_text()
    );
    assert!(d.running(), "the daemon died");
    // On a loaded machine the third phrase may still be waiting for the decoder.
    let (status, events) = d.terminate();
    assert!(status.success(), "exit {status:?}");

    // One call across the restart: a gap inside it, speech on both sides after the gap.
    let starts = events
        .iter()
        .filter(|e| matches!(e, Event::CallStart { .. }))
        .count();
    assert_eq!(starts, 1, "the restart split the call");
    let gap_at = events
        .iter()
        .position(|e| matches!(e, Event::Gap(g) if g.reason.contains("capture device")))
        .expect("a capture gap in the call log");
    for speaker in [Speaker::Me, Speaker::Them] {
        assert!(
            events[gap_at..]
                .iter()
                .any(|e| matches!(e, Event::Transcript(t) if t.speaker == speaker)),
            "no {speaker} transcript after the gap"
        );
    }
    assert!(matches!(events.last(), Some(Event::CallEnd { .. })));
}
