//! The bundle's monitorings as the checks read them: one view of what each kind selects and
//! how it scrapes, so that [`super::check`] judges GMP's (Cluster)PodMonitorings,
//! prometheus-operator's PodMonitors and ServiceMonitors alike. A ServiceMonitor selects
//! Services, not pods: it is read through the Services of the manifests it takes, as the
//! monitorings of their pods.

use std::borrow::Cow;

use gmp_types::{Scheme, ScrapeEndpoint};
use k8s_openapi::api::core::v1::Service;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, ObjectMeta};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use prometheus_operator_types::{
    Endpoint as ServiceEndpoint, NamespaceSelector, PodMetricsEndpoint, SafeAuthorization,
    SafeTlsConfig, Scheme as OperatorScheme, ServiceMonitor,
};

use super::check::{Check, finding, on, unknown_operator};
use crate::diagnostics::{Warning, listed};
use crate::kinds::{Kind, Object, ObjectRef};
use crate::options::LabelSelector as PodSelector;
use crate::options::selector::Matcher;
use crate::world::manifests::Manifests;

/// Who scrapes what a prometheus-operator monitor selects, as findings name it.
const SCRAPER: &str = "Prometheus";

/// A monitoring of any kind, as the checks read it: what pods it selects, and how it scrapes
/// them.
pub(super) struct Monitoring<'o> {
    pub(super) id: ObjectRef,
    /// The namespaces whose pods it may select; `None`: every namespace.
    pub(super) namespaces: Option<Vec<&'o str>>,
    /// Its pod selector: its own, or (a ServiceMonitor's) the Service's it takes.
    pub(super) selector: Cow<'o, LabelSelector>,
    pub(super) endpoints: Vec<Endpoint<'o>>,
    /// Who scrapes what it selects, as findings name it.
    pub(super) scraper: &'static str,
    /// The Service a ServiceMonitor reaches the pods through, and its own selector as given.
    pub(super) via: Option<(ObjectRef, String)>,
}

impl Monitoring<'_> {
    /// Why it does not select pods outside [`Monitoring::namespaces`], for a finding.
    pub(super) fn namespace_rule(&self) -> String {
        let names = self.namespaces.as_deref().unwrap_or_default().join(", ");
        if let Some((service, _)) = &self.via {
            format!("{service} selects only pods of its own namespace, {names}")
        } else if self.id.kind != Kind::PodMonitoring.as_str() {
            format!("its spec.namespaceSelector takes only namespace {names}")
        } else {
            format!("a PodMonitoring selects only pods of its own namespace, {names}")
        }
    }
}

/// One scrape endpoint of either API, as the judges read it.
pub(super) struct Endpoint<'o> {
    /// The list it is item `index` of: `spec.endpoints`, `spec.podMetricsEndpoints` (a
    /// field path is only written for a finding).
    pub(super) list: &'static str,
    pub(super) index: usize,
    /// The port it scrapes and the field that says so; `None` when no field does.
    pub(super) port: Option<(&'static str, IntOrString)>,
    /// Whether it scrapes over TLS.
    pub(super) https: bool,
    /// The field of its client certificate, and whether certificate and key are both set.
    pub(super) client_cert: (&'static str, bool),
    /// The Secret its bearer token is read from.
    pub(super) token: Option<&'o str>,
}

impl<'o> Endpoint<'o> {
    fn gmp(i: usize, endpoint: &'o ScrapeEndpoint) -> Self {
        Self {
            list: "spec.endpoints",
            index: i,
            port: Some(("port", endpoint.port.clone())),
            https: endpoint.scheme == Some(Scheme::Https),
            client_cert: (
                "tls.cert",
                endpoint
                    .tls
                    .as_ref()
                    .is_some_and(|t| t.cert.is_some() && t.key.is_some()),
            ),
            token: endpoint.authorization_secret().map(|s| s.name.as_str()),
        }
    }

    fn operator(i: usize, endpoint: &'o PodMetricsEndpoint) -> Self {
        let port = match (&endpoint.port, endpoint.port_number) {
            (Some(name), _) => Some(("port", IntOrString::String(name.clone()))),
            (None, Some(number)) => Some(("portNumber", IntOrString::Int(number))),
            (None, None) => None,
        };
        Self {
            port,
            ..Self::operator_client(
                "spec.podMetricsEndpoints",
                i,
                endpoint.scheme,
                endpoint.tls_config.as_ref(),
                endpoint.authorization.as_ref(),
            )
        }
    }

    /// A ServiceMonitor endpoint, its Service port resolved to `port`, the pod port it leads
    /// to.
    fn service(i: usize, endpoint: &'o ServiceEndpoint, port: IntOrString) -> Self {
        Self {
            port: Some(("port", port)),
            ..Self::operator_client(
                "spec.endpoints",
                i,
                endpoint.scheme,
                endpoint.tls_config.as_ref(),
                endpoint.authorization.as_ref(),
            )
        }
    }

    /// What both prometheus-operator endpoints say alike: scheme, TLS and token.
    fn operator_client(
        list: &'static str,
        index: usize,
        scheme: Option<OperatorScheme>,
        tls: Option<&SafeTlsConfig>,
        authorization: Option<&'o SafeAuthorization>,
    ) -> Self {
        Self {
            list,
            index,
            port: None,
            https: scheme == Some(OperatorScheme::Https),
            client_cert: (
                "tlsConfig.cert",
                tls.is_some_and(|t| t.cert.is_some() && t.key_secret.is_some()),
            ),
            token: authorization
                .and_then(|a| a.credentials.as_ref())
                .map(|s| s.name.as_str()),
        }
    }
}

/// The monitoring views of an object: one, if it is a monitoring; a ServiceMonitor's, one per
/// Service of `manifests` it takes (see [`through_services`]).
pub(super) fn monitorings<'o>(
    object: &'o Object<'_>,
    manifests: &'o Manifests,
    check: &mut Check,
) -> Vec<Monitoring<'o>> {
    if let Object::ServiceMonitor(m) = object {
        return through_services(m, manifests, check);
    }
    monitoring(object).into_iter().collect()
}

