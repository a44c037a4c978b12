//! The per-user config file (`$XDG_CONFIG_HOME/warmcall/config.toml`): raw TOML types and the
//! validated settings the rest of warmcall uses.
//!
//! Unknown keys are rejected, with file, line and column; so is a number outside its range
//! (`end_after_silence` 2 to 3600 s, `min_interval` 0 to 3600 s, `retention_days` a whole
//! number from 0 to 3650), and so is an empty directory (`dir = ""`, which would be the
//! config file's own directory).

use std::path::{Path, PathBuf};

use serde::Deserialize;
use toml::Spanned;

use crate::paths;
use crate::text::{line_col, show_number};

/// The `[rules]` section as written.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRules {
    /// Directory of user rule files (default: `rules.d` beside the config file).
    dir: Option<Spanned<PathBuf>>,
}

/// The `[asr]` section as written.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAsr {
    /// A model name in the models directory ("tiny.en", "base") or a path to a ggml file.
    model: Option<String>,
    /// Spoken language ("en", "de", … or "auto"); only multilingual models use it.
    language: Option<String>,
    /// Decode a phrase while it is still being spoken, for earlier cues (default true).
    partials: Option<bool>,
}

/// The `[log]` section as written.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawLog {
    /// Directory for call logs.
    dir: Option<Spanned<PathBuf>>,
    /// Days call logs are kept.
    retention_days: Option<Spanned<i64>>,
    /// Redact card, ID and phone numbers and e-mail addresses in transcripts (default true).
    redact: Option<bool>,
}

/// The `[devices]` section as written.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDevices {
    me: Option<String>,
    them: Option<String>,
}

/// The `[calls]` section as written.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCalls {
    end_after_silence: Option<Spanned<f64>>,
}

/// The `[notify]` section as written.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawNotify {
    quiet: Option<bool>,
    min_interval: Option<Spanned<f64>>,
}

/// The config file as written.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    #[serde(default)]
    rules: RawRules,
    #[serde(default)]
    asr: RawAsr,
    #[serde(default)]
    log: RawLog,
    #[serde(default)]
    devices: RawDevices,
    #[serde(default)]
    calls: RawCalls,
    #[serde(default)]
    notify: RawNotify,
}

/// Validated settings.
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    /// The file these settings came from, if any.
    pub path: Option<PathBuf>,
    /// Where user rule files live.
    pub rules_dir: PathBuf,
    /// The ggml model file.
    pub model: PathBuf,
    /// Spoken language; `None` = detect (multilingual models only).
    pub language: Option<String>,
    /// Live: decode each phrase every second while it is spoken, so a cue can come before
    /// the speaker pauses (`[asr] partials`).
    pub partials: bool,
    /// Where call logs go.
    pub log_dir: PathBuf,
    /// Days call logs are kept (0 = forever).
    pub retention_days: u32,
    /// Replace personal data in transcripts and evidence before they are written (`redact`).
    pub redact: bool,
    /// Capture devices (by id or name); `None` = the desktop default.
    pub device_me: Option<String>,
    pub device_them: Option<String>,
    /// Seconds of silence that end a call.
    pub end_after_silence: f64,
    /// Notification policy.
    pub quiet: bool,
    pub min_interval: f64,
}

/// A model name ("tiny.en") becomes its file in the models directory; a path stays a path.
fn model_path(spec: &str, base: &Path) -> PathBuf {
    if spec.contains('/') || spec.ends_with(".bin") {
        let p = PathBuf::from(spec);
        if p.is_absolute() { p } else { base.join(p) }
    } else {
        paths::models_dir().join(crate::model::file_name(spec))
    }
}

/// Why a config file is unusable.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{path}: cannot read: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}:{line}:{column}: {message}")]
    Invalid {
        path: PathBuf,
        line: usize,
        column: usize,
        message: String,
    },
}

/// Seconds of call time between two notifications when the config sets none.
pub const DEFAULT_MIN_INTERVAL: f64 = 10.0;

/// The longest `[log] retention_days`: ten years.
const MAX_RETENTION_DAYS: i64 = 3650;

/// The commented default config `warmcall config init` writes.
pub const DEFAULT_TOML: &str = include_str!("default.toml");

