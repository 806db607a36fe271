//! The resolved plan: what validation makes of [`Options`]. Every object's kind, namespace and
//! name, and per target its namespace, pods' namespace, selector and monitoring, are decided
//! here once; the objects, the YAML, the alerts, the dashboard and the live checks only read the
//! plan, so nothing below it derives or parses a value again.
//!
//! A plan exists only when valid: every name is judged by its kind's API-server rule *after*
//! defaults, qualifiers, targets and the prefix were applied, and no two objects share kind,
//! namespace and name. Each problem names every option the value came from.

mod names;
mod resolve;
pub(crate) mod validate;

use resolve::resolve;

use std::borrow::Cow;
use std::collections::BTreeMap;

use gmp_types::Scheme;

use crate::diagnostics::{Error, Warning};
use crate::kinds::{Kind, ServiceAccountRef};
use crate::options::releases::MetricsSchema;
use crate::options::tls::TlsOptions;
use crate::options::{AlertOptions, ClusterFlavor, Collector, LabelSelector, Options, Port};

/// The Secret key the control plane writes the ServiceAccount token under.
pub const TOKEN_KEY: &str = "token";

/// The ClusterRole that lets a server create TokenReviews and SubjectAccessReviews.
pub const AUTH_DELEGATOR: &str = "system:auth-delegator";

/// The non-resource URLs of Go's profiler, which the endpoint picker serves beside `/metrics`.
pub const PPROF_URLS: &str = "/debug/pprof/*";

/// Every decision about one bundle, made and checked once; read-only.
#[derive(Clone, Debug, PartialEq)]
pub struct Plan {
    flavor: ClusterFlavor,
    collector_kind: Collector,
    /// GMP's collector; `None` under prometheus-operator, which reads Secrets itself.
    collector: Option<ServiceAccountRef>,
    metrics_schema: MetricsSchema,
    reader_role: ObjectId,
    reader_binding: ObjectId,
    reader_urls: Vec<String>,
    identities: Vec<Identity>,
    targets: Vec<TargetPlan>,
    endpoint: EndpointPlan,
    /// The TLS settings targets refer to by index: the top-level one first, when set.
    tls: Vec<TlsOptions>,
    warnings: Vec<Warning>,
    auth_delegations: Vec<AuthDelegation>,
    alerts: Option<AlertsPlan>,
    /// The Grafana dashboard's ConfigMap (written by [`Plan::grafana_config_map`]).
    dashboard: ObjectId,
    labels: BTreeMap<String, String>,
    monitoring_labels: BTreeMap<String, String>,
    rules_labels: BTreeMap<String, String>,
    annotations: BTreeMap<String, String>,
}

/// Which object: its kind, namespace (none when cluster-scoped) and name.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ObjectId {
    /// The object's kind.
    pub kind: Kind,
    /// Its namespace; `None` for a cluster-scoped kind.
    pub namespace: Option<String>,
    /// Its name.
    pub name: String,
}

/// The reader's identity in one namespace: its ServiceAccount, the token Secret, and (for GMP)
/// the grant letting the collector read that Secret.
#[derive(Clone, Debug, PartialEq)]
pub struct Identity {
    service_account: ObjectId,
    token_secret: ObjectId,
    secret_reader_role: Option<ObjectId>,
    collector_binding: Option<ObjectId>,
    /// The user's TLS Secrets beside the token Secret that some endpoint references.
    tls_secrets: Vec<String>,
}

impl Identity {
    /// The namespace the ServiceAccount and its token Secret live in.
    pub fn namespace(&self) -> &str {
        self.service_account
            .namespace
            .as_deref()
            .unwrap_or_default()
    }

    /// The ServiceAccount whose token scrapes the endpoint pickers.
    pub fn service_account(&self) -> &ObjectId {
        &self.service_account
    }

    /// The ServiceAccount as an RBAC subject.
    pub fn service_account_ref(&self) -> ServiceAccountRef {
        ServiceAccountRef::new(self.namespace(), &self.service_account.name)
    }

    /// Its token Secret, filled in by the control plane.
    pub fn token_secret(&self) -> &ObjectId {
        &self.token_secret
    }

    /// The (Cluster)Role granting GMP's collector get/list/watch on the Secret; `None` under
    /// prometheus-operator.
    pub fn secret_reader_role(&self) -> Option<&ObjectId> {
        self.secret_reader_role.as_ref()
    }

    /// The (Cluster)RoleBinding of that role to GMP's collector; `None` under
    /// prometheus-operator.
    pub fn collector_binding(&self) -> Option<&ObjectId> {
        self.collector_binding.as_ref()
    }

