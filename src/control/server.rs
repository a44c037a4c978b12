//! The control socket server: 0600 in a 0700 directory, and a connection whose peer
//! (SO_PEERCRED) is not the daemon's own user is closed unanswered, so only the owning user can
//! control it. Each command goes on as a `Request`; the answer goes back on the connection.
//!
//! One client cannot hold up another: each connection is served on a thread of its own (at
//! most `Limits::connections` at once; one more is answered "busy" straight away), has
//! `Limits::read` for its whole command line however the bytes trickle in, and is answered
//! "busy" if the daemon gives no answer within `Limits::answer`.

use std::io::{Read as _, Write};
use std::os::unix::fs::PermissionsExt;
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crossbeam_channel::{Sender, bounded};

use super::{Command, Request, read_line_by};

/// The longest command line read.
const MAX_REQUEST: usize = 256;

/// How long writing an answer may take (a client that does not read is not waited for).
const WRITE_TIMEOUT: Duration = Duration::from_secs(1);

/// What the socket allows each client.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// The whole time a client has to send its command line.
    pub read: Duration,
    /// How long the daemon's answer is waited for before the client is told it is busy.
    pub answer: Duration,
    /// Connections served at once.
    pub connections: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            read: Duration::from_secs(2),
            answer: Duration::from_secs(5),
            connections: 16,
        }
    }
}

/// A bound control socket and its thread, `warmcall-control`.
pub struct Server {
    path: PathBuf,
    stop: Arc<AtomicBool>,
    thread: JoinHandle<()>,
}

impl Server {
    /// Bind `path` (replacing a stale socket, refusing one another warmcall answers on) and
    /// serve commands, each sent on `to` as a `Request`, with the default `Limits`.
    pub fn start<M: From<Request> + Send + 'static>(
        path: &Path,
        to: Sender<M>,
    ) -> std::io::Result<Self> {
        Self::start_with(path, to, Limits::default())
    }

    /// `start` with other limits.
    pub fn start_with<M: From<Request> + Send + 'static>(
        path: &Path,
        to: Sender<M>,
        limits: Limits,
    ) -> std::io::Result<Self> {
        if let Some(dir) = path.parent() {
            crate::paths::private_dir(dir)?;
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
        let stop = Arc::new(AtomicBool::new(false));
        let thread = {
            let stop = stop.clone();
            std::thread::Builder::new()
                .name("warmcall-control".into())
                .spawn(move || accept(&listener, &to, &stop, limits))?
        };
        Ok(Self {
            path: path.to_path_buf(),
            stop,
            thread,
        })
    }

    /// Stop serving, join the threads (each connection ends by its deadlines) and remove the
    /// socket.
    pub fn shutdown(self) {
        self.stop.store(true, Ordering::Release);
        // Wake the accept call.
        let _ = UnixStream::connect(&self.path);
        let _ = self.thread.join();
        let _ = std::fs::remove_file(&self.path);
    }
}

/// Accept connections until `stop`, each served on its own thread.
fn accept<M: From<Request> + Send + 'static>(
    listener: &UnixListener,
    to: &Sender<M>,
    stop: &AtomicBool,
    limits: Limits,
) {
    let mut serving: Vec<JoinHandle<()>> = Vec::new();
    for conn in listener.incoming() {
        if stop.load(Ordering::Acquire) {
            break;
        }
        let Ok(stream) = conn else { continue };
        if !same_user(&stream) {
            tracing::warn!("Refused a control connection from another user.");
            continue;
        }
        let (done, running): (Vec<_>, Vec<_>) =
            serving.into_iter().partition(JoinHandle::is_finished);
        serving = running;
        for t in done {
            let _ = t.join();
        }
        if serving.len() >= limits.connections {
            refuse_busy(stream, serving.len());
            continue;
        }
        let to = to.clone();
        let spawned = std::thread::Builder::new()
            .name("warmcall-control-conn".into())
            .stack_size(256 << 10)
            .spawn(move || {
                let _ = serve(stream, &to, limits);
            });
        match spawned {
            Ok(t) => serving.push(t),
            Err(e) => tracing::warn!(error = %e, "Cannot serve a control connection."),
        }
    }
    for t in serving {
        let _ = t.join();
    }
}

