//! The per-user config file (`$XDG_CONFIG_HOME/warmcall/config.toml`): raw TOML types and the
//! validated settings the rest of warmcall uses.
//!
//! Unknown keys are rejected, with file, line and column.

use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::paths;
use crate::rules::spec::line_col;

/// The `[rules]` section as written.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRules {
    /// Directory of user rule files (default: `rules.d` beside the config file).
    dir: Option<PathBuf>,
}

/// The config file as written.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    #[serde(default)]
    rules: RawRules,
}

/// Validated settings.
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    /// The file these settings came from, if any.
    pub path: Option<PathBuf>,
    /// Where user rule files live.
    pub rules_dir: PathBuf,
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

impl Config {
    /// Settings when there is no config file.
    pub fn defaults() -> Self {
        Self {
            path: None,
            rules_dir: paths::rules_dir(),
        }
    }

    /// Parse config text; relative paths are resolved against the file's directory.
    pub fn parse(path: &Path, text: &str) -> Result<Self, ConfigError> {
        let raw: RawConfig = toml::from_str(text).map_err(|e| {
            let (line, column) = line_col(text, e.span().map_or(0, |s| s.start));
            ConfigError::Invalid {
                path: path.to_path_buf(),
                line,
                column,
                message: e.message().trim().to_string(),
            }
        })?;
        let base = path.parent().unwrap_or(Path::new("."));
        Ok(Self {
            path: Some(path.to_path_buf()),
            rules_dir: match raw.rules.dir {
                Some(d) if d.is_absolute() => d,
                Some(d) => base.join(d),
                None => base.join("rules.d"),
            },
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

#[cfg(test)]
mod tests {
    use super::*;

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
}
