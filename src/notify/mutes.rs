//! The daemon's mute set: what the gate asks ("is this rule muted?") and what "Mute this rule"
//! changes, shared by the gate and the backend's action threads.
//!
//! A persistent set (the daemon's) is backed by the mutes file (`crate::mutes`): a mute from
//! the bubble is in force at once and written to the file; a change to the file (`warmcall
//! rules mute`/`unmute`, another daemon) is picked up on the next flag, by comparing the file's
//! identity (inode, size, modification time) with the one last read. A file that cannot be
//! read or written is a warning, once per problem; the set in memory stays in force.

use std::os::unix::fs::MetadataExt;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use jiff::Timestamp;

use crate::mutes::{self, MuteList};

/// What identifies one version of the file: (inode, size, mtime in ns); `None`: no file.
type Stamp = Option<(u64, u64, i128)>;

#[derive(Debug, Default)]
struct State {
    /// The mutes file; `None` keeps mutes in memory only.
    file: Option<PathBuf>,
    list: MuteList,
    /// The version of the file `list` was read from.
    seen: Stamp,
    /// The last problem warned about, so it is said once.
    warned: Option<String>,
}

impl State {
    fn stamp(&self) -> Stamp {
        let meta = std::fs::metadata(self.file.as_ref()?).ok()?;
        let mtime = i128::from(meta.mtime()) * 1_000_000_000 + i128::from(meta.mtime_nsec());
        Some((meta.ino(), meta.size(), mtime))
    }

    /// Re-read the file if it changed since it was last read.
    fn refresh(&mut self) {
        let Some(path) = self.file.clone() else {
            return;
        };
        let stamp = self.stamp();
        if stamp == self.seen {
            return;
        }
        match MuteList::load(&path) {
            Ok(list) => {
                self.list = list;
                self.seen = stamp;
                self.warned = None;
                tracing::info!(path = %path.display(), "Mutes read.");
            }
            Err(e) => self.warn(
                e.to_string(),
                "Cannot read the mutes; the ones read before stay in force.",
            ),
        }
    }

    fn warn(&mut self, problem: String, what: &str) {
        if self.warned.as_deref() != Some(problem.as_str()) {
            tracing::warn!(error = %problem, "{what}");
            self.warned = Some(problem);
        }
    }
}

/// The rules the user muted, shared with the backend (which receives "Mute this rule").
#[derive(Debug, Clone, Default)]
pub struct Mutes(Arc<Mutex<State>>);

impl Mutes {
    /// Mutes kept in the file at `path` (read now, and again whenever it changes).
    pub fn persistent(path: PathBuf) -> Self {
        let m = Self(Arc::new(Mutex::new(State {
            file: Some(path),
            ..State::default()
        })));
        m.with(State::refresh);
        m
    }

    /// The user's mutes, `$XDG_STATE_HOME/warmcall/mutes.toml`.
    pub fn user() -> Self {
        Self::persistent(mutes::default_path())
    }

    fn with<R: Default>(&self, f: impl FnOnce(&mut State) -> R) -> R {
        self.0.lock().map(|mut s| f(&mut s)).unwrap_or_default()
    }

    /// Mute `rule` until it is unmuted: at once, and in the file.
    pub fn add(&self, rule: &str) {
        self.with(|s| {
            let now = Timestamp::now();
            s.list.mute(rule, now, None);
            let Some(path) = s.file.clone() else {
                return;
            };
            match mutes::update(&path, |l| l.mute(rule, now, None)) {
                Ok(()) => {
                    s.refresh();
                    tracing::info!(rule, "Rule muted.");
                }
                Err(e) => s.warn(
                    e.to_string(),
                    "Cannot save the mute; it lasts until warmcall stops.",
                ),
            }
            // What the file says, plus this mute whatever the file could take.
            s.list.mute(rule, now, None);
        })
    }

    /// Whether `rule` is muted now (the file is re-read first if it changed).
    pub fn contains(&self, rule: &str) -> bool {
        self.with(|s| {
            s.refresh();
            s.list.is_muted(rule, Timestamp::now())
        })
    }

    /// The muted rule ids in force, sorted.
    pub fn list(&self) -> Vec<String> {
        self.with(|s| {
            s.refresh();
            s.list
                .active(Timestamp::now())
                .map(|(r, _)| r.to_string())
                .collect()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_file_is_followed_and_the_action_is_saved() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("warmcall/mutes.toml");
        let m = Mutes::persistent(path.clone());
        assert!(!m.contains("chasing"));
        mutes::update(&path, |l| l.mute("chasing", Timestamp::now(), None)).unwrap();
        assert!(m.contains("chasing"), "a change to the file is picked up");
        m.add("objection");
        assert_eq!(m.list(), ["chasing", "objection"]);
        let on_disk = MuteList::load(&path).unwrap();
        assert!(on_disk.is_muted("objection", Timestamp::now()));
        mutes::update(&path, |l| l.unmute("chasing", Timestamp::now())).unwrap();
        assert_eq!(m.list(), ["objection"]);
    }

    #[test]
    fn a_broken_file_keeps_what_was_read_and_a_mute_still_applies() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("mutes.toml");
        mutes::update(&path, |l| l.mute("chasing", Timestamp::now(), None)).unwrap();
        let m = Mutes::persistent(path.clone());
        std::fs::write(&path, "not toml [").unwrap();
        assert!(m.contains("chasing"), "the mutes read before stay");
        m.add("objection");
        assert!(m.contains("objection"), "in force for this run");
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "not toml [");
    }

    #[test]
    fn in_memory_mutes_touch_no_file() {
        let m = Mutes::default();
        m.add("chasing");
        assert!(m.contains("chasing"));
        assert!(!m.contains("objection"));
    }
}
