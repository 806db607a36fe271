//! The config file given with `--config`: YAML whose keys are named as in [`Options`].
//!
//! [`parse`] reads the text into a YAML value (a JSON text, which is also YAML, through
//! serde_json, which is faster) and deserializes it. Only if that fails does it walk the value
//! against the JSON Schema of [`Options`], then deserialize it again with its path tracked. The schema walk
//! exists because serde (with `deny_unknown_fields`) stops at the first unknown key and suggests
//! nothing: the walk reports every unknown key at once, each with its path and the closest known
//! key at its level, so that one run is enough to fix them all. It also catches the values YAML
//! reads as numbers or booleans where a string is expected (`interval: 5`, a label value `1.0`)
//! and says to quote them. A wrong type is then reported by serde, through
//! `serde_path_to_error`, with its path in the same style as the walk's.

use std::borrow::Cow;
use std::fmt;
use std::path::{Path, PathBuf};

use igw_monitoring::{Given, Options, Source};
use serde::Deserialize;
use serde_json::Value as Schema;
use serde_yaml::Value;

/// Why a config file could not be turned into [`Options`].
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read.
    #[error("config file {path:?}: cannot read: {source}")]
    Read {
        /// The file given with `--config`.
        path: PathBuf,
        /// What the operating system said.
        source: std::io::Error,
    },
    /// The file is larger than [`MAX_CONFIG_BYTES`]; it was not read past that.
    #[error(
        "config file {path:?}: larger than {} MiB, the most a config file may have",
        limit / (1024 * 1024)
    )]
    TooLarge {
        /// The file given with `--config`.
        path: PathBuf,
        /// [`MAX_CONFIG_BYTES`].
        limit: u64,
    },
    /// The file's aliases repeat more than [`MAX_ALIAS_EXPANSION`]; it was not expanded.
    #[error(
        "aliases (`*name`) repeat more than {} MiB of the file's content, the most they may add (counting each repeated scalar's bytes and one per repeated node)",
        limit / (1024 * 1024)
    )]
    AliasesTooLarge {
        /// [`MAX_ALIAS_EXPANSION`].
        limit: u64,
    },
    /// A problem inside the file given with `--config` (from [`load`]).
    #[error("config file {path:?}: {source}")]
    InFile {
        /// The file.
        path: PathBuf,
        /// What is wrong inside it.
        source: Box<ConfigError>,
    },
    /// The text is not valid YAML.
    #[error("{message}")]
    Syntax {
        /// `invalid YAML: ` and the parser's message, with line and column where it has them.
        message: String,
    },
    /// Keys that no option has, every one of them, each on its own line.
    #[error("{}", lines(.0))]
    UnknownKeys(Vec<UnknownKey>),
    /// A value whose type does not fit its key.
    #[error("{}: {message}", if path.is_empty() { "top level" } else { path })]
    Type {
        /// Where the value is, e.g. `selector.matchLabels.app` (empty for the top level).
        path: String,
        /// What was found and what was expected.
        message: String,
    },
    /// The top level of the file is a list or a single value, not a mapping.
    #[error(
        "the config file must be a mapping of option names to values, like `namespace: default`"
    )]
    NotAMapping,
}

/// A key of the config file that the schema of [`Options`] does not have at its place.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnknownKey {
    /// Where the key is, e.g. `names.tokenSecrt` or `selector.matchExpressions[0].operatr`.
    pub path: String,
    /// The known key at the same level closest to it, when one is close enough.
    pub suggestion: Option<String>,
    /// Every key known at that level, in alphabetical order.
    pub expected: Vec<String>,
}

impl fmt::Display for UnknownKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "unknown key \"{}\"", self.path)?;
        match &self.suggestion {
            Some(key) => write!(f, " (did you mean \"{key}\"?)"),
            None if self.expected.is_empty() => Ok(()),
            None => write!(f, " (expected one of: {})", self.expected.join(", ")),
        }
    }
}

