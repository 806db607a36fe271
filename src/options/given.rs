//! Which options the user gave, and where: the layers (a config file, flags, code) record it as
//! they are laid, because an option's value alone cannot tell "given" from "left at its
//! default" (`scheme: http` is both). Discovery reads it: what is given is the user's, judged
//! against the manifests, never replaced.

use std::collections::BTreeMap;
use std::fmt;

/// Where an option's value came from.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Source {
    /// A command-line flag (`--scheme`).
    Flag(&'static str),
    /// A key of a config file: its path in the file (`scheme`, `tls.ca`) and the file.
    ConfigKey {
        /// The key's path, as in the config file.
        key: String,
        /// The file, as the user named it.
        file: String,
    },
    /// Set in code on [`Options`](crate::Options), away from its default.
    Code,
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Flag(flag) => f.write_str(flag),
            Self::ConfigKey { key, file } => write!(f, "config key {key} of {file}"),
            Self::Code => f.write_str("the options"),
        }
    }
}

/// The options given, each by its path as in the config file (`scheme`, `tls.ca`,
/// `alerts.queueSize`), with where it came from. A later layer's entry replaces an earlier one's
/// ([`Given::extend`]), as its value does.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Given(BTreeMap<String, Source>);

impl Given {
    /// Nothing given.
    pub fn new() -> Self {
        Self::default()
    }

    /// Records that `path` was given by `source` (replacing what an earlier layer recorded).
    pub fn set(&mut self, path: impl Into<String>, source: Source) {
        self.0.insert(path.into(), source);
    }

    /// Lays `over` (a later layer: flags over a config file) on top of this one.
    pub fn extend(&mut self, over: Given) {
        self.0.extend(over.0);
    }

    /// Where `path` was given: by itself, by a block containing it (`tls` for `tls.ca`), or, for
    /// a block, by the first of its keys that was (`tls.ca` for `tls`).
    pub fn source(&self, path: &str) -> Option<&Source> {
        let within = |outer: &str, inner: &str| {
            inner
                .strip_prefix(outer)
                .is_some_and(|rest| rest.starts_with(['.', '[']))
        };
        self.0.get(path).or_else(|| {
            self.0
                .iter()
                .filter(|(given, _)| within(given, path))
                .max_by_key(|(given, _)| given.len())
                .or_else(|| self.0.iter().find(|(given, _)| within(path, given)))
                .map(|(_, source)| source)
        })
    }

    /// Whether `path` (or a block containing it, or a key inside it) was given.
    pub fn contains(&self, path: &str) -> bool {
        self.source(path).is_some()
    }

    /// The flag that gave `path`, when a flag did.
    pub fn flag_for(&self, path: &str) -> Option<&'static str> {
        match self.source(path) {
            Some(Source::Flag(flag)) => Some(flag),
            _ => None,
        }
    }

    /// Every path given, with its source, in path order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &Source)> {
        self.0.iter().map(|(path, source)| (path.as_str(), source))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(key: &str) -> Source {
        Source::ConfigKey {
            key: key.to_owned(),
            file: "m.yaml".to_owned(),
        }
    }

    #[test]
    fn a_path_is_given_by_itself_its_block_or_a_key_inside_it() {
        let mut given = Given::new();
        given.set("tls.ca", Source::Flag("--tls-ca-secret"));
        given.set("alerts", config("alerts"));
        given.set(
            "selector.matchExpressions",
            Source::Flag("--selector-expression"),
        );
        assert_eq!(given.flag_for("tls.ca"), Some("--tls-ca-secret"));
        // The block, from the key inside it.
        assert_eq!(given.flag_for("tls"), Some("--tls-ca-secret"));
        assert_eq!(given.source("alerts.queueSize"), Some(&config("alerts")));
        assert_eq!(
            given.flag_for("selector.matchExpressions[0].key"),
            Some("--selector-expression")
        );
        assert!(!given.contains("tls.cert"));
        assert!(!given.contains("selector.matchLabels"));
        // A name that only starts like a given one is another option.
        given.set("port", Source::Flag("--port"));
        assert!(!given.contains("portName"));
    }

    #[test]
    fn a_later_layer_replaces_an_earlier_ones_source() {
        let mut file = Given::new();
        file.set("scheme", config("scheme"));
        file.set("port", config("port"));
        let mut flags = Given::new();
        flags.set("scheme", Source::Flag("--scheme"));
        file.extend(flags);
        assert_eq!(file.source("scheme"), Some(&Source::Flag("--scheme")));
        assert_eq!(file.source("port"), Some(&config("port")));
        assert_eq!(
            file.source("port").map(ToString::to_string).as_deref(),
            Some("config key port of m.yaml")
        );
    }
}
