//! The calls on disk: the call logs in the log directory whose names are warmcall call ids
//! (`2026-11-22T14-03-11Z-4f2a.jsonl`), oldest first, and picking one by `--last`, by id (or a
//! unique prefix of one) or by path.

use std::path::{Path, PathBuf};

use jiff::Timestamp;

/// One call log in the log directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallFile {
    pub id: String,
    pub path: PathBuf,
}

impl CallFile {
    /// The call's start, from its id (UTC, to the second).
    pub fn started(&self) -> Option<Timestamp> {
        id_start(&self.id)
    }
}

/// Why no call could be picked.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("no calls yet in {} (`warmcall run` writes one log per call there)", .0.display())]
    NoCalls(PathBuf),
    #[error("cannot read the call log directory {}: {source}", path.display())]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("no call {id:?} in {} (`warmcall calls` lists them)", dir.display())]
    Unknown { id: String, dir: PathBuf },
    #[error("{id:?} matches {n} calls in {}: give more of the id", dir.display())]
    Ambiguous { id: String, n: usize, dir: PathBuf },
}

/// Whether `s` has the shape of a call id: `YYYY-MM-DDTHH-MM-SSZ-xxxx` (four hex digits).
pub fn is_call_id(s: &str) -> bool {
    let b = s.as_bytes();
    let digits = |r: std::ops::Range<usize>| b[r].iter().all(u8::is_ascii_digit);
    b.len() == 25
        && digits(0..4)
        && b[4] == b'-'
        && digits(5..7)
        && b[7] == b'-'
        && digits(8..10)
        && b[10] == b'T'
        && digits(11..13)
        && b[13] == b'-'
        && digits(14..16)
        && b[16] == b'-'
        && digits(17..19)
        && &b[19..21] == b"Z-"
        && b[21..].iter().all(|c| c.is_ascii_hexdigit())
        && id_start(s).is_some()
}

/// The UTC start a call id encodes.
pub fn id_start(id: &str) -> Option<Timestamp> {
    let stamp = id.get(..20)?;
    let rfc = format!("{}:{}:{}", &stamp[..13], &stamp[14..16], &stamp[17..]);
    rfc.parse().ok()
}

/// The calls in `dir`, oldest first. A missing directory has none.
pub fn list(dir: &Path) -> Result<Vec<CallFile>, StoreError> {
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => {
            return Err(StoreError::Read {
                path: dir.to_path_buf(),
                source: e,
            });
        }
    };
    let mut calls: Vec<CallFile> = entries
        .filter_map(Result::ok)
        .filter_map(|e| {
            let path = e.path();
            let id = path.file_name()?.to_str()?.strip_suffix(".jsonl")?;
            (is_call_id(id) && path.is_file()).then(|| CallFile {
                id: id.to_string(),
                path: path.clone(),
            })
        })
        .collect();
    calls.sort_by(|a, b| a.id.cmp(&b.id));
    Ok(calls)
}

/// The most recent call in `dir`.
pub fn last(dir: &Path) -> Result<CallFile, StoreError> {
    list(dir)?
        .pop()
        .ok_or_else(|| StoreError::NoCalls(dir.to_path_buf()))
}

/// The call whose id is `id` or starts with it.
pub fn by_id(dir: &Path, id: &str) -> Result<CallFile, StoreError> {
    let calls = list(dir)?;
    if calls.is_empty() {
        return Err(StoreError::NoCalls(dir.to_path_buf()));
    }
    if let Some(c) = calls.iter().find(|c| c.id == id) {
        return Ok(c.clone());
    }
    let mut matching: Vec<CallFile> = calls.into_iter().filter(|c| c.id.starts_with(id)).collect();
    match matching.len() {
        0 => Err(StoreError::Unknown {
            id: id.to_string(),
            dir: dir.to_path_buf(),
        }),
        1 => Ok(matching.remove(0)),
        n => Err(StoreError::Ambiguous {
            id: id.to_string(),
            n,
            dir: dir.to_path_buf(),
        }),
    }
}

/// Whether a CALL argument names a file rather than a call id: it exists, has a directory
/// part, or ends in `.jsonl`.
pub fn names_a_file(arg: &Path) -> bool {
    arg.is_file() || arg.components().count() > 1 || arg.extension().is_some_and(|x| x == "jsonl")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_call_id_names_are_calls() {
        let dir = tempfile::tempdir().unwrap();
        for name in [
            "2026-11-22T14-03-11Z-4f2a.jsonl",
            "2026-11-23T09-02-11Z-26bf.jsonl",
            "2026-11-23T09-02-11Z-26bf.jsonl.bak",
            "notes.jsonl",
            "2026-13-40T99-99-99Z-zzzz.jsonl",
        ] {
            std::fs::write(dir.path().join(name), "{}\n").unwrap();
        }
        std::fs::create_dir(dir.path().join("2026-11-24T09-02-11Z-0000.jsonl")).unwrap();
        let ids: Vec<String> = list(dir.path())
            .unwrap()
            .into_iter()
            .map(|c| c.id)
            .collect();
        assert_eq!(
            ids,
            ["2026-11-22T14-03-11Z-4f2a", "2026-11-23T09-02-11Z-26bf"]
        );
        assert_eq!(last(dir.path()).unwrap().id, "2026-11-23T09-02-11Z-26bf");
        assert_eq!(
            by_id(dir.path(), "2026-11-22").unwrap().id,
            "2026-11-22T14-03-11Z-4f2a"
        );
        assert!(matches!(
            by_id(dir.path(), "2026-11-2"),
            Err(StoreError::Ambiguous { n: 2, .. })
        ));
        assert!(matches!(
            by_id(dir.path(), "2025"),
            Err(StoreError::Unknown { .. })
        ));
    }

    #[test]
    fn no_directory_means_no_calls() {
        let dir = tempfile::tempdir().unwrap();
        let gone = dir.path().join("calls");
        assert!(list(&gone).unwrap().is_empty());
        assert!(matches!(last(&gone), Err(StoreError::NoCalls(_))));
    }

    #[test]
    fn ids_carry_their_start() {
        let id = crate::pipeline::clock::call_id(
            jiff::Timestamp::from_second(1_795_356_191).unwrap(),
            0x4f2a,
        );
        assert!(is_call_id(&id));
        assert_eq!(id_start(&id).unwrap().as_second(), 1_795_356_191);
        assert!(names_a_file(Path::new("./x")));
        assert!(names_a_file(Path::new("x.jsonl")));
        assert!(!names_a_file(Path::new("2026-11-22T14")));
    }
}
