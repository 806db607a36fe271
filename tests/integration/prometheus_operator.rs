//! The prometheus-operator collector: for every preset and metric schema the bundle's chain is
//! closed and it passes check.sh; a bundle made from each real manifest scrapes its pickers and
//! is taken by a kube-prometheus-stack Prometheus; `check` finds a PodMonitor or PrometheusRule
//! its Prometheus does not take, and a PodMonitor that drifted from its picker.

use igw_monitoring::Objects;
use igw_monitoring::manifests::{self, Manifests};
use igw_monitoring::releases::{self, PresetFlavor};
use igw_monitoring::{
    AlertOptions, Collector, Given, Kind, MetricsSchema, MonitoringMode, Options, Preset,
    RulesScope, ScrapeThrough, SecretAccess, check,
};
use serde_json::{Value, json};

use crate::check::{
    check_objects, index, model_server, objects, one_finding, picker, plan_from, review_role,
    reviews,
};
use crate::support::{
    TestResult, assert_round_trip, fleet, operator, shared_dir, tls, with_alerts,
};

/// The release name the bundles' Prometheus is installed as ([`operator`]).
const RELEASE: &str = "kube-prometheus-stack";

/// Every preset shape (flavor, and `createInferencePool` where it changes the pods' label) and
/// every metric schema in both alert scopes, the fleet in both monitoring modes, and TLS and
/// mTLS: each with the prometheus-operator collector and its alerts.
fn cases() -> Vec<(String, Options)> {
    let alerts = AlertOptions {
        enabled: true,
        ..AlertOptions::default()
    };
    let mut cases = Vec::new();
    for flavor in PresetFlavor::ALL {
        for pool in [true, false] {
            if !pool && releases::pod_label(flavor, false).is_none() {
                continue;
            }
            let options = Options {
                preset: Some(Preset {
                    flavor,
                    release: "qwen2-7b".to_owned(),
                    create_inference_pool: pool,
                }),
                alerts: alerts.clone(),
                ..Options::default()
            };
            cases.push((
                format!("preset-{}-{pool}", flavor.as_str()),
                operator(options),
            ));
        }
    }
    for schema in MetricsSchema::ALL {
        for scope in [RulesScope::Namespaced, RulesScope::Cluster] {
            cases.push((
                format!("alerts-{schema}-{scope:?}"),
                operator(with_alerts(scope, schema)),
            ));
        }
    }
    let with = |options: Options| {
        operator(Options {
            alerts: alerts.clone(),
            ..options
        })
    };
    for mode in [MonitoringMode::Cluster, MonitoringMode::Pod] {
        cases.push((format!("fleet-{mode:?}"), with(fleet(mode))));
        for mutual in [false, true] {
            cases.push((
                format!("tls-{mode:?}-{mutual}"),
                with(tls(mode, SecretAccess::Cluster, mutual)),
            ));
        }
    }
    // Through the Services: each chart's (the raw manifests' Service has no labels), in both
    // monitoring modes, and with mTLS.
    for flavor in PresetFlavor::ALL {
        if releases::service_label(flavor).is_none() {
            continue;
        }
        for mode in [MonitoringMode::Cluster, MonitoringMode::Pod] {
            cases.push((
                format!("service-{}-{mode:?}", flavor.as_str()),
                with(Options {
                    scrape_through: ScrapeThrough::Service,
                    monitoring: mode,
                    preset: Some(Preset {
                        flavor,
                        release: "qwen2-7b".to_owned(),
                        create_inference_pool: true,
                    }),
                    ..Options::default()
                }),
            ));
        }
    }
    // A fleet over mTLS, each target's Service given (one is of the raw manifests, whose
    // Service the user has labelled).
    let mut mtls = tls(MonitoringMode::Pod, SecretAccess::Cluster, true);
    for target in &mut mtls.targets {
        target.service_selector = Some(
            igw_monitoring::LabelSelector::default()
                .match_label("app.kubernetes.io/name", format!("{}-epp", target.name)),
        );
    }
    cases.push((
        "service-mtls".to_owned(),
        with(Options {
            scrape_through: ScrapeThrough::Service,
            ..mtls
        }),
    ));
    cases
}

