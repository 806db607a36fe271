//! Which pod templates of the input belong to another object of it: a cluster dump (`kubectl
//! get all -o yaml`) holds a Deployment beside its ReplicaSets and their Pods, which carry the
//! Deployment's pod labels. They are the Deployment's pods, not other workloads a selector must
//! leave out.

use std::collections::HashSet;

use super::{Manifests, Workload};

/// The workloads of the input, by kind, namespace and name, and by uid.
pub(super) struct Owners<'m> {
    present: HashSet<(&'m str, &'m str, &'m str)>,
    uids: HashSet<&'m str>,
}

impl<'m> Owners<'m> {
    /// Every object of `manifests` that may own pods.
    pub(super) fn new(manifests: &'m Manifests) -> Self {
        let mut present = HashSet::new();
        let mut uids = HashSet::new();
        let mut add =
            |kind: &'static str,
             meta: &'m k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta| {
                present.insert((kind, super::namespace_of(meta), super::name_of(meta)));
                if let Some(uid) = meta.uid.as_deref().filter(|u| !u.is_empty()) {
                    uids.insert(uid);
                }
            };
        manifests
            .deployments
            .iter()
            .for_each(|o| add("Deployment", &o.metadata));
        manifests
            .stateful_sets
            .iter()
            .for_each(|o| add("StatefulSet", &o.metadata));
        manifests
            .daemon_sets
            .iter()
            .for_each(|o| add("DaemonSet", &o.metadata));
        manifests
            .replica_sets
            .iter()
            .for_each(|o| add("ReplicaSet", &o.metadata));
        manifests
            .replication_controllers
            .iter()
            .for_each(|o| add("ReplicationController", &o.metadata));
        manifests.jobs.iter().for_each(|o| add("Job", &o.metadata));
        manifests
            .cron_jobs
            .iter()
            .for_each(|o| add("CronJob", &o.metadata));
        Self { present, uids }
    }

    /// Whether an object of the input owns `workload`: one of its `ownerReferences` names it
    /// (by uid, or by kind and name in its namespace), or it is a Pod of a ReplicaSet that is
    /// not in the input, named `<deployment>-<pod-template-hash>` after a Deployment that is.
    pub(super) fn owns(&self, workload: &Workload<'_>) -> bool {
        let namespace = workload.namespace;
        workload
            .metadata
            .owner_references
            .iter()
            .flatten()
            .any(|owner| {
                self.uids.contains(owner.uid.as_str())
                    || self
                        .present
                        .contains(&(owner.kind.as_str(), namespace, owner.name.as_str()))
                    || (owner.kind == "ReplicaSet"
                        && workload
                            .metadata
                            .labels
                            .as_ref()
                            .and_then(|l| l.get("pod-template-hash"))
                            .and_then(|hash| owner.name.strip_suffix(hash.as_str()))
                            .and_then(|rest| rest.strip_suffix('-'))
                            .is_some_and(|deployment| {
                                self.present
                                    .contains(&("Deployment", namespace, deployment))
                            }))
            })
    }
}
