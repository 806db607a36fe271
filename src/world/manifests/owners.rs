//! Which pod templates of the input belong to another object of it: a cluster dump (`kubectl
//! get all -o yaml`) holds a Deployment beside its ReplicaSets and their Pods, which carry the
//! Deployment's pod labels. They are the Deployment's pods, not other workloads a selector must
//! leave out.

use std::collections::HashSet;

use super::{Workload, WorkloadKind};

/// The workloads of the input, by kind, namespace and name, and by uid.
pub(super) struct Owners<'m> {
    present: HashSet<(&'m str, &'m str, &'m str)>,
    uids: HashSet<&'m str>,
}

impl<'m> Owners<'m> {
    /// The objects of `workloads` (every pod template of the input, owned ones included).
    pub(super) fn new(workloads: &[Workload<'m>]) -> Self {
        let present = workloads
            .iter()
            .map(|w| (w.kind.as_str(), w.namespace, w.name))
            .collect();
        let uids = workloads
            .iter()
            .filter_map(|w| w.metadata.uid.as_deref())
            .filter(|u| !u.is_empty())
            .collect();
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
                    || (owner.kind == WorkloadKind::ReplicaSet.as_str()
                        && workload
                            .metadata
                            .labels
                            .as_ref()
                            .and_then(|l| l.get("pod-template-hash"))
                            .and_then(|hash| owner.name.strip_suffix(hash.as_str()))
                            .and_then(|rest| rest.strip_suffix('-'))
                            .is_some_and(|deployment| {
                                self.present.contains(&(
                                    WorkloadKind::Deployment.as_str(),
                                    namespace,
                                    deployment,
                                ))
                            }))
            })
    }
}
