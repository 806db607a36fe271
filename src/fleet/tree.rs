//! The fleet's Kustomize tree: each object file goes where exactly the clusters that hold it
//! (byte for byte) read it. Every cluster's → `base/`; every cluster of one flavor's, when
//! that is more than one cluster and not all → `components/FLAVOR/`; any other's → the
//! overlay of each cluster holding it, `clusters/NAME/`. So `kubectl kustomize
//! clusters/NAME` builds exactly that cluster's bundle, and no object is in two places one
//! cluster reads.

use std::collections::HashMap;

use askama::Template;

use super::FleetPlan;
use crate::diagnostics::Error;
use crate::kinds::Object;
use crate::options::ClusterFlavor;
use crate::write::emit::HEADER;
use crate::write::kustomize::{self, GeneratedFile, KUSTOMIZATION, ObjectFile};

/// The folder of what every cluster shares.
pub(crate) const BASE: &str = "base";
/// The folder of the per-flavor components.
pub(crate) const COMPONENTS: &str = "components";
/// The folder of the per-cluster overlays.
pub(crate) const CLUSTERS: &str = "clusters";

/// One distinct object file and the clusters (indices, ascending) that hold it.
struct Shared {
    file: ObjectFile,
    clusters: Vec<usize>,
}

/// The base, the components and the overlays, in that order.
pub(crate) fn overlays(fleet: &FleetPlan) -> Result<Vec<GeneratedFile>, Error> {
    let clusters = fleet.clusters();
    let mut shared: Vec<Shared> = Vec::new();
    let mut index: HashMap<String, usize> = HashMap::new();
    for (i, cluster) in clusters.iter().enumerate() {
        let plan = &cluster.plan;
        for file in kustomize::object_files(plan.object_count(), |sink| plan.each_object(sink))? {
            match index.get(&file.contents) {
                Some(&at) => shared[at].clusters.push(i),
                None => {
                    index.insert(file.contents.clone(), shared.len());
                    shared.push(Shared {
                        file,
                        clusters: vec![i],
                    });
                }
            }
        }
    }
    drop(index);
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
    for Shared { file, clusters: of } in shared {
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
    put(BASE, kustomize::base(kustomize::named(base))?);
    let mut used = Vec::new();
    for ((flavor, members), objects) in flavors.iter().zip(components) {
        if objects.is_empty() {
            continue;
        }
        let mut inner = kustomize::named(objects);
        let resources: Vec<&str> = inner.iter().map(|f| f.name.as_str()).collect();
        let contents = ComponentYaml {
            header: HEADER,
            resources: &resources,
        }
        .render()?;
        inner.push(GeneratedFile {
            name: KUSTOMIZATION.to_owned(),
            contents,
        });
        put(&format!("{COMPONENTS}/{}", flavor.component()), inner);
        used.push((flavor.component(), members));
    }
    for (i, (cluster, objects)) in clusters.iter().zip(own).enumerate() {
        let mut inner = kustomize::named(objects);
        let mut resources = vec![format!("../../{BASE}")];
        resources.extend(inner.iter().map(|f| f.name.clone()));
        let components: Vec<String> = used
            .iter()
            .filter(|(_, members)| members.contains(&i))
            .map(|(component, _)| format!("../../{COMPONENTS}/{component}"))
            .collect();
        let contents = OverlayYaml {
            header: HEADER,
            resources: &resources,
            components: &components,
        }
        .render()?;
        inner.push(GeneratedFile {
            name: KUSTOMIZATION.to_owned(),
            contents,
        });
        put(&format!("{CLUSTERS}/{}", cluster.name), inner);
    }
    Ok(files)
}

#[derive(Template)]
#[template(path = "fleet_overlay.yaml")]
struct OverlayYaml<'a> {
    header: &'a str,
    resources: &'a [String],
    components: &'a [String],
}

#[derive(Template)]
#[template(path = "fleet_component.yaml")]
struct ComponentYaml<'a> {
    header: &'a str,
    resources: &'a [&'a str],
}
