//! A bundle judged against the user's manifests: does each monitoring reach an endpoint picker
//! and get its metrics? GMP reports none of what is checked here; a scrape that cannot work
//! just yields no series.
//!
//! Per (Cluster)PodMonitoring or prometheus-operator PodMonitor or ServiceMonitor of the
//! bundle, [`check`] proves that
//!
//! 1. its selector selects at least one endpoint-picker pod template (in its namespace, for a
//!    PodMonitoring; in those of its `namespaceSelector`, for a PodMonitor) and no other pod
//!    template; a ServiceMonitor's selects a Service of the manifests (in its
//!    `namespaceSelector`'s namespaces) with the endpoint's port, and so does that Service's
//!    selector, the port leading to the container port (`monitorings`);
//! 2. each endpoint's port is a port of the picker container, the one it serves `/metrics` on;
//! 3. the scheme and TLS match the picker's flags (`--metrics-cert-dir`,
//!    `--metrics-client-ca-file`), and a token is sent where `/metrics` checks one;
//! 4. the picker's ServiceAccount may create TokenReviews and SubjectAccessReviews (granted in
//!    the manifests or in the bundle), without which every scrape gets 500;
//! 5. the metric names the bundle queries are those the picker's release emits;
//!
//! and that the bundle's own chain (token Secret, reader RBAC, the collector's grants) is
//! closed ([`crate::world::relations`]), and that a Prometheus of the manifests takes each
//! PodMonitor, ServiceMonitor and PrometheusRule (`selection`). A finding is a [`Finding`]
//! naming the object and field; what works but is worth knowing (auth off while a token is
//! sent, an image of no known release) is a [`Warning`].

use std::collections::BTreeSet;

use k8s_openapi::api::rbac::v1::{ClusterRole, ClusterRoleBinding};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use serde::Serialize;

use crate::diagnostics::{Finding, Problems, SHOWN_NAMES, Warning, listed};
use crate::kinds::{BundleKind, Kind, Object, ObjectRef};
use crate::options::releases::{self, MetricsSchema};
use crate::options::selector::{Matcher, UnknownOperator};
use crate::options::{COLLECTOR_SERVICE_ACCOUNT, LabelSelector as PodSelector};
use crate::world::manifests::{
    self, Manifests, Serving, Templates, Workload, find_pickers, picker_container, release_of,
    service_account_of,
};
use crate::world::monitorings::{Endpoint, Monitoring, monitorings};

/// What [`check`] found: empty [`Check::findings`] means every monitoring scrapes.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Check {
    /// What breaks a scrape; each names the object and field (`PodMonitoring/ns/name`,
    /// `spec.endpoints[0].port`), the value, and why.
    pub findings: Vec<Finding>,
    /// What works but is worth knowing.
    pub warnings: Vec<Warning>,
    /// Each monitoring of the bundle and the endpoint pickers it selects.
    pub monitorings: Vec<Scrapes>,
    /// Each endpoint picker a monitoring selects, once, as the manifests describe it: what
    /// `verify` checks again on the live cluster ([`crate::VerifyOptions::preflight`]).
    pub pickers: Vec<Picker>,
}

/// An endpoint picker as the manifests describe it: where it runs and how it serves `/metrics`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Picker {
    /// The workload.
    pub workload: ObjectRef,
    /// The workload's kind as `kubectl get` takes it: `deployment` or `statefulset`.
    pub resource: String,
    /// Its namespace.
    pub namespace: String,
    /// Its name.
    pub name: String,
    /// The picker container's name.
    pub container: String,
    /// The port it serves `/metrics` on (`--metrics-port`, else 9090); `None` when the flag is
    /// no port number.
    pub metrics_port: Option<i32>,
    /// Whether `/metrics` is served over TLS (`--metrics-cert-dir`).
    pub tls: bool,
    /// Whether it checks tokens (`--metrics-endpoint-auth`, on by default).
    pub auth: bool,
    /// Its ServiceAccount's name (in `namespace`).
    pub service_account: String,
}

