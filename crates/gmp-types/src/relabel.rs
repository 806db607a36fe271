//! Prometheus metric relabeling rules.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// One Prometheus relabeling rule applied to scraped metrics.
///
/// Upstream forbids `labelmap` and rejects rules whose `targetLabel` is a protected label
/// (`project_id`, `location`, `cluster`, `namespace`, `job`, `instance`, `top_level_controller`,
/// `top_level_controller_type`, `__address__`); `labeldrop` needs a `regex`.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct RelabelingRule {
    /// Labels whose values, joined by `separator`, are matched against `regex`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_labels: Option<Vec<String>>,
    /// Separator between concatenated source label values (`;` when unset).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub separator: Option<String>,
    /// Label the result is written to; required by `replace`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target_label: Option<String>,
    /// Regular expression matched against the joined value (`(.*)` when unset).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub regex: Option<String>,
    /// Modulus taken of the hash of the source label values (`hashmod`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub modulus: Option<i64>,
    /// Replacement value, with regex capture groups (`$1` when unset).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replacement: Option<String>,
    /// Action to perform (`replace` when unset).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub action: Option<RelabelAction>,
}

/// A relabeling action; the ones upstream permits (no `labelmap`).
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, Hash, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum RelabelAction {
    /// Writes `replacement` to `targetLabel` when `regex` matches.
    Replace,
    /// Writes the lower-cased joined value to `targetLabel`.
    Lowercase,
    /// Writes the upper-cased joined value to `targetLabel`.
    Uppercase,
    /// Keeps only series whose joined value matches `regex`.
    Keep,
    /// Drops series whose joined value matches `regex`.
    Drop,
    /// Keeps series whose joined value equals `targetLabel`'s value.
    KeepEqual,
    /// Drops series whose joined value equals `targetLabel`'s value.
    DropEqual,
    /// Writes the hash of the joined value modulo `modulus` to `targetLabel`.
    HashMod,
    /// Drops labels whose name matches `regex`.
    LabelDrop,
    /// Keeps only labels whose name matches `regex`.
    LabelKeep,
}
