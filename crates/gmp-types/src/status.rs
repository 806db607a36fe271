//! Status the GMP operator reports on (Cluster)PodMonitoring objects.

use std::collections::BTreeMap;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Most recently observed status of a `PodMonitoring` or `ClusterPodMonitoring`.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct PodMonitoringStatus {
    /// Generation of the object the operator last processed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub observed_generation: Option<i64>,
    /// Latest observations of the object's state.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub conditions: Option<Vec<MonitoringCondition>>,
    /// Latest observations of target health, one entry per scrape endpoint.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub endpoint_statuses: Option<Vec<ScrapeEndpointStatus>>,
}

/// A condition of a monitoring object, e.g. `ConfigurationCreateSuccess`.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct MonitoringCondition {
    /// Condition type; strings rather than an enum so newer operators' types still parse.
    #[serde(rename = "type")]
    pub type_: String,
    /// `True`, `False` or `Unknown`.
    pub status: String,
    /// When the condition was last updated.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_update_time: Option<Time>,
    /// When the condition last changed status.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_transition_time: Option<Time>,
    /// Machine-readable reason of the last transition.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Human-readable details of the last transition.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

/// Target health of one scrape endpoint, as sampled by the collectors.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ScrapeEndpointStatus {
    /// Name of the scrape endpoint (the scrape job).
    pub name: String,
    /// Number of active targets.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub active_targets: Option<i64>,
    /// Number of active, unhealthy targets.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unhealthy_targets: Option<i64>,
    /// When this status was last updated.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_update_time: Option<Time>,
    /// A fixed sample of targets, grouped by error.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sample_groups: Option<Vec<SampleGroup>>,
    /// Fraction of collectors that reported (0 to 1) as a decimal string; below 1 is a problem.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub collectors_fraction: Option<String>,
}

/// Sampled targets that share one error.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct SampleGroup {
    /// Targets reporting the error.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sample_targets: Option<Vec<SampleTarget>>,
    /// Total number of targets with this error.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub count: Option<i32>,
}

/// One sampled scrape target.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct SampleTarget {
    /// Label set of the target.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub labels: Option<BTreeMap<String, String>>,
    /// Last scrape error.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_error: Option<String>,
    /// Duration of the last scrape in seconds, as a decimal string.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_scrape_duration_seconds: Option<String>,
    /// Health of the target (`up`, `down`, `unknown`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub health: Option<String>,
}
