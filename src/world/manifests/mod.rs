//! The user's own manifests as the source of truth: read YAML streams and kubectl's `List`s
//! into an index of the objects the scrape chain depends on ([`Manifests`]), find every endpoint
//! picker in it and what a scrape of it needs ([`from_manifests`]), and lay that over
//! [`Options`](crate::Options) ([`Discovery::apply`]).
//!
//! kube-rs users who listed objects from a cluster fill a [`Manifests`] directly (its fields
//! are public, typed with k8s-openapi) and call [`from_manifests`]; nothing here does I/O.

mod admit;
mod apply;
mod discover;
mod owners;
mod picker;
mod read;

use std::collections::{BTreeMap, HashMap};

use k8s_openapi::api::apps::v1::{DaemonSet, Deployment, ReplicaSet, StatefulSet};
use k8s_openapi::api::batch::v1::{CronJob, Job};
use k8s_openapi::api::core::v1::{
    Namespace, Pod, PodTemplateSpec, ReplicationController, Service, ServiceAccount,
};
use k8s_openapi::api::rbac::v1::{ClusterRole, ClusterRoleBinding, Role, RoleBinding};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use prometheus_operator_types::Prometheus;
use serde_json::Value;

use crate::diagnostics::{Problem, Problems};
use crate::kinds::ObjectRef;

pub use discover::{Discovered, Discovery, discover, from_manifests, holds_picker};
pub(crate) use discover::{Templates, find_pickers};
pub(crate) use picker::{Serving, may_review, picker_container, release_of, service_account_of};
pub use read::{
    MAX_ALIAS_EXPANSION, MAX_MANIFEST_BYTES, MAX_NESTING, aliases_within, nesting_within,
};
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
    /// ReplicaSets: a Deployment's own (owned by it) are its pods; others must not be selected.
    pub replica_sets: Vec<ReplicaSet>,
    /// ReplicationControllers: never pickers, but their pods must not be selected.
    pub replication_controllers: Vec<ReplicationController>,
    /// Jobs: never pickers, but their pods must not be selected.
    pub jobs: Vec<Job>,
    /// CronJobs: never pickers, but the pods of their Jobs must not be selected.
    pub cron_jobs: Vec<CronJob>,
    /// Pods: a workload's own (a `kubectl get all` dump) are its pods; bare ones must not be
    /// selected.
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
    /// prometheus-operator Prometheus servers: which PodMonitors and PrometheusRules they take.
    pub prometheuses: Vec<Prometheus>,
    /// Namespaces: their labels, which a Prometheus's namespace selectors match.
    pub namespaces: Vec<Namespace>,
    /// Where [`Manifests::read`] found each object, so that one given again (the same file
    /// twice, a dump beside its manifests) is read once [default: empty].
    pub origins: Origins,
    /// The inputs [`Manifests::read`] and [`Manifests::add`] were given, in order, each once
    /// (`-` is standard input), so that a problem about all of them names them [default: empty].
    pub sources: Vec<String>,
}

/// Where each object read came from: kind, namespace and name to the input and document.
#[derive(Clone, Debug, Default)]
pub struct Origins(HashMap<(String, String, String), (String, usize)>);

/// One pod template of the input and the object that owns it.
#[derive(Clone, Copy, Debug)]
pub struct Workload<'m> {
    /// Its kind.
    pub kind: WorkloadKind,
    /// Its namespace (`default` when left out).
    pub namespace: &'m str,
    /// Its name.
    pub name: &'m str,
    /// Labels of its pods.
    pub labels: Option<&'m BTreeMap<String, String>>,
    /// Its pods' spec.
    pub spec: Option<&'m k8s_openapi::api::core::v1::PodSpec>,
    /// The object's own metadata (its owners, its uid).
    pub metadata: &'m ObjectMeta,
}

impl Workload<'_> {
    /// The object, as findings name it.
    pub fn id(&self) -> ObjectRef {
        ObjectRef::new(self.kind.as_str(), Some(self.namespace), self.name)
    }
}

/// The kind of the Gateway API Inference Extension's pools (no k8s-openapi type holds it).
pub const INFERENCE_POOL: &str = "InferencePool";

