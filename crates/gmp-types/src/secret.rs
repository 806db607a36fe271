//! References to keys of Kubernetes Secrets, as every credential field of a scrape endpoint takes.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Selects a secret from a secret provider; only a Kubernetes Secret exists today.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
pub struct SecretSelector {
    /// Key of a Kubernetes Secret.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret: Option<SecretKeySelector>,
}

/// A key of a Kubernetes Secret, optionally in another namespace.
///
/// Upstream has one type for both kinds, and so does this crate: a `PodMonitoring` must leave
/// `namespace` unset (its admission rules reject the field; the Secret must live in the
/// `PodMonitoring`'s namespace). A `ClusterPodMonitoring` may set it, and should, because an
/// absent `namespace` means `default` there, not the scraped pod's namespace.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
pub struct SecretKeySelector {
    /// Name of the Secret.
    pub name: String,
    /// Key within the Secret's data.
    pub key: String,
    /// Namespace of the Secret; `ClusterPodMonitoring` only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
}

impl SecretSelector {
    /// Selects `key` of the Secret `name` in `namespace` (`None` for the object's own namespace).
    pub fn new(name: impl Into<String>, key: impl Into<String>, namespace: Option<String>) -> Self {
        Self {
            secret: Some(SecretKeySelector {
                name: name.into(),
                key: key.into(),
                namespace,
            }),
        }
    }
}
