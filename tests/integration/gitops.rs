//! A fleet written as one GitOps tree: every cluster's overlay, built by kubectl's Kustomize, is
//! exactly that cluster's bundle; the engines' objects name overlays that exist; the whole tree
//! passes the conformance validators; bad fleets are refused naming cluster and field.

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;

use igw_monitoring::manifests::{self, Manifests};
use igw_monitoring::{
    ClusterFlavor, Engine, Fleet, FleetCluster, FleetPlan, GitOps, Given, LabelSelector, Objects,
    Options, Repository,
};

use crate::support::{TestResult, shared_dir};

/// Options as `render --from FILE` makes them over `base`.
fn from(file: &str, base: Options) -> Result<Options, Box<dyn std::error::Error>> {
    let path = shared_dir().join("reference/epp").join(file);
    let mut index = Manifests::new();
    index.read(file, &std::fs::read_to_string(path)?)?;
    let discovery = manifests::discover(&index, base.monitoring)?;
    Ok(discovery.apply(base, &Given::new())?.0)
}

fn cluster(name: &str, options: Options) -> FleetCluster {
    FleetCluster {
        name: name.to_owned(),
        project: "fleet-project".to_owned(),
        location: "us-central1".to_owned(),
        options,
        ..Default::default()
    }
}

fn autopilot(options: Options) -> Options {
    Options {
        flavor: ClusterFlavor::Autopilot,
        ..options
    }
}

/// Four clusters: two Autopilot ones with the same picker, a Standard one with another, and a
/// Standard one from another release.
fn four_clusters() -> Result<Vec<FleetCluster>, Box<dyn std::error::Error>> {
    let pool = "gie-v1.5.0-inferencepool-chart-gke.yaml";
    Ok(vec![
        cluster("prod-a", autopilot(from(pool, Options::default())?)),
        cluster("prod-b", autopilot(from(pool, Options::default())?)),
        cluster(
            "staging",
            from("gie-v1.0.0-raw-manifests.yaml", Options::default())?,
        ),
        cluster(
            "llm-d",
            from(
                "llm-d-router-v0.10.0-gateway-chart-gmp.yaml",
                Options::default(),
            )?,
        ),
    ])
}

/// The same shape without `../shared`: two alike Autopilot clusters and two Standard ones
/// with pickers of their own.
fn hand_made() -> Vec<FleetCluster> {
    let picker = |app: &str| Options {
        selector: LabelSelector::default().match_label("app", app),
        ..Options::default()
    };
    vec![
        cluster("prod-a", autopilot(picker("epp"))),
        cluster("prod-b", autopilot(picker("epp"))),
        cluster("staging", picker("staging-epp")),
        cluster("llm-d", picker("llm-d-epp")),
    ]
}

fn fleet(engine: Engine) -> Result<Fleet, Box<dyn std::error::Error>> {
    with(engine, hand_made())
}

fn with(engine: Engine, clusters: Vec<FleetCluster>) -> Result<Fleet, Box<dyn std::error::Error>> {
    Ok(Fleet {
        clusters,
        gitops: GitOps {
            engine,
            repository: (engine != Engine::None).then(|| Repository {
                url: "https://github.com/example/fleet-config.git".to_owned(),
                revision: "main".to_owned(),
                path: "monitoring".to_owned(),
            }),
        },
    })
}

fn write(plan: &FleetPlan, root: &Path) -> TestResult {
    for file in plan.tree()? {
        let path = root.join(&file.name);
        std::fs::create_dir_all(path.parent().ok_or("no parent")?)?;
        std::fs::write(path, file.contents)?;
    }
    Ok(())
}

/// The objects of a YAML stream as JSON values, sorted (order is Kustomize's own).
fn objects(yaml: &str) -> Result<Vec<serde_json::Value>, serde_yaml::Error> {
    use serde::Deserialize;
    let mut all = serde_yaml::Deserializer::from_str(yaml)
        .map(serde_json::Value::deserialize)
        .filter(|v| !matches!(v, Ok(serde_json::Value::Null)))
        .collect::<Result<Vec<_>, _>>()?;
    all.sort_by_key(|v| v.to_string());
    Ok(all)
}