impl Picker {
    fn of(workload: &Workload<'_>) -> Self {
        let container = picker_container(workload);
        let serving = Serving::of(container);
        Self {
            workload: workload.id(),
            resource: workload.kind.as_str().to_ascii_lowercase(),
            namespace: workload.namespace.to_owned(),
            name: workload.name.to_owned(),
            container: container
                .map_or(manifests::EPP_CONTAINER, |c| c.name.as_str())
                .to_owned(),
            metrics_port: listening_port(&serving),
            tls: serving.tls,
            auth: serving.auth,
            service_account: service_account_of(workload).name,
        }
    }
}

/// The port a picker serves `/metrics` on: `--metrics-port`, else the default; `None` when the
/// flag is no port number.
fn listening_port(serving: &Serving<'_>) -> Option<i32> {
    match serving.port_flag {
        None => Some(i32::from(releases::METRICS_PORT.number)),
        Some(text) => text.parse::<u16>().ok().filter(|n| *n > 0).map(i32::from),
    }
}

/// One monitoring and the pickers it selects.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Scrapes {
    /// The monitoring: a (Cluster)PodMonitoring, PodMonitor or ServiceMonitor.
    pub monitoring: ObjectRef,
    /// The picker workloads it selects.
    pub pickers: Vec<ObjectRef>,
}

impl Check {
    /// Whether nothing breaks a scrape (warnings aside).
    pub fn is_clean(&self) -> bool {
        self.findings.is_empty()
    }
}

/// Reads a bundle (a YAML stream or JSON, `List`s opened, within the caps of
/// [`Manifests::read`]) into its objects; objects of kinds a bundle does not hold (see
/// [`crate::Kind`]) are left out. `source` names the input in problems.
pub fn read_bundle(source: &str, text: &str) -> Result<Vec<Object<'static>>, Problems> {
    let mut objects = Vec::new();
    manifests::read_objects(source, text, &mut |at, kind, value| {
        if !Kind::ALL.iter().any(|k| k.as_str() == kind) {
            return Ok(());
        }
        let object = serde_json::from_value::<Object<'static>>(value)
            .map_err(|e| vec![manifests::does_not_read(at, kind, &e)])?;
        // Its names reach findings and verify's commands as the manifests' do.
        manifests::admit_metadata(at, kind, object.metadata())?;
        objects.push(object);
        Ok(())
    })?;
    Ok(objects)
}

/// The finding on a selector whose requirement `unknown` has an operator no API server takes.
pub(super) fn unknown_operator(id: &ObjectRef, unknown: UnknownOperator) -> Finding {
    finding(
        on(
            id,
            format!("spec.selector.matchExpressions[{}].operator", unknown.index),
        ),
        Vec::new(),
        unknown.operator,
        "is not In, NotIn, Exists or DoesNotExist: the API server refuses it".to_owned(),
    )
}

/// A finding.
pub(super) fn finding(
    at: At,
    also: Vec<ObjectRef>,
    value: impl Into<String>,
    rule: String,
) -> Finding {
    let (object, field) = at;
    Finding {
        object,
        field,
        also,
        value: Some(value.into()),
        rule,
    }
}

/// Where a finding is: an object and its field, or (no object) an option or the bundle.
type At = (Option<ObjectRef>, String);

/// `field` of `object`.
pub(super) fn on(object: &ObjectRef, field: impl Into<String>) -> At {
    (Some(object.clone()), field.into())
}

