//! The user's own manifests as the source of truth: read YAML streams and kubectl's `List`s
//! into an index of the objects the scrape chain depends on ([`Manifests`]), find every endpoint
//! picker in it and what a scrape of it needs ([`from_manifests`]), and lay that over
//! [`Options`] ([`Discovery::apply`]).
//!
//! kube-rs users who listed objects from a cluster fill a [`Manifests`] directly (its fields
//! are public, typed with k8s-openapi) and call [`from_manifests`]; nothing here does I/O.

mod discover;
mod picker;
mod read;

use std::collections::BTreeMap;

use k8s_openapi::api::apps::v1::{DaemonSet, Deployment, StatefulSet};
use k8s_openapi::api::core::v1::{Pod, PodTemplateSpec, Service, ServiceAccount};
use k8s_openapi::api::rbac::v1::{ClusterRole, ClusterRoleBinding, Role, RoleBinding};
use serde_json::Value;

use crate::error::{Problem, Problems};

pub use discover::{Discovered, Discovery, from_manifests};
pub(crate) use discover::{Templates, find_pickers};
pub(crate) use picker::{Serving, may_review, picker_container, release_of, service_account_of};
pub use read::{MAX_ALIAS_EXPANSION, MAX_MANIFEST_BYTES, aliases_within};
pub(crate) use read::{does_not_read, read_objects};
use read::{into_result, walk};

/// The container name every endpoint-picker chart and manifest gives the picker.
pub const EPP_CONTAINER: &str = "epp";

/// An InferencePool, as far as the scrape chain needs it: which Service fronts its picker.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct InferencePool {
    /// `apiVersion`: `inference.networking.k8s.io/v1` or `inference.networking.x-k8s.io/v1alpha2`.
    pub api_version: String,
    /// Its namespace (`default` when the manifest leaves it out).
    pub namespace: String,
    /// Its name.
    pub name: String,
    /// The picker's Service: `spec.endpointPickerRef.name` (v1) or `spec.extensionRef.name`
    /// (v1alpha2).
    pub picker_service: Option<String>,
}

impl InferencePool {
    /// Reads the pool view from an object of kind `InferencePool` of either API version.
    pub fn from_value(value: &Value) -> Self {
        let text = |v: Option<&Value>| v.and_then(Value::as_str).map(str::to_owned);
        let spec = value.get("spec");
        let reference = spec
            .and_then(|s| s.get("endpointPickerRef").or_else(|| s.get("extensionRef")))
            .and_then(|r| r.get("name"));
        Self {
            api_version: text(value.get("apiVersion")).unwrap_or_default(),
            namespace: text(value.pointer("/metadata/namespace"))
                .unwrap_or_else(|| "default".to_owned()),
            name: text(value.pointer("/metadata/name")).unwrap_or_default(),
            picker_service: text(reference),
        }
    }
}

/// The objects of the input the scrape chain depends on, by kind; everything else is left out.
#[derive(Clone, Debug, Default)]
pub struct Manifests {
    /// Deployments (pickers and model servers).
    pub deployments: Vec<Deployment>,
    /// StatefulSets (pickers and model servers).
    pub stateful_sets: Vec<StatefulSet>,
    /// DaemonSets: never pickers, but their pods must not be selected.
    pub daemon_sets: Vec<DaemonSet>,
    /// Bare Pods: never pickers, but they must not be selected.
    pub pods: Vec<Pod>,
    /// Services (a pool's names its picker's).
    pub services: Vec<Service>,
    /// ServiceAccounts.
    pub service_accounts: Vec<ServiceAccount>,
    /// ClusterRoles (what a binding grants).
    pub cluster_roles: Vec<ClusterRole>,
    /// ClusterRoleBindings (who may create TokenReviews and SubjectAccessReviews).
    pub cluster_role_bindings: Vec<ClusterRoleBinding>,
    /// Roles.
    pub roles: Vec<Role>,
    /// RoleBindings.
    pub role_bindings: Vec<RoleBinding>,
    /// InferencePools of both API versions.
    pub inference_pools: Vec<InferencePool>,
}

/// One pod template of the input and the object that owns it.
#[derive(Clone, Copy, Debug)]
pub struct Workload<'m> {
    /// `Deployment`, `StatefulSet`, `DaemonSet` or `Pod`.
    pub kind: &'static str,
    /// Its namespace (`default` when left out).
    pub namespace: &'m str,
    /// Its name.
    pub name: &'m str,
    /// Labels of its pods.
    pub labels: Option<&'m BTreeMap<String, String>>,
    /// Its pods' spec.
    pub spec: Option<&'m k8s_openapi::api::core::v1::PodSpec>,
}

