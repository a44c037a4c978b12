//! Rules the user muted, kept across restarts in `$XDG_STATE_HOME/warmcall/mutes.toml` (0600
//! in a 0700 directory). The bubble's "Mute this rule" and `warmcall rules mute` write it;
//! `rules unmute` and `rules muted` read and undo; the daemon re-reads it when it changes.
//!
//! The file is a TOML table per rule id, with when it was muted and, for `--for`, until when:
//!
//! ```toml
//! [chasing]
//! since = "2026-11-26T10:02:11Z"
//!
//! [objection]
//! since = "2026-11-26T10:05:00Z"
//! until = "2026-12-03T10:05:00Z"
//! ```
//!
//! Every change is read, modified and written under an exclusive lock on the directory, and
//! written atomically (a temporary file synced and renamed over the old one), so the daemon
//! and a command never lose each other's mutes and a reader never sees half a file. A file
//! that does not parse is an error naming it; it is never overwritten.

use std::collections::BTreeMap;
use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};

/// `$XDG_STATE_HOME/warmcall/mutes.toml`.
pub fn default_path() -> PathBuf {
    crate::paths::calls_dir().with_file_name("mutes.toml")
}

/// Why the mutes could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum MuteError {
    #[error("cannot read {}: {source}", path.display())]
    Read { path: PathBuf, source: io::Error },
    #[error("{}: {message} (fix it or delete the file to clear every mute)", path.display())]
    Parse { path: PathBuf, message: String },
    #[error("cannot write {}: {source} (check free space and permissions)", path.display())]
    Write { path: PathBuf, source: io::Error },
}

/// One muted rule.
#[derive(Debug, Clone, PartialEq)]
pub struct Mute {
    pub since: Timestamp,
    /// `None`: until unmuted.
    pub until: Option<Timestamp>,
}

impl Mute {
    /// Whether it is in force at `now`.
    pub fn active(&self, now: Timestamp) -> bool {
        self.until.is_none_or(|u| now < u)
    }
}

/// The file's shape: rule id → times as RFC 3339 text.
#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(transparent)]
struct OnDisk(BTreeMap<String, Entry>);

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Entry {
    since: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    until: Option<String>,
}

/// The muted rules, by id.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct MuteList {
    mutes: BTreeMap<String, Mute>,
}

impl MuteList {
    /// Parse the text of `path`.
    pub fn parse(path: &Path, text: &str) -> Result<Self, MuteError> {
        let bad = |message: String| MuteError::Parse {
            path: path.to_path_buf(),
            message,
        };
        let file: OnDisk = toml::from_str(text).map_err(|e| {
            let at = e
                .span()
                .map(|s| {
                    let (line, col) = crate::text::line_col(text, s.start);
                    format!("{line}:{col}: ")
                })
                .unwrap_or_default();
            bad(format!("{at}{}", e.message()))
        })?;
        let time = |rule: &str, field: &str, v: &str| {
            v.parse::<Timestamp>().map_err(|e| {
                bad(format!(
                    "[{rule}] {field} = {v:?} is not an RFC 3339 time: {e}"
                ))
            })
        };
        let mut mutes = BTreeMap::new();
        for (rule, e) in file.0 {
            let since = time(&rule, "since", &e.since)?;
            let until = e
                .until
                .as_deref()
                .map(|u| time(&rule, "until", u))
                .transpose()?;
            mutes.insert(rule, Mute { since, until });
        }
        Ok(Self { mutes })
    }

    /// The file's text.
    pub fn to_toml(&self) -> String {
        let file = OnDisk(
            self.mutes
                .iter()
                .map(|(rule, m)| {
                    let entry = Entry {
                        since: m.since.to_string(),
                        until: m.until.map(|u| u.to_string()),
                    };
                    (rule.clone(), entry)
                })
                .collect(),
        );
        let body = toml::to_string(&file).unwrap_or_default();
        format!(
            "# Rules muted in warmcall (\"Mute this rule\", `warmcall rules mute`).\n\
             # `warmcall rules muted` lists them, `warmcall rules unmute ID` undoes one.\n\n{body}"
        )
    }

    /// Read `path`; a missing file is no mutes.
    pub fn load(path: &Path) -> Result<Self, MuteError> {
        match std::fs::read_to_string(path) {
            Ok(text) => Self::parse(path, &text),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(Self::default()),
            Err(source) => Err(MuteError::Read {
                path: path.to_path_buf(),
                source,
            }),
        }
    }

    /// Write to `path` atomically, 0600, in a 0700 directory.
    pub fn save(&self, path: &Path) -> Result<(), MuteError> {
        let err = |source| MuteError::Write {
            path: path.to_path_buf(),
            source,
        };
        if let Some(dir) = path.parent() {
            crate::paths::private_dir(dir).map_err(err)?;
        }
        let tmp = path.with_extension(format!("toml.{}.tmp", std::process::id()));
        let result = (|| {
            let mut f = OpenOptions::new()
                .write(true)
                .create(true)
                .truncate(true)
                .mode(0o600)
                .open(&tmp)?;
            f.write_all(self.to_toml().as_bytes())?;
            f.sync_all()?;
            std::fs::rename(&tmp, path)
        })();
        if result.is_err() {
            let _ = std::fs::remove_file(&tmp);
        }
        result.map_err(err)
    }

    /// Whether `rule` is muted at `now`.
    pub fn is_muted(&self, rule: &str, now: Timestamp) -> bool {
        self.mutes.get(rule).is_some_and(|m| m.active(now))
    }

