//! Stub until the real loader lands.
use igw_monitoring::Options;
use std::path::Path;
/// Stub.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct ConfigError(String);
/// Stub.
pub fn load(path: &Path) -> Result<Options, ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|e| ConfigError(e.to_string()))?;
    serde_yaml::from_str(&text).map_err(|e| ConfigError(e.to_string()))
}
