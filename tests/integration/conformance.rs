//! Every snapshot case is judged as a cluster would judge it (`../shared/conformance/check.sh`)
//! and read with YAML 1.1 (what kubectl reads) as exactly the typed objects it came from.

use igw_monitoring::Objects;
use std::process::Command;

use crate::support::{TestResult, cases, conformance_python, objects_json, read_as_yaml_1_1};

#[test]
#[ignore = "needs the offline validators (Python): run ../shared/conformance/setup.sh --with-checkov, then cargo test -- --include-ignored"]
fn every_case_passes_the_conformance_check() -> TestResult {
    conformance_python()?;
    let dir = tempfile::tempdir()?;
    let mut files = Vec::new();
    for (name, options) in cases() {
        let file = dir.path().join(format!("{name}.yaml"));
        std::fs::write(&file, options.build()?.to_yaml()?)?;
        files.push(file);
    }
    check_sh(&files)
}

#[test]
#[ignore = "needs the offline validators (Python): run ../shared/conformance/setup.sh --with-checkov, then cargo test -- --include-ignored"]
fn yaml_1_1_reads_every_case_as_built() -> TestResult {
    let mut texts = Vec::new();
    let mut expected = Vec::new();
    for (_, options) in cases() {
        let bundle = options.build()?;
        texts.push(bundle.to_yaml()?);
        expected.push(objects_json(&bundle));
    }
    let read = read_as_yaml_1_1(&texts)?;
    for ((name, _), (read, expected)) in cases().iter().zip(read.iter().zip(&expected)) {
        assert_eq!(read, expected, "{name}: YAML 1.1 reads it differently");
    }
    Ok(())
}

/// TLS and mTLS bundles pass as a cluster would judge them, in both monitoring modes and both
/// secret-access modes (the `tls` block against the upstream CRDs' rules: a PodMonitoring's
/// references carry no namespace, `cert` and `key` together, versions as GMP spells them).
#[test]
#[ignore = "needs the offline validators (Python): run ../shared/conformance/setup.sh --with-checkov, then cargo test -- --include-ignored"]
fn tls_bundles_pass_the_conformance_check_in_every_mode() -> TestResult {
    use igw_monitoring::{MonitoringMode, SecretAccess};
    conformance_python()?;
    let dir = tempfile::tempdir()?;
    let mut files = Vec::new();
    for monitoring in [MonitoringMode::Cluster, MonitoringMode::Pod] {
        for access in [SecretAccess::Cluster, SecretAccess::Namespaced] {
            for mutual in [false, true] {
                let options = crate::support::tls(monitoring, access, mutual);
                let file = dir
                    .path()
                    .join(format!("tls-{monitoring:?}-{access:?}-{mutual}.yaml"));
                std::fs::write(&file, options.build()?.to_yaml()?)?;
                files.push(file);
            }
        }
    }
    check_sh(&files)
}

/// Runs `../shared/conformance/check.sh` on `files` (through `scripts/judge.sh`, which runs its
/// checkov once over all of them); an error with its report unless every check passes.
fn check_sh(files: &[std::path::PathBuf]) -> TestResult {
    let output = Command::new(concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/judge.sh"))
        .args(files)
        .output()?;
    let report = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{report}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(report.contains(" 0 failed"), "{report}");
    Ok(())
}
