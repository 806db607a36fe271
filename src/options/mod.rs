//! What a user may choose about one metrics-collection setup, with the seed document's defaults.
//!
//! [`Options`] is plain data: it deserializes from a config file (camelCase keys) and says nothing
//! about validity. [`Options::plan`](crate::Options::plan) judges it and resolves it into the
//! [`Plan`](crate::Plan) every output is made from.

pub(crate) mod given;
pub mod releases;
pub(crate) mod selector;
pub mod selector_syntax;
pub(crate) mod tls;

use std::collections::BTreeMap;

use gmp_types::Scheme;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::options::releases::MetricsSchema;
pub use crate::options::releases::PresetFlavor;
use crate::options::tls::TlsOptions;

/// The label the seed document selects the endpoint picker's pods by.
pub const DEFAULT_SELECTOR_LABEL: (&str, &str) = ("app", "inference-gateway-ext-proc");

// The builder is derived from the fields so that it sets every option and can never drift from
// them; the defaults live only in its `default` attributes, which `Default`, serde's missing keys
// and the JSON Schema all go through. (Not a doc comment: that would land in the JSON Schema.)
/// Every choice about one metrics-collection setup; [`Default`] is the seed document's bundle.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema, bon::Builder)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
#[builder(
    derive(Clone, Debug),
    builder_type(
        name = BundleBuilder,
        doc {
            /// Sets [`Options`] fluently; start with [`Bundle::builder`](crate::Bundle::builder).
            /// Unset options keep the seed's defaults; [`build()`](Self::build) judges them all
            /// at once, [`options()`](Self::options) hands them over unjudged.
            ///
            /// ```
            /// use igw_monitoring::{Bundle, ClusterFlavor, LabelSelector, Names};
            ///
            /// let bundle = Bundle::builder()
            ///     .namespace("monitoring")
            ///     .flavor(ClusterFlavor::Autopilot)
            ///     .selector(LabelSelector::default().match_label("inferencepool", "vllm-epp"))
            ///     .maybe_timeout(Some("3s"))
            ///     .names(Names::builder().service_account("scraper").build())
            ///     .build()?;
            /// let secret = bundle.plan().identities()[0].token_secret();
            /// assert_eq!(secret.namespace.as_deref(), Some("monitoring"));
            /// assert_eq!(secret.name, "scraper-secret");
            /// # Ok::<(), igw_monitoring::Error>(())
            /// ```
        },
    ),
    start_fn(doc {
        /// A builder starting from the seed document's defaults (as
        /// [`Bundle::builder`](crate::Bundle::builder)).
    }),
    finish_fn(name = options, doc {
        /// The options set so far, not yet judged (for a config file, or to build later).
    }),
    state_mod(vis = "pub", doc {
        /// Type states of [`BundleBuilder`]: which options have been set, so that generic code
        /// can name a builder (its `build()` asks for [`IsComplete`](bundle_builder::IsComplete)).
    }),
    on(String, into),
    on(_, setters(doc(default(skip)))),
)]
pub struct Options {
    /// Namespace of the reader ServiceAccount and its token Secret. Default: `default`.
    #[builder(default = "default")]
    pub namespace: String,
    /// Where the cluster runs GMP's collector. Default: `standard`.
    #[builder(default)]
    pub flavor: ClusterFlavor,
    /// How the collector is granted read access to the token Secret. Default: `cluster`.
    #[builder(default)]
    pub secret_access: SecretAccess,
    /// Which GMP object scrapes: one ClusterPodMonitoring per target, with one reader identity in
    /// `namespace`; or one PodMonitoring per target with a reader identity in each target's
    /// namespace (the `inferencepool` Helm chart's shape). Default: `cluster`.
    #[builder(default)]
    pub monitoring: MonitoringMode,
    /// Which Prometheus scrapes: GMP's managed collection, or a Prometheus run by
    /// prometheus-operator (kube-prometheus-stack): PodMonitors instead of (Cluster)PodMonitorings
    /// (`monitoring: cluster` puts one per target in `namespace`, selecting its pods' namespace;
    /// `pod` one in each target's namespace), one PrometheusRule per alerts object, and no
    /// Secret grant (the operator reads the Secrets). Each monitor pins its targets' `job` to
    /// `<namespace>/<name>` as rendered, which the alerts match, so overlays that move or
    /// rename it keep them matching. Default: `gmp`.
    #[builder(default)]
    pub collector: Collector,
    /// The release of kube-prometheus-stack whose Prometheus scrapes (its default selectors pick
    /// PodMonitors and PrometheusRules labelled `release: NAME`); `collector:
    /// prometheusOperator` only. Default: none (no such label: give `monitoringLabels` what
    /// your Prometheus's `podMonitorSelector` and `ruleSelector` ask instead).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub prometheus_release: Option<String>,
    /// What prometheus-operator's monitor selects: the pickers' pods (a PodMonitor), or their
    /// Services (a ServiceMonitor, scraping the pods behind each Service's port `servicePort`);
    /// `collector: prometheusOperator` only. Either way a relabeling pins the targets' `job`
    /// to `<namespace>/<monitor name>` as rendered. Default: `pod`.
    #[builder(default)]
    pub scrape_through: ScrapeThrough,
    /// The endpoint pickers' Services, by labels, when `targets` is empty (refused beside
    /// them: each target has its own); `scrapeThrough: service` only. Default: derived from `preset` (the charts label their Services
    /// `app.kubernetes.io/name: <release>-epp`); without a preset, none (then it is required).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub service_selector: Option<LabelSelector>,
    /// Name of the Services' port to scrape, which leads to the container port `port`;
    /// `scrapeThrough: service` only. Default: none (the charts' `http-metrics`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub service_port: Option<String>,
    /// Name of this installation, put into cluster-scoped object names so that bundles of several
    /// installations never share one. Default: none (then a namespace other than `default` is
    /// put in instead; the seed's names stay as they are). An empty name is refused rather than
    /// read as none: it would bring back the clashes the option prevents.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub instance: Option<String>,
    /// The endpoint picker pods to scrape, when `targets` is empty.
    /// Default: `matchLabels: {app: inference-gateway-ext-proc}`.
    #[builder(default = LabelSelector::default()
        .match_label(DEFAULT_SELECTOR_LABEL.0, DEFAULT_SELECTOR_LABEL.1))]
    pub selector: LabelSelector,
    /// Derives `selector` from how the endpoint picker was installed. Default: none.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub preset: Option<Preset>,
    /// Several endpoint pickers, each with its own (Cluster)PodMonitoring; replaces `selector`
    /// and `preset`. Default: none (one target: `selector` in `namespace`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    #[builder(default)]
    pub targets: Vec<Target>,
    /// Version of the endpoint picker, `X.Y`: GIE's, or llm-d-router's for the `llm-d-router-*`
    /// presets; picks `metricsSchema` when that is not given. Default: none.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub epp_version: Option<String>,
    /// The metric names the alerts, dashboard and verify query (`llm-d-epp-migration`: the
    /// `llm_d_epp_` names, else the `inference_objective_` ones, each query asked twice; never
    /// derived, only given). Default: derived from the
    /// presets and `eppVersion` (GIE before 1.1 `inference-model`, from 1.1
    /// `inference-objective`; llm-d-router before 0.9 `inference-objective`, from 0.9 and without
    /// a version `llm-d-epp`; `helm-standalone` without a version `inference-objective`), else
    /// the seed's `inference-model`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub metrics_schema: Option<MetricsSchema>,
    /// The endpoint picker's own ServiceAccount, `NAMESPACE/NAME`, to bind to
    /// `system:auth-delegator` so that its token reviews succeed (without it, scrapes get 500).
    /// Default: none.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub auth_delegation: Option<String>,
    /// Also grant the reader `/debug/pprof/*`. Default: `false`.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    #[builder(default)]
    pub pprof: bool,
    /// The endpoint picker's alerts as GMP rule objects. Default: off, upstream thresholds.
    #[builder(default)]
    pub alerts: AlertOptions,
    /// Container port to scrape, by name or number. Default: `metrics`.
    #[builder(default, into)]
    pub port: Port,
    /// Scrape protocol. Default: `http`.
    #[builder(default = Scheme::Http)]
    pub scheme: Scheme,
    /// TLS settings of every target's scrape (a target's own `tls` replaces them as a whole);
    /// needs `scheme: https`. Default: none (with `https`: the collector's system roots, no
    /// client certificate).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tls: Option<TlsOptions>,
    /// Prometheus duration between scrapes. Default: `5s`.
    #[builder(default = "5s")]
    pub interval: String,
    /// Prometheus duration a scrape may take, at most `interval`. Default: none (GMP's default).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timeout: Option<String>,
    /// HTTP path of the metrics endpoint. Default: `/metrics`.
    #[builder(default = "/metrics")]
    pub path: String,
    /// Name of every object the bundle creates. Default: the seed document's names.
    #[builder(default)]
    pub names: Names,
    /// Prefix of every object name, after defaults and derivations (not of the GMP collector's
    /// ServiceAccount, which the bundle only references). Default: none.
    #[serde(skip_serializing_if = "String::is_empty")]
    #[builder(default)]
    pub name_prefix: String,
    /// Labels of the ClusterPodMonitoring. Default: the seed's `app.kubernetes.io/name` and
    /// `app.kubernetes.io/part-of`.
    #[builder(default = BTreeMap::from([
        (
            "app.kubernetes.io/name".to_owned(),
            "inference-optimized-gateway".to_owned(),
        ),
        (
            "app.kubernetes.io/part-of".to_owned(),
            "google-cloud-managed-prometheus".to_owned(),
        ),
    ]))]
    pub monitoring_labels: BTreeMap<String, String>,
    /// Labels added to every object. Default: none.
    #[builder(default)]
    pub extra_labels: BTreeMap<String, String>,
    /// Annotations added to every object. Default: none.
    #[builder(default)]
    pub extra_annotations: BTreeMap<String, String>,
}

