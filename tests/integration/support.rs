//! What several test files share: the named option sets the snapshots cover, and the check that
//! a rendered bundle reads back as the typed objects it was rendered from.

use igw_monitoring::Objects;
use std::path::PathBuf;

use igw_monitoring::releases::Metric;
use igw_monitoring::{
    AlertOptions, MetricsSchema, MonitoringMode, Preset, PresetFlavor, RulesScope, Target,
};
use igw_monitoring::{
    Bundle, ClusterFlavor, LabelSelector, Names, Object, ObjectId, Options, Port, Scheme,
    SecretAccess, SelectorRequirement,
};
use igw_monitoring::{SecretKeyRef, TlsOptions, TlsVersion};
use serde::Deserialize;

pub type TestResult<T = ()> = Result<T, Box<dyn std::error::Error>>;

/// The workspace's `../shared` folder (seed, reference CRDs, conformance tools).
pub fn shared_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared")
}

/// The option sets the snapshots in `snapshots/` are taken of, by name.
pub fn cases() -> Vec<(&'static str, Options)> {
    vec![
        ("default", Options::default()),
        (
            "autopilot",
            Options {
                flavor: ClusterFlavor::Autopilot,
                ..Options::default()
            },
        ),
        (
            "custom_namespace",
            Options {
                namespace: "inference-monitoring".to_owned(),
                ..Options::default()
            },
        ),
        (
            "match_expressions",
            Options {
                selector: LabelSelector::default()
                    .match_expression(SelectorRequirement::is_in(
                        "inferencepool",
                        ["llama3-8b-epp", "qwen2-7b-epp"],
                    ))
                    .match_expression(SelectorRequirement::not_in("track", ["canary"]))
                    .match_expression(SelectorRequirement::exists("app.kubernetes.io/name"))
                    .match_expression(SelectorRequirement::does_not_exist("debug")),
                ..Options::default()
            },
        ),
        ("every_option", every_option()),
        ("fleet", fleet(MonitoringMode::Cluster)),
        ("fleet_pod_monitoring", fleet(MonitoringMode::Pod)),
        (
            "alerts_namespaced",
            with_alerts(RulesScope::Namespaced, MetricsSchema::InferenceModel),
        ),
        (
            "alerts_cluster",
            with_alerts(RulesScope::Cluster, MetricsSchema::InferenceObjective),
        ),
        (
            "alerts_llm_d_epp",
            with_alerts(RulesScope::Namespaced, MetricsSchema::LlmDEpp),
        ),
        (
            "alerts_migration",
            with_alerts(RulesScope::Cluster, MetricsSchema::LlmDEppMigration),
        ),
        ("adversarial_scalars", adversarial()),
        (
            "tls_cluster",
            tls(MonitoringMode::Cluster, SecretAccess::Cluster, false),
        ),
        (
            "tls_pod_monitoring",
            tls(MonitoringMode::Pod, SecretAccess::Namespaced, false),
        ),
        (
            "mtls_cluster",
            tls(MonitoringMode::Cluster, SecretAccess::Namespaced, true),
        ),
        (
            "mtls_pod_monitoring",
            tls(MonitoringMode::Pod, SecretAccess::Cluster, true),
        ),
        ("fleet_own_endpoints", own_endpoints()),
    ]
}

/// `options` scraped by a kube-prometheus-stack Prometheus of release `kube-prometheus-stack`.
pub fn operator(options: Options) -> Options {
    Options {
        collector: igw_monitoring::Collector::PrometheusOperator,
        prometheus_release: Some("kube-prometheus-stack".to_owned()),
        ..options
    }
}

/// The prometheus-operator option sets the snapshots cover, by name: GMP's [`cases`] but for
/// the collector (`verify` and the Cloud Monitoring dashboard are GMP's alone).
pub fn operator_cases() -> Vec<(&'static str, Options)> {
    let mut mtls = tls(MonitoringMode::Pod, SecretAccess::Cluster, true);
    mtls.alerts.enabled = true;
    vec![
        (
            "operator_default",
            operator(Options {
                alerts: AlertOptions {
                    enabled: true,
                    ..AlertOptions::default()
                },
                ..Options::default()
            }),
        ),
        (
            "operator_fleet",
            operator(with_alerts(
                RulesScope::Cluster,
                MetricsSchema::LlmDEppMigration,
            )),
        ),
        ("operator_mtls_pod_monitoring", operator(mtls)),
        (
            "operator_service_monitor",
            operator(Options {
                scrape_through: igw_monitoring::ScrapeThrough::Service,
                namespace: "team-b".to_owned(),
                preset: Some(Preset {
                    flavor: PresetFlavor::LlmDRouterGateway,
                    release: "qwen2-7b".to_owned(),
                    create_inference_pool: true,
                }),
                alerts: AlertOptions {
                    enabled: true,
                    ..AlertOptions::default()
                },
                ..Options::default()
            }),
        ),
    ]
}

