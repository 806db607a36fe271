//! The dashboard is a valid mosaic layout (tiles inside the 48-column grid, none overlapping,
//! each with a title and a query), its PromQL parses and names only the chosen version's
//! metrics, and it is filtered by what is known.

use crate::support::{TestResult, fleet};
use igw_monitoring::DASHBOARD_COLUMNS as GRID_COLUMNS;
use igw_monitoring::MonitoringMode;
use igw_monitoring::Options;
use serde_json::Value;

fn dashboard(
    options: &Options,
    cluster: Option<&str>,
) -> Result<Value, Box<dyn std::error::Error>> {
    Ok(serde_json::from_str(
        &options.build()?.plan().dashboard(cluster)?,
    )?)
}

fn field(value: &Value, key: &str) -> Result<u64, String> {
    value[key]
        .as_u64()
        .ok_or_else(|| format!("tile without a numeric {key}: {value}"))
}

/// Every query of every tile.
fn queries(dashboard: &Value) -> Vec<String> {
    dashboard["mosaicLayout"]["tiles"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|t| {
            t["widget"]["xyChart"]["dataSets"]
                .as_array()
                .cloned()
                .unwrap_or_default()
        })
        .filter_map(|d| d["prometheusQuery"].as_str().map(str::to_owned))
        .collect()
}

#[test]
fn tiles_fit_the_grid_without_overlapping() -> TestResult {
    let board = dashboard(&Options::default(), None)?;
    assert_eq!(board["mosaicLayout"]["columns"], GRID_COLUMNS);
    let tiles = board["mosaicLayout"]["tiles"]
        .as_array()
        .ok_or("no tiles")?;
    assert!(tiles.len() >= 12, "{} tiles", tiles.len());
    let mut boxes = Vec::new();
    for tile in tiles {
        let (x, y, w, h) = (
            field(tile, "xPos")?,
            field(tile, "yPos")?,
            field(tile, "width")?,
            field(tile, "height")?,
        );
        assert!(w > 0 && h > 0 && x + w <= u64::from(GRID_COLUMNS), "{tile}");
        let title = tile["widget"]["title"].as_str().unwrap_or_default();
        assert!(!title.is_empty(), "untitled tile {tile}");
        let sets = tile["widget"]["xyChart"]["dataSets"]
            .as_array()
            .ok_or("no data sets")?;
        assert!(!sets.is_empty(), "{title}: no query");
        boxes.push((x, y, w, h, title.to_owned()));
    }
    for (i, a) in boxes.iter().enumerate() {
        for b in &boxes[i + 1..] {
            let apart =
                a.0 + a.2 <= b.0 || b.0 + b.2 <= a.0 || a.1 + a.3 <= b.1 || b.1 + b.3 <= a.1;
            assert!(apart, "{:?} overlaps {:?}", a.4, b.4);
        }
    }
    Ok(())
}

#[test]
fn queries_parse_and_use_only_the_versions_metrics() -> TestResult {
    for (version, prefix, other, title) in [
        (
            None,
            "inference_model_",
            "inference_objective_",
            "(< v1.1.0)",
        ),
        (
            Some("1.1"),
            "inference_objective_",
            "inference_model_",
            "Overview",
        ),
    ] {
        let options = Options {
            epp_version: version.map(str::to_owned),
            ..Options::default()
        };
        let board = dashboard(&options, None)?;
        assert!(
            board["displayName"]
                .as_str()
                .unwrap_or_default()
                .ends_with(title)
        );
        let queries = queries(&board);
        assert!(queries.iter().any(|q| q.contains(prefix)));
        for query in &queries {
            promql_parser::parser::parse(query).map_err(|e| format!("{query}: {e}"))?;
            assert!(!query.contains(other), "{query}");
        }
    }
    Ok(())
}

#[test]
fn charts_are_filtered_by_cluster_and_known_namespaces() -> TestResult {
    // Pods' namespace unknown (no targets): only the cluster filters.
    let board = dashboard(&Options::default(), Some("prod-1"))?;
    for query in queries(&board) {
        assert!(query.contains("cluster=\"prod-1\""), "{query}");
        assert!(!query.contains("namespace"), "{query}");
    }
    // A fleet whose targets name their namespaces.
    let board = dashboard(&fleet(MonitoringMode::Cluster), None)?;
    for query in queries(&board) {
        assert!(query.contains("namespace=~\"team-a|team-b\""), "{query}");
        assert!(!query.contains("cluster="), "{query}");
    }
    Ok(())
}

#[test]
fn the_default_dashboard_matches_its_snapshot() -> TestResult {
    let text = Options::default().build()?.plan().dashboard(None)?;
    insta::with_settings!({
        snapshot_path => "../../snapshots",
        prepend_module_to_snapshot => false,
        omit_expression => true,
    }, {
        insta::assert_snapshot!("dashboard_default", text);
    });
    Ok(())
}
