//! What a user may choose about one metrics-collection setup, with the seed document's defaults.
//!
//! [`Options`] is plain data: it deserializes from a config file (camelCase keys) and says nothing
//! about validity. [`Options::build`](crate::Options::build) judges it and makes the
//! [`Bundle`](crate::Bundle).

use std::collections::BTreeMap;

use gmp_types::Scheme;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// The label the seed document selects the endpoint picker's pods by.
pub const DEFAULT_SELECTOR_LABEL: (&str, &str) = ("app", "inference-gateway-ext-proc");

/// Every choice about one metrics-collection setup; [`Default`] is the seed document's bundle.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct Options {
    /// Namespace of the reader ServiceAccount and its token Secret. Default: `default`.
    pub namespace: String,
    /// Where the cluster runs GMP's collector. Default: `standard`.
    pub flavor: ClusterFlavor,
    /// How the collector is granted read access to the token Secret. Default: `cluster`.
    pub secret_access: SecretAccess,
    /// The endpoint picker pods to scrape. Default: `matchLabels: {app: inference-gateway-ext-proc}`.
    pub selector: LabelSelector,
    /// Container port to scrape, by name or number. Default: `metrics`.
    pub port: Port,
    /// Scrape protocol. Default: `http`.
    pub scheme: Scheme,
    /// Prometheus duration between scrapes. Default: `5s`.
    pub interval: String,
    /// Prometheus duration a scrape may take, at most `interval`. Default: none (GMP's default).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timeout: Option<String>,
    /// HTTP path of the metrics endpoint. Default: `/metrics`.
    pub path: String,
    /// Name of every object the bundle creates. Default: the seed document's names.
    pub names: Names,
    /// Prefix of every object name, after defaults and derivations (not of the GMP collector's
    /// ServiceAccount, which the bundle only references). Default: none.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub name_prefix: String,
    /// Labels of the ClusterPodMonitoring. Default: the seed's `app.kubernetes.io/name` and
    /// `app.kubernetes.io/part-of`.
    pub monitoring_labels: BTreeMap<String, String>,
    /// Labels added to every object. Default: none.
    pub extra_labels: BTreeMap<String, String>,
    /// Annotations added to every object. Default: none.
    pub extra_annotations: BTreeMap<String, String>,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            namespace: "default".to_owned(),
            flavor: ClusterFlavor::default(),
            secret_access: SecretAccess::default(),
            selector: LabelSelector::default()
                .match_label(DEFAULT_SELECTOR_LABEL.0, DEFAULT_SELECTOR_LABEL.1),
            port: Port::default(),
            scheme: Scheme::Http,
            interval: "5s".to_owned(),
            timeout: None,
            path: "/metrics".to_owned(),
            names: Names::default(),
            name_prefix: String::new(),
            monitoring_labels: BTreeMap::from([
                (
                    "app.kubernetes.io/name".to_owned(),
                    "inference-optimized-gateway".to_owned(),
                ),
                (
                    "app.kubernetes.io/part-of".to_owned(),
                    "google-cloud-managed-prometheus".to_owned(),
                ),
            ]),
            extra_labels: BTreeMap::new(),
            extra_annotations: BTreeMap::new(),
        }
    }
}

/// The kind of GKE cluster, which decides where GMP's collector runs.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub enum ClusterFlavor {
    /// GKE Standard: the collector runs in `gmp-system`.
    #[default]
    Standard,
    /// GKE Autopilot: the collector runs in `gke-gmp-system`.
    Autopilot,
}

impl ClusterFlavor {
    /// Namespace of GMP's collector ServiceAccount on this flavor.
    pub fn collector_namespace(self) -> &'static str {
        match self {
            Self::Standard => "gmp-system",
            Self::Autopilot => "gke-gmp-system",
        }
    }
}

/// How GMP's collector is granted read access to the token Secret.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub enum SecretAccess {
    /// A ClusterRole and ClusterRoleBinding, as the seed document and the GKE docs have it.
    #[default]
    Cluster,
    /// A Role and RoleBinding in the Secret's namespace: enough, and no cluster-wide grant.
    Namespaced,
}

