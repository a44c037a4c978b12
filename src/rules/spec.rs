//! Rule files: the TOML format (raw serde types) and the validated [`RuleDef`]s it becomes
//! (`validate` does the checking).
//!
//! Unknown fields are rejected. Every error names the file, line and column.

use std::fmt;
use std::ops::Range;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use toml::Spanned;

use crate::event::Severity;

pub use super::validate::FileCtx;

/// Where a rule came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    Builtin,
    File(PathBuf),
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Source::Builtin => f.write_str("built-in"),
            Source::File(p) => write!(f, "{}", p.display()),
        }
    }
}

/// A rule file error, pointing at the offending place.
#[derive(Debug, Clone, PartialEq)]
pub struct RuleError {
    pub source: Source,
    pub line: usize,
    pub column: usize,
    pub message: String,
}

impl fmt::Display for RuleError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line == 0 {
            // About a whole file or directory (it cannot be read): no position to give.
            return write!(f, "{}: {}", self.source, self.message);
        }
        write!(
            f,
            "{}:{}:{}: {}",
            self.source, self.line, self.column, self.message
        )
    }
}

impl std::error::Error for RuleError {}

/// Which speaker a rule listens to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SpeakerSel {
    Me,
    Them,
    Any,
}

impl SpeakerSel {
    pub fn accepts(self, s: crate::event::Speaker) -> bool {
        use crate::event::Speaker;
        matches!(
            (self, s),
            (SpeakerSel::Any, _)
                | (SpeakerSel::Me, Speaker::Me)
                | (SpeakerSel::Them, Speaker::Them)
        )
    }

    pub fn as_str(self) -> &'static str {
        match self {
            SpeakerSel::Me => "me",
            SpeakerSel::Them => "them",
            SpeakerSel::Any => "any",
        }
    }
}

/// What a rule looks at.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Kind {
    /// Words in one utterance (the default).
    Phrase,
    /// A good move for the end-of-call checklist; never a flag.
    Practice,
    /// I/we/our versus you/your over the rep's recent words.
    SelfFocus,
    /// One long stretch of the rep talking without the prospect speaking.
    Monologue,
    /// The rep's share of recent talk time.
    TalkRatio,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Phrase => "phrase",
            Kind::Practice => "practice",
            Kind::SelfFocus => "self-focus",
            Kind::Monologue => "monologue",
            Kind::TalkRatio => "talk-ratio",
        }
    }
}

/// One `[[rule]]` table as written.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawRule {
    pub id: Option<Spanned<String>>,
    pub kind: Option<Kind>,
    pub enabled: Option<bool>,
    pub speaker: Option<SpeakerSel>,
    pub title: Option<String>,
    pub severity: Option<Severity>,
    pub patterns: Option<Vec<Spanned<String>>>,
    pub unless: Option<Vec<Spanned<String>>>,
    /// Lines that say what the rule means (the semantic detector fires on their paraphrases).
    pub examples: Option<Vec<Spanned<String>>>,
    /// Lines that share the rule's words but are fine (negations, hedges, the advice itself).
    pub counter_examples: Option<Vec<Spanned<String>>>,
    /// Similarity (0-1) to the nearest example a clause needs, for a rule without a trained head.
    pub threshold: Option<Spanned<f64>>,
    pub from: Option<Spanned<f64>>,
    pub until: Option<Spanned<f64>>,
    pub cooldown: Option<Spanned<f64>>,
    pub suggestions: Option<Vec<String>>,
    // monologue
    pub seconds: Option<Spanned<f64>>,
    pub max_pause: Option<Spanned<f64>>,
    // talk-ratio
    pub max_share: Option<Spanned<f64>>,
    pub over_seconds: Option<Spanned<f64>>,
    pub min_speech_seconds: Option<Spanned<f64>>,
    // self-focus
    pub window_words: Option<Spanned<f64>>,
    pub min_self_words: Option<Spanned<f64>>,
    pub min_self_share: Option<Spanned<f64>>,
}

