//! The live daemon with real parts: a PulseAudio server with null sinks (speech is played into
//! the microphone sink and the softphone's sink), a private D-Bus session with a notification
//! server that records every Notify call, the control socket, signals and sd_notify.

use crate::common;

use std::os::unix::net::UnixDatagram;
use std::path::PathBuf;
use std::process::Command;

use common::daemon::{DECODE_WAIT, Daemon, ctl, play_both, short_call};
use common::desktop::{Desktop, NotificationServer, action_key, notification_server, wait_for};
use warmcall::event::{Event, Flag, Gap, Speaker, Transcript};

#[test]
fn live_call_is_coached_with_notifications_and_a_complete_log() {
    let _lock = common::whisper_lock();
    let mut desk = Desktop::new();
    desk.start_bus();
    let notes = notification_server(&desk.bus_address(), false);
    let d = Daemon::start(&desk, false, &[]);
    let (me, them) = short_call(&desk, 1.0);
    play_both(&desk, &me, &them);
    assert!(
        wait_for(DECODE_WAIT, || d.has_flag("urgency-pressure")),
        "flags: {:?}\n{}",
        d.flags(),
        d.stderr_text()
    );
    let (ok, status) = ctl(&desk, "status");
    assert!(ok, "{status}");
    assert!(status.contains("\"state\":\"in_call\""), "{status}");
    assert!(
        !status.contains("following up"),
        "status must not carry transcript text"
    );
    // Every second of the call reached warmcall from both devices: each speaker's audio
    // keeps up with the wall clock (within the capture buffer, plus slack for a busy machine).
    // With a one-fragment server buffer the monitor fell a second behind in this call.
    let v: serde_json::Value = serde_json::from_str(&status).unwrap();
    let wall = v["capture_seconds"].as_f64().unwrap();
    assert!(wall > 5.0, "{status}");
    for speaker in ["me", "them"] {
        let audio = v["audio_seconds"][speaker].as_f64().unwrap();
        assert!(
            (wall - audio).abs() < 0.5,
            "{speaker}: {audio} s of audio in {wall} s: {status}"
        );
    }
    let (ok, _) = ctl(&desk, "end-call");
    assert!(ok);
    let diagnostics = d.stderr_text();
    let (status, events) = d.terminate();
    assert!(status.success(), "exit {status:?}");
    for words in ["following up", "not interested", "only good until"] {
        assert!(
            !diagnostics.to_lowercase().contains(words),
            "transcript in diagnostics: {diagnostics}"
        );
    }

    // The right speaker on each line.
    let transcripts: Vec<(Speaker, String)> = events
        .iter()
        .filter_map(|e| match e {
            Event::Transcript(Transcript { speaker, text, .. }) => {
                Some((*speaker, text.as_str().to_lowercase()))
            }
            _ => None,
        })
        .collect();
    assert!(
        transcripts
            .iter()
            .any(|(s, t)| *s == Speaker::Me && t.contains("following up")),
        "{transcripts:?}"
    );
    assert!(
        transcripts
            .iter()
            .any(|(s, t)| *s == Speaker::Them && t.contains("not interested")),
        "{transcripts:?}"
    );
    let flags: Vec<&Flag> = events
        .iter()
        .filter_map(|e| match e {
            Event::Flag(f) => Some(f),
            _ => None,
        })
        .collect();
    let find = |rule: &str| flags.iter().find(|f| f.rule == rule).copied();
    assert_eq!(find("chasing").map(|f| f.speaker), Some(Speaker::Me));
    assert_eq!(find("objection").map(|f| f.speaker), Some(Speaker::Them));
    assert!(
        matches!(events.last(), Some(Event::CallEnd { .. })),
        "log ends with call_end"
    );
    assert!(matches!(events.first(), Some(Event::CallStart { source, .. }) if source == "live"));

    // Every notified flag became a bubble with the rule's title and suggestion, replaced in
    // place; `end-call` added the call's summary (its own test is below).
    let mut notes = notes.lock().unwrap().clone();
    let summary = notes.pop().expect("the call's summary bubble");
    assert!(summary.summary.starts_with("Call ended: "), "{summary:?}");
    let notified: Vec<&&Flag> = flags.iter().filter(|f| f.notified).collect();
    assert!(!notified.is_empty(), "no flag was notified: {flags:?}");
    assert_eq!(notes.len(), notified.len(), "{notes:?}");
    for (n, f) in notes.iter().zip(&notified) {
        assert_eq!(n.summary, f.title);
        assert_eq!(n.body, f.suggestion);
        assert!(n.transient);
        assert!(
            n.actions.iter().any(|a| a == "Mute this rule"),
            "{:?}",
            n.actions
        );
    }
    assert_eq!(
        notes[0].urgency,
        Some(1),
        "chasing is a warning: normal urgency"
    );
    for w in notes.windows(2) {
        assert_ne!(
            w[1].replaces_id, 0,
            "later bubbles replace the first in place"
        );
    }
}

