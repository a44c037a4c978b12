//! The per-call JSONL log: one file per call, 0600, in a 0700 directory; one `write_all` and
//! flush per event, `sync_data` at the end of the call.

use std::fs::{self, DirBuilder, File, OpenOptions};
use std::io::{self, Write};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use super::EventSink;
use crate::event::Event;

/// Create `dir` (and parents) as 0700, and tighten it if it already exists.
pub fn private_dir(dir: &Path) -> io::Result<()> {
    DirBuilder::new().recursive(true).mode(0o700).create(dir)?;
    let mut perm = fs::metadata(dir)?.permissions();
    if perm.mode() & 0o077 != 0 {
        perm.set_mode(0o700);
        fs::set_permissions(dir, perm)?;
    }
    Ok(())
}

/// An open call log.
pub struct CallLog {
    path: PathBuf,
    file: File,
}

impl CallLog {
    /// Create `<dir>/<call_id>.jsonl` (never following or replacing an existing file).
    pub fn create(dir: &Path, call_id: &str) -> io::Result<Self> {
        private_dir(dir)?;
        let path = dir.join(format!("{call_id}.jsonl"));
        let file = OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .custom_flags(libc_o_nofollow())
            .open(&path)?;
        Ok(Self { path, file })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
}

/// `O_NOFOLLOW` on Linux.
fn libc_o_nofollow() -> i32 {
    0o400000
}

impl EventSink for CallLog {
    fn write(&mut self, event: &Event) -> io::Result<()> {
        let mut line = event.to_json_line();
        line.push('\n');
        self.file.write_all(line.as_bytes())?;
        self.file.flush()
    }

    fn finish(&mut self) -> io::Result<()> {
        self.file.flush()?;
        self.file.sync_data()
    }

    fn name(&self) -> &'static str {
        "call log"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_are_0600_in_0700_dirs_and_never_replaced() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("state/calls");
        let mut log = CallLog::create(&dir, "c1").unwrap();
        log.write(&Event::Gap {
            t: 1.0,
            speaker: crate::event::Speaker::Me,
            reason: "x".into(),
            until: 2.0,
        })
        .unwrap();
        log.finish().unwrap();
        let mode = |p: &Path| fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&dir), 0o700);
        assert_eq!(mode(log.path()), 0o600);
        assert!(
            CallLog::create(&dir, "c1").is_err(),
            "an existing log is never replaced"
        );
        // A too-open existing directory is tightened.
        fs::set_permissions(&dir, fs::Permissions::from_mode(0o755)).unwrap();
        private_dir(&dir).unwrap();
        assert_eq!(mode(&dir), 0o700);
    }
}
