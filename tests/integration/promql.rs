//! Every PromQL expression the crate emits (alerts, the verify query) parses with a real PromQL
//! parser, and names only metrics of the chosen endpoint picker version.

use crate::support::{TestResult, fleet, with_alerts};
use igw_monitoring::{MonitoringMode, RulesScope};
use igw_monitoring::{Object, Options, VerifyFormat, VerifyOptions};

/// Both metric prefixes, each with the version that selects it.
const VERSIONS: [(&str, &str, &str); 2] = [
    ("1.0", "inference_model_", "inference_objective_"),
    ("1.1", "inference_objective_", "inference_model_"),
];

fn parses(expr: &str) -> Result<(), String> {
    promql_parser::parser::parse(expr)
        .map(drop)
        .map_err(|e| format!("{expr:?} does not parse: {e}"))
}

#[test]
fn alert_expressions_parse_and_use_the_versions_prefix() -> TestResult {
    for (version, prefix, other) in VERSIONS {
        for scope in [RulesScope::Namespaced, RulesScope::Cluster] {
            let bundle = with_alerts(scope, version).build()?;
            let groups = bundle.alert_objects().flat_map(|o| match o {
                Object::Rules(r) => r.spec.groups.clone(),
                Object::ClusterRules(r) => r.spec.groups.clone(),
                _ => Vec::new(),
            });
            let rules: Vec<_> = groups.flat_map(|g| g.rules).collect();
            assert!(rules.len() >= 4, "{scope:?}: {} rules", rules.len());
            for rule in &rules {
                parses(&rule.expr)?;
                assert!(!rule.expr.contains(other), "{}", rule.expr);
            }
            assert!(rules.iter().any(|r| r.expr.contains(prefix)));
        }
    }
    Ok(())
}

#[test]
fn the_verify_query_parses() -> TestResult {
    for (version, prefix, _) in VERSIONS {
        let options = Options {
            epp_version: Some(version.to_owned()),
            ..fleet(MonitoringMode::Pod)
        };
        for cluster in [None, Some("prod-1".to_owned())] {
            let text = options.build()?.verify(&VerifyOptions {
                cluster,
                format: VerifyFormat::Text,
            })?;
            let queries: Vec<&str> = text
                .lines()
                .map(str::trim)
                .filter(|l| l.starts_with(prefix) && l.contains("request_total"))
                .collect();
            assert_eq!(queries.len(), 3, "{text}");
            for query in queries {
                parses(query)?;
            }
        }
    }
    Ok(())
}