/// A "browser" for xdg-open (through $BROWSER, as on a desktop without a DE's opener): it
/// notes the page it was asked to open in `opened`.
fn recording_browser(desk: &Desktop) -> (String, PathBuf) {
    use std::os::unix::fs::PermissionsExt;
    let opened = desk.rt().join("opened.txt");
    let browser = desk.rt().join("browser");
    std::fs::write(
        &browser,
        format!("#!/bin/sh\necho \"$1\" >> '{}'\n", opened.display()),
    )
    .unwrap();
    std::fs::set_permissions(&browser, std::fs::Permissions::from_mode(0o755)).unwrap();
    (browser.display().to_string(), opened)
}

#[test]
fn a_call_that_ends_shows_its_summary_and_open_report_opens_that_calls_report() {
    let _lock = common::whisper_lock();
    let mut desk = Desktop::new();
    desk.start_bus();
    let server = NotificationServer::start(&desk.bus_address(), false);
    let (browser, opened) = recording_browser(&desk);
    let d = Daemon::start(&desk, false, &[("BROWSER", browser)]);
    let (me, them) = short_call(&desk, 1.0);
    play_both(&desk, &me, &them);
    assert!(
        wait_for(DECODE_WAIT, || d.has_flag("urgency-pressure")),
        "flags: {:?}\n{}",
        d.flags(),
        d.stderr_text()
    );
    let cue_bubbles = server.shown().len();
    assert!(cue_bubbles > 0);
    assert!(ctl(&desk, "end-call").0);
    let mut bubble = None;
    assert!(
        wait_for(30.0, || {
            bubble = server.shown().into_iter().nth(cue_bubbles);
            bubble.is_some()
        }),
        "no summary bubble: {:?}\n{}",
        server.shown(),
        d.stderr_text()
    );
    let bubble = bubble.unwrap();

    // It sums up the call the log ended with.
    let events = d.events();
    let call_id = events
        .iter()
        .find_map(|e| match e {
            Event::CallStart { call_id, .. } => Some(call_id.clone()),
            _ => None,
        })
        .unwrap();
    let Some(Event::CallEnd { summary, .. }) = events.last() else {
        panic!("the log ends with call_end: {events:?}")
    };
    let (done, of) = summary.practices_done();
    assert_eq!(
        bubble.summary,
        format!(
            "Call ended: {} cues, {done} of {of} practices",
            summary.cues()
        )
    );
    assert!(summary.cues() >= 3, "{summary:?}");
    assert!(bubble.body.contains("you talked"), "{}", bubble.body);
    assert!(!bubble.transient, "the summary stays for the click");
    assert_eq!(bubble.urgency, Some(1), "normal urgency: shown as a banner");
    assert_ne!(bubble.replaces_id, 0, "it replaces the last cue in place");
    let key = action_key(&bubble, "Open report").expect("an Open report action");
    assert_eq!(key, format!("report:{call_id}"));

    // The rep clicks "Open report" (again each second until the daemon's waiter is listening).
    let mut polls = 0;
    let clicked = wait_for(30.0, || {
        if polls % 10 == 0 {
            server.invoke(bubble.id, &key);
        }
        polls += 1;
        std::fs::read_to_string(&opened).is_ok_and(|s| !s.is_empty())
    });
    assert!(clicked, "the report was not opened:\n{}", d.stderr_text());
    let page = desk
        .rt()
        .join(format!("state/warmcall/reports/{call_id}.html"));
    let first = std::fs::read_to_string(&opened).unwrap();
    assert_eq!(first.lines().next(), Some(page.to_str().unwrap()));
    let html = std::fs::read_to_string(&page).unwrap();
    assert!(
        html.contains(&call_id) && html.contains(r#"id="timeline""#),
        "not this call's report"
    );
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(&page).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    let (status, _) = d.terminate();
    assert!(status.success());
}

/// The flags of `rule` in the daemon's logs, in order: whether each became a bubble.
fn notified(d: &Daemon, rule: &str) -> Vec<bool> {
    d.flags()
        .iter()
        .filter(|f| f.rule == rule)
        .map(|f| f.notified)
        .collect()
}

#[test]
fn mute_this_rule_lasts_across_a_restart_and_rules_unmute_undoes_it() {
    let _lock = common::whisper_lock();
    let mut desk = Desktop::new();
    desk.start_bus();
    let server = NotificationServer::start(&desk.bus_address(), false);
    let mutes = desk.rt().join("state/warmcall/mutes.toml");
    let (me, them) = short_call(&desk, 1.0);

    // First run: the rep picks "Mute this rule" on the chasing bubble.
    let d = Daemon::start(&desk, false, &[]);
    play_both(&desk, &me, &them);
    assert!(
        wait_for(DECODE_WAIT, || d.has_flag("urgency-pressure")),
        "{:?}",
        d.flags()
    );
    let bubble = server
        .shown()
        .into_iter()
        .find(|n| action_key(n, "Mute this rule").as_deref() == Some("mute:chasing"))
        .unwrap_or_else(|| {
            panic!(
                "a chasing bubble with Mute this rule: {:?}\n{:?}",
                server.shown(),
                d.events()
            )
        });
    let mut polls = 0;
    let saved = wait_for(30.0, || {
        if polls % 10 == 0 {
            server.invoke(bubble.id, "mute:chasing");
        }
        polls += 1;
        std::fs::read_to_string(&mutes).is_ok_and(|t| t.contains("[chasing]"))
    });
    assert!(saved, "the mute was not saved:\n{}", d.stderr_text());

    // Second run (its logs beside the first's): chasing is still muted; others still notify.
    let before = server.shown().len();
    let counts =
        |d: &Daemon| ["chasing", "objection", "urgency-pressure"].map(|r| notified(d, r).len());
    let [chasing0, objection0, pressure0] = counts(&d);
    let (status, _) = d.terminate();
    assert!(status.success());
    let d = Daemon::start(&desk, false, &[]);
    play_both(&desk, &me, &them);
    assert!(
        wait_for(DECODE_WAIT, || notified(&d, "urgency-pressure").len()
            > pressure0),
        "{:?}",
        d.flags()
    );
    assert_eq!(
        notified(&d, "chasing")[chasing0..],
        [false],
        "muted after the restart: {:?}",
        d.events()
    );
    assert_eq!(
        notified(&d, "objection")[objection0..],
        [true],
        "{:?}\n{}",
        d.events(),
        d.stderr_text()
    );
    assert!(
        server.shown()[before..]
            .iter()
            .all(|n| action_key(n, "Mute this rule").as_deref() != Some("mute:chasing")),
        "{:?}",
        server.shown()
    );
    let mut c = Command::new(assert_cmd::cargo::cargo_bin("warmcall"));
    c.args(["rules", "muted"]);
    desk.env(&mut c);
    let listed = String::from_utf8(c.output().unwrap().stdout).unwrap();
    assert!(
        listed.contains("chasing") && listed.contains("you unmute it"),
        "{listed}"
    );

    // `warmcall rules unmute` while it runs: the next call's chasing is a bubble again.
    let mut c = Command::new(assert_cmd::cargo::cargo_bin("warmcall"));
    c.args(["rules", "unmute", "chasing"]);
    desk.env(&mut c);
    assert!(c.status().unwrap().success());
    assert!(ctl(&desk, "end-call").0);
    play_both(&desk, &me, &them);
    assert!(
        wait_for(DECODE_WAIT, || notified(&d, "chasing").len()
            == chasing0 + 2),
        "{:?}",
        d.flags()
    );
    assert_eq!(
        notified(&d, "chasing")[chasing0..],
        [false, true],
        "{:?}\n{}",
        d.flags(),
        d.stderr_text()
    );
    let (status, _) = d.terminate();
    assert!(status.success());
}

#[test]
fn sound_server_restart_mid_call_is_survived_with_a_gap() {
    let _lock = common::whisper_lock();
    let mut desk = Desktop::new();
    let d = Daemon::start(&desk, true, &[]);
    let (me, them) = short_call(&desk, 0.5);
    play_both(&desk, &me, &them);
    assert!(
        wait_for(DECODE_WAIT, || d.has_flag("objection")),
        "{:?}",
        d.flags()
    );
    desk.kill_pulse();
    std::thread::sleep(std::time::Duration::from_secs(2));
    desk.start_pulse();
    // The daemon rebuilds its streams with backoff; then later speech is coached again.
    assert!(
        wait_for(60.0, || d
            .events()
            .iter()
            .any(|e| matches!(e, Event::Gap { .. }))),
        "no gap logged: {}",
        d.stderr_text()
    );
    let before = d.flags().iter().filter(|f| f.rule == "chasing").count();
    play_both(&desk, &me, &them);
    assert!(
        wait_for(DECODE_WAIT, || d
            .flags()
            .iter()
            .filter(|f| f.rule == "chasing")
            .count()
            > before),
        "speech after the restart was not coached: {:?}\n{}",
        d.flags(),
        d.stderr_text()
    );
    let (status, events) = d.terminate();
    assert!(status.success());
    assert!(
        matches!(events.last(), Some(Event::CallEnd { .. })),
        "SIGTERM mid-call still completes the log"
    );
    let gap = events.iter().find_map(|e| match e {
        Event::Gap(Gap {
            reason, t, until, ..
        }) => Some((reason.clone(), *t, *until)),
        _ => None,
    });
    let (reason, t, until) = gap.unwrap();
    assert!(reason.contains("capture device"), "{reason}");
    assert!(until > t);
}

/// A configured microphone removed mid-call: the sound server would quietly move the stream to
/// another source (here one that hears the prospect or nobody), so warmcall says the device is
/// gone, records nothing in the rep's name meanwhile (a gap), and hears the rep again when the
/// device is back.
#[test]
fn a_configured_microphone_removed_mid_call_is_reported_and_recorded_again_when_back() {
    let _lock = common::whisper_lock();
    let desk = Desktop::new();
    let conf = desk.rt().join("config/warmcall");
    std::fs::create_dir_all(&conf).unwrap();
    std::fs::write(conf.join("config.toml"), "[devices]\nme = \"virtmic\"\n").unwrap();
    let d = Daemon::start(&desk, true, &[]);
    let (me, them) = short_call(&desk, 0.5);
    assert!(desk.pactl_ok(&["unload-module", "module-remap-source"]));
    assert!(
        wait_for(10.0, || d
            .stderr_text()
            .contains("The configured capture device is gone")),
        "removal not reported: {}",
        d.stderr_text()
    );
    // The rep talks into the feed the removed device was made from; the prospect is heard.
    play_both(&desk, &me, &them);
    assert!(
        wait_for(DECODE_WAIT, || d.has_flag("objection")),
        "the prospect was not coached while the microphone was gone: {:?}",
        d.flags()
    );
    let rep_lines = |d: &Daemon| {
        d.transcripts()
            .iter()
            .filter(|(s, _)| *s == Speaker::Me)
            .count()
    };
    assert_eq!(rep_lines(&d), 0, "{:?}", d.transcripts());
    let rebuilt = d.stderr_text().matches("Capture stream rebuilt.").count();
    assert!(desk.pactl_ok(&[
        "load-module",
        "module-remap-source",
        "master=mic_feed.monitor",
        "source_name=virtmic",
    ]));
    assert!(
        wait_for(40.0, || d
            .stderr_text()
            .matches("Capture stream rebuilt.")
            .count()
            > rebuilt),
        "not rebuilt on the returned device: {}",
        d.stderr_text()
    );
    play_both(&desk, &me, &them);
    assert!(
        wait_for(DECODE_WAIT, || d.has_flag("chasing")),
        "the rep was not heard again: {:?}",
        d.flags()
    );
    let (status, events) = d.terminate();
    assert!(status.success());
    let gap = events.iter().find_map(|e| match e {
        Event::Gap(g) if g.speaker == Speaker::Me => Some(g.clone()),
        _ => None,
    });
    let gap = gap.expect("no gap for the rep");
    assert_eq!(gap.reason, "capture device removed");
    assert!(gap.until > gap.t);
}

#[test]
fn without_a_notification_server_flags_are_logged_and_it_is_said_once() {
    let _lock = common::whisper_lock();
    let mut desk = Desktop::new();
    desk.start_bus();
    let d = Daemon::start(&desk, false, &[]);
    let (me, them) = short_call(&desk, 1.0);
    play_both(&desk, &me, &them);
    assert!(
        wait_for(DECODE_WAIT, || d.has_flag("urgency-pressure")),
        "{:?}",
        d.flags()
    );
    let (status, events) = d.terminate();
    assert!(status.success());
    assert!(
        events
            .iter()
            .all(|e| !matches!(e, Event::Flag(f) if f.notified))
    );
    let err = std::fs::read_to_string(desk.rt().join("stderr.log")).unwrap();
    assert_eq!(
        err.matches("Cannot show desktop notifications").count(),
        1,
        "{err}"
    );
}

#[test]
fn a_notification_server_that_never_answers_does_not_hold_up_coaching() {
    let _lock = common::whisper_lock();
    let mut desk = Desktop::new();
    desk.start_bus();
    let _notes = notification_server(&desk.bus_address(), true);
    let d = Daemon::start(&desk, false, &[]);
    let (me, them) = short_call(&desk, 1.0);
    play_both(&desk, &me, &them);
    // A tight bound on purpose: a pipeline held up by the silent server would still get there
    // (the D-Bus call gives up eventually), only later.
    assert!(
        wait_for(15.0, || d.has_flag("urgency-pressure")),
        "the pipeline stalled behind the notification server: {:?}",
        d.flags()
    );
    let (_, status) = ctl(&desk, "status");
    assert!(status.contains("not answering"), "{status}");
    let (status, _) = d.terminate();
    assert!(status.success());
}

#[test]
fn an_invalid_reload_keeps_the_running_rules() {
    let _lock = common::whisper_lock();
    let desk = Desktop::new();
    let rules = desk.rt().join("config/warmcall/rules.d");
    std::fs::create_dir_all(&rules).unwrap();
    let d = Daemon::start(&desk, true, &[]);
    std::fs::write(
        rules.join("bad.toml"),
        "[[rule]]\nid = \"chasing\"\ncooldown = -5\n",
    )
    .unwrap();
    let (ok, answer) = ctl(&desk, "reload");
    assert!(!ok);
    assert!(answer.contains("bad.toml:3:12"), "{answer}");
    let (me, them) = short_call(&desk, 1.0);
    play_both(&desk, &me, &them);
    assert!(
        wait_for(DECODE_WAIT, || d.has_flag("chasing")),
        "old rules no longer in force: {:?}",
        d.flags()
    );
    // A valid change applies at once: the file watcher picks it up by itself.
    let before = d.stderr_text().matches("Config reloaded.").count();
    std::fs::write(
        rules.join("bad.toml"),
        "[[rule]]\nid = \"objection\"\nenabled = false\n",
    )
    .unwrap();
    assert!(
        wait_for(10.0, || d.stderr_text().matches("Config reloaded.").count()
            > before),
        "the watcher did not reload: {}",
        d.stderr_text()
    );
    let (ok, answer) = ctl(&desk, "reload");
    assert!(ok, "{answer}");
    let (status, _) = d.terminate();
    assert!(status.success());
}

#[test]
fn systemd_ready_watchdog_and_stopping() {
    let _lock = common::whisper_lock();
    let desk = Desktop::new();
    let sock_path = desk.rt().join("notify.sock");
    let sock = UnixDatagram::bind(&sock_path).unwrap();
    sock.set_read_timeout(Some(std::time::Duration::from_secs(20)))
        .unwrap();
    let d = Daemon::start(
        &desk,
        true,
        &[
            ("NOTIFY_SOCKET", sock_path.display().to_string()),
            ("WATCHDOG_USEC", "1000000".into()),
        ],
    );
    let mut seen = String::new();
    let mut buf = [0u8; 1024];
    while !(seen.contains("READY=1") && seen.contains("WATCHDOG=1")) {
        let n = sock.recv(&mut buf).expect("sd_notify messages");
        seen.push_str(&String::from_utf8_lossy(&buf[..n]));
        seen.push('\n');
    }
    let (status, _) = d.terminate();
    assert!(status.success());
    loop {
        let n = sock.recv(&mut buf).expect("STOPPING=1 after SIGTERM");
        if String::from_utf8_lossy(&buf[..n]).contains("STOPPING=1") {
            break;
        }
    }
}

#[test]
fn devices_lists_monitors_and_defaults_with_config_lines() {
    let _one_desktop = common::whisper_lock();
    let desk = Desktop::new();
    let mut c = Command::new(assert_cmd::cargo::cargo_bin("warmcall"));
    c.arg("devices");
    desk.env(&mut c);
    let out = c.output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}");
    assert!(
        text.contains("call_out.monitor") && text.contains("[monitor, default output's monitor]"),
        "{text}"
    );
    assert!(
        text.contains("virtmic") && text.contains("default microphone"),
        "{text}"
    );
    assert!(
        text.contains("[devices]") && text.contains("them = \""),
        "{text}"
    );
}

