//! HTTP client settings of a scrape endpoint: authentication and TLS.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::SecretSelector;

/// Credentials sent in the `Authorization` header.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
pub struct Authorization {
    /// Authentication scheme; upstream defaults to `Bearer` and rejects `Basic` (use `basicAuth`).
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub type_: Option<String>,
    /// Secret whose value is the header's credentials, e.g. a bearer token.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credentials: Option<SecretSelector>,
}

/// HTTP basic authentication.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
pub struct BasicAuth {
    /// User name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    /// Secret holding the password.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password: Option<SecretSelector>,
}

/// OAuth 2.0 client credentials used to fetch a token for the targets.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct OAuth2 {
    /// Public identifier of the client.
    #[serde(rename = "clientID", default, skip_serializing_if = "Option::is_none")]
    pub client_id: Option<String>,
    /// Secret holding the client secret.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_secret: Option<SecretSelector>,
    /// Scopes of the token request.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scopes: Option<Vec<String>>,
    /// URL to fetch the token from.
    #[serde(rename = "tokenURL", default, skip_serializing_if = "Option::is_none")]
    pub token_url: Option<String>,
    /// Extra parameters appended to the token URL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub endpoint_params: Option<BTreeMap<String, String>>,
    /// TLS settings of the token request.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tls_config: Option<TlsConfig>,
    /// HTTP proxy for the token request; encoded passwords are not supported.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub proxy_url: Option<String>,
}

/// TLS settings of a request.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct TlsConfig {
    /// Secret holding the CA certificate that verifies the server.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ca: Option<SecretSelector>,
    /// Secret holding the client certificate; requires `key`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cert: Option<SecretSelector>,
    /// Secret holding the client private key; requires `cert`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<SecretSelector>,
    /// Host name the server certificate is verified against.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub server_name: Option<String>,
    /// Disables verification of the server certificate.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub insecure_skip_verify: Option<bool>,
    /// Lowest accepted TLS version (Go's default, TLS 1.2, when unset).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_version: Option<TlsVersion>,
    /// Highest accepted TLS version.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_version: Option<TlsVersion>,
}

/// A TLS protocol version, as spelled in the CRD (`TLS10`..`TLS13`).
#[derive(
    Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, JsonSchema,
)]
#[serde(rename_all = "UPPERCASE")]
pub enum TlsVersion {
    /// TLS 1.0.
    Tls10,
    /// TLS 1.1.
    Tls11,
    /// TLS 1.2.
    Tls12,
    /// TLS 1.3.
    Tls13,
}