/// Judges `bundle` (objects rendered by this crate, read back from YAML, or listed from a
/// cluster) against `manifests` (see the module's documentation). `schema` is the metric
/// schema the bundle's alerts, dashboard and verify query, when known (a [`crate::Plan`]'s);
/// without it, the schema is read from the bundle's Rules and ClusterRules, if any.
///
/// ```
/// use igw_monitoring::{Options, Plan, manifests::Manifests};
///
/// let mut manifests = Manifests::new();
/// manifests.read("epp.yaml", r#"
/// apiVersion: apps/v1
/// kind: Deployment
/// metadata: {name: epp, namespace: inference}
/// spec:
///   selector: {matchLabels: {app: epp}}
///   template:
///     metadata: {labels: {app: epp}}
///     spec:
///       containers:
///       - name: epp
///         image: registry.k8s.io/gateway-api-inference-extension/epp:v1.0.0
///         ports: [{name: metrics, containerPort: 9090}]
/// "#)?;
/// // The seed's selector (app=inference-gateway-ext-proc) misses these pods.
/// let plan = Plan::try_from(Options::default())?;
/// let check = plan.check(&manifests);
/// assert!(!check.is_clean());
/// assert!(check.findings[0].rule.contains("selects no endpoint-picker pod template"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn check<'a>(
    manifests: &Manifests,
    bundle: impl IntoIterator<Item = impl Into<Object<'a>>>,
    schema: Option<MetricsSchema>,
) -> Check {
    let objects: Vec<Object<'a>> = bundle.into_iter().map(Into::into).collect();
    let templates = Templates::new(manifests);
    let (found, _) = find_pickers(manifests, &templates);
    let pickers: BTreeSet<usize> = found.iter().map(|(i, _, _)| *i).collect();
    let bindings: Vec<&ClusterRoleBinding> = manifests
        .cluster_role_bindings
        .iter()
        .chain(objects.iter().filter_map(ClusterRoleBinding::of))
        .collect();
    let roles: Vec<&ClusterRole> = manifests
        .cluster_roles
        .iter()
        .chain(objects.iter().filter_map(ClusterRole::of))
        .collect();
    let mut check = Check::default();
    let mut scraped: BTreeSet<usize> = BTreeSet::new();
    let views: Vec<Monitoring<'_>> = (objects.iter())
        .flat_map(|o| monitorings(o, manifests, &mut check))
        .collect();
    for monitoring in views {
        let selector = match PodSelector::try_from(&*monitoring.selector) {
            Ok(selector) => selector,
            Err(unknown) => {
                check
                    .findings
                    .push(unknown_operator(&monitoring.id, unknown));
                check.monitorings.push(Scrapes {
                    monitoring: monitoring.id,
                    pickers: Vec::new(),
                });
                continue;
            }
        };
        let matcher = Matcher::of(&selector);
        let selected = selected(&monitoring, &selector, &matcher, &templates);
        let (mine, others): (Vec<usize>, Vec<usize>) =
            selected.into_iter().partition(|i| pickers.contains(i));
        let field = on(&monitoring.id, "spec.selector");
        let names = |list: &[usize]| {
            listed(
                list.iter()
                    .filter_map(|&i| templates.workloads.get(i).map(Workload::id)),
            )
        };
        let some = |list: &[usize]| -> Vec<ObjectRef> {
            list.iter()
                .take(SHOWN_NAMES)
                .filter_map(|&i| templates.workloads.get(i).map(Workload::id))
                .collect()
        };
        // A ServiceMonitor's findings show its own selector and name the Service in between.
        let (shown, through) = match &monitoring.via {
            Some((service, own)) => (
                own.clone(),
                format!("takes {service}, whose selector {selector} "),
            ),
            None => (selector.to_string(), String::new()),
        };
        if selector.is_empty() {
            check.findings.push(finding(
                field.clone(),
                Vec::new(),
                "{}",
                format!(
                    "is empty: it selects every pod {}, and {} scrapes each with the reader's token; select the endpoint picker's pod labels",
                    monitoring.namespaces.as_ref().map_or_else(
                        || "of the cluster".to_owned(),
                        |names| format!("of namespace {}", names.join(", "))
                    ),
                    monitoring.scraper
                ),
            ));
        } else if mine.is_empty() {
            check.findings.push(finding(
                field.clone(),
                some(&others),
                shown,
                format!(
                    "{through}selects no endpoint-picker pod template in the manifests{}: {} scrapes nothing",
                    missed(&monitoring, &matcher, &others, &pickers, &templates.workloads),
                    monitoring.scraper
                ),
            ));
        } else if !others.is_empty() {
            check.findings.push(finding(
                field,
                some(&others),
                shown,
                format!(
                    "{through}also selects pods that run no endpoint picker ({}): {} scrapes them too, on a port that is not theirs",
                    names(&others),
                    monitoring.scraper
                ),
            ));
        }
        for &i in &mine {
            let Some(workload) = templates.workloads.get(i) else {
                continue;
            };
            let first = scraped.insert(i);
            judge_endpoints(&monitoring, workload, &mut check);
            if first {
                judge_reviews(workload, &bindings, &roles, &mut check);
                check.pickers.push(Picker::of(workload));
            }
        }
        check.monitorings.push(Scrapes {
            monitoring: monitoring.id,
            pickers: mine
                .iter()
                .filter_map(|&i| templates.workloads.get(i).map(Workload::id))
                .collect(),
        });
    }
    judge_schema(&objects, schema, &templates, &scraped, &mut check);
    for &i in pickers.difference(&scraped) {
        if let Some(workload) = templates.workloads.get(i) {
            check.warnings.push(Warning::object(
                workload.id(),
                "",
                "is an endpoint picker no monitoring of the bundle selects: its metrics are not scraped",
            ));
        }
    }
    crate::world::selection::judge(manifests, &objects, &mut check);
    let collector = collector_namespace(&objects);
    for link in crate::world::relations::broken_links(objects.iter(), &collector) {
        check.findings.push(finding(
            (None, "bundle".to_owned()),
            Vec::new(),
            link.place().unwrap_or_else(|| "bundle".to_owned()),
            format!("breaks the scrape chain: {}", link.rule),
        ));
    }
    check
}

