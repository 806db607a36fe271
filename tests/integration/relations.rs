//! The scrape-chain checker finds every broken link: each test breaks one link of a valid
//! bundle (read back from its YAML, as any tool would see it) and expects the checker to say so.

// Helpers here fail the test they serve when a valid bundle does not render: that is the report.
#![allow(clippy::expect_used)]

use gmp_types::{ClusterPodMonitoring, SecretKeySelector};
use igw_monitoring::Objects;
use igw_monitoring::relations::{BrokenLink, broken_links};
use igw_monitoring::{ClusterFlavor, Object, Options};
use k8s_openapi::api::core::v1::{Secret, ServiceAccount};
use k8s_openapi::api::rbac::v1::{ClusterRoleBinding, PolicyRule};
use serde::Deserialize;

/// An object as read from YAML, which the tests edit in place.
type Resource = Object<'static>;

fn resources(options: &Options) -> Vec<Resource> {
    let yaml = options
        .build()
        .and_then(|b| b.to_yaml())
        .expect("valid options render");
    serde_yaml::Deserializer::from_str(&yaml)
        .map(Resource::deserialize)
        .collect::<Result<_, _>>()
        .expect("rendered YAML reads back")
}

/// Breaks one link of the default bundle with `edit` and returns what the checker reports.
fn break_link(edit: impl FnOnce(&mut Vec<Resource>)) -> String {
    let mut all = resources(&Options::default());
    assert!(broken_links(&all, "gmp-system").is_empty());
    edit(&mut all);
    let broken = broken_links(&all, "gmp-system");
    assert!(!broken.is_empty(), "the checker missed the broken link");
    lines(&broken)
}

fn secrets(all: &mut [Resource]) -> impl Iterator<Item = &mut Secret> {
    all.iter_mut().filter_map(|r| match r {
        Resource::Secret(o) => Some(o.to_mut()),
        _ => None,
    })
}

fn accounts(all: &mut [Resource]) -> impl Iterator<Item = &mut ServiceAccount> {
    all.iter_mut().filter_map(|r| match r {
        Resource::ServiceAccount(o) => Some(o.to_mut()),
        _ => None,
    })
}

fn bindings(all: &mut [Resource]) -> impl Iterator<Item = &mut ClusterRoleBinding> {
    all.iter_mut().filter_map(|r| match r {
        Resource::ClusterRoleBinding(o) => Some(o.to_mut()),
        _ => None,
    })
}

fn monitorings(all: &mut [Resource]) -> impl Iterator<Item = &mut ClusterPodMonitoring> {
    all.iter_mut().filter_map(|r| match r {
        Resource::ClusterPodMonitoring(o) => Some(o.to_mut()),
        _ => None,
    })
}

/// The rule that lets the collector read the Secret.
fn secret_rules(all: &mut [Resource]) -> impl Iterator<Item = &mut PolicyRule> {
    all.iter_mut()
        .filter_map(|r| match r {
            Resource::ClusterRole(role) => role.to_mut().rules.as_mut(),
            _ => None,
        })
        .flatten()
        .filter(|rule| rule.resource_names.is_some())
}

fn secret_refs(all: &mut [Resource]) -> impl Iterator<Item = &mut SecretKeySelector> {
    monitorings(all)
        .flat_map(|m| &mut m.spec.endpoints)
        .filter_map(gmp_types::ScrapeEndpoint::authorization_secret_mut)
}