fn lines(keys: &[UnknownKey]) -> String {
    let lines: Vec<String> = keys.iter().map(ToString::to_string).collect();
    lines.join("\n")
}

/// The largest config file read: far above any fleet (100,000 targets take about 9 MiB of YAML),
/// and a bound on what `--config /dev/zero` or a runaway file can cost.
pub const MAX_CONFIG_BYTES: u64 = 64 * 1024 * 1024;

/// The most a config's aliases may add to it: as much as the largest file may hold, so that no
/// alias makes a config cost more than a file could (a 1 MiB scalar aliased 2,000 times would
/// be 2 GiB). Counted as each repeated scalar's bytes plus one per repeated node.
pub const MAX_ALIAS_EXPANSION: u64 = MAX_CONFIG_BYTES;

/// Reads the config file at `path` (at most [`MAX_CONFIG_BYTES`]) and [`parse_layer`]s it; a
/// read or syntax error names the file.
pub fn load(path: &Path) -> Result<(Options, Given), ConfigError> {
    let text = read_file(path)?;
    parse_layer(&text, &path.display().to_string()).map_err(|error| in_file(path, error))
}

/// `error`, said to be inside the file at `path`.
pub(crate) fn in_file(path: &Path, error: ConfigError) -> ConfigError {
    ConfigError::InFile {
        path: path.to_owned(),
        source: Box::new(error),
    }
}

/// The text of the file at `path`: at most [`MAX_CONFIG_BYTES`], UTF-8.
pub(crate) fn read_file(path: &Path) -> Result<String, ConfigError> {
    let read_error = |source| ConfigError::Read {
        path: path.to_owned(),
        source,
    };
    // One byte past the limit tells a file over it from one at it.
    let bytes = std::fs::File::open(path)
        .and_then(|file| crate::bounded::read_at_most(file, MAX_CONFIG_BYTES + 1))
        .map_err(read_error)?;
    if bytes.len() as u64 > MAX_CONFIG_BYTES {
        return Err(ConfigError::TooLarge {
            path: path.to_owned(),
            limit: MAX_CONFIG_BYTES,
        });
    }
    // The message std's own read_to_string gives.
    String::from_utf8(bytes).map_err(|_| {
        read_error(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            "stream did not contain valid UTF-8",
        ))
    })
}

/// The text as a YAML value, merge keys (`<<`) applied.
pub(crate) fn read(text: &str) -> Result<Value, ConfigError> {
    let syntax = |error: serde_yaml::Error| ConfigError::Syntax {
        message: format!("invalid YAML: {error}"),
    };
    // JSON is YAML, and fleet files written by tools often are JSON: serde_json reads them into
    // the same value (through the same visitor, duplicate keys included) several times faster
    // than libyaml. Whatever it does not read as JSON, serde_yaml reads as YAML.
    let json = text
        .trim_start()
        .starts_with('{')
        .then(|| serde_json::from_str::<Value>(text).ok())
        .flatten();
    let mut value = match json {
        Some(value) => value,
        None => {
            // libyaml spends seconds on deeply nested flow collections before refusing them.
            igw_monitoring::manifests::nesting_within(text, igw_monitoring::manifests::MAX_NESTING)
                .map_err(|rule| ConfigError::Syntax {
                    message: format!("invalid YAML: {rule}"),
                })?;
            check_alias_expansion(text)?;
            serde_yaml::from_str(text).map_err(syntax)?
        }
    };
    value.apply_merge().map_err(syntax)?;
    Ok(value)
}

/// Refuses a text whose aliases would expand past [`MAX_ALIAS_EXPANSION`], before anything is
/// built from it (the library's walk, shared with the manifest reader).
fn check_alias_expansion(text: &str) -> Result<(), ConfigError> {
    if igw_monitoring::manifests::aliases_within(text, MAX_ALIAS_EXPANSION) {
        Ok(())
    } else {
        Err(ConfigError::AliasesTooLarge {
            limit: MAX_ALIAS_EXPANSION,
        })
    }
}