/// The pod templates `monitoring` selects (`selector`, read as `matcher`), in its namespace
/// for a PodMonitoring.
fn selected(
    monitoring: &Monitoring<'_>,
    selector: &PodSelector,
    matcher: &Matcher,
    templates: &Templates<'_>,
) -> Vec<usize> {
    templates
        .candidates(&selector.match_labels)
        .filter(|&i| {
            templates.workloads.get(i).is_some_and(|w| {
                (monitoring.namespaces.as_ref()).is_none_or(|names| names.contains(&w.namespace))
                    && matcher.matches(w.labels)
            })
        })
        .collect()
}

/// Why a monitoring that selects no picker misses them, when the manifests tell.
fn missed(
    monitoring: &Monitoring<'_>,
    matcher: &Matcher,
    others: &[usize],
    pickers: &BTreeSet<usize>,
    workloads: &[Workload<'_>],
) -> String {
    if let Some(names) = &monitoring.namespaces {
        let elsewhere: Vec<ObjectRef> = pickers
            .iter()
            .filter_map(|&i| workloads.get(i))
            .filter(|w| !names.contains(&w.namespace) && matcher.matches(w.labels))
            .map(|w| w.id())
            .collect();
        if !elsewhere.is_empty() {
            return format!(
                " (it would select {}, but {})",
                listed(&elsewhere),
                monitoring.namespace_rule()
            );
        }
    }
    let ids: Vec<ObjectRef> = others
        .iter()
        .filter_map(|&i| workloads.get(i).map(Workload::id))
        .collect();
    match (pickers.is_empty(), ids.is_empty()) {
        (_, false) => format!(" (only {}, which run none)", listed(&ids)),
        (true, true) => " (they hold none)".to_owned(),
        (false, true) => " (nor any other pod template)".to_owned(),
    }
}

/// Findings on each endpoint of `monitoring` against the picker of `workload`: port, scheme,
/// TLS and token.
fn judge_endpoints(monitoring: &Monitoring<'_>, workload: &Workload<'_>, check: &mut Check) {
    let container = picker_container(workload);
    let serving = Serving::of(container);
    let Some(listening) = listening_port(&serving) else {
        if !monitoring.endpoints.is_empty() {
            check.findings.push(finding(
                on(&workload.id(), "--metrics-port"),
                vec![monitoring.id.clone()],
                serving.port_flag.unwrap_or_default(),
                "is not a port number from 1 to 65535: the picker cannot serve /metrics".to_owned(),
            ));
        }
        return;
    };
    let picker = Served {
        id: workload.id(),
        container: container.map_or(manifests::EPP_CONTAINER, |c| c.name.as_str()),
        ports: container
            .and_then(|c| c.ports.as_ref())
            .into_iter()
            .flatten()
            .map(|p| (p.name.as_deref().unwrap_or(""), p.container_port))
            .collect(),
        serving,
        listening,
    };
    for endpoint in &monitoring.endpoints {
        let at = |field: &str| {
            let (list, i) = (endpoint.list, endpoint.index);
            on(&monitoring.id, format!("{list}[{i}].{field}"))
        };
        picker.judge_port(endpoint, monitoring.scraper, &at, check);
        picker.judge_scheme(endpoint, &at, check);
    }
}

/// A picker as its endpoints are judged against it.
struct Served<'w> {
    /// The picker's workload.
    id: ObjectRef,
    /// Its container's name.
    container: &'w str,
    /// The container's ports, name and number.
    ports: Vec<(&'w str, i32)>,
    serving: Serving<'w>,
    /// The port it serves `/metrics` on.
    listening: i32,
}

impl Served<'_> {
    /// The port it serves on, and what says so.
    fn serves(&self) -> String {
        match self.serving.port_flag {
            Some(flag) => format!("{}, which --metrics-port={flag} says", self.listening),
            None => format!("{}, its default", self.listening),
        }
    }

    /// A finding on `field` (through `at`) of an endpoint scraping this picker.
    fn finding(&self, at: At, value: impl Into<String>, rule: String) -> Finding {
        finding(at, vec![self.id.clone()], value, rule)
    }

    /// The endpoint's port is a port of the container, the one it serves `/metrics` on.
    fn judge_port(
        &self,
        endpoint: &Endpoint<'_>,
        scraper: &str,
        at: &dyn Fn(&str) -> At,
        check: &mut Check,
    ) {
        let picker = &self.id;
        let Some((field, port)) = &endpoint.port else {
            let (object, field) = at("port");
            check.findings.push(Finding {
                object,
                field,
                also: vec![picker.clone()],
                value: None,
                rule: format!(
                    "is missing, as is portNumber: {scraper} scrapes every port of the pods; name the one {picker} serves /metrics on, {}",
                    self.serves()
                ),
            });
            return;
        };
        match port {
            IntOrString::String(name) => match self.ports.iter().find(|(n, _)| n == name) {
                None => check.findings.push(self.finding(
                    at(field),
                    name.clone(),
                    format!(
                        "names no port of container {} of {picker} (its ports: {}): {scraper} finds no target",
                        self.container,
                        if self.ports.is_empty() {
                            "none".to_owned()
                        } else {
                            self.ports
                                .iter()
                                .map(|(n, p)| format!("{n} {p}"))
                                .collect::<Vec<_>>()
                                .join(", ")
                        }
                    ),
                )),
                Some((_, number)) if *number != self.listening => check.findings.push(self.finding(
                    at(field),
                    name.clone(),
                    format!(
                        "is container port {number} of {picker}, but the picker serves /metrics on {}",
                        self.serves()
                    ),
                )),
                Some(_) => {}
            },
            IntOrString::Int(number) if *number != self.listening => {
                check.findings.push(self.finding(
                    at(field),
                    number.to_string(),
                    format!(
                        "is not the port {picker} serves /metrics on: {}",
                        self.serves()
                    ),
                ));
            }
            IntOrString::Int(_) => {}
        }
    }

    /// The endpoint's scheme, client certificate and token are what the picker's flags ask.
    fn judge_scheme(&self, endpoint: &Endpoint<'_>, at: &dyn Fn(&str) -> At, check: &mut Check) {
        let picker = &self.id;
        match (endpoint.https, self.serving.tls) {
            (false, true) => check.findings.push(self.finding(
                at("scheme"),
                "http",
                format!(
                    "but {picker} serves /metrics over TLS (--metrics-cert-dir): every scrape fails; use https (scheme, tls)"
                ),
            )),
            (true, false) => check.findings.push(self.finding(
                at("scheme"),
                "https",
                format!(
                    "but {picker} serves /metrics over plain HTTP (no --metrics-cert-dir): every scrape fails; use http"
                ),
            )),
            _ => {}
        }
        let (cert_field, client_cert) = endpoint.client_cert;
        if self.serving.mtls && endpoint.https && !client_cert {
            check.findings.push(self.finding(
                at(cert_field),
                "",
                format!(
                    "is missing: {picker} asks scrapes for a client certificate (--metrics-client-ca-file); set tls.cert and tls.key (--tls-cert-secret, --tls-key-secret)"
                ),
            ));
        }
        match (self.serving.auth, endpoint.token) {
            (true, None) => check.findings.push(self.finding(
                at("authorization"),
                "",
                format!(
                    "is missing: {picker} checks a bearer token on /metrics (--metrics-endpoint-auth is on): every scrape gets 401"
                ),
            )),
            (false, Some(secret)) => {
                let (object, field) = at("authorization");
                check.warnings.push(Finding {
                    object,
                    field,
                    also: Vec::new(),
                    value: None,
                    rule: format!(
                        "sends the token of Secret {secret:?}, but {picker} checks none (--metrics-endpoint-auth=false): the token and its RBAC are not needed"
                    ),
                });
            }
            _ => {}
        }
    }
}

