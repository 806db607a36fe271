//! The typed objects of a [`Plan`], made in one place: held in a [`Bundle`] for kube-rs users,
//! or handed one at a time to a writer so that a fleet is never held at once.

use std::collections::BTreeMap;

use gmp_types::{
    Authorization, ClusterPodMonitoring, ClusterPodMonitoringSpec, ClusterRules, ClusterRulesSpec,
    PodMonitoring, PodMonitoringSpec, Rules, RulesSpec, ScrapeEndpoint, SecretSelector,
};
use k8s_openapi::api::core::v1::{Secret, ServiceAccount};
use k8s_openapi::api::rbac::v1::{
    ClusterRole, ClusterRoleBinding, PolicyRule, Role, RoleBinding, RoleRef, Subject,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, ObjectMeta};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use prometheus_operator_types::{
    Endpoint as ServiceEndpoint, NamespaceSelector, PodMetricsEndpoint, PodMonitor, PodMonitorSpec,
    PrometheusRule, PrometheusRuleSpec, RelabelConfig, SafeAuthorization, SafeTlsConfig,
    Scheme as OperatorScheme, SecretKeySelector, ServiceMonitor, ServiceMonitorSpec,
};

use crate::diagnostics::Error;
use crate::kinds::{BundleKind, Kind, Object, ServiceAccountRef};
use crate::objects::alerts;
use crate::options::{BundleBuilder, Options, Port, bundle_builder};
use crate::plan::{AUTH_DELEGATOR, Identity, ObjectId, Plan, TOKEN_KEY, TargetPlan};

/// The annotation that ties the token Secret to its ServiceAccount; the bundle owns it.
pub(crate) const SERVICE_ACCOUNT_ANNOTATION: &str = "kubernetes.io/service-account.name";

/// The objects of one metrics-collection setup, made from a valid [`Plan`]; read-only, so that
/// what is rendered is always what was validated.
#[derive(Clone, Debug, PartialEq)]
pub struct Bundle {
    plan: Plan,
    objects: Vec<Object<'static>>,
}

impl Options {
    /// Checks every option and builds the bundle, or returns every problem found.
    pub fn build(&self) -> Result<Bundle, Error> {
        self.plan().map(Bundle::from)
    }
}

impl<S: bundle_builder::IsComplete> BundleBuilder<S> {
    /// Judges every option at once and builds the bundle (as `options().build()`), so a chain of
    /// setters ends in a bundle or in every problem found.
    pub fn build(self) -> Result<Bundle, Error> {
        self.options().build()
    }
}

impl From<Plan> for Bundle {
    fn from(plan: Plan) -> Self {
        let mut objects = Vec::with_capacity(plan.object_count());
        plan.each_object(&mut |object| {
            objects.push(object.into_owned());
            Ok(())
        })
        // The sink above never fails, and making objects fails only through its sink.
        .unwrap_or_default();
        Self { plan, objects }
    }
}

impl Bundle {
    /// A builder starting from the seed document's defaults (the same as [`Options::builder`]).
    pub fn builder() -> BundleBuilder {
        Options::builder()
    }

    /// The plan the objects were made from: every name, namespace and target.
    pub fn plan(&self) -> &Plan {
        &self.plan
    }

    /// Every object, in the order they are rendered and applied: the seed document's order,
    /// identities after the first following theirs, then the monitorings, the auth delegation
    /// and the alerts.
    pub fn objects(&self) -> &[Object<'static>] {
        &self.objects
    }

    /// Every object of kind `K`, in order.
    pub fn all<K: BundleKind>(&self) -> impl Iterator<Item = &K> {
        self.objects.iter().filter_map(K::of)
    }

    /// The object `id` names (an id of [`Self::plan`]), if it is of kind `K`.
    pub fn get<K: BundleKind>(&self, id: &ObjectId) -> Option<&K> {
        if id.kind != K::KIND {
            return None;
        }
        self.all::<K>().find(|o| {
            let meta = o.meta();
            meta.name.as_deref() == Some(id.name.as_str()) && meta.namespace == id.namespace
        })
    }

