//! References to keys of Secrets and ConfigMaps in the monitor's own namespace: the operator
//! reads them (not the Prometheus pods), so no RBAC grants a collector access.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// A key of a Secret in the monitor's namespace.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
pub struct SecretKeySelector {
    /// Name of the Secret.
    pub name: String,
    /// Key within the Secret's data.
    pub key: String,
    /// Whether the Secret or its key may be missing (upstream: false).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub optional: Option<bool>,
}

impl SecretKeySelector {
    /// `key` of the Secret `name`.
    pub fn new(name: impl Into<String>, key: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            key: key.into(),
            optional: None,
        }
    }
}

/// A key of a ConfigMap in the monitor's namespace.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
pub struct ConfigMapKeySelector {
    /// Name of the ConfigMap.
    pub name: String,
    /// Key within the ConfigMap's data.
    pub key: String,
    /// Whether the ConfigMap or its key may be missing (upstream: false).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub optional: Option<bool>,
}

/// Data from a Secret or a ConfigMap: a CA or a client certificate (exactly one of the two).
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct SecretOrConfigMap {
    /// The Secret's key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret: Option<SecretKeySelector>,
    /// The ConfigMap's key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub config_map: Option<ConfigMapKeySelector>,
}

impl SecretOrConfigMap {
    /// `key` of the Secret `name`.
    pub fn secret(name: impl Into<String>, key: impl Into<String>) -> Self {
        Self {
            secret: Some(SecretKeySelector::new(name, key)),
            config_map: None,
        }
    }
}
