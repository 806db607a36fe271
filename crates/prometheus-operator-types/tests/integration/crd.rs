//! The CRDs derived from the types against upstream's (prometheus-operator v0.93.0, in
//! `../shared/reference/gitops`), and objects of upstream's shape read and written back.

use std::error::Error;
use std::path::{Path, PathBuf};
use std::process::Command;

use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use prometheus_operator_types::{
    CustomResourceExt, PodMonitor, Prometheus, PrometheusRule, ServiceMonitor,
};

type TestResult = Result<(), Box<dyn Error>>;

/// `../shared`, beside the repository.
fn shared_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared")
}

/// The four kinds: ours, and the upstream CRD file of each (of Prometheus, an excerpt holding
/// the properties declared here).
fn kinds() -> [(CustomResourceDefinition, &'static str); 4] {
    [
        (
            Prometheus::crd(),
            "prometheus-operator-prometheus-crd-excerpt.yaml",
        ),
        (PodMonitor::crd(), "prometheus-operator-podmonitor-crd.yaml"),
        (
            ServiceMonitor::crd(),
            "prometheus-operator-servicemonitor-crd.yaml",
        ),
        (
            PrometheusRule::crd(),
            "prometheus-operator-prometheusrule-crd.yaml",
        ),
    ]
}

#[test]
#[ignore = "needs ../shared beside the checkout: run cargo test -- --include-ignored there"]
fn names_scope_and_version_are_upstreams() -> TestResult {
    for (ours, file) in kinds() {
        let path = shared_dir().join("reference/gitops").join(file);
        let text =
            std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
        let theirs: CustomResourceDefinition = serde_yaml::from_str(&text)?;
        assert_eq!(ours.metadata.name, theirs.metadata.name, "{file}");
        assert_eq!(ours.spec.group, theirs.spec.group, "{file}");
        assert_eq!(ours.spec.scope, theirs.spec.scope, "{file}");
        assert_eq!(ours.spec.names.kind, theirs.spec.names.kind, "{file}");
        assert_eq!(ours.spec.names.plural, theirs.spec.names.plural, "{file}");
        let served: Vec<&str> = theirs
            .spec
            .versions
            .iter()
            .map(|v| v.name.as_str())
            .collect();
        assert!(served.contains(&"v1"), "{file}: {served:?}");
    }
    Ok(())
}

/// `crd_compat.py` (every property we declare exists upstream with its type; upstream's
/// required fields along our paths are ours too). It reads upstream CRDs from
/// `../reference/crds` beside itself, so it runs from a folder whose `reference/crds` holds
/// prometheus-operator's (links, nothing copied).
#[test]
#[ignore = "needs ../shared and the conformance validators (Python): run ../shared/conformance/setup.sh"]
fn every_declared_field_is_upstreams_with_its_type() -> TestResult {
    let dir = tempfile::tempdir()?;
    let conformance = dir.path().join("conformance");
    let upstream = dir.path().join("reference/crds");
    std::fs::create_dir_all(&conformance)?;
    std::fs::create_dir_all(&upstream)?;
    std::os::unix::fs::symlink(
        shared_dir().join("conformance/crd_compat.py"),
        conformance.join("crd_compat.py"),
    )?;
    let mut ours = String::new();
    for (crd, file) in kinds() {
        std::os::unix::fs::symlink(
            shared_dir().join("reference/gitops").join(file),
            upstream.join(file),
        )?;
        ours.push_str("---\n");
        ours.push_str(&serde_yaml::to_string(&crd)?);
    }
    let file = dir.path().join("ours.yaml");
    std::fs::write(&file, ours)?;
    let output = Command::new(python()?)
        .arg(conformance.join("crd_compat.py"))
        .arg(&file)
        .output()?;
    let report = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{report}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    // Each kind was compared, not skipped for want of an upstream CRD.
    for kind in [
        "PodMonitor",
        "ServiceMonitor",
        "PrometheusRule",
        "Prometheus",
    ] {
        assert!(report.contains(kind), "{kind} not compared: {report}");
    }
    Ok(())
}

/// The conformance tools' Python (with PyYAML), as `setup.sh` installs it.
fn python() -> Result<PathBuf, Box<dyn Error>> {
    let home = std::env::var_os("IGW_CONFORMANCE_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| Path::new(&h).join(".cache/igw-conformance")))
        .ok_or("no HOME")?;
    let python = home.join("venv/bin/python");
    if python.is_file() {
        Ok(python)
    } else {
        Err(format!("{}: run ../shared/conformance/setup.sh", python.display()).into())
    }
}

/// Objects in upstream's shape (camelCase, `for`, `keySecret`, one Secret level) read into the
/// types and written back the same.
#[test]
fn objects_of_upstreams_shape_read_and_write_back() -> TestResult {
    let pod_monitor = "\
apiVersion: monitoring.coreos.com/v1
kind: PodMonitor
metadata:
  name: epp
  namespace: monitoring
  labels:
    release: kube-prometheus-stack
spec:
  selector:
    matchLabels:
      app: epp
  namespaceSelector:
    matchNames:
    - inference
  podMetricsEndpoints:
  - port: metrics
    path: /metrics
    scheme: https
    interval: 10s
    scrapeTimeout: 5s
    authorization:
      type: Bearer
      credentials:
        name: reader
        key: token
    tlsConfig:
      ca:
        secret:
          name: epp-ca
          key: ca.crt
      cert:
        secret:
          name: client
          key: tls.crt
      keySecret:
        name: client
        key: tls.key
      serverName: epp.inference.svc
      minVersion: TLS13
";
    let service_monitor = "\
apiVersion: monitoring.coreos.com/v1
kind: ServiceMonitor
metadata:
  name: epp
  namespace: inference
spec:
  selector:
    matchLabels:
      app: epp
  endpoints:
  - port: http-metrics
    interval: 10s
    relabelings:
    - targetLabel: job
      replacement: inference/epp
    - action: keep
      sourceLabels: [__meta_kubernetes_pod_container_name]
      replacement: epp
";
    let rule = "\
apiVersion: monitoring.coreos.com/v1
kind: PrometheusRule
metadata:
  name: epp
  namespace: inference
spec:
  groups:
  - name: epp
    rules:
    - alert: EndpointPickerDown
      expr: up{job=\"inference/epp\"} == 0
      for: 5m
      labels:
        severity: critical
";
    let prometheus = "\
apiVersion: monitoring.coreos.com/v1
kind: Prometheus
metadata:
  name: kube-prometheus-stack-prometheus
  namespace: monitoring
spec:
  podMonitorSelector:
    matchLabels:
      release: kube-prometheus-stack
  podMonitorNamespaceSelector: {}
  ruleSelector:
    matchLabels:
      release: kube-prometheus-stack
  ruleNamespaceSelector: {}
  externalLabels:
    cluster: prod
";
    roundtrip::<PodMonitor>(pod_monitor)?;
    roundtrip::<Prometheus>(prometheus)?;
    roundtrip::<ServiceMonitor>(service_monitor)?;
    roundtrip::<PrometheusRule>(rule)?;
    Ok(())
}

/// `text` read as `T` and written back is the same value (as JSON, so key order aside).
fn roundtrip<T>(text: &str) -> TestResult
where
    T: serde::de::DeserializeOwned + serde::Serialize,
{
    let typed: T = serde_yaml::from_str(text)?;
    let back = serde_json::to_value(&typed)?;
    let value: serde_json::Value = serde_yaml::from_str(text)?;
    assert_eq!(back, value);
    Ok(())
}
