//! Typed prometheus-operator custom resources, `monitoring.coreos.com/v1`: [`PodMonitor`],
//! [`ServiceMonitor`] and [`PrometheusRule`], and of [`Prometheus`] what selects them.
//!
//! The fields are those of the upstream CRDs (prometheus-operator v0.93.0) that a scrape of an
//! HTTP endpoint with a bearer token and TLS needs, spelled and typed as upstream; every field
//! declared here exists upstream with the same type (the crate's tests check the derived CRDs
//! against upstream's). `crd()` (from [`CustomResourceExt`], re-exported) derives a CRD.
//!
//! ```
//! use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, ObjectMeta};
//! use prometheus_operator_types::{
//!     NamespaceSelector, PodMetricsEndpoint, PodMonitor, PodMonitorSpec, SafeAuthorization,
//!     SecretKeySelector,
//! };
//!
//! let monitor = PodMonitor {
//!     metadata: ObjectMeta { name: Some("epp".into()), namespace: Some("monitoring".into()), ..Default::default() },
//!     spec: PodMonitorSpec {
//!         selector: LabelSelector {
//!             match_labels: Some([("app".into(), "epp".into())].into()),
//!             ..Default::default()
//!         },
//!         namespace_selector: Some(NamespaceSelector::names(["inference"])),
//!         pod_metrics_endpoints: vec![PodMetricsEndpoint {
//!             port: Some("metrics".into()),
//!             authorization: Some(SafeAuthorization::bearer(SecretKeySelector::new("reader", "token"))),
//!             ..Default::default()
//!         }],
//!         ..Default::default()
//!     },
//! };
//! let json = serde_json::to_value(&monitor).unwrap();
//! assert_eq!(json["apiVersion"], "monitoring.coreos.com/v1");
//! assert_eq!(json["spec"]["podMetricsEndpoints"][0]["authorization"]["credentials"]["name"], "reader");
//! ```

pub mod endpoint;
pub mod pod_monitor;
pub mod prometheus;
pub mod prometheus_rule;
pub mod secret;
pub mod service_monitor;

pub use kube_core::CustomResourceExt;

pub use endpoint::{
    PodMetricsEndpoint, RelabelConfig, SafeAuthorization, SafeTlsConfig, Scheme, TlsVersion,
};
pub use pod_monitor::{NamespaceSelector, PodMonitor, PodMonitorSpec};
pub use prometheus::{Prometheus, PrometheusSpec};
pub use prometheus_rule::{PrometheusRule, PrometheusRuleSpec, Rule, RuleGroup};
pub use secret::{ConfigMapKeySelector, SecretKeySelector, SecretOrConfigMap};
pub use service_monitor::{Endpoint, ServiceMonitor, ServiceMonitorSpec};
