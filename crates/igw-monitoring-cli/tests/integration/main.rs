//! The command's integration tests, as one binary. Tests that need `../shared`, Python or
//! kubectl are `#[ignore = "needs …"]`: run them with `cargo test -- --include-ignored`.

mod catalogue;
mod cli;
mod config;
mod from;
mod gitops;
mod hostile;
mod install;
mod kustomize_overlays;
mod support;
mod writes;
