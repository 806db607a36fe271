//! The resolution: options judged and turned into a [`Plan`] by a pipeline of small steps,
//! each returning a typed piece (the targets, names, identities, auth delegations, each
//! target's plan with its TLS, the alerts), then every name judged as it reaches its object.

use std::borrow::Cow;
use std::collections::{BTreeSet, HashMap, HashSet};

use gmp_types::Scheme;

use super::names::{Named, Names, Naming, Sources, check_names, qualifier};
use super::validate;
use super::{
    AlertsPlan, AuthDelegation, EndpointPlan, Identity, ObjectId, PPROF_URLS, Plan, TargetPlan,
};
use crate::diagnostics::{Problem, Problems, ProblemsBuilder, Warning};
use crate::kinds::{Kind, ServiceAccountRef};
use crate::options::releases::{self, MetricsSchema};
use crate::options::tls::{self, TlsOptions};
use crate::options::{
    COLLECTOR_SERVICE_ACCOUNT, Collector, LabelSelector, MonitoringMode, Options, Port, Preset,
    RELEASE_LABEL, RulesScope, SERVICE_METRICS_PORT, ScrapeThrough, SecretAccess, Target,
};

/// Judges every option and resolves them into a plan, or returns every problem found. Owned
/// options give their targets' strings to the plan instead of copies.
pub(super) fn resolve(mut options: Cow<'_, Options>) -> Result<Plan, Problems> {
    let mut found = ProblemsBuilder::default();
    let prefix_ok = validate::fields(&mut found, &options);
    // Before the targets are taken from owned options: their presets decide it.
    let metrics_schema = metrics_schema(&mut found, &options);
    let named_targets = !options.targets.is_empty();
    let targets = take_targets(&mut options);
    let options: &Options = &options;
    let naming = Naming {
        prefix: if prefix_ok { &options.name_prefix } else { "" },
        qualifier: qualifier(options),
    };
    let names = Names::resolve(&naming, options);
    // The targets' namespaces, each once, in order of first appearance.
    let mut seen = BTreeSet::new();
    let namespaces: Vec<String> = targets
        .iter()
        .filter(|t| seen.insert(t.namespace.as_str()))
        .map(|t| t.namespace.clone())
        .collect();
    let identities = identities(options, &names, &namespaces);
    let delegations = delegations(&naming, options, &targets);
    let mut made = Targets::new(options, identities);
    let targets: Vec<TargetPlan> = targets
        .into_iter()
        .enumerate()
        .map(|(i, t)| made.target(i, t, &names.monitoring, &delegations.of_target))
        .collect();
    let alerts = alerts(options, &names.alerts, &namespaces);
    validate::annotations(&mut found, &options.extra_annotations, &names.account.name);
    let Targets {
        identities,
        tls: tls_configs,
        shared_tls,
        mut warnings,
        ..
    } = made;
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
    let (bindings, sources): (Vec<AuthDelegation>, Vec<Sources>) =
        delegations.list.into_iter().unzip();
    let plan = Plan {
        reader_role: id(Kind::ClusterRole, None, &names.reader_role.name),
        reader_binding: id(Kind::ClusterRoleBinding, None, &names.reader_binding.name),
        identities,
        targets,
        tls: tls_configs,
        warnings,
        auth_delegations: bindings,
        alerts,
        metrics_schema,
        dashboard: id(
            Kind::ConfigMap,
            Some(&options.namespace),
            &names.dashboard.name,
        ),
        ..shared(options)
    };
    check_names(&mut found, &plan, &names, &sources, named_targets);
    found.finish(plan)
}

