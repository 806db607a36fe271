//! `ClusterPodMonitoring`: scrapes pods in every namespace.

use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;
use kube_derive::CustomResource;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::{PodMonitoringStatus, ScrapeEndpoint, ScrapeLimits, TargetLabels};

/// Pods to scrape and how, across all namespaces of the cluster.
///
/// Secret references may name any namespace, and should always do so: an absent `namespace`
/// means `default`, not the scraped pod's namespace.
#[derive(CustomResource, Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[kube(
    group = "monitoring.googleapis.com",
    version = "v1",
    kind = "ClusterPodMonitoring",
    plural = "clusterpodmonitorings",
    status = "PodMonitoringStatus",
    derive = "Default",
    derive = "PartialEq",
    doc = "ClusterPodMonitoring defines monitoring for a set of pods, scoped to all pods within the cluster.",
    crates(kube_core = "::kube_core")
)]
#[serde(rename_all = "camelCase")]
pub struct ClusterPodMonitoringSpec {
    /// Pods to scrape; an empty selector selects every pod of the cluster.
    pub selector: LabelSelector,
    /// Endpoints to scrape on each selected pod (1 to 10).
    pub endpoints: Vec<ScrapeEndpoint>,
    /// Labels added to the discovered targets.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target_labels: Option<TargetLabels>,
    /// Limits applied at scrape time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limits: Option<ScrapeLimits>,
    /// Skips pods in the `Failed` or `Succeeded` phase.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub filter_running: Option<bool>,
}
