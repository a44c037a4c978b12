//! The control protocol of the running daemon, and its client: one command per connection to
//! `$XDG_RUNTIME_DIR/warmcall/control.sock`, one line each way: `status`, `pause`, `resume`,
//! `end-call` or `reload` in, a JSON object out (`"ok": false` with an `"error"` when it was
//! not carried out, and `"busy": true` when the daemon could not take it on). `server` serves
//! the socket.
//!
//! Every read has a deadline for the whole line, on both sides: a peer that trickles bytes or
//! says nothing cannot hold the other end longer than that.

pub mod server;

use std::io::{self, Read, Write};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crossbeam_channel::Sender;
use serde::{Deserialize, Serialize};

/// A command for the running daemon (also the `warmcall ctl` subcommands).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::Subcommand)]
pub enum Command {
    /// Show the daemon's state: current call, devices, model, last flags, dropped audio.
    Status,
    /// End the current call and stop listening until `resume`.
    Pause,
    /// Start listening again after `pause`.
    Resume,
    /// End the current call now (its log gets its summary) instead of waiting for silence.
    EndCall,
    /// Re-read the config file and rules.d, as on SIGHUP.
    Reload,
}

impl Command {
    pub fn parse(word: &str) -> Option<Self> {
        Some(match word.trim() {
            "status" => Self::Status,
            "pause" => Self::Pause,
            "resume" => Self::Resume,
            "end-call" => Self::EndCall,
            "reload" => Self::Reload,
            _ => return None,
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Status => "status",
            Self::Pause => "pause",
            Self::Resume => "resume",
            Self::EndCall => "end-call",
            Self::Reload => "reload",
        }
    }
}

/// A command on its way to whoever carries it out, with where the JSON answer goes.
#[derive(Debug)]
pub struct Request {
    pub cmd: Command,
    pub reply: Sender<String>,
}

/// A recent flag, without its words.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StatusFlag {
    pub rule: String,
    pub t: f64,
    pub notified: bool,
}

/// What `warmcall ctl status` shows. Holds no transcript text. Fields may be added, never
/// renamed or removed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Status {
    pub state: String,
    pub call_id: Option<String>,
    pub call_seconds: Option<f64>,
    pub source: String,
    pub devices: Vec<String>,
    pub model: String,
    pub last_flags: Vec<StatusFlag>,
    pub phrases: u64,
    pub gaps: u64,
    pub dropped_samples: u64,
    /// Capture overruns and device changes the sound server reported.
    #[serde(default)]
    pub xruns: u64,
    /// Wall-clock seconds since capture started.
    pub capture_seconds: f64,
    /// Seconds of audio read per speaker. With live capture each stays within the capture
    /// buffer (0.1 s) of `capture_seconds`; one further behind lost audio before it reached
    /// warmcall (or its device's clock runs slow).
    pub audio_seconds: std::collections::BTreeMap<crate::event::Speaker, f64>,
    pub notifications_shown: u64,
    pub notifications_skipped: u64,
    pub notification_server: String,
    /// How far behind recognition is: how long the phrase it took last had waited for its
    /// turn (seconds). With live audio a phrase that waited over 5 s is skipped with a gap.
    #[serde(default)]
    pub recognition_behind_seconds: f64,
}

/// Default socket path.
pub fn socket_path() -> Option<PathBuf> {
    crate::paths::runtime_dir().map(|d| d.join("control.sock"))
}

/// How long `request` waits for its answer, all told: longer than the server's own deadlines
/// (`server::Limits`: 2 s for the command, 5 s for the daemon's answer).
pub const REQUEST_DEADLINE: Duration = Duration::from_secs(10);

/// The longest answer line a client reads.
const MAX_ANSWER: usize = 1 << 16;

/// Why a command got no answer.
#[derive(Debug, thiserror::Error)]
pub enum RequestError {
    /// Nothing listens at the socket.
    #[error("no warmcall daemon answers at {} ({source}); is it running?", path.display())]
    NotRunning { path: PathBuf, source: io::Error },
    /// A daemon took the connection, but no answer came.
    #[error(
        "the warmcall daemon at {} is busy: it took the connection but gave no answer ({source}); try again",
        path.display()
    )]
    Busy { path: PathBuf, source: io::Error },
}

