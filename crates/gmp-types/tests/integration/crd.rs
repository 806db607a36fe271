//! The CRDs derived from the types against the upstream ones.

use std::error::Error;
use std::process::Command;

use gmp_types::CustomResourceExt;
use gmp_types::{ClusterPodMonitoring, ClusterRules, GlobalRules, PodMonitoring, Rules};
use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;

type TestResult = Result<(), Box<dyn Error>>;

fn upstream(file: &str) -> Result<CustomResourceDefinition, Box<dyn Error>> {
    let path = crate::common::shared_dir()
        .join("reference/crds")
        .join(file);
    let text = std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(serde_yaml::from_str(&text)?)
}

fn assert_same_names(ours: &CustomResourceDefinition, theirs: &CustomResourceDefinition) {
    assert_eq!(ours.metadata.name, theirs.metadata.name);
    assert_eq!(ours.spec.group, theirs.spec.group);
    assert_eq!(ours.spec.scope, theirs.spec.scope);
    assert_eq!(ours.spec.names.kind, theirs.spec.names.kind);
    assert_eq!(ours.spec.names.plural, theirs.spec.names.plural);
    assert_eq!(ours.spec.names.singular, theirs.spec.names.singular);
    assert_eq!(ours.spec.names.short_names, theirs.spec.names.short_names);
    assert_eq!(ours.spec.names.categories, theirs.spec.names.categories);
    let [ours_v1] = ours.spec.versions.as_slice() else {
        unreachable!("kube-derive emits exactly one version");
    };
    assert_eq!(ours_v1.name, "v1");
    let upstream_v1 = theirs.spec.versions.iter().find(|v| v.name == "v1");
    assert_eq!(
        ours_v1.subresources,
        upstream_v1.and_then(|v| v.subresources.clone())
    );
}

#[test]
#[ignore = "needs ../shared beside the checkout: run cargo test -- --include-ignored there"]
fn cluster_pod_monitoring_is_cluster_scoped_like_upstream() -> TestResult {
    let crd = ClusterPodMonitoring::crd();
    assert_eq!(crd.spec.scope, "Cluster");
    assert_same_names(
        &crd,
        &upstream("monitoring.googleapis.com_clusterpodmonitorings.yaml")?,
    );
    Ok(())
}

#[test]
#[ignore = "needs ../shared beside the checkout: run cargo test -- --include-ignored there"]
fn pod_monitoring_is_namespaced_like_upstream() -> TestResult {
    let crd = PodMonitoring::crd();
    assert_eq!(crd.spec.scope, "Namespaced");
    assert_same_names(
        &crd,
        &upstream("monitoring.googleapis.com_podmonitorings.yaml")?,
    );
    Ok(())
}

/// Every field the types declare must exist upstream with the same type, and every field upstream
/// requires must be declared, as judged by the shared conformance script.
#[test]
#[ignore = "needs the offline validators (Python): run ../shared/conformance/setup.sh --with-checkov, then cargo test -- --include-ignored"]
fn derived_crds_pass_crd_compat() -> TestResult {
    let shared = crate::common::shared_dir();
    let home = match std::env::var_os("IGW_CONFORMANCE_HOME") {
        Some(home) => home.into(),
        None => std::path::PathBuf::from(std::env::var_os("HOME").ok_or("HOME is not set")?)
            .join(".cache/igw-conformance"),
    };
    let python = home.join("venv/bin/python");
    if !python.is_file() {
        return Err(format!(
            "{} is missing: run {}/conformance/setup.sh first",
            python.display(),
            shared.display()
        )
        .into());
    }

    let crds = [
        ClusterPodMonitoring::crd(),
        PodMonitoring::crd(),
        Rules::crd(),
        ClusterRules::crd(),
        GlobalRules::crd(),
    ];
    let yaml = crds
        .iter()
        .map(serde_yaml::to_string)
        .collect::<Result<Vec<_>, _>>()?
        .join("---\n");
    let out_path = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("gmp-types-crds.yaml");
    std::fs::write(&out_path, yaml)?;

    let out = Command::new(&python)
        .arg(shared.join("conformance/crd_compat.py"))
        .arg(&out_path)
        .output()?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "crd_compat.py failed ({}):\n{stdout}{stderr}",
        out.status
    );
    for kind in [
        "ClusterPodMonitoring",
        "PodMonitoring",
        "Rules",
        "ClusterRules",
    ] {
        let ok = format!("OK    monitoring.googleapis.com/{kind} v1");
        assert!(stdout.lines().any(|l| l == ok), "no `{ok}` line:\n{stdout}");
    }
    Ok(())
}