fn kustomize(dir: &Path) -> Result<String, String> {
    let output = Command::new("kubectl")
        .arg("kustomize")
        .arg(dir)
        .env("KUBECONFIG", "/dev/null")
        .output()
        .map_err(|e| format!("kubectl: {e}"))?;
    if !output.status.success() {
        return Err(format!(
            "kubectl kustomize {}: {}",
            dir.display(),
            String::from_utf8_lossy(&output.stderr)
        ));
    }
    String::from_utf8(output.stdout).map_err(|e| e.to_string())
}

#[test]
fn the_tree_shares_what_clusters_share_and_nothing_else() -> TestResult {
    let plan = fleet(Engine::None)?.plan()?;
    let tree = plan.tree()?;
    let folders: BTreeSet<&str> = tree
        .iter()
        .filter_map(|f| f.name.rsplit_once('/').map(|(dir, _)| dir))
        .collect();
    let expected: BTreeSet<&str> = [
        "base",
        "components/autopilot",
        "components/standard",
        "clusters/prod-a",
        "clusters/prod-b",
        "clusters/staging",
        "clusters/llm-d",
        "dashboards",
    ]
    .into();
    assert_eq!(folders, expected);
    // The two Autopilot clusters render the same bundle: their overlays hold no object of it;
    // the first cluster (the rules cluster) holds the fleet-wide GlobalRules, and no other does.
    for (name, own) in [
        (
            "prod-a",
            vec![
                "globalrules-igw-monitoring-fleet.yaml",
                "kustomization.yaml",
            ],
        ),
        ("prod-b", vec!["kustomization.yaml"]),
    ] {
        let files: Vec<&str> = tree
            .iter()
            .filter_map(|f| f.name.strip_prefix(&format!("clusters/{name}/")))
            .collect();
        assert_eq!(files, own, "{name}");
    }
    let global: Vec<&str> = tree
        .iter()
        .filter(|f| f.contents.contains("kind: GlobalRules"))
        .map(|f| f.name.as_str())
        .collect();
    assert_eq!(
        global,
        ["clusters/prod-a/globalrules-igw-monitoring-fleet.yaml"]
    );
    let overlay = tree
        .iter()
        .find(|f| f.name == "clusters/prod-b/kustomization.yaml")
        .ok_or("no overlay")?;
    assert!(
        overlay
            .contents
            .contains("resources:\n- ../../base\ncomponents:\n- ../../components/autopilot\n"),
        "{}",
        overlay.contents
    );
    // Deterministic: the same fleet gives the same bytes.
    assert_eq!(tree, fleet(Engine::None)?.plan()?.tree()?);
    Ok(())
}

/// Each engine's tree: every overlay kubectl's Kustomize builds is exactly its cluster's
/// bundle (as objects), its scrape chain unbroken, and the built overlays and the engine's
/// objects pass check.sh.
#[test]
#[ignore = "needs ../shared, Python, the conformance validators and kubectl"]
fn every_built_overlay_is_its_clusters_bundle_and_passes_check_sh() -> TestResult {
    let judged = tempfile::tempdir()?;
    let mut files = Vec::new();
    for engine in [
        Engine::None,
        Engine::Argocd,
        Engine::Configsync,
        Engine::Flux,
    ] {
        let plan = with(engine, four_clusters()?)?.plan()?;
        let root = tempfile::tempdir()?;
        write(&plan, root.path())?;
        let global = serde_json::to_value(plan.global_rules())?;
        let mut with_global_rules = 0;
        for cluster in plan.clusters() {
            let built = kustomize(&root.path().join("clusters").join(&cluster.name))?;
            let mut expected = objects(&cluster.plan.to_yaml()?)?;
            let built_objects = objects(&built)?;
            if built_objects.iter().any(|o| o["kind"] == "GlobalRules") {
                with_global_rules += 1;
                assert_eq!(cluster.name, plan.rules_cluster().name);
                expected.push(global.clone());
                expected.sort_by_key(|v| v.to_string());
            }
            assert_eq!(built_objects, expected, "{engine:?} {}", cluster.name);
            // The scrape chain holds in what the engine applies.
            let applied = crate::support::read_back(&built)?;
            let collector = cluster
                .plan
                .collector()
                .ok_or("a GMP plan has a collector")?;
            let broken = igw_monitoring::relations::broken_links(&applied, &collector.namespace);
            assert!(broken.is_empty(), "{engine:?} {}: {broken:?}", cluster.name);
            let path = judged
                .path()
                .join(format!("{}-{}.yaml", engine.as_str(), cluster.name));
            std::fs::write(&path, built)?;
            files.push(path);
        }
        assert_eq!(with_global_rules, 1, "{engine:?}");
        for file in plan.tree()? {
            if let Some(name) = file.name.strip_prefix(&format!("{}/", engine.as_str())) {
                let path = judged
                    .path()
                    .join(format!("engine-{}-{name}", engine.as_str()));
                std::fs::write(&path, file.contents)?;
                files.push(path);
            }
        }
    }
    assert!(
        files
            .iter()
            .any(|f| f.to_string_lossy().contains("engine-flux-"))
    );
    crate::conformance::check_sh(&files)
}

