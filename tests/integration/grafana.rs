//! The Grafana dashboard of a prometheus-operator plan: panels on Grafana's 24-column grid, none
//! overlapping, each querying through the chosen data source; the data source, namespace and
//! picker variables, the picker's offering exactly the plan's PodMonitor jobs; the ConfigMap
//! the sidecar loads holds the same JSON; each collector refuses the other's dashboard.
//! (Its PromQL is judged against the catalogue in `promql.rs`, and on series by promtool in
//! `promtool.rs`.)

use igw_monitoring::{MetricsSchema, MonitoringMode, Object, Objects, Options, RulesScope};
use serde_json::Value;

use crate::support::{TestResult, fleet, operator, read_back, with_alerts};

/// Grafana's grid width.
const COLUMNS: u64 = 24;

fn board(options: &Options) -> Result<Value, Box<dyn std::error::Error>> {
    Ok(serde_json::from_str(&options.plan()?.grafana_dashboard()?)?)
}

fn number(value: &Value, key: &str) -> Result<u64, String> {
    value["gridPos"][key]
        .as_u64()
        .ok_or_else(|| format!("panel without gridPos.{key}: {value}"))
}

#[test]
fn panels_fit_the_grid_and_read_the_chosen_data_source() -> TestResult {
    for schema in MetricsSchema::ALL {
        let board = board(&operator(with_alerts(RulesScope::Cluster, schema)))?;
        assert_eq!(board["title"], schema.dashboard_title());
        let uid = board["uid"].as_str().ok_or("no uid")?;
        assert!(uid.len() <= 40, "{uid}");
        let panels = board["panels"].as_array().ok_or("no panels")?;
        assert!(panels.len() >= 12, "{schema}: {} panels", panels.len());
        let mut boxes = Vec::new();
        for panel in panels {
            let (x, y, w, h) = (
                number(panel, "x")?,
                number(panel, "y")?,
                number(panel, "w")?,
                number(panel, "h")?,
            );
            assert!(w > 0 && h > 0 && x + w <= COLUMNS, "{panel}");
            assert_eq!(panel["datasource"]["uid"], "${datasource}", "{panel}");
            let targets = panel["targets"].as_array().ok_or("no targets")?;
            assert!(!targets.is_empty(), "{panel}");
            for target in targets {
                let expr = target["expr"].as_str().ok_or("a target without expr")?;
                assert!(
                    expr.contains(r#"{job=~"$picker",namespace=~"$namespace"}"#),
                    "{expr}"
                );
            }
            boxes.push((x, y, w, h));
        }
        for (i, a) in boxes.iter().enumerate() {
            for b in &boxes[i + 1..] {
                let apart =
                    a.0 + a.2 <= b.0 || b.0 + b.2 <= a.0 || a.1 + a.3 <= b.1 || b.1 + b.3 <= a.1;
                assert!(apart, "{a:?} overlaps {b:?}");
            }
        }
    }
    Ok(())
}

#[test]
fn the_variables_offer_the_plans_pickers_and_their_namespaces() -> TestResult {
    for mode in [MonitoringMode::Cluster, MonitoringMode::Pod] {
        let options = operator(fleet(mode));
        let plan = options.plan()?;
        let board = board(&options)?;
        let variables = board["templating"]["list"]
            .as_array()
            .ok_or("no variables")?;
        let names: Vec<&str> = variables
            .iter()
            .filter_map(|v| v["name"].as_str())
            .collect();
        assert_eq!(names, ["datasource", "namespace", "picker"]);
        assert_eq!(variables[0]["type"], "datasource");
        assert_eq!(variables[0]["query"], "prometheus");
        for variable in &variables[1..] {
            let query = variable["query"]["query"].as_str().ok_or("no query")?;
            assert_eq!(variable["definition"].as_str(), Some(query));
            // label_values(SELECTOR, LABEL): the selector is PromQL.
            let inner = query
                .strip_prefix("label_values(")
                .and_then(|q| q.rsplit_once(", "))
                .map(|(selector, _)| selector)
                .ok_or_else(|| format!("not label_values: {query}"))?;
            let parsed =
                promql_parser::parser::parse(inner).map_err(|e| format!("{inner}: {e}"))?;
            let promql_parser::parser::Expr::VectorSelector(selector) = parsed else {
                return Err(format!("not a selector: {inner}").into());
            };
            let job = selector
                .matchers
                .matchers
                .iter()
                .find(|m| m.name == "job")
                .ok_or("no job matcher")?;
            // The regex offers exactly the plan's PodMonitors' jobs.
            let mut offered: Vec<&str> = job.value.split('|').collect();
            offered.sort_unstable();
            let mut jobs: Vec<String> = plan.targets().iter().map(|t| t.operator_job()).collect();
            jobs.sort_unstable();
            assert_eq!(offered, jobs, "{query}");
        }
    }
    Ok(())
}

#[test]
fn the_config_map_holds_the_dashboard_for_the_sidecar() -> TestResult {
    let options = Options {
        namespace: "monitoring".to_owned(),
        extra_labels: [("team".to_owned(), "inference".to_owned())].into(),
        ..operator(Options::default())
    };
    let plan = options.plan()?;
    let map = plan.grafana_config_map()?;
    let yaml = [Object::from(map)].to_yaml()?;
    let read = read_back(&yaml)?;
    let [Object::ConfigMap(map)] = &read[..] else {
        return Err(format!("not one ConfigMap: {yaml}").into());
    };
    let labels = map.metadata.labels.clone().unwrap_or_default();
    assert_eq!(
        labels.get("grafana_dashboard").map(String::as_str),
        Some("1")
    );
    assert_eq!(labels.get("team").map(String::as_str), Some("inference"));
    assert_eq!(map.metadata.namespace.as_deref(), Some("monitoring"));
    let name = map.metadata.name.clone().unwrap_or_default();
    assert_eq!(name, "inference-gateway-endpoint-picker-dashboard");
    let data = map.data.clone().unwrap_or_default();
    let json = data
        .get(&format!("{name}.json"))
        .ok_or("no dashboard key")?;
    let inside: Value = serde_json::from_str(json)?;
    assert_eq!(inside, board(&options)?);
    // The name follows names.dashboard and namePrefix as every name does.
    let renamed = Options {
        name_prefix: "team-a-".to_owned(),
        names: igw_monitoring::Names {
            dashboard: Some("epp".to_owned()),
            ..Default::default()
        },
        ..options
    };
    assert_eq!(
        renamed
            .plan()?
            .grafana_config_map()?
            .metadata
            .name
            .as_deref(),
        Some("team-a-epp")
    );
    Ok(())
}

#[test]
fn each_collector_refuses_the_other_collectors_dashboard() -> TestResult {
    let gmp = Options::default().plan()?;
    let error = gmp
        .grafana_dashboard()
        .err()
        .ok_or("GMP gave a Grafana dashboard")?;
    assert!(error.to_string().contains("collector"), "{error}");
    assert!(gmp.grafana_config_map().is_err());
    let po = operator(Options::default()).plan()?;
    let error = po
        .dashboard(None)
        .err()
        .ok_or("prometheus-operator gave Cloud Monitoring's")?;
    assert!(
        error.to_string().contains("Cloud Monitoring dashboard"),
        "{error}"
    );
    Ok(())
}

#[test]
fn grafana_dashboards_match_their_snapshots() -> TestResult {
    for (name, options) in [
        ("grafana_default", operator(Options::default())),
        (
            "grafana_migration",
            operator(with_alerts(
                RulesScope::Cluster,
                MetricsSchema::LlmDEppMigration,
            )),
        ),
    ] {
        let text = options.plan()?.grafana_dashboard()?;
        assert_eq!(text, options.plan()?.grafana_dashboard()?, "{name}");
        insta::with_settings!({
            snapshot_path => "../../snapshots",
            prepend_module_to_snapshot => false,
            omit_expression => true,
        }, {
            insta::assert_snapshot!(name, text);
        });
    }
    Ok(())
}
