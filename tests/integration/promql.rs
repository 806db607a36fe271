//! Every PromQL expression the crate emits (alerts in both scopes, the dashboard, verify's text
//! and script) parses with a real PromQL parser, and in every metric schema names only metrics
//! of that schema's minimum catalogue (`igw_monitoring::releases`), with only their labels in
//! matchers and groupings; no name of another schema appears anywhere in the output.

use igw_monitoring::Objects;
use std::collections::BTreeSet;

use crate::support::{TestResult, catalogue, fleet, with_alerts};
use igw_monitoring::{MetricsSchema, MonitoringMode, RulesScope};
use igw_monitoring::{Object, Options, VerifyFormat, VerifyOptions};
use promql_parser::parser::{Expr, LabelModifier};

/// Labels GMP and the scrape put on every series, beside the metric's own.
const TARGET_LABELS: [&str; 6] = [
    "project_id",
    "location",
    "cluster",
    "namespace",
    "job",
    "instance",
];

/// Walks `expr`, checking every selector's name and matchers and every grouping's labels
/// against `schema`; returns the labels the series below carry.
fn check(
    schema: MetricsSchema,
    expr: &Expr,
    query: &str,
    errors: &mut Vec<String>,
) -> BTreeSet<String> {
    let mut labels: BTreeSet<String> = TARGET_LABELS.iter().map(|l| (*l).to_owned()).collect();
    let mut selector = |vs: &promql_parser::parser::VectorSelector, errors: &mut Vec<String>| {
        let Some(name) = &vs.name else {
            errors.push(format!("{query}: a selector without a metric name"));
            return;
        };
        let Some((metric, bucket)) = schema.family(name) else {
            errors.push(format!("{query}: {name} is not in the {schema} catalogue"));
            return;
        };
        let mut own: BTreeSet<String> = labels.clone();
        own.extend(metric.labels.iter().map(|l| (*l).to_owned()));
        if bucket {
            own.insert("le".to_owned());
        }
        for matcher in &vs.matchers.matchers {
            if matcher.name != "__name__" && !own.contains(&matcher.name) {
                errors.push(format!(
                    "{query}: {name} has no label {:?} (matched)",
                    matcher.name
                ));
            }
        }
        labels = own;
    };
    match expr {
        Expr::VectorSelector(vs) => selector(vs, errors),
        Expr::MatrixSelector(ms) => selector(&ms.vs, errors),
        Expr::Aggregate(agg) => {
            let inner = check(schema, &agg.expr, query, errors);
            if let Some(param) = &agg.param {
                check(schema, param, query, errors);
            }
            match &agg.modifier {
                Some(LabelModifier::Include(by)) => {
                    for label in &by.labels {
                        if !inner.contains(label) {
                            errors.push(format!(
                                "{query}: grouping by {label:?}, which no series below carries"
                            ));
                        }
                    }
                    return by.labels.iter().cloned().collect();
                }
                Some(LabelModifier::Exclude(_)) | None => return inner,
            }
        }
        Expr::Binary(b) => {
            let mut l = check(schema, &b.lhs, query, errors);
            l.extend(check(schema, &b.rhs, query, errors));
            return l;
        }
        Expr::Call(call) => {
            let mut all = BTreeSet::new();
            for arg in &call.args.args {
                all.extend(check(schema, arg, query, errors));
            }
            // label_replace(v, dst, replacement, src, regex) adds `dst`.
            if call.func.name == "label_replace"
                && let Some(Expr::StringLiteral(dst)) = call.args.args.get(1).map(|a| &**a)
            {
                all.insert(dst.val.clone());
            }
            return all;
        }
        Expr::Paren(p) => return check(schema, &p.expr, query, errors),
        Expr::Unary(u) => return check(schema, &u.expr, query, errors),
        Expr::Subquery(s) => return check(schema, &s.expr, query, errors),
        Expr::NumberLiteral(_) | Expr::StringLiteral(_) | Expr::Extension(_) => {}
    }
    labels
}

/// Parses `query` and checks it against `schema`.
fn judge(schema: MetricsSchema, query: &str, errors: &mut Vec<String>) {
    match promql_parser::parser::parse(query) {
        Ok(expr) => {
            check(schema, &expr, query, errors);
        }
        Err(e) => errors.push(format!("{query:?} does not parse: {e}")),
    }
}

/// Names of the other schemas' families that are not in `schema`'s catalogue.
fn foreign_names(schema: MetricsSchema) -> Vec<&'static str> {
    MetricsSchema::ALL
        .into_iter()
        .filter(|s| *s != schema)
        .flat_map(|s| s.catalogue().iter().map(|m| m.name))
        .filter(|name| !catalogue(schema).any(|m| m.name == *name))
        .collect()
}

