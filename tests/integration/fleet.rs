//! Bundles of different installations (namespaces, instances) applied to one cluster never give
//! one cluster-scoped name two different objects: the second apply would silently take the
//! first's binding or monitoring away.

use std::collections::BTreeMap;

use crate::support::{TestResult, fleet};
use igw_monitoring::{Kind, LabelSelector, Options, SecretAccess};
use igw_monitoring::{MonitoringMode, Target};

/// Cluster-scoped objects of every bundle by (kind, name), failing on a name given two bodies.
fn assert_no_collision(bundles: &[(String, Options)]) -> TestResult {
    let mut seen: BTreeMap<(Kind, String), (String, serde_json::Value)> = BTreeMap::new();
    for (label, options) in bundles {
        let bundle = options.build()?;
        for object in bundle.objects() {
            if !object.kind().is_cluster_scoped() {
                continue;
            }
            let name = object.metadata().name.clone().unwrap_or_default();
            let body = serde_json::to_value(object)?;
            if let Some((other, other_body)) = seen.get(&(object.kind(), name.clone())) {
                assert_eq!(
                    other_body,
                    &body,
                    "{} {name:?} differs between {other} and {label}",
                    object.kind()
                );
            }
            seen.insert((object.kind(), name), (label.clone(), body));
        }
    }
    Ok(())
}

/// The shapes a bundle can take, each to be installed several times.
fn shapes() -> Vec<(&'static str, Options)> {
    let single = |mode: MonitoringMode, access: SecretAccess| Options {
        monitoring: mode,
        secret_access: access,
        ..Options::default()
    };
    vec![
        (
            "cluster",
            single(MonitoringMode::Cluster, SecretAccess::Cluster),
        ),
        (
            "cluster-namespaced-access",
            single(MonitoringMode::Cluster, SecretAccess::Namespaced),
        ),
        ("pod", single(MonitoringMode::Pod, SecretAccess::Cluster)),
        ("fleet", fleet(MonitoringMode::Cluster)),
        ("fleet-pod", fleet(MonitoringMode::Pod)),
    ]
}

#[test]
fn installations_in_different_namespaces_never_collide() -> TestResult {
    for (shape, options) in shapes() {
        let bundles: Vec<(String, Options)> = ["default", "team-a", "team-b"]
            .iter()
            .map(|ns| {
                let mut options = options.clone();
                options.namespace = (*ns).to_owned();
                // Each installation scrapes its own namespace's endpoint pickers.
                for target in &mut options.targets {
                    target.namespace = Some((*ns).to_owned());
                }
                (format!("{shape} in {ns}"), options)
            })
            .collect();
        assert_no_collision(&bundles)?;
    }
    Ok(())
}

#[test]
fn instances_in_one_namespace_never_collide() -> TestResult {
    for (shape, options) in shapes() {
        let bundles: Vec<(String, Options)> = ["", "blue", "green"]
            .iter()
            .map(|instance| {
                let mut options = options.clone();
                options.instance = (!instance.is_empty()).then(|| (*instance).to_owned());
                // Different instances select different pods.
                let pods = LabelSelector::default().match_label("instance", format!("x{instance}"));
                options.selector = pods.clone();
                options.targets = options
                    .targets
                    .iter()
                    .map(|t| Target {
                        selector: Some(pods.clone()),
                        preset: None,
                        tls: None,
                        auth_delegation: None,
                        port: None,
                        scheme: None,
                        ..t.clone()
                    })
                    .collect();
                (format!("{shape} instance {instance:?}"), options)
            })
            .collect();
        assert_no_collision(&bundles)?;
    }
    Ok(())
}

#[test]
fn the_seed_names_stay_without_instance_or_namespace() -> TestResult {
    let bundle = Options::default().build()?;
    assert_eq!(
        bundle.plan().reader_role().name,
        "inference-gateway-metrics-reader"
    );
    let qualified = Options {
        namespace: "team-a".to_owned(),
        ..Options::default()
    }
    .build()?;
    assert_eq!(
        qualified.plan().reader_role().name,
        "team-a-inference-gateway-metrics-reader"
    );
    let instance = Options {
        instance: Some("blue".to_owned()),
        namespace: "team-a".to_owned(),
        ..Options::default()
    }
    .build()?;
    assert_eq!(
        instance.plan().reader_role().name,
        "blue-inference-gateway-metrics-reader"
    );
    Ok(())
}
