//! The per-call JSONL log: one file per call, 0600, in a 0700 directory; one `write_all` and
//! flush per event, `sync_data` at the end of the call. A line the disk could not take whole
//! (a full filesystem) is cut back off, so the log holds complete lines only. Old logs are deleted by
//! `apply_retention`, which touches nothing else in the directory.

use std::fs::{File, OpenOptions};
use std::io::{self, Seek, SeekFrom, Write};
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
    /// Bytes of complete lines written.
    len: u64,
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
        Ok(Self { path, file, len: 0 })
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
        let mut line = Vec::new();
        write_line(&mut line, event)?;
        match self.file.write_all(&line).and_then(|()| self.file.flush()) {
            Ok(()) => {
                self.len += line.len() as u64;
                Ok(())
            }
            Err(e) => {
                // Part of the line may be on disk: later lines would follow a broken one.
                let _ = self.file.set_len(self.len);
                let _ = self.file.seek(SeekFrom::Start(self.len));
                Err(e)
            }
        }
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
///
/// Only regular files named as warmcall names them (`<call id>.jsonl`) are candidates: the
/// directory may be a folder of the user's, and a symlink, a directory or any other file in it
/// is never touched, whatever its age.
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
        // `DirEntry::file_type` and `metadata` do not follow symlinks.
        let ours = e.file_type().is_ok_and(|t| t.is_file()) && is_call_log_name(&e.file_name());
        let old = || {
            e.metadata()
                .and_then(|m| m.modified())
                .ok()
                .and_then(|m| m.elapsed().ok())
                .is_some_and(|age| age > limit)
        };
        if ours && old() && std::fs::remove_file(e.path()).is_ok() {
            removed += 1;
        }
    }
    if removed > 0 {
        tracing::info!(removed, days, "Old call logs deleted.");
    }
    removed
}

/// Whether `name` has the shape `pipeline::clock::call_id` gives: `2026-11-22T14-03-11Z-4f2a`.
pub fn is_call_id(name: &str) -> bool {
    const SHAPE: &[u8] = b"dddd-dd-ddTdd-dd-ddZ-xxxx";
    name.len() == SHAPE.len()
        && name.bytes().zip(SHAPE).all(|(c, &s)| match s {
            b'd' => c.is_ascii_digit(),
            b'x' => c.is_ascii_digit() || (b'a'..=b'f').contains(&c),
            _ => c == s,
        })
}

/// `<call id>.jsonl`, as `CallLog::create` names a log.
fn is_call_log_name(name: &std::ffi::OsStr) -> bool {
    name.to_str()
        .and_then(|n| n.strip_suffix(".jsonl"))
        .is_some_and(is_call_id)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn only_call_id_shapes_are_call_ids() {
        assert!(is_call_id("2026-11-22T14-03-11Z-4f2a"));
        for not in [
            "",
            "my-notes",
            "2026-11-22T14-03-11Z-4F2A",
            "2026-11-22T14-03-11Z-4f2",
            "2026-11-22T14-03-11Z-4f2ab",
            "2026-11-22 14-03-11Z-4f2a",
            "2026-11-22T14:03:11Z-4f2a",
        ] {
            assert!(!is_call_id(not), "{not}");
        }
        assert!(is_call_log_name("2026-11-22T14-03-11Z-4f2a.jsonl".as_ref()));
        assert!(!is_call_log_name("2026-11-22T14-03-11Z-4f2a.json".as_ref()));
    }

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