impl Config {
    /// The settings read only at start that differ in `new` (a reload applies the rules,
    /// quiet mode and the notification interval; these need a restart).
    pub fn restart_needed(&self, new: &Config) -> Vec<&'static str> {
        let mut changed = Vec::new();
        let mut check = |name, differs: bool| {
            if differs {
                changed.push(name);
            }
        };
        check("devices.me", self.device_me != new.device_me);
        check("devices.them", self.device_them != new.device_them);
        check("asr.model", self.model != new.model);
        check("asr.language", self.language != new.language);
        check("asr.partials", self.partials != new.partials);
        check(
            "calls.end_after_silence",
            self.end_after_silence != new.end_after_silence,
        );
        check("log.dir", self.log_dir != new.log_dir);
        check(
            "log.retention_days",
            self.retention_days != new.retention_days,
        );
        check("log.redact", self.redact != new.redact);
        changed
    }

    /// Settings when there is no config file.
    pub fn defaults() -> Self {
        Self {
            path: None,
            rules_dir: paths::rules_dir(),
            model: crate::model::default_path(),
            language: Some("en".into()),
            partials: true,
            log_dir: paths::calls_dir(),
            retention_days: 30,
            redact: true,
            device_me: None,
            device_them: None,
            end_after_silence: 30.0,
            quiet: false,
            min_interval: DEFAULT_MIN_INTERVAL,
        }
    }

    /// Parse config text; relative paths are resolved against the file's directory.
    pub fn parse(path: &Path, text: &str) -> Result<Self, ConfigError> {
        let invalid = |offset: usize, message: String| {
            let (line, column) = line_col(text, offset);
            ConfigError::Invalid {
                path: path.to_path_buf(),
                line,
                column,
                message,
            }
        };
        let raw: RawConfig = toml::from_str(text).map_err(|e| {
            invalid(
                e.span().map_or(0, |s| s.start),
                e.message().trim().to_string(),
            )
        })?;
        // A number in [min, max], or the error at its place.
        let range = |v: Option<Spanned<f64>>, name: &str, min: f64, max: f64, default: f64| match v
        {
            None => Ok(default),
            Some(s) if (min..=max).contains(s.get_ref()) => Ok(*s.get_ref()),
            Some(s) => Err(invalid(
                s.span().start,
                format!(
                    "{name} must be from {min} to {max} seconds, not {}",
                    show_number(*s.get_ref())
                ),
            )),
        };
        let base = path.parent().unwrap_or(Path::new("."));
        // A directory setting resolved against the file's directory; "" is refused (it would
        // be the config's own directory).
        let dir = |v: Option<Spanned<PathBuf>>, name: &str| match v {
            None => Ok(None),
            Some(d) if d.get_ref().as_os_str().is_empty() => Err(invalid(
                d.span().start,
                format!("{name} is empty: name a directory, or leave the setting out"),
            )),
            Some(d) => Ok(Some(base.join(d.into_inner()))),
        };
        let defaults = Self::defaults();
        Ok(Self {
            path: Some(path.to_path_buf()),
            rules_dir: dir(raw.rules.dir, "[rules] dir")?.unwrap_or_else(|| base.join("rules.d")),
            model: raw
                .asr
                .model
                .map_or(defaults.model, |m| model_path(&m, base)),
            language: match raw.asr.language.as_deref() {
                None => defaults.language,
                Some("auto") => None,
                Some(l) => Some(l.to_string()),
            },
            partials: raw.asr.partials.unwrap_or(defaults.partials),
            log_dir: dir(raw.log.dir, "[log] dir")?.unwrap_or(defaults.log_dir),
            retention_days: retention_days(raw.log.retention_days, defaults.retention_days)
                .map_err(|(at, message)| invalid(at, message))?,
            redact: raw.log.redact.unwrap_or(defaults.redact),
            device_me: raw.devices.me,
            device_them: raw.devices.them,
            end_after_silence: range(
                raw.calls.end_after_silence,
                "[calls] end_after_silence",
                2.0,
                3600.0,
                defaults.end_after_silence,
            )?,
            quiet: raw.notify.quiet.unwrap_or(defaults.quiet),
            min_interval: range(
                raw.notify.min_interval,
                "[notify] min_interval",
                0.0,
                3600.0,
                defaults.min_interval,
            )?,
        })
    }

    /// Load `explicit` (which must exist), or the per-user file if it exists, or defaults.
    pub fn load(explicit: Option<&Path>) -> Result<Self, ConfigError> {
        let path = match explicit {
            Some(p) => p.to_path_buf(),
            None => {
                let p = paths::config_file();
                if !p.exists() {
                    return Ok(Self::defaults());
                }
                p
            }
        };
        let text = std::fs::read_to_string(&path).map_err(|source| ConfigError::Read {
            path: path.clone(),
            source,
        })?;
        Self::parse(&path, &text)
    }
}