    /// The user's Secrets in this namespace holding a CA, client certificate or key that an
    /// endpoint references (not the token Secret), in order of first reference.
    pub fn tls_secrets(&self) -> &[String] {
        &self.tls_secrets
    }

    /// Every Secret the collector must read here: the token Secret, then [`Self::tls_secrets`].
    pub fn readable_secrets(&self) -> impl Iterator<Item = &str> {
        std::iter::once(self.token_secret.name.as_str())
            .chain(self.tls_secrets.iter().map(String::as_str))
    }
}

/// One endpoint picker (or group of them) to scrape.
#[derive(Clone, Debug, PartialEq)]
pub struct TargetPlan {
    name: Option<String>,
    namespace: String,
    /// Whether the pods are known to run in `namespace` (see [`Self::pods_namespace`]).
    pods_in_namespace: bool,
    selector: LabelSelector,
    /// The Services its ServiceMonitor selects; `None`: a PodMonitor or GMP object selects pods.
    service: Option<LabelSelector>,
    monitoring: ObjectId,
    identity: usize,
    /// Index of its TLS settings in the plan's.
    tls: Option<usize>,
    /// Index of its picker's auth delegation in the plan's.
    auth_delegation: Option<usize>,
    /// Its own port and scheme, where they are not the shared endpoint's.
    port: Option<Port>,
    scheme: Option<Scheme>,
}

impl TargetPlan {
    /// The `job` label of its targets under prometheus-operator: `<namespace>/<name>` of its
    /// monitor, as the operator derives it for a PodMonitor; the bundle's monitors pin it so
    /// by a relabeling.
    pub fn operator_job(&self) -> String {
        let m = &self.monitoring;
        format!("{}/{}", m.namespace.as_deref().unwrap_or_default(), m.name)
    }

    /// The target's name; `None` for the one target of options without `targets`.
    pub fn name(&self) -> Option<&str> {
        self.name.as_deref()
    }

    /// The target's namespace (its own, or the top-level `namespace`).
    pub fn namespace(&self) -> &str {
        &self.namespace
    }

    /// The namespace its pods run in, where known: a target's own `namespace`, or a
    /// PodMonitoring's (which selects only there); `None` when a ClusterPodMonitoring may
    /// find them anywhere.
    pub fn pods_namespace(&self) -> Option<&str> {
        self.pods_in_namespace.then_some(self.namespace.as_str())
    }

    /// The pods, by labels (a preset's already derived).
    pub fn selector(&self) -> &LabelSelector {
        &self.selector
    }

    /// The Services its ServiceMonitor selects (`scrapeThrough: service`), whose selectors in
    /// turn select the pods of [`Self::selector`].
    pub fn service_selector(&self) -> Option<&LabelSelector> {
        self.service.as_ref()
    }

    /// The object that scrapes it: a (Cluster)PodMonitoring, PodMonitor or ServiceMonitor.
    pub fn monitoring(&self) -> &ObjectId {
        &self.monitoring
    }

    /// The scrape pool prometheus-operator names its targets' in `/api/v1/targets`
    /// (`podMonitor/<namespace>/<name>/0`, or `serviceMonitor/…`, for the one endpoint).
    pub fn operator_scrape_pool(&self) -> String {
        let m = &self.monitoring;
        let kind = if m.kind == Kind::ServiceMonitor {
            "serviceMonitor"
        } else {
            "podMonitor"
        };
        format!(
            "{kind}/{}/{}/0",
            m.namespace.as_deref().unwrap_or_default(),
            m.name
        )
    }
}

/// What every monitoring's scrape endpoint says, a target's own port and scheme aside
/// ([`Plan::port_of`], [`Plan::scheme_of`]).
#[derive(Clone, Debug, PartialEq)]
pub struct EndpointPlan {
    port: Port,
    scheme: Scheme,
    interval: String,
    timeout: Option<String>,
    path: String,
    /// The Services' port a ServiceMonitor scrapes (`scrapeThrough: service` only).
    service_port: Option<String>,
    /// Whether the Secret reference names its namespace: always for a ClusterPodMonitoring
    /// (left out, GMP reads it from `default`), never for a PodMonitoring (which may not).
    names_secret_namespace: bool,
}

impl EndpointPlan {
    /// The container port, by name or number.
    pub fn port(&self) -> &Port {
        &self.port
    }

    /// `http` or `https`.
    pub fn scheme(&self) -> Scheme {
        self.scheme
    }

    /// Time between scrapes.
    pub fn interval(&self) -> &str {
        &self.interval
    }

