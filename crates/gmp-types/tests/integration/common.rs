//! Paths shared by the integration tests.

use std::path::PathBuf;

/// The `shared/` directory beside the workspace: upstream CRDs, the seed and the conformance tools.
pub fn shared_dir() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared"))
}
