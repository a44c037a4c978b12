//! One module per command family; each turns parsed arguments into library calls and output.
//! `outcome` holds what they return: success, or a failure with its exit code.

pub mod coaching;
pub mod daemon;
pub mod fetch;
pub mod model;
pub mod mutes;
pub mod outcome;
pub mod report;
pub mod rules;
pub mod run;