/// Name of GMP's collector ServiceAccount, the same on every flavor.
pub const COLLECTOR_SERVICE_ACCOUNT: &str = "collector";

/// A container port, by IANA service name or by number.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(
    untagged,
    expecting = "expected a port name (e.g. metrics) or a port number from 1 to 65535"
)]
pub enum Port {
    /// A port number; valid from 1 to 65535.
    Number(i32),
    /// A port name as the container declares it (IANA service name rules).
    Name(String),
}

impl Default for Port {
    /// `metrics`: the endpoint picker's named metrics port in every version.
    fn default() -> Self {
        Self::Name("metrics".to_owned())
    }
}

impl From<&str> for Port {
    fn from(name: &str) -> Self {
        Self::Name(name.to_owned())
    }
}

impl From<String> for Port {
    fn from(name: String) -> Self {
        Self::Name(name)
    }
}

impl From<u16> for Port {
    fn from(number: u16) -> Self {
        Self::Number(i32::from(number))
    }
}

impl std::fmt::Display for Port {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Number(n) => write!(f, "{n}"),
            Self::Name(name) => f.write_str(name),
        }
    }
}

/// A Kubernetes label selector: every `matchLabels` pair and every expression must hold.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct LabelSelector {
    /// Labels a pod must carry with exactly these values.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub match_labels: BTreeMap<String, String>,
    /// Set-based requirements, all of which must hold.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub match_expressions: Vec<SelectorRequirement>,
}

impl LabelSelector {
    /// Adds (or replaces) one `matchLabels` pair.
    pub fn match_label(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.match_labels.insert(key.into(), value.into());
        self
    }

    /// Adds one set-based requirement.
    pub fn match_expression(mut self, requirement: SelectorRequirement) -> Self {
        self.match_expressions.push(requirement);
        self
    }

    /// Whether the selector has no requirement at all, and so would select every pod.
    pub fn is_empty(&self) -> bool {
        self.match_labels.is_empty() && self.match_expressions.is_empty()
    }
}

/// One set-based requirement of a label selector, e.g. `tier in (a,b)`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SelectorRequirement {
    /// The label key the requirement is about.
    pub key: String,
    /// How the label relates to `values`.
    pub operator: SelectorOperator,
    /// The values for `In` / `NotIn`; must be empty for `Exists` / `DoesNotExist`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub values: Vec<String>,
}

impl SelectorRequirement {
    /// `key in (values)`.
    pub fn is_in<I: IntoIterator<Item = S>, S: Into<String>>(
        key: impl Into<String>,
        values: I,
    ) -> Self {
        Self::with_values(key, SelectorOperator::In, values)
    }

    /// `key notin (values)`.
    pub fn not_in<I: IntoIterator<Item = S>, S: Into<String>>(
        key: impl Into<String>,
        values: I,
    ) -> Self {
        Self::with_values(key, SelectorOperator::NotIn, values)
    }

    /// `key`: the label is present, whatever its value.
    pub fn exists(key: impl Into<String>) -> Self {
        Self::with_values(key, SelectorOperator::Exists, Vec::<String>::new())
    }

    /// `!key`: the label is absent.
    pub fn does_not_exist(key: impl Into<String>) -> Self {
        Self::with_values(key, SelectorOperator::DoesNotExist, Vec::<String>::new())
    }

    fn with_values<I: IntoIterator<Item = S>, S: Into<String>>(
        key: impl Into<String>,
        operator: SelectorOperator,
        values: I,
    ) -> Self {
        Self {
            key: key.into(),
            operator,
            values: values.into_iter().map(Into::into).collect(),
        }
    }
}

/// The operator of a set-based selector requirement.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum SelectorOperator {
    /// The label's value is one of `values`.
    In,
    /// The label is absent or its value is none of `values`.
    NotIn,
    /// The label is present.
    Exists,
    /// The label is absent.
    DoesNotExist,
}

