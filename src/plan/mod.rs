//! The resolved plan: what validation makes of [`Options`]. Every object's kind, namespace and
//! name, and per target its namespace, pods' namespace, selector and monitoring, are decided
//! here once; the objects, the YAML, the alerts, the dashboard and the live checks only read the
//! plan, so nothing below it derives or parses a value again.
//!
//! A plan exists only when valid: every name is judged by its kind's API-server rule *after*
//! defaults, qualifiers, targets and the prefix were applied, and no two objects share kind,
//! namespace and name. Each problem names every option the value came from.

pub(crate) mod validate;

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use gmp_types::Scheme;

use crate::diagnostics::{Error, Problem, Problems};
use crate::diagnostics::{ProblemsBuilder, Warning};
use crate::kinds::Kind;
use crate::options::releases::{self, MetricsSchema};
use crate::options::tls::{self, TlsOptions};
use crate::options::{
    AlertOptions, COLLECTOR_SERVICE_ACCOUNT, ClusterFlavor, LabelSelector, MonitoringMode, Options,
    Port, Preset, RulesScope, SecretAccess, Target,
};
use crate::rules;

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
    collector: ServiceAccountRef,
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
    labels: BTreeMap<String, String>,
    monitoring_labels: BTreeMap<String, String>,
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

/// A ServiceAccount, by namespace and name.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ServiceAccountRef {
    /// Its namespace.
    pub namespace: String,
    /// Its name.
    pub name: String,
}

impl ServiceAccountRef {
    /// The user name the API server gives its tokens: `system:serviceaccount:<ns>:<name>`.
    pub fn user(&self) -> String {
        format!("system:serviceaccount:{}:{}", self.namespace, self.name)
    }
}