/// The fleet as `render --from` makes it of pickers that differ: one served over TLS on its
/// own port, and each picker's ServiceAccount delegated on its own.
pub fn own_endpoints() -> Options {
    let mut options = fleet(MonitoringMode::Cluster);
    for target in &mut options.targets {
        target.auth_delegation = Some(format!(
            "{}/{}-epp",
            target.namespace.as_deref().unwrap_or("default"),
            target.name
        ));
        if target.name == "mistral" {
            target.port = Some(Port::Number(9191));
            target.scheme = Some(Scheme::Https);
            target.tls = Some(TlsOptions {
                ca: Some(SecretKeyRef::new("mistral-epp-tls", "ca.crt")),
                server_name: Some("mistral-epp.team-b.svc".to_owned()),
                ..TlsOptions::default()
            });
        }
    }
    options
}

/// The fleet scraped over TLS (`mutual`: with client certificates), its CA and server name
/// shared, but one target with its own CA (and client certificate) and server name.
pub fn tls(monitoring: MonitoringMode, secret_access: SecretAccess, mutual: bool) -> Options {
    let key = |secret: &str, key: &str| Some(SecretKeyRef::new(secret, key));
    let mut options = fleet(monitoring);
    options.scheme = Scheme::Https;
    options.secret_access = secret_access;
    options.tls = Some(TlsOptions {
        ca: key("epp-metrics-ca", "ca.crt"),
        cert: mutual.then(|| SecretKeyRef::new("epp-metrics-client", "tls.crt")),
        key: mutual.then(|| SecretKeyRef::new("epp-metrics-client", "tls.key")),
        server_name: Some("epp.team-a.svc".to_owned()),
        insecure_skip_verify: false,
        min_version: mutual.then_some(TlsVersion::Tls13),
    });
    if let Some(mistral) = options.targets.iter_mut().find(|t| t.name == "mistral") {
        mistral.tls = Some(TlsOptions {
            ca: key("mistral-epp-tls", "ca.crt"),
            cert: mutual.then(|| SecretKeyRef::new("mistral-epp-client", "tls.crt")),
            key: mutual.then(|| SecretKeyRef::new("mistral-epp-client", "tls.key")),
            server_name: Some("mistral-epp.team-b.svc.cluster.local".to_owned()),
            insecure_skip_verify: false,
            min_version: Some(TlsVersion::Tls12),
        });
    }
    options
}

/// Three endpoint pickers in two namespaces, each installed another way, with auth delegation.
pub fn fleet(monitoring: MonitoringMode) -> Options {
    let target = |name: &str, namespace: &str, flavor: PresetFlavor, release: &str| Target {
        name: name.to_owned(),
        namespace: Some(namespace.to_owned()),
        selector: None,
        preset: Some(Preset {
            flavor,
            release: release.to_owned(),
            create_inference_pool: true,
        }),
        service_selector: None,
        tls: None,
        auth_delegation: None,
        port: None,
        scheme: None,
    };
    Options {
        namespace: "monitoring".to_owned(),
        monitoring,
        targets: vec![
            target(
                "llama",
                "team-a",
                PresetFlavor::HelmInferencepool,
                "llama3-8b",
            ),
            target("qwen", "team-a", PresetFlavor::RawV03, "qwen2-7b"),
            target(
                "mistral",
                "team-b",
                PresetFlavor::LlmDRouterGateway,
                "mistral",
            ),
        ],
        epp_version: Some("1.1".to_owned()),
        // GIE 1.1 and an llm-d-router picker emit different names: one must be chosen.
        metrics_schema: Some(MetricsSchema::InferenceObjective),
        auth_delegation: Some("team-a/llama3-8b-epp".to_owned()),
        ..Options::default()
    }
}

/// The fleet with its alerts, in `scope`, for endpoint pickers emitting `schema`.
pub fn with_alerts(scope: RulesScope, schema: MetricsSchema) -> Options {
    let mut options = fleet(MonitoringMode::Cluster);
    options.metrics_schema = Some(schema);
    options.alerts = AlertOptions {
        enabled: true,
        scope,
        ..AlertOptions::default()
    };
    options
}

