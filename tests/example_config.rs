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
