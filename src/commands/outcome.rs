//! What a command returns: success, or a failure with its message and exit code. `app` turns
//! a failure into one line on stderr and the exit status.

use crate::asr::AsrError;
use crate::audio::source::CaptureError;
use crate::model;
use crate::pipeline::StartError;
use crate::report::LogError;
use crate::report::output::OutputError;
use crate::report::store::StoreError;

/// Exit codes, distinct per failure kind so scripts and systemd can tell them apart.
pub mod exit {
    /// Something failed at run time.
    pub const FAILURE: u8 = 1;
    /// Bad usage, or a command that is not built yet.
    pub const USAGE: u8 = 2;
    /// The config or a rule file is invalid.
    pub const CONFIG: u8 = 3;
    /// The model is missing or unusable.
    pub const MODEL: u8 = 4;
    /// An input file (WAV, transcript) is unusable.
    pub const INPUT: u8 = 5;
    /// An audio device is missing or the sound server is unreachable.
    pub const AUDIO: u8 = 6;
}

/// A failed command: what to tell the user and which exit code to use.
#[derive(Debug)]
pub struct Failure {
    pub code: u8,
    pub message: String,
}

impl Failure {
    pub fn new(code: u8, message: impl std::fmt::Display) -> Self {
        Self {
            code,
            message: message.to_string(),
        }
    }
}

/// What a command returns.
pub type Outcome = Result<(), Failure>;

impl From<model::ImportError> for Failure {
    fn from(e: model::ImportError) -> Self {
        let code = match e {
            model::ImportError::Write { .. } => exit::FAILURE,
            _ => exit::INPUT,
        };
        Self::new(code, e)
    }
}

fn asr_code(e: &AsrError) -> u8 {
    match e {
        AsrError::Engine(_) => exit::FAILURE,
        _ => exit::MODEL,
    }
}

impl From<AsrError> for Failure {
    fn from(e: AsrError) -> Self {
        Self::new(asr_code(&e), e)
    }
}

impl From<StartError> for Failure {
    fn from(e: StartError) -> Self {
        let code = match &e {
            StartError::Rules(_) => exit::CONFIG,
            StartError::Model(m) => asr_code(m),
            StartError::Capture(CaptureError::Device(_) | CaptureError::Server(_)) => exit::AUDIO,
            StartError::Capture(_) | StartError::UnknownVad(_) | StartError::Resample(_) => {
                exit::INPUT
            }
            // The directory is the user's setting to fix (like an invalid config).
            StartError::LogDir { .. } => exit::CONFIG,
            StartError::Control { .. } | StartError::UnknownBackend(_) => exit::FAILURE,
        };
        Self::new(code, e)
    }
}

impl From<StoreError> for Failure {
    fn from(e: StoreError) -> Self {
        let code = match e {
            StoreError::Read { .. } => exit::FAILURE,
            _ => exit::INPUT,
        };
        Self::new(code, e)
    }
}

impl From<LogError> for Failure {
    fn from(e: LogError) -> Self {
        Self::new(exit::INPUT, e)
    }
}

impl From<OutputError> for Failure {
    fn from(e: OutputError) -> Self {
        Self::new(exit::FAILURE, e)
    }
}
