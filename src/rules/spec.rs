//! Rule files: the TOML format (raw serde types) and its validation into [`RuleDef`]s.
//!
//! Unknown fields are rejected. Every error names the file, line and column.

use std::fmt;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use toml::Spanned;

use super::pattern;
use crate::event::Severity;

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

/// Line and column (1-based) of byte `offset` in `text`.
pub fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, col)
}

/// Context for validation errors of one file.
pub struct FileCtx<'a> {
    pub source: Source,
    pub text: &'a str,
}

impl FileCtx<'_> {
    pub fn error_at(&self, offset: usize, message: impl Into<String>) -> RuleError {
        let (line, column) = line_col(self.text, offset);
        RuleError {
            source: self.source.clone(),
            line,
            column,
            message: message.into(),
        }
    }

    /// Parse the TOML text of a rule file.
    pub fn parse(&self) -> Result<RawFile, RuleError> {
        toml::from_str(self.text).map_err(|e| {
            let offset = e.span().map_or(0, |s| s.start);
            self.error_at(offset, e.message().trim().to_string())
        })
    }

    /// Validate one raw rule (after inheritance) found at `span_start`.
    pub fn validate(&self, raw: &RawRule, span_start: usize) -> Result<RuleDef, RuleError> {
        let at = |s: &Option<Spanned<f64>>| s.as_ref().map_or(span_start, |v| v.span().start);
        let id = raw
            .id
            .as_ref()
            .ok_or_else(|| self.error_at(span_start, "a rule needs an `id`"))?;
        let id_text = id.get_ref().trim();
        if id_text.is_empty()
            || !id_text
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_')
        {
            return Err(self.error_at(
                id.span().start,
                format!("rule id {id_text:?} must be lowercase letters, digits, '-' or '_'"),
            ));
        }
        let kind = raw.kind.unwrap_or(Kind::Phrase);
        let enabled = raw.enabled.unwrap_or(true);
        let nonneg =
            |v: &Option<Spanned<f64>>, name: &str, default: f64| -> Result<f64, RuleError> {
                match v {
                    None => Ok(default),
                    Some(s) if s.get_ref().is_finite() && *s.get_ref() >= 0.0 => Ok(*s.get_ref()),
                    Some(s) => Err(self.error_at(
                        s.span().start,
                        format!(
                            "`{name}` must be a number of 0 or more, not {}",
                            s.get_ref()
                        ),
                    )),
                }
            };
        let from = nonneg(&raw.from, "from", 0.0)?;
        let until = match &raw.until {
            None => None,
            Some(_) => {
                let u = nonneg(&raw.until, "until", 0.0)?;
                if u <= from {
                    return Err(self.error_at(
                        at(&raw.until),
                        format!("`until` ({u}) must be later than `from` ({from})"),
                    ));
                }
                Some(u)
            }
        };
        let cooldown = nonneg(&raw.cooldown, "cooldown", 30.0)?;
        let share =
            |v: &Option<Spanned<f64>>, name: &str, default: f64| -> Result<f64, RuleError> {
                let x = nonneg(v, name, default)?;
                if x > 1.0 || x == 0.0 {
                    return Err(self.error_at(
                        at(v),
                        format!("`{name}` is a share between 0 and 1, not {x}"),
                    ));
                }
                Ok(x)
            };
        let positive =
            |v: &Option<Spanned<f64>>, name: &str, default: f64| -> Result<f64, RuleError> {
                let x = nonneg(v, name, default)?;
                if x == 0.0 {
                    return Err(self.error_at(at(v), format!("`{name}` must be more than 0")));
                }
                Ok(x)
            };
        // Settings that belong to other kinds are mistakes worth reporting.
        let foreign: &[(&str, bool)] = &[
            ("patterns", raw.patterns.is_some()),
            ("unless", raw.unless.is_some()),
            ("seconds", raw.seconds.is_some()),
            ("max_pause", raw.max_pause.is_some()),
            ("max_share", raw.max_share.is_some()),
            ("over_seconds", raw.over_seconds.is_some()),
            ("min_speech_seconds", raw.min_speech_seconds.is_some()),
            ("window_words", raw.window_words.is_some()),
            ("min_self_words", raw.min_self_words.is_some()),
            ("min_self_share", raw.min_self_share.is_some()),
        ];
        let allowed: &[&str] = match kind {
            Kind::Phrase | Kind::Practice => &["patterns", "unless"],
            Kind::SelfFocus => &["window_words", "min_self_words", "min_self_share"],
            Kind::Monologue => &["seconds", "max_pause"],
            Kind::TalkRatio => &["max_share", "over_seconds", "min_speech_seconds"],
        };
        if let Some((name, _)) = foreign
            .iter()
            .find(|(name, set)| *set && !allowed.contains(name))
        {
            return Err(self.error_at(
                span_start,
                format!("`{name}` does not apply to a {} rule", kind.as_str()),
            ));
        }
        let patterns =
            |v: &Option<Vec<Spanned<String>>>, required: bool| -> Result<Vec<String>, RuleError> {
                let list = v.as_deref().unwrap_or(&[]);
                if required && list.is_empty() && enabled {
                    return Err(self.error_at(
                        span_start,
                        format!(
                            "a {} rule needs at least one entry in `patterns`",
                            kind.as_str()
                        ),
                    ));
                }
                list.iter()
                    .map(|p| {
                        pattern::to_regex(p.get_ref())
                            .map(|_| p.get_ref().clone())
                            .map_err(|e| {
                                self.error_at(
                                    p.span().start,
                                    format!("bad pattern {:?}: {e}", p.get_ref()),
                                )
                            })
                    })
                    .collect()
            };
        let detector = match kind {
            Kind::Phrase => Detector::Phrase {
                patterns: patterns(&raw.patterns, true)?,
                unless: patterns(&raw.unless, false)?,
            },
            Kind::Practice => Detector::Practice {
                patterns: patterns(&raw.patterns, true)?,
                unless: patterns(&raw.unless, false)?,
            },
            Kind::SelfFocus => Detector::SelfFocus {
                window_words: positive(&raw.window_words, "window_words", 60.0)? as usize,
                min_self_words: positive(&raw.min_self_words, "min_self_words", 8.0)? as usize,
                min_self_share: share(&raw.min_self_share, "min_self_share", 0.8)?,
            },
            Kind::Monologue => Detector::Monologue {
                seconds: positive(&raw.seconds, "seconds", 60.0)?,
                max_pause: positive(&raw.max_pause, "max_pause", 2.5)?,
            },
            Kind::TalkRatio => Detector::TalkRatio {
                max_share: share(&raw.max_share, "max_share", 0.65)?,
                over_seconds: positive(&raw.over_seconds, "over_seconds", 300.0)?,
                min_speech_seconds: positive(&raw.min_speech_seconds, "min_speech_seconds", 120.0)?,
            },
        };
        let suggestions = raw.suggestions.clone().unwrap_or_default();
        if kind != Kind::Practice && enabled && suggestions.iter().all(|s| s.trim().is_empty()) {
            return Err(self.error_at(
                span_start,
                "a rule needs at least one entry in `suggestions`",
            ));
        }
        Ok(RuleDef {
            id: id_text.to_string(),
            kind,
            enabled,
            speaker: raw.speaker.unwrap_or(SpeakerSel::Me),
            title: raw
                .title
                .clone()
                .unwrap_or_else(|| id_text.replace('-', " ")),
            severity: raw.severity.unwrap_or(Severity::Warn),
            from,
            until,
            cooldown,
            suggestions,
            detector,
            source: self.source.clone(),
        })
    }
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
        assert_eq!(line_col("ab\ncd", 4), (2, 2));
        assert_eq!(line_col("x", 0), (1, 1));
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
