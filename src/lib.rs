//! warmcall: live, on-device coaching for sales calls.
//!
//! The pipeline (see `ARCHITECTURE.md`): capture (`audio`) → frontend (resample, VAD,
//! phrases) → recognition (`asr`) → coaching rules (`rules`) → outputs (`notify`, `sink`).
//! Each stage is a module of its own and testable alone; `pipeline::builder` is the one place
//! that wires them into threads, and `commands` maps the command line onto the library.

pub mod app;
pub mod asr;
pub mod audio;
pub mod cli;
pub mod commands;
pub mod config;
pub mod control;
pub mod diagnostics;
pub mod encoder;
pub mod event;
pub mod frontend;
pub mod model;
pub mod mutes;
pub mod notify;
pub mod paths;
pub mod pipeline;
pub mod redact;
pub mod report;
pub mod rules;
pub mod sink;
pub mod text;
pub mod verify;