#[test]
fn every_case_closes_its_chain_and_holds_no_gmp_object() -> TestResult {
    for (name, options) in cases() {
        let bundle = options.build()?;
        assert_round_trip(&bundle).map_err(|e| format!("{name}: {e}"))?;
        let kinds: Vec<Kind> = bundle.objects().iter().map(|o| o.kind()).collect();
        for gmp in [
            Kind::ClusterPodMonitoring,
            Kind::PodMonitoring,
            Kind::Rules,
            Kind::ClusterRules,
            Kind::Role,
            Kind::RoleBinding,
        ] {
            assert!(!kinds.contains(&gmp), "{name}: {gmp:?} in {kinds:?}");
        }
        let (monitor, not) = match options.scrape_through {
            ScrapeThrough::Pod => (Kind::PodMonitor, Kind::ServiceMonitor),
            ScrapeThrough::Service => (Kind::ServiceMonitor, Kind::PodMonitor),
        };
        assert!(kinds.contains(&monitor), "{name}: {kinds:?}");
        assert!(!kinds.contains(&not), "{name}: {kinds:?}");
        assert!(kinds.contains(&Kind::PrometheusRule), "{name}: {kinds:?}");
        // Every monitor and PrometheusRule carries the label the release's Prometheus asks.
        for object in bundle.objects() {
            if matches!(
                object.kind(),
                Kind::PodMonitor | Kind::ServiceMonitor | Kind::PrometheusRule
            ) {
                let labels = object.metadata().labels.clone().unwrap_or_default();
                assert_eq!(
                    labels.get("release").map(String::as_str),
                    Some(RELEASE),
                    "{name}: {:?}",
                    object.metadata().name
                );
            }
        }
    }
    Ok(())
}

#[test]
#[ignore = "needs the offline validators (Python): run ../shared/conformance/setup.sh --with-checkov, then cargo test -- --include-ignored"]
fn every_case_passes_the_conformance_check() -> TestResult {
    crate::support::conformance_python()?;
    let dir = tempfile::tempdir()?;
    let mut files = Vec::new();
    for (name, options) in cases() {
        let file = dir.path().join(format!("{name}.yaml"));
        std::fs::write(&file, options.build()?.to_yaml()?)?;
        files.push(file);
        // The Grafana dashboard's ConfigMap, applied beside the bundle.
        let file = dir.path().join(format!("{name}-dashboard.yaml"));
        let map = options.plan()?.grafana_config_map()?;
        std::fs::write(&file, [igw_monitoring::Object::from(map)].to_yaml()?)?;
        files.push(file);
    }
    crate::conformance::check_sh(&files)
}

/// The Prometheus a kube-prometheus-stack 88.5.3 release named [`RELEASE`] makes with its
/// default values: every selector asks `release: <release>`, every namespace selector is
/// empty (all namespaces).
fn stack_prometheus() -> Value {
    let selector = json!({"matchLabels": {"release": RELEASE}});
    json!({
        "apiVersion": "monitoring.coreos.com/v1", "kind": "Prometheus",
        "metadata": {"name": format!("{RELEASE}-prometheus"), "namespace": "monitoring"},
        "spec": {
            "podMonitorSelector": selector, "podMonitorNamespaceSelector": {},
            "serviceMonitorSelector": selector, "serviceMonitorNamespaceSelector": {},
            "ruleSelector": selector, "ruleNamespaceSelector": {},
            "externalLabels": {"cluster": "prod-1"}
        }
    })
}

