//! Rule files: the TOML format (raw serde types) and the validated [`RuleDef`]s that
//! `validate` makes of them.
//!
//! Unknown fields are rejected. Every error names the file, line and column.

use std::fmt;
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
    /// Fields this rule leaves out are taken from `base` (a built-in rule with the same id).
    pub fn inherit(mut self, base: &RawRule) -> RawRule {
        macro_rules! fill {
            ($($f:ident),*) => { $( if self.$f.is_none() { self.$f = base.$f.clone(); } )* };
        }
        fill!(
            kind,
            enabled,
            speaker,
            title,
            severity,
            patterns,
            unless,
            from,
            until,
            cooldown,
            suggestions,
            seconds,
            max_pause,
            max_share,
            over_seconds,
            min_speech_seconds,
            window_words,
            min_self_words,
            min_self_share
        );
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

/// Kind-specific settings, validated.
#[derive(Debug, Clone, PartialEq)]
pub enum Detector {
    Phrase {
        patterns: Vec<String>,
        unless: Vec<String>,
    },
    Practice {
        patterns: Vec<String>,
        unless: Vec<String>,
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

    fn check(text: &str) -> Result<Vec<RuleDef>, RuleError> {
        let ctx = FileCtx {
            source: Source::File("t.toml".into()),
            text,
        };
        let file = ctx.parse()?;
        file.rule
            .iter()
            .map(|r| ctx.validate(r.get_ref(), r.span().start))
            .collect()
    }

    #[test]
    fn line_and_column_are_one_based() {
        assert_eq!(crate::text::line_col("ab\ncd", 4), (2, 2));
        assert_eq!(crate::text::line_col("x", 0), (1, 1));
    }

    #[test]
    fn unknown_fields_are_reported_with_position() {
        let e = check("[[rule]]\nid = \"x\"\npatern = [\"a\"]\n").unwrap_err();
        assert_eq!((e.line, e.source.to_string().as_str()), (3, "t.toml"));
        assert!(e.message.contains("patern"), "{e}");
    }

    #[test]
    fn bad_patterns_point_at_the_pattern() {
        let e = check(
            "[[rule]]\nid = \"x\"\nsuggestions = [\"s\"]\npatterns = [\"ok\", \"(broken\"]\n",
        )
        .unwrap_err();
        assert_eq!((e.line, e.column), (4, 19));
        assert!(e.message.contains("missing `)`"), "{e}");
    }

    #[test]
    fn negative_window_and_inverted_window_are_rejected() {
        let e =
            check("[[rule]]\nid = \"x\"\nsuggestions = [\"s\"]\npatterns = [\"a\"]\nfrom = -5\n")
                .unwrap_err();
        assert_eq!(e.line, 5);
        assert!(e.message.contains("0 or more"), "{e}");
        let e = check("[[rule]]\nid = \"x\"\nsuggestions = [\"s\"]\npatterns = [\"a\"]\nfrom = 50\nuntil = 10\n")
            .unwrap_err();
        assert_eq!(e.line, 6);
    }

    #[test]
    fn settings_of_other_kinds_are_rejected() {
        let e = check("[[rule]]\nid = \"x\"\nkind = \"monologue\"\nsuggestions = [\"s\"]\npatterns = [\"a\"]\n")
            .unwrap_err();
        assert!(
            e.message
                .contains("`patterns` does not apply to a monologue rule"),
            "{e}"
        );
    }

    #[test]
    fn defaults_fill_in() {
        let r = &check("[[rule]]\nid = \"my-rule\"\nsuggestions = [\"s\"]\npatterns = [\"a\"]\n")
            .unwrap()[0];
        assert_eq!(r.kind, Kind::Phrase);
        assert_eq!(r.speaker, SpeakerSel::Me);
        assert_eq!(r.title, "my rule");
        assert!(r.enabled);
    }
}
