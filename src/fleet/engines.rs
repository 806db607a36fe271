//! The GitOps engine's objects: what makes each cluster sync its own overlay,
//! `PATH/clusters/NAME` of the repository. None of them inlines a value a template engine of
//! theirs would expand (Argo CD's `{{…}}` appears only where the ApplicationSet means it).

use askama::Template;

use super::tree::CLUSTERS;
use super::{Engine, FleetPlan, Repository};
use crate::diagnostics::Error;
use crate::write::emit::HEADER;
use crate::write::kustomize::GeneratedFile;

/// The name every engine object of the tree has (one per cluster for those applied to each).
pub(crate) const OBJECT_NAME: &str = "igw-monitoring";

/// The engine's files, in a fixed order; none without an engine.
pub(crate) fn files(fleet: &FleetPlan) -> Result<Vec<GeneratedFile>, Error> {
    let gitops = fleet.gitops();
    let Some(repository) = &gitops.repository else {
        return Ok(Vec::new());
    };
    let clusters: Vec<(&str, String)> = fleet
        .clusters()
        .iter()
        .map(|c| (c.name.as_str(), overlay_path(repository, &c.name)))
        .collect();
    let mut files = Vec::new();
    match gitops.engine {
        Engine::None => {}
        Engine::Argocd => files.push(GeneratedFile {
            name: "argocd/applicationset.yaml".to_owned(),
            contents: ApplicationSetYaml {
                header: HEADER,
                name: OBJECT_NAME,
                repository,
                clusters: &clusters,
                application: &format!("{{{{.cluster}}}}-{OBJECT_NAME}"),
                cluster: "{{.cluster}}",
                path: "{{.path}}",
            }
            .render()?,
        }),
        Engine::Configsync => {
            for (cluster, dir) in &clusters {
                files.push(GeneratedFile {
                    name: format!("configsync/rootsync-{cluster}.yaml"),
                    contents: RootSyncYaml {
                        header: HEADER,
                        name: OBJECT_NAME,
                        repository,
                        dir,
                    }
                    .render()?,
                });
            }
        }
        Engine::Flux => {
            files.push(GeneratedFile {
                name: "flux/gitrepository.yaml".to_owned(),
                contents: GitRepositoryYaml {
                    header: HEADER,
                    name: OBJECT_NAME,
                    repository,
                }
                .render()?,
            });
            for (cluster, dir) in &clusters {
                files.push(GeneratedFile {
                    name: format!("flux/kustomization-{cluster}.yaml"),
                    contents: FluxKustomizationYaml {
                        header: HEADER,
                        name: OBJECT_NAME,
                        path: &format!("./{dir}"),
                    }
                    .render()?,
                });
            }
        }
    }
    Ok(files)
}

/// Where cluster `name`'s overlay is in the repository.
pub(crate) fn overlay_path(repository: &Repository, name: &str) -> String {
    let root = repository.path.trim_matches('/');
    if root.is_empty() {
        format!("{CLUSTERS}/{name}")
    } else {
        format!("{root}/{CLUSTERS}/{name}")
    }
}

#[derive(Template)]
#[template(path = "argocd_applicationset.yaml")]
struct ApplicationSetYaml<'a> {
    header: &'a str,
    name: &'a str,
    repository: &'a Repository,
    /// Each cluster's name and overlay path: the list generator's elements.
    clusters: &'a [(&'a str, String)],
    /// The Application's name, a Go template over the element.
    application: &'a str,
    /// The element's cluster and path, as the Go template reads them.
    cluster: &'a str,
    path: &'a str,
}

#[derive(Template)]
#[template(path = "configsync_rootsync.yaml")]
struct RootSyncYaml<'a> {
    header: &'a str,
    name: &'a str,
    repository: &'a Repository,
    dir: &'a str,
}

#[derive(Template)]
#[template(path = "flux_gitrepository.yaml")]
struct GitRepositoryYaml<'a> {
    header: &'a str,
    name: &'a str,
    repository: &'a Repository,
}

#[derive(Template)]
#[template(path = "flux_kustomization.yaml")]
struct FluxKustomizationYaml<'a> {
    header: &'a str,
    name: &'a str,
    path: &'a str,
}
