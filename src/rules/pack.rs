//! The rules in force: the built-in pack merged with the user's `rules.d/*.toml`.
//!
//! A user rule with a built-in id replaces it (fields it leaves out keep the built-in values;
//! `enabled = false` turns it off); a new id adds a rule. A duplicate id among user files, or
//! any invalid file, is an error and nothing of the new set is used.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use super::spec::{FileCtx, RawRule, RuleDef, RuleError, Source};

/// The default rule pack, compiled into the binary.
pub const BUILTIN: &str = include_str!("builtin.toml");

/// A validated, ordered set of rules (built-ins first, then user additions).
#[derive(Debug, Clone, PartialEq)]
pub struct RuleSet {
    pub rules: Vec<RuleDef>,
}

/// The `*.toml` files of a rules directory, sorted by name. A missing directory has none.
pub fn rule_files(dir: &Path) -> Result<Vec<PathBuf>, RuleError> {
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => {
            return Err(RuleError {
                source: Source::File(dir.to_path_buf()),
                line: 0,
                column: 0,
                message: format!("cannot read the rules directory: {e}"),
            });
        }
    };
    let mut files: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "toml") && p.is_file())
        .collect();
    files.sort();
    Ok(files)
}

impl RuleSet {
    /// The built-in pack alone.
    pub fn builtin() -> Self {
        Self::from_texts(&[]).expect("the built-in rule pack is valid (tested)")
    }

    /// Built-ins merged with every `*.toml` in `dir`.
    pub fn load(dir: &Path) -> Result<Self, RuleError> {
        let mut texts = Vec::new();
        for path in rule_files(dir)? {
            let text = super::spec::read(&path)?;
            texts.push((path, text));
        }
        Self::from_texts(&texts)
    }

    /// Built-ins merged with user files given as (path, text).
    pub fn from_texts(user: &[(PathBuf, String)]) -> Result<Self, RuleError> {
        let builtin_ctx = FileCtx {
            source: Source::Builtin,
            text: BUILTIN,
        };
        let builtin_raw = builtin_ctx.parse()?;
        let mut base: HashMap<String, RawRule> = HashMap::new();
        let mut rules = Vec::new();
        for r in &builtin_raw.rule {
            let def = builtin_ctx.validate(r.get_ref(), r.span().start)?;
            base.insert(def.id.clone(), r.get_ref().clone());
            rules.push(def);
        }
        let mut user_ids: HashMap<String, (Source, usize)> = HashMap::new();
        for (path, text) in user {
            let ctx = FileCtx {
                source: Source::File(path.clone()),
                text,
            };
            for r in ctx.parse()?.rule {
                let span = r.span();
                let start = span.start;
                let raw = r.into_inner();
                let id = raw
                    .id
                    .as_ref()
                    .map(|s| s.get_ref().trim().to_string())
                    .ok_or_else(|| ctx.error_at(start, "a rule needs an `id`"))?;
                if let Some((src, line)) = user_ids.get(&id) {
                    return Err(ctx.error_at(
                        start,
                        format!("duplicate rule id {id:?} (already defined at {src}:{line})"),
                    ));
                }
                user_ids.insert(
                    id.clone(),
                    (ctx.source.clone(), crate::text::line_col(text, start).0),
                );
                let raw = match base.get(&id) {
                    Some(b) => raw.inherit(b, span),
                    None => raw,
                };
                let def = ctx.validate(&raw, start)?;
                match rules.iter_mut().find(|r| r.id == id) {
                    Some(slot) => *slot = def,
                    None => rules.push(def),
                }
            }
        }
        Ok(Self { rules })
    }

    pub fn get(&self, id: &str) -> Option<&RuleDef> {
        self.rules.iter().find(|r| r.id == id)
    }
}