/// A finding when the picker of `workload` checks tokens but its ServiceAccount may not ask the
/// API server to review them (granted neither in the manifests nor in the bundle).
fn judge_reviews(
    workload: &Workload<'_>,
    bindings: &[&ClusterRoleBinding],
    roles: &[&ClusterRole],
    check: &mut Check,
) {
    if !Serving::of(picker_container(workload)).auth {
        return;
    }
    let account = service_account_of(workload);
    if manifests::may_review(bindings.iter().copied(), roles.iter().copied(), &account) {
        return;
    }
    check.findings.push(finding(
        on(&workload.id(), "spec.template.spec.serviceAccountName"),
        Vec::new(),
        account.to_string(),
        "may not create TokenReviews and SubjectAccessReviews (no ClusterRoleBinding of the manifests or the bundle grants them): every scrape gets 500; bind it to system:auth-delegator (authDelegation, --auth-delegation)".to_owned(),
    ));
}

/// The picker image of `workload`, the plain schemas it emits, and whether its tag names a
/// release (else, for an unreleased tag of a known project such as `main`, its newest
/// release's are assumed); `None` when the image is of no known project.
fn emitted<'m>(workload: &Workload<'m>) -> Option<(&'m str, Vec<MetricsSchema>, bool)> {
    let image = picker_container(workload)?.image.as_deref()?;
    match release_of(image) {
        (Some(project), Some(version)) => {
            Some((image, releases::emitted_at(project, version), true))
        }
        (Some(project), None) => {
            let newest = releases::newest(project)?;
            Some((image, releases::emitted_at(project, newest.first), false))
        }
        _ => None,
    }
}

