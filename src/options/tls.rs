//! Scraping an endpoint picker that serves `/metrics` over TLS (llm-d-router v0.10's
//! `--metrics-cert-dir`) or mutual TLS (`--metrics-client-ca-file`): the options, their rules,
//! what they make of a scrape endpoint, and the warnings a valid but risky choice deserves.
//!
//! The certificates live in the user's own Secrets beside the token Secret; the bundle only
//! references them and lets GMP's collector read them. Authentication stays independent: with
//! mTLS a scrape presents a client certificate *and* the reader's token.

use std::net::IpAddr;

use gmp_types::{Scheme, SecretSelector, TlsConfig, TlsVersion};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::diagnostics::{ProblemsBuilder, Warning};
use crate::rules;

/// TLS settings of the scrape: how the endpoint picker's certificate is verified, and the
/// client certificate for mTLS. Needs `scheme: https`.
#[derive(
    Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema, bon::Builder,
)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
#[builder(
    derive(Clone, Debug),
    builder_type(doc {
        /// Sets [`TlsOptions`] fluently; unset ones keep their defaults.
    }),
    start_fn(doc {
        /// A builder of TLS settings: nothing set (system roots, no client certificate).
    }),
    finish_fn(doc {
        /// The TLS settings set so far.
    }),
    on(String, into),
)]
pub struct TlsOptions {
    /// The Secret key holding the CA certificate (PEM) that signed the endpoint picker's
    /// certificate. Default: none (the collector's system roots).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ca: Option<SecretKeyRef>,
    /// The Secret key holding the client certificate (PEM) for mTLS; needs `key`.
    /// Default: none (no client certificate).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cert: Option<SecretKeyRef>,
    /// The Secret key holding the client certificate's private key (PEM); needs `cert`.
    /// Default: none.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key: Option<SecretKeyRef>,
    /// Host name the endpoint picker's certificate is verified against (and sent as SNI).
    /// Default: none (GMP scrapes pod IPs, so the certificate must then name the pod's IP).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub server_name: Option<String>,
    /// Skip verifying the endpoint picker's certificate; contradicts `ca`. Default: `false`.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    #[builder(default)]
    pub insecure_skip_verify: bool,
    /// Lowest TLS version accepted, `TLS10` to `TLS13`. Default: none (Go's, TLS 1.2; the
    /// endpoint picker itself accepts TLS 1.2 and up).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub min_version: Option<TlsVersion>,
}

/// One key of a Secret in the namespace of the token Secret (the reader's `namespace` for a
/// ClusterPodMonitoring, the target's namespace for a PodMonitoring).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SecretKeyRef {
    /// Name of the Secret (the user's; the bundle does not create it).
    pub secret: String,
    /// Key within the Secret's data, e.g. `ca.crt`, `tls.crt`, `tls.key`.
    pub key: String,
}

impl SecretKeyRef {
    /// Key `key` of Secret `secret`.
    pub fn new(secret: impl Into<String>, key: impl Into<String>) -> Self {
        Self {
            secret: secret.into(),
            key: key.into(),
        }
    }
}

impl TlsOptions {
    /// The Secret keys referenced, with their option names: `ca`, `cert`, `key`.
    pub fn secret_refs(&self) -> impl Iterator<Item = (&'static str, &SecretKeyRef)> {
        [("ca", &self.ca), ("cert", &self.cert), ("key", &self.key)]
            .into_iter()
            .filter_map(|(field, r)| r.as_ref().map(|r| (field, r)))
    }

    /// Whether a client certificate is presented (mTLS).
    pub fn is_mutual(&self) -> bool {
        self.cert.is_some() && self.key.is_some()
    }

    /// The endpoint's `tls` block; `namespace` is written into each Secret reference (a
    /// ClusterPodMonitoring's), or left out (a PodMonitoring's, which may not name one).
    /// `None` when nothing is set: an empty block means GMP's defaults, as no block does.
    pub fn to_gmp(&self, namespace: Option<&str>) -> Option<TlsConfig> {
        if *self == Self::default() {
            return None;
        }
        let selector = |r: &Option<SecretKeyRef>| {
            r.as_ref().map(|r| {
                SecretSelector::new(r.secret.clone(), r.key.clone(), namespace.map(Into::into))
            })
        };
        Some(TlsConfig {
            ca: selector(&self.ca),
            cert: selector(&self.cert),
            key: selector(&self.key),
            server_name: self.server_name.clone(),
            insecure_skip_verify: self.insecure_skip_verify.then_some(true),
            min_version: self.min_version,
            max_version: None,
        })
    }
}