/// What of the plan follows from the options alone: the collector, the reader's URLs, the
/// endpoint and the labels (the rest is left empty for [`resolve`] to fill).
fn shared(options: &Options) -> Plan {
    let mut reader_urls = vec![options.path.clone()];
    if options.pprof {
        reader_urls.push(PPROF_URLS.to_owned());
    }
    let gmp = options.collector == Collector::Gmp;
    // What a prometheus-operator Prometheus selects monitors and rules by.
    let release = options
        .prometheus_release
        .iter()
        .filter(|_| !gmp)
        .map(|r| (RELEASE_LABEL.to_owned(), r.clone()));
    let mut monitoring_labels = options.monitoring_labels.clone();
    monitoring_labels.extend(
        options
            .extra_labels
            .iter()
            .map(|(k, v)| (k.clone(), v.clone())),
    );
    monitoring_labels.extend(release.clone());
    let mut rules_labels = options.extra_labels.clone();
    rules_labels.extend(release);
    Plan {
        flavor: options.flavor,
        collector_kind: options.collector,
        collector: gmp.then(|| {
            ServiceAccountRef::new(
                options.flavor.collector_namespace(),
                COLLECTOR_SERVICE_ACCOUNT,
            )
        }),
        metrics_schema: MetricsSchema::InferenceModel,
        reader_role: id(Kind::ClusterRole, None, ""),
        reader_binding: id(Kind::ClusterRoleBinding, None, ""),
        reader_urls,
        identities: Vec::new(),
        targets: Vec::new(),
        tls: Vec::new(),
        warnings: Vec::new(),
        endpoint: EndpointPlan {
            port: options.port.clone(),
            scheme: options.scheme,
            interval: options.interval.clone(),
            timeout: options.timeout.clone(),
            path: options.path.clone(),
            service_port: (options.scrape_through == ScrapeThrough::Service).then(|| {
                options
                    .service_port
                    .clone()
                    .unwrap_or_else(|| SERVICE_METRICS_PORT.to_owned())
            }),
            // A PodMonitor reads Secrets of its own namespace only, as a PodMonitoring does.
            names_secret_namespace: gmp && options.monitoring != MonitoringMode::Pod,
        },
        auth_delegations: Vec::new(),
        alerts: None,
        // Named in resolve, with the other names.
        dashboard: id(Kind::ConfigMap, Some(&options.namespace), ""),
        labels: options.extra_labels.clone(),
        monitoring_labels,
        rules_labels,
        annotations: options.extra_annotations.clone(),
    }
}

/// An object id.
fn id(kind: Kind, namespace: Option<&str>, name: &str) -> ObjectId {
    ObjectId {
        kind,
        namespace: namespace.map(str::to_owned),
        name: name.to_owned(),
    }
}

/// The targets, taken from owned options (their strings move into the plan) or copied.
fn take_targets(options: &mut Cow<'_, Options>) -> Vec<Resolved> {
    match options {
        Cow::Owned(owned) => {
            let targets = std::mem::take(&mut owned.targets);
            resolve_targets(owned, targets.into_iter().map(Cow::Owned))
        }
        Cow::Borrowed(options) => {
            resolve_targets(options, options.targets.iter().map(Cow::Borrowed))
        }
    }
}

/// One identity where the monitorings read the token: in `namespace`, or (a PodMonitoring
/// reads only its own namespace's Secrets) in each target namespace.
fn identities(options: &Options, names: &Names, namespaces: &[String]) -> Vec<Identity> {
    let pod_mode = options.monitoring == MonitoringMode::Pod;
    let namespaced_grant = pod_mode || options.secret_access == SecretAccess::Namespaced;
    let (role_kind, binding_kind) = if namespaced_grant {
        (Kind::Role, Kind::RoleBinding)
    } else {
        (Kind::ClusterRole, Kind::ClusterRoleBinding)
    };
    // prometheus-operator reads the Secrets itself: no grant to make.
    let gmp = options.collector == Collector::Gmp;
    let identity = |ns: &str| {
        let grant_ns = namespaced_grant.then_some(ns);
        Identity {
            service_account: id(Kind::ServiceAccount, Some(ns), &names.account.name),
            token_secret: id(Kind::Secret, Some(ns), &names.token_secret.name),
            secret_reader_role: gmp
                .then(|| id(role_kind, grant_ns, &names.secret_reader_role.name)),
            collector_binding: gmp
                .then(|| id(binding_kind, grant_ns, &names.collector_binding.name)),
            tls_secrets: Vec::new(),
        }
    };
    if pod_mode {
        namespaces.iter().map(|ns| identity(ns)).collect()
    } else {
        vec![identity(&options.namespace)]
    }
}

/// The auth delegations, and which each target uses.
struct Delegations {
    /// One binding per ServiceAccount to delegate, with where its name came from: the
    /// top-level authDelegation's, then each target's own, in order.
    list: Vec<(AuthDelegation, Sources)>,
    /// Each target's binding; a target without its own shares the top-level's.
    of_target: Vec<Option<usize>>,
}