fn no_foreign_name(schema: MetricsSchema, what: &str, text: &str, errors: &mut Vec<String>) {
    for name in foreign_names(schema) {
        if text.contains(name) {
            errors.push(format!("{schema} {what}: names {name} of another schema"));
        }
    }
}

/// Options of every kind that renders queries, in `schema`.
fn variants(schema: MetricsSchema) -> Vec<Options> {
    let mut pod = fleet(MonitoringMode::Pod);
    pod.metrics_schema = Some(schema);
    vec![
        with_alerts(RulesScope::Namespaced, schema),
        with_alerts(RulesScope::Cluster, schema),
        pod,
        Options {
            metrics_schema: Some(schema),
            ..Options::default()
        },
    ]
}

#[test]
fn every_query_names_only_its_schemas_catalogue() -> TestResult {
    let mut errors = Vec::new();
    for schema in MetricsSchema::ALL {
        let mut alerts = 0;
        for options in variants(schema) {
            let plan = options.plan()?;
            assert_eq!(plan.metrics_schema(), schema);
            let bundle = options.build()?;
            let rules: Vec<_> = bundle
                .alert_objects()
                .flat_map(|o| match o {
                    Object::Rules(r) => r.spec.groups.clone(),
                    Object::ClusterRules(r) => r.spec.groups.clone(),
                    _ => Vec::new(),
                })
                .flat_map(|g| g.rules)
                .collect();
            alerts += rules.len();
            for rule in &rules {
                judge(schema, &rule.expr, &mut errors);
            }
            no_foreign_name(schema, "alerts", &bundle.to_yaml()?, &mut errors);
            for cluster in [None, Some("prod-1")] {
                let board: serde_json::Value = serde_json::from_str(&plan.dashboard(cluster)?)?;
                let mut queries = 0;
                for tile in board["mosaicLayout"]["tiles"]
                    .as_array()
                    .into_iter()
                    .flatten()
                {
                    let sets = tile["widget"]["xyChart"]["dataSets"].as_array();
                    for set in sets.into_iter().flatten() {
                        let query = set["prometheusQuery"]
                            .as_str()
                            .ok_or("a data set without a query")?;
                        judge(schema, query, &mut errors);
                        queries += 1;
                    }
                }
                assert!(queries >= 30, "{schema}: {queries} dashboard queries");
                no_foreign_name(schema, "dashboard", &board.to_string(), &mut errors);

                let request_total = schema.metrics().request_total;
                let verify = |format| {
                    plan.verify(&VerifyOptions {
                        cluster: cluster.map(str::to_owned),
                        format,
                        ..Default::default()
                    })
                };
                let text = verify(VerifyFormat::Text)?;
                let lines: Vec<&str> = text
                    .lines()
                    .map(str::trim)
                    .filter(|l| l.starts_with(request_total))
                    .collect();
                assert_eq!(lines.len(), plan.targets().len(), "{text}");
                for query in lines {
                    judge(schema, query, &mut errors);
                }
                no_foreign_name(schema, "verify text", &text, &mut errors);
                // The script builds its query at run time from two variables, as
                // `$metric{$cluster_matcher, namespace="..."}`: build it the same way.
                let script = verify(VerifyFormat::Script)?;
                let variable = |name: &str| -> Result<String, String> {
                    let line = script
                        .lines()
                        .find_map(|l| l.strip_prefix(&format!("{name}=")))
                        .ok_or(format!("no {name}= in the script"))?;
                    let words = shlex::split(line).ok_or(format!("{line}: not shell words"))?;
                    Ok(words.concat())
                };
                let metric = variable("metric")?;
                let mut matchers = variable("cluster_matcher")?;
                if !matchers.is_empty() {
                    matchers.push_str(", ");
                }
                matchers.push_str("namespace=\"team-a\"");
                judge(schema, &format!("{metric}{{{matchers}}}"), &mut errors);
                no_foreign_name(schema, "verify script", &script, &mut errors);
            }
        }
        assert!(alerts >= 8, "{schema}: {alerts} alert rules");
    }
    assert!(errors.is_empty(), "{}", errors.join("\n"));
    Ok(())
}

