//! The seed's ClusterPodMonitoring, as the user's source document writes it, parses losslessly.

use std::error::Error;

use gmp_types::{
    Authorization, ClusterPodMonitoring, Scheme, ScrapeEndpoint, SecretKeySelector, SecretSelector,
};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use serde::Deserialize;

type TestResult = Result<(), Box<dyn Error>>;

fn seed_cpm_document() -> Result<serde_yaml::Value, Box<dyn Error>> {
    let path = crate::common::shared_dir().join("seed/bundle.yaml");
    let text = std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut docs = Vec::new();
    for doc in serde_yaml::Deserializer::from_str(&text) {
        docs.push(serde_yaml::Value::deserialize(doc)?);
    }
    let last = docs.pop().ok_or("bundle.yaml has no documents")?;
    assert_eq!(
        last["apiVersion"].as_str(),
        Some("monitoring.googleapis.com/v1")
    );
    assert_eq!(last["kind"].as_str(), Some("ClusterPodMonitoring"));
    Ok(last)
}

#[test]
#[ignore = "needs ../shared beside the checkout: run cargo test -- --include-ignored there"]
fn seed_cluster_pod_monitoring_parses() -> TestResult {
    let cpm: ClusterPodMonitoring = serde_yaml::from_value(seed_cpm_document()?)?;

    assert_eq!(
        cpm.metadata.name.as_deref(),
        Some("inference-optimized-gateway-monitoring")
    );
    assert_eq!(cpm.metadata.namespace, None);
    let labels = cpm.metadata.labels.clone().unwrap_or_default();
    assert_eq!(
        labels.get("app.kubernetes.io/name").map(String::as_str),
        Some("inference-optimized-gateway")
    );
    assert_eq!(
        labels.get("app.kubernetes.io/part-of").map(String::as_str),
        Some("google-cloud-managed-prometheus")
    );

    let match_labels = cpm.spec.selector.match_labels.clone().unwrap_or_default();
    assert_eq!(match_labels.len(), 1);
    assert_eq!(
        match_labels.get("app").map(String::as_str),
        Some("inference-gateway-ext-proc")
    );
    assert_eq!(cpm.spec.selector.match_expressions, None);

    assert_eq!(
        cpm.spec.endpoints,
        vec![ScrapeEndpoint {
            port: IntOrString::String("metrics".into()),
            scheme: Some(Scheme::Http),
            interval: "5s".into(),
            path: Some("/metrics".into()),
            authorization: Some(Authorization {
                type_: Some("Bearer".into()),
                credentials: Some(SecretSelector {
                    secret: Some(SecretKeySelector {
                        name: "inference-gateway-sa-metrics-reader-secret".into(),
                        key: "token".into(),
                        namespace: Some("default".into()),
                    }),
                }),
            }),
            ..Default::default()
        }]
    );
    assert_eq!(cpm.spec.target_labels, None);
    assert_eq!(cpm.spec.limits, None);
    assert_eq!(cpm.spec.filter_running, None);
    assert_eq!(cpm.status, None);
    Ok(())
}

#[test]
#[ignore = "needs ../shared beside the checkout: run cargo test -- --include-ignored there"]
fn seed_cluster_pod_monitoring_reserializes_to_the_same_object() -> TestResult {
    let doc = seed_cpm_document()?;
    let cpm: ClusterPodMonitoring = serde_yaml::from_value(doc.clone())?;
    // Compared as JSON values: key order is not part of the object.
    let expected: serde_json::Value = serde_yaml::from_value(doc)?;
    assert_eq!(serde_json::to_value(&cpm)?, expected);
    Ok(())
}