/// The auth delegations of `options` and of each of `targets`.
fn delegations(naming: &Naming<'_>, options: &Options, targets: &[Resolved]) -> Delegations {
    let mut list: Vec<(AuthDelegation, Sources)> = Vec::new();
    let mut delegated: HashMap<String, usize> = HashMap::new();
    let mut delegate = |subject: &str, target: Option<usize>| -> Option<usize> {
        if let Some(&i) = delegated.get(subject) {
            return Some(i);
        }
        // Refused by the field rules when it is no NS/NAME: nothing to bind then.
        let account = ServiceAccountRef::split(subject)?;
        let mut binding = naming.name(
            "authDelegation",
            None,
            || {
                let name = format!("{}:{}:auth-delegator", account.namespace, account.name);
                (name, None)
            },
            true,
        );
        binding.sources.of_target = target;
        list.push((
            AuthDelegation {
                binding: id(Kind::ClusterRoleBinding, None, &binding.name),
                subject: account,
            },
            binding.sources,
        ));
        delegated.insert(subject.to_owned(), list.len() - 1);
        Some(list.len() - 1)
    };
    let shared = options
        .auth_delegation
        .as_deref()
        .and_then(|subject| delegate(subject, None));
    let of_target = targets
        .iter()
        .enumerate()
        .map(|(i, t)| match t.auth_delegation.as_deref() {
            Some(subject) => delegate(subject, Some(i)),
            None => shared,
        })
        .collect();
    Delegations { list, of_target }
}

/// The targets' plans as they are made, with what they add to the identities (the TLS Secrets
/// each reader may read) and the TLS table (shared by index).
struct Targets<'o> {
    options: &'o Options,
    identities: Vec<Identity>,
    /// Each identity's index, by namespace.
    identity_index: HashMap<String, usize>,
    /// The top-level TLS settings first, then each target's own, as they come.
    tls: Vec<TlsOptions>,
    /// The top-level block's index.
    shared_tls: Option<usize>,
    /// The TLS Secrets each identity lists already.
    tls_seen: Vec<HashSet<String>>,
    warnings: Vec<Warning>,
}

impl<'o> Targets<'o> {
    fn new(options: &'o Options, identities: Vec<Identity>) -> Self {
        let identity_index = identities
            .iter()
            .enumerate()
            .map(|(i, identity)| (identity.namespace().to_owned(), i))
            .collect();
        Self {
            options,
            tls_seen: vec![HashSet::new(); identities.len()],
            identities,
            identity_index,
            tls: options.tls.iter().cloned().collect(),
            shared_tls: options.tls.as_ref().map(|_| 0),
            warnings: Vec::new(),
        }
    }

    /// The plan of the `i`-th target, its monitoring named after `monitoring`, its auth
    /// delegation the `i`-th of `delegation_of`.
    fn target(
        &mut self,
        i: usize,
        mut t: Resolved,
        monitoring: &Named,
        delegation_of: &[Option<usize>],
    ) -> TargetPlan {
        let options = self.options;
        let pod_mode = options.monitoring == MonitoringMode::Pod;
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
        let identity = self
            .identity_index
            .get(identity_ns)
            .copied()
            .unwrap_or_default();
        let scheme = t.scheme.unwrap_or(options.scheme);
        let tls = self.tls_of(i, t.tls.take(), scheme);
        self.list_tls_secrets(tls, identity);
        TargetPlan {
            tls,
            auth_delegation: delegation_of.get(i).copied().flatten(),
            // Equal to the shared endpoint's: nothing of its own to keep.
            port: t.port.take().filter(|p| *p != options.port),
            scheme: t.scheme.filter(|s| *s != options.scheme),
            monitoring: {
                let (kind, namespace) = match (options.collector, pod_mode) {
                    (Collector::Gmp, false) => (Kind::ClusterPodMonitoring, None),
                    (Collector::Gmp, true) => (Kind::PodMonitoring, Some(t.namespace.clone())),
                    // Beside the identity whose Secret it reads: a PodMonitor reads no other
                    // namespace's.
                    (Collector::PrometheusOperator, _) => {
                        let kind = if t.service.is_some() {
                            Kind::ServiceMonitor
                        } else {
                            Kind::PodMonitor
                        };
                        (kind, Some(identity_ns.to_owned()))
                    }
                };
                ObjectId {
                    kind,
                    namespace,
                    name,
                }
            },
            identity,
            pods_in_namespace: pod_mode || t.given_namespace,
            name: t.name,
            namespace: t.namespace,
            selector: t.selector,
            service: t.service,
        }
    }