/// Every option away from its default.
fn every_option() -> Options {
    Options {
        namespace: "inference".to_owned(),
        flavor: ClusterFlavor::Autopilot,
        secret_access: SecretAccess::Namespaced,
        monitoring: MonitoringMode::Cluster,
        // GMP: the flavor and secret access above are its alone (prometheusOperator's own
        // options have their cases).
        collector: igw_monitoring::Collector::Gmp,
        prometheus_release: None,
        scrape_through: Default::default(),
        service_selector: None,
        service_port: None,
        instance: Some("llama".to_owned()),
        preset: None,
        targets: Vec::new(),
        epp_version: Some("1.2".to_owned()),
        metrics_schema: Some(MetricsSchema::InferenceObjective),
        auth_delegation: Some("inference/llama3-8b-epp".to_owned()),
        pprof: true,
        alerts: AlertOptions {
            enabled: true,
            scope: RulesScope::Cluster,
            p99_latency_seconds: 2.5,
            error_ratio: 0.01,
            queue_size: 20.0,
            kv_cache_utilization: 0.8,
            for_: "10m".to_owned(),
        },
        selector: LabelSelector::default()
            .match_label("app", "vllm-llama3-8b-instruct-epp")
            .match_expression(SelectorRequirement::is_in("tier", ["gold", "silver"])),
        port: Port::Number(9090),
        scheme: Scheme::Https,
        tls: Some(TlsOptions {
            ca: Some(SecretKeyRef::new("epp-metrics-ca", "ca.crt")),
            cert: Some(SecretKeyRef::new("epp-metrics-client", "tls.crt")),
            key: Some(SecretKeyRef::new("epp-metrics-client", "tls.key")),
            server_name: Some("epp.inference.svc".to_owned()),
            insecure_skip_verify: false,
            min_version: Some(TlsVersion::Tls13),
        }),
        interval: "30s".to_owned(),
        timeout: Some("10s".to_owned()),
        path: "/epp/metrics".to_owned(),
        names: Names {
            reader_cluster_role: Some("epp-metrics-reader".to_owned()),
            service_account: Some("epp-scraper".to_owned()),
            reader_binding: Some("epp-scraper-reader".to_owned()),
            token_secret: Some("epp-scraper-token".to_owned()),
            secret_reader_role: Some("epp-scraper-token-read".to_owned()),
            collector_binding: Some("gmp-collector-reads-epp-scraper-token".to_owned()),
            pod_monitoring: Some("epp".to_owned()),
            alerts: Some("epp-alerts".to_owned()),
            dashboard: Some("epp-dashboard".to_owned()),
        },
        name_prefix: "team-a-".to_owned(),
        monitoring_labels: [("team".to_owned(), "inference".to_owned())].into(),
        extra_labels: [("env".to_owned(), "prod".to_owned())].into(),
        extra_annotations: [("owner".to_owned(), "platform@example.com".to_owned())].into(),
    }
}

/// Values that are valid Kubernetes names, labels or annotations yet read as booleans, numbers,
/// nulls, timestamps or YAML syntax when written plainly.
fn adversarial() -> Options {
    let annotations = [
        ("a.example.com/tilde", "~"),
        ("a.example.com/null", "null"),
        ("a.example.com/empty", ""),
        ("a.example.com/colon", "key: value"),
        ("a.example.com/comment", "x #not a comment"),
        ("a.example.com/dash", "- item"),
        ("a.example.com/flow", "{a: [b]}"),
        ("a.example.com/quotes", "it's \"quoted\" \\ here"),
        ("a.example.com/spaces", "  padded  "),
        ("a.example.com/newline", "line one\nline two\n"),
        (
            "a.example.com/control",
            "bell\u{7} tab\t nul\u{0} esc\u{1b}",
        ),
        (
            "a.example.com/unicode-breaks",
            "nel\u{85} ls\u{2028} ps\u{2029}",
        ),
        (
            "a.example.com/anchor",
            "&anchor *alias !tag %directive @at `tick",
        ),
        ("a.example.com/document", "---"),
        ("a.example.com/sexagesimal", "12:30:45"),
        ("a.example.com/merge", "<<"),
        ("a.example.com/bom", "\u{feff}bom"),
    ];
    Options {
        namespace: "yes".to_owned(),
        selector: LabelSelector::default()
            .match_label("y", "n")
            .match_label("on", "off")
            .match_expression(SelectorRequirement::is_in(
                "release",
                [
                    "0777",
                    "1_000",
                    "1e3",
                    "null",
                    "True",
                    "2001-12-14",
                    "0x1F",
                    "1.5",
                ],
            )),
        port: Port::Name("null".to_owned()),
        names: Names {
            reader_cluster_role: Some("on".to_owned()),
            service_account: Some("1e3".to_owned()),
            token_secret: Some("0777".to_owned()),
            secret_reader_role: Some("~".to_owned()),
            collector_binding: Some("- x: y #z".to_owned()),
            pod_monitoring: Some("null".to_owned()),
            ..Names::default()
        },
        monitoring_labels: [("no".to_owned(), "yes".to_owned())].into(),
        extra_labels: [("example.com/off".to_owned(), "NULL".to_owned())].into(),
        extra_annotations: annotations
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect(),
        ..Options::default()
    }
}