/// The kinds whose objects make pods, as the index reads them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum WorkloadKind {
    /// A Deployment.
    Deployment,
    /// A StatefulSet.
    StatefulSet,
    /// A DaemonSet.
    DaemonSet,
    /// A ReplicaSet.
    ReplicaSet,
    /// A ReplicationController.
    ReplicationController,
    /// A Job.
    Job,
    /// A CronJob.
    CronJob,
    /// A Pod.
    Pod,
}

impl WorkloadKind {
    /// The `kind` string, k8s-openapi's for the type.
    pub fn as_str(self) -> &'static str {
        use k8s_openapi::Resource;
        match self {
            Self::Deployment => Deployment::KIND,
            Self::StatefulSet => StatefulSet::KIND,
            Self::DaemonSet => DaemonSet::KIND,
            Self::ReplicaSet => ReplicaSet::KIND,
            Self::ReplicationController => ReplicationController::KIND,
            Self::Job => Job::KIND,
            Self::CronJob => CronJob::KIND,
            Self::Pod => Pod::KIND,
        }
    }

    /// Whether a chart deploys an endpoint picker as this kind (the one whose Service an
    /// InferencePool names).
    pub fn deploys_pickers(self) -> bool {
        matches!(self, Self::Deployment | Self::StatefulSet)
    }
}

impl std::fmt::Display for WorkloadKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

fn namespace_of(meta: &ObjectMeta) -> &str {
    meta.namespace.as_deref().unwrap_or("default")
}

fn name_of(meta: &ObjectMeta) -> &str {
    meta.name.as_deref().unwrap_or("")
}

fn template<'m>(
    kind: WorkloadKind,
    meta: &'m ObjectMeta,
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
        metadata: meta,
    }
}

/// An object of a kind the index keeps: how it reads, where it is filed, what the API server
/// holds it to.
trait Indexed: serde::de::DeserializeOwned + PartialEq + Sized {
    /// Its metadata.
    fn meta(&self) -> &ObjectMeta;
    /// Where the index files it, and the index's origins.
    fn filed(manifests: &mut Manifests) -> (&mut Vec<Self>, &mut Origins);
    /// The API server's rules for what the scrape chain reads of it, beyond its metadata.
    fn admit(&self, _: &mut admit::Admit<'_>) {}
}

macro_rules! indexed {
    ($($kind:ty => $field:ident $(, |$object:ident, $admit:ident| $body:expr)?;)*) => {$(
        impl Indexed for $kind {
            fn meta(&self) -> &ObjectMeta {
                &self.metadata
            }
            fn filed(manifests: &mut Manifests) -> (&mut Vec<Self>, &mut Origins) {
                (&mut manifests.$field, &mut manifests.origins)
            }
            $(fn admit(&self, $admit: &mut admit::Admit<'_>) {
                let $object = self;
                $body
            })?
        }
    )*};
}

indexed! {
    Deployment => deployments, |d, admit| admit.template("spec.template", Some(&d.spec.template));
    StatefulSet => stateful_sets, |s, admit| admit.template("spec.template", Some(&s.spec.template));
    DaemonSet => daemon_sets, |d, admit| admit.template("spec.template", Some(&d.spec.template));
    ReplicaSet => replica_sets, |r, admit| admit.template("spec.template", r.spec.template.as_ref());
    ReplicationController => replication_controllers,
        |r, admit| admit.template("spec.template", r.spec.as_ref().and_then(|s| s.template.as_ref()));
    Job => jobs, |j, admit| admit.template("spec.template", j.spec.as_ref().map(|s| &s.template));
    CronJob => cron_jobs, |c, admit| admit.template(
        "spec.jobTemplate.spec.template",
        c.spec.job_template.spec.as_ref().map(|s| &s.template),
    );
    Pod => pods, |p, admit| admit.pod_spec("spec", p.spec.as_ref());
    Service => services, |s, admit| admit.labels(
        "spec.selector",
        s.spec.as_ref().and_then(|s| s.selector.as_ref()),
    );
    ServiceAccount => service_accounts;
    ClusterRole => cluster_roles;
    ClusterRoleBinding => cluster_role_bindings, |b, admit| admit.subjects(b.subjects.as_deref());
    Role => roles;
    RoleBinding => role_bindings, |b, admit| admit.subjects(b.subjects.as_deref());
    Prometheus => prometheuses;
    Namespace => namespaces;
}

/// The API server's rules for an object's name, namespace and labels ([`Manifests::read`]'s),
/// for objects read elsewhere (a bundle).
pub(crate) fn admit_metadata(at: &str, kind: &str, meta: &ObjectMeta) -> Result<(), Vec<Problem>> {
    let mut admit = admit::Admit::new(at, kind);
    admit.metadata(meta);
    admit.finish()
}

impl Manifests {
    /// An empty index.
    pub fn new() -> Self {
        Self::default()
    }