/// Parses the text of a config file; an empty file (or one of comments only) gives the defaults.
pub fn parse(text: &str) -> Result<Options, ConfigError> {
    parse_layer(text, "").map(|(options, _)| options)
}

/// [`parse`], and which options the file gives (each key's path, with `file` as its source):
/// a key set to its default is given all the same.
pub fn parse_layer(text: &str, file: &str) -> Result<(Options, Given), ConfigError> {
    let value = read(text)?;
    match value {
        Value::Null => return Ok((Options::default(), Given::new())),
        Value::Mapping(_) => {}
        _ => return Err(ConfigError::NotAMapping),
    }
    let mut given = Given::new();
    if let Value::Mapping(mapping) = &value {
        keys_given(mapping, &mut String::new(), "", file, &mut given);
    }
    // Deserializing a value (unlike a text) is strict: it refuses an unknown key and a number
    // or boolean where a string belongs, so a file it accepts is one the walk finds no fault
    // in. The common case, a valid file, skips the walk and takes the value's strings instead of
    // copying them; a refused one is read again, walked, and deserialized with its path tracked.
    if let Ok(options) = Options::deserialize(value) {
        return Ok((options, given));
    }
    let value = read(text)?;
    walk(&schemars::schema_for!(Options), &value)?;
    let options = deserialize(value, "")?;
    Ok((options, given))
}

/// `value` walked against `schema`: every unknown key at once, else the first value YAML
/// read as a number or boolean where a string belongs.
pub(crate) fn walk(schema: &schemars::Schema, value: &Value) -> Result<(), ConfigError> {
    let mut unknown = Vec::new();
    let mut unquoted = None;
    let mut findings = Vec::new();
    Walker::new(schema.as_value()).walk(schema.as_value(), value, &mut Vec::new(), &mut findings);
    for finding in findings {
        match finding {
            Finding::Unknown(key) => unknown.push(key),
            Finding::Unquoted { path, message } => {
                unquoted.get_or_insert(ConfigError::Type { path, message });
            }
        }
    }
    if !unknown.is_empty() {
        return Err(ConfigError::UnknownKeys(unknown));
    }
    unquoted.map_or(Ok(()), Err)
}

/// `value` deserialized, a wrong type reported with its path (under `at`, e.g.
/// `clusters[2]`).
pub(crate) fn deserialize<T: serde::de::DeserializeOwned>(
    value: Value,
    at: &str,
) -> Result<T, ConfigError> {
    serde_path_to_error::deserialize(value).map_err(|error| {
        let path: Vec<Segment> = error.path().iter().map(Segment::from).collect();
        let inner = render(&path);
        ConfigError::Type {
            path: match (at.is_empty(), inner.is_empty()) {
                (true, _) => inner,
                (false, true) => at.to_owned(),
                (false, false) if inner.starts_with('[') => format!("{at}{inner}"),
                (false, false) => format!("{at}.{inner}"),
            },
            message: error.into_inner().to_string(),
        }
    })
}

/// Records every key of `mapping` (at `path`) and of the mappings inside it, each written in
/// the file as `prefix` and its path; a list (`targets`) is given as a whole.
pub(crate) fn keys_given(
    mapping: &serde_yaml::Mapping,
    path: &mut String,
    prefix: &str,
    file: &str,
    given: &mut Given,
) {
    for (key, inner) in mapping {
        let Some(key) = key.as_str() else { continue };
        let len = path.len();
        if !path.is_empty() {
            path.push('.');
        }
        path.push_str(key);
        given.set(
            path.clone(),
            Source::ConfigKey {
                key: format!("{prefix}{path}"),
                file: file.to_owned(),
            },
        );
        if let Value::Mapping(inner) = inner {
            keys_given(inner, path, prefix, file, given);
        }
        path.truncate(len);
    }
}

