//! The one error type of the library.

use std::fmt;

use crate::kinds::ObjectRef;

/// Everything that can go wrong in this crate.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The options break one or more rules; every problem found is listed.
    #[error("invalid options:\n{0}")]
    Invalid(Problems),
    /// A writer this crate uses (templates, JSON, HCL) failed (never expected: a bug if seen).
    #[error("writing {format} failed: {source}")]
    Write {
        /// What was being written: `YAML`, `JSON`, `HCL` or `text`.
        format: &'static str,
        /// The writer's own error, kept opaque so that its crate's version is not our API.
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// Writing to an output the caller handed in (see [`crate::Plan::write_verify`]) failed.
    #[error("writing the output failed: {0}")]
    Output(#[from] std::io::Error),
    /// A value that hcl-rs cannot write as HCL reading back as itself; nothing is written.
    #[error("{object}: the value {value:?} cannot be written as HCL that reads back as itself")]
    NotHcl {
        /// The object holding it, as `Kind/namespace/name` or `Kind/name`.
        object: String,
        /// The string (key or value) that would read back differently.
        value: String,
    },
}

impl From<askama::Error> for Error {
    fn from(e: askama::Error) -> Self {
        Self::Write {
            format: "text",
            source: Box::new(e),
        }
    }
}

impl From<serde_json::Error> for Error {
    fn from(e: serde_json::Error) -> Self {
        Self::Write {
            format: "JSON",
            source: Box::new(e),
        }
    }
}

impl From<hcl::Error> for Error {
    fn from(e: hcl::Error) -> Self {
        Self::Write {
            format: "HCL",
            source: Box::new(e),
        }
    }
}

/// One rule one input breaks: where, what, and why it is refused.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Problem {
    /// Path of the option, as in the config file, e.g. `selector.matchLabels["app"]`; for a
    /// name made of several options, the name's own option.
    pub field: String,
    /// The other options the value was made from, e.g. `targets[2].name` or `namePrefix`.
    pub also: Vec<String>,
    /// The refused value, as given.
    pub value: String,
    /// The rule it breaks, worded to follow the quoted value.
    pub rule: String,
}

/// How many objects a message names before it only counts the rest: a problem about 2,000
/// alike objects names a few.
pub(crate) const SHOWN_NAMES: usize = 3;

/// Names joined for a message (`A, B, C`), the first [`SHOWN_NAMES`] and then a count
/// (`and 1,995 more`).
pub(crate) fn listed(names: impl IntoIterator<Item = impl fmt::Display>) -> String {
    use fmt::Write as _;
    let mut text = String::new();
    let mut count = 0usize;
    for name in names {
        if count < SHOWN_NAMES {
            if count > 0 {
                text.push_str(", ");
            }
            // Writing to a String cannot fail.
            let _ = write!(text, "{name}");
        }
        count += 1;
    }
    if count > SHOWN_NAMES {
        text.push_str(&format!(" and {} more", count - SHOWN_NAMES));
    }
    text
}

/// How many problems a list of them shows before it only counts the rest.
pub const SHOWN_PROBLEMS: usize = 20;

/// Values longer than this are shortened in messages, so a huge input cannot flood a terminal.
const SHOWN_VALUE_CHARS: usize = 80;

impl Problem {
    /// Every option involved: [`Self::field`], then [`Self::also`].
    pub fn fields(&self) -> impl Iterator<Item = &str> {
        std::iter::once(self.field.as_str()).chain(self.also.iter().map(String::as_str))
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The options involved; a problem about many objects names the first few.
        for (i, field) in self.fields().take(SHOWN_NAMES + 1).enumerate() {
            if i > 0 {
                f.write_str(" + ")?;
            }
            f.write_str(field)?;
        }
        if self.also.len() > SHOWN_NAMES {
            write!(f, " + {} more", self.also.len() - SHOWN_NAMES)?;
        }
        f.write_str(": ")?;
        shown_value(f, &self.value)?;
        write!(f, " {}", self.rule)
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

    /// Whether some problem names exactly this field path among its options.
    pub fn mentions(&self, field: &str) -> bool {
        self.0.iter().any(|p| p.fields().any(|f| f == field))
    }
}

/// The first [`SHOWN_PROBLEMS`] problems, a line each, then how many more there are.
impl fmt::Display for Problems {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, problem) in self.0.iter().take(SHOWN_PROBLEMS).enumerate() {
            if i > 0 {
                f.write_str("\n")?;
            }
            write!(f, "  {problem}")?;
        }
        if self.0.len() > SHOWN_PROBLEMS {
            write!(
                f,
                "\n  ... and {} more ({} problems in all)",
                self.0.len() - SHOWN_PROBLEMS,
                self.0.len()
            )?;
        }
        Ok(())
    }
}

// So that callers of `manifests::from_manifests` can pass its problems on with `?`.
impl std::error::Error for Problems {}