impl SelectorOperator {
    /// The spelling Kubernetes expects.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::In => "In",
            Self::NotIn => "NotIn",
            Self::Exists => "Exists",
            Self::DoesNotExist => "DoesNotExist",
        }
    }

    /// Whether the operator takes a non-empty `values` list.
    pub fn takes_values(self) -> bool {
        matches!(self, Self::In | Self::NotIn)
    }
}

/// Names of the objects the bundle creates; `None` takes the default each field names.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct Names {
    /// ClusterRole granting `get` on `/metrics`. Default: `inference-gateway-metrics-reader`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reader_cluster_role: Option<String>,
    /// The reader ServiceAccount. Default: `inference-gateway-sa-metrics-reader`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub service_account: Option<String>,
    /// ClusterRoleBinding of the reader role to the ServiceAccount.
    /// Default: `<serviceAccount>-role-binding`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reader_binding: Option<String>,
    /// The ServiceAccount's token Secret. Default: `<serviceAccount>-secret`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub token_secret: Option<String>,
    /// (Cluster)Role letting the collector read the Secret. Default: `<serviceAccount>-secret-read`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secret_reader_role: Option<String>,
    /// (Cluster)RoleBinding of that role to the collector.
    /// Default: `<collector namespace>:collector:<secretReaderRole>`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub collector_binding: Option<String>,
    /// The ClusterPodMonitoring. Default: `inference-optimized-gateway-monitoring`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pod_monitoring: Option<String>,
}

/// Every object name of one bundle, defaults and derivations applied.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ResolvedNames {
    /// See [`Names::reader_cluster_role`].
    pub reader_cluster_role: String,
    /// See [`Names::service_account`].
    pub service_account: String,
    /// See [`Names::reader_binding`].
    pub reader_binding: String,
    /// See [`Names::token_secret`].
    pub token_secret: String,
    /// See [`Names::secret_reader_role`].
    pub secret_reader_role: String,
    /// See [`Names::collector_binding`].
    pub collector_binding: String,
    /// See [`Names::pod_monitoring`].
    pub pod_monitoring: String,
}

impl Names {
    /// Applies the defaults (derived names follow the names they derive from), then `prefix`.
    pub fn resolve(&self, flavor: ClusterFlavor, prefix: &str) -> ResolvedNames {
        let or = |given: &Option<String>, default: String| given.clone().unwrap_or(default);
        let service_account = or(
            &self.service_account,
            "inference-gateway-sa-metrics-reader".to_owned(),
        );
        let secret_reader_role = or(
            &self.secret_reader_role,
            format!("{service_account}-secret-read"),
        );
        let collector_binding = or(
            &self.collector_binding,
            format!(
                "{}:{COLLECTOR_SERVICE_ACCOUNT}:{secret_reader_role}",
                flavor.collector_namespace()
            ),
        );
        let names = ResolvedNames {
            reader_cluster_role: or(
                &self.reader_cluster_role,
                "inference-gateway-metrics-reader".to_owned(),
            ),
            reader_binding: or(
                &self.reader_binding,
                format!("{service_account}-role-binding"),
            ),
            token_secret: or(&self.token_secret, format!("{service_account}-secret")),
            collector_binding,
            pod_monitoring: or(
                &self.pod_monitoring,
                "inference-optimized-gateway-monitoring".to_owned(),
            ),
            service_account,
            secret_reader_role,
        };
        if prefix.is_empty() {
            names
        } else {
            names.map(|name| format!("{prefix}{name}"))
        }
    }
}

impl ResolvedNames {
    /// The same names, each passed through `f`.
    pub fn map(self, mut f: impl FnMut(String) -> String) -> Self {
        Self {
            reader_cluster_role: f(self.reader_cluster_role),
            service_account: f(self.service_account),
            reader_binding: f(self.reader_binding),
            token_secret: f(self.token_secret),
            secret_reader_role: f(self.secret_reader_role),
            collector_binding: f(self.collector_binding),
            pod_monitoring: f(self.pod_monitoring),
        }
    }
}