#[test]
fn engine_objects_name_overlays_of_the_tree() -> TestResult {
    for engine in [Engine::Argocd, Engine::Configsync, Engine::Flux] {
        let plan = fleet(engine)?.plan()?;
        let tree = plan.tree()?;
        let engine_files: Vec<_> = tree
            .iter()
            .filter(|f| {
                !["base/", "components/", "clusters/", "dashboards/"]
                    .iter()
                    .any(|p| f.name.starts_with(p))
            })
            .collect();
        assert!(!engine_files.is_empty(), "{engine:?}");
        let mut named = BTreeSet::new();
        for file in engine_files {
            for object in objects(&file.contents)? {
                let paths = match object["kind"].as_str() {
                    Some("ApplicationSet") => object["spec"]["generators"][0]["list"]["elements"]
                        .as_array()
                        .ok_or("no elements")?
                        .iter()
                        .map(|e| e["path"].as_str().unwrap_or_default().to_owned())
                        .collect(),
                    Some("RootSync") => {
                        vec![
                            object["spec"]["git"]["dir"]
                                .as_str()
                                .unwrap_or_default()
                                .to_owned(),
                        ]
                    }
                    Some("Kustomization") => {
                        vec![
                            object["spec"]["path"]
                                .as_str()
                                .unwrap_or_default()
                                .to_owned(),
                        ]
                    }
                    Some("GitRepository") => continue,
                    other => return Err(format!("{other:?} in {}", file.name).into()),
                };
                named.extend(paths);
            }
        }
        let overlays: BTreeSet<String> = plan
            .clusters()
            .iter()
            .map(|c| {
                let prefix = if engine == Engine::Flux { "./" } else { "" };
                format!("{prefix}monitoring/clusters/{}", c.name)
            })
            .collect();
        assert_eq!(named, overlays, "{engine:?}");
        for path in &overlays {
            let inside = path
                .trim_start_matches("./")
                .trim_start_matches("monitoring/");
            assert!(
                tree.iter()
                    .any(|f| f.name == format!("{inside}/kustomization.yaml")),
                "{engine:?}: {path} is not in the tree"
            );
        }
    }
    Ok(())
}

#[test]
fn bad_fleets_are_refused_naming_cluster_and_field() -> TestResult {
    let mut bad = fleet(Engine::Flux)?;
    bad.clusters[1].name = "prod-a".to_owned();
    bad.clusters[2].name = "Staging_1".to_owned();
    bad.clusters[2].project = "x".to_owned();
    bad.clusters[0].fleet_rules = true;
    bad.clusters[3].fleet_rules = true;
    bad.clusters[3].options.namespace = "Bad NS".to_owned();
    bad.gitops.repository = None;
    let Err(igw_monitoring::Error::Invalid(problems)) = bad.plan() else {
        return Err("a bad fleet was accepted".into());
    };
    let fields: Vec<&str> = problems.iter().map(|p| p.field.as_str()).collect();
    for field in [
        "clusters[1].name",
        "clusters[2].name",
        "clusters[2].project",
        "clusters[3].fleetRules",
        "clusters[3].namespace",
        "gitops.repository",
    ] {
        assert!(fields.contains(&field), "{field} not in {fields:?}");
    }
    let text = problems.to_string();
    assert!(text.contains("(cluster \"llm-d\")"), "{text}");
    Ok(())
}