#[test]
#[ignore = "needs ../shared: run cargo test -- --include-ignored"]
fn a_bundle_of_each_real_manifest_scrapes_its_pickers_and_the_stack_takes_it() -> TestResult {
    let files = [
        "gie-v1.0.0-raw-manifests.yaml",
        "gie-v1.5.0-inferencepool-chart-gke.yaml",
        "gie-v1.5.0-standalone-chart-no-pool.yaml",
        "llm-d-router-v0.10.0-gateway-chart-gmp.yaml",
    ];
    let ways = [MonitoringMode::Cluster, MonitoringMode::Pod]
        .into_iter()
        .flat_map(|mode| [(mode, ScrapeThrough::Pod), (mode, ScrapeThrough::Service)]);
    for file in files {
        for (mode, through) in ways.clone() {
            let mut manifests = Manifests::new();
            let path = shared_dir().join("reference/epp").join(file);
            manifests.read(file, &std::fs::read_to_string(path)?)?;
            manifests.add("prometheus", stack_prometheus())?;
            let base = operator(Options {
                monitoring: mode,
                scrape_through: through,
                namespace: "monitoring".to_owned(),
                alerts: AlertOptions {
                    enabled: true,
                    ..AlertOptions::default()
                },
                ..Options::default()
            });
            let discovery = manifests::discover(&manifests, mode)?;
            let applied = discovery.apply(base, &Given::new());
            // GIE v1.0's raw Service has no labels (nor a metrics port): refused, not guessed.
            if through == ScrapeThrough::Service && file.starts_with("gie-v1.0.0-raw") {
                let error = applied
                    .err()
                    .ok_or("a ServiceMonitor of the raw manifests")?;
                assert!(
                    error.to_string().contains("finds no labelled Service"),
                    "{error}"
                );
                continue;
            }
            let (options, _) = applied?;
            let plan = options.plan()?;
            let check = plan.check(&manifests);
            assert!(
                check.is_clean(),
                "{file} {mode:?} {through:?}: {:#?}",
                check.findings
            );
            // Warnings on the manifests (llm-d-router's image tag `main`) aside, none is about
            // the bundle.
            assert!(
                check
                    .warnings
                    .iter()
                    .all(|w| w.object.as_ref().is_some_and(|o| o.kind == "Deployment")),
                "{file} {mode:?}: {:#?}",
                check.warnings
            );
            assert!(!check.monitorings.is_empty(), "{file}");
            let kind = match through {
                ScrapeThrough::Pod => "PodMonitor",
                ScrapeThrough::Service => "ServiceMonitor",
            };
            for scrapes in &check.monitorings {
                assert_eq!(scrapes.monitoring.kind, kind, "{file}");
                assert!(!scrapes.pickers.is_empty(), "{file}: {scrapes:?}");
            }
            // The same bundle as YAML, read back and judged without the plan.
            let read = check::read_bundle(file, &plan.to_yaml()?)?;
            let again = check::check(&manifests, read, None);
            assert!(again.is_clean(), "{file} {mode:?}: {:#?}", again.findings);
        }
    }
    Ok(())
}

/// A Prometheus `monitoring/p` with `spec`.
fn prometheus(spec: Value) -> Value {
    json!({
        "apiVersion": "monitoring.coreos.com/v1", "kind": "Prometheus",
        "metadata": {"name": "p", "namespace": "monitoring"}, "spec": spec
    })
}

/// The picker manifests of the `check` tests, with `more` objects beside them.
fn world(more: &[Value]) -> TestResult<Manifests> {
    let mut all = vec![picker(&[]), model_server(), reviews(), review_role()];
    all.extend_from_slice(more);
    index(&all)
}

const MONITOR: &str = "PodMonitor/default/inference-optimized-gateway-monitoring-a";
const RULE: &str = "PrometheusRule/ns/inference-gateway-endpoint-picker-alerts";

