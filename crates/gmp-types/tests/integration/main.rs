//! The GMP types' integration tests, as one binary. Tests that need `../shared` or Python are
//! `#[ignore = "needs …"]`: run them with `cargo test -- --include-ignored`.

mod common;

mod crd;
mod roundtrip;
mod seed;
