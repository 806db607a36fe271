//! `ServiceMonitor`: scrapes the endpoints behind Services.

use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;
use kube_derive::CustomResource;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::{NamespaceSelector, RelabelConfig, SafeAuthorization, SafeTlsConfig, Scheme};

/// Services whose endpoints to scrape and how. Every Secret an endpoint references is in this
/// object's namespace.
#[derive(CustomResource, Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[kube(
    group = "monitoring.coreos.com",
    version = "v1",
    kind = "ServiceMonitor",
    plural = "servicemonitors",
    namespaced,
    derive = "Default",
    derive = "PartialEq",
    doc = "ServiceMonitor defines monitoring for a set of services.",
    crates(kube_core = "::kube_core")
)]
#[serde(rename_all = "camelCase")]
pub struct ServiceMonitorSpec {
    /// The Service label whose value names the `job` (the Service's name when unset).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub job_label: Option<String>,
    /// Service labels copied onto the targets.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target_labels: Option<Vec<String>>,
    /// Pod labels copied onto the targets.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pod_target_labels: Option<Vec<String>>,
    /// How each endpoint of the selected Services is scraped.
    pub endpoints: Vec<Endpoint>,
    /// Services to scrape.
    pub selector: LabelSelector,
    /// Namespaces to find the Services in (the monitor's own when unset).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace_selector: Option<NamespaceSelector>,
}

/// How a ServiceMonitor scrapes each endpoint of a selected Service.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Endpoint {
    /// Name of the Service port to scrape.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub port: Option<String>,
    /// HTTP path to scrape (`/metrics` when unset).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// Protocol scheme (`http` when unset).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scheme: Option<Scheme>,
    /// Time between scrapes, a Prometheus duration (the Prometheus's own when unset).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub interval: Option<String>,
    /// Time a scrape may take, no more than `interval`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scrape_timeout: Option<String>,
    /// Credentials for the `Authorization` header.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authorization: Option<SafeAuthorization>,
    /// TLS settings of the scrape request.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tls_config: Option<SafeTlsConfig>,
    /// Relabelings of each target before its scrape, after the operator's own.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub relabelings: Option<Vec<RelabelConfig>>,
}
