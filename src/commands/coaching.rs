//! `warmcall rules train` and `warmcall rules eval`: the semantic heads of the default pack,
//! trained and measured on the coaching corpus.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use super::outcome::{Failure, Outcome, exit};
use crate::encoder::SentenceEncoder;
use crate::rules::semantic::cache::CachingEncoder;
use crate::rules::semantic::corpus::Corpus;
use crate::rules::semantic::eval;
use crate::rules::semantic::train::{self, TrainOptions};
use crate::rules::semantic::{Trained, load_encoder};
use crate::rules::{CompiledRules, RuleSet};

fn corpus(dir: &Path) -> Result<Corpus, Failure> {
    Corpus::load(dir).map_err(|e| Failure::new(exit::INPUT, e))
}

fn caching_encoder() -> Result<Arc<dyn SentenceEncoder>, Failure> {
    let enc = load_encoder().map_err(|e| Failure::new(exit::MODEL, e))?;
    Ok(Arc::new(CachingEncoder::new(enc)))
}

fn sha256_of_dir(dir: &Path) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    if let Ok(entries) = std::fs::read_dir(dir) {
        let mut files: Vec<_> = entries.flatten().map(|e| e.path()).collect();
        files.sort();
        for f in files {
            let name = f.file_name().map(|n| n.to_string_lossy().to_string());
            if let Some(name) = name
                && name.ends_with(".jsonl")
                && name != crate::rules::semantic::corpus::TEST_FILE
                && let Ok(sum) = crate::model::fetch::wheel::sha256_file(&f)
            {
                out.insert(format!("corpus/{name}"), sum);
            }
        }
    }
    out
}

/// `warmcall rules train`.
pub fn train(corpus_dir: &Path, out: &Path) -> Outcome {
    let c = corpus(corpus_dir)?;
    let enc = caching_encoder()?;
    let set = RuleSet::builtin();
    let patterns = CompiledRules::new(set).map_err(|e| Failure::new(exit::CONFIG, e))?;
    eprintln!("embedding {} training lines…", c.train.len());
    let feats = train::features(&c.train, &patterns, enc.as_ref())
        .map_err(|e| Failure::new(exit::MODEL, e))?;
    let opts = TrainOptions::default();
    let (lexicon, rules) = train::train(&patterns, &feats, &|_| true, opts);
    let mut provenance = sha256_of_dir(corpus_dir);
    provenance.insert("command".into(), "warmcall rules train".into());
    provenance.insert(
        "settings".into(),
        format!(
            "l2 {}, {} iterations, terms in {}+ lines, thresholds chosen on {}-fold out-of-fold predictions",
            opts.fit.l2, opts.fit.iterations, opts.min_df, opts.folds
        ),
    );
    provenance.insert("lines".into(), c.train.len().to_string());
    let trained = Trained {
        encoder: crate::encoder::DIR_NAME.into(),
        dim: enc.dim(),
        provenance,
        lexicon,
        rules,
    };
    for (id, m) in &trained.rules {
        println!(
            "{id:<22} threshold {:.2}  veto {:.2}  out-of-fold precision {:.2} recall {:.2}",
            m.threshold, m.veto, m.out_of_fold[0], m.out_of_fold[1]
        );
    }
    std::fs::write(out, trained.to_json()).map_err(|e| {
        Failure::new(
            exit::FAILURE,
            format!("{}: cannot write: {e}", out.display()),
        )
    })?;
    println!("wrote {}", out.display());
    Ok(())
}

/// `warmcall rules eval`.
pub fn eval(corpus_dir: &Path, folds: usize) -> Outcome {
    let c = corpus(corpus_dir)?;
    let enc = caching_encoder()?;
    let set = RuleSet::builtin();
    let patterns = CompiledRules::new(set.clone()).map_err(|e| Failure::new(exit::CONFIG, e))?;
    let combined = CompiledRules::with_encoder(set.clone(), Some(enc.clone()))
        .map_err(|e| Failure::new(exit::CONFIG, e))?;
    if !c.test.is_empty() {
        let ids = eval::rule_ids(&c.test);
        let lines: Vec<_> = c.test.iter().collect();
        let alone = eval::score(&patterns, &lines, &ids);
        let both = eval::score(&combined, &lines, &ids);
        println!(
            "Test split ({} lines, held out: nothing is tuned on them), the shipped heads:\n",
            c.test.len()
        );
        println!("{}", eval::table(&alone, &both));
    }
    if folds >= 2 {
        let feats = train::features(&c.train, &patterns, enc.as_ref())
            .map_err(|e| Failure::new(exit::MODEL, e))?;
        let opts = TrainOptions {
            folds,
            ..TrainOptions::default()
        };
        let (alone, both) = eval::cross_validate(&set, enc, &c.train, &feats, opts)
            .map_err(|e| Failure::new(exit::CONFIG, e))?;
        println!(
            "{folds}-fold cross-validation over the {} training lines (heads and thresholds trained on the other folds):\n",
            c.train.len()
        );
        println!("{}", eval::table(&alone, &both));
    }
    Ok(())
}
