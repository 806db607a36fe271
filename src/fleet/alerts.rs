//! The fleet-wide alert: a cluster of the fleet whose endpoint pickers stopped reporting. Only
//! GlobalRules can see another cluster (GMP injects `project_id`, `location` and `cluster`
//! matchers into Rules and ClusterRules, so those evaluate inside the cluster that went
//! silent and cannot fire); it is delivered to one cluster only, or each copy alerts again.
//!
//! One rule per cluster, `absent_over_time` over that cluster's own scrape jobs: it fires
//! while the cluster stays silent (however long), its result carries exactly the cluster's
//! `project_id`, `location` and `cluster`, and a cluster outside the fleet never fires. A
//! cluster of the fleet that never reported (its overlay never synced) fires too: that is
//! the failure this tool exists to catch.

use std::collections::BTreeMap;

use gmp_types::{GlobalRules, GlobalRulesSpec, Rule, RuleGroup};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

use super::ClusterPlan;
use crate::rules::{promql_string, regex_literal};

/// Name of the GlobalRules object and of its one group.
pub const FLEET_RULES: &str = "igw-monitoring-fleet";
/// The alert a silent cluster fires.
pub const STOPPED_REPORTING: &str = "EndpointPickerClusterStoppedReporting";
/// How long a cluster may send no `up` sample of its pickers before it counts as silent.
const SILENCE: &str = "10m";
/// How long it must stay silent before the alert fires.
const FOR: &str = "5m";

/// The GlobalRules object alerting on each of `clusters` going silent.
pub(crate) fn global_rules(clusters: &[ClusterPlan]) -> GlobalRules {
    let rules = clusters.iter().map(stopped_reporting).collect();
    GlobalRules {
        metadata: ObjectMeta {
            name: Some(FLEET_RULES.to_owned()),
            ..Default::default()
        },
        spec: GlobalRulesSpec {
            groups: vec![RuleGroup {
                name: FLEET_RULES.to_owned(),
                interval: Some("60s".to_owned()),
                rules,
            }],
        },
        ..Default::default()
    }
}

/// The rule for one cluster: none of its pickers' scrapes (`up` of its monitorings' jobs)
/// arrived for [`SILENCE`].
fn stopped_reporting(cluster: &ClusterPlan) -> Rule {
    let mut jobs: Vec<String> = cluster
        .plan
        .targets()
        .iter()
        .map(|t| regex_literal(&t.monitoring().name))
        .collect();
    jobs.sort();
    jobs.dedup();
    let expr = format!(
        "absent_over_time(up{{cluster={},job=~{},location={},project_id={}}}[{SILENCE}])",
        promql_string(&cluster.name),
        promql_string(&jobs.join("|")),
        promql_string(&cluster.location),
        promql_string(&cluster.project)
    );
    Rule {
        alert: Some(STOPPED_REPORTING.to_owned()),
        expr,
        for_: Some(FOR.to_owned()),
        labels: Some(BTreeMap::from([(
            "severity".to_owned(),
            "critical".to_owned(),
        )])),
        annotations: Some(BTreeMap::from([
            (
                "summary".to_owned(),
                "No endpoint-picker metrics from cluster {{ $labels.cluster }}".to_owned(),
            ),
            (
                "description".to_owned(),
                format!(
                    "GMP received no scrape of the endpoint pickers of cluster {{{{ $labels.cluster }}}} ({{{{ $labels.location }}}}, project {{{{ $labels.project_id }}}}) for {SILENCE}: the cluster, its collector or its monitoring objects are gone, or its GitOps sync stopped."
                ),
            ),
        ])),
        ..Default::default()
    }
}