impl Workload<'_> {
    /// `Kind/namespace/name`, as findings name objects.
    pub fn id(&self) -> String {
        format!("{}/{}/{}", self.kind, self.namespace, self.name)
    }
}

fn namespace_of(meta: &k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta) -> &str {
    meta.namespace.as_deref().unwrap_or("default")
}

fn name_of(meta: &k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta) -> &str {
    meta.name.as_deref().unwrap_or("")
}

fn template<'m>(
    kind: &'static str,
    meta: &'m k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta,
    template: Option<&'m PodTemplateSpec>,
) -> Workload<'m> {
    Workload {
        kind,
        namespace: namespace_of(meta),
        name: name_of(meta),
        labels: template
            .and_then(|t| t.metadata.as_ref())
            .and_then(|m| m.labels.as_ref()),
        spec: template.and_then(|t| t.spec.as_ref()),
    }
}

impl Manifests {
    /// An empty index.
    pub fn new() -> Self {
        Self::default()
    }

    /// Reads one input (a YAML stream or JSON; `source` names it in problems) into the index:
    /// every document, and every item of a `List` (`kind: List` or any `*List` with `items`).
    /// Empty documents, objects of other kinds, and `null` items are skipped; a document that
    /// is not an object, or an object of a known kind that does not read as that kind, is a
    /// problem. Every problem of the input comes at once.
    pub fn read(&mut self, source: &str, text: &str) -> Result<(), Problems> {
        read_objects(source, text, &mut |at, kind, value| {
            self.insert(at, kind, value)
        })
    }

    /// Adds one object (or `List`) read elsewhere; `at` names it in problems.
    pub fn add(&mut self, at: &str, value: Value) -> Result<(), Problems> {
        let mut problems = Vec::new();
        walk(at, value, 0, &mut problems, &mut |at, kind, value| {
            self.insert(at, kind, value)
        });
        into_result(problems)
    }

    /// Files one object of kind `kind` under its kind; other kinds are left out.
    fn insert(&mut self, at: &str, kind: &str, value: Value) -> Result<(), Problem> {
        fn typed<T: serde::de::DeserializeOwned>(
            value: Value,
            into: &mut Vec<T>,
        ) -> Result<(), String> {
            serde_json::from_value(value)
                .map(|object| into.push(object))
                .map_err(|e| e.to_string())
        }
        let read = match kind {
            "Deployment" => typed(value, &mut self.deployments),
            "StatefulSet" => typed(value, &mut self.stateful_sets),
            "DaemonSet" => typed(value, &mut self.daemon_sets),
            "Pod" => typed(value, &mut self.pods),
            "Service" => typed(value, &mut self.services),
            "ServiceAccount" => typed(value, &mut self.service_accounts),
            "ClusterRole" => typed(value, &mut self.cluster_roles),
            "ClusterRoleBinding" => typed(value, &mut self.cluster_role_bindings),
            "Role" => typed(value, &mut self.roles),
            "RoleBinding" => typed(value, &mut self.role_bindings),
            "InferencePool" => {
                self.inference_pools.push(InferencePool::from_value(&value));
                Ok(())
            }
            _ => Ok(()),
        };
        read.map_err(|error| does_not_read(at, kind, &error))
    }

    /// Every pod template of the input: Deployments, StatefulSets, DaemonSets, then Pods.
    pub fn workloads(&self) -> impl Iterator<Item = Workload<'_>> {
        let deployments = self
            .deployments
            .iter()
            .map(|d| template("Deployment", &d.metadata, Some(&d.spec.template)));
        let stateful_sets = self
            .stateful_sets
            .iter()
            .map(|s| template("StatefulSet", &s.metadata, Some(&s.spec.template)));
        let daemon_sets = self
            .daemon_sets
            .iter()
            .map(|d| template("DaemonSet", &d.metadata, Some(&d.spec.template)));
        let pods = self.pods.iter().map(|p| Workload {
            kind: "Pod",
            namespace: namespace_of(&p.metadata),
            name: name_of(&p.metadata),
            labels: p.metadata.labels.as_ref(),
            spec: p.spec.as_ref(),
        });
        deployments
            .chain(stateful_sets)
            .chain(daemon_sets)
            .chain(pods)
    }
}