    /// The monitorings ((Cluster)PodMonitorings, PodMonitors or ServiceMonitors), one per target, in the order
    /// of the targets.
    pub fn monitorings(&self) -> impl Iterator<Item = &Object<'static>> {
        self.objects.iter().filter(|o| {
            matches!(
                o.kind(),
                Kind::ClusterPodMonitoring
                    | Kind::PodMonitoring
                    | Kind::PodMonitor
                    | Kind::ServiceMonitor
            )
        })
    }

    /// The alert rule objects (none unless `alerts.enabled`).
    pub fn alert_objects(&self) -> impl Iterator<Item = &Object<'static>> {
        self.objects.iter().filter(|o| {
            matches!(
                o.kind(),
                Kind::Rules | Kind::ClusterRules | Kind::PrometheusRule
            )
        })
    }

    /// Hands every held object to `sink` in order, as [`Plan::each_object`] hands the ones it
    /// makes: one writer serves both.
    pub(crate) fn each_object(&self, sink: ObjectSink<'_>) -> Result<(), Error> {
        self.objects
            .iter()
            .try_for_each(|object| sink(object.borrowed()))
    }
}

/// What [`Plan::each_object`] hands each object to, in order.
pub(crate) type ObjectSink<'s> = &'s mut dyn FnMut(Object<'_>) -> Result<(), Error>;

/// A monitoring of any kind, owned.
enum Monitoring {
    Cluster(ClusterPodMonitoring),
    Pod(PodMonitoring),
    Operator(PodMonitor),
    Service(ServiceMonitor),
}

impl Plan {
    /// Makes every object in order and hands each to `sink`, which may write it and forget it:
    /// the reader's objects, each identity's, the monitorings, the auth delegations, the alerts.
    pub(crate) fn each_object(&self, sink: ObjectSink<'_>) -> Result<(), Error> {
        self.reader_objects(sink)?;
        for identity in self.identities() {
            self.identity_objects(identity, sink)?;
        }
        self.monitorings(sink)?;
        let labels = self.labels();
        for delegation in self.auth_delegations() {
            sink(Object::from(ClusterRoleBinding {
                metadata: self.meta(delegation.binding(), labels),
                role_ref: RoleRef {
                    api_group: Some("rbac.authorization.k8s.io".to_owned()),
                    kind: Kind::ClusterRole.as_str().to_owned(),
                    name: AUTH_DELEGATOR.to_owned(),
                },
                subjects: Some(vec![subject(delegation.subject())]),
            }))?;
        }
        for object in self.alert_objects() {
            sink(object)?;
        }
        Ok(())
    }

    /// The reader's ClusterRole, every identity's ServiceAccount, and the binding of the role
    /// to them.
    fn reader_objects(&self, sink: ObjectSink<'_>) -> Result<(), Error> {
        let labels = self.labels();
        sink(Object::from(ClusterRole {
            metadata: self.meta(self.reader_role(), labels),
            rules: Some(vec![PolicyRule {
                non_resource_urls: Some(self.reader_urls().to_vec()),
                verbs: vec!["get".to_owned()],
                ..Default::default()
            }]),
            ..Default::default()
        }))?;
        for identity in self.identities() {
            sink(Object::from(ServiceAccount {
                metadata: self.meta(identity.service_account(), labels),
                ..Default::default()
            }))?;
        }
        sink(Object::from(ClusterRoleBinding {
            metadata: self.meta(self.reader_binding(), labels),
            role_ref: role_ref(self.reader_role()),
            subjects: Some(
                self.identities()
                    .iter()
                    .map(|i| subject(&i.service_account_ref()))
                    .collect(),
            ),
        }))
    }

    /// One identity's token Secret, and (for GMP) the role and binding that let the collector
    /// read it.
    fn identity_objects(&self, identity: &Identity, sink: ObjectSink<'_>) -> Result<(), Error> {
        let labels = self.labels();
        let mut secret_meta = self.meta(identity.token_secret(), labels);
        secret_meta.annotations.get_or_insert_default().insert(
            SERVICE_ACCOUNT_ANNOTATION.to_owned(),
            identity.service_account().name.clone(),
        );
        sink(Object::from(Secret {
            metadata: secret_meta,
            type_: Some("kubernetes.io/service-account-token".to_owned()),
            ..Default::default()
        }))?;
        let (Some(role), Some(binding), Some(collector)) = (
            identity.secret_reader_role(),
            identity.collector_binding(),
            self.collector(),
        ) else {
            return Ok(());
        };
        let rules = Some(vec![PolicyRule {
            api_groups: Some(vec![String::new()]),
            resources: Some(vec!["secrets".to_owned()]),
            resource_names: Some(identity.readable_secrets().map(str::to_owned).collect()),
            verbs: ["get", "list", "watch"].map(str::to_owned).to_vec(),
            ..Default::default()
        }]);
        let subjects = Some(vec![subject(collector)]);
        if role.kind == Kind::Role {
            sink(Object::from(Role {
                metadata: self.meta(role, labels),
                rules,
            }))?;
            sink(Object::from(RoleBinding {
                metadata: self.meta(binding, labels),
                role_ref: role_ref(role),
                subjects,
            }))
        } else {
            sink(Object::from(ClusterRole {
                metadata: self.meta(role, labels),
                rules,
                ..Default::default()
            }))?;
            sink(Object::from(ClusterRoleBinding {
                metadata: self.meta(binding, labels),
                role_ref: role_ref(role),
                subjects,
            }))
        }
    }

    /// Every target's (Cluster)PodMonitoring: one object retargeted per target, so what the
    /// targets share is made once.
    fn monitorings(&self, sink: ObjectSink<'_>) -> Result<(), Error> {
        let Some(first) = self.targets().first() else {
            return Ok(());
        };
        let mut monitoring = self.shared_monitoring(first.monitoring().kind);
        for target in self.targets() {
            self.retarget(&mut monitoring, target);
            sink(match &monitoring {
                Monitoring::Cluster(m) => Object::from(m),
                Monitoring::Pod(m) => Object::from(m),
                Monitoring::Operator(m) => Object::from(m),
                Monitoring::Service(m) => Object::from(m),
            })?;
        }
        Ok(())
    }

    /// `monitoring` made `target`'s, its buffers kept: only the name, namespace, selector,
    /// secret reference, tls, port and scheme change.
    fn retarget(&self, monitoring: &mut Monitoring, target: &TargetPlan) {
        let (metadata, selector, endpoints) = match monitoring {
            Monitoring::Cluster(m) => {
                (&mut m.metadata, &mut m.spec.selector, &mut m.spec.endpoints)
            }
            Monitoring::Pod(m) => (&mut m.metadata, &mut m.spec.selector, &mut m.spec.endpoints),
            Monitoring::Operator(m) => return self.retarget_operator(m, target),
            Monitoring::Service(m) => return self.retarget_service(m, target),
        };
        let id = target.monitoring();
        let name = metadata.name.get_or_insert_default();
        name.clear();
        name.push_str(&id.name);
        metadata.namespace.clone_from(&id.namespace);
        *selector = LabelSelector::from(target.selector());
        let identity = self.identity_of(target);
        let tls = self.tls_of(target).and_then(|tls| {
            tls.to_gmp(
                self.endpoint()
                    .names_secret_namespace()
                    .then(|| identity.namespace()),
            )
        });
        for endpoint in endpoints.iter_mut() {
            endpoint.tls.clone_from(&tls);
            // Set only where it changes: a fleet of one port allocates nothing here.
            let port = self.port_of(target);
            let same = match (port, &endpoint.port) {
                (Port::Number(n), IntOrString::Int(m)) => n == m,
                (Port::Name(n), IntOrString::String(m)) => n == m,
                _ => false,
            };
            if !same {
                endpoint.port = int_or_string(port);
            }
            endpoint.scheme = Some(self.scheme_of(target));
        }
        for secret in endpoints
            .iter_mut()
            .filter_map(ScrapeEndpoint::authorization_secret_mut)
        {
            secret.name.clone_from(&identity.token_secret().name);
            if self.endpoint().names_secret_namespace() {
                let namespace = secret.namespace.get_or_insert_default();
                namespace.clear();
                namespace.push_str(identity.namespace());
            } else {
                secret.namespace = None;
            }
        }
    }

    /// `monitor` made `target`'s: name, namespace, the pods' namespace and selector, port,
    /// scheme, TLS, the token Secret (beside it) and the targets' `job`.
    fn retarget_operator(&self, monitor: &mut PodMonitor, target: &TargetPlan) {
        name_monitor(&mut monitor.metadata, target);
        monitor.spec.selector = LabelSelector::from(target.selector());
        monitor.spec.namespace_selector = Some(operator_namespaces(target));
        let client = self.operator_client(target);
        for endpoint in &mut monitor.spec.pod_metrics_endpoints {
            (endpoint.port, endpoint.port_number) = operator_port(self.port_of(target));
            client.apply(
                &mut endpoint.scheme,
                &mut endpoint.tls_config,
                &mut endpoint.authorization,
                &mut endpoint.relabelings,
            );
        }
    }

    /// `monitor` made `target`'s, as [`Self::retarget_operator`] makes a PodMonitor, but
    /// selecting the target's Services.
    fn retarget_service(&self, monitor: &mut ServiceMonitor, target: &TargetPlan) {
        name_monitor(&mut monitor.metadata, target);
        monitor.spec.selector = target
            .service_selector()
            .map(LabelSelector::from)
            .unwrap_or_default();
        monitor.spec.namespace_selector = Some(operator_namespaces(target));
        let client = self.operator_client(target);
        for endpoint in &mut monitor.spec.endpoints {
            client.apply(
                &mut endpoint.scheme,
                &mut endpoint.tls_config,
                &mut endpoint.authorization,
                &mut endpoint.relabelings,
            );
        }
    }

    /// What both prometheus-operator monitors' endpoints say of `target`'s HTTP client.
    fn operator_client(&self, target: &TargetPlan) -> OperatorClient<'_> {
        OperatorClient {
            scheme: operator_scheme(self.scheme_of(target)),
            tls: self.tls_of(target).and_then(|tls| tls.to_operator()),
            token: &self.identity_of(target).token_secret().name,
            job: target.operator_job(),
        }
    }

    /// The alert rule objects alone (none unless `alerts.enabled`), made one at a time when the
    /// iterator is advanced: the same objects as the last of [`Bundle::objects`], without making
    /// the others.
    pub fn alert_objects(&self) -> impl Iterator<Item = Object<'static>> + '_ {
        self.alerts().into_iter().flat_map(move |plan| {
            plan.objects().iter().map(move |id| {
                let metadata = self.meta(id, self.rules_labels());
                if id.kind == Kind::PrometheusRule {
                    let jobs = self.operator_jobs(id.namespace.as_deref());
                    return Object::from(PrometheusRule {
                        metadata,
                        spec: PrometheusRuleSpec {
                            groups: vec![alerts::operator_group(
                                plan.thresholds(),
                                self.metrics_schema(),
                                &jobs,
                            )],
                        },
                    });
                }
                let groups = vec![alerts::group(plan.thresholds(), self.metrics_schema())];
                if id.kind == Kind::ClusterRules {
                    Object::from(ClusterRules {
                        metadata,
                        spec: ClusterRulesSpec { groups },
                        status: None,
                    })
                } else {
                    Object::from(Rules {
                        metadata,
                        spec: RulesSpec { groups },
                        status: None,
                    })
                }
            })
        })
    }

    /// The `job` labels of the monitors' targets ([`TargetPlan::operator_job`]) that a
    /// PrometheusRule in `namespace` alerts on: the targets of that namespace when there
    /// is one object per target namespace (`rulesScope: namespaced`), else every target's.
    fn operator_jobs(&self, namespace: Option<&str>) -> Vec<String> {
        let per_namespace = self
            .alerts()
            .is_some_and(|a| a.thresholds().scope == crate::options::RulesScope::Namespaced);
        self.targets()
            .iter()
            .filter(|t| !per_namespace || Some(t.namespace()) == namespace)
            .map(TargetPlan::operator_job)
            .collect()
    }

    /// Metadata of `id` with the given labels and the plan's annotations (each left out if empty).
    fn meta(&self, id: &ObjectId, labels: &BTreeMap<String, String>) -> ObjectMeta {
        ObjectMeta {
            name: Some(id.name.clone()),
            namespace: id.namespace.clone(),
            labels: non_empty(labels),
            annotations: non_empty(self.annotations()),
            ..Default::default()
        }
    }
}