/// A cue in the first seconds of a long phrase reaches the desktop while the rep is still
/// talking: the phrase is decoded every second as it is spoken (partials).
#[test]
fn a_cue_early_in_a_long_phrase_is_notified_while_the_rep_still_talks() {
    let _lock = common::whisper_lock();
    let mut desk = Desktop::new();
    desk.start_bus();
    let notes = notification_server(&desk.bus_address(), false);
    let d = Daemon::start(&desk, false, &[]);
    let dir = desk.rt().join("long");
    std::fs::create_dir_all(&dir).unwrap();
    let script =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/long-phrase.txt");
    let (wav, truth) = common::synth_call(&script, &dir);
    let lead = 0.5;
    let (me, _) = common::desktop::split_call(&wav, lead);
    let started = std::time::Instant::now();
    let mut player = desk.play("mic_feed", &me);
    let line_end = lead + truth[0].end;
    assert!(
        wait_for(line_end + 10.0, || notes
            .lock()
            .unwrap()
            .iter()
            .any(|n| n.summary == "Chasing")),
        "no Chasing bubble: {:?}\n{}",
        d.flags(),
        d.stderr_text()
    );
    let shown = notes.lock().unwrap()[0].at.duration_since(started);
    player.wait().unwrap();
    assert!(
        shown.as_secs_f64() < line_end,
        "the bubble came {:.2} s into playback, the phrase ended at {line_end:.2} s",
        shown.as_secs_f64()
    );
    assert!(wait_for(DECODE_WAIT, || d
        .events()
        .iter()
        .any(|e| matches!(e, Event::Transcript(t) if t.is_final))));
    let (ok, _) = ctl(&desk, "end-call");
    assert!(ok);
    let (status, events) = d.terminate();
    assert!(status.success());
    // In the call log: the partial that raised the flag, the flag, then the final, and the
    // rule raised once.
    let at = events
        .iter()
        .position(|e| matches!(e, Event::Flag(f) if f.rule == "chasing"))
        .expect("the chasing flag is logged");
    assert!(
        matches!(&events[at - 1], Event::Transcript(t) if !t.is_final),
        "{:?}",
        events[at - 1]
    );
    assert!(
        events[at..]
            .iter()
            .any(|e| matches!(e, Event::Transcript(t) if t.is_final && t.speaker == Speaker::Me))
    );
    let chasing = events
        .iter()
        .filter(|e| matches!(e, Event::Flag(f) if f.rule == "chasing"))
        .count();
    assert_eq!(chasing, 1, "{events:?}");
}

