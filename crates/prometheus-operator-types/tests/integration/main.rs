//! The crate's integration tests, as one binary. Tests that need `../shared` (the upstream
//! CRDs) or Python are `#[ignore = "needs …"]`: run them with `cargo test -- --include-ignored`.

mod crd;