impl Plan {
    /// Everything of a `kind` monitoring but what [`Plan::each_object`] sets per target.
    fn shared_monitoring(&self, kind: Kind) -> Monitoring {
        let endpoint = self.endpoint();
        let metadata = ObjectMeta {
            labels: non_empty(self.monitoring_labels()),
            annotations: non_empty(self.annotations()),
            ..Default::default()
        };
        let authorization = || {
            Some(SafeAuthorization::bearer(SecretKeySelector::new(
                String::new(),
                TOKEN_KEY,
            )))
        };
        if kind == Kind::ServiceMonitor {
            return Monitoring::Service(ServiceMonitor {
                metadata,
                spec: ServiceMonitorSpec {
                    endpoints: vec![ServiceEndpoint {
                        port: endpoint.service_port().map(str::to_owned),
                        path: Some(endpoint.path().to_owned()),
                        scheme: Some(operator_scheme(endpoint.scheme())),
                        interval: Some(endpoint.interval().to_owned()),
                        scrape_timeout: endpoint.timeout().map(str::to_owned),
                        authorization: authorization(),
                        ..Default::default()
                    }],
                    ..Default::default()
                },
            });
        }
        if kind == Kind::PodMonitor {
            let (port, port_number) = operator_port(endpoint.port());
            return Monitoring::Operator(PodMonitor {
                metadata,
                spec: PodMonitorSpec {
                    pod_metrics_endpoints: vec![PodMetricsEndpoint {
                        port,
                        port_number,
                        path: Some(endpoint.path().to_owned()),
                        scheme: Some(operator_scheme(endpoint.scheme())),
                        interval: Some(endpoint.interval().to_owned()),
                        scrape_timeout: endpoint.timeout().map(str::to_owned),
                        authorization: authorization(),
                        ..Default::default()
                    }],
                    ..Default::default()
                },
            });
        }
        let endpoints = vec![ScrapeEndpoint {
            port: int_or_string(endpoint.port()),
            scheme: Some(endpoint.scheme()),
            interval: endpoint.interval().to_owned(),
            timeout: endpoint.timeout().map(str::to_owned),
            path: Some(endpoint.path().to_owned()),
            authorization: Some(Authorization {
                type_: Some("Bearer".to_owned()),
                credentials: Some(SecretSelector::new(String::new(), TOKEN_KEY, None)),
            }),
            ..Default::default()
        }];
        if kind == Kind::PodMonitoring {
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
        }
    }
}

