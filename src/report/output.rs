//! Writing a report where only its owner can read it (it holds the transcript), and opening it
//! in the desktop's browser with xdg-open.

use std::fs::OpenOptions;
use std::io::{self, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Why a report could not be written or opened.
#[derive(Debug, thiserror::Error)]
pub enum OutputError {
    #[error("cannot write {}: {source}", path.display())]
    Write { path: PathBuf, source: io::Error },
    #[error(
        "xdg-open is not installed (Debian/Ubuntu package xdg-utils); the report is at {}: \
         open it in a browser",
        .0.display()
    )]
    NoOpener(PathBuf),
    #[error("xdg-open could not open {}: {reason}; open it in a browser", path.display())]
    Open { path: PathBuf, reason: String },
}

/// Write `bytes` to `path` as a 0600 file: a temporary file beside it, renamed into place, so
/// a reader never sees half a page and an existing file's wider mode is not kept.
pub fn write_private(path: &Path, bytes: &[u8]) -> Result<(), OutputError> {
    let err = |source| OutputError::Write {
        path: path.to_path_buf(),
        source,
    };
    let name = path
        .file_name()
        .ok_or_else(|| err(io::Error::other("not a file name")))?;
    let mut tmp_name = std::ffi::OsString::from(".");
    tmp_name.push(name);
    tmp_name.push(format!(".{}.tmp", std::process::id()));
    let tmp = path.with_file_name(tmp_name);
    let result = (|| {
        let mut f = OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&tmp)?;
        f.write_all(bytes)?;
        f.sync_data()?;
        std::fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result.map_err(err)
}

/// Where `--open` puts a report: `$XDG_STATE_HOME/warmcall/reports/NAME.html`, in a 0700
/// directory.
pub fn private_report_path(name: &str) -> Result<PathBuf, OutputError> {
    let dir = crate::paths::reports_dir();
    crate::paths::private_dir(&dir).map_err(|source| OutputError::Write {
        path: dir.clone(),
        source,
    })?;
    Ok(dir.join(format!("{name}.html")))
}

/// Open `path` with xdg-open. Waits a few seconds for xdg-open to report failure; a browser
/// it starts and keeps running is left to run.
pub fn open(path: &Path) -> Result<(), OutputError> {
    let mut child = match Command::new("xdg-open")
        .arg(path)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
    {
        Ok(c) => c,
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            return Err(OutputError::NoOpener(path.to_path_buf()));
        }
        Err(e) => {
            return Err(OutputError::Open {
                path: path.to_path_buf(),
                reason: e.to_string(),
            });
        }
    };
    let deadline = Instant::now() + Duration::from_secs(5);
    while Instant::now() < deadline {
        match child.try_wait() {
            Ok(Some(status)) if status.success() => return Ok(()),
            Ok(Some(status)) => {
                let mut msg = String::new();
                if let Some(mut e) = child.stderr.take() {
                    let _ = io::Read::read_to_string(&mut e, &mut msg);
                }
                let reason = match msg.trim() {
                    "" => format!("it exited with {status}"),
                    m => m.lines().last().unwrap_or(m).to_string(),
                };
                return Err(OutputError::Open {
                    path: path.to_path_buf(),
                    reason,
                });
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(50)),
            Err(_) => break,
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::PermissionsExt;

    use super::*;

    #[test]
    fn reports_are_0600_even_over_an_open_file() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("r.html");
        std::fs::write(&p, "old").unwrap();
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o644)).unwrap();
        write_private(&p, b"<html></html>").unwrap();
        assert_eq!(std::fs::read_to_string(&p).unwrap(), "<html></html>");
        let mode = std::fs::metadata(&p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        assert_eq!(
            std::fs::read_dir(dir.path()).unwrap().count(),
            1,
            "no temp left"
        );
        let e = write_private(&dir.path().join("no/such/dir/r.html"), b"x").unwrap_err();
        assert!(e.to_string().contains("cannot write"), "{e}");
    }
}
