//! The `igw-monitoring` command: flags and config files in, YAML, JSON or a Kustomize base out.
//!
//! The binary is a thin `main` over [`run::run`]; the pieces are public so that the
//! repository's codegen step (`cargo xtask codegen`) writes what the command writes.

pub mod args;
mod bounded;
pub mod config;
#[cfg(test)]
mod defaults;
pub mod fleet_file;
mod install;
pub mod output;
pub mod run;

pub use args::Cli;
pub use run::{Outcome, run};
