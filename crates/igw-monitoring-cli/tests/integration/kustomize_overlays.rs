//! Kustomize bases written by `igw-monitoring kustomize` stay working bundles under overlays that
//! move the namespace and rename objects: proved with kubectl's built-in Kustomize and the
//! library's scrape-chain checker on the objects it outputs.

use std::path::Path;
use std::process::Command;

use igw_monitoring::Object;
use igw_monitoring::relations::broken_links;

/// An object as Kustomize wrote it.
type Resource = Object<'static>;
use serde::Deserialize;

type TestResult = Result<(), Box<dyn std::error::Error>>;

fn run(command: &mut Command) -> Result<String, String> {
    let output = command.output().map_err(|e| format!("{command:?}: {e}"))?;
    if !output.status.success() {
        return Err(format!(
            "{command:?} failed: {}",
            String::from_utf8_lossy(&output.stderr)
        ));
    }
    String::from_utf8(output.stdout).map_err(|e| e.to_string())
}

fn kustomize(dir: &Path) -> Result<Vec<Resource>, String> {
    let yaml = run(Command::new("kubectl")
        .args(["kustomize"])
        .arg(dir)
        .env("KUBECONFIG", "/dev/null"))?;
    serde_yaml::Deserializer::from_str(&yaml)
        .map(Resource::deserialize)
        .collect::<Result<_, _>>()
        .map_err(|e| format!("{e}\n{yaml}"))
}

struct Overlay {
    name: &'static str,
    kustomization: &'static str,
    namespace: Option<&'static str>,
    prefix: &'static str,
    suffix: &'static str,
}

const OVERLAYS: [Overlay; 4] = [
    Overlay {
        name: "none",
        kustomization: "",
        namespace: None,
        prefix: "",
        suffix: "",
    },
    Overlay {
        name: "namespace",
        kustomization: "namespace: prod\n",
        namespace: Some("prod"),
        prefix: "",
        suffix: "",
    },
    Overlay {
        name: "names",
        kustomization: "namePrefix: team-\nnameSuffix: -v2\n",
        namespace: None,
        prefix: "team-",
        suffix: "-v2",
    },
    Overlay {
        name: "both",
        kustomization: "namespace: prod\nnamePrefix: team-\n",
        namespace: Some("prod"),
        prefix: "team-",
        suffix: "",
    },
];

/// One generated base: its flags and the collector's namespace on its flavor.
struct Base {
    name: String,
    flags: Vec<&'static str>,
    collector_ns: &'static str,
}

