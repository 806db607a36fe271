//! The alerts and the dashboard judged by Prometheus's own rule engine, promtool (Debian's
//! `prometheus` package; `.ci/run` installs it). Every emitted rule group passes `promtool check
//! rules`; `promtool test rules` proves that each alert is only pending before its `for:` has
//! passed, fires above its threshold after, and stays silent below, on series that carry the
//! labels GMP's rule evaluator adds (`project_id`, `location`, `cluster`, and `namespace` for
//! Rules); and every dashboard query returns data on synthetic series of its metric names.
//!
//! The series are those of the schema's catalogue in the release table (each metric with its
//! own labels), so a query naming a metric or label its schema lacks finds no data; which of
//! them an alert reads is taken from its expression (promql-parser), and only what an alert
//! means (which series cross its threshold) is spelled here, per alert name. The migration mode
//! is run twice: on pickers emitting only the new names, and only the old.

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;

use igw_monitoring::releases::{Metric, MetricType};
use igw_monitoring::{MetricsSchema, Object, Options, RulesScope};
use promql_parser::label::MatchOp;
use promql_parser::parser::{self, Expr};
use serde_json::{Value, json};

use crate::support::{TestResult, with_alerts};

/// A result whose error is anything, with a value.
type Res<T> = Result<T, Box<dyn std::error::Error>>;

const NEEDS_PROMTOOL: &str = "promtool (apt-get install prometheus)";

/// The labels GMP's rule evaluator matches on, on every synthetic series.
const PROJECT: &str = "proj-1";
const LOCATION: &str = "us-central1";
const CLUSTER: &str = "prod-1";

/// One run: the options (a schema, a scope, a collector) and the plain schema whose series the
/// pickers emit.
struct Case {
    label: String,
    options: Options,
    emitted: MetricsSchema,
}

/// Every metric schema in both alert scopes, for GMP (`operator` false) or prometheus-operator;
/// the migration mode once per schema it reads.
fn cases(operator: bool) -> Vec<Case> {
    let mut cases = Vec::new();
    for schema in MetricsSchema::ALL {
        for &emitted in schema.schemas() {
            for scope in [RulesScope::Namespaced, RulesScope::Cluster] {
                let options = with_alerts(scope, schema);
                cases.push(Case {
                    label: format!(
                        "{schema}, {scope:?}, pickers emitting {emitted}, {:?}",
                        operator
                    ),
                    options: if operator {
                        crate::support::operator(options)
                    } else {
                        options
                    },
                    emitted,
                });
            }
        }
    }
    cases
}

/// Both collectors' cases.
fn every_case() -> Vec<Case> {
    cases(false).into_iter().chain(cases(true)).collect()
}

/// Where a rule object's series come from: their namespace, and for prometheus-operator the
/// `job` its PodMonitor gives them (`None`: GMP's labels instead).
#[derive(Clone)]
struct Origin {
    namespace: String,
    job: Option<String>,
}

/// A value for each label a catalogue metric has: a pool, a model, an endpoint, an error code.
fn label_value(label: &str) -> &'static str {
    match label {
        "name" | "inference_pool" => "pool-a",
        "model_name" => "llama",
        "target_model_name" | "target_model" => "llama-lora",
        "model_server_pod" | "model_server_endpoint" | "endpoint_name" | "pod_name" => "pod-1",
        "error_code" => "500",
        _ => "x",
    }
}

/// The labels of `metric`'s series: the collector's and the scrape's, then the metric's own.
fn metric_labels(metric: &Metric, origin: &Origin) -> Labels {
    let mut labels = base_labels(origin);
    labels.extend(
        metric
            .labels
            .iter()
            .map(|l| ((*l).to_owned(), label_value(l).to_owned())),
    );
    labels
}

