//! Validation of one raw rule (after inheritance) into a [`RuleDef`]: its id, kind, patterns
//! and a range for every number, each error at the value's file, line and column.
//!
//! | setting | range |
//! |---|---|
//! | `from`, `until`, `cooldown` | 0 to 86400 s (`until` later than `from`) |
//! | `seconds` (monologue) | 1 to 3600 s |
//! | `max_pause` | over 0, at most 60 s |
//! | `max_share`, `min_self_share` | over 0, at most 1 |
//! | `over_seconds` | 10 to 3600 s |
//! | `min_speech_seconds` | over 0, at most 3600 s |
//! | `window_words` | a whole number from 1 to 1000 |
//! | `min_self_words` | a whole number from 1 to `window_words` |

use toml::Spanned;

use super::pattern;
use super::spec::{
    Detector, Kind, PatternDef, RawFile, RawRule, RuleDef, RuleError, Source, SpeakerSel,
};
use crate::event::Severity;
use crate::text::{line_col, show_number};

/// Similarity to the nearest example a user's semantic rule needs by default: paraphrases of
/// an example score about 0.7 to 0.85 with all-MiniLM-L6-v2, unrelated lines under 0.4.
pub const DEFAULT_THRESHOLD: f32 = 0.7;
/// Bounds on a rule's example lines.
const MAX_EXAMPLES: usize = 500;
const MAX_EXAMPLE_CHARS: usize = 400;

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
}

/// Seconds in a day: the longest call window or cooldown.
const DAY: f64 = 86_400.0;
/// An hour: the longest monologue, talk-ratio window or pause.
const HOUR: f64 = 3_600.0;
/// The longest self-focus window, in words.
const MAX_WINDOW_WORDS: f64 = 1_000.0;

/// Where a number setting must lie.
#[derive(Debug, Clone, Copy)]
struct Bounds {
    min: f64,
    max: f64,
    /// `min` itself is not allowed (the value must be more than it).
    above_min: bool,
    whole: bool,
}

impl Bounds {
    const fn from(min: f64, max: f64) -> Self {
        Self {
            min,
            max,
            above_min: false,
            whole: false,
        }
    }

    const fn above(min: f64, max: f64) -> Self {
        Self {
            above_min: true,
            ..Self::from(min, max)
        }
    }

    const fn whole(min: f64, max: f64) -> Self {
        Self {
            whole: true,
            ..Self::from(min, max)
        }
    }

    fn contains(&self, x: f64) -> bool {
        let low = if self.above_min {
            x > self.min
        } else {
            x >= self.min
        };
        x.is_finite() && low && x <= self.max && (!self.whole || x.fract() == 0.0)
    }

    fn describe(&self) -> String {
        match (self.whole, self.above_min) {
            (true, _) => format!("a whole number from {} to {}", self.min, self.max),
            (false, true) => format!("more than {} and at most {}", self.min, self.max),
            (false, false) => format!("from {} to {}", self.min, self.max),
        }
    }
}