/// The objects of a rendered bundle, read back with serde_yaml into their typed values.
pub fn read_back(yaml: &str) -> Result<Vec<Object<'static>>, serde_yaml::Error> {
    serde_yaml::Deserializer::from_str(yaml)
        .map(Object::deserialize)
        .collect()
}

/// Checks the bundle's scrape chain, renders it, and checks that every document reads back as
/// the object it came from.
pub fn assert_round_trip(bundle: &Bundle) -> Result<String, String> {
    let broken = bundle.broken_links();
    if !broken.is_empty() {
        return Err(format!("the scrape chain is broken: {broken:#?}"));
    }
    let mut ids = std::collections::BTreeSet::new();
    for object in bundle.objects() {
        let meta = object.metadata();
        if !ids.insert((object.kind(), meta.namespace.clone(), meta.name.clone())) {
            return Err(format!(
                "two {} objects named {:?}",
                object.kind(),
                meta.name
            ));
        }
    }
    // The plan foretells every object: kind, namespace and name, in order.
    let made: Vec<ObjectId> = bundle
        .objects()
        .iter()
        .map(|o| ObjectId {
            kind: o.kind(),
            namespace: o.metadata().namespace.clone(),
            name: o.metadata().name.clone().unwrap_or_default(),
        })
        .collect();
    let planned: Vec<ObjectId> = bundle.plan().object_ids().cloned().collect();
    if made != planned || bundle.plan().object_count() != made.len() {
        return Err(format!("made {made:#?}\nplanned {planned:#?}"));
    }
    let yaml = bundle.to_yaml().map_err(|e| e.to_string())?;
    let parsed = read_back(&yaml).map_err(|e| format!("{e}\n--- rendered:\n{yaml}"))?;
    let objects = bundle.objects();
    if parsed.len() != objects.len() {
        return Err(format!(
            "{} documents, expected {}",
            parsed.len(),
            objects.len()
        ));
    }
    for (parsed, object) in parsed.iter().zip(objects) {
        if parsed != object {
            return Err(format!(
                "read back differently:\n{parsed:#?}\nexpected:\n{object:#?}\n--- rendered:\n{yaml}"
            ));
        }
    }
    Ok(yaml)
}

/// The Python of the conformance validators (`../shared/conformance/setup.sh` installs it).
pub fn conformance_python() -> Result<PathBuf, String> {
    let home = std::env::var_os("IGW_CONFORMANCE_HOME")
        .map(PathBuf::from)
        .or_else(|| {
            std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache/igw-conformance"))
        })
        .ok_or("neither IGW_CONFORMANCE_HOME nor HOME is set")?;
    let python = home.join("venv/bin/python");
    if python.is_file() {
        Ok(python)
    } else {
        Err(format!(
            "{} is missing: run ../shared/conformance/setup.sh first",
            python.display()
        ))
    }
}

/// Reads each YAML text with PyYAML (YAML 1.1, as kubectl reads), returning every text's
/// documents as JSON: one Python process for the whole batch.
pub fn read_as_yaml_1_1(texts: &[String]) -> Result<Vec<serde_json::Value>, String> {
    use std::io::Write;
    use std::process::{Command, Stdio};
    const READER: &str = "import json, sys, yaml\n\
        texts = json.load(sys.stdin)\n\
        json.dump([list(yaml.safe_load_all(t)) for t in texts], sys.stdout)\n";
    let mut child = Command::new(conformance_python()?)
        .args(["-c", READER])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| e.to_string())?;
    let input = serde_json::to_vec(texts).map_err(|e| e.to_string())?;
    child
        .stdin
        .take()
        .ok_or("no stdin")?
        .write_all(&input)
        .map_err(|e| e.to_string())?;
    let output = child.wait_with_output().map_err(|e| e.to_string())?;
    if !output.status.success() {
        return Err(String::from_utf8_lossy(&output.stderr).into_owned());
    }
    match serde_json::from_slice(&output.stdout).map_err(|e| e.to_string())? {
        serde_json::Value::Array(docs) => Ok(docs),
        other => Err(format!("unexpected reader output {other}")),
    }
}

/// The bundle's objects as JSON, the way any reader of the rendered YAML should see them.
pub fn objects_json(bundle: &Bundle) -> serde_json::Value {
    serde_json::Value::Array(
        bundle
            .objects()
            .iter()
            .map(|o| serde_json::to_value(o).unwrap_or_default())
            .collect(),
    )
}

/// The families `schema` may name: its own, or the migration mode's two schemas'.
pub fn catalogue(schema: MetricsSchema) -> impl Iterator<Item = &'static Metric> {
    schema.schemas().iter().flat_map(|s| s.catalogue().iter())
}