#[test]
fn check_finds_what_its_prometheus_does_not_take() -> TestResult {
    let alerts = AlertOptions {
        enabled: true,
        ..AlertOptions::default()
    };
    let plan = plan_from(
        &world(&[])?,
        operator(Options {
            alerts: alerts.clone(),
            ..Options::default()
        }),
    )?;
    let bundle = objects(&plan)?;
    let all = json!({});
    let release = json!({"matchLabels": {"release": RELEASE}});

    // The stack's own Prometheus takes both.
    let check = check_objects(&world(&[stack_prometheus()])?, &bundle)?;
    assert!(check.is_clean(), "{:#?}", check.findings);
    assert!(check.warnings.is_empty(), "{:#?}", check.warnings);

    // No Prometheus in the manifests: not known, said once.
    let check = check_objects(&world(&[])?, &bundle)?;
    assert!(check.is_clean(), "{:#?}", check.findings);
    assert_eq!(check.warnings.len(), 1, "{:#?}", check.warnings);
    assert!(check.warnings[0].rule.contains("hold no Prometheus"));

    // A bundle made without the release label: neither is taken, and the finding says which
    // flag gives it.
    let unlabelled = objects(&plan_from(
        &world(&[])?,
        Options {
            collector: Collector::PrometheusOperator,
            alerts: alerts.clone(),
            ..Options::default()
        },
    )?)?;
    let check = check_objects(&world(&[stack_prometheus()])?, &unlabelled)?;
    assert_eq!(check.findings.len(), 2, "{:#?}", check.findings);
    for (finding, object) in check.findings.iter().zip([MONITOR, RULE]) {
        assert_eq!(
            finding.object.as_ref().map(ToString::to_string).as_deref(),
            Some(object)
        );
        assert_eq!(finding.field, "metadata.labels");
        assert!(
            finding.rule.contains("does not match the labels")
                && finding
                    .rule
                    .contains("--prometheus-release kube-prometheus-stack"),
            "{finding}"
        );
    }

    // Unset selectors take nothing; an unset namespace selector only the Prometheus's own
    // namespace (the bundle's objects are in default and ns, the Prometheus in monitoring).
    let check = check_objects(&world(&[prometheus(json!({}))])?, &bundle)?;
    assert_eq!(check.findings.len(), 2, "{:#?}", check.findings);
    assert!(
        check.findings[0]
            .rule
            .contains("podMonitorSelector is unset, which takes no PodMonitor")
    );
    assert!(
        check.findings[1]
            .rule
            .contains("ruleSelector is unset, which takes no PrometheusRule")
    );
    let check = check_objects(
        &world(&[prometheus(
            json!({"podMonitorSelector": all, "ruleSelector": all}),
        )])?,
        &bundle,
    )?;
    assert_eq!(check.findings.len(), 2, "{:#?}", check.findings);
    assert!(
        check.findings[0].rule.contains(
            "podMonitorNamespaceSelector is unset, which takes only its own namespace, monitoring"
        ),
        "{}",
        check.findings[0]
    );

    // A namespace selector naming another namespace (by the label every namespace has).
    let elsewhere = json!({"matchLabels": {"kubernetes.io/metadata.name": "other"}});
    let check = check_objects(
        &world(&[prometheus(json!({
            "podMonitorSelector": release, "podMonitorNamespaceSelector": elsewhere,
            "ruleSelector": release, "ruleNamespaceSelector": all,
        }))])?,
        &bundle,
    )?;
    one_finding(
        &check,
        &format!("{MONITOR} metadata.labels"),
        "podMonitorNamespaceSelector kubernetes.io/metadata.name=other does not match namespace default",
    );

    // A namespace selector on a label of the namespace: the Namespace object decides; without
    // it the answer is not known.
    let labelled = prometheus(json!({
        "podMonitorSelector": release,
        "podMonitorNamespaceSelector": {"matchLabels": {"monitoring": "on"}},
        "ruleSelector": release, "ruleNamespaceSelector": all,
    }));
    let namespace = |labels: Value| {
        json!({"apiVersion": "v1", "kind": "Namespace",
               "metadata": {"name": "default", "labels": labels}})
    };
    let check = check_objects(&world(std::slice::from_ref(&labelled))?, &bundle)?;
    assert!(check.is_clean(), "{:#?}", check.findings);
    assert_eq!(check.warnings.len(), 1, "{:#?}", check.warnings);
    assert!(
        check.warnings[0]
            .rule
            .contains("the manifests hold no Namespace default")
    );
    let check = check_objects(
        &world(&[labelled.clone(), namespace(json!({"team": "a"}))])?,
        &bundle,
    )?;
    one_finding(
        &check,
        MONITOR,
        "podMonitorNamespaceSelector monitoring=on does not match namespace default",
    );
    let check = check_objects(
        &world(&[labelled, namespace(json!({"monitoring": "on"}))])?,
        &bundle,
    )?;
    assert!(check.is_clean() && check.warnings.is_empty(), "{check:#?}");

    // One of two Prometheuses taking it is enough.
    let check = check_objects(
        &world(&[prometheus(json!({})), {
            let mut other = stack_prometheus();
            other["metadata"]["name"] = json!("second");
            other
        }])?,
        &bundle,
    )?;
    assert!(check.is_clean(), "{:#?}", check.findings);
    Ok(())
}

