//! Where libpulse looks for the sound server's socket and its authentication cookie, so
//! warmcall reaches the server every other application of the session reaches, with the same
//! cookie (PulseAudio's `src/pulse/context.c`, `client-conf.c`, `pulsecore/authkey.c`).
//!
//! Socket: `$PULSE_SERVER` (else `default-server` of client.conf), else the per-user socket
//! `$PULSE_RUNTIME_PATH/native` or `$XDG_RUNTIME_DIR/pulse/native`, then the system-wide
//! `/var/run/pulse/native`. Only local (`unix:`) servers are supported.
//!
//! Cookie, first readable file of 256 bytes or more wins: `$PULSE_COOKIE` (a relative path is
//! taken inside the config directory), the `cookie-file` of client.conf,
//! `$XDG_CONFIG_HOME/pulse/cookie` (`~/.config/pulse/cookie` when that is unset),
//! `~/.pulse-cookie`. client.conf is `$PULSE_CLIENTCONFIG`, else
//! `$XDG_CONFIG_HOME/pulse/client.conf`, else `/etc/pulse/client.conf`. Not followed: the
//! X11 root window properties and client.conf.d fragments.
//!
//! Pure over an environment lookup, so the order is tested without touching the process
//! environment.

use std::ffi::OsString;
use std::path::{Path, PathBuf};

/// libpulse's cookie length (`PA_NATIVE_COOKIE_LENGTH`).
pub const COOKIE_LEN: usize = 256;

/// The environment as libpulse reads it: a variable set to the empty string counts as unset.
pub struct Env<'a>(pub &'a dyn Fn(&str) -> Option<OsString>);

impl Env<'_> {
    /// The process environment.
    pub fn process() -> Env<'static> {
        Env(&|k| std::env::var_os(k))
    }

    fn get(&self, key: &str) -> Option<OsString> {
        (self.0)(key).filter(|v| !v.is_empty())
    }

    fn home(&self) -> Option<PathBuf> {
        self.get("HOME").map(PathBuf::from)
    }

    /// libpulse's config home: `$XDG_CONFIG_HOME/pulse`, else `~/.config/pulse`.
    pub fn config_home(&self) -> Option<PathBuf> {
        match self.get("XDG_CONFIG_HOME") {
            Some(x) => Some(PathBuf::from(x).join("pulse")),
            None => self.home().map(|h| h.join(".config/pulse")),
        }
    }

    /// The client.conf libpulse reads, if any (`read` gives a file's text).
    fn client_conf(&self, read: &dyn Fn(&Path) -> Option<String>) -> Option<(PathBuf, String)> {
        let candidates = self
            .get("PULSE_CLIENTCONFIG")
            .map(PathBuf::from)
            .into_iter()
            .chain(self.config_home().map(|d| d.join("client.conf")))
            .chain(Some(PathBuf::from("/etc/pulse/client.conf")));
        candidates
            .into_iter()
            .find_map(|p| read(&p).map(|text| (p, text)))
    }

    /// Candidate cookie files, in libpulse's order.
    pub fn cookie_candidates(&self, read: &dyn Fn(&Path) -> Option<String>) -> Vec<PathBuf> {
        let config_home = self.config_home();
        let in_config = |p: PathBuf| match (&config_home, p.is_absolute()) {
            (Some(d), false) => d.join(p),
            _ => p,
        };
        let mut out = Vec::new();
        if let Some(p) = self.get("PULSE_COOKIE") {
            out.push(in_config(PathBuf::from(p)));
        }
        if let Some(p) = self
            .client_conf(read)
            .and_then(|(_, text)| conf_value(&text, "cookie-file"))
        {
            out.push(in_config(PathBuf::from(p)));
        }
        if let Some(d) = &config_home {
            out.push(d.join("cookie"));
        }
        if let Some(h) = self.home() {
            out.push(h.join(".pulse-cookie"));
        }
        out
    }

    /// Candidate server sockets, in libpulse's order, and whether the user named them
    /// (`$PULSE_SERVER` or client.conf). A named server that is not local is an `Err`.
    pub fn sockets(
        &self,
        read: &dyn Fn(&Path) -> Option<String>,
    ) -> Result<(Vec<PathBuf>, bool), String> {
        let named = self
            .get("PULSE_SERVER")
            .map(|s| s.to_string_lossy().into_owned())
            .or_else(|| {
                self.client_conf(read)
                    .and_then(|(_, text)| conf_value(&text, "default-server"))
            });
        if let Some(list) = named {
            let local: Vec<PathBuf> = list
                .split_whitespace()
                .filter_map(|s| {
                    // "{machine-id}unix:/path": the prefix only says which machine it is on.
                    let s = s.split_once('}').map_or(s, |(_, rest)| rest);
                    let s = s.strip_prefix("unix:").unwrap_or(s);
                    s.starts_with('/').then(|| PathBuf::from(s))
                })
                .collect();
            if local.is_empty() {
                return Err(format!(
                    "the sound server {list:?} (PULSE_SERVER or client.conf) is not a local \
                     socket; warmcall connects only to a local server (unix:/path)"
                ));
            }
            return Ok((local, true));
        }
        let per_user = match (self.get("PULSE_RUNTIME_PATH"), self.get("XDG_RUNTIME_DIR")) {
            (Some(p), _) => Some(PathBuf::from(p).join("native")),
            (None, Some(x)) => Some(PathBuf::from(x).join("pulse/native")),
            (None, None) => None,
        };
        let mut out: Vec<PathBuf> = per_user.into_iter().collect();
        out.push(PathBuf::from("/var/run/pulse/native"));
        Ok((out, false))
    }
}

