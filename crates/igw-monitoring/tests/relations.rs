//! The scrape-chain checker finds every broken link: each test breaks one link of a valid
//! bundle (read back from its YAML, as any tool would see it) and expects the checker to say so.

// Helpers here fail the test they serve when a valid bundle does not render: that is the report.
#![allow(clippy::expect_used)]

use igw_monitoring::relations::{Resource, broken_links};
use igw_monitoring::{ClusterFlavor, Options};
use serde::Deserialize;

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

/// Breaks one link with `edit` and returns what the checker reports.
fn break_link(edit: impl FnOnce(&mut Vec<Resource>)) -> String {
    let mut all = resources(&Options::default());
    assert!(broken_links(&all, "gmp-system").is_empty());
    edit(&mut all);
    let broken = broken_links(&all, "gmp-system");
    assert!(!broken.is_empty(), "the checker missed the broken link");
    broken.join("\n")
}

fn each<T>(
    all: &mut [Resource],
    mut pick: impl FnMut(&mut Resource) -> Option<&mut T>,
    edit: impl Fn(&mut T),
) {
    for resource in all.iter_mut() {
        if let Some(found) = pick(resource) {
            edit(found);
        }
    }
}

fn secret_ref(r: &mut Resource) -> Option<&mut gmp_types::SecretKeySelector> {
    match r {
        Resource::ClusterPodMonitoring(m) => m.spec.endpoints[0]
            .authorization
            .as_mut()?
            .credentials
            .as_mut()?
            .secret
            .as_mut(),
        _ => None,
    }
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
            Vec::<String>::new()
        );
        assert!(options.build().expect("valid").broken_links().is_empty());
        let other = match flavor {
            ClusterFlavor::Standard => "gke-gmp-system",
            ClusterFlavor::Autopilot => "gmp-system",
        };
        let broken = broken_links(&all, other).join("\n");
        assert!(broken.contains("the collector"), "{broken}");
    }
}

#[test]
fn a_missing_secret_is_found() {
    let report = break_link(|all| all.retain(|r| !matches!(r, Resource::Secret(_))));
    assert!(
        report.contains("Secret default/inference-gateway-sa-metrics-reader-secret does not exist"),
        "{report}"
    );
}

#[test]
fn a_secret_reference_into_another_namespace_is_found() {
    let report =
        break_link(|all| each(all, secret_ref, |s| s.namespace = Some("other".to_owned())));
    assert!(report.contains("Secret other/"), "{report}");
}

#[test]
fn a_secret_reference_without_namespace_is_found() {
    let report = break_link(|all| each(all, secret_ref, |s| s.namespace = None));
    assert!(report.contains("without namespace"), "{report}");
}

#[test]
fn a_secret_of_the_wrong_type_is_found() {
    let report = break_link(|all| {
        each(
            all,
            |r| match r {
                Resource::Secret(s) => Some(s),
                _ => None,
            },
            |s| s.type_ = Some("Opaque".to_owned()),
        )
    });
    assert!(report.contains("not a service-account-token"), "{report}");
}

#[test]
fn a_secret_naming_no_service_account_is_found() {
    let report = break_link(|all| {
        each(
            all,
            |r| match r {
                Resource::Secret(s) => Some(s),
                _ => None,
            },
            |s| s.metadata.annotations = None,
        )
    });
    assert!(report.contains("annotation"), "{report}");
}

#[test]
fn a_renamed_service_account_is_found() {
    let report = break_link(|all| {
        each(
            all,
            |r| match r {
                Resource::ServiceAccount(a) => Some(a),
                _ => None,
            },
            |a| {
                a.metadata.name = Some("renamed".to_owned());
            },
        )
    });
    assert!(report.contains("ServiceAccount default/inference-gateway-sa-metrics-reader named by the Secret does not exist"), "{report}");
}

#[test]
fn a_reader_bound_in_the_wrong_namespace_is_found() {
    let report = break_link(|all| {
        each(
            all,
            |r| match r {
                Resource::ClusterRoleBinding(b) => Some(b),
                _ => None,
            },
            |b| {
                for subject in b.subjects.iter_mut().flatten() {
                    if subject.name != "collector" {
                        subject.namespace = Some("elsewhere".to_owned());
                    }
                }
            },
        )
    });
    assert!(report.contains("may not get /metrics"), "{report}");
}

#[test]
fn a_scrape_path_the_reader_role_does_not_grant_is_found() {
    let report = break_link(|all| {
        each(
            all,
            |r| match r {
                Resource::ClusterPodMonitoring(m) => Some(m),
                _ => None,
            },
            |m| {
                m.spec.endpoints[0].path = Some("/debug/metrics".to_owned());
            },
        )
    });
    assert!(report.contains("may not get /debug/metrics"), "{report}");
}

#[test]
fn a_secret_read_rule_for_another_secret_is_found() {
    let report = break_link(|all| {
        each(
            all,
            |r| match r {
                Resource::ClusterRole(c) => Some(c),
                _ => None,
            },
            |c| {
                for rule in c.rules.iter_mut().flatten() {
                    if rule.resource_names.is_some() {
                        rule.resource_names = Some(vec!["another".to_owned()]);
                    }
                }
            },
        )
    });
    assert!(
        report.contains("the collector (gmp-system/collector) may not get, list and watch"),
        "{report}"
    );
}

#[test]
fn a_secret_read_rule_without_watch_is_found() {
    let report = break_link(|all| {
        each(
            all,
            |r| match r {
                Resource::ClusterRole(c) => Some(c),
                _ => None,
            },
            |c| {
                for rule in c.rules.iter_mut().flatten() {
                    rule.verbs.retain(|v| v != "watch");
                }
            },
        )
    });
    assert!(report.contains("the collector"), "{report}");
}

#[test]
fn a_dangling_role_ref_is_found() {
    let report = break_link(|all| {
        each(
            all,
            |r| match r {
                Resource::ClusterRoleBinding(b) => Some(b),
                _ => None,
            },
            |b| {
                b.role_ref.name.push_str("-typo");
            },
        )
    });
    assert!(report.contains("does not resolve"), "{report}");
}

#[test]
fn a_namespace_on_a_cluster_scoped_object_is_found() {
    let report = break_link(|all| {
        each(
            all,
            |r| match r {
                Resource::ClusterPodMonitoring(m) => Some(m),
                _ => None,
            },
            |m| {
                m.metadata.namespace = Some("default".to_owned());
            },
        )
    });
    assert!(
        report.contains("cluster-scoped but has namespace"),
        "{report}"
    );
}

#[test]
fn no_monitoring_at_all_is_found() {
    let report = break_link(|all| all.retain(|r| !matches!(r, Resource::ClusterPodMonitoring(_))));
    assert!(report.contains("no ClusterPodMonitoring"), "{report}");
}

#[test]
fn a_secret_grant_wider_than_the_referenced_secret_is_found() {
    for widened in [
        vec![],
        vec!["inference-gateway-sa-metrics-reader-secret", "other"],
    ] {
        let report = break_link(|all| {
            each(
                all,
                |r| match r {
                    Resource::ClusterRole(c) => Some(c),
                    _ => None,
                },
                |c| {
                    for rule in c.rules.iter_mut().flatten() {
                        if rule.resource_names.is_some() {
                            rule.resource_names =
                                Some(widened.iter().map(|n| (*n).to_owned()).collect());
                        }
                    }
                },
            )
        });
        assert!(
            report.contains("the collector may read Secrets no endpoint references"),
            "{report}"
        );
    }
}
