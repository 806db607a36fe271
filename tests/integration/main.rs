//! The library's integration tests, as one binary (one link of k8s-openapi instead of one per
//! file). Tests that need `../shared`, Python or kubectl are `#[ignore = "needs …"]`: run them
//! with `cargo test -- --include-ignored` after `../shared/conformance/setup.sh --with-checkov`.

mod support;

mod check;
mod conformance;
mod dashboard;
mod fleet;
mod from_manifests;
mod gitops;
mod grafana;
mod hostile_manifests;
mod manifests;
mod names;
mod prometheus_operator;
mod promql;
mod promtool;
mod relations;
mod roundtrip;
mod scalars;
mod seed;
mod selector_syntax;
mod snapshots;
mod streaming;
mod terraform;
mod validation;
mod verify;
