//! The coaching rule stage: a TOML rule language, the default pack, and a pure engine that
//! turns transcript and speech-timing events into flags and an end-of-call summary.
//!
//! - `normalize`: the text normalisation speech and patterns share
//! - `pattern`: the phrase pattern language → regex
//! - `spec`: rule files (TOML) and their validation, with file:line:column errors
//! - `pack`: the built-in pack merged with the user's rules.d
//! - `matcher`: every phrase pattern in one `RegexSet`
//! - `metrics`: talk time, turns and pronoun counts behind the metric rules
//! - `engine`: the stage itself
//! - `replay`: drives the engine from a finished transcript (`warmcall analyze`)

pub mod engine;
pub mod matcher;
pub mod metrics;
pub mod normalize;
pub mod pack;
pub mod pattern;
pub mod replay;
pub mod spec;

pub use engine::{CompiledRules, Engine, Input};
pub use pack::RuleSet;
pub use spec::RuleError;
