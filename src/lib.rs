//! warmcall: live, on-device coaching for sales calls.
//!
//! The pipeline (see `ARCHITECTURE.md`): capture → frontend (resample, VAD, phrases) →
//! recognition (`asr`) → coaching rules → outputs (notifications, JSONL call log, stdout).
//! Each stage is a module of its own and testable alone; `app` maps the command line onto
//! them.

pub mod app;
pub mod asr;
pub mod audio;
pub mod cli;
pub mod commands;
pub mod config;
pub mod event;
pub mod frontend;
pub mod model;
pub mod notify;
pub mod paths;
pub mod pipeline;
pub mod rules;
pub mod sink;
pub mod verify;