/// The monitoring view of an object that selects pods itself, if it is one.
fn monitoring<'o>(object: &'o Object<'_>) -> Option<Monitoring<'o>> {
    match object {
        Object::ClusterPodMonitoring(m) => Some(Monitoring {
            id: ObjectRef::of(Kind::ClusterPodMonitoring.as_str(), &m.metadata),
            namespaces: None,
            selector: Cow::Borrowed(&m.spec.selector),
            endpoints: gmp_endpoints(&m.spec.endpoints),
            scraper: "GMP",
            via: None,
        }),
        Object::PodMonitoring(m) => Some(Monitoring {
            id: ObjectRef::of(Kind::PodMonitoring.as_str(), &m.metadata),
            // A PodMonitoring without a namespace lands in the one kubectl applies it to.
            namespaces: Some(vec![m.metadata.namespace.as_deref().unwrap_or("default")]),
            selector: Cow::Borrowed(&m.spec.selector),
            endpoints: gmp_endpoints(&m.spec.endpoints),
            scraper: "GMP",
            via: None,
        }),
        Object::PodMonitor(m) => Some(Monitoring {
            id: ObjectRef::of(Kind::PodMonitor.as_str(), &m.metadata),
            namespaces: operator_namespaces(&m.metadata, m.spec.namespace_selector.as_ref()),
            selector: Cow::Borrowed(&m.spec.selector),
            endpoints: (m.spec.pod_metrics_endpoints.iter().enumerate())
                .map(|(i, e)| Endpoint::operator(i, e))
                .collect(),
            scraper: SCRAPER,
            via: None,
        }),
        _ => None,
    }
}

fn gmp_endpoints(endpoints: &[ScrapeEndpoint]) -> Vec<Endpoint<'_>> {
    (endpoints.iter().enumerate())
        .map(|(i, e)| Endpoint::gmp(i, e))
        .collect()
}

/// The namespaces a prometheus-operator monitor finds its pods or Services in: `None` for
/// every one; an empty or unset selector is the monitor's own namespace.
fn operator_namespaces<'o>(
    monitor: &'o ObjectMeta,
    selector: Option<&'o NamespaceSelector>,
) -> Option<Vec<&'o str>> {
    let own = monitor.namespace.as_deref().unwrap_or("default");
    match selector {
        Some(s) if s.any == Some(true) => None,
        Some(s) if s.match_names.as_ref().is_some_and(|n| !n.is_empty()) => {
            Some(s.match_names.iter().flatten().map(String::as_str).collect())
        }
        _ => Some(vec![own]),
    }
}

