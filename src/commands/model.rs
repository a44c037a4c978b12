//! `warmcall model …`: import, list and verify Whisper models (`fetch` is in `commands::fetch`).

use std::io::IsTerminal;
use std::path::Path;

use super::outcome::{Failure, Outcome, exit};
use crate::cli::ModelCommand;
use crate::model;
use crate::paths;

/// Run one `model` subcommand.
pub fn run(command: ModelCommand) -> Outcome {
    match command {
        ModelCommand::Fetch { names, base } => super::fetch::run(&names, base),
        ModelCommand::Import { src, out } => import(&src, &out),
        ModelCommand::List => list_models(),
        ModelCommand::Verify { file } => verify(&file.unwrap_or_else(model::default_path)),
    }
}

/// The import progress bar, on a terminal only.
pub(crate) fn import_bar() -> Option<indicatif::ProgressBar> {
    if !std::io::stderr().is_terminal() {
        return None;
    }
    let bar = indicatif::ProgressBar::new(0);
    bar.set_style(
        indicatif::ProgressStyle::with_template("{msg} [{bar:40}] {pos}/{len} tensors")
            .expect("static template")
            .progress_chars("=> "),
    );
    bar.set_message("writing");
    Some(bar)
}

/// The line an import ends with.
pub(crate) fn imported_line(
    src: &Path,
    out: &Path,
    summary: &model::import::ImportSummary,
) -> String {
    let hp = summary.hparams;
    format!(
        "imported {} ({}{} f16, {} tensors, {:.1} MB) -> {}",
        src.display(),
        hp.size_name(),
        if hp.is_multilingual() { "" } else { ".en" },
        summary.tensors,
        summary.bytes as f64 / 1e6,
        out.display()
    )
}

fn import(src: &Path, out: &Path) -> Outcome {
    let bar = import_bar();
    let summary = model::import::import_dir(src, out, |done, total| {
        if let Some(b) = &bar {
            b.set_length(total as u64);
            b.set_position(done as u64);
        }
    })?;
    if let Some(b) = bar {
        b.finish_and_clear();
    }
    println!("{}", imported_line(src, out, &summary));
    Ok(())
}

fn list_models() -> Outcome {
    let dir = paths::models_dir();
    let models = model::list(&dir)
        .map_err(|e| Failure::new(exit::FAILURE, format!("cannot read {}: {e}", dir.display())))?;
    if models.is_empty() {
        println!(
            "no models in {} (run `warmcall model fetch` to install tiny.en)",
            dir.display()
        );
        return Ok(());
    }
    let default = model::default_path();
    for m in models {
        let kind = m.kind.unwrap_or_else(|e| format!("unusable: {e}"));
        let mark = if m.path == default { "  (default)" } else { "" };
        println!(
            "{}\t{:.1} MB\t{kind}{mark}",
            m.path.display(),
            m.bytes as f64 / 1e6
        );
    }
    Ok(())
}

fn verify(path: &Path) -> Outcome {
    let v = crate::verify::verify(path)?;
    println!("model:      {}", path.display());
    println!("transcript: {}", v.text);
    println!(
        "load {:.2} s, transcribe 11.0 s of audio in {:.2} s",
        v.load_time.as_secs_f64(),
        v.decode_time.as_secs_f64()
    );
    if v.matches {
        println!("ok: the transcript is the JFK sentence");
        Ok(())
    } else {
        Err(Failure::new(
            exit::MODEL,
            format!(
                "{} did not transcribe the JFK sample correctly; expected \"{}\"",
                path.display(),
                crate::verify::JFK_TEXT
            ),
        ))
    }
}
