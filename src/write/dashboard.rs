//! A Cloud Monitoring dashboard of the endpoint picker's metrics, in the JSON that
//! `gcloud monitoring dashboards create --config-from-file` takes: PromQL charts on a
//! 48-column mosaic grid, filtered by cluster and namespace where they are known.

use serde_json::{Value, json};

use crate::diagnostics::Error;
use crate::options::releases::{MetricsSchema, SchemaMetrics};
use crate::plan::Plan;
use crate::rules::{promql_string, regex_literal};

/// Columns of Cloud Monitoring's mosaic layout.
pub const GRID_COLUMNS: u32 = 48;
/// Width of one chart: two charts a row.
const TILE_WIDTH: u32 = 24;
/// Height of one chart.
const TILE_HEIGHT: u32 = 16;

/// One chart: a title, the y axis label, and one PromQL query per line drawn.
pub(crate) struct Chart {
    pub(crate) title: String,
    pub(crate) unit: &'static str,
    pub(crate) queries: Vec<String>,
}

impl Plan {
    /// The dashboard for this plan's endpoint pickers, in the names of its metric schema, charts
    /// filtered by `cluster` (when given) and by the pods' namespaces (when all are known).
    pub fn dashboard(&self, cluster: Option<&str>) -> Result<String, Error> {
        self.only(crate::options::Collector::Gmp, "Cloud Monitoring dashboard")?;
        if let Some(cluster) = cluster {
            // The same rule as verify's: an empty name matches nothing, a control character
            // breaks the query.
            crate::plan::validate::check_cluster(cluster)?;
        }
        let namespaces: Option<Vec<&str>> =
            self.targets().iter().map(|t| t.pods_namespace()).collect();
        dashboard_json(self.metrics_schema(), cluster, namespaces, false)
    }
}

/// The dashboard of pickers emitting `schema`, its charts filtered by `cluster` (when given)
/// and by `namespaces` (when all are known); with `fleet`, over every cluster, with Cloud
/// Monitoring's pinned cluster filter (no `${…}` in a query for a GitOps engine to expand).
pub(crate) fn dashboard_json(
    schema: MetricsSchema,
    cluster: Option<&str>,
    namespaces: Option<Vec<&str>>,
    fleet: bool,
) -> Result<String, Error> {
    let mut matchers = Vec::new();
    if let Some(cluster) = cluster {
        matchers.push(format!("cluster={}", promql_string(cluster)));
    }
    if let Some(mut namespaces) = namespaces {
        namespaces.sort_unstable();
        namespaces.dedup();
        let pattern = namespaces
            .iter()
            .map(|ns| regex_literal(ns))
            .collect::<Vec<_>>()
            .join("|");
        matchers.push(format!("namespace=~{}", promql_string(&pattern)));
    }
    let filter = if matchers.is_empty() {
        String::new()
    } else {
        format!("{{{}}}", matchers.join(","))
    };
    let charts = schema_charts(schema, &filter);
    let tiles: Vec<Value> = charts
        .iter()
        .enumerate()
        .map(|(i, chart)| tile(i, chart))
        .collect();
    let title = schema.dashboard_title();
    let mut dashboard = json!({
        "displayName": title,
        "mosaicLayout": { "columns": GRID_COLUMNS, "tiles": tiles },
    });
    if fleet {
        dashboard["displayName"] = json!(format!("{title} (fleet)"));
        // Pinned (no template variable): it applies to every chart whose series carry the
        // label, and the console offers each cluster reporting.
        dashboard["dashboardFilters"] = json!([{
            "filterType": "RESOURCE_LABEL",
            "labelKey": "cluster",
            "stringValue": "",
            "templateVariable": "",
        }]);
    }
    let mut text = serde_json::to_string_pretty(&dashboard)?;
    text.push('\n');
    Ok(text)
}

/// The charts of pickers emitting `schema`, each series selected by `filter` (`{…}`, or empty).
pub(crate) fn schema_charts(schema: MetricsSchema, filter: &str) -> Vec<Chart> {
    let mut charts = charts(schema.metrics(), schema.metrics().endpoint_label, filter);
    if let Some(old) = schema.fallback() {
        // The migration mode: each line asks for the new names or, where a picker emits
        // none, the old ones, grouped alike (the old endpoint label renamed to the new).
        let old = self::charts(old.metrics(), schema.metrics().endpoint_label, filter);
        for (chart, old) in charts.iter_mut().zip(old) {
            for (query, old) in chart.queries.iter_mut().zip(old.queries) {
                *query = format!("{query} or {old}");
            }
        }
    }
    charts
}

