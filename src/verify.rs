//! The steps that check a live setup of a bundle, with the bundle's values filled in: readable
//! text (`templates/verify.txt`) or a runnable bash script (`templates/verify.sh`).
//!
//! Pure like the rest of the crate: this only writes the text; running it is the user's. Every
//! value in a shell command passes through the `sh` filter, which quotes it with
//! [`shlex::try_quote`] whenever the shell would read it otherwise.

use std::fmt;

use askama::Template;
use gmp_types::{ScrapeEndpoint, SecretKeySelector};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, ObjectMeta};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use crate::bundle::{Bundle, Monitoring, Object, ReaderIdentity, TOKEN_KEY};
use crate::error::{Error, Problem, Problems};
use crate::options::COLLECTOR_SERVICE_ACCOUNT;

/// The local port the endpoint picker's metrics port is forwarded to.
pub const LOCAL_PORT: u16 = 9090;

/// What `verify` needs besides the bundle.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct VerifyOptions {
    /// The GKE cluster's name, for the PromQL `cluster` matcher; left out when `None`.
    pub cluster: Option<String>,
    /// Readable steps or a runnable script.
    pub format: VerifyFormat,
}

/// How the verification steps are written.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum VerifyFormat {
    /// Numbered steps to read and copy from.
    #[default]
    Text,
    /// A bash script that runs the steps and says what to fix.
    Script,
}

impl Bundle {
    /// The steps that check this bundle on a live cluster, every value filled in.
    pub fn verify(&self, options: &VerifyOptions) -> Result<String, Error> {
        let view = View::new(self, options.cluster.as_deref())?;
        Ok(match options.format {
            VerifyFormat::Text => VerifyText { v: &view }.render()?,
            VerifyFormat::Script => VerifyScript { v: &view }.render()?,
        })
    }
}

/// The readable steps.
#[derive(Template)]
#[template(path = "verify.txt", escape = "none")]
struct VerifyText<'a> {
    v: &'a View,
}

/// The runnable script.
#[derive(Template)]
#[template(path = "verify.sh", escape = "none")]
struct VerifyScript<'a> {
    v: &'a View,
}

/// Everything the templates show, taken from the bundle.
struct View {
    local_port: u16,
    /// `system:serviceaccount:<collector namespace>:collector`.
    collector: String,
    collector_namespace: &'static str,
    reader_role: String,
    reader_binding: String,
    auth_delegation: Option<AuthDelegation>,
    /// `<prefix>request_total`.
    metric: String,
    /// `cluster="<name>"`, when a cluster was given.
    cluster_matcher: Option<String>,
    targets: Vec<TargetView>,
}

/// The bundle's binding of the endpoint picker's ServiceAccount to `system:auth-delegator`.
struct AuthDelegation {
    binding: String,
    namespace: String,
    service_account: String,
    /// `system:serviceaccount:<namespace>:<name>`.
    subject: String,
}