impl RawRule {
    /// Fields this rule leaves out are taken from `base` (a built-in rule with the same id);
    /// `examples` and `counter_examples` are added to the base rule's.
    /// Inherited values are placed at `at` (the overriding rule in the user's file), so an
    /// error they cause points there, not at an offset of the built-in pack.
    pub fn inherit(mut self, base: &RawRule, at: Range<usize>) -> RawRule {
        macro_rules! fill {
            ($($f:ident),*) => { $( if self.$f.is_none() { self.$f = base.$f.clone(); } )* };
        }
        macro_rules! fill_at {
            ($($f:ident),*) => { $( if self.$f.is_none() {
                self.$f = base.$f.as_ref().map(|v| Spanned::new(at.clone(), *v.get_ref()));
            } )* };
        }
        let respan = |list: &Option<Vec<Spanned<String>>>| {
            list.as_ref().map(|l| {
                l.iter()
                    .map(|p| Spanned::new(at.clone(), p.get_ref().clone()))
                    .collect()
            })
        };
        for (mine, theirs) in [
            (&mut self.examples, &base.examples),
            (&mut self.counter_examples, &base.counter_examples),
        ] {
            match (mine.as_mut(), respan(theirs)) {
                (Some(m), Some(t)) => {
                    m.splice(0..0, t);
                }
                (None, t) => *mine = t,
                _ => {}
            }
        }
        fill!(kind, enabled, speaker, title, severity, suggestions);
        fill_at!(
            threshold,
            from,
            until,
            cooldown,
            seconds,
            max_pause,
            max_share,
            over_seconds,
            min_speech_seconds,
            window_words,
            min_self_words,
            min_self_share
        );
        if self.patterns.is_none() {
            self.patterns = respan(&base.patterns);
        }
        if self.unless.is_none() {
            self.unless = respan(&base.unless);
        }
        self
    }
}

/// A whole rule file as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawFile {
    #[serde(default)]
    pub rule: Vec<Spanned<RawRule>>,
}

/// A phrase pattern as written, and where: the matcher compiles it and points its errors
/// there.
#[derive(Debug, Clone, PartialEq)]
pub struct PatternDef {
    pub text: String,
    pub line: usize,
    pub column: usize,
}

/// Kind-specific settings, validated.
#[derive(Debug, Clone, PartialEq)]
pub enum Detector {
    Phrase {
        patterns: Vec<PatternDef>,
        unless: Vec<PatternDef>,
        /// Lines of the rule's intent and lines that are fine, for the semantic detector.
        examples: Vec<String>,
        counter_examples: Vec<String>,
        /// Similarity a clause needs to the nearest example (rules without a trained head).
        threshold: f32,
    },
    Practice {
        patterns: Vec<PatternDef>,
        unless: Vec<PatternDef>,
    },
    SelfFocus {
        window_words: usize,
        min_self_words: usize,
        min_self_share: f64,
    },
    Monologue {
        seconds: f64,
        max_pause: f64,
    },
    TalkRatio {
        max_share: f64,
        over_seconds: f64,
        min_speech_seconds: f64,
    },
}

/// A validated rule.
#[derive(Debug, Clone, PartialEq)]
pub struct RuleDef {
    pub id: String,
    pub kind: Kind,
    pub enabled: bool,
    pub speaker: SpeakerSel,
    pub title: String,
    pub severity: Severity,
    /// Call-time window in seconds: the rule only fires in `[from, until)`.
    pub from: f64,
    pub until: Option<f64>,
    pub cooldown: f64,
    pub suggestions: Vec<String>,
    pub detector: Detector,
    pub source: Source,
}

/// Read a rule file's text, or report why not.
pub fn read(path: &Path) -> Result<String, RuleError> {
    std::fs::read_to_string(path).map_err(|e| RuleError {
        source: Source::File(path.to_path_buf()),
        line: 0,
        column: 0,
        message: format!("cannot read: {e}"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_and_column_are_one_based() {
        use crate::text::line_col;
        assert_eq!(line_col("ab\ncd", 4), (2, 2));
        assert_eq!(line_col("x", 0), (1, 1));
        // Inside a multi-byte character, past the end: no panic.
        assert_eq!(line_col("\u{e9}\u{e9}", 3), (1, 2));
        assert_eq!(line_col("ab", 99), (1, 3));
    }

    #[test]
    fn errors_without_a_position_name_the_file_alone() {
        let e = RuleError {
            source: Source::File("r.toml".into()),
            line: 0,
            column: 0,
            message: "cannot read: denied".into(),
        };
        assert_eq!(e.to_string(), "r.toml: cannot read: denied");
    }
}
