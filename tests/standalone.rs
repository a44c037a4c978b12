//! The integration tests that need no desktop session: the CLI, the model, the rule stage, the
//! encoder, WAV input, the pipeline, reports and the control socket, on real files and the real
//! models. One test binary (not one per file) so the suite links the product once, not 20
//! times; each file below is a module named for what it tests.

mod common;

mod assembly;
mod cli_daemon;
mod cli_model;
mod cli_rules;
mod cli_semantic_rules;
mod coaching_semantic;
mod control_socket;
mod decode_threads;
mod encoder;
mod example_config;
mod fuzz_regressions;
mod log_dir_safety;
mod model_fetch;
mod model_header_values;
mod model_import;
mod partial_decode;
mod pipeline_wav;
mod redaction;
mod report;
mod rule_file_limits;
mod rules_engine;
mod rules_pack;
mod wav_input;
