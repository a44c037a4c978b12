//! The per-call JSONL log: one file per call, 0600, in a 0700 directory; one `write_all` and
//! flush per event, `sync_data` at the end of the call. Old logs are deleted by `retention`.

use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use super::{EventSink, write_line};
use crate::event::Event;
use crate::paths::private_dir;

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
        write_line(&mut self.file, event)?;
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

/// Delete call logs older than `days` in `dir` (0 keeps everything); returns how many.
pub fn apply_retention(dir: &Path, days: u32) -> usize {
    if days == 0 {
        return 0;
    }
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 0;
    };
    let limit = Duration::from_secs(u64::from(days) * 86_400);
    let mut removed = 0;
    for e in entries.flatten() {
        let p = e.path();
        let old = e
            .metadata()
            .and_then(|m| m.modified())
            .ok()
            .and_then(|m| m.elapsed().ok())
            .is_some_and(|age| age > limit);
        if old && p.extension().is_some_and(|x| x == "jsonl") && std::fs::remove_file(&p).is_ok() {
            removed += 1;
        }
    }
    if removed > 0 {
        tracing::info!(removed, days, "Old call logs deleted.");
    }
    removed
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn files_are_0600_in_0700_dirs_and_never_replaced() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("state/calls");
        let mut log = CallLog::create(&dir, "c1").unwrap();
        log.write(&Event::Gap(crate::event::Gap {
            t: 1.0,
            speaker: crate::event::Speaker::Me,
            reason: "x".into(),
            until: 2.0,
        }))
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