/// The reader's identity in one namespace: its ServiceAccount, the token Secret, and the grant
/// letting GMP's collector read that Secret.
#[derive(Clone, Debug, PartialEq)]
pub struct Identity {
    service_account: ObjectId,
    token_secret: ObjectId,
    secret_reader_role: ObjectId,
    collector_binding: ObjectId,
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
        ServiceAccountRef {
            namespace: self.namespace().to_owned(),
            name: self.service_account.name.clone(),
        }
    }

    /// Its token Secret, filled in by the control plane.
    pub fn token_secret(&self) -> &ObjectId {
        &self.token_secret
    }

    /// The (Cluster)Role granting the collector get/list/watch on the Secret.
    pub fn secret_reader_role(&self) -> &ObjectId {
        &self.secret_reader_role
    }

    /// The (Cluster)RoleBinding of that role to the collector.
    pub fn collector_binding(&self) -> &ObjectId {
        &self.collector_binding
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

    /// The ClusterPodMonitoring or PodMonitoring that scrapes it.
    pub fn monitoring(&self) -> &ObjectId {
        &self.monitoring
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

    /// GMP's collector ServiceAccount on this flavor.
    pub fn collector(&self) -> &ServiceAccountRef {
        &self.collector
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

    /// The alerts, when `alerts.enabled`.
    pub fn alerts(&self) -> Option<&AlertsPlan> {
        self.alerts.as_ref()
    }

    /// Labels of every object but the monitorings.
    pub fn labels(&self) -> &BTreeMap<String, String> {
        &self.labels
    }

    /// Labels of the monitorings: `monitoringLabels` with `extraLabels`.
    pub fn monitoring_labels(&self) -> &BTreeMap<String, String> {
        &self.monitoring_labels
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
            .chain(
                self.identities
                    .iter()
                    .flat_map(|i| [&i.token_secret, &i.secret_reader_role, &i.collector_binding]),
            )
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

/// Where a name came from: the options that were set and made it what it is.
#[derive(Clone, Debug, Default)]
struct Sources {
    /// The name's own option (`names.tokenSecret`), set or not.
    own: &'static str,
    /// Whether `own` was set.
    given: bool,
    /// The other options that went into it, as set by the user.
    from: Vec<&'static str>,
    /// The target whose option `own` is (`targets[i].<own>`), when it is a target's.
    of_target: Option<usize>,
}

impl Sources {
    fn given(own: &'static str) -> Self {
        Self {
            own,
            given: true,
            from: Vec::new(),
            of_target: None,
        }
    }

    fn derived(own: &'static str, from: Option<&Sources>) -> Self {
        let mut inherited = Vec::new();
        if let Some(from) = from {
            if from.given {
                inherited.push(from.own);
            }
            inherited.extend(&from.from);
        }
        Self {
            own,
            given: false,
            from: inherited,
            of_target: None,
        }
    }

    fn and(mut self, field: &'static str) -> Self {
        if !self.from.contains(&field) {
            self.from.push(field);
        }
        self
    }

    /// Every option involved: the name's own first.
    fn fields(&self, target: Option<usize>) -> Vec<String> {
        let mut fields = vec![match self.of_target {
            Some(i) => format!("targets[{i}].{}", self.own),
            None => self.own.to_owned(),
        }];
        if let Some(i) = target {
            fields.push(format!("targets[{i}].name"));
        }
        fields.extend(self.from.iter().map(|f| (*f).to_owned()));
        fields
    }
}

/// How names are made: the default qualified for cluster-scoped objects, then the prefix.
struct Naming<'o> {
    prefix: &'o str,
    /// The instance name or namespace cluster-scoped default names carry, and its option.
    qualifier: Option<(&'o str, &'static str)>,
}

/// A name as its object gets it, the same name before the prefix (which names derived from it
/// start from), and where it came from.
struct Named {
    name: String,
    base: String,
    sources: Sources,
}

impl Naming<'_> {
    /// The given name, or the default (qualified when `qualify`) with the sources of the name it
    /// derives from, if any; then the prefix.
    fn name<'s>(
        &self,
        own: &'static str,
        given: Option<&String>,
        default: impl FnOnce() -> (String, Option<&'s Sources>),
        qualify: bool,
    ) -> Named {
        let (base, sources) = match given {
            Some(given) => (given.clone(), Sources::given(own)),
            None => {
                let (default, from) = default();
                let sources = Sources::derived(own, from);
                match self.qualifier.filter(|_| qualify) {
                    Some((q, field)) => (format!("{q}-{default}"), sources.and(field)),
                    None => (default, sources),
                }
            }
        };
        let (name, sources) = if self.prefix.is_empty() {
            (base.clone(), sources)
        } else {
            (format!("{}{base}", self.prefix), sources.and("namePrefix"))
        };
        Named {
            name,
            base,
            sources,
        }
    }
}

/// Judges every option and resolves them into a plan, or returns every problem found. Owned
/// options give their targets' strings to the plan instead of copies.
fn resolve(mut options: Cow<'_, Options>) -> Result<Plan, Problems> {
    let mut found = ProblemsBuilder::default();
    let prefix_ok = validate::fields(&mut found, &options);
    // Before the targets are taken from owned options: their presets decide it.
    let metrics_schema = metrics_schema(&mut found, &options);
    let named_targets = !options.targets.is_empty();
    let targets = match &mut options {
        Cow::Owned(owned) => {
            let targets = std::mem::take(&mut owned.targets);
            resolve_targets(owned, targets.into_iter().map(Cow::Owned))
        }
        Cow::Borrowed(options) => {
            resolve_targets(options, options.targets.iter().map(Cow::Borrowed))
        }
    };
    let options: &Options = &options;
    let naming = Naming {
        prefix: if prefix_ok { &options.name_prefix } else { "" },
        qualifier: qualifier(options),
    };
    let given = &options.names;
    let pod_mode = options.monitoring == MonitoringMode::Pod;
    let namespaced_grant = pod_mode || options.secret_access == SecretAccess::Namespaced;
    let collector_namespace = options.flavor.collector_namespace();
    let seed = |name: &str| (name.to_owned(), None);

    // Defaults of cluster-scoped objects are qualified; derived names follow their source.
    let account = naming.name(
        "names.serviceAccount",
        given.service_account.as_ref(),
        || seed("inference-gateway-sa-metrics-reader"),
        false,
    );
    let reader_role = naming.name(
        "names.readerClusterRole",
        given.reader_cluster_role.as_ref(),
        || seed("inference-gateway-metrics-reader"),
        true,
    );
    let reader_binding = naming.name(
        "names.readerBinding",
        given.reader_binding.as_ref(),
        || {
            (
                format!("{}-role-binding", account.base),
                Some(&account.sources),
            )
        },
        true,
    );
    let token_secret = naming.name(
        "names.tokenSecret",
        given.token_secret.as_ref(),
        || (format!("{}-secret", account.base), Some(&account.sources)),
        false,
    );
    let secret_reader_role = naming.name(
        "names.secretReaderRole",
        given.secret_reader_role.as_ref(),
        || {
            (
                format!("{}-secret-read", account.base),
                Some(&account.sources),
            )
        },
        !namespaced_grant,
    );
    let collector_binding = naming.name(
        "names.collectorBinding",
        given.collector_binding.as_ref(),
        || {
            (
                format!(
                    "{collector_namespace}:{COLLECTOR_SERVICE_ACCOUNT}:{}",
                    secret_reader_role.base
                ),
                Some(&secret_reader_role.sources),
            )
        },
        false,
    );
    let monitoring = naming.name(
        "names.podMonitoring",
        given.pod_monitoring.as_ref(),
        || seed("inference-optimized-gateway-monitoring"),
        !pod_mode,
    );
    let alerts_name = naming.name(
        "names.alerts",
        given.alerts.as_ref(),
        || seed("inference-gateway-endpoint-picker-alerts"),
        options.alerts.scope == RulesScope::Cluster,
    );

    // The targets' namespaces, each once, in order of first appearance.
    let mut seen = BTreeSet::new();
    let target_namespaces: Vec<String> = targets
        .iter()
        .filter(|t| seen.insert(t.namespace.as_str()))
        .map(|t| t.namespace.clone())
        .collect();
    // One identity where the monitorings read the token: in `namespace`, or (a PodMonitoring
    // reads only its own namespace's Secrets) in each target's namespace.
    let identity_namespaces: Vec<&str> = if pod_mode {
        target_namespaces.iter().map(String::as_str).collect()
    } else {
        vec![options.namespace.as_str()]
    };
    let id = |kind: Kind, namespace: Option<&str>, name: &str| ObjectId {
        kind,
        namespace: namespace.map(str::to_owned),
        name: name.to_owned(),
    };
    let (role_kind, binding_kind) = if namespaced_grant {
        (Kind::Role, Kind::RoleBinding)
    } else {
        (Kind::ClusterRole, Kind::ClusterRoleBinding)
    };
    let mut identities: Vec<Identity> = identity_namespaces
        .iter()
        .map(|ns| {
            let grant_ns = namespaced_grant.then_some(*ns);
            Identity {
                service_account: id(Kind::ServiceAccount, Some(ns), &account.name),
                token_secret: id(Kind::Secret, Some(ns), &token_secret.name),
                secret_reader_role: id(role_kind, grant_ns, &secret_reader_role.name),
                collector_binding: id(binding_kind, grant_ns, &collector_binding.name),
                tls_secrets: Vec::new(),
            }
        })
        .collect();
    let identity_index: HashMap<&str, usize> = identity_namespaces
        .iter()
        .enumerate()
        .map(|(i, ns)| (*ns, i))
        .collect();
    let monitoring_kind = if pod_mode {
        Kind::PodMonitoring
    } else {
        Kind::ClusterPodMonitoring
    };
    // The top-level TLS settings are shared by index; a target's own are added as they come.
    let mut tls_configs: Vec<TlsOptions> = options.tls.iter().cloned().collect();
    let shared_tls = options.tls.as_ref().map(|_| 0);
    let mut warnings = Vec::new();
    let mut tls_seen: Vec<HashSet<String>> = vec![HashSet::new(); identities.len()];
    // One binding per ServiceAccount to delegate: the top-level authDelegation's, then each
    // target's own, in order; a target without one shares the top-level's.
    let mut delegations: Vec<(AuthDelegation, Sources)> = Vec::new();
    let mut delegated: HashMap<String, usize> = HashMap::new();
    let mut delegate = |subject: &str, target: Option<usize>| -> Option<usize> {
        if let Some(&i) = delegated.get(subject) {
            return Some(i);
        }
        let (namespace, name) = subject.split_once('/')?;
        let mut binding = naming.name(
            "authDelegation",
            None,
            || seed(&format!("{namespace}:{name}:auth-delegator")),
            true,
        );
        binding.sources.of_target = target;
        delegations.push((
            AuthDelegation {
                binding: id(Kind::ClusterRoleBinding, None, &binding.name),
                subject: ServiceAccountRef {
                    namespace: namespace.to_owned(),
                    name: name.to_owned(),
                },
            },
            binding.sources,
        ));
        delegated.insert(subject.to_owned(), delegations.len() - 1);
        Some(delegations.len() - 1)
    };
    let shared_delegation = options
        .auth_delegation
        .as_deref()
        .and_then(|subject| delegate(subject, None));
    let delegation_of: Vec<Option<usize>> = targets
        .iter()
        .enumerate()
        .map(|(i, t)| match t.auth_delegation.as_deref() {
            Some(subject) => delegate(subject, Some(i)),
            None => shared_delegation,
        })
        .collect();
    let targets: Vec<TargetPlan> = targets
        .into_iter()
        .enumerate()
        .map(|(i, mut t)| {
            let mut name = monitoring.name.clone();
            if let Some(target) = &t.name {
                name.push('-');
                name.push_str(target);
            }
            let identity_ns = if pod_mode {
                t.namespace.as_str()
            } else {
                options.namespace.as_str()
            };
            let identity = identity_index.get(identity_ns).copied().unwrap_or_default();
            let scheme = t.scheme.unwrap_or(options.scheme);
            let tls = match t.tls.take() {
                Some(own) => {
                    warnings.extend(tls::warnings(
                        &format!("targets[{i}].tls"),
                        Some(&own),
                        scheme,
                    ));
                    tls_configs.push(own);
                    Some(tls_configs.len() - 1)
                }
                None => {
                    // The shared block's warnings below are judged with the shared scheme.
                    if scheme != options.scheme {
                        warnings.extend(tls::warnings(
                            &format!("targets[{i}].scheme"),
                            options.tls.as_ref(),
                            scheme,
                        ));
                    }
                    // The top-level block serves the https scrapes only.
                    shared_tls.filter(|_| scheme == Scheme::Https)
                }
            };
            if let (Some(config), Some(reader), Some(seen)) = (
                tls.and_then(|i| tls_configs.get(i)),
                identities.get_mut(identity),
                tls_seen.get_mut(identity),
            ) {
                for (_, r) in config.secret_refs() {
                    // Checked before cloning: a fleet sharing one block repeats the same names.
                    if r.secret != reader.token_secret.name && !seen.contains(&r.secret) {
                        seen.insert(r.secret.clone());
                        reader.tls_secrets.push(r.secret.clone());
                    }
                }
            }
            TargetPlan {
                tls,
                auth_delegation: delegation_of.get(i).copied().flatten(),
                // Equal to the shared endpoint's: nothing of its own to keep.
                port: t.port.take().filter(|p| *p != options.port),
                scheme: t.scheme.filter(|s| *s != options.scheme),
                monitoring: ObjectId {
                    kind: monitoring_kind,
                    namespace: pod_mode.then(|| t.namespace.clone()),
                    name,
                },
                identity,
                pods_in_namespace: pod_mode || t.given_namespace,
                name: t.name,
                namespace: t.namespace,
                selector: t.selector,
            }
        })
        .collect();

    let alerts = options.alerts.enabled.then(|| AlertsPlan {
        objects: match options.alerts.scope {
            RulesScope::Cluster => vec![id(Kind::ClusterRules, None, &alerts_name.name)],
            RulesScope::Namespaced => target_namespaces
                .iter()
                .map(|ns| id(Kind::Rules, Some(ns), &alerts_name.name))
                .collect(),
        },
        thresholds: options.alerts.clone(),
    });
    validate::annotations(&mut found, &options.extra_annotations, &account.name);

    let mut reader_urls = vec![options.path.clone()];
    if options.pprof {
        reader_urls.push(PPROF_URLS.to_owned());
    }
    let mut monitoring_labels = options.monitoring_labels.clone();
    monitoring_labels.extend(
        options
            .extra_labels
            .iter()
            .map(|(k, v)| (k.clone(), v.clone())),
    );
    if targets
        .iter()
        .any(|t| t.tls == shared_tls && t.scheme.is_none())
    {
        let field = if options.tls.is_some() {
            "tls"
        } else {
            "scheme"
        };
        let shared = tls::warnings(field, options.tls.as_ref(), options.scheme);
        warnings.splice(0..0, shared);
    }
    let plan = Plan {
        flavor: options.flavor,
        collector: ServiceAccountRef {
            namespace: collector_namespace.to_owned(),
            name: COLLECTOR_SERVICE_ACCOUNT.to_owned(),
        },
        metrics_schema,
        reader_role: id(Kind::ClusterRole, None, &reader_role.name),
        reader_binding: id(Kind::ClusterRoleBinding, None, &reader_binding.name),
        reader_urls,
        identities,
        targets,
        tls: tls_configs,
        warnings,
        endpoint: EndpointPlan {
            port: options.port.clone(),
            scheme: options.scheme,
            interval: options.interval.clone(),
            timeout: options.timeout.clone(),
            path: options.path.clone(),
            names_secret_namespace: !pod_mode,
        },
        auth_delegations: delegations.iter().map(|(a, _)| a.clone()).collect(),
        alerts,
        labels: options.extra_labels.clone(),
        monitoring_labels,
        annotations: options.extra_annotations.clone(),
    };

    // Every name, as it will reach its object, by its kind's rule; then no two ids alike.
    let mut names = NameCheck::new(&mut found);
    names.object(&plan.reader_role, &reader_role.sources, None);
    for identity in &plan.identities {
        names.object(&identity.service_account, &account.sources, None);
    }
    names.object(&plan.reader_binding, &reader_binding.sources, None);
    for identity in &plan.identities {
        names.object(&identity.token_secret, &token_secret.sources, None);
        names.object(
            &identity.secret_reader_role,
            &secret_reader_role.sources,
            None,
        );
        names.object(
            &identity.collector_binding,
            &collector_binding.sources,
            None,
        );
    }
    if named_targets {
        // A base name bad on its own is reported once, not once per target.
        names.name(monitoring_kind, &monitoring.name, &monitoring.sources, None);
    }
    for (i, target) in plan.targets.iter().enumerate() {
        let index = target.name.is_some().then_some(i);
        names.object(&target.monitoring, &monitoring.sources, index);
    }
    for (delegation, sources) in &delegations {
        names.object(&delegation.binding, sources, None);
    }
    if let Some(alerts) = &plan.alerts {
        for object in &alerts.objects {
            names.object(object, &alerts_name.sources, None);
        }
    }
    drop(names);
    found.finish(plan)
}

/// What cluster-scoped default names carry so that installations never share one: the
/// instance name, else a namespace other than `default`, else nothing (the seed's names).
fn qualifier(options: &Options) -> Option<(&str, &'static str)> {
    let q = if let Some(instance) = &options.instance {
        (instance.as_str(), "instance")
    } else if options.namespace != "default" {
        (options.namespace.as_str(), "namespace")
    } else {
        return None;
    };
    // An invalid one is reported on its own field; names built from it would only repeat that.
    rules::dns1123_label(q.0).is_ok().then_some(q)
}

/// The metric schema: `metricsSchema`, else what the presets' installs emit at `eppVersion`
/// (each preset's project counting the version), else by `eppVersion` read as GIE's, else the
/// seed's `inference-model`. Presets that emit different schemas are refused: one set of alerts
/// and one dashboard cannot name both.
fn metrics_schema(found: &mut ProblemsBuilder, options: &Options) -> MetricsSchema {
    if let Some(schema) = options.metrics_schema {
        return schema;
    }
    let version = options.epp_version.as_deref().and_then(parse_version);
    let presets: Vec<(String, &Preset)> = if options.targets.is_empty() {
        options
            .preset
            .iter()
            .map(|p| ("preset".to_owned(), p))
            .collect()
    } else {
        options
            .targets
            .iter()
            .enumerate()
            .filter(|(_, t)| t.selector.is_none())
            .filter_map(|(i, t)| Some((format!("targets[{i}].preset"), t.preset.as_ref()?)))
            .collect()
    };
    let mut derived: Vec<(String, MetricsSchema)> = presets
        .into_iter()
        .filter_map(|(at, p)| Some((at, releases::schema_of(p.flavor, version)?)))
        .collect();
    derived.dedup_by_key(|(_, schema)| *schema);
    match derived.as_slice() {
        [] => releases::schema_at(releases::Project::Gie, version.unwrap_or((0, 0))),
        [(_, schema)] => *schema,
        [(first_at, first), rest @ ..] => {
            let mut also = vec![first_at.clone()];
            let mut schemas = vec![format!("{first_at}: {first}")];
            for (at, schema) in rest {
                if schema != first {
                    also.push(at.clone());
                    schemas.push(format!("{at}: {schema}"));
                }
            }
            if also.len() == 1 {
                return *first;
            }
            if options.epp_version.is_some() {
                also.push("eppVersion".to_owned());
            }
            found.push_problem(Problem {
                field: "metricsSchema".to_owned(),
                also,
                value: String::new(),
                rule: format!(
                    "must be given: the presets' endpoint pickers emit different metric names ({}), and the alerts and dashboard name one schema",
                    schemas.join(", ")
                ),
            });
            *first
        }
    }
}

/// `MAJOR.MINOR` as numbers (`eppVersion` is validated on its own).
fn parse_version(version: &str) -> Option<releases::Version> {
    let (major, minor) = version.split_once('.')?;
    Some((major.parse().ok()?, minor.parse().ok()?))
}

/// A target before its objects are named.
struct Resolved {
    name: Option<String>,
    namespace: String,
    /// Whether the target named its namespace (rather than taking the top-level one).
    given_namespace: bool,
    selector: LabelSelector,
    tls: Option<TlsOptions>,
    auth_delegation: Option<String>,
    port: Option<Port>,
    scheme: Option<Scheme>,
}

/// The endpoint pickers to scrape: `targets` (taken, or borrowed and copied), or one unnamed
/// target of `preset` or `selector` in `namespace`.
fn resolve_targets<'t>(
    options: &Options,
    targets: impl ExactSizeIterator<Item = Cow<'t, Target>>,
) -> Vec<Resolved> {
    if targets.len() == 0 {
        return vec![Resolved {
            name: None,
            namespace: options.namespace.clone(),
            given_namespace: false,
            tls: None,
            auth_delegation: None,
            port: None,
            scheme: None,
            selector: options
                .preset
                .as_ref()
                .map_or_else(|| options.selector.clone(), Preset::selector),
        }];
    }
    targets
        .map(|t| {
            let given_namespace = t.namespace.is_some();
            let Target {
                name,
                namespace,
                selector,
                preset,
                tls,
                auth_delegation,
                port,
                scheme,
            } = t.into_owned();
            Resolved {
                name: Some(name),
                namespace: namespace.unwrap_or_else(|| options.namespace.clone()),
                given_namespace,
                tls,
                auth_delegation,
                port,
                scheme,
                selector: match (selector, preset) {
                    (Some(selector), _) => selector,
                    (None, Some(preset)) => preset.selector(),
                    (None, None) => LabelSelector::default(),
                },
            }
        })
        .collect()
}

/// Judges names as they reach their objects and finds objects of one id.
struct NameCheck<'f, 'p> {
    found: &'f mut ProblemsBuilder,
    /// The option sets already blamed: a problem whose options include one of them adds
    /// nothing (a default derived from a bad name is bad for the same reason).
    blamed: HashSet<Vec<String>>,
    /// Each id seen, with where its name came from (borrowed: a valid fleet formats nothing).
    seen: HashMap<&'p ObjectId, (&'p Sources, Option<usize>)>,
    /// The options already refused on their own: names made from them would repeat that.
    refused: HashSet<String>,
}