impl FileCtx<'_> {
    /// A number setting: `default` when absent, else checked against `bounds`.
    fn number(
        &self,
        value: &Option<Spanned<f64>>,
        name: &str,
        default: f64,
        bounds: Bounds,
    ) -> Result<f64, RuleError> {
        match value {
            None => Ok(default),
            Some(v) if bounds.contains(*v.get_ref()) => Ok(*v.get_ref()),
            Some(v) => Err(self.error_at(
                v.span().start,
                format!(
                    "`{name}` must be {}, not {}",
                    bounds.describe(),
                    show_number(*v.get_ref())
                ),
            )),
        }
    }

    /// A list of patterns: each must translate (the matcher compiles them later and reports
    /// size errors at the same place).
    fn patterns(
        &self,
        list: &Option<Vec<Spanned<String>>>,
        need_one: Option<Kind>,
        span_start: usize,
    ) -> Result<Vec<PatternDef>, RuleError> {
        let list = list.as_deref().unwrap_or(&[]);
        if let (Some(kind), true) = (need_one, list.is_empty()) {
            let what = if kind == Kind::Phrase {
                "`patterns` or `examples`"
            } else {
                "`patterns`"
            };
            return Err(self.error_at(
                span_start,
                format!(
                    "a {} rule needs at least one entry in {what}",
                    kind.as_str()
                ),
            ));
        }
        list.iter()
            .map(|p| {
                let text = p.get_ref();
                pattern::to_regex(text).map_err(|e| {
                    self.error_at(
                        p.span().start,
                        format!("bad pattern {}: {e}", pattern::preview(text)),
                    )
                })?;
                let (line, column) = line_col(self.text, p.span().start);
                Ok(PatternDef {
                    text: text.clone(),
                    line,
                    column,
                })
            })
            .collect()
    }

    /// Settings that belong to another kind than `kind` are mistakes worth reporting.
    fn foreign_settings(&self, raw: &RawRule, kind: Kind, at: usize) -> Result<(), RuleError> {
        let set: &[(&str, bool)] = &[
            ("patterns", raw.patterns.is_some()),
            ("unless", raw.unless.is_some()),
            ("examples", raw.examples.is_some()),
            ("counter_examples", raw.counter_examples.is_some()),
            ("threshold", raw.threshold.is_some()),
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
            Kind::Phrase => &[
                "patterns",
                "unless",
                "examples",
                "counter_examples",
                "threshold",
            ],
            Kind::Practice => &["patterns", "unless"],
            Kind::SelfFocus => &["window_words", "min_self_words", "min_self_share"],
            Kind::Monologue => &["seconds", "max_pause"],
            Kind::TalkRatio => &["max_share", "over_seconds", "min_speech_seconds"],
        };
        match set
            .iter()
            .find(|(name, set)| *set && !allowed.contains(name))
        {
            Some((name, _)) => Err(self.error_at(
                at,
                format!("`{name}` does not apply to a {} rule", kind.as_str()),
            )),
            None => Ok(()),
        }
    }

    /// Example lines: a bounded list of non-empty lines of bounded length.
    fn lines(
        &self,
        v: &Option<Vec<Spanned<String>>>,
        name: &str,
    ) -> Result<Vec<String>, RuleError> {
        let list = v.as_deref().unwrap_or(&[]);
        if list.len() > MAX_EXAMPLES {
            return Err(self.error_at(
                list[MAX_EXAMPLES].span().start,
                format!("`{name}` holds at most {MAX_EXAMPLES} lines"),
            ));
        }
        list.iter()
            .map(|l| {
                let text = l.get_ref().trim();
                if text.split_whitespace().next().is_none()
                    || text.chars().count() > MAX_EXAMPLE_CHARS
                {
                    Err(self.error_at(
                        l.span().start,
                        format!(
                            "each of `{name}` must be a line of words, at most {MAX_EXAMPLE_CHARS} characters"
                        ),
                    ))
                } else {
                    Ok(text.to_string())
                }
            })
            .collect()
    }

    /// A semantic threshold: a score in (0, 1].
    fn threshold(&self, v: &Option<Spanned<f64>>) -> Result<f32, RuleError> {
        match v {
            None => Ok(DEFAULT_THRESHOLD),
            Some(t) if *t.get_ref() > 0.0 && *t.get_ref() <= 1.0 => Ok(*t.get_ref() as f32),
            Some(t) => Err(self.error_at(
                t.span().start,
                format!(
                    "`threshold` is a score between 0 and 1, not {}",
                    show_number(*t.get_ref())
                ),
            )),
        }
    }

    /// The kind-specific settings of a rule, checked.
    fn detector(
        &self,
        raw: &RawRule,
        kind: Kind,
        enabled: bool,
        at: usize,
    ) -> Result<Detector, RuleError> {
        let need = enabled.then_some(kind);
        Ok(match kind {
            Kind::Phrase => {
                let examples = self.lines(&raw.examples, "examples")?;
                let need = need.filter(|_| examples.is_empty());
                Detector::Phrase {
                    patterns: self.patterns(&raw.patterns, need, at)?,
                    unless: self.patterns(&raw.unless, None, at)?,
                    counter_examples: self.lines(&raw.counter_examples, "counter_examples")?,
                    threshold: self.threshold(&raw.threshold)?,
                    examples,
                }
            }
            Kind::Practice => Detector::Practice {
                patterns: self.patterns(&raw.patterns, need, at)?,
                unless: self.patterns(&raw.unless, None, at)?,
            },
            Kind::SelfFocus => {
                let window = Bounds::whole(1.0, MAX_WINDOW_WORDS);
                let window_words = self.number(&raw.window_words, "window_words", 60.0, window)?;
                let min_words = Bounds::whole(1.0, window_words);
                // The default threshold never exceeds a shorter window.
                let default_min = window_words.min(8.0);
                Detector::SelfFocus {
                    window_words: window_words as usize,
                    min_self_words: self.number(
                        &raw.min_self_words,
                        "min_self_words",
                        default_min,
                        min_words,
                    )? as usize,
                    min_self_share: self.number(
                        &raw.min_self_share,
                        "min_self_share",
                        0.8,
                        Bounds::above(0.0, 1.0),
                    )?,
                }
            }
            Kind::Monologue => Detector::Monologue {
                seconds: self.number(&raw.seconds, "seconds", 60.0, Bounds::from(1.0, HOUR))?,
                max_pause: self.number(
                    &raw.max_pause,
                    "max_pause",
                    2.5,
                    Bounds::above(0.0, 60.0),
                )?,
            },
            Kind::TalkRatio => Detector::TalkRatio {
                max_share: self.number(
                    &raw.max_share,
                    "max_share",
                    0.65,
                    Bounds::above(0.0, 1.0),
                )?,
                over_seconds: self.number(
                    &raw.over_seconds,
                    "over_seconds",
                    300.0,
                    Bounds::from(10.0, HOUR),
                )?,
                min_speech_seconds: self.number(
                    &raw.min_speech_seconds,
                    "min_speech_seconds",
                    120.0,
                    Bounds::above(0.0, HOUR),
                )?,
            },
        })
    }

    /// Validate one raw rule (after inheritance) found at `span_start`.
    pub fn validate(&self, raw: &RawRule, span_start: usize) -> Result<RuleDef, RuleError> {
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
        let from = self.number(&raw.from, "from", 0.0, Bounds::from(0.0, DAY))?;
        let until = match &raw.until {
            None => None,
            Some(u) => {
                let value = self.number(&raw.until, "until", 0.0, Bounds::from(0.0, DAY))?;
                if value <= from {
                    return Err(self.error_at(
                        u.span().start,
                        format!("`until` ({value}) must be later than `from` ({from})"),
                    ));
                }
                Some(value)
            }
        };
        let cooldown = self.number(&raw.cooldown, "cooldown", 30.0, Bounds::from(0.0, DAY))?;
        self.foreign_settings(raw, kind, span_start)?;
        let detector = self.detector(raw, kind, enabled, span_start)?;
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
        assert!(e.message.contains("from 0 to 86400"), "{e}");
        let e = check("[[rule]]\nid = \"x\"\nsuggestions = [\"s\"]\npatterns = [\"a\"]\nfrom = 50\nuntil = 10\n")
            .unwrap_err();
        assert_eq!(e.line, 6);
    }

    #[test]
    fn numbers_have_ranges_and_whole_numbers_are_whole() {
        let e = check("[[rule]]\nid = \"x\"\nkind = \"self-focus\"\nsuggestions = [\"s\"]\nwindow_words = 20\nmin_self_words = 21\n")
            .unwrap_err();
        assert_eq!((e.line, e.column), (6, 18));
        assert!(
            e.message
                .contains("`min_self_words` must be a whole number from 1 to 20, not 21"),
            "{e}"
        );
        let e = check(
            "[[rule]]\nid = \"x\"\nkind = \"talk-ratio\"\nsuggestions = [\"s\"]\nmax_share = 0\n",
        )
        .unwrap_err();
        assert!(e.message.contains("more than 0 and at most 1"), "{e}");
        let r = &check("[[rule]]\nid = \"x\"\nkind = \"self-focus\"\nsuggestions = [\"s\"]\nwindow_words = 1000\nmin_self_words = 1000\nmin_self_share = 1\n").unwrap()[0];
        assert_eq!(
            r.detector,
            Detector::SelfFocus {
                window_words: 1000,
                min_self_words: 1000,
                min_self_share: 1.0
            }
        );
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
        let Detector::Phrase { patterns, .. } = &r.detector else {
            panic!()
        };
        assert_eq!((patterns[0].line, patterns[0].column), (4, 13));
    }
}