    /// Time a scrape may take, when set.
    pub fn timeout(&self) -> Option<&str> {
        self.timeout.as_deref()
    }

    /// HTTP path of the metrics endpoint.
    pub fn path(&self) -> &str {
        &self.path
    }

    /// The Service port a ServiceMonitor scrapes, leading to [`Self::port`]; `None` when
    /// the pods are scraped directly.
    pub fn service_port(&self) -> Option<&str> {
        self.service_port.as_deref()
    }

    /// The Secret key of the bearer token.
    pub fn token_key(&self) -> &'static str {
        TOKEN_KEY
    }

    /// Whether the token Secret reference names its namespace.
    pub fn names_secret_namespace(&self) -> bool {
        self.names_secret_namespace
    }
}

/// The binding of the endpoint picker's own ServiceAccount to `system:auth-delegator`.
#[derive(Clone, Debug, PartialEq)]
pub struct AuthDelegation {
    binding: ObjectId,
    subject: ServiceAccountRef,
}

impl AuthDelegation {
    /// The ClusterRoleBinding.
    pub fn binding(&self) -> &ObjectId {
        &self.binding
    }

    /// The endpoint picker's ServiceAccount.
    pub fn subject(&self) -> &ServiceAccountRef {
        &self.subject
    }
}

/// The alert rule objects and their thresholds.
#[derive(Clone, Debug, PartialEq)]
pub struct AlertsPlan {
    objects: Vec<ObjectId>,
    thresholds: AlertOptions,
}

impl AlertsPlan {
    /// One `Rules` per target namespace, or one `ClusterRules`.
    pub fn objects(&self) -> &[ObjectId] {
        &self.objects
    }

    /// Thresholds and `for:` (the `enabled` and `scope` it was made with included).
    pub fn thresholds(&self) -> &AlertOptions {
        &self.thresholds
    }
}

impl Plan {
    /// The cluster flavor.
    pub fn flavor(&self) -> ClusterFlavor {
        self.flavor
    }

    /// Which Prometheus scrapes: GMP, or one of prometheus-operator.
    pub fn collector_kind(&self) -> Collector {
        self.collector_kind
    }

    /// Refuses `what` (the Cloud Monitoring dashboard, the Grafana one) for a plan of another
    /// collector than `collector`, rather than give one that queries what is not there.
    pub(crate) fn only(&self, collector: Collector, what: &str) -> Result<(), Error> {
        if self.collector_kind == collector {
            return Ok(());
        }
        let (value, wanted) = match self.collector_kind {
            Collector::Gmp => ("gmp", "prometheusOperator"),
            Collector::PrometheusOperator => ("prometheusOperator", "gmp"),
        };
        Err(Error::Invalid(crate::diagnostics::Problems(vec![
            crate::diagnostics::Problem {
                field: "collector".to_owned(),
                also: Vec::new(),
                value: value.to_owned(),
                rule: format!("has no {what}: this tool writes it for collector: {wanted} only"),
            },
        ])))
    }

    /// GMP's collector ServiceAccount on this flavor; `None` under prometheus-operator, whose
    /// operator reads the Secrets itself.
    pub fn collector(&self) -> Option<&ServiceAccountRef> {
        self.collector.as_ref()
    }

    /// The metric names the alerts, dashboard and verify query: `metricsSchema`, or derived
    /// from the presets and `eppVersion` (see [`Options::metrics_schema`]).
    pub fn metrics_schema(&self) -> MetricsSchema {
        self.metrics_schema
    }

    /// The ClusterRole granting `get` on the metrics endpoint.
    pub fn reader_role(&self) -> &ObjectId {
        &self.reader_role
    }

    /// The ClusterRoleBinding of that role to every reader ServiceAccount.
    pub fn reader_binding(&self) -> &ObjectId {
        &self.reader_binding
    }

    /// The non-resource URLs the reader may `get`: the metrics path, and pprof's when asked.
    pub fn reader_urls(&self) -> &[String] {
        &self.reader_urls
    }

    /// The reader identities: one in `namespace`, or (`monitoring: pod`) one per target
    /// namespace, in order of first appearance.
    pub fn identities(&self) -> &[Identity] {
        &self.identities
    }

    /// The targets, in order.
    pub fn targets(&self) -> &[TargetPlan] {
        &self.targets
    }

    /// The identity whose token `target`'s monitoring presents.
    pub fn identity_of(&self, target: &TargetPlan) -> &Identity {
        // Indices are made together with the identities, so this one is always there.
        &self.identities[target.identity]
    }

