//! The control socket: `$XDG_RUNTIME_DIR/warmcall/control.sock`, 0600 in a 0700 directory, and
//! a connection whose peer (SO_PEERCRED) is not the daemon's own user is closed unanswered, so
//! only the owning user can control it. One command per connection, one line each way:
//! `status`, `pause`, `resume`, `end-call`, `reload` in; a JSON object out.

use std::io::{BufRead, BufReader, Read as _, Write};
use std::os::unix::fs::PermissionsExt;
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};
use std::time::Duration;

use crossbeam_channel::{Sender, bounded};
use serde::{Deserialize, Serialize};

use super::Msg;

/// A command for the running daemon.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
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

/// A recent flag, without its words.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StatusFlag {
    pub rule: String,
    pub t: f64,
    pub notified: bool,
}

/// What `warmcall ctl status` shows. Holds no transcript text.
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

/// Bind the socket (replacing a stale one) and serve commands on a thread until the process
/// ends. Commands go to the hub as `Msg::Control`.
pub fn serve(path: &Path, hub: Sender<Msg>) -> std::io::Result<()> {
    if let Some(dir) = path.parent() {
        crate::sink::calllog::private_dir(dir)?;
    }
    if path.exists() {
        if UnixStream::connect(path).is_ok() {
            return Err(std::io::Error::new(
                std::io::ErrorKind::AddrInUse,
                format!("another warmcall is running ({} answers)", path.display()),
            ));
        }
        std::fs::remove_file(path)?;
    }
    let listener = UnixListener::bind(path)?;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))?;
    std::thread::Builder::new()
        .name("warmcall-control".into())
        .spawn(move || {
            for conn in listener.incoming() {
                let Ok(stream) = conn else { continue };
                if !same_user(&stream) {
                    tracing::warn!("Refused a control connection from another user.");
                    continue;
                }
                let _ = handle(stream, &hub);
            }
        })?;
    Ok(())
}

/// The peer runs as this process's user (root is not let in either: the daemon is per-user).
fn same_user(stream: &UnixStream) -> bool {
    rustix::net::sockopt::socket_peercred(stream)
        .is_ok_and(|cred| cred.uid == rustix::process::getuid())
}

fn handle(stream: UnixStream, hub: &Sender<Msg>) -> std::io::Result<()> {
    stream.set_read_timeout(Some(Duration::from_secs(2)))?;
    let mut line = String::new();
    BufReader::new(&stream).take(256).read_line(&mut line)?;
    let answer = match Command::parse(&line) {
        None => {
            serde_json::json!({"ok": false, "error": format!("unknown command {:?}", line.trim())})
                .to_string()
        }
        Some(cmd) => {
            let (tx, rx) = bounded(1);
            if hub.send(Msg::Control { cmd, reply: tx }).is_err() {
                r#"{"ok":false,"error":"the daemon is shutting down"}"#.to_string()
            } else {
                rx.recv_timeout(Duration::from_secs(5)).unwrap_or_else(|_| {
                    r#"{"ok":false,"error":"the daemon did not answer"}"#.to_string()
                })
            }
        }
    };
    let mut w = &stream;
    w.write_all(answer.as_bytes())?;
    w.write_all(b"\n")
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
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn own_user_is_let_in() {
        let (a, _b) = UnixStream::pair().unwrap();
        assert!(same_user(&a));
    }

    /// Another user reaching the socket (here through a deliberately open directory) is
    /// refused. Needs root to act as another user; skipped otherwise.
    #[test]
    fn other_user_is_refused() {
        if !rustix::process::getuid().is_root() || !Path::new("/usr/bin/python3").exists() {
            eprintln!("skipped: needs root and /usr/bin/python3");
            return;
        }
        let dir = tempfile::tempdir().unwrap();
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o777)).unwrap();
        let path = dir.path().join("open.sock");
        let listener = UnixListener::bind(&path).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o777)).unwrap();
        let mut child = std::process::Command::new("setpriv")
            .args(["--reuid=65534", "--regid=65534", "--clear-groups"])
            .args(["/usr/bin/python3", "-c"])
            .arg("import socket,sys,time; s=socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); time.sleep(1)")
            .arg(&path)
            .spawn()
            .unwrap();
        let (stream, _) = listener.accept().unwrap();
        assert!(!same_user(&stream));
        child.wait().unwrap();
    }
}