/// One scrape endpoint of one (Cluster)PodMonitoring, with the identity whose token it uses.
struct TargetView {
    kind: &'static str,
    /// The kind as `kubectl get` takes it.
    resource: String,
    name: String,
    /// The namespace of the pods, where known (always for a PodMonitoring).
    namespace: Option<String>,
    /// The monitoring object's own namespace; `None` for a ClusterPodMonitoring.
    object_namespace: Option<String>,
    /// The pods, in `kubectl get -l` syntax.
    selector: String,
    port: String,
    path: String,
    scheme: &'static str,
    url: String,
    secret_namespace: String,
    secret: String,
    /// `{.data.<key>}`: the token's key in the Secret.
    token_jsonpath: String,
    service_account: String,
    /// `system:serviceaccount:<namespace>:<reader>`.
    reader: String,
    secret_reader_role: (&'static str, String),
    secret_reader_binding: (&'static str, String),
    /// The PromQL query, with the namespace matcher when the namespace is known.
    query: String,
}

impl View {
    fn new(bundle: &Bundle, cluster: Option<&str>) -> Result<Self, Error> {
        let cluster_matcher = cluster
            .map(|cluster| {
                check_cluster(cluster)?;
                // A JSON string is a valid PromQL string literal (Go's escapes).
                Ok::<_, Error>(format!("cluster={}", serde_json::to_string(cluster)?))
            })
            .transpose()?;
        let metric = format!("{}request_total", bundle.metric_prefix());
        let collector_namespace = bundle.flavor().collector_namespace();
        let mut targets = Vec::new();
        for (monitoring, pods_namespace) in
            bundle.monitorings().iter().zip(bundle.pods_namespaces())
        {
            let (object, namespace, selector, endpoints) = match monitoring {
                Monitoring::Cluster(m) => (
                    Object::ClusterPodMonitoring(m),
                    pods_namespace.clone(),
                    &m.spec.selector,
                    &m.spec.endpoints,
                ),
                Monitoring::Pod(m) => (
                    Object::PodMonitoring(m),
                    m.metadata.namespace.clone(),
                    &m.spec.selector,
                    &m.spec.endpoints,
                ),
            };
            for endpoint in endpoints {
                let credentials = endpoint
                    .authorization
                    .as_ref()
                    .and_then(|a| a.credentials.as_ref())
                    .and_then(|c| c.secret.as_ref());
                let Some(identity) = identity_for(bundle, credentials, namespace.as_deref()) else {
                    continue;
                };
                targets.push(TargetView::new(
                    TargetParts {
                        object,
                        namespace: namespace.clone(),
                        selector,
                        endpoint,
                        token_key: credentials.map_or(TOKEN_KEY, |c| c.key.as_str()),
                        identity,
                    },
                    &metric,
                    cluster_matcher.as_deref(),
                ));
            }
        }
        let auth_delegation = bundle.auth_delegation().and_then(|binding| {
            let subject = binding.subjects.as_deref()?.first()?;
            let namespace = subject.namespace.clone().unwrap_or_default();
            Some(AuthDelegation {
                binding: name(&binding.metadata),
                subject: format!("system:serviceaccount:{namespace}:{}", subject.name),
                namespace,
                service_account: subject.name.clone(),
            })
        });
        Ok(Self {
            local_port: LOCAL_PORT,
            collector: format!(
                "system:serviceaccount:{collector_namespace}:{COLLECTOR_SERVICE_ACCOUNT}"
            ),
            collector_namespace,
            reader_role: name(&bundle.reader_role().metadata),
            reader_binding: name(&bundle.reader_binding().metadata),
            auth_delegation,
            metric,
            cluster_matcher,
            targets,
        })
    }
}

/// What one target is made of, borrowed from the bundle.
struct TargetParts<'a> {
    object: Object<'a>,
    namespace: Option<String>,
    selector: &'a LabelSelector,
    endpoint: &'a ScrapeEndpoint,
    token_key: &'a str,
    identity: &'a ReaderIdentity,
}

impl TargetView {
    fn new(parts: TargetParts<'_>, metric: &str, cluster_matcher: Option<&str>) -> Self {
        let TargetParts {
            object,
            namespace,
            selector,
            endpoint,
            token_key,
            identity,
        } = parts;
        let scheme = endpoint.scheme.unwrap_or(gmp_types::Scheme::Http);
        let path = endpoint
            .path
            .clone()
            .unwrap_or_else(|| "/metrics".to_owned());
        let secret_namespace = identity
            .token_secret
            .metadata
            .namespace
            .clone()
            .unwrap_or_default();
        let service_account = name(&identity.service_account.metadata);
        let [role, binding] = identity.secret_reader.objects();
        let mut matchers: Vec<String> = cluster_matcher.map(str::to_owned).into_iter().collect();
        if let Some(ns) = &namespace {
            matchers.push(format!("namespace=\"{ns}\""));
        }
        let query = if matchers.is_empty() {
            metric.to_owned()
        } else {
            format!("{metric}{{{}}}", matchers.join(", "))
        };
        Self {
            kind: object.kind(),
            resource: object.kind().to_ascii_lowercase(),
            name: name(object.metadata()),
            object_namespace: object.metadata().namespace.clone(),
            namespace,
            selector: KubectlSelector(selector).to_string(),
            port: match &endpoint.port {
                IntOrString::Int(n) => n.to_string(),
                IntOrString::String(s) => s.clone(),
            },
            scheme: scheme.as_str(),
            url: format!("{scheme}://localhost:{LOCAL_PORT}{path}"),
            path,
            token_jsonpath: format!("{{.data.{token_key}}}"),
            reader: format!("system:serviceaccount:{secret_namespace}:{service_account}"),
            secret: name(&identity.token_secret.metadata),
            secret_namespace,
            service_account,
            secret_reader_role: (role.kind(), name(role.metadata())),
            secret_reader_binding: (binding.kind(), name(binding.metadata())),
            query,
        }
    }
}

/// The reader identity whose token Secret `credentials` names (in `own_namespace` when it names
/// none, as for a PodMonitoring); the first one if none matches.
fn identity_for<'a>(
    bundle: &'a Bundle,
    credentials: Option<&SecretKeySelector>,
    own_namespace: Option<&str>,
) -> Option<&'a ReaderIdentity> {
    let wanted = credentials.map(|c| (c.name.as_str(), c.namespace.as_deref().or(own_namespace)));
    bundle
        .identities()
        .iter()
        .find(|identity| {
            let meta = &identity.token_secret.metadata;
            wanted == Some((name_str(meta), meta.namespace.as_deref()))
        })
        .or_else(|| bundle.identities().first())
}

