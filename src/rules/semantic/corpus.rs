//! The labelled coaching corpus (`data/coaching/*.jsonl`): lines said on calls, each with the
//! phrase rule it should fire or `none`. Read by `warmcall rules train` and `rules eval`.
//!
//! `test.jsonl` is the held-out test split; every other `*.jsonl` file is training data.

use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::event::Speaker;

/// The label of a line that must not fire any rule.
pub const NONE: &str = "none";
/// The file that holds the test split.
pub const TEST_FILE: &str = "test.jsonl";

/// One labelled line.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Line {
    pub speaker: Speaker,
    pub text: String,
    /// A phrase rule id, or [`NONE`].
    pub label: String,
}

/// The corpus, split.
#[derive(Debug, Clone, Default)]
pub struct Corpus {
    pub train: Vec<Line>,
    pub test: Vec<Line>,
}

/// Why the corpus could not be read.
#[derive(Debug, thiserror::Error)]
pub enum CorpusError {
    #[error("{}: cannot read: {source}", path.display())]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{}:{line}: {message}", path.display())]
    Line {
        path: PathBuf,
        line: usize,
        message: String,
    },
    #[error("{}: no *.jsonl files with labelled lines", path.display())]
    Empty { path: PathBuf },
}

/// Parse one corpus file's text.
pub fn parse(path: &Path, text: &str) -> Result<Vec<Line>, CorpusError> {
    let mut out = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        if raw.trim().is_empty() {
            continue;
        }
        let line: Line = serde_json::from_str(raw).map_err(|e| CorpusError::Line {
            path: path.to_path_buf(),
            line: i + 1,
            message: e.to_string(),
        })?;
        if line.text.trim().is_empty() || line.label.trim().is_empty() {
            return Err(CorpusError::Line {
                path: path.to_path_buf(),
                line: i + 1,
                message: "empty text or label".into(),
            });
        }
        out.push(line);
    }
    Ok(out)
}

impl Corpus {
    /// Every `*.jsonl` in `dir`, in name order; `test.jsonl` is the test split.
    pub fn load(dir: &Path) -> Result<Self, CorpusError> {
        let read = |path: &Path| {
            std::fs::read_to_string(path).map_err(|source| CorpusError::Read {
                path: path.to_path_buf(),
                source,
            })
        };
        let entries = std::fs::read_dir(dir).map_err(|source| CorpusError::Read {
            path: dir.to_path_buf(),
            source,
        })?;
        let mut files: Vec<PathBuf> = entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "jsonl"))
            .collect();
        files.sort();
        let mut corpus = Corpus::default();
        for path in files {
            let lines = parse(&path, &read(&path)?)?;
            if path.file_name().is_some_and(|n| n == TEST_FILE) {
                corpus.test.extend(lines);
            } else {
                corpus.train.extend(lines);
            }
        }
        if corpus.train.is_empty() && corpus.test.is_empty() {
            return Err(CorpusError::Empty {
                path: dir.to_path_buf(),
            });
        }
        Ok(corpus)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_lines_and_names_the_bad_one() {
        let p = Path::new("x.jsonl");
        let ok = parse(
            p,
            "{\"speaker\":\"me\",\"text\":\"hi\",\"label\":\"none\"}\n\n",
        )
        .unwrap();
        assert_eq!(ok.len(), 1);
        let e = parse(
            p,
            "{\"speaker\":\"me\",\"text\":\"hi\",\"label\":\"none\"}\n{oops\n",
        )
        .unwrap_err();
        assert!(e.to_string().starts_with("x.jsonl:2:"), "{e}");
    }

    #[test]
    fn the_repository_corpus_has_a_test_split_and_enough_lines() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("data/coaching");
        let c = Corpus::load(&dir).unwrap();
        assert!(c.test.len() >= 600, "{}", c.test.len());
        let count = |label: &str| c.train.iter().filter(|l| l.label == label).count();
        for rule in [
            "pitch-opening",
            "early-qualification",
            "chasing",
            "assumptive-close",
            "urgency-pressure",
            "objection",
        ] {
            assert!(count(rule) >= 150, "{rule}: {}", count(rule));
        }
        assert!(count(NONE) >= 800, "{}", count(NONE));
    }
}