/// prometheus-operator's queries, as every GMP one: each PrometheusRule's, and each panel of
/// the Grafana dashboard (its variables stand in matchers on labels every series carries).
#[test]
fn every_prometheus_operator_query_names_only_its_schemas_catalogue() -> TestResult {
    let mut errors = Vec::new();
    for schema in MetricsSchema::ALL {
        for options in variants(schema) {
            let options = crate::support::operator(Options {
                alerts: igw_monitoring::AlertOptions {
                    enabled: true,
                    ..options.alerts
                },
                ..options
            });
            let plan = options.plan()?;
            let bundle = options.build()?;
            let mut rules = 0;
            for object in bundle.alert_objects() {
                let Object::PrometheusRule(rule) = object else {
                    errors.push(format!("{schema}: {} among the alerts", object.kind()));
                    continue;
                };
                for rule in rule.spec.groups.iter().flat_map(|g| &g.rules) {
                    judge(schema, &rule.expr, &mut errors);
                    rules += 1;
                }
            }
            assert!(rules >= 4, "{schema}: {rules} rules");
            no_foreign_name(schema, "PrometheusRules", &bundle.to_yaml()?, &mut errors);
            let board: serde_json::Value = serde_json::from_str(&plan.grafana_dashboard()?)?;
            let mut queries = 0;
            for panel in board["panels"].as_array().into_iter().flatten() {
                for target in panel["targets"].as_array().into_iter().flatten() {
                    let expr = target["expr"]
                        .as_str()
                        .ok_or("a panel target without expr")?;
                    judge(schema, expr, &mut errors);
                    queries += 1;
                }
            }
            assert!(queries >= 30, "{schema}: {queries} Grafana queries");
            no_foreign_name(schema, "Grafana dashboard", &board.to_string(), &mut errors);
        }
    }
    assert!(errors.is_empty(), "{}", errors.join("\n"));
    Ok(())
}

/// The checker itself: names and labels of another schema, or none at all, are found.
#[test]
fn the_check_finds_foreign_names_and_labels() {
    for (schema, query) in [
        (
            MetricsSchema::LlmDEpp,
            "inference_pool_average_queue_size > 50",
        ),
        (MetricsSchema::InferenceObjective, "llm_d_epp_request_total"),
        (
            MetricsSchema::InferenceModel,
            "inference_objective_request_total",
        ),
        (
            MetricsSchema::LlmDEpp,
            "max by (name, model_server_pod) (llm_d_epp_per_endpoint_queue_size)",
        ),
        (
            MetricsSchema::InferenceObjective,
            "inference_pool_ready_pods{model_server_endpoint=\"x\"}",
        ),
        (
            MetricsSchema::InferenceModel,
            "sum by (le) (inference_model_request_total)",
        ),
    ] {
        let mut errors = Vec::new();
        judge(schema, query, &mut errors);
        assert!(!errors.is_empty(), "{schema}: {query} passed");
    }
    let mut errors = Vec::new();
    judge(
        MetricsSchema::LlmDEpp,
        "histogram_quantile(0.99, sum by (le, model_name) (rate(llm_d_epp_request_duration_seconds_bucket{cluster=\"a\"}[5m]))) > 1",
        &mut errors,
    );
    assert!(errors.is_empty(), "{errors:?}");
}

/// Without `metricsSchema`, the presets and `eppVersion` decide; with neither, the seed's.
#[test]
fn the_schema_is_derived_from_preset_and_version() -> TestResult {
    use igw_monitoring::{Preset, PresetFlavor};
    let schema = |flavor: Option<PresetFlavor>, version: Option<&str>| {
        let options = Options {
            preset: flavor.map(|flavor| Preset {
                flavor,
                release: "r".to_owned(),
                create_inference_pool: true,
            }),
            epp_version: version.map(str::to_owned),
            ..Options::default()
        };
        options.plan().map(|p| p.metrics_schema())
    };
    use MetricsSchema::{InferenceModel, InferenceObjective, LlmDEpp};
    use PresetFlavor::*;
    for (flavor, version, expected) in [
        (None, None, InferenceModel),
        (None, Some("1.0"), InferenceModel),
        (None, Some("1.1"), InferenceObjective),
        (Some(RawV01), None, InferenceModel),
        (Some(RawV03), None, InferenceModel),
        (Some(RawV03), Some("1.4"), InferenceObjective),
        (Some(HelmInferencepool), Some("1.0"), InferenceModel),
        (Some(HelmInferencepool), Some("1.2"), InferenceObjective),
        (Some(HelmStandalone), None, InferenceObjective),
        (Some(LlmDRouterGateway), None, LlmDEpp),
        (Some(LlmDRouterGateway), Some("0.8"), InferenceObjective),
        (Some(LlmDRouterGateway), Some("0.9"), LlmDEpp),
        (Some(LlmDRouterStandalone), Some("0.10"), LlmDEpp),
        (Some(LlmDRouterStandalone), Some("1.1"), LlmDEpp),
    ] {
        assert_eq!(schema(flavor, version)?, expected, "{flavor:?} {version:?}");
    }
    // A fleet of GIE 1.1 and llm-d-router pickers must choose.
    let mut mixed = fleet(MonitoringMode::Cluster);
    mixed.metrics_schema = None;
    let err = mixed
        .plan()
        .map(drop)
        .err()
        .ok_or("a mixed fleet was accepted")?;
    let igw_monitoring::Error::Invalid(problems) = err else {
        return Err("not a validation error".into());
    };
    assert!(problems.mentions("metricsSchema") && problems.mentions("targets[2].preset"));
    Ok(())
}