/// The charts users expect of the endpoint picker (the Cloud Monitoring integration's panels,
/// and the queue of each endpoint, by `endpoint_label`).
fn charts(m: &SchemaMetrics, endpoint_label: &str, f: &str) -> Vec<Chart> {
    let rate = |metric: &str, by: &str| format!("sum by ({by}) (rate({metric}{f}[5m]))");
    let quantiles = |metric: &str| -> Vec<String> {
        ["0.5", "0.9", "0.95", "0.99", "0.999"]
            .iter()
            .map(|q| format!("histogram_quantile({q}, sum by (le) (rate({metric}_bucket{f}[5m])))"))
            .collect()
    };
    let chart = |title: &str, unit, queries| Chart {
        title: title.to_owned(),
        unit,
        queries,
    };
    // Histograms, each charted as its p50, p90, p95, p99 and p99.9.
    let histograms = [
        (
            "Request latency quantiles",
            "seconds",
            m.request_duration_seconds,
        ),
        (
            "Normalized time per output token",
            "seconds",
            m.normalized_time_per_output_token,
        ),
        ("Request size", "bytes", m.request_size),
        ("Response size", "bytes", m.response_size),
        ("Input tokens", "tokens", m.input_tokens),
        ("Output tokens", "tokens", m.output_tokens),
        (
            "Scheduler end-to-end latency",
            "seconds",
            m.scheduler_e2e_duration_seconds,
        ),
    ];
    let mut charts = vec![
        chart(
            "KV-cache utilization by pool",
            "utilization",
            vec![format!(
                "max by (name) ({}{f})",
                m.pool_kv_cache_utilization
            )],
        ),
        chart(
            "Queue size by pool",
            "requests",
            vec![format!("max by (name) ({}{f})", m.pool_queue_size)],
        ),
        chart(
            "Ready endpoints by pool",
            "endpoints",
            vec![format!("max by (name) ({}{f})", m.pool_ready_endpoints)],
        ),
        chart(
            "Queue size by endpoint",
            "requests",
            vec![if endpoint_label == m.endpoint_label {
                format!(
                    "max by (name, {endpoint_label}) ({}{f})",
                    m.endpoint_queue_size
                )
            } else {
                format!(
                    "max by (name, {endpoint_label}) (label_replace({}{f}, \"{endpoint_label}\", \"$1\", \"{}\", \"(.*)\"))",
                    m.endpoint_queue_size, m.endpoint_label
                )
            }],
        ),
        chart(
            "Running requests by model",
            "requests",
            vec![format!("sum by (model_name) ({}{f})", m.running_requests)],
        ),
        chart(
            "Request rate by model",
            "requests/s",
            vec![rate(m.request_total, "model_name, target_model_name")],
        ),
        chart(
            "Error rate by error code",
            "errors/s",
            vec![rate(m.request_error_total, "model_name, error_code")],
        ),
    ];
    charts.extend(histograms.iter().map(|(title, unit, metric)| Chart {
        title: format!("{title} (p50, p90, p95, p99, p99.9)"),
        unit,
        queries: quantiles(metric),
    }));
    charts
}

/// The `i`-th chart's tile: two a row, left to right, top to bottom.
fn tile(i: usize, chart: &Chart) -> Value {
    let column = u32::try_from(i % 2).unwrap_or_default();
    let row = u32::try_from(i / 2).unwrap_or(u32::MAX / TILE_HEIGHT);
    let data_sets: Vec<Value> = chart
        .queries
        .iter()
        .map(|query| {
            json!({
                "plotType": "LINE",
                "prometheusQuery": query,
                "targetAxis": "Y1",
            })
        })
        .collect();
    json!({
        "xPos": column * TILE_WIDTH,
        "yPos": row.saturating_mul(TILE_HEIGHT),
        "width": TILE_WIDTH,
        "height": TILE_HEIGHT,
        "widget": {
            "title": chart.title,
            "xyChart": {
                "chartOptions": { "mode": "COLOR" },
                "dataSets": data_sets,
                "yAxis": { "label": chart.unit, "scale": "LINEAR" },
            },
        },
    })
}