#[test]
fn drift_between_a_pod_monitor_and_its_picker_is_one_finding() -> TestResult {
    let plan = plan_from(&world(&[])?, operator(Options::default()))?;
    let bundle = objects(&plan)?;
    let prometheus = stack_prometheus();
    assert!(check_objects(&world(std::slice::from_ref(&prometheus))?, &bundle)?.is_clean());

    // The picker's metrics port renamed.
    let mut renamed = picker(&[]);
    renamed["spec"]["template"]["spec"]["containers"][0]["ports"][1]["name"] = json!("prom");
    let manifests = index(&[
        renamed,
        model_server(),
        reviews(),
        review_role(),
        prometheus.clone(),
    ])?;
    let check = check_objects(&manifests, &bundle)?;
    one_finding(
        &check,
        &format!("{MONITOR} spec.podMetricsEndpoints[0].port"),
        "(its ports: grpc 9002, prom 9090): Prometheus finds no target",
    );

    // TLS switched on.
    let manifests = world(std::slice::from_ref(&prometheus))?;
    let tls = index(&[
        picker(&["--metrics-cert-dir=/certs"]),
        model_server(),
        reviews(),
        review_role(),
        prometheus.clone(),
    ])?;
    one_finding(
        &check_objects(&tls, &bundle)?,
        "spec.podMetricsEndpoints[0].scheme",
        "serves /metrics over TLS",
    );

    // The PodMonitor's namespace selector moved away from the pickers' namespace.
    let mut moved = bundle.clone();
    let monitor = moved
        .iter_mut()
        .find(|o| o["kind"] == "PodMonitor")
        .ok_or("no PodMonitor")?;
    monitor["spec"]["namespaceSelector"] = json!({"matchNames": ["elsewhere"]});
    one_finding(
        &check_objects(&manifests, &moved)?,
        &format!("{MONITOR} spec.selector"),
        "but its spec.namespaceSelector takes only namespace elsewhere",
    );

    // The token Secret's reference broken: the chain is.
    let mut broken = bundle.clone();
    let monitor = broken
        .iter_mut()
        .find(|o| o["kind"] == "PodMonitor")
        .ok_or("no PodMonitor")?;
    monitor["spec"]["podMetricsEndpoints"][0]["authorization"]["credentials"]["name"] =
        json!("missing");
    one_finding(
        &check_objects(&manifests, &broken)?,
        "bundle",
        "Secret default/missing does not exist",
    );
    Ok(())
}

/// The Service the charts put in front of picker `a`: labelled `app.kubernetes.io/name: a-epp`,
/// selecting its pods, its port `http-metrics` 9090 leading to the container port of that number.
fn picker_service() -> Value {
    json!({
        "apiVersion": "v1", "kind": "Service",
        "metadata": {"name": "a-epp", "namespace": "ns",
                     "labels": {"app.kubernetes.io/name": "a-epp", "app.kubernetes.io/version": "0.0.0"}},
        "spec": {"selector": {"app": "a"}, "ports": [
            {"name": "grpc-ext-proc", "port": 9002},
            {"name": "http-metrics", "port": 9090}]}
    })
}

/// An edit of a manifest.
type Edit = Box<dyn FnOnce(&mut Value)>;

const SERVICE_MONITOR: &str = "ServiceMonitor/default/inference-optimized-gateway-monitoring-a";

/// The manifests of the ServiceMonitor tests, the Service edited by `edit`.
fn served(edit: impl FnOnce(&mut Value)) -> TestResult<Manifests> {
    let mut service = picker_service();
    edit(&mut service);
    world(&[service, stack_prometheus()])
}