fn bases() -> Vec<Base> {
    let mut bases = Vec::new();
    for (flavor, collector_ns) in [("standard", "gmp-system"), ("autopilot", "gke-gmp-system")] {
        let autopilot = if flavor == "autopilot" {
            "--autopilot=true"
        } else {
            "--autopilot=false"
        };
        for namespace in ["default", "inference"] {
            for access in ["cluster", "namespaced"] {
                bases.push(Base {
                    name: format!("{flavor}-{namespace}-{access}"),
                    flags: vec![
                        autopilot,
                        "--namespace",
                        namespace,
                        "--secret-access",
                        access,
                    ],
                    collector_ns,
                });
            }
        }
        // A fleet scraped by ClusterPodMonitorings, its endpoint pickers in two namespaces,
        // one of them with auth delegation; and one scraped by PodMonitorings in one namespace.
        bases.push(Base {
            name: format!("{flavor}-fleet-cluster"),
            flags: vec![
                autopilot,
                "--namespace",
                "monitoring",
                "--target",
                "llama:team-a=inferencepool=llama3-8b-epp",
                "--target",
                "qwen:team-b=app in (qwen2-7b-epp),!canary",
                "--auth-delegation",
                "team-a/llama3-8b-epp",
                "--pprof",
                "--with-alerts",
                "--rules-scope",
                "cluster",
            ],
            collector_ns,
        });
        bases.push(Base {
            name: format!("{flavor}-fleet-pod"),
            flags: vec![
                autopilot,
                "--monitoring",
                "pod",
                "--target",
                "llama:team-a=inferencepool=llama3-8b-epp",
                "--target",
                "qwen:team-a=app=qwen2-7b-epp",
                "--with-alerts",
            ],
            collector_ns,
        });
        // mTLS: the user's TLS Secrets are not in the base, so overlays leave their names
        // alone and move their references' namespace with the token Secret's.
        for (access, monitoring) in [("namespaced", "cluster"), ("cluster", "pod")] {
            bases.push(Base {
                name: format!("{flavor}-mtls-{monitoring}-{access}"),
                flags: vec![
                    autopilot,
                    "--namespace",
                    "inference",
                    "--secret-access",
                    access,
                    "--monitoring",
                    monitoring,
                    "--scheme",
                    "https",
                    "--tls-ca-secret",
                    "epp-ca:ca.crt",
                    "--tls-cert-secret",
                    "epp-client:tls.crt",
                    "--tls-key-secret",
                    "epp-client:tls.key",
                    "--tls-server-name",
                    "epp.inference.svc",
                ],
                collector_ns,
            });
        }
    }
    // prometheus-operator: a PodMonitor's or ServiceMonitor's credentials follow the renamed
    // token Secret, and the monitor moves with it (its Secrets are read from its own namespace).
    let operator = [
        "--collector",
        "prometheusOperator",
        "--prometheus-release",
        "kps",
    ];
    for (name, flags) in [
        ("default", vec![]),
        ("inference", vec!["--namespace", "inference"]),
        (
            "fleet-cluster",
            vec![
                "--namespace",
                "monitoring",
                "--target",
                "llama:team-a=inferencepool=llama3-8b-epp",
                "--target",
                "qwen:team-b=app=qwen2-7b-epp",
                "--auth-delegation",
                "team-a/llama3-8b-epp",
                "--with-alerts",
                "--rules-scope",
                "cluster",
            ],
        ),
        (
            "fleet-pod-mtls",
            vec![
                "--monitoring",
                "pod",
                "--target",
                "llama:team-a=inferencepool=llama3-8b-epp",
                "--with-alerts",
                "--scheme",
                "https",
                "--tls-ca-secret",
                "epp-ca:ca.crt",
                "--tls-cert-secret",
                "epp-client:tls.crt",
                "--tls-key-secret",
                "epp-client:tls.key",
            ],
        ),
        // A ServiceMonitor's credentials follow it the same way.
        (
            "service-monitor",
            vec![
                "--namespace",
                "inference",
                "--scrape-through",
                "service",
                "--preset",
                "helm-inferencepool",
                "--release",
                "llama3-8b",
                "--with-alerts",
            ],
        ),
    ] {
        bases.push(Base {
            name: format!("operator-{name}"),
            flags: operator.iter().copied().chain(flags).collect(),
            collector_ns: "gmp-system",
        });
    }
    bases
}

#[test]
#[ignore = "needs kubectl (its built-in Kustomize): install it, then cargo test -- --include-ignored"]
fn overlays_keep_the_scrape_chain_closed() -> TestResult {
    let tmp = tempfile::tempdir()?;
    for base in bases() {
        let dir = tmp.path().join(&base.name);
        run(Command::new(env!("CARGO_BIN_EXE_igw-monitoring"))
            .arg("kustomize")
            .args(&base.flags)
            .arg("--out")
            .arg(dir.join("base")))?;
        let mut count = None;
        for overlay in &OVERLAYS {
            let case = format!("base {}, overlay {}", base.name, overlay.name);
            let resources = check_overlay(&dir, overlay, base.collector_ns, &case)?;
            // Every overlay keeps every object of the base.
            assert_eq!(*count.get_or_insert(resources), resources, "{case}");
        }
    }
    Ok(())
}

