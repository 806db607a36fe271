//! Many clusters from one source: a [`Fleet`] of clusters, each with its own [`Options`], resolved
//! at once into one [`Plan`] per cluster ([`FleetPlan`]) and written as one tree: a Kustomize
//! base with what every cluster shares, components for what a trait's clusters share, one
//! overlay per cluster, and the GitOps engine's objects that deliver each overlay.
//!
//! This stage sits above the others: it reads options, plans and writers, and nothing below it
//! knows fleets exist, so a fleet's cluster renders exactly as `render` renders it alone.

mod alerts;
mod engines;
mod tree;

pub use alerts::{FLEET_RULES, STOPPED_REPORTING};

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use askama::Template;

use crate::diagnostics::{Error, Problem, ProblemsBuilder};
use crate::options::releases::MetricsSchema;
use crate::options::{ClusterFlavor, Options};
use crate::plan::Plan;
use crate::rules;
use crate::write::dashboard::dashboard_json;
use crate::write::emit::HEADER;
use crate::write::kustomize::GeneratedFile;
use crate::write::kustomize::README;

/// A fleet: the clusters, and how their configuration reaches them.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Fleet {
    /// The clusters, in the order the tree and the engine list them; no default.
    pub clusters: Vec<FleetCluster>,
    /// The GitOps engine and its repository; default: no engine (the overlays only).
    pub gitops: GitOps,
}

/// One cluster of a fleet.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct FleetCluster {
    /// Its name: a DNS-1123 label, unique in the fleet; the name its GitOps engine knows it by
    /// (Argo CD's cluster, Config Sync's cluster name). No default.
    pub name: String,
    /// The Google Cloud project it reports metrics to; no default.
    pub project: String,
    /// Its location (region or zone), e.g. `us-central1`; no default.
    pub location: String,
    /// Whether it carries the fleet-wide rules; default: `false` (then the first cluster does).
    pub fleet_rules: bool,
    /// Its options, as `render` takes them (Autopilot or Standard is `options.flavor`).
    pub options: Options,
}

/// The GitOps engine that delivers each cluster's overlay, and where the tree lives.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct GitOps {
    /// The engine; default: `none`.
    #[serde(default)]
    pub engine: Engine,
    /// The Git repository that holds the tree; required with an engine.
    #[serde(default)]
    pub repository: Option<Repository>,
}

/// Which GitOps engine's objects are written beside the overlays.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Engine {
    /// None: the overlays only, for a pipeline of your own.
    #[default]
    None,
    /// An Argo CD ApplicationSet with one Application per cluster (list generator).
    Argocd,
    /// One Config Sync RootSync per cluster (unstructured source format).
    Configsync,
    /// A Flux GitRepository and one Kustomization per cluster.
    Flux,
}

impl Engine {
    /// The engine as the fleet file spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::None => "none",
            Self::Argocd => "argocd",
            Self::Configsync => "configsync",
            Self::Flux => "flux",
        }
    }
}

/// The Git repository a GitOps engine reads the tree from.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Repository {
    /// Its URL, as the engine clones it; no default.
    pub url: String,
    /// The branch the engine follows; default: `main`.
    #[serde(default = "default_revision")]
    pub revision: String,
    /// Where the tree (`--out`) sits in the repository, relative to its root, `/`-separated;
    /// default: the root itself.
    #[serde(default)]
    pub path: String,
}

/// The folder of the fleet dashboards, beside the overlays.
pub(crate) const DASHBOARDS: &str = "dashboards";
#[derive(askama::Template)]
#[template(path = "fleet_dashboards.md", escape = "none")]
struct DashboardsReadme<'a> {
    header: &'a str,
    files: &'a [&'a str],
}

fn default_revision() -> String {
    "main".to_owned()
}

/// One cluster of a valid fleet: its identity and its plan.
#[derive(Clone, Debug)]
pub struct ClusterPlan {
    /// Its name.
    pub name: String,
    /// Its Google Cloud project.
    pub project: String,
    /// Its location.
    pub location: String,
    /// What `render` makes of its options.
    pub plan: Plan,
}

/// A valid fleet: one plan per cluster, the cluster that carries the fleet-wide rules, and the
/// engine that delivers them.
#[derive(Clone, Debug)]
pub struct FleetPlan {
    clusters: Vec<ClusterPlan>,
    rules_cluster: usize,
    gitops: GitOps,
}

impl FleetPlan {
    /// The clusters' plans, in the fleet's order.
    pub fn clusters(&self) -> &[ClusterPlan] {
        &self.clusters
    }

