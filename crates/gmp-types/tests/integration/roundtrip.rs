//! Serialization: every field survives a round trip, and absent optionals are not written.

use std::collections::BTreeMap;
use std::error::Error;

use gmp_types::{
    Authorization, BasicAuth, ClusterPodMonitoring, ClusterPodMonitoringSpec, LabelMapping,
    MetadataLabel, MonitoringCondition, OAuth2, PodMonitoring, PodMonitoringSpec,
    PodMonitoringStatus, RelabelAction, RelabelingRule, SampleGroup, SampleTarget, Scheme,
    ScrapeEndpoint, ScrapeEndpointStatus, ScrapeLimits, SecretSelector, TargetLabels, TlsConfig,
    TlsVersion,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{
    LabelSelector, LabelSelectorRequirement, ObjectMeta, Time,
};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use serde::Serialize;
use serde::de::DeserializeOwned;

type TestResult = Result<(), Box<dyn Error>>;

fn secret(name: &str, key: &str) -> Option<SecretSelector> {
    Some(SecretSelector::new(name, key, Some("secrets".into())))
}

fn tls() -> TlsConfig {
    TlsConfig {
        ca: secret("tls", "ca.crt"),
        cert: secret("tls", "tls.crt"),
        key: secret("tls", "tls.key"),
        server_name: Some("epp.example".into()),
        insecure_skip_verify: Some(false),
        min_version: Some(TlsVersion::Tls12),
        max_version: Some(TlsVersion::Tls13),
    }
}

/// One endpoint per authentication kind, since upstream allows only one of them per endpoint.
fn endpoints() -> Vec<ScrapeEndpoint> {
    let base = ScrapeEndpoint {
        port: IntOrString::Int(9090),
        scheme: Some(Scheme::Https),
        path: Some("/metrics".into()),
        params: Some(BTreeMap::from([(
            "match[]".to_string(),
            vec!["up".to_string(), "inference_pool_ready_pods".to_string()],
        )])),
        proxy_url: Some("http://proxy.example:3128".into()),
        interval: "30s".into(),
        timeout: Some("10s".into()),
        metric_relabeling: Some(vec![
            RelabelingRule {
                source_labels: Some(vec!["__name__".into(), "model_name".into()]),
                separator: Some(";".into()),
                target_label: Some("model".into()),
                regex: Some("^inference_.+;(.+)$".into()),
                modulus: None,
                replacement: Some("$1".into()),
                action: Some(RelabelAction::Replace),
            },
            RelabelingRule {
                source_labels: Some(vec!["pod".into()]),
                target_label: Some("shard".into()),
                modulus: Some(4),
                action: Some(RelabelAction::HashMod),
                ..Default::default()
            },
            RelabelingRule {
                regex: Some("^debug_.+$".into()),
                action: Some(RelabelAction::LabelDrop),
                ..Default::default()
            },
        ]),
        tls: Some(tls()),
        ..Default::default()
    };
    vec![
        ScrapeEndpoint {
            authorization: Some(Authorization {
                type_: Some("Bearer".into()),
                credentials: secret("reader", "token"),
            }),
            ..base.clone()
        },
        ScrapeEndpoint {
            port: IntOrString::String("metrics".into()),
            basic_auth: Some(BasicAuth {
                username: Some("prometheus".into()),
                password: secret("basic", "password"),
            }),
            ..base.clone()
        },
        ScrapeEndpoint {
            oauth2: Some(OAuth2 {
                client_id: Some("client".into()),
                client_secret: secret("oauth", "secret"),
                scopes: Some(vec!["read".into(), "metrics".into()]),
                token_url: Some("https://auth.example/token".into()),
                endpoint_params: Some(BTreeMap::from([("audience".into(), "epp".into())])),
                tls_config: Some(tls()),
                proxy_url: Some("http://proxy.example:3128".into()),
            }),
            ..base
        },
    ]
}

fn status() -> Result<PodMonitoringStatus, Box<dyn Error>> {
    let time: Time = serde_json::from_value(serde_json::json!("2026-01-02T03:04:05Z"))?;
    Ok(PodMonitoringStatus {
        observed_generation: Some(3),
        conditions: Some(vec![MonitoringCondition {
            type_: "ConfigurationCreateSuccess".into(),
            status: "True".into(),
            last_update_time: Some(time.clone()),
            last_transition_time: Some(time.clone()),
            reason: Some("Created".into()),
            message: Some("configuration created".into()),
        }]),
        endpoint_statuses: Some(vec![ScrapeEndpointStatus {
            name: "ClusterPodMonitoring/epp/metrics".into(),
            active_targets: Some(2),
            unhealthy_targets: Some(1),
            last_update_time: Some(time),
            sample_groups: Some(vec![SampleGroup {
                sample_targets: Some(vec![SampleTarget {
                    labels: Some(BTreeMap::from([("pod".into(), "epp-0".into())])),
                    last_error: Some("server returned HTTP status 401 Unauthorized".into()),
                    last_scrape_duration_seconds: Some("0.012".into()),
                    health: Some("down".into()),
                }]),
                count: Some(1),
            }]),
            collectors_fraction: Some("1".into()),
        }]),
    })
}

fn full_cluster_pod_monitoring() -> Result<ClusterPodMonitoring, Box<dyn Error>> {
    Ok(ClusterPodMonitoring {
        metadata: ObjectMeta {
            name: Some("epp".into()),
            labels: Some(BTreeMap::from([("app".into(), "epp".into())])),
            ..Default::default()
        },
        spec: ClusterPodMonitoringSpec {
            selector: LabelSelector {
                match_labels: Some(BTreeMap::from([("app".into(), "epp".into())])),
                match_expressions: Some(vec![LabelSelectorRequirement {
                    key: "tier".into(),
                    operator: "In".into(),
                    values: Some(vec!["inference".into()]),
                }]),
            },
            endpoints: endpoints(),
            target_labels: Some(TargetLabels {
                from_pod: Some(vec![
                    LabelMapping {
                        from: "app.kubernetes.io/name".into(),
                        to: Some("app".into()),
                    },
                    LabelMapping {
                        from: "pool".into(),
                        to: None,
                    },
                ]),
                metadata: Some(vec![
                    MetadataLabel::Container,
                    MetadataLabel::Namespace,
                    MetadataLabel::Node,
                    MetadataLabel::Pod,
                    MetadataLabel::TopLevelControllerName,
                    MetadataLabel::TopLevelControllerType,
                ]),
            }),
            limits: Some(ScrapeLimits {
                samples: Some(100_000),
                labels: Some(64),
                label_name_length: Some(128),
                label_value_length: Some(1024),
            }),
            filter_running: Some(true),
        },
        status: Some(status()?),
    })
}

fn assert_round_trips<T>(value: &T) -> TestResult
where
    T: Serialize + DeserializeOwned + PartialEq + std::fmt::Debug,
{
    let json = serde_json::to_string(value)?;
    assert_eq!(
        &serde_json::from_str::<T>(&json)?,
        value,
        "via JSON:\n{json}"
    );
    let yaml = serde_yaml::to_string(value)?;
    assert_eq!(
        &serde_yaml::from_str::<T>(&yaml)?,
        value,
        "via YAML:\n{yaml}"
    );
    Ok(())
}

#[test]
fn full_cluster_pod_monitoring_round_trips() -> TestResult {
    assert_round_trips(&full_cluster_pod_monitoring()?)
}

#[test]
fn full_pod_monitoring_round_trips() -> TestResult {
    let cpm = full_cluster_pod_monitoring()?;
    let pm = PodMonitoring {
        metadata: ObjectMeta {
            namespace: Some("inference".into()),
            ..cpm.metadata
        },
        spec: PodMonitoringSpec {
            selector: cpm.spec.selector,
            endpoints: cpm.spec.endpoints,
            target_labels: cpm.spec.target_labels,
            limits: cpm.spec.limits,
            filter_running: cpm.spec.filter_running,
        },
        status: cpm.status,
    };
    assert_round_trips(&pm)
}

#[test]
fn wire_names_match_the_crd_spelling() -> TestResult {
    let json = serde_json::to_value(full_cluster_pod_monitoring()?)?;
    assert_eq!(json["apiVersion"], "monitoring.googleapis.com/v1");
    assert_eq!(json["kind"], "ClusterPodMonitoring");
    let endpoints = &json["spec"]["endpoints"];
    assert_eq!(endpoints[0]["port"], 9090);
    assert_eq!(endpoints[0]["scheme"], "https");
    assert_eq!(endpoints[0]["proxyUrl"], "http://proxy.example:3128");
    assert_eq!(
        endpoints[0]["metricRelabeling"][0]["sourceLabels"][0],
        "__name__"
    );
    assert_eq!(endpoints[0]["metricRelabeling"][0]["targetLabel"], "model");
    assert_eq!(endpoints[0]["metricRelabeling"][1]["action"], "hashmod");
    assert_eq!(endpoints[0]["metricRelabeling"][2]["action"], "labeldrop");
    assert_eq!(endpoints[0]["authorization"]["type"], "Bearer");
    assert_eq!(endpoints[0]["tls"]["minVersion"], "TLS12");
    assert_eq!(endpoints[0]["tls"]["insecureSkipVerify"], false);
    assert_eq!(endpoints[0]["tls"]["serverName"], "epp.example");
    assert_eq!(endpoints[1]["port"], "metrics");
    assert_eq!(
        endpoints[1]["basicAuth"]["password"]["secret"]["key"],
        "password"
    );
    let oauth2 = &endpoints[2]["oauth2"];
    assert_eq!(oauth2["clientID"], "client");
    assert_eq!(oauth2["clientSecret"]["secret"]["name"], "oauth");
    assert_eq!(oauth2["tokenURL"], "https://auth.example/token");
    assert_eq!(oauth2["endpointParams"]["audience"], "epp");
    assert_eq!(oauth2["tlsConfig"]["maxVersion"], "TLS13");
    assert_eq!(oauth2["proxyUrl"], "http://proxy.example:3128");
    let spec = &json["spec"];
    assert_eq!(
        spec["targetLabels"]["fromPod"][0]["from"],
        "app.kubernetes.io/name"
    );
    assert_eq!(
        spec["targetLabels"]["metadata"][4],
        "top_level_controller_name"
    );
    assert_eq!(spec["limits"]["labelNameLength"], 128);
    assert_eq!(spec["limits"]["labelValueLength"], 1024);
    assert_eq!(spec["filterRunning"], true);
    let status = &json["status"];
    assert_eq!(status["observedGeneration"], 3);
    assert_eq!(
        status["conditions"][0]["type"],
        "ConfigurationCreateSuccess"
    );
    assert_eq!(
        status["conditions"][0]["lastTransitionTime"],
        "2026-01-02T03:04:05Z"
    );
    let endpoint_status = &status["endpointStatuses"][0];
    assert_eq!(endpoint_status["activeTargets"], 2);
    assert_eq!(endpoint_status["collectorsFraction"], "1");
    assert_eq!(endpoint_status["sampleGroups"][0]["count"], 1);
    assert_eq!(
        endpoint_status["sampleGroups"][0]["sampleTargets"][0]["lastScrapeDurationSeconds"],
        "0.012"
    );
    Ok(())
}

fn keys(value: &serde_json::Value) -> Vec<&str> {
    value
        .as_object()
        .map(|m| m.keys().map(String::as_str).collect())
        .unwrap_or_default()
}

#[test]
fn minimal_endpoint_writes_only_port_and_interval() -> TestResult {
    let endpoint = ScrapeEndpoint {
        port: IntOrString::String("metrics".into()),
        interval: "30s".into(),
        ..Default::default()
    };
    let json = serde_json::to_value(&endpoint)?;
    assert_eq!(keys(&json), ["interval", "port"]);
    assert_eq!(
        serde_yaml::to_string(&endpoint)?,
        "port: metrics\ninterval: 30s\n"
    );
    Ok(())
}

#[test]
fn absent_optionals_are_not_written() -> TestResult {
    let cpm = ClusterPodMonitoring::new(
        "epp",
        ClusterPodMonitoringSpec {
            endpoints: vec![ScrapeEndpoint {
                port: IntOrString::Int(9090),
                interval: "30s".into(),
                authorization: Some(Authorization::default()),
                tls: Some(TlsConfig::default()),
                ..Default::default()
            }],
            target_labels: Some(TargetLabels::default()),
            ..Default::default()
        },
    );
    let json = serde_json::to_value(&cpm)?;
    assert_eq!(keys(&json), ["apiVersion", "kind", "metadata", "spec"]);
    assert_eq!(json["metadata"], serde_json::json!({"name": "epp"}));
    assert_eq!(
        keys(&json["spec"]),
        ["endpoints", "selector", "targetLabels"]
    );
    assert_eq!(json["spec"]["selector"], serde_json::json!({}));
    assert_eq!(json["spec"]["targetLabels"], serde_json::json!({}));
    let endpoint = &json["spec"]["endpoints"][0];
    assert_eq!(keys(endpoint), ["authorization", "interval", "port", "tls"]);
    assert_eq!(endpoint["authorization"], serde_json::json!({}));
    assert_eq!(endpoint["tls"], serde_json::json!({}));

    let empty: serde_json::Value = serde_json::to_value(SecretSelector::default())?;
    assert_eq!(empty, serde_json::json!({}));
    let no_namespace = SecretSelector::new("reader", "token", None);
    assert_eq!(
        serde_json::to_value(no_namespace)?,
        serde_json::json!({"secret": {"name": "reader", "key": "token"}})
    );
    Ok(())
}

/// An explicit empty list is not an absent one upstream (it turns the default labels off).
#[test]
fn empty_metadata_list_is_kept() -> TestResult {
    let labels = TargetLabels {
        from_pod: None,
        metadata: Some(vec![]),
    };
    let json = serde_json::to_value(&labels)?;
    assert_eq!(json, serde_json::json!({"metadata": []}));
    assert_eq!(serde_json::from_value::<TargetLabels>(json)?, labels);
    Ok(())
}