impl Default for Options {
    fn default() -> Self {
        Self::builder().options()
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

/// The upstream alert set of the endpoint picker, as GMP rule objects.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema, bon::Builder)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
#[builder(
    derive(Clone, Debug),
    builder_type(doc {
        /// Sets [`AlertOptions`] fluently, for [`BundleBuilder::alerts`]; unset ones keep their
        /// defaults.
    }),
    start_fn(doc {
        /// A builder starting from the upstream thresholds, alerts off.
    }),
    finish_fn(doc {
        /// The alert options set so far.
    }),
    on(String, into),
    on(_, setters(doc(default(skip)))),
)]
pub struct AlertOptions {
    /// Whether `render` and Kustomize bases include the alerts. Default: `false`.
    #[builder(default)]
    pub enabled: bool,
    /// `Rules` in each target namespace, or one `ClusterRules`. Default: `namespaced`.
    #[builder(default)]
    pub scope: RulesScope,
    /// P99 request latency, in seconds, above which `InferenceGatewayHighLatencyP99` fires.
    /// Default: `10`.
    #[builder(default = 10.0)]
    pub p99_latency_seconds: f64,
    /// Share of failed requests per model above which `InferenceGatewayHighErrorRatio` fires.
    /// Default: `0.05`.
    #[builder(default = 0.05)]
    pub error_ratio: f64,
    /// Average pool queue size above which `InferencePoolHighQueueSize` fires. Default: `50`.
    #[builder(default = 50.0)]
    pub queue_size: f64,
    /// Average pool KV-cache utilization (0 to 1) above which
    /// `InferencePoolHighKvCacheUtilization` fires. Default: `0.9`.
    #[builder(default = 0.9)]
    pub kv_cache_utilization: f64,
    /// How long a condition must hold before its alert fires (a Prometheus duration).
    /// Default: `5m`.
    #[serde(rename = "for")]
    #[builder(default = "5m")]
    pub for_: String,
}