/// The broken links as the text they are written as, one per line.
fn lines(broken: &[BrokenLink]) -> String {
    broken
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn built_bundles_close_the_chain_on_their_own_flavor_only() {
    for flavor in [ClusterFlavor::Standard, ClusterFlavor::Autopilot] {
        let options = Options {
            flavor,
            ..Options::default()
        };
        let all = resources(&options);
        assert_eq!(
            broken_links(&all, flavor.collector_namespace()),
            Vec::<BrokenLink>::new()
        );
        assert!(options.build().expect("valid").broken_links().is_empty());
        let other = match flavor {
            ClusterFlavor::Standard => "gke-gmp-system",
            ClusterFlavor::Autopilot => "gmp-system",
        };
        let broken = lines(&broken_links(&all, other));
        assert!(broken.contains("the collector"), "{broken}");
    }
}

/// Each way to break the chain, and what the report must say about it.
#[test]
fn every_broken_link_is_found() {
    type Edit = fn(&mut Vec<Resource>);
    let cases: [(&str, Edit, &str); 16] = [
        (
            "missing secret",
            |all| all.retain(|r| !matches!(r, Resource::Secret(_))),
            "Secret default/inference-gateway-sa-metrics-reader-secret does not exist",
        ),
        (
            "reference into another namespace",
            |all| secret_refs(all).for_each(|s| s.namespace = Some("other".to_owned())),
            "Secret other/",
        ),
        (
            "reference without namespace",
            |all| secret_refs(all).for_each(|s| s.namespace = None),
            "without namespace",
        ),
        (
            "wrong secret type",
            |all| secrets(all).for_each(|s| s.type_ = Some("Opaque".to_owned())),
            "not a service-account-token",
        ),
        (
            "secret naming no account",
            |all| secrets(all).for_each(|s| s.metadata.annotations = None),
            "annotation",
        ),
        (
            "renamed account",
            |all| accounts(all).for_each(|a| a.metadata.name = Some("renamed".to_owned())),
            "ServiceAccount default/inference-gateway-sa-metrics-reader named by the Secret does not exist",
        ),
        (
            "reader bound in the wrong namespace",
            |all| {
                bindings(all)
                    .flat_map(|b| b.subjects.iter_mut().flatten())
                    .filter(|s| s.name != "collector")
                    .for_each(|s| s.namespace = Some("elsewhere".to_owned()));
            },
            "may not get /metrics",
        ),
        (
            "path the reader may not get",
            |all| {
                monitorings(all)
                    .flat_map(|m| &mut m.spec.endpoints)
                    .for_each(|e| e.path = Some("/debug/metrics".to_owned()));
            },
            "may not get /debug/metrics",
        ),
        (
            "grant for another secret",
            |all| {
                secret_rules(all).for_each(|r| r.resource_names = Some(vec!["another".to_owned()]))
            },
            "the collector (gmp-system/collector) may not get, list and watch",
        ),
        (
            "grant without watch",
            |all| secret_rules(all).for_each(|r| r.verbs.retain(|v| v != "watch")),
            "the collector",
        ),
        (
            "grant on every secret",
            |all| secret_rules(all).for_each(|r| r.resource_names = Some(vec![])),
            "the collector may read Secrets no endpoint references",
        ),
        (
            "grant on one more secret",
            |all| {
                secret_rules(all).for_each(|r| {
                    r.resource_names
                        .iter_mut()
                        .for_each(|n| n.push("other".to_owned()))
                })
            },
            "the collector may read Secrets no endpoint references",
        ),
        (
            "dangling roleRef",
            |all| bindings(all).for_each(|b| b.role_ref.name.push_str("-typo")),
            "does not resolve",
        ),
        (
            "namespace on a cluster-scoped object",
            |all| monitorings(all).for_each(|m| m.metadata.namespace = Some("default".to_owned())),
            "cluster-scoped but has namespace",
        ),
        (
            "namespaced object without namespace",
            |all| accounts(all).for_each(|a| a.metadata.namespace = None),
            "namespaced but has no namespace",
        ),
        (
            "no monitoring",
            |all| all.retain(|r| !matches!(r, Resource::ClusterPodMonitoring(_))),
            "no ClusterPodMonitoring",
        ),
    ];
    for (case, edit, expected) in cases {
        let report = break_link(edit);
        assert!(report.contains(expected), "{case}: {report}");
    }
}

/// The rules that let the collector read Secrets, of either kind of role.
fn any_secret_rules(all: &mut [Resource]) -> impl Iterator<Item = &mut PolicyRule> {
    all.iter_mut()
        .filter_map(|r| match r {
            Resource::ClusterRole(role) => role.to_mut().rules.as_mut(),
            Resource::Role(role) => role.to_mut().rules.as_mut(),
            _ => None,
        })
        .flatten()
        .filter(|rule| rule.resource_names.is_some())
}

/// Every TLS bundle (both monitoring kinds, both secret-access modes, with and without client
/// certificates) closes the chain; dropping any one name from any collector grant, each in
/// turn, is found, and the report names the Secret that became unreadable.
#[test]
fn a_missing_grant_for_any_referenced_secret_is_found() {
    for (name, options) in crate::support::cases()
        .into_iter()
        .filter(|(name, _)| name.contains("tls"))
    {
        let all = resources(&options);
        assert_eq!(
            broken_links(&all, "gmp-system"),
            Vec::<BrokenLink>::new(),
            "{name}"
        );
        let mut grants = Vec::new();
        for (i, resource) in all.iter().enumerate() {
            let rules = match resource {
                Resource::ClusterRole(r) => r.rules.as_deref(),
                Resource::Role(r) => r.rules.as_deref(),
                _ => None,
            };
            for (j, rule) in rules.unwrap_or_default().iter().enumerate() {
                for secret in rule.resource_names.iter().flatten() {
                    grants.push((i, j, secret.clone()));
                }
            }
        }
        // The token Secret and, per identity, the shared and the own CA (and client) Secrets.
        assert!(grants.len() >= 3, "{name}: {grants:?}");
        for (i, j, secret) in grants {
            let mut broken = all.clone();
            let rule = match &mut broken[i] {
                Resource::ClusterRole(r) => r.to_mut().rules.as_mut(),
                Resource::Role(r) => r.to_mut().rules.as_mut(),
                _ => None,
            }
            .and_then(|rules| rules.get_mut(j))
            .expect("the rule just found");
            rule.resource_names
                .iter_mut()
                .for_each(|names| names.retain(|n| *n != secret));
            let report = lines(&broken_links(&broken, "gmp-system"));
            assert!(
                report.contains("may not get, list and watch Secret")
                    && report.contains(&format!("/{secret}")),
                "{name}: dropping {secret:?} from the grant went unnoticed: {report}"
            );
        }
    }
}

fn tls_refs(all: &mut [Resource]) -> Vec<&mut SecretKeySelector> {
    monitorings(all)
        .flat_map(|m| &mut m.spec.endpoints)
        .filter_map(|e| e.tls.as_mut())
        .flat_map(|t| [&mut t.ca, &mut t.cert, &mut t.key])
        .filter_map(|s| s.as_mut()?.secret.as_mut())
        .collect()
}

/// The TLS links GMP itself would trip over are found too.
#[test]
fn broken_tls_references_are_found() {
    // Namespaced grants: a ClusterRole's resourceNames would cover the Secret in any namespace.
    let options = crate::support::tls(
        igw_monitoring::MonitoringMode::Cluster,
        igw_monitoring::SecretAccess::Namespaced,
        true,
    );
    type Edit = fn(&mut Vec<Resource>);
    let cases: [(&str, Edit, &str); 4] = [
        (
            "tls reference without namespace",
            |all| tls_refs(all).into_iter().for_each(|s| s.namespace = None),
            "tls.ca: secret reference without namespace",
        ),
        (
            "tls reference into another namespace",
            |all| {
                tls_refs(all)
                    .into_iter()
                    .for_each(|s| s.namespace = Some("elsewhere".to_owned()))
            },
            "may not get, list and watch Secret elsewhere/",
        ),
        (
            "client certificate without its key",
            |all| {
                monitorings(all)
                    .flat_map(|m| &mut m.spec.endpoints)
                    .filter_map(|e| e.tls.as_mut())
                    .for_each(|t| t.key = None)
            },
            "only one of cert and key",
        ),
        (
            "every grant gone",
            |all| any_secret_rules(all).for_each(|r| r.resource_names = Some(vec!["x".to_owned()])),
            "may not get, list and watch",
        ),
    ];
    for (case, edit, expected) in cases {
        let mut all = resources(&options);
        assert!(broken_links(&all, "gmp-system").is_empty());
        edit(&mut all);
        let report = lines(&broken_links(&all, "gmp-system"));
        assert!(report.contains(expected), "{case}: {report}");
    }
}
