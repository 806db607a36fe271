//! The typed objects a plan makes (k8s-openapi and gmp-types values), and the upstream alert
//! rules they carry.

pub(crate) mod alerts;
pub(crate) mod bundle;