    /// The cluster that carries the fleet-wide rules.
    pub fn rules_cluster(&self) -> &ClusterPlan {
        &self.clusters[self.rules_cluster]
    }

    /// The fleet-wide rules: a [`STOPPED_REPORTING`] alert per cluster, for the rules cluster's
    /// overlay alone.
    pub fn global_rules(&self) -> gmp_types::GlobalRules {
        alerts::global_rules(&self.clusters)
    }

    /// The engine and its repository.
    pub fn gitops(&self) -> &GitOps {
        &self.gitops
    }

    /// Every file of the tree, paths relative to its root (`base/…`, `components/…`,
    /// `clusters/NAME/…`, then the engine's folder), in a fixed order.
    pub fn tree(&self) -> Result<Vec<GeneratedFile>, Error> {
        let mut files = tree::overlays(self)?;
        files.extend(self.dashboards()?);
        files.extend(engines::files(self)?);
        Ok(files)
    }

    /// The fleet dashboards, `dashboards/fleet-SCHEMA.json`: one per metric schema the
    /// clusters' pickers emit, each over every cluster of that schema with a cluster filter,
    /// and `dashboards/README.md` saying how to create them. Outside every overlay, so no
    /// GitOps engine reads (or substitutes in) them.
    pub fn dashboards(&self) -> Result<Vec<GeneratedFile>, Error> {
        let mut schemas: Vec<MetricsSchema> = self
            .clusters
            .iter()
            .map(|c| c.plan.metrics_schema())
            .collect();
        schemas.sort_by_key(|s| s.to_string());
        schemas.dedup();
        let mut files = Vec::with_capacity(schemas.len() + 1);
        for schema in schemas {
            let namespaces: Option<Vec<&str>> = self
                .clusters
                .iter()
                .filter(|c| c.plan.metrics_schema() == schema)
                .flat_map(|c| c.plan.targets().iter().map(|t| t.pods_namespace()))
                .collect();
            files.push(GeneratedFile {
                name: format!("{DASHBOARDS}/fleet-{schema}.json"),
                contents: dashboard_json(schema, None, namespaces, true)?,
            });
        }
        let list: Vec<&str> = files
            .iter()
            .filter_map(|f| f.name.strip_prefix(&format!("{DASHBOARDS}/")))
            .collect();
        let readme = DashboardsReadme {
            header: HEADER,
            files: &list,
        }
        .render()?;
        files.push(GeneratedFile {
            name: format!("{DASHBOARDS}/{README}"),
            contents: readme,
        });
        Ok(files)
    }
}

