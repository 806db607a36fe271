//! The built bundle: its objects as typed Kubernetes values, ready for kube-rs or YAML.

use std::collections::BTreeMap;

use gmp_types::{
    Authorization, ClusterPodMonitoring, ClusterPodMonitoringSpec, ClusterRules, PodMonitoring,
    PodMonitoringSpec, Rules, ScrapeEndpoint, SecretSelector,
};
use k8s_openapi::api::core::v1::{Secret, ServiceAccount};
use k8s_openapi::api::rbac::v1::{
    ClusterRole, ClusterRoleBinding, PolicyRule, Role, RoleBinding, RoleRef, Subject,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{
    LabelSelector, LabelSelectorRequirement, ObjectMeta,
};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use serde::Serialize;

use crate::alerts::{self, AlertObjects};
use crate::error::Error;
use crate::options::{
    BundleBuilder, COLLECTOR_SERVICE_ACCOUNT, ClusterFlavor, MonitoringMode, Options, Port,
    ResolvedNames, ResolvedTarget, RulesScope, SecretAccess, bundle_builder,
};
use crate::validate::{self, SERVICE_ACCOUNT_ANNOTATION};

/// The Secret key the control plane writes the ServiceAccount token under.
pub const TOKEN_KEY: &str = "token";

/// The objects of one metrics-collection setup, built from valid [`Options`].
///
/// The fields are read-only so that what is rendered is always what was validated.
#[derive(Clone, Debug, PartialEq)]
pub struct Bundle {
    flavor: ClusterFlavor,
    metric_prefix: &'static str,
    reader_role: ClusterRole,
    reader_binding: ClusterRoleBinding,
    identities: Vec<ReaderIdentity>,
    monitorings: Vec<Monitoring>,
    pods_namespaces: Vec<Option<String>>,
    auth_delegation: Option<ClusterRoleBinding>,
    alerts: Option<AlertObjects>,
}

/// The reader's identity in one namespace: its ServiceAccount, the token Secret, and the grant
/// letting GMP's collector read that Secret.
#[derive(Clone, Debug, PartialEq)]
pub struct ReaderIdentity {
    /// The ServiceAccount whose token scrapes the endpoint pickers.
    pub service_account: ServiceAccount,
    /// Its token Secret, filled in by the control plane.
    pub token_secret: Secret,
    /// The role and binding letting GMP's collector read the Secret.
    pub secret_reader: SecretReader,
}

/// What tells GMP to scrape one target.
#[derive(Clone, Debug, PartialEq)]
pub enum Monitoring {
    /// A ClusterPodMonitoring (`monitoring: cluster`).
    Cluster(ClusterPodMonitoring),
    /// A PodMonitoring in the pods' namespace (`monitoring: pod`).
    Pod(PodMonitoring),
}

impl Monitoring {
    /// The object, borrowed.
    pub fn object(&self) -> Object<'_> {
        match self {
            Self::Cluster(m) => Object::ClusterPodMonitoring(m),
            Self::Pod(m) => Object::PodMonitoring(m),
        }
    }
}

/// The grant that lets GMP's collector read the token Secret, in the form
/// [`SecretAccess`] chose.
#[derive(Clone, Debug, PartialEq)]
pub enum SecretReader {
    /// A ClusterRole bound cluster-wide (the seed document's form).
    Cluster {
        /// Grants get/list/watch on the one Secret.
        role: ClusterRole,
        /// Binds it to the collector.
        binding: ClusterRoleBinding,
    },
    /// A Role bound in the Secret's namespace: the least privilege that works.
    Namespaced {
        /// Grants get/list/watch on the one Secret.
        role: Role,
        /// Binds it to the collector.
        binding: RoleBinding,
    },
}

impl SecretReader {
    /// The role, then its binding.
    pub fn objects(&self) -> [Object<'_>; 2] {
        match self {
            Self::Cluster { role, binding } => [
                Object::ClusterRole(role),
                Object::ClusterRoleBinding(binding),
            ],
            Self::Namespaced { role, binding } => {
                [Object::Role(role), Object::RoleBinding(binding)]
            }
        }
    }

