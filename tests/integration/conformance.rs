//! Every snapshot case is judged as a cluster would judge it (`../shared/conformance/check.sh`)
//! and read with YAML 1.1 (what kubectl reads) as exactly the typed objects it came from.

use igw_monitoring::Objects;
use std::process::Command;

use crate::support::{
    TestResult, cases, conformance_python, objects_json, operator_cases, read_as_yaml_1_1,
};

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
    let cases: Vec<_> = cases().into_iter().chain(operator_cases()).collect();
    for (_, options) in &cases {
        let bundle = options.build()?;
        texts.push(bundle.to_yaml()?);
        expected.push(objects_json(&bundle));
    }
    let read = read_as_yaml_1_1(&texts)?;
    for ((name, _), (read, expected)) in cases.iter().zip(read.iter().zip(&expected)) {
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

/// `scripts/judge.sh` starts each validator once over all files: each defect below is refused
/// by a different one of check.sh's checks. Judged beside a good bundle, each must be refused by
/// that validator on the fast path, and then by check.sh's own per-file report, which names the
/// bad file and not the good one.
#[test]
#[ignore = "needs ../shared, kubectl and the offline validators (Python): run ../shared/conformance/setup.sh --with-checkov, then cargo test -- --include-ignored"]
fn the_judge_refuses_each_defect_check_sh_refuses() -> TestResult {
    let python = conformance_python()?;
    let dir = tempfile::tempdir()?;
    // A conformance home without checkov: it judges nothing these defects are about, and it
    // spends seconds starting.
    let venv = python.parent().and_then(|bin| bin.parent()).ok_or("venv")?;
    let home = dir.path().join("home");
    std::fs::create_dir(&home)?;
    std::os::unix::fs::symlink(venv, home.join("venv"))?;
    let config_map = |name: &str, data: &str| {
        format!(
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}\n  namespace: inference\ndata:\n  {data}\n"
        )
    };
    let defects = [
        ("duplicate-key", "yamllint", config_map("a", "k: v\n  k: w")),
        // YAML 1.1 reads `yes` as a boolean where a string belongs.
        ("yaml-1-1", "kubernetes-validate 1.28.0", config_map("a", "k: yes")),
        // A kind no schema covers, outside check.sh's allowance.
        (
            "unknown-kind",
            "kubernetes-validate 1.37.0",
            "apiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: a\n".to_owned(),
        ),
        ("name", "name_check.py", config_map("Bad_Name", "k: v")),
        // GMP's webhook takes Prometheus durations only.
        (
            "duration",
            "crd_validate.py",
            "apiVersion: monitoring.googleapis.com/v1\nkind: PodMonitoring\nmetadata:\n  name: a\n  namespace: inference\nspec:\n  selector:\n    matchLabels:\n      app: a\n  endpoints:\n  - port: metrics\n    interval: 5 seconds\n".to_owned(),
        ),
        (
            "kustomize",
            "kubectl kustomize",
            format!("{}---\n{}", config_map("a", "k: v"), config_map("a", "k: v")),
        ),
    ];
    let good = dir.path().join("good.yaml");
    let (_, options) = cases().into_iter().next().ok_or("no snapshot cases")?;
    std::fs::write(&good, options.build()?.to_yaml()?)?;
    // The judges run side by side: each spends its time starting interpreters.
    let mut judges = Vec::new();
    for (name, validator, text) in &defects {
        let bad = dir.path().join(format!("{name}.yaml"));
        std::fs::write(&bad, text)?;
        let judge = Command::new(concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/judge.sh"))
            .env("IGW_CONFORMANCE_HOME", &home)
            .args([&good, &bad])
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()?;
        judges.push((name, validator, bad, judge));
    }
    for (name, validator, bad, judge) in judges {
        let output = judge.wait_with_output()?;
        let report = String::from_utf8_lossy(&output.stdout);
        assert_eq!(output.status.code(), Some(1), "{name}: {report}");
        assert!(
            report.contains(&format!("refused by {validator}")),
            "{name}: not refused by {validator}\n{report}"
        );
        assert!(!report.contains("out of step"), "{name}: {report}");
        let refused = |file: &std::path::Path| {
            let file = file.display().to_string();
            report
                .lines()
                .any(|l| l.starts_with("FAIL") && l.split_whitespace().any(|w| w == file))
        };
        assert!(
            refused(&bad),
            "{name}: check.sh's report does not refuse it\n{report}"
        );
        assert!(!refused(&good), "{name}: {report}");
    }
    Ok(())
}

/// Judges `files` with `../shared/conformance/check.sh`'s validators (through `scripts/judge.sh`,
/// which starts each once over all of them); an error with its report unless every check passes.
pub(crate) fn check_sh(files: &[std::path::PathBuf]) -> TestResult {
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
