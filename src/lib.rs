//! Typed, validated, deterministic Kubernetes objects that let Google Cloud Managed Service for
//! Prometheus (GMP) scrape GKE Inference Gateway's endpoint picker.
//!
//! Set [`Options`] (or use [`Bundle::builder`]); [`Options::plan`] judges them and resolves
//! every name, namespace and target into a [`Plan`]; `build()` makes the plan's typed objects
//! into a [`Bundle`], and the [`Objects`] outputs of either (`to_yaml`, `to_json_list`,
//! `to_terraform`, `kustomize_base`; [`Options::render_yaml`] streams) write them:
//!
//! ```
//! use igw_monitoring::{Bundle, ClusterFlavor, LabelSelector, Objects, SelectorRequirement};
//!
//! let bundle = Bundle::builder()
//!     .namespace("monitoring")
//!     .flavor(ClusterFlavor::Autopilot)
//!     .selector(LabelSelector::default().match_expression(SelectorRequirement::is_in(
//!         "app",
//!         ["vllm-llama3-8b-instruct-epp"],
//!     )))
//!     .build()?;
//! assert_eq!(bundle.plan().collector().map(|c| c.namespace.as_str()), Some("gke-gmp-system"));
//! assert!(bundle.to_yaml()?.contains("namespace: monitoring\n"));
//!
//! // Every problem is reported at once, each with its field path, value and rule.
//! let err = Bundle::builder().namespace("Bad_NS").interval("5").build().unwrap_err();
//! let igw_monitoring::Error::Invalid(problems) = err else { unreachable!() };
//! assert!(problems.mentions("namespace") && problems.mentions("interval"));
//! # Ok::<(), igw_monitoring::Error>(())
//! ```

mod diagnostics;
mod fleet;
mod kinds;
mod objects;
mod options;
mod plan;
mod post_render;
mod rules;
mod world;
mod write;

pub use options::{releases, selector_syntax};
pub use world::{check, manifests, relations};
pub use write::{emit, grafana, kustomize, terraform};

pub use diagnostics::{Error, Finding, Problem, Problems, SHOWN_PROBLEMS, Warning};
pub use fleet::{
    ClusterPlan, Engine, FLEET_RULES, Fleet, FleetCluster, FleetPlan, GitOps, Repository,
    STOPPED_REPORTING,
};
pub use gmp_types::Scheme;
pub use gmp_types::TlsVersion;
pub use kinds::{BundleKind, Kind, Object, ObjectRef, ServiceAccountRef};
pub use objects::alerts::GROUP as ALERT_GROUP;
pub use objects::bundle::Bundle;
pub use options::given::{Given, Source};
pub use options::releases::MetricsSchema;
pub use options::selector::UnknownOperator;
pub use options::selector_syntax::SyntaxError;
pub use options::tls::{SecretKeyRef, TlsOptions, TlsOptionsBuilder, tls_version_str};
pub use options::{
    AlertOptions, AlertOptionsBuilder, BundleBuilder, COLLECTOR_SERVICE_ACCOUNT, ClusterFlavor,
    Collector, DEFAULT_SELECTOR_LABEL, LabelSelector, MonitoringMode, Names, NamesBuilder, Options,
    Port, Preset, PresetBuilder, PresetFlavor, RELEASE_LABEL, RulesScope, SERVICE_METRICS_PORT,
    ScrapeThrough, SecretAccess, SelectorOperator, SelectorRequirement, Target, TargetBuilder,
    bundle_builder,
};
pub use plan::{
    AUTH_DELEGATOR, AlertsPlan, AuthDelegation, EndpointPlan, Identity, ObjectId, PPROF_URLS, Plan,
    TOKEN_KEY, TargetPlan,
};
pub use post_render::{NoPicker, PostRenderError, PostRendered, post_render};
pub use world::check::Check;
pub use world::verify::{LOCAL_PORT, VerifyFormat, VerifyOptions, printable};
pub use write::Objects;
pub use write::dashboard::GRID_COLUMNS as DASHBOARD_COLUMNS;
pub use write::emit::HEADER;

/// The README's examples, compiled and run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
