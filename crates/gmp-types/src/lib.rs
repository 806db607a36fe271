//! Typed Google Cloud Managed Service for Prometheus (GMP) custom resources,
//! `monitoring.googleapis.com/v1`.
//!
//! [`ClusterPodMonitoring`] (cluster-scoped) and [`PodMonitoring`] (namespaced) follow the upstream
//! CRDs of GoogleCloudPlatform/prometheus-engine field for field; their `crd()` (from
//! [`CustomResourceExt`], re-exported so users need no `kube-core` dependency of their own)
//! derives a CRD from these types.
//!
//! ```
//! use gmp_types::{
//!     Authorization, ClusterPodMonitoring, ClusterPodMonitoringSpec, Scheme, ScrapeEndpoint,
//!     SecretSelector,
//! };
//! use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, ObjectMeta};
//! use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
//!
//! let cpm = ClusterPodMonitoring {
//!     metadata: ObjectMeta { name: Some("epp".into()), ..Default::default() },
//!     spec: ClusterPodMonitoringSpec {
//!         selector: LabelSelector {
//!             match_labels: Some([("app".into(), "epp".into())].into()),
//!             ..Default::default()
//!         },
//!         endpoints: vec![ScrapeEndpoint {
//!             port: IntOrString::String("metrics".into()),
//!             scheme: Some(Scheme::Http),
//!             interval: "10s".into(),
//!             authorization: Some(Authorization {
//!                 type_: Some("Bearer".into()),
//!                 credentials: Some(SecretSelector::new("reader", "token", Some("ns".into()))),
//!             }),
//!             ..Default::default()
//!         }],
//!         ..Default::default()
//!     },
//!     ..Default::default()
//! };
//! let json = serde_json::to_value(&cpm).unwrap();
//! assert_eq!(json["apiVersion"], "monitoring.googleapis.com/v1");
//! assert_eq!(json["spec"]["endpoints"][0]["authorization"]["credentials"]["secret"]["namespace"], "ns");
//! ```

pub mod cluster_pod_monitoring;
pub mod endpoint;
pub mod http;
pub mod pod_monitoring;
pub mod relabel;
pub mod rules;
pub mod secret;
pub mod status;
pub mod target_labels;

pub use cluster_pod_monitoring::{ClusterPodMonitoring, ClusterPodMonitoringSpec};
pub use kube_core::CustomResourceExt;

pub use endpoint::{Scheme, ScrapeEndpoint, ScrapeLimits};
pub use http::{Authorization, BasicAuth, OAuth2, TlsConfig, TlsVersion};
pub use pod_monitoring::{PodMonitoring, PodMonitoringSpec};
pub use relabel::{RelabelAction, RelabelingRule};
pub use rules::{
    ClusterRules, ClusterRulesSpec, GlobalRules, GlobalRulesSpec, Rule, RuleGroup, Rules,
    RulesSpec, RulesStatus,
};
pub use secret::{SecretKeySelector, SecretSelector};
pub use status::{
    MonitoringCondition, PodMonitoringStatus, SampleGroup, SampleTarget, ScrapeEndpointStatus,
};
pub use target_labels::{LabelMapping, MetadataLabel, TargetLabels};
