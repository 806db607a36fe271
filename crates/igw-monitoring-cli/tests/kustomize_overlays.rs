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
    let flavors = [("standard", "gmp-system"), ("autopilot", "gke-gmp-system")];
    for (flavor, collector_ns) in flavors {
        for base_ns in ["default", "inference"] {
            for access in ["cluster", "namespaced"] {
                let base = tmp.path().join(format!("{flavor}-{base_ns}-{access}"));
                let mut generate = Command::new(env!("CARGO_BIN_EXE_igw-monitoring"));
                generate
                    .args([
                        "kustomize",
                        "--namespace",
                        base_ns,
                        "--secret-access",
                        access,
                    ])
                    .arg("--out")
                    .arg(base.join("base"));
                if flavor == "autopilot" {
                    generate.arg("--autopilot");
                }
                run(&mut generate)?;
                for overlay in &OVERLAYS {
                    let case = format!(
                        "{flavor} base in {base_ns} with {access} secret access, overlay {}",
                        overlay.name
                    );
                    check_overlay(&base, overlay, base_ns, collector_ns, &case)?;
                }
            }
        }
    }
    Ok(())
}

/// Builds `overlay` over `base/base` and checks the chain, the names and the namespaces.
fn check_overlay(
    base: &Path,
    overlay: &Overlay,
    base_ns: &str,
    collector_ns: &str,
    case: &str,
) -> TestResult {
    let dir = base.join(overlay.name);
    std::fs::create_dir_all(&dir)?;
    std::fs::write(
        dir.join("kustomization.yaml"),
        format!("{}resources:\n- ../base\n", overlay.kustomization),
    )?;
    let resources = kustomize(&dir)?;
    assert_eq!(resources.len(), 7, "{case}");
    let broken = broken_links(&resources, collector_ns);
    assert!(broken.is_empty(), "{case}: {broken:#?}");
    let namespace = overlay.namespace.unwrap_or(base_ns);
    for resource in &resources {
        let object = resource.object();
        let meta = object.metadata();
        let name = meta.name.as_deref().unwrap_or_default();
        assert!(
            name.starts_with(overlay.prefix) && name.ends_with(overlay.suffix),
            "{case}: {name}"
        );
        if !object.is_cluster_scoped() {
            assert_eq!(meta.namespace.as_deref(), Some(namespace), "{case}: {name}");
        }
        let subjects = match resource {
            Resource::ClusterRoleBinding(b) => b.subjects.as_deref(),
            Resource::RoleBinding(b) => b.subjects.as_deref(),
            _ => None,
        };
        for subject in subjects.unwrap_or_default() {
            let expected = if subject.name == "collector" {
                collector_ns
            } else {
                namespace
            };
            assert_eq!(
                subject.namespace.as_deref(),
                Some(expected),
                "{case}: {name}"
            );
        }
    }
    Ok(())
}