impl TlsOptions {
    /// The settings as a PodMonitor endpoint's `tlsConfig` (every Secret in the monitor's
    /// namespace); `None` when nothing is set.
    pub fn to_operator(&self) -> Option<prometheus_operator_types::SafeTlsConfig> {
        use prometheus_operator_types::{SafeTlsConfig, SecretKeySelector, SecretOrConfigMap};
        if *self == Self::default() {
            return None;
        }
        let data = |r: &Option<SecretKeyRef>| {
            r.as_ref()
                .map(|r| SecretOrConfigMap::secret(r.secret.clone(), r.key.clone()))
        };
        Some(SafeTlsConfig {
            ca: data(&self.ca),
            cert: data(&self.cert),
            key_secret: (self.key.as_ref())
                .map(|r| SecretKeySelector::new(r.secret.clone(), r.key.clone())),
            server_name: self.server_name.clone(),
            insecure_skip_verify: self.insecure_skip_verify.then_some(true),
            min_version: self.min_version.map(operator_tls_version),
            max_version: None,
        })
    }
}

/// GMP's spelling of a TLS version as prometheus-operator's type (the CRDs spell them alike).
fn operator_tls_version(version: TlsVersion) -> prometheus_operator_types::TlsVersion {
    use prometheus_operator_types::TlsVersion as Operator;
    match version {
        TlsVersion::Tls10 => Operator::Tls10,
        TlsVersion::Tls11 => Operator::Tls11,
        TlsVersion::Tls12 => Operator::Tls12,
        TlsVersion::Tls13 => Operator::Tls13,
    }
}

/// The spelling of a TLS version in the CRD, config files and flags ([`TlsVersion::as_str`]).
pub fn tls_version_str(version: TlsVersion) -> &'static str {
    version.as_str()
}

/// [`tls_version_str`] for the templates, which hold references.
pub(crate) fn version_text(version: &TlsVersion) -> &'static str {
    tls_version_str(*version)
}

/// Judges one `tls` block found at `at` (`tls` or `targets[i].tls`), for `scheme`.
pub(crate) fn check(
    found: &mut ProblemsBuilder,
    at: &str,
    tls: &TlsOptions,
    (scheme_at, scheme): (&str, Scheme),
) {
    if scheme == Scheme::Http {
        found.push_with(
            scheme_at.to_owned(),
            vec![at.to_owned()],
            "http",
            format!("is not https, but {at} is set: GMP would scrape over plain HTTP and ignore the TLS settings; set {scheme_at}: https (--scheme https)"),
        );
    }
    for (field, r) in tls.secret_refs() {
        found.rule(
            || format!("{at}.{field}.secret"),
            &r.secret,
            "Secret name",
            rules::dns1123_subdomain(&r.secret),
        );
        found.rule(
            || format!("{at}.{field}.key"),
            &r.key,
            "Secret key",
            rules::config_map_key(&r.key),
        );
    }
    match (&tls.cert, &tls.key) {
        (Some(cert), None) => found.push_with(
            format!("{at}.cert"),
            Vec::new(),
            &cert.secret,
            format!("is set without {at}.key: a client certificate needs its private key (GMP requires cert and key together)"),
        ),
        (None, Some(key)) => found.push_with(
            format!("{at}.key"),
            Vec::new(),
            &key.secret,
            format!("is set without {at}.cert: a private key is only used with its client certificate (GMP requires cert and key together)"),
        ),
        _ => {}
    }
    if tls.insecure_skip_verify && tls.ca.is_some() {
        found.push_with(
            format!("{at}.insecureSkipVerify"),
            vec![format!("{at}.ca")],
            "true",
            format!(
                "contradicts {at}.ca: with verification off the CA is never used; set one of them"
            ),
        );
    }
    if let Some(name) = &tls.server_name {
        found.rule(
            || format!("{at}.serverName"),
            name,
            "server name",
            server_name(name),
        );
    }
}

/// A host name (any case) or an IP address, as a certificate names its server.
fn server_name(name: &str) -> Result<(), String> {
    if name.parse::<IpAddr>().is_ok() {
        return Ok(());
    }
    rules::dns1123_subdomain(&name.to_ascii_lowercase())
        .map_err(|reason| format!("must be a DNS name or an IP address: {reason}"))
}

/// What a valid plan warns about the scrape's TLS for one configuration found at `field`.
pub(crate) fn warnings(field: &str, tls: Option<&TlsOptions>, scheme: Scheme) -> Vec<Warning> {
    if scheme != Scheme::Https {
        return Vec::new();
    }
    let warn = |message: &str| Warning::option(field, message);
    let mut warnings = Vec::new();
    match tls {
        Some(tls) if tls.insecure_skip_verify => warnings.push(warn(
            "insecureSkipVerify: the endpoint picker's certificate is not verified, so anyone on the path can read the metrics and the reader's token",
        )),
        Some(TlsOptions { ca: Some(_), .. }) => {}
        _ => warnings.push(warn(
            "https without a CA: the endpoint picker's certificate is verified against the collector's system roots (give tls.ca, --tls-ca-secret, for a private CA)",
        )),
    }
    if tls.is_some_and(|t| t.server_name.is_none() && !t.insecure_skip_verify) {
        warnings.push(warn(
            "no serverName: GMP scrapes pod IPs, so the certificate must name each pod's IP address (or set tls.serverName, --tls-server-name, to a name it carries)",
        ));
    }
    warnings
}
