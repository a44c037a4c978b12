// candle-transformers 0.11.1, trimmed for warmcall: only the BERT model and what it uses.
// Upstream's lib.rs declares fused_moe, generation, models, object_detection, pipelines,
// quantized_nn, quantized_var_builder and utils; the kept files are byte-identical to the
// published crate.
pub mod models;
pub mod quantized_var_builder;