/// Runs promtool with `args` in `dir`; an error with its output unless it succeeds.
pub(crate) fn promtool(dir: &Path, args: &[&str]) -> TestResult {
    let output = Command::new("promtool")
        .args(args)
        .current_dir(dir)
        .output()
        .map_err(|e| format!("promtool: {e}: {NEEDS_PROMTOOL}"))?;
    if !output.status.success() {
        return Err(format!(
            "promtool {args:?} failed:\n{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        )
        .into());
    }
    Ok(())
}

/// A metric name and its label matchers (label, operator, value), as a query selects them.
type Selector = (String, Vec<(String, MatchOp, String)>);

/// Every selector of a PromQL expression, in order.
fn selectors(expr: &Expr, found: &mut Vec<Selector>) {
    match expr {
        Expr::Aggregate(e) => {
            selectors(&e.expr, found);
            if let Some(param) = &e.param {
                selectors(param, found);
            }
        }
        Expr::Unary(e) => selectors(&e.expr, found),
        Expr::Binary(e) => {
            selectors(&e.lhs, found);
            selectors(&e.rhs, found);
        }
        Expr::Paren(e) => selectors(&e.expr, found),
        Expr::Subquery(e) => selectors(&e.expr, found),
        Expr::Call(call) => call.args.args.iter().for_each(|a| selectors(a, found)),
        Expr::VectorSelector(vs) | Expr::MatrixSelector(parser::MatrixSelector { vs, .. }) => {
            let matchers = vs
                .matchers
                .matchers
                .iter()
                .map(|m| (m.name.clone(), m.op.clone(), m.value.clone()))
                .collect();
            found.push((vs.name.clone().unwrap_or_default(), matchers));
        }
        Expr::NumberLiteral(_) | Expr::StringLiteral(_) | Expr::Extension(_) => {}
    }
}

fn parsed_selectors(expr: &str) -> Res<Vec<Selector>> {
    let parsed = parser::parse(expr).map_err(|e| format!("{expr}: {e}"))?;
    let mut found = Vec::new();
    selectors(&parsed, &mut found);
    Ok(found)
}

/// Label names and values of a synthetic series.
type Labels = Vec<(String, String)>;

/// A series in promtool's notation: `name{k="v",...}`, labels sorted.
fn series(name: &str, labels: &Labels) -> String {
    let labels: BTreeSet<String> = labels
        .iter()
        .map(|(k, v)| format!("{k}={}", Value::from(v.as_str())))
        .collect();
    format!(
        "{name}{{{}}}",
        labels.into_iter().collect::<Vec<_>>().join(",")
    )
}

/// The labels every synthetic series of `origin` carries: GMP's and the scrape's, or those
/// prometheus-operator's scrape gives (no project, location or cluster).
fn base_labels(origin: &Origin) -> Labels {
    let namespace = origin.namespace.as_str();
    match &origin.job {
        None => labels(&[
            ("project_id", PROJECT),
            ("location", LOCATION),
            ("cluster", CLUSTER),
            ("namespace", namespace),
            ("pod", "epp-0"),
        ]),
        Some(job) => labels(&[
            ("job", job),
            ("namespace", namespace),
            ("pod", "epp-0"),
            ("container", "epp"),
            ("endpoint", "metrics"),
            ("instance", "10.0.0.7:9090"),
        ]),
    }
}

fn labels(pairs: &[(&str, &str)]) -> Labels {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

/// A number as promtool and PromQL read it back.
fn number(value: f64) -> String {
    format!("{value}")
}

/// The input series under which the alert `alert` fires (`firing`) or stays silent, for the
/// thresholds of `options`, made of the `emitted` schema's metrics its expression reads.
fn alert_series(
    options: &Options,
    emitted: MetricsSchema,
    (alert, expr): (&str, &str),
    origin: &Origin,
    firing: bool,
) -> Res<Vec<(String, String)>> {
    let thresholds = &options.alerts;
    // The migration mode's expressions also name the other schema's metrics: not emitted here.
    let read: Vec<(String, &Metric)> = parsed_selectors(expr)?
        .into_iter()
        .filter_map(|(name, _)| emitted.family(&name).map(|(m, _)| (name, m)))
        .collect();
    let render = |(name, metric): &(String, &Metric), extra: &[(&str, &str)], values: String| {
        let mut labels = metric_labels(metric, origin);
        labels.extend(self::labels(extra));
        (series(name, &labels), values)
    };
    let only = |what: &str| -> Res<&(String, &Metric)> {
        let mut matching = read.iter().filter(|(n, _)| n.contains(what));
        match (matching.next(), matching.next()) {
            (Some(found), None) => Ok(found),
            _ => Err(
                format!("{alert}: expected one {emitted} metric with {what:?} in {expr}").into(),
            ),
        }
    };
    Ok(if alert.ends_with("HighLatencyP99") {
        // Every request lands above the threshold (firing) or in the bucket far below it.
        let bucket = only("_bucket")?;
        let t = thresholds.p99_latency_seconds;
        let low_rate = if firing { "0+0x30" } else { "0+60x30" };
        vec![
            render(bucket, &[("le", &number(t / 10.0))], low_rate.to_owned()),
            render(bucket, &[("le", &number(t * 2.0))], "0+60x30".to_owned()),
            render(bucket, &[("le", "+Inf")], "0+60x30".to_owned()),
        ]
    } else if alert.ends_with("HighErrorRatio") {
        // 100 requests a minute, twice the threshold's share failing, or a fifth of it.
        let errors = only("error")?;
        let total = read
            .iter()
            .find(|(n, _)| *n != errors.0)
            .ok_or_else(|| format!("{alert}: no request counter in {expr}"))?;
        let share = if firing { 2.0 } else { 0.2 } * thresholds.error_ratio;
        vec![
            render(errors, &[], format!("0+{}x30", number(100.0 * share))),
            render(total, &[], "0+100x30".to_owned()),
        ]
    } else if alert.ends_with("HighQueueSize") {
        let t = thresholds.queue_size;
        let value = if firing { t + 10.0 } else { t - 10.0 };
        vec![render(only("queue")?, &[], format!("{}x30", number(value)))]
    } else if alert.ends_with("HighKvCacheUtilization") {
        let t = thresholds.kv_cache_utilization;
        let value = if firing { (t + 1.0) / 2.0 } else { t / 2.0 };
        vec![render(
            only("kv_cache")?,
            &[],
            format!("{}x30", number(value)),
        )]
    } else {
        return Err(
            format!("no synthetic series for alert {alert}: add what it means here").into(),
        );
    })
}

/// The alert objects' rule groups, each with where its series come from.
fn rule_groups(options: &Options) -> Res<Vec<(Origin, Value)>> {
    let bundle = options.build()?;
    // The job prometheus-operator gives the series of a namespace's pickers: that of the
    // PodMonitor selecting in it.
    let job = |namespace: &str| -> Res<String> {
        bundle
            .objects()
            .iter()
            .find_map(|o| match o {
                Object::PodMonitor(m)
                    if m.spec.namespace_selector.as_ref().is_some_and(|s| {
                        s.any == Some(true)
                            || s.match_names.iter().flatten().any(|n| n == namespace)
                    }) =>
                {
                    Some(format!(
                        "{}/{}",
                        m.metadata.namespace.as_deref().unwrap_or_default(),
                        m.metadata.name.as_deref().unwrap_or_default()
                    ))
                }
                _ => None,
            })
            .ok_or_else(|| format!("no PodMonitor selects in {namespace}").into())
    };
    let mut groups = Vec::new();
    for object in bundle.alert_objects() {
        let (namespace, operator) = match object {
            Object::Rules(rules) => (rules.metadata.namespace.clone().unwrap_or_default(), false),
            // A ClusterRules sees every namespace: its series come from one of the targets'.
            Object::ClusterRules(_) => ("team-a".to_owned(), false),
            // A PrometheusRule in a target's namespace sees that namespace's pickers; the one
            // of the cluster scope (in the bundle's namespace) every picker.
            Object::PrometheusRule(rule) => {
                let namespace = rule.metadata.namespace.clone().unwrap_or_default();
                let fleet = options
                    .targets
                    .iter()
                    .any(|t| t.namespace.as_deref() == Some(namespace.as_str()));
                (
                    if fleet {
                        namespace
                    } else {
                        "team-a".to_owned()
                    },
                    true,
                )
            }
            _ => continue,
        };
        let job = if operator {
            Some(job(&namespace)?)
        } else {
            None
        };
        let value = serde_json::to_value(object)?;
        groups.push((Origin { namespace, job }, value["spec"]["groups"].clone()));
    }
    if groups.is_empty() {
        return Err("no alert objects".into());
    }
    Ok(groups)
}

/// One promtool unit test of one alert: only pending before `for:` has passed, firing after it
/// (or, for silent series, no alert at all and no ALERTS series).
fn alert_test(alert: &str, input: Vec<(String, String)>, firing: bool) -> Value {
    let input_series: Vec<Value> = input
        .into_iter()
        .map(|(series, values)| json!({ "series": series, "values": values }))
        .collect();
    let count = |state: &str| {
        format!("count(ALERTS{{alertname={alert:?}, alertstate={state:?}}}) > bool 0")
    };
    let one = json!([{ "labels": "{}", "value": 1 }]);
    let none = json!([]);
    let mut test = json!({
        "interval": "1m",
        "input_series": input_series,
    });
    if firing {
        test["promql_expr_test"] = json!([
            // At 3m the condition has held for two minutes of the five: pending.
            { "expr": count("pending"), "eval_time": "3m", "exp_samples": one },
            { "expr": count("firing"), "eval_time": "3m", "exp_samples": none },
            // At 15m it has held for over five: firing, and no longer pending.
            { "expr": count("firing"), "eval_time": "15m", "exp_samples": one },
            { "expr": count("pending"), "eval_time": "15m", "exp_samples": none },
        ]);
    } else {
        test["alert_rule_test"] = json!([
            { "alertname": alert, "eval_time": "15m", "exp_alerts": [] },
        ]);
        test["promql_expr_test"] = json!([
            { "expr": format!("count(ALERTS{{alertname={alert:?}}}) > bool 0"),
              "eval_time": "15m", "exp_samples": none },
        ]);
    }
    test
}

#[test]
#[ignore = "needs promtool (apt-get install prometheus): run cargo test -- --include-ignored"]
fn every_rule_group_passes_promtool_check_rules() -> TestResult {
    let dir = tempfile::tempdir()?;
    for (i, case) in every_case().into_iter().enumerate() {
        for (j, (_, groups)) in rule_groups(&case.options)?.into_iter().enumerate() {
            let file = format!("rules-{i}-{j}.yaml");
            std::fs::write(
                dir.path().join(&file),
                serde_yaml::to_string(&json!({ "groups": groups }))?,
            )?;
            promtool(dir.path(), &["check", "rules", &file])
                .map_err(|e| format!("{}: {e}", case.label))?;
        }
    }
    Ok(())
}

#[test]
#[ignore = "needs promtool (apt-get install prometheus): run cargo test -- --include-ignored"]
fn every_alert_fires_above_its_threshold_after_for_and_is_silent_below() -> TestResult {
    let dir = tempfile::tempdir()?;
    let mut alerts_tested = 0;
    let mut elsewhere_tested = 0;
    let cases = every_case();
    for (i, case) in cases.iter().enumerate() {
        assert_eq!(
            case.options.alerts.for_, "5m",
            "the eval times below assume for: 5m"
        );
        for (j, (origin, groups)) in rule_groups(&case.options)?.into_iter().enumerate() {
            let rules_file = format!("rules-{i}-{j}.yaml");
            std::fs::write(
                dir.path().join(&rules_file),
                serde_yaml::to_string(&json!({ "groups": groups }))?,
            )?;
            let mut tests = Vec::new();
            for rule in groups
                .as_array()
                .into_iter()
                .flatten()
                .flat_map(|g| g["rules"].as_array().cloned().unwrap_or_default())
            {
                let (Some(alert), Some(expr)) = (rule["alert"].as_str(), rule["expr"].as_str())
                else {
                    continue;
                };
                for firing in [true, false] {
                    let input =
                        alert_series(&case.options, case.emitted, (alert, expr), &origin, firing)?;
                    tests.push(alert_test(alert, input, firing));
                }
                // A PrometheusRule reads its pickers' jobs only: the same firing series from
                // another job (another PodMonitor, another Prometheus's target) stay silent.
                if origin.job.is_some() {
                    let other = Origin {
                        job: Some("elsewhere/other-monitor".to_owned()),
                        ..origin.clone()
                    };
                    let input =
                        alert_series(&case.options, case.emitted, (alert, expr), &other, true)?;
                    tests.push(alert_test(alert, input, false));
                    elsewhere_tested += 1;
                }
                alerts_tested += 1;
            }
            let tests_file = format!("tests-{i}-{j}.yaml");
            let unit = json!({
                "rule_files": [rules_file],
                "evaluation_interval": "1m",
                "tests": tests,
            });
            std::fs::write(dir.path().join(&tests_file), serde_yaml::to_string(&unit)?)?;
            promtool(dir.path(), &["test", "rules", &tests_file])
                .map_err(|e| format!("{}: {e}", case.label))?;
        }
    }
    // Four alerts, in each rule object of every case; each of prometheus-operator's also
    // against another job.
    assert!(
        alerts_tested >= 4 * cases.len(),
        "{alerts_tested} alerts tested"
    );
    assert!(
        elsewhere_tested >= 4 * cases.len() / 2,
        "{elsewhere_tested} alerts tested against another job"
    );
    Ok(())
}

/// The queries of a dashboard: Cloud Monitoring's `prometheusQuery` strings, Grafana's panel
/// targets' `expr`.
fn dashboard_queries(dashboard: &Value) -> Vec<String> {
    let mut queries = Vec::new();
    for panel in dashboard["panels"].as_array().into_iter().flatten() {
        for target in panel["targets"].as_array().into_iter().flatten() {
            if let Some(expr) = target["expr"].as_str() {
                queries.push(expr.to_owned());
            }
        }
    }
    for tile in dashboard["mosaicLayout"]["tiles"]
        .as_array()
        .into_iter()
        .flatten()
    {
        for data_set in tile["widget"]["xyChart"]["dataSets"]
            .as_array()
            .into_iter()
            .flatten()
        {
            if let Some(query) = data_set["prometheusQuery"].as_str() {
                queries.push(query.to_owned());
            }
        }
    }
    queries
}

#[test]
#[ignore = "needs promtool (apt-get install prometheus): run cargo test -- --include-ignored"]
fn every_dashboard_query_returns_data_on_series_of_its_schema() -> TestResult {
    let dir = tempfile::tempdir()?;
    for (i, case) in every_case().into_iter().enumerate() {
        let plan = case.options.plan()?;
        let operator = plan.collector().is_none();
        let first = plan.targets().first().ok_or("no target")?;
        let job = first.operator_job();
        let dashboard: Value = serde_json::from_str(&if operator {
            plan.grafana_dashboard()?
        } else {
            plan.dashboard(Some(CLUSTER))?
        })?;
        let namespace = first
            .pods_namespace()
            .ok_or("the fleet's first target has a pods' namespace")?;
        // Grafana's variables chosen as the first picker and its namespace (the escaped
        // value Grafana puts in a regex matcher: these names hold no regex character).
        let queries: Vec<String> = dashboard_queries(&dashboard)
            .into_iter()
            .map(|q| q.replace("$picker", &job).replace("$namespace", namespace))
            .collect();
        assert!(
            queries.len() >= 10,
            "{}: {} queries",
            case.label,
            queries.len()
        );
        // Every metric of the emitted schema's catalogue, with its own labels, in the pickers'
        // namespace (which the dashboard filters on).
        let origin = Origin {
            namespace: namespace.to_owned(),
            job: operator.then(|| job.clone()),
        };
        let mut input = BTreeSet::new();
        for metric in case.emitted.catalogue() {
            let labels = metric_labels(metric, &origin);
            match metric.kind {
                MetricType::Histogram => {
                    for le in ["1", "+Inf"] {
                        let mut bucket = labels.clone();
                        bucket.push(("le".to_owned(), le.to_owned()));
                        input.insert(series(&format!("{}_bucket", metric.name), &bucket));
                    }
                    input.insert(series(&format!("{}_sum", metric.name), &labels));
                    input.insert(series(&format!("{}_count", metric.name), &labels));
                }
                MetricType::Counter | MetricType::Gauge => {
                    input.insert(series(metric.name, &labels));
                }
            }
        }
        let input_series: Vec<Value> = input
            .into_iter()
            .map(|series| json!({ "series": series, "values": "0+10x30" }))
            .collect();
        let expr_tests: Vec<Value> = queries
            .iter()
            .map(|query| {
                json!({
                    "expr": format!("count({query}) > bool 0"),
                    "eval_time": "10m",
                    "exp_samples": [{ "labels": "{}", "value": 1 }],
                })
            })
            .collect();
        let unit = json!({
            "evaluation_interval": "1m",
            "tests": [{ "interval": "1m", "input_series": input_series, "promql_expr_test": expr_tests }],
        });
        let file = format!("dashboard-{i}.yaml");
        std::fs::write(dir.path().join(&file), serde_yaml::to_string(&unit)?)?;
        promtool(dir.path(), &["test", "rules", &file])
            .map_err(|e| format!("{}: {e}", case.label))?;
    }
    Ok(())
}
