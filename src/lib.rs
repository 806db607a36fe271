//! Typed, validated, deterministic Kubernetes objects that let Google Cloud Managed Service for
//! Prometheus (GMP) scrape GKE Inference Gateway's endpoint picker.
//!
//! Set [`Options`] (or use [`Bundle::builder`]); [`Options::plan`] judges them and resolves
//! every name, namespace and target into a [`Plan`]; `build()` makes the plan's typed objects
//! into a [`Bundle`], and [`Bundle::to_yaml`] (or [`Options::render_yaml`], streaming) writes
//! them:
//!
//! ```
//! use igw_monitoring::{Bundle, ClusterFlavor, LabelSelector, SelectorRequirement};
//!
//! let bundle = Bundle::builder()
//!     .namespace("monitoring")
//!     .flavor(ClusterFlavor::Autopilot)
//!     .selector(LabelSelector::default().match_expression(SelectorRequirement::is_in(
//!         "app",
//!         ["vllm-llama3-8b-instruct-epp"],
//!     )))
//!     .build()?;
//! assert_eq!(bundle.plan().collector().namespace, "gke-gmp-system");
//! assert!(bundle.to_yaml()?.contains("namespace: monitoring\n"));
//!
//! // Every problem is reported at once, each with its field path, value and rule.
//! let err = Bundle::builder().namespace("Bad_NS").interval("5").build().unwrap_err();
//! let igw_monitoring::Error::Invalid(problems) = err else { unreachable!() };
//! assert!(problems.mentions("namespace") && problems.mentions("interval"));
//! # Ok::<(), igw_monitoring::Error>(())
//! ```

mod alerts;
mod bundle;
pub mod check;
mod dashboard;
pub mod emit;
mod error;
pub mod kustomize;
pub mod manifests;
mod object;
mod options;
mod plan;
pub mod relations;
pub mod releases;
mod rules;
pub mod selector_syntax;
pub mod terraform;
mod tls;
mod validate;
mod verify;

pub use alerts::GROUP as ALERT_GROUP;
pub use bundle::Bundle;
pub use check::Check;
pub use dashboard::GRID_COLUMNS as DASHBOARD_COLUMNS;
pub use emit::HEADER;
pub use error::{Error, Problem, Problems, SHOWN_PROBLEMS};
pub use gmp_types::Scheme;
pub use gmp_types::TlsVersion;
pub use object::{BundleKind, Kind, Object};
pub use options::{
    AlertOptions, AlertOptionsBuilder, BundleBuilder, COLLECTOR_SERVICE_ACCOUNT, ClusterFlavor,
    DEFAULT_SELECTOR_LABEL, LabelSelector, MonitoringMode, Names, NamesBuilder, Options, Port,
    Preset, PresetBuilder, PresetFlavor, RulesScope, SecretAccess, SelectorOperator,
    SelectorRequirement, Target, TargetBuilder, bundle_builder,
};
pub use plan::{
    AUTH_DELEGATOR, AlertsPlan, AuthDelegation, EndpointPlan, Identity, ObjectId, PPROF_URLS, Plan,
    ServiceAccountRef, TOKEN_KEY, TargetPlan,
};
pub use releases::MetricsSchema;
pub use selector_syntax::SyntaxError;
pub use tls::{SecretKeyRef, TlsOptions, TlsOptionsBuilder, Warning, tls_version_str};
pub use verify::{LOCAL_PORT, VerifyFormat, VerifyOptions, printable};

/// The README's examples, compiled and run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
