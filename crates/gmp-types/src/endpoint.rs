//! Scrape endpoints and scrape-time limits.

use std::collections::BTreeMap;

use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::{Authorization, BasicAuth, OAuth2, RelabelingRule, SecretKeySelector, TlsConfig};

/// A Prometheus metrics endpoint to scrape on each selected pod.
///
/// At most one of `authorization`, `basicAuth` and `oauth2` may be set, and `timeout` must not
/// exceed `interval`; the API server enforces both, this type does not.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ScrapeEndpoint {
    /// Name or number of the container port to scrape (not 0).
    ///
    /// The `container` target label is only filled in when the port is named.
    pub port: IntOrString,
    /// Protocol scheme (`http` when unset).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scheme: Option<Scheme>,
    /// HTTP path to scrape (`/metrics` when unset).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// HTTP GET parameters of the scrape request.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub params: Option<BTreeMap<String, Vec<String>>>,
    /// HTTP proxy to scrape through; encoded passwords are not supported.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub proxy_url: Option<String>,
    /// Scrape interval, a Prometheus duration such as `30s` (required since operator v0.16).
    #[schemars(extend("format" = "duration"))]
    pub interval: String,
    /// Scrape timeout, a Prometheus duration no larger than `interval`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("format" = "duration"))]
    pub timeout: Option<String>,
    /// Relabeling rules applied to the scraped metrics (at most 250).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metric_relabeling: Option<Vec<RelabelingRule>>,
    /// Credentials for the `Authorization` header.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authorization: Option<Authorization>,
    /// HTTP basic authentication.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub basic_auth: Option<BasicAuth>,
    /// OAuth 2.0 client credentials.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub oauth2: Option<OAuth2>,
    /// TLS settings of the scrape request.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tls: Option<TlsConfig>,
}

/// Protocol scheme of a scrape.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, Hash, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Scheme {
    /// Plain HTTP.
    Http,
    /// HTTP over TLS.
    Https,
}

impl ScrapeEndpoint {
    /// The Secret key the `authorization` credentials are read from, if the endpoint names one.
    pub fn authorization_secret(&self) -> Option<&SecretKeySelector> {
        self.authorization
            .as_ref()?
            .credentials
            .as_ref()?
            .secret
            .as_ref()
    }

    /// The same reference, to change it.
    pub fn authorization_secret_mut(&mut self) -> Option<&mut SecretKeySelector> {
        self.authorization
            .as_mut()?
            .credentials
            .as_mut()?
            .secret
            .as_mut()
    }
}

impl Scheme {
    /// Every scheme.
    pub const ALL: [Self; 2] = [Self::Http, Self::Https];

    /// The spelling the CRD expects (serde's, which a test holds to this one).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Http => "http",
            Self::Https => "https",
        }
    }
}

/// A command line takes the CRD's spellings, [`Scheme::as_str`].
#[cfg(feature = "clap")]
impl clap::ValueEnum for Scheme {
    fn value_variants<'a>() -> &'a [Self] {
        &Self::ALL
    }

    fn to_possible_value(&self) -> Option<clap::builder::PossibleValue> {
        let help = match self {
            Self::Http => "Plain HTTP",
            Self::Https => "HTTP over TLS",
        };
        Some(clap::builder::PossibleValue::new(self.as_str()).help(help))
    }
}

impl std::fmt::Display for Scheme {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Limits applied at scrape time; unset ones take the Prometheus defaults.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ScrapeLimits {
    /// Maximum number of samples accepted in one scrape.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub samples: Option<i64>,
    /// Maximum number of labels of one sample.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub labels: Option<i64>,
    /// Maximum length of a label name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label_name_length: Option<i64>,
    /// Maximum length of a label value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label_value_length: Option<i64>,
}

#[cfg(test)]
mod tests {
    use super::Scheme;

    /// serde spells every scheme as `as_str` does: the CRD, config files and flags agree.
    #[test]
    fn serde_spells_schemes_as_as_str() {
        for scheme in Scheme::ALL {
            let json = serde_json::to_value(scheme).unwrap();
            assert_eq!(json, scheme.as_str(), "{scheme:?}");
            let back: Scheme = serde_json::from_value(json).unwrap();
            assert_eq!(back, scheme);
        }
    }

    /// A command line takes exactly the spellings of `as_str`.
    #[cfg(feature = "clap")]
    #[test]
    fn clap_spells_schemes_as_as_str() {
        use clap::ValueEnum;
        for scheme in Scheme::ALL {
            assert_eq!(Scheme::from_str(scheme.as_str(), false), Ok(scheme));
        }
        assert_eq!(Scheme::value_variants(), Scheme::ALL);
    }
}