/// The value of `key` in client.conf text (`key = value`; `#` and `;` start comments).
fn conf_value(text: &str, key: &str) -> Option<String> {
    text.lines()
        .map(|l| l.split(['#', ';']).next().unwrap_or("").trim())
        .filter_map(|l| l.split_once('='))
        .filter(|(k, _)| k.trim() == key)
        .map(|(_, v)| v.trim().to_string())
        .rfind(|v| !v.is_empty())
}

/// The first usable cookie among `candidates`: (path, its first 256 bytes). libpulse skips a
/// file it cannot read or that is shorter than a cookie.
pub fn load_cookie(candidates: &[PathBuf]) -> Option<(PathBuf, Vec<u8>)> {
    candidates.iter().find_map(|p| {
        let bytes = std::fs::read(p).ok()?;
        (bytes.len() >= COOKIE_LEN).then(|| (p.clone(), bytes[..COOKIE_LEN].to_vec()))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(vars: &'static [(&'static str, &'static str)]) -> impl Fn(&str) -> Option<OsString> {
        move |k| {
            vars.iter()
                .find(|(n, _)| *n == k)
                .map(|(_, v)| OsString::from(v))
        }
    }

    fn no_files(_: &Path) -> Option<String> {
        None
    }

    #[test]
    fn cookie_order_follows_libpulse() {
        let f = env(&[
            ("HOME", "/home/u"),
            ("XDG_CONFIG_HOME", "/cfg"),
            ("PULSE_COOKIE", "/run/c"),
        ]);
        assert_eq!(
            Env(&f).cookie_candidates(&no_files),
            [
                PathBuf::from("/run/c"),
                "/cfg/pulse/cookie".into(),
                "/home/u/.pulse-cookie".into()
            ]
        );
        // No XDG_CONFIG_HOME (or an empty one): ~/.config/pulse.
        let f = env(&[("HOME", "/home/u"), ("XDG_CONFIG_HOME", "")]);
        assert_eq!(
            Env(&f).cookie_candidates(&no_files),
            [
                PathBuf::from("/home/u/.config/pulse/cookie"),
                "/home/u/.pulse-cookie".into()
            ]
        );
    }

    #[test]
    fn relative_cookie_paths_are_inside_the_config_dir_and_client_conf_counts() {
        let f = env(&[("HOME", "/h"), ("PULSE_COOKIE", "mine")]);
        let conf = |p: &Path| {
            (p == Path::new("/h/.config/pulse/client.conf"))
                .then(|| "; comment\ncookie-file = /srv/cookie # trailing\n".to_string())
        };
        assert_eq!(
            Env(&f).cookie_candidates(&conf),
            [
                PathBuf::from("/h/.config/pulse/mine"),
                "/srv/cookie".into(),
                "/h/.config/pulse/cookie".into(),
                "/h/.pulse-cookie".into()
            ]
        );
    }

    #[test]
    fn socket_order_follows_libpulse() {
        let f = env(&[("XDG_RUNTIME_DIR", "/run/user/7")]);
        assert_eq!(
            Env(&f).sockets(&no_files).unwrap(),
            (
                vec![
                    PathBuf::from("/run/user/7/pulse/native"),
                    "/var/run/pulse/native".into()
                ],
                false
            )
        );
        let f = env(&[("XDG_RUNTIME_DIR", "/x"), ("PULSE_RUNTIME_PATH", "/p")]);
        assert_eq!(
            Env(&f).sockets(&no_files).unwrap().0[0],
            Path::new("/p/native")
        );
        let f = env(&[
            ("XDG_RUNTIME_DIR", "/x"),
            ("PULSE_SERVER", "unix:/s/native"),
        ]);
        assert_eq!(
            Env(&f).sockets(&no_files).unwrap(),
            (vec![PathBuf::from("/s/native")], true)
        );
        let f = env(&[("PULSE_SERVER", "tcp:host:4713")]);
        let e = Env(&f).sockets(&no_files).unwrap_err();
        assert!(e.contains("not a local socket"), "{e}");
        let conf = |_: &Path| Some("default-server = unix:/c/native\n".to_string());
        assert_eq!(Env(&f).sockets(&conf).unwrap_err(), e, "PULSE_SERVER wins");
        let f = env(&[]);
        assert_eq!(
            Env(&f).sockets(&conf).unwrap(),
            (vec![PathBuf::from("/c/native")], true)
        );
    }

    #[test]
    fn a_short_or_missing_cookie_file_is_skipped() {
        let dir = tempfile::tempdir().unwrap();
        let short = dir.path().join("short");
        let good = dir.path().join("good");
        std::fs::write(&short, [1u8; 10]).unwrap();
        std::fs::write(&good, [7u8; 300]).unwrap();
        let (p, c) = load_cookie(&[dir.path().join("none"), short, good.clone()]).unwrap();
        assert_eq!((p, c.len(), c[0]), (good, COOKIE_LEN, 7));
        assert!(load_cookie(&[]).is_none());
    }
}
