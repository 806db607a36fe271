//! `PrometheusRule`: plain Prometheus rule groups, loaded by every Prometheus whose
//! `ruleSelector` selects the object; nothing scopes their queries.

use std::collections::BTreeMap;

use kube_derive::CustomResource;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Alerting and recording rule groups.
#[derive(CustomResource, Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[kube(
    group = "monitoring.coreos.com",
    version = "v1",
    kind = "PrometheusRule",
    plural = "prometheusrules",
    namespaced,
    derive = "Default",
    derive = "PartialEq",
    doc = "PrometheusRule defines recording and alerting rules for a Prometheus instance.",
    crates(kube_core = "::kube_core")
)]
#[serde(rename_all = "camelCase")]
pub struct PrometheusRuleSpec {
    /// The rule groups.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub groups: Vec<RuleGroup>,
}

/// Rules evaluated together, at one interval.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
pub struct RuleGroup {
    /// The group's name, unique in the object.
    pub name: String,
    /// How often the rules are evaluated (the Prometheus's own when unset).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub interval: Option<String>,
    /// The rules, in order.
    #[serde(default)]
    pub rules: Vec<Rule>,
}

/// One alerting (`alert`) or recording (`record`) rule.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
pub struct Rule {
    /// The series a recording rule writes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub record: Option<String>,
    /// The alert an alerting rule fires.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alert: Option<String>,
    /// The PromQL expression (upstream takes a string or an integer).
    pub expr: String,
    /// How long the expression must hold before the alert fires.
    #[serde(rename = "for", default, skip_serializing_if = "Option::is_none")]
    pub for_: Option<String>,
    /// How long the alert keeps firing once the expression stops holding.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub keep_firing_for: Option<String>,
    /// Labels added to the alert or series.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub labels: Option<BTreeMap<String, String>>,
    /// Annotations of the alert.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub annotations: Option<BTreeMap<String, String>>,
}