/// A prometheus-operator monitor's metadata made `target`'s: its name and namespace.
fn name_monitor(metadata: &mut ObjectMeta, target: &TargetPlan) {
    let id = target.monitoring();
    metadata.name = Some(id.name.clone());
    metadata.namespace.clone_from(&id.namespace);
}

/// Where a prometheus-operator monitor of `target` finds its pods or Services: the one
/// namespace they are known to run in, else every namespace.
fn operator_namespaces(target: &TargetPlan) -> NamespaceSelector {
    match target.pods_namespace() {
        Some(ns) => NamespaceSelector::names([ns]),
        None => NamespaceSelector::any(),
    }
}

/// What a target's prometheus-operator endpoint says beyond its port, whichever monitor holds
/// it.
struct OperatorClient<'p> {
    scheme: OperatorScheme,
    tls: Option<SafeTlsConfig>,
    token: &'p str,
    /// The `job` of its targets, [`TargetPlan::operator_job`].
    job: String,
}

impl OperatorClient<'_> {
    /// Sets an endpoint's scheme, TLS settings, token Secret name and relabelings. The one
    /// relabeling pins `job` to what the plan's alerts, dashboard and verify match: the
    /// operator derives it from the monitor's namespace and name (a ServiceMonitor's from the
    /// Service's name), which a Kustomize overlay may change under the PrometheusRules' feet.
    fn apply(
        &self,
        scheme: &mut Option<OperatorScheme>,
        tls: &mut Option<SafeTlsConfig>,
        authorization: &mut Option<SafeAuthorization>,
        relabelings: &mut Option<Vec<RelabelConfig>>,
    ) {
        *scheme = Some(self.scheme);
        tls.clone_from(&self.tls);
        if let Some(credentials) = authorization.as_mut().and_then(|a| a.credentials.as_mut()) {
            self.token.clone_into(&mut credentials.name);
        }
        *relabelings = Some(vec![RelabelConfig {
            target_label: Some(JOB_LABEL.to_owned()),
            replacement: Some(self.job.clone()),
            ..Default::default()
        }]);
    }
}

