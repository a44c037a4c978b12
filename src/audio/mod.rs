//! Call audio: where samples come from before the frontend.
//!
//! `wav` decodes WAV files (any rate, 8/16/24/32-bit integer or 32-bit float) into per-channel
//! f32 samples.

pub mod live;
pub mod source;
pub mod wav;
