//! An encoder wrapper that remembers every embedding it made: training and evaluation score
//! the same corpus lines many times (once per fold), and an embedding depends only on its text.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use crate::encoder::{EncoderError, SentenceEncoder};

/// Embeddings by text, in front of another encoder.
pub struct CachingEncoder {
    inner: Arc<dyn SentenceEncoder>,
    seen: Mutex<HashMap<String, Vec<f32>>>,
}

impl CachingEncoder {
    pub fn new(inner: Arc<dyn SentenceEncoder>) -> Self {
        Self {
            inner,
            seen: Mutex::default(),
        }
    }
}

impl SentenceEncoder for CachingEncoder {
    fn dim(&self) -> usize {
        self.inner.dim()
    }

    fn encode(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>, EncoderError> {
        texts
            .iter()
            .map(|t| {
                if let Some(e) = self.seen.lock().ok().and_then(|m| m.get(*t).cloned()) {
                    return Ok(e);
                }
                let e = self.inner.encode_one(t)?;
                if let Ok(mut m) = self.seen.lock() {
                    m.insert(t.to_string(), e.clone());
                }
                Ok(e)
            })
            .collect()
    }
}