#[test]
fn a_service_monitor_reaches_its_picker_through_the_service_and_each_broken_hop_is_found()
-> TestResult {
    let manifests = served(|_| {})?;
    let through_service = operator(Options {
        scrape_through: ScrapeThrough::Service,
        ..Options::default()
    });
    let plan = plan_from(&manifests, through_service.clone())?;
    // Discovery took the Service's one label no other Service has, not its version.
    let target = plan.targets().first().ok_or("no target")?;
    assert_eq!(
        target
            .service_selector()
            .map(ToString::to_string)
            .as_deref(),
        Some("app.kubernetes.io/name=a-epp")
    );
    let bundle = objects(&plan)?;
    let check = check_objects(&manifests, &bundle)?;
    assert!(check.is_clean(), "{:#?}", check.findings);
    assert!(check.warnings.is_empty(), "{:#?}", check.warnings);
    let scrapes: Vec<(String, Vec<String>)> = (check.monitorings.iter())
        .map(|s| {
            let pickers = s.pickers.iter().map(ToString::to_string).collect();
            (s.monitoring.to_string(), pickers)
        })
        .collect();
    assert_eq!(
        scrapes,
        [(
            SERVICE_MONITOR.to_owned(),
            vec!["Deployment/ns/a".to_owned()]
        )]
    );
    // Its targets' job is what a PodMonitor's would be, which the alerts match.
    let monitor = (bundle.iter())
        .find(|o| o["kind"] == "ServiceMonitor")
        .ok_or("no ServiceMonitor")?;
    assert_eq!(
        monitor["spec"]["endpoints"][0]["relabelings"],
        json!([{"replacement": target.operator_job(), "targetLabel": "job"}])
    );
    assert_eq!(
        target.operator_job(),
        "default/inference-optimized-gateway-monitoring-a"
    );

    // Each hop broken in the manifests is one finding on the ServiceMonitor.
    let hops: [(&str, Edit, &str, &str); 5] = [
        (
            "no Service",
            Box::new(|s| s["metadata"]["labels"] = json!({"app.kubernetes.io/name": "other"})),
            "spec.selector",
            "selects no Service in the manifests: Prometheus scrapes nothing",
        ),
        (
            "Service elsewhere",
            Box::new(|s| s["metadata"]["namespace"] = json!("elsewhere")),
            "spec.selector",
            "it would take Service/elsewhere/a-epp, but its spec.namespaceSelector takes only namespace ns",
        ),
        (
            "port renamed",
            Box::new(|s| s["spec"]["ports"][1]["name"] = json!("metrics")),
            "spec.endpoints[0].port",
            "names no port of Service/ns/a-epp (its ports: grpc-ext-proc 9002, metrics 9090): Prometheus finds no target",
        ),
        (
            "port leading to gRPC",
            Box::new(|s| s["spec"]["ports"][1]["targetPort"] = json!("grpc")),
            "spec.endpoints[0].port",
            "is container port 9002 of Deployment/ns/a, but the picker serves /metrics on",
        ),
        (
            "selector taking the model server too",
            Box::new(|s| s["spec"]["selector"] = json!({"tier": "epp"})),
            "spec.selector",
            "takes Service/ns/a-epp, whose selector tier=epp also selects pods that run no endpoint picker (Deployment/ns/m)",
        ),
    ];
    for (hop, edit, field, rule) in hops {
        let check = check_objects(&served(edit)?, &bundle)?;
        assert_eq!(check.findings.len(), 1, "{hop}: {:#?}", check.findings);
        let finding = &check.findings[0];
        assert_eq!(
            finding.object.as_ref().map(ToString::to_string).as_deref(),
            Some(SERVICE_MONITOR),
            "{hop}"
        );
        assert_eq!(finding.field, field, "{hop}: {finding}");
        assert!(finding.rule.contains(rule), "{hop}: {finding}");
    }

    // A Service without a selector lists its endpoints by hand: not judged, said so.
    let check = check_objects(
        &served(|s| {
            s["spec"]
                .as_object_mut()
                .map(|o| o.remove("selector"))
                .map_or((), drop)
        })?,
        &bundle,
    )?;
    assert!(check.is_clean(), "{:#?}", check.findings);
    assert!(
        (check.warnings.iter()).any(|w| w.rule.contains("which has no selector")),
        "{:#?}",
        check.warnings
    );

    // A Prometheus that takes PodMonitors but no ServiceMonitor.
    let pods_only = prometheus(json!({
        "podMonitorSelector": {}, "podMonitorNamespaceSelector": {},
        "ruleSelector": {}, "ruleNamespaceSelector": {},
    }));
    let check = check_objects(&world(&[picker_service(), pods_only])?, &bundle)?;
    one_finding(
        &check,
        &format!("{SERVICE_MONITOR} metadata.labels"),
        "serviceMonitorSelector is unset, which takes no ServiceMonitor",
    );

    // The token Secret's reference broken: the chain is.
    let mut broken = bundle.clone();
    let monitor = (broken.iter_mut())
        .find(|o| o["kind"] == "ServiceMonitor")
        .ok_or("no ServiceMonitor")?;
    monitor["spec"]["endpoints"][0]["authorization"]["credentials"]["name"] = json!("missing");
    one_finding(
        &check_objects(&manifests, &broken)?,
        "bundle",
        "Secret default/missing does not exist",
    );

    // Without a labelled Service in front of the picker, discovery refuses rather than guess.
    let error = plan_from(&world(&[stack_prometheus()])?, through_service)
        .err()
        .ok_or("a plan without a Service")?;
    assert!(
        error
            .to_string()
            .contains("finds no labelled Service in front of the pods of Deployment/ns/a"),
        "{error}"
    );
    Ok(())
}