impl Default for AlertOptions {
    fn default() -> Self {
        Self::builder().build()
    }
}

/// Where alert rules live, which decides the metrics their queries see.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(
    feature = "clap",
    derive(clap::ValueEnum),
    value(rename_all = "camelCase")
)]
pub enum RulesScope {
    /// A `Rules` object in each target namespace, seeing that namespace's metrics.
    #[default]
    Namespaced,
    /// One `ClusterRules` object, seeing the whole cluster's metrics.
    Cluster,
}

/// Which GMP object scrapes the endpoint pickers.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(
    feature = "clap",
    derive(clap::ValueEnum),
    value(rename_all = "camelCase")
)]
pub enum MonitoringMode {
    /// ClusterPodMonitoring: cluster-scoped; may read the token from any namespace.
    #[default]
    Cluster,
    /// PodMonitoring: in the pods' namespace, with the token Secret beside it.
    Pod,
}

/// The label kube-prometheus-stack's Prometheus selects monitors and rules by (its
/// `*SelectorNilUsesHelmValues` defaults): `release: <its Helm release>`.
pub const RELEASE_LABEL: &str = "release";

/// Which Prometheus scrapes the endpoint pickers.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(
    feature = "clap",
    derive(clap::ValueEnum),
    value(rename_all = "camelCase")
)]
pub enum Collector {
    /// Google Cloud Managed Service for Prometheus: (Cluster)PodMonitorings and GMP rules.
    #[default]
    Gmp,
    /// A Prometheus of prometheus-operator: PodMonitors and PrometheusRules.
    PrometheusOperator,
}