/// The fleet-wide alert under promtool: a cluster that goes silent fires after 10m + 5m and
/// keeps firing (three days on), recovers when it reports again; a healthy cluster, one that
/// starts reporting within the grace and one outside the fleet never fire. (A cluster of the
/// fleet that never reports fires at 5m: the test's own series must cover all four.)
#[test]
#[ignore = "needs promtool (apt-get install prometheus)"]
fn a_silent_cluster_fires_keeps_firing_and_recovers() -> TestResult {
    use serde_json::json;
    let plan = fleet(Engine::None)?.plan()?;
    let global = serde_json::to_value(plan.global_rules())?;
    let rules = &global["spec"]["groups"][0]["rules"];
    let job = |name: &str| -> Result<String, Box<dyn std::error::Error>> {
        let cluster = plan
            .clusters()
            .iter()
            .find(|c| c.name == name)
            .ok_or("no cluster")?;
        Ok(cluster.plan.targets()[0].monitoring().name.clone())
    };
    let up = |cluster: &str, job: &str| {
        format!(
            "up{{cluster=\"{cluster}\",instance=\"epp-0:metrics\",job=\"{job}\",location=\"us-central1\",namespace=\"default\",project_id=\"fleet-project\"}}"
        )
    };
    let firing = |cluster: &str| -> serde_json::Value {
        let annotation = |key: &str| {
            rules[0]["annotations"][key]
                .as_str()
                .unwrap_or_default()
                .replace("{{ $labels.cluster }}", cluster)
                .replace("{{ $labels.location }}", "us-central1")
                .replace("{{ $labels.project_id }}", "fleet-project")
        };
        json!([{
            "exp_labels": {
                "severity": "critical", "cluster": cluster,
                "location": "us-central1", "project_id": "fleet-project",
            },
            "exp_annotations": {
                "summary": annotation("summary"), "description": annotation("description"),
            },
        }])
    };
    let series =
        |values: [(&str, &str); 5]| -> Result<Vec<serde_json::Value>, Box<dyn std::error::Error>> {
            let mut all = Vec::new();
            for (cluster, values) in values {
                let job = if cluster == "elsewhere" {
                    job("staging")?
                } else {
                    job(cluster)?
                };
                let cluster = if cluster == "elsewhere" {
                    "not-in-the-fleet"
                } else {
                    cluster
                };
                all.push(json!({"series": up(cluster, &job), "values": values}));
            }
            Ok(all)
        };
    let alert = igw_monitoring::STOPPED_REPORTING;
    let none = json!([]);
    let unit = json!({
        "rule_files": ["fleet.yaml"],
        "evaluation_interval": "1m",
        "tests": [
            {
                // prod-a stops after 30m and stays silent; prod-b stays healthy; llm-d
                // starts at 3m; a cluster outside the fleet stops too.
                "interval": "1m",
                "input_series": series([
                    ("prod-a", "1x30"), ("prod-b", "1x4400"), ("staging", "1x4400"),
                    ("llm-d", "_x3 1x4400"), ("elsewhere", "1x30"),
                ])?,
                "alert_rule_test": [
                    {"alertname": alert, "eval_time": "5m", "exp_alerts": none},
                    {"alertname": alert, "eval_time": "35m", "exp_alerts": none},
                    {"alertname": alert, "eval_time": "50m", "exp_alerts": firing("prod-a")},
                    {"alertname": alert, "eval_time": "3d", "exp_alerts": firing("prod-a")},
                ],
            },
            {
                // prod-a is silent from 31m to 90m, then reports again.
                "interval": "1m",
                "input_series": series([
                    ("prod-a", "1x30 _x60 1x60"), ("prod-b", "1x200"), ("staging", "1x200"),
                    ("llm-d", "1x200"), ("elsewhere", "1x200"),
                ])?,
                "alert_rule_test": [
                    {"alertname": alert, "eval_time": "60m", "exp_alerts": firing("prod-a")},
                    {"alertname": alert, "eval_time": "100m", "exp_alerts": none},
                ],
            },
        ],
    });
    let dir = tempfile::tempdir()?;
    std::fs::write(
        dir.path().join("fleet.yaml"),
        serde_yaml::to_string(&json!({"groups": global["spec"]["groups"]}))?,
    )?;
    std::fs::write(dir.path().join("test.yaml"), serde_yaml::to_string(&unit)?)?;
    crate::promtool::promtool(dir.path(), &["check", "rules", "fleet.yaml"])?;
    crate::promtool::promtool(dir.path(), &["test", "rules", "test.yaml"])
}