/// An answer that says the command was not carried out, and why.
fn error_answer(error: &str, busy: bool) -> String {
    if busy {
        serde_json::json!({"ok": false, "busy": true, "error": error}).to_string()
    } else {
        serde_json::json!({"ok": false, "error": error}).to_string()
    }
}

/// Tell a client the socket serves as many as it can, without reading or waiting.
fn refuse_busy(stream: UnixStream, serving: usize) {
    let answer = error_answer(
        &format!("the daemon is busy: it is serving {serving} other control connections"),
        true,
    );
    let _ = stream.set_nonblocking(true);
    let mut w = &stream;
    let _ = w.write_all(format!("{answer}\n").as_bytes());
    // Take what the client already sent, so closing does not reset the connection before it
    // has read the answer.
    let mut sink = [0u8; MAX_REQUEST];
    while matches!((&stream).read(&mut sink), Ok(n) if n > 0) {}
}

/// Serve one connection: read its command within `limits.read`, pass it on, write the answer
/// (the socket's threads run this; the fuzz target calls it directly).
pub fn serve<M: From<Request>>(
    stream: UnixStream,
    to: &Sender<M>,
    limits: Limits,
) -> std::io::Result<()> {
    let line = read_line_by(&stream, Instant::now() + limits.read, MAX_REQUEST);
    let answer = match line {
        Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => return Ok(()),
        Err(e) => error_answer(&format!("no command read: {e}"), false),
        Ok(line) => match Command::parse(&line) {
            None => error_answer(&format!("unknown command {:?}", line.trim()), false),
            Some(cmd) => ask(cmd, to, limits.answer),
        },
    };
    stream.set_write_timeout(Some(WRITE_TIMEOUT))?;
    let mut w = &stream;
    w.write_all(format!("{answer}\n").as_bytes())
}

/// Pass `cmd` to the daemon and wait for its answer.
fn ask<M: From<Request>>(cmd: Command, to: &Sender<M>, wait: Duration) -> String {
    let deadline = Instant::now() + wait;
    let (reply, rx) = bounded(1);
    match to.send_deadline(M::from(Request { cmd, reply }), deadline) {
        Err(crossbeam_channel::SendTimeoutError::Disconnected(_)) => {
            return error_answer("the daemon is shutting down", false);
        }
        Err(crossbeam_channel::SendTimeoutError::Timeout(_)) | Ok(()) => {}
    }
    rx.recv_deadline(deadline).unwrap_or_else(|_| {
        error_answer(
            &format!(
                "the daemon is busy: it did not answer `{}` within {} s",
                cmd.as_str(),
                wait.as_secs_f64()
            ),
            true,
        )
    })
}

/// The peer runs as this process's user (root is not let in either: the daemon is per-user).
fn same_user(stream: &UnixStream) -> bool {
    rustix::net::sockopt::socket_peercred(stream)
        .is_ok_and(|cred| cred.uid == rustix::process::getuid())
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

    #[test]
    fn commands_are_answered_and_shutdown_removes_the_socket() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("rt/control.sock");
        let (tx, rx) = bounded::<Request>(4);
        let server = Server::start(&path, tx).unwrap();
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&path), 0o600);
        assert_eq!(mode(path.parent().unwrap()), 0o700);
        let answering = std::thread::spawn(move || {
            let req = rx.recv().unwrap();
            req.reply
                .send(format!("{{\"got\":\"{}\"}}", req.cmd.as_str()))
                .unwrap();
        });
        assert_eq!(
            super::super::request(&path, Command::EndCall).unwrap(),
            r#"{"got":"end-call"}"#
        );
        answering.join().unwrap();
        assert!(
            Server::start(&path, bounded::<Request>(1).0).is_err(),
            "a second daemon is refused"
        );
        server.shutdown();
        assert!(!path.exists());
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
