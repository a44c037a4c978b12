//! The control socket server: 0600 in a 0700 directory, and a connection whose peer
//! (SO_PEERCRED) is not the daemon's own user is closed unanswered, so only the owning user can
//! control it. Each command goes on as a `Request`; the answer goes back on the connection.

use std::io::{BufRead, BufReader, Read as _, Write};
use std::os::unix::fs::PermissionsExt;
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::Duration;

use crossbeam_channel::{Sender, bounded};

use super::{Command, Request};

/// A bound control socket and its thread, `warmcall-control`.
pub struct Server {
    path: PathBuf,
    stop: Arc<AtomicBool>,
    thread: JoinHandle<()>,
}

impl Server {
    /// Bind `path` (replacing a stale socket, refusing one another warmcall answers on) and
    /// serve commands on a thread, each sent on `to` as a `Request`.
    pub fn start<M: From<Request> + Send + 'static>(
        path: &Path,
        to: Sender<M>,
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
                .spawn(move || {
                    for conn in listener.incoming() {
                        if stop.load(Ordering::Acquire) {
                            break;
                        }
                        let Ok(stream) = conn else { continue };
                        if !same_user(&stream) {
                            tracing::warn!("Refused a control connection from another user.");
                            continue;
                        }
                        let _ = handle(stream, &to);
                    }
                })?
        };
        Ok(Self {
            path: path.to_path_buf(),
            stop,
            thread,
        })
    }

    /// Stop serving, join the thread and remove the socket.
    pub fn shutdown(self) {
        self.stop.store(true, Ordering::Release);
        // Wake the accept call.
        let _ = UnixStream::connect(&self.path);
        let _ = self.thread.join();
        let _ = std::fs::remove_file(&self.path);
    }
}

/// The peer runs as this process's user (root is not let in either: the daemon is per-user).
fn same_user(stream: &UnixStream) -> bool {
    rustix::net::sockopt::socket_peercred(stream)
        .is_ok_and(|cred| cred.uid == rustix::process::getuid())
}

fn handle<M: From<Request>>(stream: UnixStream, to: &Sender<M>) -> std::io::Result<()> {
    stream.set_read_timeout(Some(Duration::from_secs(2)))?;
    let mut line = String::new();
    BufReader::new(&stream).take(256).read_line(&mut line)?;
    let answer = match Command::parse(&line) {
        None => {
            serde_json::json!({"ok": false, "error": format!("unknown command {:?}", line.trim())})
                .to_string()
        }
        Some(cmd) => {
            let (reply, rx) = bounded(1);
            if to.send(M::from(Request { cmd, reply })).is_err() {
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
