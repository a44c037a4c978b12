//! One line per past call: start, length, flags (by rule), talk share and practices done: what
//! `warmcall calls` lists and `report --trend` charts.
//!
//! Reading many calls is kept quick by skipping the `speech` and `transcript` lines of a log
//! that has its `call_end` summary; a log without one is read whole and its figures recomputed.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

use jiff::Timestamp;
use serde::Serialize;

use super::figures::Figures;
use super::log::{CallLog, LogError, Skip};
use super::store::{CallFile, id_start};
use super::time::local_rfc3339;
use crate::rules::CompiledRules;

/// One past call.
#[derive(Debug, Clone, PartialEq)]
pub struct CallRow {
    pub id: String,
    pub path: PathBuf,
    pub start: Option<Timestamp>,
    /// Seconds.
    pub length: f64,
    pub flags_total: u32,
    pub flags: BTreeMap<String, u32>,
    /// The rep's share of talk time; `None` when nobody spoke.
    pub talk_share_me: Option<f64>,
    pub practices_done: usize,
    pub practices_total: usize,
    /// The log has its `call_end` summary.
    pub complete: bool,
    /// Lines of the log that were skipped.
    pub skipped_lines: usize,
}

impl CallRow {
    /// Read one call from disk.
    pub fn read(file: &CallFile, rules: &Arc<CompiledRules>) -> Result<Self, LogError> {
        let quick = CallLog::read_filtered(&file.path, Skip::SpeechAndText)?;
        let log = if quick.summary().is_some() {
            quick
        } else {
            CallLog::read(&file.path)?
        };
        Ok(Self::of(&file.id, &log, rules))
    }

    /// The row of a call log already read.
    pub fn of(id: &str, log: &CallLog, rules: &Arc<CompiledRules>) -> Self {
        let f = Figures::compute(log, rules);
        let (done, total) = f.practices_done();
        let talk = f.summary.talk_s_me + f.summary.talk_s_them;
        let start = log
            .start()
            .and_then(|(wall, _)| wall.parse().ok())
            .or_else(|| id_start(id));
        Self {
            id: id.to_string(),
            path: log.path.clone(),
            start,
            length: f.duration,
            flags_total: f.flags_total,
            flags: f.flags.iter().map(|r| (r.rule.clone(), r.count)).collect(),
            talk_share_me: (talk > 0.0).then_some(f.summary.talk_share_me),
            practices_done: done,
            practices_total: total,
            complete: !f.recomputed,
            skipped_lines: log.notes.len(),
        }
    }

    /// The row as JSON for `warmcall calls --json`.
    pub fn json(&self) -> CallJson<'_> {
        CallJson {
            call_id: &self.id,
            start: self.start.map(local_rfc3339),
            start_utc: self.start.map(|t| t.to_string()),
            length_s: (self.length * 10.0).round() / 10.0,
            flags: self.flags_total,
            flags_by_rule: &self.flags,
            talk_share_me: self.talk_share_me,
            practices_done: self.practices_done,
            practices_total: self.practices_total,
            complete: self.complete,
            path: self.path.to_string_lossy().into_owned(),
        }
    }
}

/// `warmcall calls --json`: one object per call.
#[derive(Debug, Serialize)]
pub struct CallJson<'a> {
    pub call_id: &'a str,
    /// Local time with its offset (RFC 3339).
    pub start: Option<String>,
    pub start_utc: Option<String>,
    pub length_s: f64,
    pub flags: u32,
    pub flags_by_rule: &'a BTreeMap<String, u32>,
    pub talk_share_me: Option<f64>,
    pub practices_done: usize,
    pub practices_total: usize,
    pub complete: bool,
    pub path: String,
}

/// The calls among `files` that started at or after `since`, read; logs that cannot be read
/// are returned apart with their error.
pub fn read_all(
    files: &[CallFile],
    since: Option<Timestamp>,
    rules: &Arc<CompiledRules>,
) -> (Vec<CallRow>, Vec<LogError>) {
    let mut rows = Vec::new();
    let mut errors = Vec::new();
    for file in files {
        // The id carries the start: skip old calls without reading them.
        if let (Some(since), Some(start)) = (since, file.started())
            && start < since
        {
            continue;
        }
        match CallRow::read(file, rules) {
            Ok(row) if since.is_none_or(|s| row.start.is_some_and(|t| t >= s)) => rows.push(row),
            Ok(_) => {}
            Err(e) => errors.push(e),
        }
    }
    (rows, errors)
}