/// Recognition starved of CPU (its thread put on SCHED_IDLE while two busy processes take
/// both cores, as a loaded laptop starves a background decoder) falls behind; speech that
/// waited too long is skipped with a gap that says so instead of coached late, the timing
/// rules still hear it, and once the CPU is back later speech is coached again.
#[test]
fn starved_recognition_skips_speech_that_waited_too_long_and_recovers() {
    let _lock = common::whisper_lock();
    let desk = Desktop::new();
    let d = Daemon::start(&desk, true, &[]);
    let (me, them) = short_call(&desk, 0.5);
    // The recogniser's thread is named; it only runs on a core nothing else wants.
    let pid = d.child.id();
    let asr = std::fs::read_dir(format!("/proc/{pid}/task"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|t| std::fs::read_to_string(t.join("comm")).is_ok_and(|c| c.trim() == "warmcall-asr"))
        .expect("the warmcall-asr thread");
    let tid = asr.file_name().unwrap().to_string_lossy().to_string();
    let idle = Command::new("chrt")
        .args(["--idle", "-p", "0", &tid])
        .status()
        .expect("chrt (util-linux)");
    assert!(idle.success());
    let load = common::measure::Load::start(2);
    play_both(&desk, &me, &them);
    play_both(&desk, &me, &them);
    std::thread::sleep(std::time::Duration::from_secs(6));
    drop(load);
    let stale = |events: &[Event]| {
        events.iter().any(|e| {
            matches!(e, Event::Gap(g) if g.reason == warmcall::pipeline::asr_worker::STALE_REASON)
        })
    };
    assert!(
        wait_for(DECODE_WAIT, || stale(&d.events())),
        "no phrase was skipped: {:?}\n{}",
        d.events(),
        d.stderr_text()
    );
    assert!(
        d.stderr_text().contains("Recognition fell behind"),
        "{}",
        d.stderr_text()
    );
    let (ok, status) = ctl(&desk, "status");
    assert!(ok, "{status}");
    assert!(status.contains("recognition_behind_seconds"), "{status}");
    // The CPU is back: the next speech is coached.
    let before = d
        .flags()
        .iter()
        .filter(|f| f.rule == "urgency-pressure")
        .count();
    play_both(&desk, &me, &them);
    assert!(
        wait_for(DECODE_WAIT, || d
            .flags()
            .iter()
            .filter(|f| f.rule == "urgency-pressure")
            .count()
            > before),
        "speech after the starving was not coached: {:?}\n{}",
        d.flags(),
        d.stderr_text()
    );
    let (status, events) = d.terminate();
    assert!(status.success());
    // The skipped speech still counted for the timing rules: its speech lines are there.
    let gap = events
        .iter()
        .find_map(|e| match e {
            Event::Gap(g) if g.reason == warmcall::pipeline::asr_worker::STALE_REASON => Some(g),
            _ => None,
        })
        .unwrap();
    assert!(
        events.iter().any(|e| matches!(e,
            Event::Speech { speaker, start, end, .. }
                if *speaker == gap.speaker && *start < gap.until && *end > gap.t)),
        "no speech line under the skipped phrase {gap:?}"
    );
    assert!(matches!(events.last(), Some(Event::CallEnd { .. })));
}