    /// The binding's subjects (GMP's collector).
    pub fn subjects(&self) -> &[Subject] {
        match self {
            Self::Cluster { binding, .. } => binding.subjects.as_deref(),
            Self::Namespaced { binding, .. } => binding.subjects.as_deref(),
        }
        .unwrap_or_default()
    }
}

/// One object, borrowed; serializes as the object itself. The kinds a bundle holds, and the
/// kinds the scrape chain is made of.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
#[serde(untagged)]
pub enum Object<'a> {
    /// A ClusterRole.
    ClusterRole(&'a ClusterRole),
    /// A namespaced Role.
    Role(&'a Role),
    /// A ServiceAccount.
    ServiceAccount(&'a ServiceAccount),
    /// A ClusterRoleBinding.
    ClusterRoleBinding(&'a ClusterRoleBinding),
    /// A namespaced RoleBinding.
    RoleBinding(&'a RoleBinding),
    /// A Secret.
    Secret(&'a Secret),
    /// A ClusterPodMonitoring.
    ClusterPodMonitoring(&'a ClusterPodMonitoring),
    /// A namespaced PodMonitoring.
    PodMonitoring(&'a PodMonitoring),
    /// Namespaced rule groups.
    Rules(&'a Rules),
    /// Cluster-wide rule groups.
    ClusterRules(&'a ClusterRules),
}

impl<'a> Object<'a> {
    /// The object's `metadata`.
    pub fn metadata(&self) -> &'a ObjectMeta {
        match *self {
            Self::ClusterRole(o) => &o.metadata,
            Self::Role(o) => &o.metadata,
            Self::ServiceAccount(o) => &o.metadata,
            Self::ClusterRoleBinding(o) => &o.metadata,
            Self::RoleBinding(o) => &o.metadata,
            Self::Secret(o) => &o.metadata,
            Self::ClusterPodMonitoring(o) => &o.metadata,
            Self::PodMonitoring(o) => &o.metadata,
            Self::Rules(o) => &o.metadata,
            Self::ClusterRules(o) => &o.metadata,
        }
    }

    /// The object's `kind`.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::ClusterRole(_) => "ClusterRole",
            Self::Role(_) => "Role",
            Self::ServiceAccount(_) => "ServiceAccount",
            Self::ClusterRoleBinding(_) => "ClusterRoleBinding",
            Self::RoleBinding(_) => "RoleBinding",
            Self::Secret(_) => "Secret",
            Self::ClusterPodMonitoring(_) => "ClusterPodMonitoring",
            Self::PodMonitoring(_) => "PodMonitoring",
            Self::Rules(_) => "Rules",
            Self::ClusterRules(_) => "ClusterRules",
        }
    }

    /// Whether the kind is cluster-scoped (and so must carry no namespace).
    pub fn is_cluster_scoped(&self) -> bool {
        matches!(
            self,
            Self::ClusterRole(_)
                | Self::ClusterRoleBinding(_)
                | Self::ClusterPodMonitoring(_)
                | Self::ClusterRules(_)
        )
    }
}

impl Options {
    /// Checks every option without building anything; every problem found is returned.
    pub fn validate(&self) -> Result<(), Error> {
        validate::check(self).map(drop).map_err(Error::Invalid)
    }

    /// Checks every option and builds the bundle, or returns every problem found.
    pub fn build(&self) -> Result<Bundle, Error> {
        let names = validate::check(self).map_err(Error::Invalid)?;
        Ok(Bundle::assemble(self, &names))
    }
}

impl<S: bundle_builder::IsComplete> BundleBuilder<S> {
    /// Judges every option at once and builds the bundle (as `options().build()`), so a chain of
    /// setters ends in a bundle or in every problem found.
    pub fn build(self) -> Result<Bundle, Error> {
        self.options().build()
    }
}

impl Bundle {
    /// A builder starting from the seed document's defaults (the same as [`Options::builder`]).
    pub fn builder() -> BundleBuilder {
        Options::builder()
    }

    /// The cluster flavor the bundle was built for.
    pub fn flavor(&self) -> ClusterFlavor {
        self.flavor
    }

    /// The prefix of the endpoint picker's metric names (by `eppVersion`).
    pub fn metric_prefix(&self) -> &'static str {
        self.metric_prefix
    }

    /// ClusterRole granting `get` on the metrics endpoint.
    pub fn reader_role(&self) -> &ClusterRole {
        &self.reader_role
    }

    /// ClusterRoleBinding of the reader role to every reader ServiceAccount.
    pub fn reader_binding(&self) -> &ClusterRoleBinding {
        &self.reader_binding
    }

    /// The reader identities: one in `namespace`, or (`monitoring: pod`) one per target namespace.
    pub fn identities(&self) -> &[ReaderIdentity] {
        &self.identities
    }

    /// The first reader identity's ServiceAccount (the only one with `monitoring: cluster`).
    pub fn service_account(&self) -> &ServiceAccount {
        &self.first_identity().service_account
    }

    /// The first reader identity's token Secret (the only one with `monitoring: cluster`).
    pub fn token_secret(&self) -> &Secret {
        &self.first_identity().token_secret
    }

    /// The first reader identity's Secret grant to the collector.
    pub fn secret_reader(&self) -> &SecretReader {
        &self.first_identity().secret_reader
    }

    fn first_identity(&self) -> &ReaderIdentity {
        // `assemble` makes one identity per target namespace, and there is always a target.
        &self.identities[0]
    }

    /// One (Cluster)PodMonitoring per target, in the order of the targets.
    pub fn monitorings(&self) -> &[Monitoring] {
        &self.monitorings
    }

    /// The namespace each monitoring's pods run in (same order as [`Self::monitorings`]), where
    /// known: a target's `namespace`, or a PodMonitoring's own.
    pub fn pods_namespaces(&self) -> &[Option<String>] {
        &self.pods_namespaces
    }

    /// The ClusterRoleBinding of the endpoint picker's ServiceAccount to `system:auth-delegator`.
    pub fn auth_delegation(&self) -> Option<&ClusterRoleBinding> {
        self.auth_delegation.as_ref()
    }

    /// Every object, in the order they are rendered and applied: the seed document's order,
    /// identities after the first following theirs, then the monitorings and the delegation.
    pub fn objects(&self) -> Vec<Object<'_>> {
        let mut objects = self.objects_before_monitorings();
        objects.extend(self.monitorings.iter().map(Monitoring::object));
        objects.extend(self.objects_after_monitorings());
        objects
    }

    /// The objects [`Self::objects`] lists before the monitorings.
    pub(crate) fn objects_before_monitorings(&self) -> Vec<Object<'_>> {
        let mut objects = vec![Object::ClusterRole(&self.reader_role)];
        objects.extend(
            self.identities
                .iter()
                .map(|i| Object::ServiceAccount(&i.service_account)),
        );
        objects.push(Object::ClusterRoleBinding(&self.reader_binding));
        for identity in &self.identities {
            objects.push(Object::Secret(&identity.token_secret));
            objects.extend(identity.secret_reader.objects());
        }
        objects
    }

    /// The objects [`Self::objects`] lists after the monitorings.
    pub(crate) fn objects_after_monitorings(&self) -> Vec<Object<'_>> {
        let mut objects: Vec<Object<'_>> = self
            .auth_delegation
            .iter()
            .map(Object::ClusterRoleBinding)
            .collect();
        objects.extend(self.alert_objects());
        objects
    }

    /// The alert rule objects (empty unless `alerts.enabled`).
    pub fn alert_objects(&self) -> Vec<Object<'_>> {
        match &self.alerts {
            None => Vec::new(),
            Some(AlertObjects::Namespaced(rules)) => rules.iter().map(Object::Rules).collect(),
            Some(AlertObjects::Cluster(rules)) => vec![Object::ClusterRules(rules)],
        }
    }

    fn assemble(options: &Options, names: &ResolvedNames) -> Self {
        let targets = options.resolved_targets();
        let maker = MonitoringMaker::new(options, names);
        Self {
            monitorings: targets.iter().map(|t| maker.monitoring(t)).collect(),
            ..Self::frame(options, names, &targets)
        }
    }

    /// Every object but the monitorings (left empty): what a fleet's objects share.
    pub(crate) fn frame(
        options: &Options,
        names: &ResolvedNames,
        targets: &[ResolvedTarget],
    ) -> Self {
        let labels = &options.extra_labels;
        let meta = |name: &str, namespace: Option<&str>, labels: &BTreeMap<String, String>| {
            object_meta(options, name, namespace, labels)
        };
        let pod_mode = options.monitoring == MonitoringMode::Pod;
        // The targets' namespaces, each once, in order of first appearance.
        let mut seen = std::collections::BTreeSet::new();
        let target_namespaces: Vec<&str> = targets
            .iter()
            .map(|t| t.namespace.as_str())
            .filter(|ns| seen.insert(*ns))
            .collect();
        // One reader identity where the monitorings read the token: in `namespace`, or (a
        // PodMonitoring reads only its own namespace's Secrets) in each target's namespace.
        let namespaces: Vec<&str> = if pod_mode {
            target_namespaces.clone()
        } else {
            vec![options.namespace.as_str()]
        };
        let namespaced_grant = pod_mode || options.secret_access == SecretAccess::Namespaced;
        let identities: Vec<ReaderIdentity> = namespaces
            .iter()
            .map(|ns| {
                let mut secret_meta = meta(&names.token_secret, Some(ns), labels);
                secret_meta.annotations.get_or_insert_default().insert(
                    SERVICE_ACCOUNT_ANNOTATION.to_owned(),
                    names.service_account.clone(),
                );
                let grant_ns = namespaced_grant.then_some(*ns);
                ReaderIdentity {
                    service_account: ServiceAccount {
                        metadata: meta(&names.service_account, Some(ns), labels),
                        ..Default::default()
                    },
                    token_secret: Secret {
                        metadata: secret_meta,
                        type_: Some("kubernetes.io/service-account-token".to_owned()),
                        ..Default::default()
                    },
                    secret_reader: secret_reader(
                        options,
                        names,
                        namespaced_grant,
                        meta(&names.secret_reader_role, grant_ns, labels),
                        meta(&names.collector_binding, grant_ns, labels),
                    ),
                }
            })
            .collect();
        let pods_namespaces = options
            .targets
            .iter()
            .map(|t| t.namespace.clone())
            .chain(std::iter::repeat(None))
            .zip(targets)
            .map(|(given, target)| {
                if pod_mode {
                    Some(target.namespace.clone())
                } else {
                    given
                }
            })
            .collect();
        let alerts = options.alerts.enabled.then(|| {
            let prefix = options.metric_prefix();
            match options.alerts.scope {
                RulesScope::Cluster => AlertObjects::Cluster(Box::new(ClusterRules {
                    metadata: meta(&names.alerts, None, labels),
                    spec: alerts::cluster_rules_spec(&options.alerts, prefix),
                    status: None,
                })),
                RulesScope::Namespaced => AlertObjects::Namespaced(
                    target_namespaces
                        .iter()
                        .map(|ns| Rules {
                            metadata: meta(&names.alerts, Some(ns), labels),
                            spec: alerts::rules_spec(&options.alerts, prefix),
                            status: None,
                        })
                        .collect(),
                ),
            }
        });
        let mut urls = vec![options.path.clone()];
        if options.pprof {
            urls.push(PPROF_URLS.to_owned());
        }
        Self {
            flavor: options.flavor,
            metric_prefix: options.metric_prefix(),
            reader_role: ClusterRole {
                metadata: meta(&names.reader_cluster_role, None, labels),
                rules: Some(vec![PolicyRule {
                    non_resource_urls: Some(urls),
                    verbs: vec!["get".to_owned()],
                    ..Default::default()
                }]),
                ..Default::default()
            },
            reader_binding: ClusterRoleBinding {
                metadata: meta(&names.reader_binding, None, labels),
                role_ref: role_ref("ClusterRole", &names.reader_cluster_role),
                subjects: Some(
                    namespaces
                        .iter()
                        .map(|ns| service_account_subject(&names.service_account, ns))
                        .collect(),
                ),
            },
            identities,
            monitorings: Vec::new(),
            pods_namespaces,
            alerts,
            auth_delegation: options
                .auth_delegation
                .as_ref()
                .zip(names.auth_delegation.as_ref())
                .and_then(|(subject, name)| {
                    let (ns, account) = subject.split_once('/')?;
                    Some(ClusterRoleBinding {
                        metadata: meta(name, None, labels),
                        role_ref: role_ref("ClusterRole", AUTH_DELEGATOR),
                        subjects: Some(vec![service_account_subject(account, ns)]),
                    })
                }),
        }
    }
}

/// What every target's (Cluster)PodMonitoring shares, so that a fleet's monitorings can be made
/// all at once (the bundle) or one at a time while they are written (`Options::render_yaml`).
pub(crate) struct MonitoringMaker<'a> {
    base_name: &'a str,
    /// Everything but the name, the namespace (pod mode) and the selector.
    base: Monitoring,
}

