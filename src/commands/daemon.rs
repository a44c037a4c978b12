//! `warmcall devices`, `warmcall config …` and `warmcall ctl …`: the commands around the daemon.

use std::io::Write;
use std::path::Path;

use super::outcome::{Failure, Outcome, exit};
use crate::audio::pulse;
use crate::audio::source::CaptureError;
use crate::cli::ConfigCommand;
use crate::config::{Config, DEFAULT_TOML};
use crate::control::{self, Command};
use crate::paths;

/// `warmcall devices`: capture devices, monitors and defaults marked, with config lines.
pub fn devices() -> Outcome {
    let list = pulse::list_devices().map_err(|e| match e {
        CaptureError::Server(_) => Failure::new(exit::AUDIO, e),
        _ => Failure::new(
            exit::AUDIO,
            format!("{e} (is PulseAudio or PipeWire running for this user?)"),
        ),
    })?;
    if list.is_empty() {
        println!("no capture devices found");
        return Ok(());
    }
    for d in &list {
        let mut marks = Vec::new();
        if d.monitor {
            marks.push("monitor");
        }
        if d.default_input {
            marks.push("default microphone");
        }
        if d.default_monitor {
            marks.push("default output's monitor");
        }
        let marks = if marks.is_empty() {
            String::new()
        } else {
            format!("  [{}]", marks.join(", "))
        };
        println!("{}\t{}{marks}", d.id, d.name);
    }
    println!();
    println!("To choose, put in {}:", paths::config_file().display());
    println!("[devices]");
    if let Some(m) = list.iter().find(|d| !d.monitor) {
        println!("me = {:?}      # a microphone", m.id);
    }
    if let Some(m) = list.iter().find(|d| d.monitor) {
        println!(
            "them = {:?}    # the monitor of what the softphone plays to",
            m.id
        );
    }
    Ok(())
}

/// `warmcall config …`.
pub fn config(command: ConfigCommand) -> Outcome {
    match command {
        ConfigCommand::Path => {
            println!("{}", paths::config_file().display());
            Ok(())
        }
        ConfigCommand::Init => init(&paths::config_file()),
        ConfigCommand::Check { file } => check(file.as_deref()),
    }
}

fn init(path: &Path) -> Outcome {
    if path.exists() {
        return Err(Failure::new(
            exit::USAGE,
            format!("{} already exists; not overwriting it", path.display()),
        ));
    }
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir.join("rules.d"))
            .map_err(|e| Failure::new(exit::FAILURE, format!("{}: {e}", dir.display())))?;
    }
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
        .map_err(|e| Failure::new(exit::FAILURE, format!("{}: {e}", path.display())))?;
    f.write_all(DEFAULT_TOML.as_bytes())
        .map_err(|e| Failure::new(exit::FAILURE, format!("{}: {e}", path.display())))?;
    println!("wrote {}", path.display());
    Ok(())
}

fn check(file: Option<&Path>) -> Outcome {
    let explicit = file.map(Path::to_path_buf);
    let cfg = Config::load(explicit.as_deref()).map_err(|e| Failure::new(exit::CONFIG, e))?;
    let n = crate::rules::load(&cfg)
        .map_err(|e| Failure::new(exit::CONFIG, e))?
        .set
        .rules
        .len();
    match &cfg.path {
        Some(p) => println!("{}: ok ({n} rules in force)", p.display()),
        None => println!(
            "no config file at {}; defaults in force ({n} rules)",
            paths::config_file().display()
        ),
    }
    if !cfg.model.is_file() {
        println!(
            "note: the model {} is not installed yet (run `warmcall model fetch`)",
            cfg.model.display()
        );
    }
    Ok(())
}

/// `warmcall ctl …`: one command to the running daemon.
pub fn ctl(cmd: Command) -> Outcome {
    let path = control::socket_path().ok_or_else(|| {
        Failure::new(
            exit::FAILURE,
            "XDG_RUNTIME_DIR is not set, so there is no control socket",
        )
    })?;
    let answer = control::request(&path, cmd).map_err(|e| Failure::new(exit::FAILURE, e))?;
    println!("{answer}");
    let reply = control::Reply::parse(&answer);
    if reply.busy {
        Err(Failure::new(
            exit::FAILURE,
            format!(
                "the daemon is busy and did not carry out `{}`; try again",
                cmd.as_str()
            ),
        ))
    } else if reply.ok {
        Ok(())
    } else {
        Err(Failure::new(
            exit::FAILURE,
            format!("the daemon refused `{}`", cmd.as_str()),
        ))
    }
}