impl<'f, 'p> NameCheck<'f, 'p> {
    fn new(found: &'f mut ProblemsBuilder) -> Self {
        Self {
            refused: found.fields().map(str::to_owned).collect(),
            found,
            blamed: HashSet::new(),
            seen: HashMap::new(),
        }
    }

    fn object(&mut self, id: &'p ObjectId, sources: &'p Sources, target: Option<usize>) {
        if self.name(id.kind, &id.name, sources, target) {
            return;
        }
        // (Cluster)PodMonitorings come only from targets, each named `<base>-<target>`: distinct
        // whenever the target names are, which the field rules require. Only the other objects
        // (a handful, whatever the fleet's size) can share an id.
        if matches!(id.kind, Kind::ClusterPodMonitoring | Kind::PodMonitoring) {
            return;
        }
        let (other, other_target) = match self.seen.entry(id) {
            std::collections::hash_map::Entry::Vacant(slot) => {
                slot.insert((sources, target));
                return;
            }
            std::collections::hash_map::Entry::Occupied(seen) => *seen.get(),
        };
        let other = other.fields(other_target);
        let mut fields = sources.fields(target);
        for field in &other {
            if !fields.contains(field) {
                fields.push(field.clone());
            }
        }
        let kind = id.kind;
        let place = id
            .namespace
            .as_deref()
            .map(|ns| format!(" in namespace {ns:?}"))
            .unwrap_or_default();
        self.blame(
            fields,
            &id.name,
            format!(
                "gives two objects the same {kind} name{place} (the other from {}): no two objects may share kind, namespace and name",
                other.join(" + ")
            ),
        );
    }

