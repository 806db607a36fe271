//! Whether the user's prometheus-operator Prometheus takes the bundle's PodMonitors,
//! ServiceMonitors and PrometheusRules. The operator says nothing when it does not: a monitor no
//! Prometheus selects is never scraped, a rule never evaluated.
//!
//! A Prometheus takes an object when its selector for that kind matches the object's labels
//! (unset: **none**; empty: every one) and its namespace selector for that kind matches the
//! object's namespace (unset: the Prometheus's own namespace only; empty: every namespace).
//! A namespace's labels are those of its Namespace object in the manifests, plus
//! `kubernetes.io/metadata.name`, which the API server sets on every namespace; when a
//! namespace selector needs other labels of a namespace the manifests do not hold, the answer
//! is not known and is a warning.

use std::collections::BTreeMap;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, ObjectMeta};
use prometheus_operator_types::Prometheus;

use crate::diagnostics::{Finding, Warning};
use crate::kinds::{Kind, Object, ObjectRef};
use crate::options::LabelSelector as Selector;
use crate::options::selector::Matcher;
use crate::world::check::Check;
use crate::world::manifests::Manifests;

/// The label the API server sets on every namespace, its name.
const NAMESPACE_NAME_LABEL: &str = "kubernetes.io/metadata.name";

/// The label kube-prometheus-stack's Prometheus selects on by default.
const RELEASE_LABEL: &str = crate::options::RELEASE_LABEL;

/// The selectors of a Prometheus for one kind of object.
struct Selectors<'p> {
    /// The selector's field, as a finding names it (`podMonitorSelector`).
    field: &'static str,
    selector: Option<&'p LabelSelector>,
    namespace_field: &'static str,
    namespace_selector: Option<&'p LabelSelector>,
}

/// How one Prometheus answers for one object.
enum Answer {
    Takes,
    /// Why not.
    Refuses(String),
    /// Why it is not known.
    Unknown(String),
}

/// The selectors of `prometheus` for objects of `kind`, if it takes that kind.
fn selectors(prometheus: &Prometheus, kind: Kind) -> Option<Selectors<'_>> {
    let spec = &prometheus.spec;
    Some(match kind {
        Kind::PodMonitor => Selectors {
            field: "podMonitorSelector",
            selector: spec.pod_monitor_selector.as_ref(),
            namespace_field: "podMonitorNamespaceSelector",
            namespace_selector: spec.pod_monitor_namespace_selector.as_ref(),
        },
        Kind::ServiceMonitor => Selectors {
            field: "serviceMonitorSelector",
            selector: spec.service_monitor_selector.as_ref(),
            namespace_field: "serviceMonitorNamespaceSelector",
            namespace_selector: spec.service_monitor_namespace_selector.as_ref(),
        },
        Kind::PrometheusRule => Selectors {
            field: "ruleSelector",
            selector: spec.rule_selector.as_ref(),
            namespace_field: "ruleNamespaceSelector",
            namespace_selector: spec.rule_namespace_selector.as_ref(),
        },
        _ => return None,
    })
}

/// The fields of a Prometheus that select objects of `kind` and their namespaces, if a
/// Prometheus selects that kind.
pub(crate) fn selector_fields(kind: Kind) -> Option<(&'static str, &'static str)> {
    selectors(&Prometheus::default(), kind).map(|s| (s.field, s.namespace_field))
}

/// Whether `selector` matches `labels`, with the selector as findings show it.
fn matches(
    selector: &LabelSelector,
    labels: Option<&BTreeMap<String, String>>,
) -> Result<(bool, String), String> {
    let typed = Selector::try_from(selector)
        .map_err(|u| format!("has operator {:?}, which no API server takes", u.operator))?;
    let text = if typed.is_empty() {
        "{}".to_owned()
    } else {
        typed.to_string()
    };
    Ok((Matcher::of(&typed).matches(labels), text))
}

