//! warmcall's fuzz targets (`targets`) and the seed corpora they start from (`seeds`).

pub mod seeds;
pub mod targets;