/// What a prometheus-operator monitor selects to find the endpoint pickers.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(
    feature = "clap",
    derive(clap::ValueEnum),
    value(rename_all = "camelCase")
)]
pub enum ScrapeThrough {
    /// A PodMonitor selecting the pickers' pods.
    #[default]
    Pod,
    /// A ServiceMonitor selecting the pickers' Services.
    Service,
}

/// The Service port the endpoint picker charts expose `/metrics` on, for `scrapeThrough:
/// service`.
pub const SERVICE_METRICS_PORT: &str = "http-metrics";

/// One endpoint picker (or group of them) to scrape.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema, bon::Builder)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[builder(
    derive(Clone, Debug),
    builder_type(doc {
        /// Sets a [`Target`] fluently, for [`BundleBuilder::targets`]; `name` is required.
    }),
    start_fn(doc {
        /// A builder of a target; the namespace defaults to the bundle's.
    }),
    finish_fn(doc {
        /// The target set so far.
    }),
    on(String, into),
)]
pub struct Target {
    /// Short name, unique in the bundle; part of the object names (an RFC 1123 label).
    pub name: String,
    /// Namespace the pods run in. Default: the top-level `namespace`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    /// The pods, by labels; exactly one of `selector` and `preset`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub selector: Option<LabelSelector>,
    /// The pods, by how they were installed; exactly one of `selector` and `preset`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub preset: Option<Preset>,
    /// The pods' Services, by labels, for `scrapeThrough: service`. Default: derived from
    /// `preset`; without a preset, none (then it is required).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_selector: Option<LabelSelector>,
    /// TLS settings of this target's scrape, replacing the top-level `tls` as a whole (not
    /// merged key by key). Default: the top-level `tls`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tls: Option<TlsOptions>,
    /// Container port of this target's scrape, by name or number. Default: the top-level `port`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub port: Option<Port>,
    /// Scrape protocol of this target. Default: the top-level `scheme`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scheme: Option<Scheme>,
    /// This target's endpoint picker's own ServiceAccount, `NAMESPACE/NAME`, bound to
    /// `system:auth-delegator` like the top-level `authDelegation` (one ClusterRoleBinding per
    /// ServiceAccount, however many targets name it). Default: the top-level `authDelegation`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auth_delegation: Option<String>,
}

/// How an endpoint picker was installed, which decides its pods' labels.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema, bon::Builder)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[builder(
    derive(Clone, Debug),
    builder_type(doc {
        /// Sets a [`Preset`] fluently; `flavor` is required.
    }),
    start_fn(doc {
        /// A builder of a preset; the release defaults to none.
    }),
    finish_fn(doc {
        /// The preset set so far.
    }),
    on(String, into),
    on(_, setters(doc(default(skip)))),
)]
pub struct Preset {
    /// The installation flavor.
    pub flavor: PresetFlavor,
    /// The InferencePool or Helm release name the labels derive from (unused by `raw-v0.1`).
    #[serde(default)]
    #[builder(default)]
    pub release: String,
    /// Whether the chart created an InferencePool, as its values say
    /// (`inferenceExtension.endpointsServer.createInferencePool` of `helm-standalone`,
    /// `router.inferencePool.create` of the `llm-d-router-*` charts), which changes the pods'
    /// label; `false` is refused for the other flavors. Default: `true`.
    #[serde(default = "yes", skip_serializing_if = "is_true")]
    #[builder(default = true)]
    pub create_inference_pool: bool,
}