/// The label naming a target's scrape job.
const JOB_LABEL: &str = "job";

/// The RBAC subject naming a ServiceAccount.
pub(crate) fn subject(account: &ServiceAccountRef) -> Subject {
    Subject {
        kind: Kind::ServiceAccount.as_str().to_owned(),
        name: account.name.clone(),
        namespace: Some(account.namespace.clone()),
        ..Default::default()
    }
}

fn non_empty(map: &BTreeMap<String, String>) -> Option<BTreeMap<String, String>> {
    (!map.is_empty()).then(|| map.clone())
}

fn int_or_string(port: &Port) -> IntOrString {
    match port {
        Port::Number(n) => IntOrString::Int(*n),
        Port::Name(name) => IntOrString::String(name.clone()),
    }
}

/// A PodMonitor endpoint's `port` (a name) and `portNumber` (a number): one of them set.
fn operator_port(port: &Port) -> (Option<String>, Option<i32>) {
    match port {
        Port::Number(n) => (None, Some(*n)),
        Port::Name(name) => (Some(name.clone()), None),
    }
}

/// A scheme as prometheus-operator's type (the CRDs spell them alike).
fn operator_scheme(scheme: gmp_types::Scheme) -> prometheus_operator_types::Scheme {
    match scheme {
        gmp_types::Scheme::Http => prometheus_operator_types::Scheme::Http,
        gmp_types::Scheme::Https => prometheus_operator_types::Scheme::Https,
    }
}

fn role_ref(role: &ObjectId) -> RoleRef {
    RoleRef {
        api_group: Some("rbac.authorization.k8s.io".to_owned()),
        kind: role.kind.as_str().to_owned(),
        name: role.name.clone(),
    }
}
