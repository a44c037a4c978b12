//! Where warmcall keeps its files, following the XDG base directory spec, and how its private
//! directories are made.

use std::fs::{self, DirBuilder};
use std::io;
use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
use std::path::{Path, PathBuf};

use directories::ProjectDirs;
use rustix::fs::{Mode, OFlags};

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
///
/// A `dir` that is a symbolic link is the user's own arrangement: its target's permissions are
/// never changed. The link is used if its target is a directory only its owner can open, and
/// refused otherwise with an error that says what to do.
pub fn private_dir(dir: &Path) -> io::Result<()> {
    if fs::symlink_metadata(dir).is_ok_and(|m| m.file_type().is_symlink()) {
        return private_link_target(dir);
    }
    DirBuilder::new().recursive(true).mode(0o700).create(dir)?;
    // Opened without following a link, so the mode changed is that of `dir` itself.
    let flags = OFlags::RDONLY | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC;
    let fd = rustix::fs::open(dir, flags, Mode::empty())?;
    let mode = rustix::fs::fstat(&fd)?.st_mode;
    if mode & 0o077 != 0 {
        rustix::fs::fchmod(&fd, Mode::RWXU)?;
    }
    Ok(())
}

/// `$XDG_STATE_HOME/warmcall/reports`: reports written by `warmcall report --open`.
pub fn reports_dir() -> PathBuf {
    calls_dir().with_file_name("reports")
}

/// `$XDG_CACHE_HOME/warmcall`: downloaded wheels and unpacked models, safe to delete.
pub fn cache_dir() -> PathBuf {
    dirs()
        .map(|d| d.cache_dir().to_path_buf())
        .unwrap_or_else(|| home_fallback(".cache/warmcall"))
}

/// The target of the link `link` is a directory closed to other users.
fn private_link_target(link: &Path) -> io::Result<()> {
    let target = fs::canonicalize(link)?;
    let meta = fs::metadata(&target)?;
    if !meta.is_dir() {
        return Err(io::Error::new(
            io::ErrorKind::NotADirectory,
            format!(
                "{} is a symbolic link to {}, which is not a directory",
                link.display(),
                target.display()
            ),
        ));
    }
    let mode = meta.permissions().mode() & 0o777;
    if mode & 0o077 != 0 {
        return Err(io::Error::new(
            io::ErrorKind::PermissionDenied,
            format!(
                "{} is a symbolic link to {}, which other users can open (mode {mode:o}); \
                 warmcall does not change the permissions of a link's target: run \
                 `chmod 700 {}` or give the directory itself",
                link.display(),
                target.display(),
                target.display()
            ),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mode(p: &Path) -> u32 {
        fs::metadata(p).unwrap().permissions().mode() & 0o777
    }

    #[test]
    fn private_dirs_are_made_or_tightened() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("a/b");
        private_dir(&dir).unwrap();
        assert_eq!(mode(&dir), 0o700);
        fs::set_permissions(&dir, fs::Permissions::from_mode(0o755)).unwrap();
        private_dir(&dir).unwrap();
        assert_eq!(mode(&dir), 0o700);
    }

    #[test]
    fn a_link_is_used_only_if_its_target_is_private_and_never_chmodded() {
        let tmp = tempfile::tempdir().unwrap();
        let target = tmp.path().join("t");
        fs::create_dir(&target).unwrap();
        fs::set_permissions(&target, fs::Permissions::from_mode(0o750)).unwrap();
        let link = tmp.path().join("l");
        std::os::unix::fs::symlink(&target, &link).unwrap();
        let e = private_dir(&link).unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::PermissionDenied);
        assert!(e.to_string().contains("chmod 700"), "{e}");
        assert_eq!(mode(&target), 0o750);
        fs::set_permissions(&target, fs::Permissions::from_mode(0o700)).unwrap();
        private_dir(&link).unwrap();
        let file = tmp.path().join("f");
        fs::write(&file, "").unwrap();
        let to_file = tmp.path().join("lf");
        std::os::unix::fs::symlink(&file, &to_file).unwrap();
        assert!(private_dir(&to_file).is_err());
        let dangling = tmp.path().join("ld");
        std::os::unix::fs::symlink(tmp.path().join("none"), &dangling).unwrap();
        assert!(private_dir(&dangling).is_err());
    }
}
