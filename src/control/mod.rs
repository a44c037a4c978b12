//! The control protocol of the running daemon, and its client: one command per connection to
//! `$XDG_RUNTIME_DIR/warmcall/control.sock`, one line each way: `status`, `pause`, `resume`,
//! `end-call` or `reload` in, a JSON object out. `server` serves the socket.

pub mod server;

use std::io::{BufRead, BufReader, Write};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::time::Duration;

use crossbeam_channel::Sender;
use serde::{Deserialize, Serialize};

/// A command for the running daemon (also the `warmcall ctl` subcommands).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::Subcommand)]
pub enum Command {
    Status,
    Pause,
    Resume,
    EndCall,
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
}

/// Default socket path.
pub fn socket_path() -> Option<PathBuf> {
    crate::paths::runtime_dir().map(|d| d.join("control.sock"))
}

/// Send one command to a running daemon and return its answer line.
pub fn request(path: &Path, cmd: Command) -> std::io::Result<String> {
    let mut stream = UnixStream::connect(path)?;
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    stream.write_all(format!("{}\n", cmd.as_str()).as_bytes())?;
    let mut line = String::new();
    BufReader::new(&stream).read_line(&mut line)?;
    Ok(line.trim_end().to_string())
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
}
