//! Labels added to the targets discovered on the selected pods.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Labels added to every target of a (Cluster)PodMonitoring.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct TargetLabels {
    /// Pod labels copied onto target labels, applied in order (at most 100).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from_pod: Option<Vec<LabelMapping>>,
    /// Pod metadata set as target labels.
    ///
    /// Unset means every permitted key; an explicit empty list adds none, so the two differ.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata: Option<Vec<MetadataLabel>>,
}

/// Copies one pod label onto a target label.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
pub struct LabelMapping {
    /// Pod label to copy.
    pub from: String,
    /// Target label to write (the same name as `from` when unset); not a protected label.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to: Option<String>,
}

/// Pod metadata that can become a target label.
///
/// One type serves both kinds, as `SecretKeySelector` does: `PodMonitoring` rejects `namespace`,
/// since its targets all share the object's namespace.
#[derive(
    Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum MetadataLabel {
    /// Container name; only filled in when the scrape port is named.
    Container,
    /// Pod namespace; `ClusterPodMonitoring` only.
    Namespace,
    /// Node name.
    Node,
    /// Pod name.
    Pod,
    /// Name of the pod's top-level controller (e.g. the Deployment).
    TopLevelControllerName,
    /// Kind of the pod's top-level controller.
    TopLevelControllerType,
}
