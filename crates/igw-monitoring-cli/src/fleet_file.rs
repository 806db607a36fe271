//! The fleet file given to `fleet --config`: `defaults` (any key of the config file), the
//! `clusters` (each its name, project, location, optionally `fleetRules` and `from:` manifests,
//! and any option key over the defaults), and `gitops` (engine and repository). Read as the
//! config file is: every unknown key at once with a suggestion, then types with their paths.

use std::path::{Path, PathBuf};

use igw_monitoring::{FleetCluster, GitOps, Given, Options};
use schemars::JsonSchema;
use serde::Deserialize;
use serde_yaml::{Mapping, Value};

use crate::config::{self, ConfigError};

/// The fleet file, as its JSON Schema (`igw-monitoring schema --fleet`) describes it.
#[derive(JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct FleetFile {
    /// Options every cluster starts from: any key of the config file; default: none (the
    /// options' own defaults).
    #[serde(default)]
    pub defaults: Options,
    /// The clusters, in order; the first carries the fleet-wide rules unless one says
    /// `fleetRules: true`.
    pub clusters: Vec<ClusterEntry>,
    /// The GitOps engine and its repository; default: engine `none`.
    #[serde(default)]
    pub gitops: GitOps,
}

/// One cluster of the fleet file: its identity, then any option key, over `defaults`.
#[derive(JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ClusterEntry {
    /// Which cluster it is.
    #[serde(flatten)]
    pub identity: ClusterIdentity,
    /// Any option of the config file, over `defaults`.
    #[serde(flatten)]
    pub options: Options,
}

/// The keys of a cluster entry that are not options (read by serde; the rest are options).
#[derive(Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ClusterIdentity {
    /// Its name: a DNS-1123 label, unique; the overlay is `clusters/NAME`.
    pub name: String,
    /// The Google Cloud project it reports metrics to.
    pub project: String,
    /// Its location (region or zone).
    pub location: String,
    /// Whether it carries the fleet-wide rules; default: `false`.
    #[serde(default)]
    pub fleet_rules: bool,
    /// Manifests of its endpoint pickers, read by `render --from`'s rules (relative to the
    /// fleet file); default: none (the options' targets or selector).
    #[serde(default)]
    pub from: Vec<PathBuf>,
}

/// One cluster as the file gives it, before its `from:` manifests are read.
pub struct Entry {
    /// The cluster, its options the defaults with its own keys over them.
    pub cluster: FleetCluster,
    /// Its manifests, resolved against the fleet file's folder.
    pub from: Vec<PathBuf>,
    /// Which options the file gives it (defaults' and its own), for discovery to keep.
    pub given: Given,
}

/// The fleet file at `path`: its clusters (not yet discovered) and its GitOps settings.
pub fn load(path: &Path) -> Result<(Vec<Entry>, GitOps), ConfigError> {
    let text = config::read_file(path)?;
    let file = path.display().to_string();
    let folder = path.parent().unwrap_or(Path::new("."));
    parse(&text, &file, folder).map_err(|error| config::in_file(path, error))
}

/// The text of a fleet file (`file` names it in sources; `folder` is where `from:` paths start).
pub fn parse(text: &str, file: &str, folder: &Path) -> Result<(Vec<Entry>, GitOps), ConfigError> {
    let value = config::read(text)?;
    if !matches!(value, Value::Mapping(_)) {
        return Err(ConfigError::NotAMapping);
    }
    config::walk(&schemars::schema_for!(FleetFile), &value)?;
    let Value::Mapping(mut top) = value else {
        return Err(ConfigError::NotAMapping);
    };
    let defaults = top.remove("defaults").unwrap_or(Value::Null);
    let defaults = match defaults {
        Value::Null => Mapping::new(),
        Value::Mapping(m) => m,
        _ => {
            return Err(ConfigError::Type {
                path: "defaults".to_owned(),
                message: "must be a mapping of options".to_owned(),
            });
        }
    };
    let gitops: GitOps = match top.remove("gitops") {
        None | Some(Value::Null) => GitOps::default(),
        Some(value) => config::deserialize(value, "gitops")?,
    };
    let clusters = match top.remove("clusters") {
        Some(Value::Sequence(list)) => list,
        _ => {
            return Err(ConfigError::Type {
                path: "clusters".to_owned(),
                message: "must be a list of clusters".to_owned(),
            });
        }
    };
    let mut defaults_given = Given::new();
    config::keys_given(
        &defaults,
        &mut String::new(),
        "defaults.",
        file,
        &mut defaults_given,
    );
    // The identity's keys, as its schema names them: the rest of an entry are options.
    let identity_schema = schemars::schema_for!(ClusterIdentity);
    let identity_keys: Vec<&String> = identity_schema
        .get("properties")
        .and_then(|p| p.as_object())
        .map(|p| p.keys().collect())
        .unwrap_or_default();
    let mut entries = Vec::with_capacity(clusters.len());
    for (i, entry) in clusters.into_iter().enumerate() {
        let at = format!("clusters[{i}]");
        let Value::Mapping(mut overrides) = entry else {
            return Err(ConfigError::Type {
                path: at,
                message: "must be a mapping: name, project, location and options".to_owned(),
            });
        };
        let mut own = Mapping::new();
        for &key in &identity_keys {
            if let Some(value) = overrides.remove(key.as_str()) {
                own.insert(Value::from(key.as_str()), value);
            }
        }
        let identity: ClusterIdentity = config::deserialize(Value::Mapping(own), &at)?;
        let mut given = defaults_given.clone();
        config::keys_given(
            &overrides,
            &mut String::new(),
            &format!("{at}."),
            file,
            &mut given,
        );
        let options: Options =
            config::deserialize(Value::Mapping(merge(defaults.clone(), overrides)), &at)?;
        entries.push(Entry {
            cluster: FleetCluster {
                name: identity.name,
                project: identity.project,
                location: identity.location,
                fleet_rules: identity.fleet_rules,
                options,
            },
            from: identity.from.iter().map(|p| folder.join(p)).collect(),
            given,
        });
    }
    Ok((entries, gitops))
}

/// `over` laid on `base`: mappings merge key by key, anything else (lists included) replaces.
fn merge(mut base: Mapping, over: Mapping) -> Mapping {
    for (key, value) in over {
        let merged = match (base.remove(&key), value) {
            (Some(Value::Mapping(inner)), Value::Mapping(over)) => {
                Value::Mapping(merge(inner, over))
            }
            (_, value) => value,
        };
        base.insert(key, merged);
    }
    base
}
