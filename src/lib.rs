//! Typed, validated, deterministic Kubernetes objects that let Google Cloud Managed Service for
//! Prometheus (GMP) scrape GKE Inference Gateway's endpoint picker.
//!
//! Set [`Options`] (or use [`Bundle::builder`]), `build()` them into a [`Bundle`] of typed
//! objects, and render it with [`Bundle::to_yaml`]:
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
//! let collector = &bundle.secret_reader().subjects()[0];
//! assert_eq!(collector.namespace.as_deref(), Some("gke-gmp-system"));
//! assert!(bundle.to_yaml()?.contains("namespace: monitoring\n"));
//!
//! // Every problem is reported at once, each with its field path, value and rule.
//! let err = Bundle::builder().namespace("Bad_NS").interval("5").build().unwrap_err();
//! let igw_monitoring::Error::Invalid(problems) = err else { unreachable!() };
//! assert!(problems.mentions("namespace") && problems.mentions("interval"));
//! # Ok::<(), igw_monitoring::Error>(())
//! ```

pub mod alerts;
pub mod bundle;
pub mod dashboard;
pub mod emit;
pub mod error;
pub mod kustomize;
pub mod options;
pub mod relations;
mod rules;
pub mod selector_syntax;
pub mod terraform;
mod validate;
pub mod verify;

pub use bundle::{Bundle, Monitoring, Object, ReaderIdentity, SecretReader};
pub use error::{Error, Problem, Problems};
pub use gmp_types::Scheme;
pub use options::{
    BundleBuilder, ClusterFlavor, LabelSelector, Names, Options, Port, ResolvedNames, SecretAccess,
    SelectorOperator, SelectorRequirement,
};
pub use selector_syntax::SyntaxError;
pub use verify::{VerifyFormat, VerifyOptions};

/// The README's examples, compiled and run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
