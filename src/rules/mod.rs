//! The coaching rule stage: a TOML rule language, the default pack, and a pure engine that
//! turns transcript and speech-timing events into flags and an end-of-call summary.
//!
//! - `pattern`: the phrase pattern language → regex
//! - `spec`: rule files (TOML) and the validated rules they become
//! - `validate`: the checks between the two (ids, kinds, patterns, number ranges), with
//!   file:line:column errors
//! - `pack`: the built-in pack merged with the user's rules.d
//! - `matcher`: every phrase pattern in one `RegexSet`
//! - `semantic`: clauses scored by meaning (sentence encoder, learned heads, examples)
//! - `decide`: how a pattern hit and a semantic verdict combine
//! - `explain`: why each rule did or did not fire on one utterance
//! - `metrics`: talk time, turns and pronoun counts behind the metric rules
//! - `engine`: the stage itself (`load` builds its rules from a config)
//! - `replay`: drives the engine from a finished transcript (`warmcall analyze`)

pub mod decide;
pub mod engine;
pub mod explain;
pub mod matcher;
pub mod metrics;
pub mod negation;
pub mod pack;
pub mod pattern;
pub mod replay;
pub mod semantic;
pub mod spec;
pub mod validate;

pub use engine::{CompiledRules, Engine, Input};
pub use pack::RuleSet;
pub use spec::RuleError;

/// The rules in force for `cfg`: the built-in pack merged with its rules directory, compiled,
/// with the semantic detector when the sentence encoder is installed (one encoder per process,
/// shared by every reload). The daemon, its reload, `analyze`, `rules` and `config check` all
/// build them here.
pub fn load(cfg: &crate::config::Config) -> Result<std::sync::Arc<CompiledRules>, RuleError> {
    CompiledRules::with_encoder(RuleSet::load(&cfg.rules_dir)?, semantic::shared_encoder())
}
