//! The rule stage's semantic side: phrase rules understood by meaning, not only by words.
//!
//! An utterance is cut into clauses (`clauses`), each clause is embedded once by the sentence
//! encoder (`crate::encoder`), and every phrase rule with a learned head (`head`, stored in
//! `trained`) or with `examples` scores it (`detector`), with as few encoder passes as it can
//! (`memo`). `corpus` reads the labelled lines the heads are trained on, `train` fits them,
//! and `eval` measures precision and recall per rule.

pub mod cache;
pub mod clauses;
pub mod corpus;
pub mod detector;
pub mod eval;
pub mod head;
pub mod lexicon;
pub mod memo;
pub mod train;
pub mod trained;

pub use detector::{Nearest, Scored, SemanticDetector, Verdict};
pub use trained::Trained;

use std::sync::{Arc, OnceLock};

use crate::encoder::{EncoderError, MiniLm, SentenceEncoder};

/// The installed sentence encoder (`models/fetch.sh` puts it in the models directory).
pub fn load_encoder() -> Result<Arc<dyn SentenceEncoder>, EncoderError> {
    Ok(Arc::new(MiniLm::load(&crate::encoder::default_dir())?))
}

/// The installed encoder, loaded on first use and shared for the life of the process (a rule
/// reload reuses it). `None` when it is not installed or cannot be read: said once, in one
/// line, and coaching runs on patterns alone.
pub fn shared_encoder() -> Option<Arc<dyn SentenceEncoder>> {
    static ENCODER: OnceLock<Option<Arc<dyn SentenceEncoder>>> = OnceLock::new();
    ENCODER
        .get_or_init(|| match load_encoder() {
            Ok(e) => Some(e),
            Err(e) => {
                tracing::warn!("{e}. Coaching uses patterns alone.");
                None
            }
        })
        .clone()
}
