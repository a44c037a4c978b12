//! The connection to the sound server (PulseAudio, or PipeWire through pipewire-pulse) that
//! capture goes through, made where libpulse makes it (`pulse_env`), and the reason in plain
//! words when it cannot be made: a server that refuses warmcall (usually the wrong cookie) or
//! no server at all. There is no silent fallback to raw ALSA devices: on a desktop those are
//! the sound server's own plugins, and a missing server is what the user needs to hear about.

use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::time::Duration;

use super::pulse_env::{self, Env};

/// How long the server may take to answer the handshake.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(2);

/// Why there is no connection to the sound server.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ServerError {
    /// Nothing answers at the socket (none there, or a stale one).
    #[error("no PulseAudio or PipeWire server is reachable at {at} ({detail}); is it running?")]
    Unreachable { at: String, detail: String },
    /// The server answered and turned warmcall away.
    #[error("the sound server at {at} refused the connection: {detail}; check {hint}")]
    Refused {
        at: String,
        detail: String,
        hint: String,
    },
    /// A server warmcall cannot use (not local, not speaking the protocol, not answering).
    #[error("cannot use the sound server at {at}: {detail}")]
    Unusable { at: String, detail: String },
}

/// The cookie warmcall offered, for the hint of a refusal.
fn cookie_hint(cookie: Option<&Path>, candidates: &[PathBuf]) -> String {
    let looked: Vec<String> = candidates.iter().map(|p| p.display().to_string()).collect();
    match cookie {
        Some(p) => format!(
            "that the cookie {} is this server's (searched like libpulse: $PULSE_COOKIE, \
             client.conf's cookie-file, $XDG_CONFIG_HOME/pulse/cookie, ~/.pulse-cookie), and \
             that the server lets this user in",
            p.display()
        ),
        None => format!(
            "that this user can read the server's cookie: none found in {}",
            looked.join(", ")
        ),
    }
}

fn display(p: &Path) -> String {
    p.display().to_string()
}

/// Why a connect to `path` failed, as an error.
fn connect_error(path: &Path, e: &std::io::Error) -> ServerError {
    use std::io::ErrorKind as K;
    let at = display(path);
    match e.kind() {
        K::NotFound => ServerError::Unreachable {
            at,
            detail: "no socket there".into(),
        },
        K::ConnectionRefused => ServerError::Unreachable {
            at,
            detail: "the socket is there but no server listens on it".into(),
        },
        K::PermissionDenied => ServerError::Refused {
            at,
            detail: "permission denied on the socket".into(),
            hint: "that the server runs as this user".into(),
        },
        _ => ServerError::Unusable {
            at,
            detail: e.to_string(),
        },
    }
}

/// Why the handshake on `path` failed, as an error.
fn handshake_error(path: &Path, e: pulseaudio::ClientError, hint: String) -> ServerError {
    use pulseaudio::ClientError as C;
    use pulseaudio::protocol::{ProtocolError as P, PulseError};
    let at = display(path);
    match e {
        C::ServerError(err @ (PulseError::AccessDenied | PulseError::AuthKey))
        | C::Protocol(P::ServerError(err @ (PulseError::AccessDenied | PulseError::AuthKey))) => {
            let detail = if err == PulseError::AccessDenied {
                "access denied".into()
            } else {
                "it wants an authentication key".into()
            };
            ServerError::Refused { at, detail, hint }
        }
        C::Io(e) | C::Protocol(P::Io(e))
            if matches!(
                e.kind(),
                std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
            ) =>
        {
            ServerError::Unusable {
                at,
                detail: format!("it did not answer within {} s", HANDSHAKE_TIMEOUT.as_secs()),
            }
        }
        C::Io(e) | C::Protocol(P::Io(e)) => ServerError::Refused {
            at,
            detail: if e.kind() == std::io::ErrorKind::UnexpectedEof {
                "it closed the connection during the handshake".into()
            } else {
                format!("the handshake failed ({e})")
            },
            hint,
        },
        other => ServerError::Unusable {
            at,
            detail: other.to_string(),
        },
    }
}

/// Connect to the sound server with libpulse's socket and cookie.
pub fn connect_client() -> Result<pulseaudio::Client, ServerError> {
    let env = Env::process();
    let read = |p: &Path| std::fs::read_to_string(p).ok();
    let (sockets, _) = env.sockets(&read).map_err(|detail| ServerError::Unusable {
        at: "PULSE_SERVER".into(),
        detail,
    })?;
    let candidates = env.cookie_candidates(&read);
    let cookie = pulse_env::load_cookie(&candidates);
    let mut first_error = None;
    for path in &sockets {
        let socket = match UnixStream::connect(path) {
            Ok(s) => s,
            Err(e) => {
                first_error.get_or_insert_with(|| connect_error(path, &e));
                continue;
            }
        };
        let hint = cookie_hint(cookie.as_ref().map(|(p, _)| p.as_path()), &candidates);
        socket
            .set_read_timeout(Some(HANDSHAKE_TIMEOUT))
            .and_then(|()| socket.set_write_timeout(Some(HANDSHAKE_TIMEOUT)))
            .map_err(|e| connect_error(path, &e))?;
        let name = c"warmcall";
        let client = pulseaudio::Client::new_unix(name, socket, cookie.as_ref().map(|(_, c)| c))
            .map_err(|e| handshake_error(path, e, hint))?;
        tracing::debug!(socket = %path.display(), cookie = ?cookie.as_ref().map(|(p, _)| p), "Connected to the sound server.");
        return Ok(client);
    }
    Err(first_error.unwrap_or_else(|| ServerError::Unreachable {
        at: "(no socket: XDG_RUNTIME_DIR is not set)".into(),
        detail: "nowhere to look".into(),
    }))
}

/// The audio host on a fresh connection to the sound server.
pub fn connect() -> Result<cpal::Host, ServerError> {
    connect_client().map(host_of)
}

/// The audio host on `client` (a handle to the same connection).
pub fn host_of(client: pulseaudio::Client) -> cpal::Host {
    cpal::platform::PulseAudioHost::from_client(client).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_say_what_is_wrong_and_what_to_do() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("native");
        let e = UnixStream::connect(&missing).unwrap_err();
        let msg = connect_error(&missing, &e).to_string();
        assert!(
            msg.starts_with("no PulseAudio or PipeWire server is reachable at ")
                && msg.ends_with("; is it running?"),
            "{msg}"
        );
        // A stale socket: bound, then its listener gone.
        let stale = dir.path().join("stale");
        drop(std::os::unix::net::UnixListener::bind(&stale).unwrap());
        let e = UnixStream::connect(&stale).unwrap_err();
        assert!(matches!(
            connect_error(&stale, &e),
            ServerError::Unreachable { .. }
        ));
        let refused = handshake_error(
            &missing,
            pulseaudio::ClientError::Protocol(pulseaudio::protocol::ProtocolError::ServerError(
                pulseaudio::protocol::PulseError::AccessDenied,
            )),
            cookie_hint(Some(Path::new("/c/cookie")), &[]),
        )
        .to_string();
        assert!(
            refused
                .contains("refused the connection: access denied; check that the cookie /c/cookie"),
            "{refused}"
        );
        let hint = cookie_hint(None, &[PathBuf::from("/a"), PathBuf::from("/b")]);
        assert!(hint.contains("none found in /a, /b"), "{hint}");
    }
}
