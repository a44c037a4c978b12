//! One module per command family; each turns parsed arguments into library calls and output.

pub mod daemon;
pub mod model;
pub mod rules;
pub mod run;