impl<'a> MonitoringMaker<'a> {
    pub(crate) fn new(options: &'a Options, names: &'a ResolvedNames) -> Self {
        let pod_mode = options.monitoring == MonitoringMode::Pod;
        let mut labels = options.monitoring_labels.clone();
        labels.extend(
            options
                .extra_labels
                .iter()
                .map(|(k, v)| (k.clone(), v.clone())),
        );
        // Always written for a ClusterPodMonitoring: left out, GMP reads the Secret from
        // `default`; a PodMonitoring may not name one (its own namespace is used).
        let secret_ns = (!pod_mode).then(|| options.namespace.clone());
        let metadata = object_meta(options, "", None, &labels);
        let endpoints = vec![endpoint(options, names, secret_ns)];
        let base = if pod_mode {
            Monitoring::Pod(PodMonitoring {
                metadata,
                spec: PodMonitoringSpec {
                    endpoints,
                    ..Default::default()
                },
                status: None,
            })
        } else {
            Monitoring::Cluster(ClusterPodMonitoring {
                metadata,
                spec: ClusterPodMonitoringSpec {
                    endpoints,
                    ..Default::default()
                },
                status: None,
            })
        };
        Self {
            base_name: &names.pod_monitoring,
            base,
        }
    }

    /// The monitoring of one target.
    pub(crate) fn monitoring(&self, target: &ResolvedTarget) -> Monitoring {
        let mut monitoring = self.base.clone();
        self.retarget(&mut monitoring, target);
        monitoring
    }

