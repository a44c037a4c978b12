//! After the call: reading call logs back and turning them into reports.
//!
//! - `log`: a call log (JSON Lines events) read forgivingly: cut-off or unknown lines are notes
//! - `store`: the calls on disk (files named by call id), picking one by id, path or `--last`
//! - `figures`: one call's numbers beside the thresholds of the rules in force
//! - `timeline`: who talked when, gaps and flags, for drawing
//! - `rows`: the figures as labelled rows with their limits in words
//! - `summary`: one row per past call (`warmcall calls`, the trend)
//! - `trend`: the trend across calls: per-call series and an earlier/later comparison
//! - `page`, `trend_page`: the HTML pages (askama templates in `templates/`)
//! - `text`: the terminal renderings
//! - `time`: call times, local wall-clock times, `--since`
//! - `output`: writing a report privately and opening it with xdg-open

pub mod figures;
pub mod log;
pub mod output;
pub mod page;
pub mod rows;
pub mod store;
pub mod summary;
pub mod text;
pub mod time;
pub mod timeline;
pub mod trend;
pub mod trend_page;

pub use figures::{Figures, Limit};
pub use log::{CallLog, LogError};
pub use summary::CallRow;
pub use timeline::Timeline;
