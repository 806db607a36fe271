//! Stub.
use crate::SelectorRequirement;
/// Stub.
#[derive(Debug)]
pub struct SyntaxError;
impl std::fmt::Display for SyntaxError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("stub")
    }
}
impl std::str::FromStr for SelectorRequirement {
    type Err = SyntaxError;
    fn from_str(s: &str) -> Result<Self, SyntaxError> {
        if let Some(k) = s.strip_prefix('!') {
            Ok(Self::does_not_exist(k))
        } else {
            Ok(Self::exists(s))
        }
    }
}