    /// A monitoring to [`Self::retarget`] again and again (what streaming reuses).
    pub(crate) fn reusable(&self) -> Monitoring {
        self.base.clone()
    }

    /// Turns a monitoring this maker made into the one of `target`, keeping what all targets
    /// share (labels, the endpoint) and the name's buffer.
    pub(crate) fn retarget(&self, monitoring: &mut Monitoring, target: &ResolvedTarget) {
        let (metadata, selector, namespaced) = match monitoring {
            Monitoring::Cluster(m) => (&mut m.metadata, &mut m.spec.selector, false),
            Monitoring::Pod(m) => (&mut m.metadata, &mut m.spec.selector, true),
        };
        let name = metadata.name.get_or_insert_default();
        name.clear();
        name.push_str(self.base_name);
        if let Some(target_name) = &target.name {
            name.push('-');
            name.push_str(target_name);
        }
        if namespaced {
            metadata.namespace = Some(target.namespace.clone());
        }
        *selector = label_selector(&target.selector);
    }
}

/// Metadata with the options' extra annotations and the given labels (each left out if empty).
fn object_meta(
    options: &Options,
    name: &str,
    namespace: Option<&str>,
    labels: &BTreeMap<String, String>,
) -> ObjectMeta {
    ObjectMeta {
        name: Some(name.to_owned()),
        namespace: namespace.map(str::to_owned),
        labels: non_empty(labels.clone()),
        annotations: non_empty(options.extra_annotations.clone()),
        ..Default::default()
    }
}

