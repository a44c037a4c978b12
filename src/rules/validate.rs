//! Validation of one rule file: raw `[[rule]]` tables into [`RuleDef`]s, every error with the
//! file, line and column of the offending value.

use toml::Spanned;

use super::pattern;
use super::spec::*;
use crate::event::Severity;

/// Context for validation errors of one file.
pub struct FileCtx<'a> {
    pub source: Source,
    pub text: &'a str,
}

impl FileCtx<'_> {
    pub fn error_at(&self, offset: usize, message: impl Into<String>) -> RuleError {
        let (line, column) = crate::text::line_col(self.text, offset);
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
        let c = Check {
            ctx: self,
            span_start,
        };
        let id = c.id(raw)?;
        let kind = raw.kind.unwrap_or(Kind::Phrase);
        let enabled = raw.enabled.unwrap_or(true);
        let from = c.nonneg(&raw.from, "from", 0.0)?;
        let until = match &raw.until {
            None => None,
            Some(_) => {
                let u = c.nonneg(&raw.until, "until", 0.0)?;
                if u <= from {
                    return Err(self.error_at(
                        c.at(&raw.until),
                        format!("`until` ({u}) must be later than `from` ({from})"),
                    ));
                }
                Some(u)
            }
        };
        let cooldown = c.nonneg(&raw.cooldown, "cooldown", 30.0)?;
        c.no_foreign_settings(raw, kind)?;
        let detector = c.detector(raw, kind, enabled)?;
        let suggestions = raw.suggestions.clone().unwrap_or_default();
        if kind != Kind::Practice && enabled && suggestions.iter().all(|s| s.trim().is_empty()) {
            return Err(self.error_at(
                span_start,
                "a rule needs at least one entry in `suggestions`",
            ));
        }
        Ok(RuleDef {
            title: raw.title.clone().unwrap_or_else(|| id.replace('-', " ")),
            id,
            kind,
            enabled,
            speaker: raw.speaker.unwrap_or(SpeakerSel::Me),
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

/// Checks of one rule's values; errors point at the value, or at the rule (`span_start`).
struct Check<'a, 'b> {
    ctx: &'a FileCtx<'b>,
    span_start: usize,
}

impl Check<'_, '_> {
    fn at(&self, s: &Option<Spanned<f64>>) -> usize {
        s.as_ref().map_or(self.span_start, |v| v.span().start)
    }

    fn id(&self, raw: &RawRule) -> Result<String, RuleError> {
        let id = raw
            .id
            .as_ref()
            .ok_or_else(|| self.ctx.error_at(self.span_start, "a rule needs an `id`"))?;
        let id_text = id.get_ref().trim();
        if id_text.is_empty()
            || !id_text
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_')
        {
            return Err(self.ctx.error_at(
                id.span().start,
                format!("rule id {id_text:?} must be lowercase letters, digits, '-' or '_'"),
            ));
        }
        Ok(id_text.to_string())
    }

    fn nonneg(&self, v: &Option<Spanned<f64>>, name: &str, default: f64) -> Result<f64, RuleError> {
        match v {
            None => Ok(default),
            Some(s) if s.get_ref().is_finite() && *s.get_ref() >= 0.0 => Ok(*s.get_ref()),
            Some(s) => Err(self.ctx.error_at(
                s.span().start,
                format!(
                    "`{name}` must be a number of 0 or more, not {}",
                    s.get_ref()
                ),
            )),
        }
    }

    fn share(&self, v: &Option<Spanned<f64>>, name: &str, default: f64) -> Result<f64, RuleError> {
        let x = self.nonneg(v, name, default)?;
        if x > 1.0 || x == 0.0 {
            return Err(self.ctx.error_at(
                self.at(v),
                format!("`{name}` is a share between 0 and 1, not {x}"),
            ));
        }
        Ok(x)
    }

    fn positive(
        &self,
        v: &Option<Spanned<f64>>,
        name: &str,
        default: f64,
    ) -> Result<f64, RuleError> {
        let x = self.nonneg(v, name, default)?;
        if x == 0.0 {
            return Err(self
                .ctx
                .error_at(self.at(v), format!("`{name}` must be more than 0")));
        }
        Ok(x)
    }

    /// Settings that belong to other kinds are mistakes worth reporting.
    fn no_foreign_settings(&self, raw: &RawRule, kind: Kind) -> Result<(), RuleError> {
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
        match foreign
            .iter()
            .find(|(name, set)| *set && !allowed.contains(name))
        {
            Some((name, _)) => Err(self.ctx.error_at(
                self.span_start,
                format!("`{name}` does not apply to a {} rule", kind.as_str()),
            )),
            None => Ok(()),
        }
    }

    /// Phrase patterns, each checked by compiling it; `required` of an enabled rule.
    fn patterns(
        &self,
        v: &Option<Vec<Spanned<String>>>,
        required: bool,
        kind: Kind,
        enabled: bool,
    ) -> Result<Vec<String>, RuleError> {
        let list = v.as_deref().unwrap_or(&[]);
        if required && list.is_empty() && enabled {
            return Err(self.ctx.error_at(
                self.span_start,
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
                        self.ctx.error_at(
                            p.span().start,
                            format!("bad pattern {:?}: {e}", p.get_ref()),
                        )
                    })
            })
            .collect()
    }

    fn detector(&self, raw: &RawRule, kind: Kind, enabled: bool) -> Result<Detector, RuleError> {
        let patterns = |v: &Option<Vec<Spanned<String>>>, required: bool| {
            self.patterns(v, required, kind, enabled)
        };
        Ok(match kind {
            Kind::Phrase => Detector::Phrase {
                patterns: patterns(&raw.patterns, true)?,
                unless: patterns(&raw.unless, false)?,
            },
            Kind::Practice => Detector::Practice {
                patterns: patterns(&raw.patterns, true)?,
                unless: patterns(&raw.unless, false)?,
            },
            Kind::SelfFocus => Detector::SelfFocus {
                window_words: self.positive(&raw.window_words, "window_words", 60.0)? as usize,
                min_self_words: self.positive(&raw.min_self_words, "min_self_words", 8.0)? as usize,
                min_self_share: self.share(&raw.min_self_share, "min_self_share", 0.8)?,
            },
            Kind::Monologue => Detector::Monologue {
                seconds: self.positive(&raw.seconds, "seconds", 60.0)?,
                max_pause: self.positive(&raw.max_pause, "max_pause", 2.5)?,
            },
            Kind::TalkRatio => Detector::TalkRatio {
                max_share: self.share(&raw.max_share, "max_share", 0.65)?,
                over_seconds: self.positive(&raw.over_seconds, "over_seconds", 300.0)?,
                min_speech_seconds: self.positive(
                    &raw.min_speech_seconds,
                    "min_speech_seconds",
                    120.0,
                )?,
            },
        })
    }
}
