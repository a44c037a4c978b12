//! The config example in the README is valid and means what it says.

use std::path::Path;

use warmcall::config::Config;

#[test]
fn readme_config_example_parses() {
    let readme = include_str!("../README.md");
    let section = &readme[readme.find("### Config file").expect("section")..];
    let start = section.find("```toml\n").unwrap() + 8;
    let example = &section[start..start + section[start..].find("```").unwrap()];
    let c = Config::parse(Path::new("/home/me/.config/warmcall/config.toml"), example).unwrap();
    assert!(
        c.model.ends_with("warmcall/models/ggml-tiny.en.bin"),
        "{}",
        c.model.display()
    );
    assert_eq!(c.language.as_deref(), Some("en"));
    assert_eq!(c.log_dir, Path::new("/home/me/calls"));
    assert_eq!(c.rules_dir, Path::new("/home/me/.config/warmcall/rules.d"));
    assert_eq!(c.device_me.as_deref(), Some("virtmic"));
    assert_eq!(c.device_them.as_deref(), Some("call_out.monitor"));
    assert_eq!(
        (
            c.end_after_silence,
            c.quiet,
            c.min_interval,
            c.retention_days
        ),
        (30.0, false, 10.0, 30)
    );
}

#[test]
fn the_config_init_default_parses_to_the_defaults() {
    let path = Path::new("/home/me/.config/warmcall/config.toml");
    let c = Config::parse(path, warmcall::config::DEFAULT_TOML).unwrap();
    let d = Config::defaults();
    assert_eq!(
        (c.model, c.language, c.retention_days),
        (d.model, d.language, d.retention_days)
    );
    assert_eq!(
        (c.end_after_silence, c.quiet, c.min_interval, c.redact),
        (d.end_after_silence, d.quiet, d.min_interval, d.redact)
    );
}

#[test]
fn model_paths_and_auto_language() {
    let c = Config::parse(
        Path::new("/etc/w/config.toml"),
        "[asr]\nmodel = \"models/mine.bin\"\nlanguage = \"auto\"\n",
    )
    .unwrap();
    assert_eq!(c.model, Path::new("/etc/w/models/mine.bin"));
    assert_eq!(c.language, None);
}
