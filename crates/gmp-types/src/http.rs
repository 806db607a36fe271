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

impl TlsVersion {
    /// Every version, oldest first.
    pub const ALL: [Self; 4] = [Self::Tls10, Self::Tls11, Self::Tls12, Self::Tls13];

    /// The spelling of the CRD (serde's, which a test holds to this one), config files and flags.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Tls10 => "TLS10",
            Self::Tls11 => "TLS11",
            Self::Tls12 => "TLS12",
            Self::Tls13 => "TLS13",
        }
    }
}

/// A command line takes the CRD's spellings, [`TlsVersion::as_str`].
#[cfg(feature = "clap")]
impl clap::ValueEnum for TlsVersion {
    fn value_variants<'a>() -> &'a [Self] {
        &Self::ALL
    }

    fn to_possible_value(&self) -> Option<clap::builder::PossibleValue> {
        let help = match self {
            Self::Tls10 => "TLS 1.0",
            Self::Tls11 => "TLS 1.1",
            Self::Tls12 => "TLS 1.2",
            Self::Tls13 => "TLS 1.3",
        };
        Some(clap::builder::PossibleValue::new(self.as_str()).help(help))
    }
}

#[cfg(test)]
mod tests {
    use super::TlsVersion;

    /// serde spells every version as `as_str` does: the CRD, config files and flags agree.
    #[test]
    fn serde_spells_tls_versions_as_as_str() {
        for version in TlsVersion::ALL {
            let json = serde_json::to_value(version).unwrap();
            assert_eq!(json, version.as_str(), "{version:?}");
            let back: TlsVersion = serde_json::from_value(json).unwrap();
            assert_eq!(back, version);
        }
    }

    /// A command line takes exactly the spellings of `as_str`.
    #[cfg(feature = "clap")]
    #[test]
    fn clap_spells_tls_versions_as_as_str() {
        use clap::ValueEnum;
        for version in TlsVersion::ALL {
            assert_eq!(TlsVersion::from_str(version.as_str(), false), Ok(version));
        }
        assert_eq!(TlsVersion::value_variants(), TlsVersion::ALL);
    }
}