    /// The TLS settings of the `i`-th target scraping with `scheme`: its `own`, else the
    /// top-level ones for an https scrape; with their warnings.
    fn tls_of(&mut self, i: usize, own: Option<TlsOptions>, scheme: Scheme) -> Option<usize> {
        let options = self.options;
        if let Some(own) = own {
            let at = format!("targets[{i}].tls");
            self.warnings.extend(tls::warnings(&at, Some(&own), scheme));
            self.tls.push(own);
            return Some(self.tls.len() - 1);
        }
        // The shared block's warnings are judged with the shared scheme, once, by resolve.
        if scheme != options.scheme {
            let at = format!("targets[{i}].scheme");
            self.warnings
                .extend(tls::warnings(&at, options.tls.as_ref(), scheme));
        }
        // The top-level block serves the https scrapes only.
        self.shared_tls.filter(|_| scheme == Scheme::Https)
    }

    /// Lets the reader of `identity` read the Secrets of TLS settings `tls` (but its token's).
    fn list_tls_secrets(&mut self, tls: Option<usize>, identity: usize) {
        let (Some(config), Some(reader), Some(seen)) = (
            tls.and_then(|i| self.tls.get(i)),
            self.identities.get_mut(identity),
            self.tls_seen.get_mut(identity),
        ) else {
            return;
        };
        for (_, r) in config.secret_refs() {
            // Checked before cloning: a fleet sharing one block repeats the same names.
            if r.secret != reader.token_secret.name && !seen.contains(&r.secret) {
                seen.insert(r.secret.clone());
                reader.tls_secrets.push(r.secret.clone());
            }
        }
    }
}

/// The alert rule objects: one ClusterRules, or one Rules per target namespace; under
/// prometheus-operator, PrometheusRules in the same places (the cluster's one in `namespace`).
fn alerts(options: &Options, name: &Named, namespaces: &[String]) -> Option<AlertsPlan> {
    let gmp = options.collector == Collector::Gmp;
    options.alerts.enabled.then(|| AlertsPlan {
        objects: match (options.alerts.scope, gmp) {
            (RulesScope::Cluster, true) => vec![id(Kind::ClusterRules, None, &name.name)],
            (RulesScope::Cluster, false) => {
                vec![id(
                    Kind::PrometheusRule,
                    Some(&options.namespace),
                    &name.name,
                )]
            }
            (RulesScope::Namespaced, _) => {
                let kind = if gmp {
                    Kind::Rules
                } else {
                    Kind::PrometheusRule
                };
                namespaces
                    .iter()
                    .map(|ns| id(kind, Some(ns), &name.name))
                    .collect()
            }
        },
        thresholds: options.alerts.clone(),
    })
}

/// The metric schema: `metricsSchema`, else what the presets' installs emit at `eppVersion`
/// (each preset's project counting the version), else by `eppVersion` read as GIE's, else the
/// seed's `inference-model`. Presets that emit different schemas are refused: one set of alerts
/// and one dashboard cannot name both.
pub(super) fn metrics_schema(found: &mut ProblemsBuilder, options: &Options) -> MetricsSchema {
    if let Some(schema) = options.metrics_schema {
        return schema;
    }
    let version = options
        .epp_version
        .as_deref()
        .and_then(releases::parse_version);
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

/// A target before its objects are named.
struct Resolved {
    name: Option<String>,
    namespace: String,
    /// Whether the target named its namespace (rather than taking the top-level one).
    given_namespace: bool,
    selector: LabelSelector,
    /// The Services a ServiceMonitor selects (`scrapeThrough: service` only).
    service: Option<LabelSelector>,
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
    let through_service = options.scrape_through == ScrapeThrough::Service;
    // A given selector wins over the preset's; validation refused a target with neither.
    let service = |given: Option<LabelSelector>, preset: Option<&Preset>| {
        through_service
            .then(|| given.or_else(|| preset.and_then(Preset::service_selector)))
            .flatten()
    };
    if targets.len() == 0 {
        return vec![Resolved {
            service: service(options.service_selector.clone(), options.preset.as_ref()),
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
                service_selector,
                tls,
                auth_delegation,
                port,
                scheme,
            } = t.into_owned();
            Resolved {
                service: service(service_selector, preset.as_ref()),
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