/// The monitorings a ServiceMonitor amounts to: one per Service of `manifests` it takes (by
/// labels, in its namespaces), selecting that Service's pods, each endpoint's Service port
/// resolved to the pod port it leads to (`targetPort`, else the port's own number). What breaks
/// before the pods is a finding here: a selector no API server takes, no Service taken, a
/// Service without a selector (its endpoints are not its pods'), a port the Service lacks.
fn through_services<'o>(
    monitor: &'o ServiceMonitor,
    manifests: &'o Manifests,
    check: &mut Check,
) -> Vec<Monitoring<'o>> {
    let id = ObjectRef::of(Kind::ServiceMonitor.as_str(), &monitor.metadata);
    let selector = match PodSelector::try_from(&monitor.spec.selector) {
        Ok(selector) => selector,
        Err(unknown) => {
            check.findings.push(unknown_operator(&id, unknown));
            return Vec::new();
        }
    };
    let namespaces =
        operator_namespaces(&monitor.metadata, monitor.spec.namespace_selector.as_ref());
    let matcher = Matcher::of(&selector);
    let in_reach = |s: &&'o Service| {
        let ns = s.metadata.namespace.as_deref().unwrap_or("default");
        namespaces.as_ref().is_none_or(|names| names.contains(&ns))
    };
    let taken: Vec<&'o Service> = (manifests.services.iter())
        .filter(in_reach)
        .filter(|s| !selector.is_empty() && matcher.matches(s.metadata.labels.as_ref()))
        .collect();
    let shown = selector.to_string();
    if taken.is_empty() {
        let elsewhere: Vec<ObjectRef> = (manifests.services.iter())
            .filter(|s| !in_reach(s) && matcher.matches(s.metadata.labels.as_ref()))
            .map(service_id)
            .collect();
        let why = if selector.is_empty() {
            " (an empty selector takes none here: name the Service's labels)".to_owned()
        } else if elsewhere.is_empty() {
            String::new()
        } else {
            format!(
                " (it would take {}, but its spec.namespaceSelector takes only namespace {})",
                listed(&elsewhere),
                namespaces.as_deref().unwrap_or_default().join(", ")
            )
        };
        check.findings.push(finding(
            on(&id, "spec.selector"),
            Vec::new(),
            shown,
            format!("selects no Service in the manifests{why}: {SCRAPER} scrapes nothing"),
        ));
        return Vec::new();
    }
    let mut views = Vec::with_capacity(taken.len());
    for service in taken {
        let service_ref = service_id(service);
        let spec = service.spec.as_ref();
        let pods = spec
            .and_then(|s| s.selector.as_ref())
            .filter(|s| !s.is_empty());
        let Some(pods) = pods else {
            check.warnings.push(Warning::object(
                id.clone(),
                "spec.selector",
                format!("takes {service_ref}, which has no selector: its endpoints are listed by hand, not found among the manifests' pods, so they are not checked"),
            ));
            continue;
        };
        let ports = spec.and_then(|s| s.ports.as_deref()).unwrap_or_default();
        let mut endpoints = Vec::with_capacity(monitor.spec.endpoints.len());
        for (i, endpoint) in monitor.spec.endpoints.iter().enumerate() {
            let wanted = endpoint.port.as_deref();
            let port = ports.iter().find(|p| p.name.as_deref() == wanted);
            match port {
                Some(p) => endpoints.push(Endpoint::service(
                    i,
                    endpoint,
                    p.target_port.clone().unwrap_or(IntOrString::Int(p.port)),
                )),
                None => check.findings.push(finding(
                    on(&id, format!("spec.endpoints[{i}].port")),
                    vec![service_ref.clone()],
                    wanted.unwrap_or_default(),
                    format!(
                        "names no port of {service_ref} (its ports: {}): {SCRAPER} finds no target",
                        if ports.is_empty() {
                            "none".to_owned()
                        } else {
                            ports
                                .iter()
                                .map(|p| format!("{} {}", p.name.as_deref().unwrap_or(""), p.port))
                                .collect::<Vec<_>>()
                                .join(", ")
                        }
                    ),
                )),
            }
        }
        views.push(Monitoring {
            id: id.clone(),
            namespaces: Some(vec![
                service.metadata.namespace.as_deref().unwrap_or("default"),
            ]),
            selector: Cow::Owned(LabelSelector {
                match_labels: Some(pods.clone()),
                ..Default::default()
            }),
            endpoints,
            scraper: SCRAPER,
            via: Some((service_ref, shown.clone())),
        });
    }
    views
}

fn service_id(service: &Service) -> ObjectRef {
    ObjectRef::of("Service", &service.metadata)
}
