//! Where warmcall keeps its files, following the XDG base directory spec, and how its private
//! directories are made.

use std::fs::{self, DirBuilder};
use std::io;
use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
use std::path::{Path, PathBuf};

use directories::ProjectDirs;

fn dirs() -> Option<ProjectDirs> {
    ProjectDirs::from("", "", "warmcall")
}

fn home_fallback(rel: &str) -> PathBuf {
    std::env::var_os("HOME")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("."))
        .join(rel)
}

/// `$XDG_CONFIG_HOME/warmcall`.
pub fn config_dir() -> PathBuf {
    dirs()
        .map(|d| d.config_dir().to_path_buf())
        .unwrap_or_else(|| home_fallback(".config/warmcall"))
}

/// `$XDG_CONFIG_HOME/warmcall/config.toml`.
pub fn config_file() -> PathBuf {
    config_dir().join("config.toml")
}

/// `$XDG_CONFIG_HOME/warmcall/rules.d`.
pub fn rules_dir() -> PathBuf {
    config_dir().join("rules.d")
}

/// `$XDG_DATA_HOME/warmcall/models`.
pub fn models_dir() -> PathBuf {
    dirs()
        .map(|d| d.data_dir().to_path_buf())
        .unwrap_or_else(|| home_fallback(".local/share/warmcall"))
        .join("models")
}

/// `$XDG_STATE_HOME/warmcall/calls`.
pub fn calls_dir() -> PathBuf {
    dirs()
        .and_then(|d| d.state_dir().map(|p| p.to_path_buf()))
        .unwrap_or_else(|| home_fallback(".local/state/warmcall"))
        .join("calls")
}

/// `$XDG_RUNTIME_DIR/warmcall`, if the session has a runtime directory.
pub fn runtime_dir() -> Option<PathBuf> {
    dirs().and_then(|d| d.runtime_dir().map(|p| p.to_path_buf()))
}

/// Create `dir` (and parents) as 0700, and tighten it if it already exists.
pub fn private_dir(dir: &Path) -> io::Result<()> {
    DirBuilder::new().recursive(true).mode(0o700).create(dir)?;
    let mut perm = fs::metadata(dir)?.permissions();
    if perm.mode() & 0o077 != 0 {
        perm.set_mode(0o700);
        fs::set_permissions(dir, perm)?;
    }
    Ok(())
}

/// `$XDG_STATE_HOME/warmcall/reports`: reports written by `warmcall report --open`.
pub fn reports_dir() -> PathBuf {
    calls_dir().with_file_name("reports")
}