impl<'a> IntoIterator for &'a Problems {
    type Item = &'a Problem;
    type IntoIter = std::slice::Iter<'a, Problem>;

    fn into_iter(self) -> Self::IntoIter {
        self.0.iter()
    }
}

/// The problems found so far: every one is kept, so a caller reports them all at once.
#[derive(Default)]
pub(crate) struct ProblemsBuilder(Vec<Problem>);

impl ProblemsBuilder {
    pub(crate) fn push(&mut self, field: String, value: &str, rule: String) {
        self.push_problem(Problem {
            field,
            also: Vec::new(),
            value: value.to_owned(),
            rule,
        });
    }

    /// A problem with the other options involved (`also`).
    pub(crate) fn push_with(
        &mut self,
        field: String,
        also: Vec<String>,
        value: &str,
        rule: String,
    ) {
        self.push_problem(Problem {
            field,
            also,
            value: value.to_owned(),
            rule,
        });
    }

    pub(crate) fn push_problem(&mut self, problem: Problem) {
        self.0.push(problem);
    }

    /// How many problems were found so far.
    pub(crate) fn len(&self) -> usize {
        self.0.len()
    }

    /// The options refused so far.
    pub(crate) fn fields(&self) -> impl Iterator<Item = &str> {
        self.0.iter().map(|p| p.field.as_str())
    }

    /// Records `outcome` of checking `value` against the rule for a `what`; the field path is
    /// only built when there is a problem to report.
    pub(crate) fn rule(
        &mut self,
        field: impl FnOnce() -> String,
        value: &str,
        what: &str,
        outcome: Result<(), String>,
    ) {
        if let Err(reason) = outcome {
            self.push(field(), value, format!("is not a valid {what} ({reason})"));
        }
    }

    /// `value` when nothing was found, else every problem.
    pub(crate) fn finish<T>(self, value: T) -> Result<T, Problems> {
        if self.0.is_empty() {
            Ok(value)
        } else {
            Err(Problems(self.0))
        }
    }
}

/// What `check` finds wrong with a scrape, and what any stage warns about: the object it is
/// about, the field, the value there and the rule. One shape for both, in text
/// (`OBJECT FIELD + ALSO: "VALUE" RULE`) and in `check -o json`.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Finding {
    /// The object it is about (written `Kind/namespace/name`, `Kind/name` when
    /// cluster-scoped); `None` when it is about an option or the bundle as a whole.
    pub object: Option<ObjectRef>,
    /// The object's field (`spec.endpoints[0].port`), else the option's path as in the config
    /// file (`tls`, `targets[2].scheme`); empty when it is about the whole object.
    pub field: String,
    /// The other objects involved (the pickers a monitoring selects, ...).
    pub also: Vec<ObjectRef>,
    /// The value found there; `None` when there is none to show.
    pub value: Option<String>,
    /// The rule it breaks; for a warning, what follows from it.
    pub rule: String,
}

/// A choice that works but that the user should know the consequence of: a [`Finding`] that
/// does not break the scrape.
pub type Warning = Finding;

impl Finding {
    /// A finding (or warning) about an option at `field`, with no value to show.
    pub fn option(field: impl Into<String>, rule: impl Into<String>) -> Self {
        Self {
            object: None,
            field: field.into(),
            also: Vec::new(),
            value: None,
            rule: rule.into(),
        }
    }

    /// A finding (or warning) about `object` (at `field`, or the whole object when empty),
    /// with no value to show.
    pub fn object(object: ObjectRef, field: impl Into<String>, rule: impl Into<String>) -> Self {
        Self {
            object: Some(object),
            ..Self::option(field, rule)
        }
    }
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (&self.object, self.field.is_empty()) {
            (Some(object), false) => write!(f, "{object} {}", self.field)?,
            (Some(object), true) => write!(f, "{object}")?,
            (None, _) => f.write_str(&self.field)?,
        }
        for also in self.also.iter().take(SHOWN_NAMES) {
            write!(f, " + {also}")?;
        }
        if self.also.len() > SHOWN_NAMES {
            write!(f, " + {} more", self.also.len() - SHOWN_NAMES)?;
        }
        match &self.value {
            Some(value) => {
                f.write_str(": ")?;
                shown_value(f, value)?;
                write!(f, " {}", self.rule)
            }
            None => write!(f, ": {}", self.rule),
        }
    }
}

/// `value` quoted, shortened past [`SHOWN_VALUE_CHARS`] (a huge input must not flood a
/// terminal).
fn shown_value(f: &mut fmt::Formatter<'_>, value: &str) -> fmt::Result {
    let chars = value.chars().count();
    if chars > SHOWN_VALUE_CHARS {
        let head: String = value.chars().take(SHOWN_VALUE_CHARS).collect();
        write!(f, "{head:?}... ({chars} characters)")
    } else {
        write!(f, "{value:?}")
    }
}