/// Refuses a cluster name no PromQL matcher or shell word should carry.
fn check_cluster(cluster: &str) -> Result<(), Error> {
    let rule = if cluster.is_empty() {
        "must not be empty"
    } else if cluster.chars().any(char::is_control) {
        "must not contain control characters"
    } else {
        return Ok(());
    };
    Err(Error::Invalid(Problems(vec![Problem {
        field: "cluster".to_owned(),
        value: cluster.to_owned(),
        rule: rule.to_owned(),
    }])))
}

fn name(meta: &ObjectMeta) -> String {
    name_str(meta).to_owned()
}

fn name_str(meta: &ObjectMeta) -> &str {
    meta.name.as_deref().unwrap_or_default()
}

/// A Kubernetes label selector in `kubectl get -l` syntax, in the canonical form of
/// [`crate::selector_syntax`]: `matchLabels` in key order, then the expressions in order.
struct KubectlSelector<'a>(&'a LabelSelector);

impl fmt::Display for KubectlSelector<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut separator = "";
        for (key, value) in self.0.match_labels.iter().flatten() {
            write!(f, "{separator}{key}={value}")?;
            separator = ",";
        }
        for requirement in self.0.match_expressions.iter().flatten() {
            let key = &requirement.key;
            let values = requirement.values.as_deref().unwrap_or_default().join(",");
            match requirement.operator.as_str() {
                "Exists" => write!(f, "{separator}{key}")?,
                "DoesNotExist" => write!(f, "{separator}!{key}")?,
                "In" => write!(f, "{separator}{key} in ({values})")?,
                "NotIn" => write!(f, "{separator}{key} notin ({values})")?,
                other => write!(f, "{separator}{key} {other} ({values})")?,
            }
            separator = ",";
        }
        Ok(())
    }
}

mod filters {
    use askama::filters::Safe;

    /// One shell word: the value as is when the shell reads it back unchanged, else quoted by
    /// shlex. Fails (rather than writing a broken script) on a NUL byte, which no word can hold.
    #[askama::filter_fn]
    pub fn sh(
        value: impl std::fmt::Display,
        _: &dyn askama::Values,
    ) -> askama::Result<Safe<String>> {
        let value = value.to_string();
        shlex::try_quote(&value)
            .map(|quoted| Safe(quoted.into_owned()))
            .map_err(|e| askama::Error::Custom(Box::new(e)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::options::{LabelSelector as Selector, SelectorRequirement};

    /// The selector text parses back (with the crate's kubectl-syntax parser) as the selector.
    #[test]
    fn selector_text_is_the_canonical_kubectl_syntax() -> Result<(), Box<dyn std::error::Error>> {
        let selector = Selector::default()
            .match_label("app", "x")
            .match_label("a.example.com/b", "0777")
            .match_expression(SelectorRequirement::is_in("tier", ["a", "b"]))
            .match_expression(SelectorRequirement::not_in("track", ["canary"]))
            .match_expression(SelectorRequirement::exists("present"))
            .match_expression(SelectorRequirement::does_not_exist("debug"));
        let bundle = Bundle::builder().selector(selector.clone()).build()?;
        let Monitoring::Cluster(m) = &bundle.monitorings()[0] else {
            return Err("expected a ClusterPodMonitoring".into());
        };
        let text = KubectlSelector(&m.spec.selector).to_string();
        assert_eq!(text, selector.to_string());
        assert_eq!(text.parse::<Selector>()?, selector);
        Ok(())
    }

    /// Every value in the script template goes through the `sh` filter.
    #[test]
    fn every_script_value_is_shell_quoted() {
        let template = include_str!("../templates/verify.sh");
        let mut rest = template;
        while let Some(start) = rest.find("{{") {
            let end = rest[start..]
                .find("}}")
                .map_or(rest.len(), |e| start + e + 2);
            let expression = &rest[start..end];
            assert!(
                expression
                    .trim_end_matches("}}")
                    .trim_end()
                    .ends_with("|sh"),
                "not shell-quoted: {expression}"
            );
            rest = &rest[end..];
        }
    }

    #[test]
    fn bad_cluster_names_are_refused_with_their_field() {
        for cluster in ["", "a\nb", "a\0b"] {
            let options = VerifyOptions {
                cluster: Some(cluster.to_owned()),
                format: VerifyFormat::Script,
            };
            let result = Bundle::builder().build().map(|b| b.verify(&options));
            assert!(
                matches!(result, Ok(Err(Error::Invalid(ref p))) if p.mentions("cluster")),
                "{cluster:?}: {result:?}"
            );
        }
    }
}