/// `[log] retention_days`: a whole number of days in range, or the error's offset and message.
fn retention_days(v: Option<Spanned<i64>>, default: u32) -> Result<u32, (usize, String)> {
    match v {
        None => Ok(default),
        Some(d) if (0..=MAX_RETENTION_DAYS).contains(d.get_ref()) => Ok(*d.get_ref() as u32),
        Some(d) => Err((
            d.span().start,
            format!(
                "[log] retention_days must be a whole number from 0 to {MAX_RETENTION_DAYS} \
                 (0 = keep forever), not {}",
                d.get_ref()
            ),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_directories_are_refused_at_their_place() {
        for (text, name) in [
            ("[log]\ndir = \"\"\n", "[log] dir"),
            ("[rules]\ndir = \"\"\n", "[rules] dir"),
        ] {
            let e = Config::parse(Path::new("/etc/w/config.toml"), text).unwrap_err();
            let e = e.to_string();
            assert!(e.starts_with("/etc/w/config.toml:2:7: "), "{e}");
            assert!(e.contains(name), "{e}");
        }
    }

    #[test]
    fn rules_dir_defaults_beside_the_file_and_resolves_relative_paths() {
        let c = Config::parse(Path::new("/etc/w/config.toml"), "").unwrap();
        assert_eq!(c.rules_dir, Path::new("/etc/w/rules.d"));
        let c =
            Config::parse(Path::new("/etc/w/config.toml"), "[rules]\ndir = \"mine\"\n").unwrap();
        assert_eq!(c.rules_dir, Path::new("/etc/w/mine"));
    }

    #[test]
    fn unknown_keys_are_reported_with_position() {
        let e = Config::parse(Path::new("c.toml"), "[rules]\ndri = 1\n").unwrap_err();
        assert!(e.to_string().starts_with("c.toml:2:1:"), "{e}");
    }

    #[test]
    fn numbers_out_of_range_are_reported_where_they_are() {
        let e =
            Config::parse(Path::new("c.toml"), "[calls]\nend_after_silence = 1e308\n").unwrap_err();
        assert_eq!(
            e.to_string(),
            "c.toml:2:21: [calls] end_after_silence must be from 2 to 3600 seconds, not 1e308"
        );
        let e =
            Config::parse(Path::new("c.toml"), "[log]\nretention_days = 4294967295\n").unwrap_err();
        assert!(e.to_string().starts_with("c.toml:2:18: "), "{e}");
        let c = Config::parse(
            Path::new("c.toml"),
            "[log]\nretention_days = 3650\n[notify]\nmin_interval = 3600\n",
        )
        .unwrap();
        assert_eq!((c.retention_days, c.min_interval), (3650, 3600.0));
    }

    #[test]
    fn redaction_is_on_by_default_and_a_bad_value_is_placed() {
        let path = Path::new("c.toml");
        assert!(Config::parse(path, "").unwrap().redact);
        assert!(Config::defaults().redact);
        assert!(
            !Config::parse(path, "[log]\nredact = false\n")
                .unwrap()
                .redact
        );
        let e = Config::parse(path, "[log]\nretention_days = 3\nredact = \"no\"\n").unwrap_err();
        assert!(e.to_string().starts_with("c.toml:3:10:"), "{e}");
        let e = Config::parse(path, "[log]\nredcat = true\n").unwrap_err();
        assert!(e.to_string().starts_with("c.toml:2:1:"), "{e}");
    }

    #[test]
    fn a_reload_names_the_settings_that_need_a_restart() {
        let path = Path::new("c.toml");
        let old = Config::parse(path, "[notify]\nquiet = false\n").unwrap();
        let new = Config::parse(
            path,
            "[notify]\nquiet = true\n[devices]\nme = \"USB\"\n[asr]\nmodel = \"base\"\n",
        )
        .unwrap();
        assert_eq!(old.restart_needed(&new), ["devices.me", "asr.model"]);
        assert!(old.restart_needed(&old.clone()).is_empty());
    }
}