/// Send one command to a running daemon and return its answer line, within
/// `REQUEST_DEADLINE`.
pub fn request(path: &Path, cmd: Command) -> Result<String, RequestError> {
    let deadline = Instant::now() + REQUEST_DEADLINE;
    let stream = UnixStream::connect(path).map_err(|source| RequestError::NotRunning {
        path: path.to_path_buf(),
        source,
    })?;
    let busy = |source| RequestError::Busy {
        path: path.to_path_buf(),
        source,
    };
    stream
        .set_write_timeout(Some(REQUEST_DEADLINE))
        .map_err(busy)?;
    (&stream)
        .write_all(format!("{}\n", cmd.as_str()).as_bytes())
        .map_err(busy)?;
    read_line_by(&stream, deadline, MAX_ANSWER).map_err(busy)
}

/// An answer as the client reads it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Reply {
    /// The command was carried out.
    pub ok: bool,
    /// The daemon could not take it on (too many clients, or it did not answer in time).
    pub busy: bool,
}

impl Reply {
    /// Read an answer line; one that is not a JSON object with `"ok": false` counts as done.
    pub fn parse(line: &str) -> Self {
        let v = serde_json::from_str::<serde_json::Value>(line).ok();
        let flag = |name| v.as_ref().and_then(|v| v.get(name)?.as_bool());
        Self {
            ok: flag("ok").unwrap_or(true),
            busy: flag("busy").unwrap_or(false),
        }
    }
}

/// Read one line (without its newline) from `stream`, at most `max` bytes, finished by
/// `deadline` however the bytes trickle in. What follows the newline is ignored.
pub(crate) fn read_line_by(
    mut stream: &UnixStream,
    deadline: Instant,
    max: usize,
) -> io::Result<String> {
    let mut line = Vec::new();
    let mut chunk = [0u8; 512];
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(io::Error::new(
                io::ErrorKind::TimedOut,
                "no complete line in time",
            ));
        }
        stream.set_read_timeout(Some(left))?;
        let n = match stream.read(&mut chunk) {
            Ok(n) => n,
            Err(e) if is_retry(&e) => continue,
            Err(e) => return Err(e),
        };
        if n == 0 {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "the connection closed before a complete line",
            ));
        }
        line.extend_from_slice(&chunk[..n]);
        if let Some(end) = line.iter().position(|&b| b == b'\n') {
            line.truncate(end);
            return String::from_utf8(line)
                .map_err(|_| io::Error::new(io::ErrorKind::InvalidData, "not UTF-8"));
        }
        if line.len() > max {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!("a line longer than {max} bytes"),
            ));
        }
    }
}

/// A read that timed out (the deadline is checked again) or was interrupted.
fn is_retry(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut | io::ErrorKind::Interrupted
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_round_trip_through_their_words() {
        for cmd in [
            Command::Status,
            Command::Pause,
            Command::Resume,
            Command::EndCall,
            Command::Reload,
        ] {
            assert_eq!(Command::parse(&format!(" {}\n", cmd.as_str())), Some(cmd));
        }
        assert_eq!(Command::parse("stop"), None);
    }

    #[test]
    fn replies_say_whether_done_and_whether_busy() {
        let r = Reply::parse(r#"{"ok":false,"busy":true,"error":"x"}"#);
        assert_eq!((r.ok, r.busy), (false, true));
        let r = Reply::parse(r#"{"ok":false,"error":"x"}"#);
        assert_eq!((r.ok, r.busy), (false, false));
        let r = Reply::parse(r#"{"state":"listening"}"#);
        assert_eq!((r.ok, r.busy), (true, false));
        assert!(Reply::parse("not json").ok);
    }

    #[test]
    fn a_line_is_read_whole_within_its_deadline_however_it_arrives() {
        let (a, mut b) = UnixStream::pair().unwrap();
        b.write_all(b"sta").unwrap();
        b.write_all(b"tus\nrest").unwrap();
        let deadline = Instant::now() + Duration::from_secs(60);
        assert_eq!(read_line_by(&a, deadline, 256).unwrap(), "status");
        // Nothing more comes: the deadline ends the read.
        let (a, mut b) = UnixStream::pair().unwrap();
        b.write_all(b"sta").unwrap();
        let e = read_line_by(&a, Instant::now(), 256).unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::TimedOut);
        // Too long, or closed early.
        b.write_all(&[b'x'; 600]).unwrap();
        let e = read_line_by(&a, deadline, 256).unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::InvalidData);
        let (a, b) = UnixStream::pair().unwrap();
        drop(b);
        let e = read_line_by(&a, deadline, 256).unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::UnexpectedEof);
    }
}