/// One step of a key path; keys are borrowed from the walked value where they can be.
enum Segment<'v> {
    Key(Cow<'v, str>),
    Index(usize),
}

impl From<&serde_path_to_error::Segment> for Segment<'_> {
    fn from(segment: &serde_path_to_error::Segment) -> Self {
        use serde_path_to_error::Segment as S;
        match segment {
            S::Seq { index } => Self::Index(*index),
            S::Map { key } => Self::Key(Cow::Owned(key.clone())),
            S::Enum { variant } => Self::Key(Cow::Owned(variant.clone())),
            S::Unknown => Self::Key(Cow::Borrowed("?")),
        }
    }
}

/// `a.b[0].c`; a key that holds `.`, `[`, `]`, `"` or spaces is written `["app.kubernetes.io/name"]`.
fn render(path: &[Segment]) -> String {
    let mut out = String::new();
    for segment in path {
        match segment {
            Segment::Index(index) => out.push_str(&format!("[{index}]")),
            Segment::Key(key) if is_plain(key) => {
                if !out.is_empty() {
                    out.push('.');
                }
                out.push_str(key);
            }
            Segment::Key(key) => out.push_str(&format!("[{key:?}]")),
        }
    }
    out
}

fn is_plain(key: &str) -> bool {
    !key.is_empty()
        && !key
            .chars()
            .any(|c| matches!(c, '.' | '[' | ']' | '"') || c.is_whitespace() || c.is_control())
}

/// What the schema walk found wrong with one value.
enum Finding {
    Unknown(UnknownKey),
    Unquoted { path: String, message: String },
}

/// Walks a YAML value against a JSON Schema made by schemars.
struct Walker<'s> {
    root: &'s Schema,
}

impl<'s> Walker<'s> {
    fn new(root: &'s Schema) -> Self {
        Self { root }
    }

