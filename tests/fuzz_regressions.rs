//! Every input a fuzz run found a fault with, kept in `tests/fuzz-regressions/<target>/`, is
//! fed through the same code as the fuzz target (`fuzz/src/targets.rs`, compiled in here):
//! none may panic, and each must end in a clean, one-line error that names no position
//! `0:0`, or be accepted.

#[path = "../fuzz/src/targets.rs"]
mod targets;

use std::path::Path;

#[test]
fn every_saved_finding_ends_cleanly() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fuzz-regressions");
    let mut ran = 0;
    for (target, run) in targets::TARGETS {
        let Ok(entries) = std::fs::read_dir(root.join(target)) else {
            continue;
        };
        let mut files: Vec<_> = entries.map(|e| e.unwrap().path()).collect();
        files.sort();
        for file in files {
            let data = std::fs::read(&file).unwrap();
            let name = format!("{target}/{}", file.file_name().unwrap().to_string_lossy());
            let outcome = std::panic::catch_unwind(|| run(&data))
                .unwrap_or_else(|_| panic!("{name} panicked"));
            if let Err(message) = outcome {
                assert!(!message.trim().is_empty(), "{name}: empty error");
                assert!(!message.contains(":0:0"), "{name}: {message}");
                assert!(message.len() < 2000, "{name}: {} byte error", message.len());
            }
            ran += 1;
        }
    }
    assert!(ran > 0, "no regression inputs under {}", root.display());
}