/// The ClusterRole that lets a server create TokenReviews and SubjectAccessReviews.
pub const AUTH_DELEGATOR: &str = "system:auth-delegator";

/// The non-resource URLs of Go's profiler, which the endpoint picker serves beside `/metrics`.
pub const PPROF_URLS: &str = "/debug/pprof/*";

/// The RBAC subject naming ServiceAccount `name` in `namespace`.
pub(crate) fn service_account_subject(name: &str, namespace: &str) -> Subject {
    Subject {
        kind: "ServiceAccount".to_owned(),
        name: name.to_owned(),
        namespace: Some(namespace.to_owned()),
        ..Default::default()
    }
}

/// The scrape endpoint, reading the token from `secret_namespace` (or the monitoring's own).
fn endpoint(
    options: &Options,
    names: &ResolvedNames,
    secret_namespace: Option<String>,
) -> ScrapeEndpoint {
    ScrapeEndpoint {
        port: match &options.port {
            Port::Number(n) => IntOrString::Int(*n),
            Port::Name(name) => IntOrString::String(name.clone()),
        },
        scheme: Some(options.scheme),
        interval: options.interval.clone(),
        timeout: options.timeout.clone(),
        path: Some(options.path.clone()),
        authorization: Some(Authorization {
            type_: Some("Bearer".to_owned()),
            credentials: Some(SecretSelector::new(
                names.token_secret.clone(),
                TOKEN_KEY,
                secret_namespace,
            )),
        }),
        ..Default::default()
    }
}