    /// Judges one name by `kind`'s rule; whether it was found bad.
    fn name(&mut self, kind: Kind, name: &str, sources: &Sources, target: Option<usize>) -> bool {
        let (what, outcome) = if kind.has_path_segment_names() {
            ("RBAC object name", rules::path_segment_name(name))
        } else {
            ("object name", rules::dns1123_subdomain(name))
        };
        let Err(reason) = outcome else { return false };
        let fields = sources.fields(target);
        let mut rule = format!("is not a valid {what} ({reason}), as every {kind} name must be");
        if !sources.given {
            let from = if fields.len() > 1 {
                fields[1..].join(" + ")
            } else {
                "the defaults".to_owned()
            };
            rule.push_str(&format!(
                "; it is derived from {from}: set {} to choose another",
                sources.own
            ));
        }
        self.blame(fields, name, rule);
        true
    }

    fn blame(&mut self, fields: Vec<String>, value: &str, rule: String) {
        let mut key = fields.clone();
        key.sort();
        // Every subset of a handful of options.
        let blamed_before = (1..(1u32 << key.len().min(8))).any(|mask| {
            let subset: Vec<String> = key
                .iter()
                .enumerate()
                .filter(|(i, _)| mask & (1 << i) != 0)
                .map(|(_, f)| f.clone())
                .collect();
            self.blamed.contains(&subset)
        });
        if blamed_before || key.iter().any(|f| self.refused.contains(f)) {
            return;
        }
        self.blamed.insert(key);
        let mut fields = fields.into_iter();
        let field = fields.next().unwrap_or_default();
        self.found.push_problem(Problem {
            field,
            also: fields.collect(),
            value: value.to_owned(),
            rule,
        });
    }
}