    /// The mutes in force at `now`, by rule id.
    pub fn active(&self, now: Timestamp) -> impl Iterator<Item = (&str, &Mute)> {
        self.mutes
            .iter()
            .filter(move |(_, m)| m.active(now))
            .map(|(r, m)| (r.as_str(), m))
    }

    /// Mute `rule` from `now`, for `length` (or until unmuted). Mutes that ran out are dropped.
    pub fn mute(&mut self, rule: &str, now: Timestamp, length: Option<SignedDuration>) {
        self.mutes.retain(|_, m| m.active(now));
        let until = length.and_then(|d| now.checked_add(d).ok());
        self.mutes
            .insert(rule.to_string(), Mute { since: now, until });
    }

    /// Unmute `rule`; whether it was muted (a mute that ran out counts as not muted).
    pub fn unmute(&mut self, rule: &str, now: Timestamp) -> bool {
        let was = self.is_muted(rule, now);
        self.mutes.remove(rule);
        self.mutes.retain(|_, m| m.active(now));
        was
    }

    /// Whether `rule` has an entry at all (in force or run out).
    pub fn has_entry(&self, rule: &str) -> bool {
        self.mutes.contains_key(rule)
    }
}

/// Read the list at `path`, change it with `f`, and write it back, holding an exclusive lock
/// on its directory meanwhile. Returns what `f` returns. A file that does not parse is left as
/// it is and is the error.
pub fn update<R>(path: &Path, f: impl FnOnce(&mut MuteList) -> R) -> Result<R, MuteError> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let lock_err = |source| MuteError::Write {
        path: path.to_path_buf(),
        source,
    };
    crate::paths::private_dir(dir).map_err(lock_err)?;
    let lock = File::open(dir).map_err(lock_err)?;
    lock.lock().map_err(lock_err)?;
    let mut list = MuteList::load(path)?;
    let before = list.clone();
    let out = f(&mut list);
    if list != before {
        list.save(path)?;
    }
    Ok(out)
}

/// Parse `--for`: a number with `m` (minutes), `h` (hours), `d` (days) or `w` (weeks).
pub fn parse_for(arg: &str) -> Result<SignedDuration, String> {
    let bad = || format!("--for {arg:?}: give a length such as 30m, 8h, 7d or 2w");
    let arg = arg.trim();
    let split = arg.len().checked_sub(1).ok_or_else(bad)?;
    let (n, unit) = arg.split_at(split);
    let n: i64 = n.parse().map_err(|_| bad())?;
    let secs = match unit {
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        "w" => 7 * 86_400,
        _ => return Err(bad()),
    };
    if n <= 0 || n > 5_200 * 7 {
        return Err(bad());
    }
    Ok(SignedDuration::from_secs(n * secs))
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::PermissionsExt;

    use super::*;

    fn at(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    #[test]
    fn mutes_round_trip_through_the_file_and_run_out() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state/warmcall/mutes.toml");
        let now = at("2026-11-26T10:00:00Z");
        update(&path, |l| {
            l.mute("chasing", now, None);
            l.mute("objection", now, Some(parse_for("7d").unwrap()));
        })
        .unwrap();
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&path), 0o600);
        assert_eq!(mode(path.parent().unwrap()), 0o700);
        let list = MuteList::load(&path).unwrap();
        assert!(list.is_muted("chasing", now));
        assert!(list.is_muted("objection", at("2026-12-03T09:59:59Z")));
        assert!(
            !list.is_muted("objection", at("2026-12-03T10:00:00Z")),
            "ran out"
        );
        assert!(!list.is_muted("monologue", now));
        let later = at("2026-12-10T00:00:00Z");
        let ids: Vec<&str> = list.active(later).map(|(r, _)| r).collect();
        assert_eq!(ids, ["chasing"]);
        assert!(update(&path, |l| l.unmute("chasing", later)).unwrap());
        assert!(!update(&path, |l| l.unmute("chasing", later)).unwrap());
        assert_eq!(MuteList::load(&path).unwrap(), MuteList::default());
        let names: Vec<_> = std::fs::read_dir(path.parent().unwrap())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, ["mutes.toml"], "no temporary file left");
    }

    #[test]
    fn a_broken_file_is_an_error_that_names_it_and_is_not_overwritten() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("mutes.toml");
        std::fs::write(&path, "[chasing]\nsince = 12\n").unwrap();
        let e = update(&path, |l| l.mute("x", Timestamp::now(), None)).unwrap_err();
        let msg = e.to_string();
        assert!(
            msg.contains("mutes.toml: 2:9:") && msg.contains("delete the file"),
            "{msg}"
        );
        assert_eq!(
            std::fs::read_to_string(&path).unwrap(),
            "[chasing]\nsince = 12\n"
        );
        std::fs::write(&path, "[chasing]\nsince = \"yesterday\"\n").unwrap();
        let msg = MuteList::load(&path).unwrap_err().to_string();
        assert!(msg.contains("[chasing] since = \"yesterday\""), "{msg}");
        assert_eq!(
            MuteList::load(&dir.path().join("none.toml")).unwrap(),
            MuteList::default()
        );
    }

    #[test]
    fn for_lengths() {
        assert_eq!(parse_for("30m").unwrap(), SignedDuration::from_mins(30));
        assert_eq!(parse_for("8h").unwrap(), SignedDuration::from_hours(8));
        assert_eq!(
            parse_for("2w").unwrap(),
            SignedDuration::from_hours(14 * 24)
        );
        for bad in ["", "7", "d", "-1d", "0d", "7y", "1.5d", "99999999w"] {
            assert!(parse_for(bad).is_err(), "{bad}");
        }
    }
}
