//! Kustomize bases written by `igw-monitoring kustomize` stay working bundles under overlays that
//! move the namespace and rename objects: proved with kubectl's built-in Kustomize and the
//! library's scrape-chain checker on the objects it outputs.

use std::path::Path;
use std::process::Command;

use igw_monitoring::relations::{Resource, broken_links};
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

fn metadata(resource: &Resource) -> Option<(&str, Option<&str>)> {
    let meta = match resource {
        Resource::ClusterRole(o) => &o.metadata,
        Resource::ServiceAccount(o) => &o.metadata,
        Resource::ClusterRoleBinding(o) => &o.metadata,
        Resource::Secret(o) => &o.metadata,
        Resource::ClusterPodMonitoring(o) => &o.metadata,
        _ => return None,
    };
    Some((meta.name.as_deref()?, meta.namespace.as_deref()))
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

#[test]
fn overlays_keep_the_scrape_chain_closed() -> TestResult {
    let tmp = tempfile::tempdir()?;
    for (flavor, collector_ns) in [("standard", "gmp-system"), ("autopilot", "gke-gmp-system")] {
        for base_ns in ["default", "inference"] {
            let base = tmp.path().join(format!("{flavor}-{base_ns}"));
            let mut generate = Command::new(env!("CARGO_BIN_EXE_igw-monitoring"));
            generate
                .args(["kustomize", "--namespace", base_ns, "--out"])
                .arg(base.join("base"));
            if flavor == "autopilot" {
                generate.arg("--autopilot");
            }
            run(&mut generate)?;
            for overlay in &OVERLAYS {
                let dir = base.join(overlay.name);
                std::fs::create_dir_all(&dir)?;
                std::fs::write(
                    dir.join("kustomization.yaml"),
                    format!("{}resources:\n- ../base\n", overlay.kustomization),
                )?;
                let case = format!("{flavor} base in {base_ns}, overlay {}", overlay.name);
                let resources = kustomize(&dir)?;
                assert_eq!(resources.len(), 7, "{case}");
                let broken = broken_links(&resources, collector_ns);
                assert!(broken.is_empty(), "{case}: {broken:#?}");
                let namespace = overlay.namespace.unwrap_or(base_ns);
                for resource in &resources {
                    let Some((name, ns)) = metadata(resource) else {
                        panic!("{case}: unexpected kind {resource:?}");
                    };
                    assert!(
                        name.starts_with(overlay.prefix) && name.ends_with(overlay.suffix),
                        "{case}: {name}"
                    );
                    if matches!(resource, Resource::ServiceAccount(_) | Resource::Secret(_)) {
                        assert_eq!(ns, Some(namespace), "{case}: {name}");
                    }
                    if let Resource::ClusterRoleBinding(binding) = resource {
                        for subject in binding.subjects.iter().flatten() {
                            if subject.name == "collector" {
                                assert_eq!(
                                    subject.namespace.as_deref(),
                                    Some(collector_ns),
                                    "{case}"
                                );
                            } else {
                                assert_eq!(subject.namespace.as_deref(), Some(namespace), "{case}");
                            }
                        }
                    }
                }
            }
        }
    }
    Ok(())
}
