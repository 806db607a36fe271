//! `Rules` (namespaced), `ClusterRules` and `GlobalRules` (cluster-scoped): Prometheus recording
//! and alerting rule groups evaluated by GMP's managed rule evaluator.

use std::collections::BTreeMap;

use kube_derive::CustomResource;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::MonitoringCondition;

/// Rule groups whose queries only see the metrics of the object's own namespace.
#[derive(CustomResource, Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[kube(
    group = "monitoring.googleapis.com",
    version = "v1",
    kind = "Rules",
    plural = "rules",
    singular = "rules",
    namespaced,
    status = "RulesStatus",
    derive = "Default",
    derive = "PartialEq",
    doc = "Rules defines Prometheus alerting and recording rules that are scoped to the namespace of the resource.",
    crates(kube_core = "::kube_core")
)]
#[serde(rename_all = "camelCase")]
pub struct RulesSpec {
    /// The rule groups.
    pub groups: Vec<RuleGroup>,
}

/// Rule groups whose queries see the metrics of the whole cluster.
#[derive(CustomResource, Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[kube(
    group = "monitoring.googleapis.com",
    version = "v1",
    kind = "ClusterRules",
    plural = "clusterrules",
    singular = "clusterrules",
    status = "RulesStatus",
    derive = "Default",
    derive = "PartialEq",
    doc = "ClusterRules defines Prometheus alerting and recording rules that are scoped to the current cluster.",
    crates(kube_core = "::kube_core")
)]
#[serde(rename_all = "camelCase")]
pub struct ClusterRulesSpec {
    /// The rule groups.
    pub groups: Vec<RuleGroup>,
}

/// Rule groups whose queries see every cluster of the metrics scope: GMP adds no matchers, so
/// one cluster evaluates them for the fleet.
#[derive(CustomResource, Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[kube(
    group = "monitoring.googleapis.com",
    version = "v1",
    kind = "GlobalRules",
    plural = "globalrules",
    singular = "globalrules",
    status = "RulesStatus",
    derive = "Default",
    derive = "PartialEq",
    doc = "GlobalRules defines Prometheus alerting and recording rules that are scoped to all data in the queried project.",
    crates(kube_core = "::kube_core")
)]
#[serde(rename_all = "camelCase")]
pub struct GlobalRulesSpec {
    /// The rule groups.
    pub groups: Vec<RuleGroup>,
}

/// A named group of rules evaluated together at one interval.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct RuleGroup {
    /// The group's name, unique in the object.
    pub name: String,
    /// How often the rules are evaluated (a Prometheus duration; the evaluator's default when unset).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("format" = "duration"))]
    pub interval: Option<String>,
    /// The rules.
    pub rules: Vec<Rule>,
}

/// One recording rule (`record`) or alerting rule (`alert`).
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Rule {
    /// Name of the series a recording rule writes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub record: Option<String>,
    /// Name of the alert an alerting rule fires.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alert: Option<String>,
    /// The PromQL expression.
    pub expr: String,
    /// How long the expression must hold before the alert fires (a Prometheus duration).
    #[serde(default, rename = "for", skip_serializing_if = "Option::is_none")]
    #[schemars(extend("format" = "duration"))]
    pub for_: Option<String>,
    /// Labels added to the alert or the recorded series.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub labels: Option<BTreeMap<String, String>>,
    /// Annotations of the alert.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub annotations: Option<BTreeMap<String, String>>,
}

/// What the operator last observed of a rules object.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct RulesStatus {
    /// The generation the operator last processed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub observed_generation: Option<i64>,
    /// The latest observations of the object's state.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub conditions: Option<Vec<MonitoringCondition>>,
}
