//! The fleet's Kustomize tree: each object file goes where exactly the clusters that hold it
//! (byte for byte) read it. Every cluster's → `base/`; every cluster of one flavor's, when
//! that is more than one cluster and not all → `components/FLAVOR/`; any other's → the
//! overlay of each cluster holding it, `clusters/NAME/`. So `kubectl kustomize
//! clusters/NAME` builds exactly that cluster's bundle, and no object is in two places one
//! cluster reads.

use std::collections::HashMap;
use std::collections::hash_map::Entry;

use askama::Template;

use super::FleetPlan;
use crate::diagnostics::Error;
use crate::kinds::{Kind, Object};
use crate::options::ClusterFlavor;
use crate::write::emit::HEADER;
use crate::write::kustomize::{self, GeneratedFile, KUSTOMIZATION, ObjectFile};

/// The folder of what every cluster shares.
pub(crate) const BASE: &str = "base";
/// The folder of the per-flavor components.
pub(crate) const COMPONENTS: &str = "components";
/// The folder of the per-cluster overlays.
pub(crate) const CLUSTERS: &str = "clusters";

/// One distinct object file's stem and the clusters (indices, ascending) that hold it; its
/// contents are the key it is found by.
struct Shared {
    kind: Kind,
    stem: String,
    clusters: Vec<usize>,
}

/// The base, the components and the overlays, in that order.
pub(crate) fn overlays(fleet: &FleetPlan) -> Result<Vec<GeneratedFile>, Error> {
    let clusters = fleet.clusters();
    let mut shared: Vec<Shared> = Vec::new();
    let mut index: HashMap<String, usize> = HashMap::new();
    for (i, cluster) in clusters.iter().enumerate() {
        let plan = &cluster.plan;
        for ObjectFile {
            kind,
            stem,
            contents,
        } in kustomize::object_files(plan.object_count(), |sink| plan.each_object(sink))?
        {
            match index.entry(contents) {
                Entry::Occupied(at) => shared[*at.get()].clusters.push(i),
                Entry::Vacant(slot) => {
                    slot.insert(shared.len());
                    shared.push(Shared {
                        kind,
                        stem,
                        clusters: vec![i],
                    });
                }
            }
        }
    }
    // Each distinct file is held once, by the index, until it is placed.
    let mut texts = vec![String::new(); shared.len()];
    for (contents, at) in index {
        texts[at] = contents;
    }
    let flavors: Vec<(ClusterFlavor, Vec<usize>)> =
        [ClusterFlavor::Standard, ClusterFlavor::Autopilot]
            .into_iter()
            .map(|flavor| {
                let of: Vec<usize> = (0..clusters.len())
                    .filter(|&i| clusters[i].plan.flavor() == flavor)
                    .collect();
                (flavor, of)
            })
            // A component for one cluster, or for all, would only move files around.
            .filter(|(_, of)| of.len() > 1 && of.len() < clusters.len())
            .collect();

    let mut base = Vec::new();
    let mut components: Vec<Vec<ObjectFile>> = vec![Vec::new(); flavors.len()];
    let mut own: Vec<Vec<ObjectFile>> = vec![Vec::new(); clusters.len()];
    let monitors = kustomize::Monitors::among(shared.iter().map(|s| s.kind));
    for (
        Shared {
            kind,
            stem,
            clusters: of,
        },
        contents,
    ) in shared.into_iter().zip(texts)
    {
        let file = ObjectFile {
            kind,
            stem,
            contents,
        };
        if of.len() == clusters.len() {
            base.push(file);
        } else if let Some(c) = flavors.iter().position(|(_, members)| *members == of) {
            components[c].push(file);
        } else {
            for &i in &of {
                own[i].push(file.clone());
            }
        }
    }

    // The fleet-wide rules, in one cluster only: synced to all, each copy would alert again.
    let global = fleet.global_rules();
    own[fleet.rules_cluster].extend(kustomize::object_files(1, |sink| {
        sink(Object::from(&global))
    })?);

    let mut files = Vec::new();
    let mut put = |folder: &str, inner: Vec<GeneratedFile>| {
        files.extend(inner.into_iter().map(|f| GeneratedFile {
            name: format!("{folder}/{}", f.name),
            contents: f.contents,
        }));
    };
    put(BASE, kustomize::base(kustomize::named(base), monitors)?);
    let mut used = Vec::new();
    for ((flavor, members), objects) in flavors.iter().zip(components) {
        if objects.is_empty() {
            continue;
        }
        let folder = format!("{COMPONENTS}/{}", flavor.component());
        put(
            &folder,
            with_kustomization(COMPONENT, objects, Vec::new(), Vec::new())?,
        );
        used.push((flavor.component(), members));
    }
    for (i, (cluster, objects)) in clusters.iter().zip(own).enumerate() {
        let components = used
            .iter()
            .filter(|(_, members)| members.contains(&i))
            .map(|(component, _)| format!("../../{COMPONENTS}/{component}"))
            .collect();
        let base = vec![format!("../../{BASE}")];
        let folder = format!("{CLUSTERS}/{}", cluster.name);
        put(
            &folder,
            with_kustomization(OVERLAY, objects, base, components)?,
        );
    }
    Ok(files)
}

/// An overlay's kustomization: over the base and components, adding its own files.
const OVERLAY: (&str, &str) = ("kustomize.config.k8s.io/v1beta1", "Kustomization");
/// A component's: the files every cluster of one flavor adds.
const COMPONENT: (&str, &str) = ("kustomize.config.k8s.io/v1alpha1", "Component");

/// A folder's files: `objects`, named, and the kustomization (`kind`) listing `before` (the
/// base), them, and `components`.
fn with_kustomization(
    (api_version, kind): (&str, &str),
    objects: Vec<ObjectFile>,
    before: Vec<String>,
    components: Vec<String>,
) -> Result<Vec<GeneratedFile>, Error> {
    let mut files = kustomize::named(objects);
    let mut resources = before;
    resources.extend(files.iter().map(|f| f.name.clone()));
    let contents = FolderKustomizationYaml {
        header: HEADER,
        api_version,
        kind,
        resources: &resources,
        components: &components,
    }
    .render()?;
    files.push(GeneratedFile {
        name: KUSTOMIZATION.to_owned(),
        contents,
    });
    Ok(files)
}

#[derive(Template)]
#[template(path = "fleet_kustomization.yaml")]
struct FolderKustomizationYaml<'a> {
    header: &'a str,
    api_version: &'a str,
    kind: &'a str,
    resources: &'a [String],
    components: &'a [String],
}
