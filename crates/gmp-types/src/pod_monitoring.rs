//! `PodMonitoring`: scrapes pods in the object's own namespace.

use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;
use kube_derive::CustomResource;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::{PodMonitoringStatus, ScrapeEndpoint, ScrapeLimits, TargetLabels};

/// Pods to scrape and how, within the `PodMonitoring`'s namespace.
///
/// Secret references must not set `namespace`; the Secret lives in this object's namespace.
#[derive(CustomResource, Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[kube(
    group = "monitoring.googleapis.com",
    version = "v1",
    kind = "PodMonitoring",
    plural = "podmonitorings",
    namespaced,
    status = "PodMonitoringStatus",
    derive = "Default",
    derive = "PartialEq",
    doc = "PodMonitoring defines monitoring for a set of pods, scoped to pods within the PodMonitoring's namespace.",
    crates(kube_core = "::kube_core")
)]
#[serde(rename_all = "camelCase")]
pub struct PodMonitoringSpec {
    /// Pods to scrape; an empty selector selects every pod of the namespace.
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