    /// Reads one input (a YAML stream or JSON; `source` names it in problems) into the index:
    /// every document, and every item of a `List` (`kind: List` or any `*List` with `items`).
    /// Empty documents, objects of other kinds, and `null` items are skipped. Refused, each a
    /// problem, every problem of the input at once: a document that is not an object; an
    /// object of a known kind that does not read as that kind, or whose names, namespace,
    /// labels, container names or ServiceAccount break the API server's rules for its kind
    /// (so that nothing the API server would refuse reaches a selector, a message or a
    /// command); an object given again with other contents. One given again unchanged is read
    /// once.
    pub fn read(&mut self, source: &str, text: &str) -> Result<(), Problems> {
        self.record(source);
        read_objects(source, text, &mut |at, kind, value| {
            self.insert(at, kind, value)
        })
    }

    /// Adds one object (or `List`) read elsewhere; `at` names it in problems.
    pub fn add(&mut self, at: &str, value: Value) -> Result<(), Problems> {
        self.record(at);
        let mut problems = Vec::new();
        walk(at, value, 0, &mut problems, &mut |at, kind, value| {
            self.insert(at, kind, value)
        });
        into_result(problems)
    }

    fn record(&mut self, source: &str) {
        if !self.sources.iter().any(|s| s == source) {
            self.sources.push(source.to_owned());
        }
    }

    /// Files one object of kind `kind` under its kind; other kinds are left out.
    fn insert(&mut self, at: &str, kind: &str, value: Value) -> Result<(), Vec<Problem>> {
        match kind {
            "Deployment" => self.insert_as::<Deployment>(at, kind, value),
            "StatefulSet" => self.insert_as::<StatefulSet>(at, kind, value),
            "DaemonSet" => self.insert_as::<DaemonSet>(at, kind, value),
            "ReplicaSet" => self.insert_as::<ReplicaSet>(at, kind, value),
            "ReplicationController" => self.insert_as::<ReplicationController>(at, kind, value),
            "Job" => self.insert_as::<Job>(at, kind, value),
            "CronJob" => self.insert_as::<CronJob>(at, kind, value),
            "Pod" => self.insert_as::<Pod>(at, kind, value),
            "Service" => self.insert_as::<Service>(at, kind, value),
            "ServiceAccount" => self.insert_as::<ServiceAccount>(at, kind, value),
            "ClusterRole" => self.insert_as::<ClusterRole>(at, kind, value),
            "ClusterRoleBinding" => self.insert_as::<ClusterRoleBinding>(at, kind, value),
            "Role" => self.insert_as::<Role>(at, kind, value),
            "RoleBinding" => self.insert_as::<RoleBinding>(at, kind, value),
            "Prometheus" => self.insert_as::<Prometheus>(at, kind, value),
            "Namespace" => self.insert_as::<Namespace>(at, kind, value),
            INFERENCE_POOL => {
                let pool = InferencePool::from_value(&value);
                let mut admit = admit::Admit::new(at, kind);
                admit.name(Some(&pool.name));
                admit.namespace(value.pointer("/metadata/namespace").and_then(Value::as_str));
                if let Some(service) = &pool.picker_service {
                    admit.service_name("spec.endpointPickerRef.name", service);
                }
                admit.finish()?;
                let key = (kind.to_owned(), pool.namespace.clone(), pool.name.clone());
                let (list, origins) = (&mut self.inference_pools, &mut self.origins);
                if origins.first(at, kind, key, list.len(), |i| list.get(i) == Some(&pool))? {
                    list.push(pool);
                }
                Ok(())
            }
            _ => Ok(()),
        }
    }