/// How `prometheus` answers for an object of `kind` with `meta`.
fn answer(
    prometheus: &Prometheus,
    kind: Kind,
    meta: &ObjectMeta,
    namespaces: &BTreeMap<&str, &BTreeMap<String, String>>,
) -> Option<Answer> {
    let selectors = selectors(prometheus, kind)?;
    let own = prometheus
        .metadata
        .namespace
        .as_deref()
        .unwrap_or("default");
    let namespace = meta.namespace.as_deref().unwrap_or("default");
    let Some(selector) = selectors.selector else {
        return Some(Answer::Refuses(format!(
            "its {} is unset, which takes no {}",
            selectors.field,
            kind.as_str()
        )));
    };
    match matches(selector, meta.labels.as_ref()) {
        Err(why) => return Some(Answer::Unknown(format!("its {} {why}", selectors.field))),
        Ok((false, text)) => {
            let hint = selector
                .match_labels
                .as_ref()
                .and_then(|l| l.get(RELEASE_LABEL))
                .map(|release| {
                    format!(
                        " (--prometheus-release {release}, prometheusRelease, gives it {RELEASE_LABEL}: {release})"
                    )
                })
                .unwrap_or_default();
            return Some(Answer::Refuses(format!(
                "its {} {text} does not match the labels{hint}",
                selectors.field
            )));
        }
        Ok((true, _)) => {}
    }
    let Some(namespace_selector) = selectors.namespace_selector else {
        return Some(if namespace == own {
            Answer::Takes
        } else {
            Answer::Refuses(format!(
                "its {} is unset, which takes only its own namespace, {own}",
                selectors.namespace_field
            ))
        });
    };
    let held = namespaces.get(namespace).copied();
    let mut labels = held.cloned().unwrap_or_default();
    labels.insert(NAMESPACE_NAME_LABEL.to_owned(), namespace.to_owned());
    Some(match matches(namespace_selector, Some(&labels)) {
        Err(why) => Answer::Unknown(format!("its {} {why}", selectors.namespace_field)),
        Ok((true, _)) => Answer::Takes,
        Ok((false, text)) if held.is_some() || only_names(namespace_selector) => {
            Answer::Refuses(format!(
                "its {} {text} does not match namespace {namespace}",
                selectors.namespace_field
            ))
        }
        Ok((false, text)) => Answer::Unknown(format!(
            "its {} {text} matches namespace labels, and the manifests hold no Namespace {namespace}",
            selectors.namespace_field
        )),
    })
}

/// Whether a namespace selector reads only the label every namespace has, its name.
fn only_names(selector: &LabelSelector) -> bool {
    selector
        .match_labels
        .iter()
        .flat_map(|l| l.keys())
        .chain(selector.match_expressions.iter().flatten().map(|e| &e.key))
        .all(|key| key == NAMESPACE_NAME_LABEL)
}

/// Findings (and warnings) on each PodMonitor, ServiceMonitor and PrometheusRule of `objects` that no
/// Prometheus of `manifests` takes; one warning when the manifests hold no Prometheus.
pub(crate) fn judge(manifests: &Manifests, objects: &[Object<'_>], check: &mut Check) {
    let judged: Vec<&Object<'_>> = objects
        .iter()
        .filter(|o| selector_fields(o.kind()).is_some())
        .collect();
    if judged.is_empty() {
        return;
    }
    if manifests.prometheuses.is_empty() {
        check.warnings.push(Warning::option(
            "bundle",
            "the manifests hold no Prometheus (monitoring.coreos.com/v1): whether one takes the monitors and PrometheusRules is not checked; give its manifest, or kube-prometheus-stack's rendered chart",
        ));
        return;
    }
    let namespaces: BTreeMap<&str, &BTreeMap<String, String>> = manifests
        .namespaces
        .iter()
        .filter_map(|n| Some((n.metadata.name.as_deref()?, n.metadata.labels.as_ref()?)))
        .collect();
    for object in judged {
        let meta = object.metadata();
        let id = ObjectRef::of(object.kind().as_str(), meta);
        let mut refused = Vec::new();
        let mut unknown = Vec::new();
        let mut taken = false;
        for prometheus in &manifests.prometheuses {
            let by = ObjectRef::of("Prometheus", &prometheus.metadata);
            match answer(prometheus, object.kind(), meta, &namespaces) {
                Some(Answer::Takes) => taken = true,
                Some(Answer::Refuses(why)) => refused.push(format!("{by}: {why}")),
                Some(Answer::Unknown(why)) => unknown.push(format!("{by}: {why}")),
                None => {}
            }
        }
        if taken {
            continue;
        }
        // The labels the selectors read, not every label of the object.
        let read: Vec<&String> = (manifests.prometheuses.iter())
            .filter_map(|p| selectors(p, object.kind())?.selector)
            .flat_map(|s| {
                (s.match_labels.iter().flat_map(|l| l.keys()))
                    .chain(s.match_expressions.iter().flatten().map(|e| &e.key))
            })
            .collect();
        let labels = (meta.labels.iter().flatten())
            .filter(|(k, _)| read.contains(k))
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join(",");
        let what = if object.kind() == Kind::PrometheusRule {
            "its rules are never evaluated"
        } else {
            "it is never scraped"
        };
        if unknown.is_empty() {
            check.findings.push(Finding {
                object: Some(id),
                field: "metadata.labels".to_owned(),
                also: Vec::new(),
                value: Some(labels),
                rule: format!(
                    "are taken by no Prometheus of the manifests ({}): {what}",
                    refused.join("; ")
                ),
            });
        } else {
            check.warnings.push(Warning::object(
                id,
                "metadata.namespace",
                format!(
                    "may be taken by no Prometheus of the manifests ({}): if none takes it, {what}",
                    refused
                        .into_iter()
                        .chain(unknown)
                        .collect::<Vec<_>>()
                        .join("; ")
                ),
            ));
        }
    }
}