/// The role and binding of the collector's read access to the token Secret.
fn secret_reader(
    options: &Options,
    names: &ResolvedNames,
    namespaced: bool,
    role_meta: ObjectMeta,
    binding_meta: ObjectMeta,
) -> SecretReader {
    let rules = Some(vec![PolicyRule {
        api_groups: Some(vec![String::new()]),
        resources: Some(vec!["secrets".to_owned()]),
        resource_names: Some(vec![names.token_secret.clone()]),
        verbs: ["get", "list", "watch"].map(str::to_owned).to_vec(),
        ..Default::default()
    }]);
    let subjects = Some(vec![service_account_subject(
        COLLECTOR_SERVICE_ACCOUNT,
        options.flavor.collector_namespace(),
    )]);
    if !namespaced {
        SecretReader::Cluster {
            role: ClusterRole {
                metadata: role_meta,
                rules,
                ..Default::default()
            },
            binding: ClusterRoleBinding {
                metadata: binding_meta,
                role_ref: role_ref("ClusterRole", &names.secret_reader_role),
                subjects,
            },
        }
    } else {
        SecretReader::Namespaced {
            role: Role {
                metadata: role_meta,
                rules,
            },
            binding: RoleBinding {
                metadata: binding_meta,
                role_ref: role_ref("Role", &names.secret_reader_role),
                subjects,
            },
        }
    }
}

fn non_empty(map: BTreeMap<String, String>) -> Option<BTreeMap<String, String>> {
    (!map.is_empty()).then_some(map)
}

fn role_ref(kind: &str, name: &str) -> RoleRef {
    RoleRef {
        api_group: Some("rbac.authorization.k8s.io".to_owned()),
        kind: kind.to_owned(),
        name: name.to_owned(),
    }
}

fn label_selector(selector: &crate::options::LabelSelector) -> LabelSelector {
    LabelSelector {
        match_labels: non_empty(selector.match_labels.clone()),
        match_expressions: (!selector.match_expressions.is_empty()).then(|| {
            selector
                .match_expressions
                .iter()
                .map(|r| LabelSelectorRequirement {
                    key: r.key.clone(),
                    operator: r.operator.as_str().to_owned(),
                    values: (!r.values.is_empty()).then(|| r.values.clone()),
                })
                .collect()
        }),
    }
}