    /// The scrape endpoint the monitorings share ([`Self::port_of`] and [`Self::scheme_of`] give
    /// a target's own port and scheme).
    pub fn endpoint(&self) -> &EndpointPlan {
        &self.endpoint
    }

    /// The container port of `target`'s scrape: its own, else the shared endpoint's.
    pub fn port_of<'s>(&'s self, target: &'s TargetPlan) -> &'s Port {
        target.port.as_ref().unwrap_or(&self.endpoint.port)
    }

    /// The scheme of `target`'s scrape: its own, else the shared endpoint's.
    pub fn scheme_of(&self, target: &TargetPlan) -> Scheme {
        target.scheme.unwrap_or(self.endpoint.scheme)
    }

    /// The TLS settings of `target`'s scrape: its own, else the top-level ones, if any.
    pub fn tls_of(&self, target: &TargetPlan) -> Option<&TlsOptions> {
        target.tls.and_then(|i| self.tls.get(i))
    }

    /// What the options lead to that the user should know, though valid: e.g. `https`
    /// verified against the system roots for want of a CA. The command prints them on stderr.
    pub fn warnings(&self) -> &[Warning] {
        &self.warnings
    }

    /// The auth-delegation bindings, one per ServiceAccount: the top-level
    /// `authDelegation`'s first, then the targets' own, in order.
    pub fn auth_delegations(&self) -> &[AuthDelegation] {
        &self.auth_delegations
    }

    /// The auth delegation of `target`'s endpoint picker: its own `authDelegation`, else the
    /// top-level one, if any.
    pub fn auth_delegation_of(&self, target: &TargetPlan) -> Option<&AuthDelegation> {
        target
            .auth_delegation
            .and_then(|i| self.auth_delegations.get(i))
    }

    /// The ConfigMap the Grafana dashboard is written into ([`Plan::grafana_config_map`]).
    pub fn dashboard_id(&self) -> &ObjectId {
        &self.dashboard
    }

    /// The alerts, when `alerts.enabled`.
    pub fn alerts(&self) -> Option<&AlertsPlan> {
        self.alerts.as_ref()
    }

    /// Labels of every object but the monitorings.
    pub fn labels(&self) -> &BTreeMap<String, String> {
        &self.labels
    }

    /// Labels of the monitorings: `monitoringLabels` with `extraLabels` (and
    /// `release: prometheusRelease`).
    pub fn monitoring_labels(&self) -> &BTreeMap<String, String> {
        &self.monitoring_labels
    }

    /// Labels of the alert rule objects: `extraLabels` (and `release: prometheusRelease`, which
    /// a kube-prometheus-stack Prometheus's `ruleSelector` asks).
    pub fn rules_labels(&self) -> &BTreeMap<String, String> {
        &self.rules_labels
    }

    /// Annotations of every object.
    pub fn annotations(&self) -> &BTreeMap<String, String> {
        &self.annotations
    }

    /// How many objects the plan makes (counted from [`Self::object_ids`], the one list).
    pub fn object_count(&self) -> usize {
        self.object_ids().count()
    }

    /// Every object's id, in the order the objects are made.
    pub fn object_ids(&self) -> impl Iterator<Item = &ObjectId> {
        std::iter::once(&self.reader_role)
            .chain(self.identities.iter().map(|i| &i.service_account))
            .chain(std::iter::once(&self.reader_binding))
            .chain(self.identities.iter().flat_map(|i| {
                std::iter::once(&i.token_secret)
                    .chain(&i.secret_reader_role)
                    .chain(&i.collector_binding)
            }))
            .chain(self.targets.iter().map(|t| &t.monitoring))
            .chain(self.auth_delegations.iter().map(|a| &a.binding))
            .chain(self.alerts.iter().flat_map(|a| a.objects.iter()))
    }
}

impl TryFrom<&Options> for Plan {
    type Error = Error;

    fn try_from(options: &Options) -> Result<Self, Error> {
        resolve(Cow::Borrowed(options)).map_err(Error::Invalid)
    }
}

impl TryFrom<Options> for Plan {
    type Error = Error;

    /// As for `&Options`, without copying the targets.
    fn try_from(options: Options) -> Result<Self, Error> {
        resolve(Cow::Owned(options)).map_err(Error::Invalid)
    }
}

impl Options {
    /// Checks every option and resolves them into the plan every output is made from.
    pub fn plan(&self) -> Result<Plan, Error> {
        Plan::try_from(self)
    }

    /// Checks every option without building anything; every problem found is returned.
    pub fn validate(&self) -> Result<(), Error> {
        self.plan().map(drop)
    }
}