/// Builds `overlay` over `base/base`, checks the chain, the names and the namespaces, and
/// returns how many objects it holds.
fn check_overlay(
    base: &Path,
    overlay: &Overlay,
    collector_ns: &str,
    case: &str,
) -> Result<usize, String> {
    let dir = base.join(overlay.name);
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    std::fs::write(
        dir.join("kustomization.yaml"),
        format!("{}resources:\n- ../base\n", overlay.kustomization),
    )
    .map_err(|e| e.to_string())?;
    let resources = kustomize(&dir)?;
    let broken = broken_links(&resources, collector_ns);
    assert!(broken.is_empty(), "{case}: {broken:#?}");
    for resource in &resources {
        let object = resource;
        let meta = object.metadata();
        let name = meta.name.as_deref().unwrap_or_default();
        assert!(
            name.starts_with(overlay.prefix) && name.ends_with(overlay.suffix),
            "{case}: {name}"
        );
        if let (Some(namespace), false) = (overlay.namespace, object.kind().is_cluster_scoped()) {
            assert_eq!(meta.namespace.as_deref(), Some(namespace), "{case}: {name}");
        }
        let subjects = match resource {
            Resource::ClusterRoleBinding(b) => b.subjects.as_deref(),
            Resource::RoleBinding(b) => b.subjects.as_deref(),
            _ => None,
        };
        for subject in subjects.unwrap_or_default() {
            // Subjects outside the base are never rewritten; the base's own move with it.
            let expected = match subject.name.as_str() {
                "collector" => Some(collector_ns),
                "llama3-8b-epp" => Some("team-a"),
                _ => overlay.namespace,
            };
            if let Some(expected) = expected {
                assert_eq!(
                    subject.namespace.as_deref(),
                    Some(expected),
                    "{case}: {name}"
                );
            }
        }
    }
    judge_alert_jobs(&resources, case);
    Ok(resources.len())
}

/// Every `job` a PrometheusRule matches is one a monitor's targets get, however the overlay
/// renamed or moved the monitors: else the alerts never fire. A target's `job` is its
/// relabeling's, else (the operator's) a PodMonitor's `<namespace>/<name>`.
fn judge_alert_jobs(resources: &[Resource], case: &str) {
    let pinned = |relabelings: &Option<Vec<prometheus_operator_types::RelabelConfig>>| {
        (relabelings.iter().flatten())
            .filter(|r| r.target_label.as_deref() == Some("job"))
            .find_map(|r| r.replacement.clone())
    };
    let job_of = |object: &Resource| -> Vec<String> {
        match object {
            Resource::PodMonitor(m) => (m.spec.pod_metrics_endpoints.iter())
                .map(|e| {
                    pinned(&e.relabelings).unwrap_or_else(|| {
                        let meta = &m.metadata;
                        let (ns, name) = (meta.namespace.as_deref(), meta.name.as_deref());
                        format!("{}/{}", ns.unwrap_or_default(), name.unwrap_or_default())
                    })
                })
                .collect(),
            Resource::ServiceMonitor(m) => (m.spec.endpoints.iter())
                .filter_map(|e| pinned(&e.relabelings))
                .collect(),
            _ => Vec::new(),
        }
    };
    let jobs: Vec<String> = resources.iter().flat_map(job_of).collect();
    for resource in resources {
        let Resource::PrometheusRule(rule) = resource else {
            continue;
        };
        let exprs = (rule.spec.groups.iter())
            .flat_map(|g| &g.rules)
            .map(|r| r.expr.as_str());
        for expr in exprs {
            let matched = expr
                .split("job=~\"")
                .skip(1)
                .filter_map(|s| s.split('"').next());
            let mut any = false;
            for job in matched.flat_map(|m| m.split('|')) {
                any = true;
                assert!(
                    jobs.iter().any(|j| j == job),
                    "{case}: {job} of {expr} in {jobs:?}"
                );
            }
            assert!(any, "{case}: no job matcher in {expr}");
        }
    }
}
