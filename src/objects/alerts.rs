//! The endpoint picker's upstream alert set (P99 latency, error ratio, pool queue size, KV-cache
//! utilization) as GMP rule objects, in the names of the plan's metric schema.

use std::collections::BTreeMap;

use gmp_types::{Rule, RuleGroup};

use crate::options::AlertOptions;
use crate::options::releases::{MetricsSchema, SchemaMetrics};
use crate::rules::{promql_string, regex_literal};

/// Name of the one rule group the alerts live in.
pub const GROUP: &str = "inference-gateway-endpoint-picker";

/// The alerting rules, for the metrics of `schema`, each series selected by `matchers` (`{…}`,
/// or empty for every series).
pub(crate) fn rules(options: &AlertOptions, schema: MetricsSchema, matchers: &str) -> Vec<Rule> {
    let fallback = schema.fallback().map(MetricsSchema::metrics);
    // In the migration mode each condition is asked of both names, the new first; `or` keeps a
    // series of the old names only where the new ones have none of the same labels. The gauges
    // are aggregated for that (which drops only the metric name): two series that differ only
    // by their name would make one alert twice, which the rule evaluator refuses.
    let either = |expr: &dyn Fn(&SchemaMetrics, &str) -> String| match fallback {
        None => expr(schema.metrics(), ""),
        Some(old) => format!(
            "{} or {}",
            expr(schema.metrics(), "max without () "),
            expr(old, "max without () ")
        ),
    };
    let rule =
        |alert: &str, expr: String, severity: &str, summary: &str, description: String| Rule {
            alert: Some(alert.to_owned()),
            expr,
            for_: Some(options.for_.clone()),
            labels: Some(BTreeMap::from([(
                "severity".to_owned(),
                severity.to_owned(),
            )])),
            annotations: Some(BTreeMap::from([
                ("summary".to_owned(), summary.to_owned()),
                ("description".to_owned(), description),
            ])),
            ..Default::default()
        };
    vec![
        rule(
            "InferenceGatewayHighLatencyP99",
            either(&|m, _| {
                format!(
                    "histogram_quantile(0.99, sum by (le, model_name, target_model_name) (rate({}_bucket{matchers}[5m]))) > {}",
                    m.request_duration_seconds, options.p99_latency_seconds
                )
            }),
            "warning",
            "High P99 request latency for model {{ $labels.model_name }}",
            format!(
                "P99 latency of model {{{{ $labels.model_name }}}} (target {{{{ $labels.target_model_name }}}}) is {{{{ $value | humanizeDuration }}}}, above {}s.",
                options.p99_latency_seconds
            ),
        ),
        rule(
            "InferenceGatewayHighErrorRatio",
            either(&|m, _| {
                format!(
                    "sum by (model_name) (rate({}{matchers}[5m])) / sum by (model_name) (rate({}{matchers}[5m])) > {}",
                    m.request_error_total, m.request_total, options.error_ratio
                )
            }),
            "critical",
            "High error ratio for model {{ $labels.model_name }}",
            format!(
                "{{{{ $value | humanizePercentage }}}} of the requests for model {{{{ $labels.model_name }}}} fail, above {}.",
                options.error_ratio
            ),
        ),
        rule(
            "InferencePoolHighQueueSize",
            either(&|m, aggregate| {
                format!(
                    "{aggregate}{} > {}",
                    paren(aggregate, &format!("{}{matchers}", m.pool_queue_size)),
                    options.queue_size
                )
            }),
            "warning",
            "Long request queue in InferencePool {{ $labels.name }}",
            format!(
                "The average queue size of InferencePool {{{{ $labels.name }}}} is {{{{ $value }}}}, above {}.",
                options.queue_size
            ),
        ),
        rule(
            "InferencePoolHighKvCacheUtilization",
            either(&|m, aggregate| {
                format!(
                    "{aggregate}{} > {}",
                    paren(
                        aggregate,
                        &format!("{}{matchers}", m.pool_kv_cache_utilization)
                    ),
                    options.kv_cache_utilization
                )
            }),
            "warning",
            "KV cache nearly full in InferencePool {{ $labels.name }}",
            format!(
                "The average KV-cache utilization of InferencePool {{{{ $labels.name }}}} is {{{{ $value | humanizePercentage }}}}, above {}.",
                options.kv_cache_utilization
            ),
        ),
    ]
}

/// `metric` in parentheses after an aggregation, bare without one.
fn paren(aggregate: &str, metric: &str) -> String {
    if aggregate.is_empty() {
        metric.to_owned()
    } else {
        format!("({metric})")
    }
}

/// The group holding the alerting rules.
pub(crate) fn group(options: &AlertOptions, schema: MetricsSchema) -> RuleGroup {
    RuleGroup {
        name: GROUP.to_owned(),
        interval: None,
        rules: rules(options, schema, ""),
    }
}

/// The same group for a PrometheusRule: nothing scopes its queries, so each series is matched
/// by the `job` of the pickers' PodMonitors (`<namespace>/<name>`, one of `jobs`).
pub(crate) fn operator_group(
    options: &AlertOptions,
    schema: MetricsSchema,
    jobs: &[String],
) -> prometheus_operator_types::RuleGroup {
    let alternatives: Vec<String> = jobs.iter().map(|j| regex_literal(j)).collect();
    let matchers = format!("{{job=~{}}}", promql_string(&alternatives.join("|")));
    prometheus_operator_types::RuleGroup {
        name: GROUP.to_owned(),
        interval: None,
        rules: rules(options, schema, &matchers)
            .into_iter()
            .map(|r| prometheus_operator_types::Rule {
                record: r.record,
                alert: r.alert,
                expr: r.expr,
                for_: r.for_,
                labels: r.labels,
                annotations: r.annotations,
                ..Default::default()
            })
            .collect(),
    }
}
