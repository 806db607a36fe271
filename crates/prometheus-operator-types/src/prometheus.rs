//! `Prometheus`: the server the operator runs, and which monitors and rules it takes. Only the
//! fields that decide whether a monitor or rule is taken are declared: read from a user's
//! manifests, the rest is kept out.

use std::collections::BTreeMap;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;
use kube_derive::CustomResource;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Which PodMonitors, ServiceMonitors and PrometheusRules a Prometheus takes. Each selector
/// left out (null) takes **none**; an empty one takes every object. Each namespace selector
/// left out takes the Prometheus's own namespace only; an empty one takes every namespace.
#[derive(CustomResource, Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[kube(
    group = "monitoring.coreos.com",
    version = "v1",
    kind = "Prometheus",
    plural = "prometheuses",
    namespaced,
    derive = "Default",
    derive = "PartialEq",
    doc = "Prometheus defines a Prometheus deployment.",
    crates(kube_core = "::kube_core")
)]
#[serde(rename_all = "camelCase")]
pub struct PrometheusSpec {
    /// PodMonitors to take, by their labels (none when unset).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pod_monitor_selector: Option<LabelSelector>,
    /// Namespaces to take PodMonitors from, by their labels (the Prometheus's own when unset).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pod_monitor_namespace_selector: Option<LabelSelector>,
    /// ServiceMonitors to take, by their labels (none when unset).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_monitor_selector: Option<LabelSelector>,
    /// Namespaces to take ServiceMonitors from (the Prometheus's own when unset).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_monitor_namespace_selector: Option<LabelSelector>,
    /// PrometheusRules to take, by their labels (none when unset).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rule_selector: Option<LabelSelector>,
    /// Namespaces to take PrometheusRules from (the Prometheus's own when unset).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rule_namespace_selector: Option<LabelSelector>,
    /// Labels added to every series and alert sent out (where `cluster` and the like go).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub external_labels: Option<BTreeMap<String, String>>,
}