/// Findings when the bundle queries metric names a selected picker does not emit: against
/// `schema` when given, else per rule of the bundle's Rules and ClusterRules (a Rules object
/// sees its namespace's pickers, a ClusterRules every one).
fn judge_schema(
    objects: &[Object<'_>],
    schema: Option<MetricsSchema>,
    templates: &Templates<'_>,
    scraped: &BTreeSet<usize>,
    check: &mut Check,
) {
    let names = |list: &[MetricsSchema]| {
        list.iter()
            .map(|s| s.as_str())
            .collect::<Vec<_>>()
            .join(" and ")
    };
    // Found once: a bundle of a fleet holds thousands of monitorings and few rule objects.
    let rule_objects: Vec<_> = if schema.is_none() {
        objects.iter().filter_map(rules).collect()
    } else {
        Vec::new()
    };
    for &i in scraped {
        let Some(workload) = templates.workloads.get(i) else {
            continue;
        };
        let Some((image, emits, released)) = emitted(workload) else {
            let image = picker_container(workload)
                .and_then(|c| c.image.as_deref())
                .unwrap_or("");
            check.warnings.push(Warning::object(
                workload.id(),
                "",
                format!(
                    "image {image:?} is of no endpoint-picker project this tool knows: the metric names are not checked"
                ),
            ));
            continue;
        };
        if !released {
            check.warnings.push(Warning::object(
                workload.id(),
                "",
                format!(
                    "image {image:?} names no release this tool knows (a tag such as main): the metric names are checked as its project's newest release emits them ({})",
                    names(&emits)
                ),
            ));
        }
        if let Some(schema) = schema {
            if !schema.finds(&emits) {
                check.findings.push(finding(
                    (None, "metricsSchema".to_owned()),
                    vec![workload.id()],
                    schema.as_str(),
                    format!(
                        "is not what {} emits: its image {image:?} emits {} names, so alerts, dashboard and verify find no series (metricsSchema, --metrics-schema)",
                        workload.id(),
                        names(&emits)
                    ),
                ));
            }
            continue;
        }
        for (id, namespace, groups) in &rule_objects {
            if namespace.is_some_and(|ns| ns != workload.namespace) {
                continue;
            }
            for (g, group) in groups.iter().enumerate() {
                for (r, rule) in group.rules.iter().enumerate() {
                    let queried = queried_schemas(&rule.expr);
                    if queried.is_empty() || queried.iter().any(|s| emits.contains(s)) {
                        continue;
                    }
                    check.findings.push(finding(
                        on(id, format!("spec.groups[{g}].rules[{r}].expr")),
                        vec![workload.id()],
                        rule.alert.clone().or_else(|| rule.record.clone()).unwrap_or_default(),
                        format!(
                            "queries {} names, but {} (image {image:?}) emits {} names: the rule never sees a series",
                            names(&queried),
                            workload.id(),
                            names(&emits)
                        ),
                    ));
                }
            }
        }
    }
}

/// A rules object's id, the namespace it evaluates (`None`: the cluster) and its groups.
fn rules<'o>(
    object: &'o Object<'_>,
) -> Option<(ObjectRef, Option<&'o str>, &'o [gmp_types::RuleGroup])> {
    match object {
        Object::Rules(r) => {
            let ns = r.metadata.namespace.as_deref().unwrap_or("default");
            Some((
                ObjectRef::new(Kind::Rules.as_str(), Some(ns), name_of(&r.metadata)),
                Some(ns),
                &r.spec.groups,
            ))
        }
        Object::ClusterRules(r) => Some((
            ObjectRef::new(Kind::ClusterRules.as_str(), None, name_of(&r.metadata)),
            None,
            &r.spec.groups,
        )),
        _ => None,
    }
}