    /// [`Manifests::insert`] for one typed kind: read, held to the API server's rules, filed
    /// once.
    fn insert_as<T: Indexed>(
        &mut self,
        at: &str,
        kind: &str,
        value: Value,
    ) -> Result<(), Vec<Problem>> {
        let object: T =
            serde_json::from_value(value).map_err(|e| vec![does_not_read(at, kind, &e)])?;
        let meta = object.meta();
        let mut admit = admit::Admit::new(at, kind);
        admit.metadata(meta);
        object.admit(&mut admit);
        admit.finish()?;
        let key = (
            kind.to_owned(),
            namespace_of(meta).to_owned(),
            name_of(meta).to_owned(),
        );
        let (list, origins) = T::filed(self);
        if origins.first(at, kind, key, list.len(), |i| list.get(i) == Some(&object))? {
            list.push(object);
        }
        Ok(())
    }

    /// Every pod template of the input, in the order of [`Manifests`]' fields, but for the
    /// objects another object of the input owns (`metadata.ownerReferences`: a Deployment's
    /// ReplicaSets and their Pods, a StatefulSet's or a Job's Pods, a CronJob's Jobs; a Pod
    /// whose ReplicaSet is not in the input belongs to the Deployment its `pod-template-hash`
    /// names): they are their owner's pods, not pods of their own.
    pub fn workloads(&self) -> impl Iterator<Item = Workload<'_>> {
        let deployments = self.deployments.iter().map(|d| {
            template(
                WorkloadKind::Deployment,
                &d.metadata,
                Some(&d.spec.template),
            )
        });
        let stateful_sets = self.stateful_sets.iter().map(|s| {
            template(
                WorkloadKind::StatefulSet,
                &s.metadata,
                Some(&s.spec.template),
            )
        });
        let daemon_sets = self
            .daemon_sets
            .iter()
            .map(|d| template(WorkloadKind::DaemonSet, &d.metadata, Some(&d.spec.template)));
        let replica_sets = self.replica_sets.iter().map(|r| {
            template(
                WorkloadKind::ReplicaSet,
                &r.metadata,
                r.spec.template.as_ref(),
            )
        });
        let replication_controllers = self.replication_controllers.iter().map(|r| {
            template(
                WorkloadKind::ReplicationController,
                &r.metadata,
                r.spec.as_ref().and_then(|s| s.template.as_ref()),
            )
        });
        let jobs = self.jobs.iter().map(|j| {
            template(
                WorkloadKind::Job,
                &j.metadata,
                j.spec.as_ref().map(|s| &s.template),
            )
        });
        let cron_jobs = self.cron_jobs.iter().map(|c| {
            template(
                WorkloadKind::CronJob,
                &c.metadata,
                c.spec.job_template.spec.as_ref().map(|s| &s.template),
            )
        });
        let pods = self.pods.iter().map(|p| Workload {
            kind: WorkloadKind::Pod,
            namespace: namespace_of(&p.metadata),
            name: name_of(&p.metadata),
            labels: p.metadata.labels.as_ref(),
            spec: p.spec.as_ref(),
            metadata: &p.metadata,
        });
        let all: Vec<Workload<'_>> = deployments
            .chain(stateful_sets)
            .chain(daemon_sets)
            .chain(replica_sets)
            .chain(replication_controllers)
            .chain(jobs)
            .chain(cron_jobs)
            .chain(pods)
            .collect();
        let owners = owners::Owners::new(&all);
        all.into_iter().filter(move |w| !owners.owns(w))
    }
}

impl Origins {
    /// Records that the object `key` (kind, namespace, name) is at `at`, filed at `index`:
    /// `true` when it is new. Given before, it is the same object (`same(earlier index)`) and
    /// read once (`false`), or a problem naming both places.
    fn first(
        &mut self,
        at: &str,
        kind: &str,
        key: (String, String, String),
        index: usize,
        same: impl FnOnce(usize) -> bool,
    ) -> Result<bool, Vec<Problem>> {
        use std::collections::hash_map::Entry;
        match self.0.entry(key) {
            Entry::Vacant(entry) => {
                entry.insert((at.to_owned(), index));
                Ok(true)
            }
            Entry::Occupied(entry) => {
                let (first, earlier) = entry.get();
                if same(*earlier) {
                    Ok(false)
                } else {
                    Err(vec![Problem {
                        field: at.to_owned(),
                        also: vec![first.clone()],
                        value: if kind.starts_with("Cluster") {
                            format!("{kind}/{}", entry.key().2)
                        } else {
                            format!("{kind}/{}/{}", entry.key().1, entry.key().2)
                        },
                        rule: format!(
                            "is given again with other contents (first at {first}): give each object once"
                        ),
                    }])
                }
            }
        }
    }
}
