// candle-transformers 0.11.1, trimmed for warmcall: upstream's models/mod.rs declares about
// 130 models; only BERT and the tracing wrappers it is built from are kept.
pub mod bert;
pub mod with_tracing;