    /// Follows `$ref`s (`#` or `#/$defs/Name`) to the schema they name.
    fn resolve(&self, mut schema: &'s Schema) -> &'s Schema {
        // A bound, so that a schema whose refs form a loop cannot hang the walk.
        for _ in 0..32 {
            let Some(reference) = schema.get("$ref").and_then(Schema::as_str) else {
                break;
            };
            let target = match reference.strip_prefix("#/$defs/") {
                Some(name) => self.root.get("$defs").and_then(|defs| defs.get(name)),
                None if reference == "#" => Some(self.root),
                None => None,
            };
            match target {
                Some(target) => schema = target,
                None => break,
            }
        }
        schema
    }

    /// The `anyOf` and `oneOf` alternatives of a schema, resolved.
    fn alternatives(&self, schema: &'s Schema) -> Vec<&'s Schema> {
        ["anyOf", "oneOf"]
            .iter()
            .filter_map(|keyword| schema.get(keyword).and_then(Schema::as_array))
            .flatten()
            .map(|alternative| self.resolve(alternative))
            .collect()
    }

    /// Adds to `findings` what is wrong with `value` (at `path`) under `schema`.
    fn walk<'v>(
        &self,
        schema: &'s Schema,
        value: &'v Value,
        path: &mut Vec<Segment<'v>>,
        findings: &mut Vec<Finding>,
    ) {
        let schema = self.resolve(schema);
        match value {
            Value::Tagged(tagged) => self.walk(schema, &tagged.value, path, findings),
            Value::Mapping(mapping) => {
                let keywords = ["properties", "additionalProperties"];
                self.best(schema, &keywords, findings, |s, found| {
                    self.walk_mapping(s, mapping, path, found);
                });
            }
            Value::Sequence(items) => {
                self.best(schema, &["items"], findings, |s, found| {
                    if let Some(item_schema) = s.get("items").filter(|items| items.is_object()) {
                        for (index, item) in items.iter().enumerate() {
                            path.push(Segment::Index(index));
                            self.walk(item_schema, item, path, found);
                            path.pop();
                        }
                    }
                });
            }
            Value::Number(_) | Value::Bool(_) => self.check_scalar(schema, value, path, findings),
            Value::Null | Value::String(_) => {}
        }
    }

    /// Walks `schema` if it has one of `keywords`; else walks every alternative that has one and
    /// keeps the findings of the one that fits best.
    fn best(
        &self,
        schema: &'s Schema,
        keywords: &[&str],
        findings: &mut Vec<Finding>,
        mut walk: impl FnMut(&'s Schema, &mut Vec<Finding>),
    ) {
        let fits = |s: &Schema| keywords.iter().any(|keyword| s.get(keyword).is_some());
        // The schema itself (nearly every value): nothing to compare, so no findings of its own.
        if fits(schema) {
            return walk(schema, findings);
        }
        let best = self
            .alternatives(schema)
            .into_iter()
            .filter(|s| fits(s))
            .map(|candidate| {
                let mut found = Vec::new();
                walk(candidate, &mut found);
                found
            })
            .min_by_key(Vec::len);
        findings.extend(best.into_iter().flatten());
    }

    fn walk_mapping<'v>(
        &self,
        schema: &'s Schema,
        mapping: &'v serde_yaml::Mapping,
        path: &mut Vec<Segment<'v>>,
        findings: &mut Vec<Finding>,
    ) {
        let properties = schema.get("properties").and_then(Schema::as_object);
        for (key, value) in mapping {
            // A key that is a list or a mapping is left to serde, which reports it with its path.
            let key: Cow<'v, str> = match key {
                Value::String(key) => Cow::Borrowed(key),
                Value::Number(_) | Value::Bool(_) => {
                    let Some((_, what, text)) = describe(key) else {
                        continue;
                    };
                    if properties.is_none() {
                        // A key of a map (labels, annotations), where every key is a string.
                        path.push(Segment::Key(Cow::Owned(text)));
                        findings.push(Finding::Unquoted {
                            path: render(path),
                            message: format!(
                                "invalid type: {what} key, expected a string; \
                                 put the key in quotes so that YAML reads it as a string"
                            ),
                        });
                        path.pop();
                        continue;
                    }
                    Cow::Owned(text)
                }
                _ => continue,
            };
            let known = properties.and_then(|properties| properties.get(key.as_ref()));
            path.push(Segment::Key(key.clone()));
            match (known, schema.get("additionalProperties")) {
                (Some(property), _) => self.walk(property, value, path, findings),
                (None, Some(Schema::Bool(false))) => {
                    let expected: Vec<String> = properties
                        .map(|properties| properties.keys().cloned().collect())
                        .unwrap_or_default();
                    findings.push(Finding::Unknown(UnknownKey {
                        path: render(path),
                        suggestion: closest(&key, &expected),
                        expected,
                    }));
                }
                (None, Some(extra)) if extra.is_object() => self.walk(extra, value, path, findings),
                (None, _) => {}
            }
            path.pop();
        }
    }

    /// A number or boolean where the schema wants a string (or one of some string constants).
    fn check_scalar(
        &self,
        schema: &'s Schema,
        value: &Value,
        path: &[Segment],
        findings: &mut Vec<Finding>,
    ) {
        let Some((kind, what, text)) = describe(value) else {
            return;
        };
        let (types, constants) = self.accepted(schema);
        let fits = types.contains(&kind) || (kind == "integer" && types.contains(&"number"));
        let free_string = types.contains(&"string");
        if fits || (!free_string && constants.is_empty()) {
            return;
        }
        let mut expected: Vec<String> = types
            .iter()
            .filter_map(|t| match *t {
                "integer" => Some("an integer".to_owned()),
                "number" => Some("a number".to_owned()),
                "boolean" => Some("a boolean".to_owned()),
                "string" => Some("a string".to_owned()),
                _ => None,
            })
            .collect();
        if !constants.is_empty() {
            let constants: Vec<String> = constants.iter().map(|c| format!("`{c}`")).collect();
            expected.push(format!("one of {}", constants.join(", ")));
        }
        let mut message = format!(
            "invalid type: {what} `{text}`, expected {}",
            expected.join(" or ")
        );
        if free_string {
            message.push_str("; put the value in quotes so that YAML reads it as a string");
        }
        findings.push(Finding::Unquoted {
            path: render(path),
            message,
        });
    }