fn name_of(meta: &ObjectMeta) -> &str {
    meta.name.as_deref().unwrap_or("")
}

/// The plain schemas whose catalogued names a PromQL expression names.
fn queried_schemas(expr: &str) -> Vec<MetricsSchema> {
    let words: BTreeSet<&str> = expr
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == ':'))
        .filter(|w| !w.is_empty())
        .collect();
    MetricsSchema::ALL
        .into_iter()
        .filter(|s| s.fallback().is_none())
        .filter(|s| words.iter().any(|w| s.family(w).is_some()))
        .collect()
}

/// The namespace GMP's collector runs in, as the bundle's grants to it say (`gmp-system`, a
/// Standard cluster's, when none does).
fn collector_namespace(objects: &[Object<'_>]) -> String {
    objects
        .iter()
        .flat_map(|o| match o {
            Object::ClusterRoleBinding(b) => b.subjects.as_deref().unwrap_or_default(),
            Object::RoleBinding(b) => b.subjects.as_deref().unwrap_or_default(),
            _ => &[],
        })
        .find(|s| s.kind == "ServiceAccount" && s.name == COLLECTOR_SERVICE_ACCOUNT)
        .and_then(|s| s.namespace.clone())
        .unwrap_or_else(|| "gmp-system".to_owned())
}

impl crate::plan::Plan {
    /// This plan's bundle judged against `manifests` ([`check`], with the plan's metric
    /// schema).
    pub fn check(&self, manifests: &Manifests) -> Check {
        let mut objects = Vec::with_capacity(self.object_count());
        // The sink never fails, and making objects fails only through its sink.
        let _ = self.each_object(&mut |object| {
            objects.push(object.into_owned());
            Ok(())
        });
        check(manifests, objects, Some(self.metrics_schema()))
    }
}
