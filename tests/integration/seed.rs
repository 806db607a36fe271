//! The default bundle is the seed document's seven objects, with one deliberate fix: no
//! `metadata.namespace` on cluster-scoped objects.

use crate::support::{TestResult, shared_dir};
use igw_monitoring::Objects;
use igw_monitoring::Options;
use serde::Deserialize;
use serde_yaml::Value;

const CLUSTER_SCOPED: [&str; 3] = ["ClusterRole", "ClusterRoleBinding", "ClusterPodMonitoring"];

fn documents(yaml: &str) -> Result<Vec<Value>, serde_yaml::Error> {
    serde_yaml::Deserializer::from_str(yaml)
        .map(Value::deserialize)
        .collect()
}

#[test]
#[ignore = "needs ../shared beside the checkout: run cargo test -- --include-ignored there"]
fn default_bundle_is_the_seed_without_namespaces_on_cluster_scoped_objects() -> TestResult {
    let seed = std::fs::read_to_string(shared_dir().join("seed/bundle.yaml"))?;
    let mut expected = documents(&seed)?;
    for doc in &mut expected {
        let kind = doc["kind"].as_str().unwrap_or_default().to_owned();
        if CLUSTER_SCOPED.contains(&kind.as_str())
            && let Some(metadata) = doc.get_mut("metadata").and_then(Value::as_mapping_mut)
        {
            metadata.remove("namespace");
        }
    }
    let rendered = documents(&Options::default().build()?.to_yaml()?)?;
    assert_eq!(rendered.len(), 7);
    for (i, (ours, theirs)) in rendered.iter().zip(&expected).enumerate() {
        assert_eq!(ours, theirs, "document {i} differs from the seed");
    }
    Ok(())
}

#[test]
fn cluster_scoped_objects_carry_no_namespace() -> TestResult {
    let bundle = Options::default().build()?;
    for object in bundle.objects() {
        let scoped = CLUSTER_SCOPED.contains(&object.kind().as_str());
        assert_eq!(
            object.metadata().namespace.is_none(),
            scoped,
            "{}: namespace {:?}",
            object.kind(),
            object.metadata().namespace
        );
    }
    Ok(())
}