impl Fleet {
    /// Checks the fleet and every cluster's options, and resolves each cluster's plan; every
    /// problem of every cluster is returned at once, each option's path under
    /// `clusters[I]` (the cluster named in the rule).
    pub fn plan(&self) -> Result<FleetPlan, Error> {
        let mut found = ProblemsBuilder::default();
        if self.clusters.is_empty() {
            found.push(
                "clusters".to_owned(),
                "[]",
                "must list at least one cluster".to_owned(),
            );
        }
        let mut plans = Vec::with_capacity(self.clusters.len());
        for (i, cluster) in self.clusters.iter().enumerate() {
            check_cluster(&mut found, i, cluster, &self.clusters[..i]);
            match cluster.options.plan() {
                Ok(plan) => plans.push(plan),
                Err(Error::Invalid(problems)) => {
                    for problem in problems.iter() {
                        found.push_problem(within(i, &cluster.name, problem));
                    }
                }
                Err(other) => return Err(other),
            }
        }
        let chosen: Vec<usize> = (0..self.clusters.len())
            .filter(|&i| self.clusters[i].fleet_rules)
            .collect();
        if let [_, second, ..] = chosen[..] {
            found.push_with(
                format!("clusters[{second}].fleetRules"),
                chosen
                    .iter()
                    .filter(|&&i| i != second)
                    .map(|i| format!("clusters[{i}].fleetRules"))
                    .collect(),
                "true",
                format!(
                    "one cluster carries the fleet-wide rules, and {} clusters say they do ({}): GlobalRules see every cluster, so each copy would alert once more",
                    chosen.len(),
                    chosen
                        .iter()
                        .map(|&i| self.clusters[i].name.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            );
        }
        check_gitops(&mut found, &self.gitops);
        let plans = found.finish(plans).map_err(Error::Invalid)?;
        let clusters = self
            .clusters
            .iter()
            .zip(plans)
            .map(|(cluster, plan)| ClusterPlan {
                name: cluster.name.clone(),
                project: cluster.project.clone(),
                location: cluster.location.clone(),
                plan,
            })
            .collect();
        Ok(FleetPlan {
            clusters,
            rules_cluster: chosen.first().copied().unwrap_or(0),
            gitops: self.gitops.clone(),
        })
    }
}

/// A cluster's option problem, its paths put under `clusters[i]` and its rule naming the
/// cluster.
fn within(i: usize, name: &str, problem: &Problem) -> Problem {
    Problem {
        field: format!("clusters[{i}].{}", problem.field),
        also: problem
            .also
            .iter()
            .map(|field| format!("clusters[{i}].{field}"))
            .collect(),
        value: problem.value.clone(),
        rule: format!("{} (cluster {name:?})", problem.rule),
    }
}

/// A Google Cloud project ID: 6 to 30 lowercase letters, digits and hyphens, starting with a
/// letter and not ending with a hyphen.
fn project_id(s: &str) -> Result<(), String> {
    let shape = s.len() >= 6
        && s.len() <= 30
        && s.starts_with(|c: char| c.is_ascii_lowercase())
        && !s.ends_with('-')
        && s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    if shape {
        Ok(())
    } else {
        Err("6 to 30 lowercase letters, digits or hyphens, starting with a letter and not ending with a hyphen".to_owned())
    }
}

fn check_cluster(
    found: &mut ProblemsBuilder,
    i: usize,
    cluster: &FleetCluster,
    before: &[FleetCluster],
) {
    let at = |field: &str| format!("clusters[{i}].{field}");
    found.rule(
        || at("name"),
        &cluster.name,
        "cluster name",
        rules::dns1123_label(&cluster.name),
    );
    if let Some(first) = before.iter().position(|c| c.name == cluster.name) {
        found.push_with(
            at("name"),
            vec![format!("clusters[{first}].name")],
            &cluster.name,
            "names two clusters: each cluster's overlay is clusters/NAME, so names must be unique"
                .to_owned(),
        );
    }
    found.rule(
        || at("project"),
        &cluster.project,
        "Google Cloud project ID",
        project_id(&cluster.project),
    );
    found.rule(
        || at("location"),
        &cluster.location,
        "location",
        rules::dns1123_label(&cluster.location),
    );
}

fn check_gitops(found: &mut ProblemsBuilder, gitops: &GitOps) {
    let Some(repository) = &gitops.repository else {
        if gitops.engine != Engine::None {
            found.push(
                "gitops.repository".to_owned(),
                "",
                format!(
                    "is required with engine {}: its objects name the repository each cluster syncs from",
                    gitops.engine.as_str()
                ),
            );
        }
        return;
    };
    if repository.url.is_empty() || repository.url.chars().any(char::is_whitespace) {
        found.push(
            "gitops.repository.url".to_owned(),
            &repository.url,
            "must be a repository URL without spaces".to_owned(),
        );
    }
    if repository.revision.is_empty() || repository.revision.chars().any(char::is_whitespace) {
        found.push(
            "gitops.repository.revision".to_owned(),
            &repository.revision,
            "must be a branch name without spaces".to_owned(),
        );
    }
    let path_ok = repository.path.split('/').all(|part| {
        !matches!(part, "." | "..") && !part.chars().any(|c| c.is_whitespace() || c == '\\')
    }) && !repository.path.starts_with('/');
    if !path_ok {
        found.push(
            "gitops.repository.path".to_owned(),
            &repository.path,
            "must be a relative path inside the repository (`/`-separated, no `.` or `..` parts, no spaces)".to_owned(),
        );
    }
}

impl ClusterFlavor {
    /// The name of the component holding what every cluster of this flavor shares.
    pub(crate) fn component(self) -> &'static str {
        match self {
            Self::Standard => "standard",
            Self::Autopilot => "autopilot",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The folder and message spellings are the fleet file's (serde's), variant by variant.
    #[test]
    fn engines_and_flavors_are_spelled_as_the_fleet_file_spells_them() {
        let serde = |v: serde_json::Value| v.as_str().unwrap_or_default().to_owned();
        for engine in [
            Engine::None,
            Engine::Argocd,
            Engine::Configsync,
            Engine::Flux,
        ] {
            let spelled = serde_json::to_value(engine).map(serde).unwrap_or_default();
            assert_eq!(engine.as_str(), spelled);
        }
        for flavor in [ClusterFlavor::Standard, ClusterFlavor::Autopilot] {
            let spelled = serde_json::to_value(flavor).map(serde).unwrap_or_default();
            assert_eq!(flavor.component(), spelled);
        }
    }
}
