//! The writers: every text a plan or a bundle is written as (YAML, JSON, Terraform, a Kustomize
//! base, the dashboard). Each reads the plan or the typed objects; none derives a value again.

pub(crate) mod dashboard;
pub mod emit;
pub mod kustomize;
pub mod terraform;