    /// The JSON types a schema (or one of its alternatives) takes any value of, and the string
    /// constants (`const`, `enum`) it takes.
    fn accepted(&self, schema: &'s Schema) -> (Vec<&'s str>, Vec<&'s str>) {
        let mut types = Vec::new();
        let mut constants = Vec::new();
        for s in std::iter::once(schema).chain(self.alternatives(schema)) {
            let listed: Vec<&'s Schema> = match (s.get("const"), s.get("enum")) {
                (Some(single), _) => vec![single],
                (None, Some(Schema::Array(many))) => many.iter().collect(),
                _ => Vec::new(),
            };
            if !listed.is_empty() {
                constants.extend(listed.into_iter().filter_map(Schema::as_str));
                continue;
            }
            match s.get("type") {
                Some(Schema::String(single)) => types.push(single.as_str()),
                Some(Schema::Array(many)) => types.extend(many.iter().filter_map(Schema::as_str)),
                _ => {}
            }
        }
        (types, constants)
    }
}

/// The JSON type, serde's name for it and the text of a number or boolean.
fn describe(value: &Value) -> Option<(&'static str, &'static str, String)> {
    match value {
        Value::Number(number) if number.is_f64() => {
            Some(("number", "floating point", number.to_string()))
        }
        Value::Number(number) => Some(("integer", "integer", number.to_string())),
        Value::Bool(boolean) => Some(("boolean", "boolean", boolean.to_string())),
        _ => None,
    }
}

/// The known key most like `key` (ignoring case, `_` and `-`), if it is close enough.
fn closest(key: &str, known: &[String]) -> Option<String> {
    let normalize = |s: &str| -> String {
        s.chars()
            .filter(|c| !matches!(c, '_' | '-'))
            .flat_map(char::to_lowercase)
            .collect()
    };
    let key = normalize(key);
    known
        .iter()
        .map(|candidate| (strsim::jaro_winkler(&key, &normalize(candidate)), candidate))
        .filter(|(score, _)| *score >= 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, candidate)| candidate.clone())
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2048))]

        /// A value serde accepts is one the walk finds no fault in: the valid-file shortcut in
        /// [`parse`] skips no unknown key or unquoted scalar the walk would report.
        #[test]
        fn what_serde_accepts_the_walk_finds_no_fault_in(
            key in prop::sample::select(vec![
                "namespace", "flavor", "selector", "port", "scheme", "interval", "timeout",
                "path", "names", "namePrefix", "monitoringLabels", "extraLabels",
                "extraAnnotations", "targets", "alerts", "pprof", "preset", "monitoring",
                "secretAccess", "instance", "eppVersion", "authDelegation", "nmaespace",
            ]),
            value in prop_oneof![
                "[a-z0-9.:{}\\[\\], -]{0,24}",
                "\\{[a-zA-Z]{1,12}: [a-z0-9.]{0,6}\\}",
                "\\[\\{(name|namespace|selector|preset|nmae): [a-z0-9{}:]{0,12}\\}\\]",
                "(true|false|yes|on|1|1.5|0x1f|null|~|'7'|\"x\")",
            ],
        ) {
            let text = format!("{key}: {value}\n");
            if let Ok(value) = read(&text)
                && value.is_mapping()
                && Options::deserialize(value.clone()).is_ok()
            {
                prop_assert!(walk(&schemars::schema_for!(Options), &value).is_ok(), "{text}");
            }
        }
    }
}