fn yes() -> bool {
    true
}

fn is_true(value: &bool) -> bool {
    *value
}

impl Preset {
    /// The label (key, value) the endpoint picker's pods carry, from the release table. A shape
    /// the install does not have (`createInferencePool: false` where no chart value exists) is
    /// refused by validation; the default shape's label stands in for it meanwhile.
    pub(crate) fn label(&self) -> (&'static str, String) {
        let label = releases::pod_label(self.flavor, self.create_inference_pool)
            .or_else(|| releases::pod_label(self.flavor, true));
        match label {
            Some(label) => label.for_release(&self.release),
            None => (
                DEFAULT_SELECTOR_LABEL.0,
                DEFAULT_SELECTOR_LABEL.1.to_owned(),
            ),
        }
    }

    /// The selector of the pods' Service, where the install labels it.
    pub(crate) fn service_selector(&self) -> Option<LabelSelector> {
        let (key, value) = releases::service_label(self.flavor)?.for_release(&self.release);
        Some(LabelSelector::default().match_label(key, value))
    }

    /// Whether the install has a shape without an InferencePool.
    pub(crate) fn has_poolless_shape(&self) -> bool {
        releases::pod_label(self.flavor, false).is_some()
    }

    /// The selector of the pods.
    pub(crate) fn selector(&self) -> LabelSelector {
        let (key, value) = self.label();
        LabelSelector::default().match_label(key, value)
    }
}

/// How GMP's collector is granted read access to the token Secret.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(
    feature = "clap",
    derive(clap::ValueEnum),
    value(rename_all = "camelCase")
)]
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
#[derive(
    Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema, bon::Builder,
)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
#[builder(
    derive(Clone, Debug),
    builder_type(doc {
        /// Sets [`Names`] fluently, for [`BundleBuilder::names`]; unset ones keep their defaults.
    }),
    start_fn(doc {
        /// A builder starting from every default name.
    }),
    finish_fn(doc {
        /// The names set so far.
    }),
    on(String, into),
)]
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
    /// The alerts' Rules or ClusterRules. Default: `inference-gateway-endpoint-picker-alerts`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub alerts: Option<String>,
    /// The ConfigMap of the Grafana dashboard (`collector: prometheusOperator`), in `namespace`.
    /// Default: `inference-gateway-endpoint-picker-dashboard`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dashboard: Option<String>,
}

#[cfg(test)]
#[cfg(feature = "clap")]
mod tests {
    use clap::ValueEnum;
    use serde::Serialize;

    use super::{Collector, MonitoringMode, RulesScope, SecretAccess};

    /// Every variant's clap spelling, next to serde's: both derive it from the variant's name by
    /// the same rule, which this holds them to.
    fn spellings<T: ValueEnum + Serialize>() -> Vec<(String, serde_json::Value)> {
        T::value_variants()
            .iter()
            .map(|v| {
                let clap = v.to_possible_value().map(|p| p.get_name().to_owned());
                (clap.unwrap_or_default(), serde_json::to_value(v).unwrap())
            })
            .collect()
    }

    /// Flags and config files spell each variant alike.
    #[test]
    fn clap_spells_as_serde() {
        let all = [
            spellings::<RulesScope>(),
            spellings::<MonitoringMode>(),
            spellings::<SecretAccess>(),
            spellings::<Collector>(),
        ];
        for (clap, serde) in all.into_iter().flatten() {
            assert_eq!(serde, clap.as_str());
        }
        // Every variant is listed: two per enum.
        assert_eq!(RulesScope::value_variants().len(), 2);
        assert_eq!(MonitoringMode::value_variants().len(), 2);
        assert_eq!(SecretAccess::value_variants().len(), 2);
        assert_eq!(Collector::value_variants().len(), 2);
    }
}