/// One fleet dashboard per metric schema the clusters emit, over every cluster (no cluster
/// matcher, Cloud Monitoring's pinned cluster filter instead) and no `${…}` anywhere in the
/// tree for Flux to substitute; the clusters' own dashboards are unchanged.
#[test]
fn fleet_dashboards_filter_by_cluster_and_nothing_substitutes() -> TestResult {
    let mut clusters = hand_made();
    clusters[3].options.metrics_schema = Some(igw_monitoring::MetricsSchema::LlmDEpp);
    let plan = with(Engine::Flux, clusters)?.plan()?;
    let dashboards = plan.dashboards()?;
    let names: Vec<&str> = dashboards.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "dashboards/fleet-inference-model.json",
            "dashboards/fleet-llm-d-epp.json",
            "dashboards/README.md"
        ]
    );
    for file in &dashboards[..2] {
        let dashboard: serde_json::Value = serde_json::from_str(&file.contents)?;
        assert_eq!(
            dashboard["dashboardFilters"],
            serde_json::json!([{"filterType": "RESOURCE_LABEL", "labelKey": "cluster",
                "stringValue": "", "templateVariable": ""}])
        );
        let queries: Vec<&str> = dashboard["mosaicLayout"]["tiles"]
            .as_array()
            .ok_or("no tiles")?
            .iter()
            .flat_map(|t| {
                t["widget"]["xyChart"]["dataSets"]
                    .as_array()
                    .into_iter()
                    .flatten()
            })
            .filter_map(|d| d["prometheusQuery"].as_str())
            .collect();
        assert!(queries.len() > 10, "{}", file.name);
        for query in queries {
            assert!(!query.contains("cluster="), "{query}");
            promql_parser::parser::parse(query).map_err(|e| format!("{query}: {e}"))?;
        }
    }
    let readme = &dashboards[2].contents;
    assert!(readme.starts_with(igw_monitoring::HEADER), "{readme}");
    assert!(
        readme.contains("--config-from-file=fleet-llm-d-epp.json"),
        "{readme}"
    );
    for file in plan.tree()? {
        assert!(!file.contents.contains("${"), "{}", file.name);
    }
    // A cluster's own dashboard is what it was.
    let cluster = &plan.clusters()[0];
    assert!(
        !cluster
            .plan
            .dashboard(Some("prod-a"))?
            .contains("dashboardFilters")
    );
    Ok(())
}

/// The tree's own files (kustomizations, components, engine objects, the GlobalRules) of each
/// engine, pinned byte for byte; the objects' files are render's, pinned by its snapshots.
#[test]
fn the_trees_own_files_are_pinned() -> TestResult {
    for engine in [Engine::Argocd, Engine::Configsync, Engine::Flux] {
        let tree = fleet(engine)?.plan()?.tree()?;
        let mut text = String::new();
        for file in &tree {
            let own = file.name.ends_with("/kustomization.yaml")
                || file.name.contains("globalrules-")
                || file.name.starts_with(&format!("{}/", engine.as_str()));
            if own {
                text.push_str(&format!("=== {}\n{}", file.name, file.contents));
            }
        }
        insta::with_settings!({ snapshot_path => "../../snapshots", prepend_module_to_snapshot => false, omit_expression => true }, {
            insta::assert_snapshot!(format!("fleet_tree_{}", engine.as_str()), text);
        });
    }
    Ok(())
}
