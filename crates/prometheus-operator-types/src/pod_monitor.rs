//! `PodMonitor`: scrapes pods, in the monitor's namespace or the ones its namespace selector
//! names.

use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;
use kube_derive::CustomResource;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::PodMetricsEndpoint;

/// Pods to scrape and how. Every Secret an endpoint references is in this object's namespace.
#[derive(CustomResource, Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[kube(
    group = "monitoring.coreos.com",
    version = "v1",
    kind = "PodMonitor",
    plural = "podmonitors",
    namespaced,
    derive = "Default",
    derive = "PartialEq",
    doc = "PodMonitor defines monitoring for a set of pods.",
    crates(kube_core = "::kube_core")
)]
#[serde(rename_all = "camelCase")]
pub struct PodMonitorSpec {
    /// The label whose value names the `job` (`<namespace>/<name>` when unset).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub job_label: Option<String>,
    /// Pod labels copied onto the targets.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pod_target_labels: Option<Vec<String>>,
    /// Pods to scrape. An empty selector selects every pod; unlike a Prometheus's selectors,
    /// this one is required.
    pub selector: LabelSelector,
    /// Namespaces to find the pods in (the monitor's own when unset).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace_selector: Option<NamespaceSelector>,
    /// How each selected pod is scraped.
    #[serde(default)]
    pub pod_metrics_endpoints: Vec<PodMetricsEndpoint>,
    /// Most samples a scrape may return before it fails.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sample_limit: Option<i64>,
}

/// The namespaces a monitor finds its pods or Services in: every one (`any`), or the ones
/// named; empty is the monitor's own.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct NamespaceSelector {
    /// Every namespace.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub any: Option<bool>,
    /// These namespaces.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub match_names: Option<Vec<String>>,
}

impl NamespaceSelector {
    /// Every namespace: the counterpart of a GMP ClusterPodMonitoring.
    pub fn any() -> Self {
        Self {
            any: Some(true),
            match_names: None,
        }
    }

    /// The namespaces `names`.
    pub fn names<S: Into<String>>(names: impl IntoIterator<Item = S>) -> Self {
        Self {
            any: None,
            match_names: Some(names.into_iter().map(Into::into).collect()),
        }
    }
}
