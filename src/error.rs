//! The one error type of the library.

use std::fmt;

/// Everything that can go wrong in this crate.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The options break one or more rules; every problem found is listed.
    #[error("invalid options:\n{0}")]
    Invalid(Problems),
    /// A template could not be rendered (never expected: a bug if seen).
    #[error("rendering failed: {0}")]
    Render(#[from] askama::Error),
    /// An object could not be written as JSON (never expected: a bug if seen).
    #[error("writing the bundle as JSON failed: {0}")]
    Json(#[from] serde_json::Error),
    /// The bundle could not be written as HCL (never expected: a bug if seen).
    #[error("writing the bundle as HCL failed: {0}")]
    Hcl(#[from] hcl::Error),
    /// A value that hcl-rs cannot write as HCL reading back as itself; nothing is written.
    #[error("{object}: the value {value:?} cannot be written as HCL that reads back as itself")]
    NotHcl {
        /// The object holding it, as `Kind/namespace/name` or `Kind/name`.
        object: String,
        /// The string (key or value) that would read back differently.
        value: String,
    },
}

/// One rule one input breaks: where, what, and why it is refused.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    /// Path of the option, as in the config file, e.g. `selector.matchLabels["app"]`.
    pub field: String,
    /// The refused value, as given.
    pub value: String,
    /// The rule it breaks, worded to follow the quoted value.
    pub rule: String,
}

/// Values longer than this are shortened in messages, so a huge input cannot flood a terminal.
const SHOWN_VALUE_CHARS: usize = 80;

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let chars = self.value.chars().count();
        if chars > SHOWN_VALUE_CHARS {
            let head: String = self.value.chars().take(SHOWN_VALUE_CHARS).collect();
            write!(
                f,
                "{}: {head:?}... ({chars} characters) {}",
                self.field, self.rule
            )
        } else {
            write!(f, "{}: {:?} {}", self.field, self.value, self.rule)
        }
    }
}

/// All problems of one set of options, in the order the options are declared.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Problems(pub Vec<Problem>);

impl Problems {
    /// How many problems there are.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether there is none.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The problems, one by one.
    pub fn iter(&self) -> std::slice::Iter<'_, Problem> {
        self.0.iter()
    }

    /// Whether some problem is about exactly this field path.
    pub fn mentions(&self, field: &str) -> bool {
        self.0.iter().any(|p| p.field == field)
    }
}

impl fmt::Display for Problems {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, problem) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str("\n")?;
            }
            write!(f, "  {problem}")?;
        }
        Ok(())
    }
}

impl<'a> IntoIterator for &'a Problems {
    type Item = &'a Problem;
    type IntoIter = std::slice::Iter<'a, Problem>;

    fn into_iter(self) -> Self::IntoIter {
        self.0.iter()
    }
}
