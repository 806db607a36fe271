//! The scrape chain, checked on any set of objects: what this crate renders, what Kustomize
//! makes of it, or what a cluster holds. Nothing in Kubernetes warns when a link is missing (GMP
//! just skips the scrape), so the links are checked here:
//!
//! 1. each (Cluster)PodMonitoring endpoint's secret exists in the namespace the reference names;
//! 2. it is a service-account-token Secret whose annotation names a ServiceAccount beside it;
//! 3. that ServiceAccount is bound to a ClusterRole granting `get` on the endpoint's path;
//! 4. GMP's collector can `get`, `list` and `watch` that Secret and every Secret of the
//!    endpoint's `tls` block (CA, client certificate and key: the user's, so only referenced,
//!    in the namespace the monitoring's kind reads them from, `cert` and `key` together), and
//!    no Secret beyond the referenced ones;
//! 5. every binding's `roleRef` resolves, and cluster-scoped objects carry no namespace.
//!
//! A prometheus-operator PodMonitor's or ServiceMonitor's chain is links 1 to 3 with its Secret
//! in the monitor's own namespace (the operator reads Secrets from there, with its own rights, so
//! there is no collector grant to check), and `tlsConfig`'s `cert` and `keySecret` together.

use std::collections::BTreeMap;

use gmp_types::{ScrapeEndpoint, SecretKeySelector};
use k8s_openapi::api::core::v1::{Secret, ServiceAccount};
use k8s_openapi::api::rbac::v1::{PolicyRule, RoleRef, Subject};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use prometheus_operator_types::{SafeAuthorization, SafeTlsConfig};

use crate::kinds::{Object, ObjectRef, ServiceAccountRef};
use crate::objects::bundle::{SERVICE_ACCOUNT_ANNOTATION, subject};
use crate::options::COLLECTOR_SERVICE_ACCOUNT;
use crate::plan::AUTH_DELEGATOR;

/// ClusterRoles the API server creates in every cluster, which a bundle may bind without holding.
const BUILT_IN_CLUSTER_ROLES: [&str; 1] = [AUTH_DELEGATOR];

/// What [`broken_links`] reports when the objects hold nothing that scrapes.
pub const NO_MONITORING: &str =
    "no ClusterPodMonitoring, PodMonitoring, PodMonitor or ServiceMonitor";

/// The RBAC subject naming ServiceAccount `name` in `namespace`.
fn service_account_subject(name: &str, namespace: &str) -> Subject {
    subject(&ServiceAccountRef::new(namespace, name))
}

/// One broken link of the scrape chain: where it breaks and why. Written as
/// `Kind "name": rule`, `Kind "name" endpoint N: rule`, or the rule alone when it is about
/// the objects as a whole.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BrokenLink {
    /// The object where the chain breaks; `None` when it is the objects as a whole (no
    /// monitoring at all, a grant wider than any endpoint needs).
    pub object: Option<ObjectRef>,
    /// The monitoring endpoint (by index) whose chain breaks, when it is one endpoint's.
    pub endpoint: Option<usize>,
    /// What is broken.
    pub rule: String,
}

impl BrokenLink {
    fn at(object: &Object<'_>, endpoint: Option<usize>, rule: String) -> Self {
        Self {
            object: Some(ObjectRef::of(object.kind().as_str(), object.metadata())),
            endpoint,
            rule,
        }
    }

    fn whole(rule: String) -> Self {
        Self {
            object: None,
            endpoint: None,
            rule,
        }
    }

    /// Where it breaks, as written before the rule (`Kind "name"`, `Kind "name" endpoint N`);
    /// `None` for the objects as a whole.
    pub fn place(&self) -> Option<String> {
        let object = self.object.as_ref()?;
        Some(match self.endpoint {
            Some(i) => format!("{} {:?} endpoint {i}", object.kind, object.name),
            None => format!("{} {:?}", object.kind, object.name),
        })
    }
}

impl std::fmt::Display for BrokenLink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.place() {
            Some(place) => write!(f, "{place}: {}", self.rule),
            None => f.write_str(&self.rule),
        }
    }
}

/// Every broken link of the scrape chain among `resources`, for a cluster whose GMP collector
/// runs in `collector_namespace`; empty when the chain is closed for every endpoint.
pub fn broken_links<'a>(
    objects: impl IntoIterator<Item = impl Into<Object<'a>>>,
    collector_namespace: &str,
) -> Vec<BrokenLink> {
    let objects: Vec<Object<'a>> = objects.into_iter().map(Into::into).collect();
    let index = Index::new(&objects);
    let mut broken = Vec::new();
    for object in &objects {
        let meta = object.metadata();
        match (object.kind().is_cluster_scoped(), &meta.namespace) {
            (true, Some(ns)) => broken.push(BrokenLink::at(
                object,
                None,
                format!("cluster-scoped but has namespace {ns:?}"),
            )),
            (false, None) => broken.push(BrokenLink::at(
                object,
                None,
                "namespaced but has no namespace".to_owned(),
            )),
            _ => {}
        }
        if let Some(role_ref) = role_ref(object) {
            let binding_ns = meta.namespace.as_deref();
            if index.role(role_ref, binding_ns).is_none() {
                broken.push(BrokenLink::at(
                    object,
                    None,
                    format!(
                        "roleRef {} {:?} does not resolve",
                        role_ref.kind, role_ref.name
                    ),
                ));
            }
        }
    }
    let mut any = false;
    for object in &objects {
        let mut judge = |i: usize, chain: Result<(), String>| {
            if let Err(link) = chain {
                broken.push(BrokenLink::at(object, Some(i), link));
            }
        };
        match object {
            Object::ClusterPodMonitoring(m) => {
                (m.spec.endpoints.iter().enumerate()).for_each(|(i, e)| {
                    judge(
                        i,
                        endpoint_chain(&index, e, &m.metadata, true, collector_namespace),
                    )
                })
            }
            Object::PodMonitoring(m) => (m.spec.endpoints.iter().enumerate()).for_each(|(i, e)| {
                judge(
                    i,
                    endpoint_chain(&index, e, &m.metadata, false, collector_namespace),
                )
            }),
            Object::PodMonitor(m) => {
                (m.spec.pod_metrics_endpoints.iter().enumerate()).for_each(|(i, e)| {
                    let client = OperatorClient::new(&e.authorization, &e.path, &e.tls_config);
                    judge(i, operator_chain(&index, client, &m.metadata))
                })
            }
            Object::ServiceMonitor(m) => {
                (m.spec.endpoints.iter().enumerate()).for_each(|(i, e)| {
                    let client = OperatorClient::new(&e.authorization, &e.path, &e.tls_config);
                    judge(i, operator_chain(&index, client, &m.metadata))
                })
            }
            _ => continue,
        }
        any = true;
    }
    if !any {
        broken.push(BrokenLink::whole(NO_MONITORING.to_owned()));
    }
    broken.extend(
        excess_secret_grants(&objects, collector_namespace)
            .into_iter()
            .map(BrokenLink::whole),
    );
    broken
}

/// Grants that let the collector read Secrets no endpoint references: the scrape needs exactly
/// the referenced ones, and more is a wider grant than anyone asked for.
fn excess_secret_grants(objects: &[Object<'_>], collector_namespace: &str) -> Vec<String> {
    let referenced: Vec<&str> = objects
        .iter()
        .filter_map(|o| match o {
            Object::ClusterPodMonitoring(m) => Some(&m.spec.endpoints),
            Object::PodMonitoring(m) => Some(&m.spec.endpoints),
            _ => None,
        })
        .flatten()
        .flat_map(|e| {
            e.authorization_secret()
                .into_iter()
                .chain(tls_secrets(e).map(|(_, s)| s))
        })
        .map(|s| s.name.as_str())
        .collect();
    let collector = service_account_subject(COLLECTOR_SERVICE_ACCOUNT, collector_namespace);
    let index = Index::new(objects);
    index
        .bound_rules(&collector, None)
        .chain(
            objects
                .iter()
                .filter_map(|o| o.metadata().namespace.as_deref())
                .flat_map(|ns| index.bound_rules(&collector, Some(ns))),
        )
        .filter(|rule| has(rule.resources.as_deref().unwrap_or_default(), "secrets"))
        .filter(|rule| {
            let names = rule.resource_names.as_deref().unwrap_or_default();
            names.is_empty() || names.iter().any(|n| !referenced.contains(&n.as_str()))
        })
        .map(|rule| {
            format!(
                "the collector may read Secrets no endpoint references (resourceNames {:?})",
                rule.resource_names.as_deref().unwrap_or_default()
            )
        })
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect()
}

/// The chain of one endpoint, up to its first broken link.
fn endpoint_chain(
    index: &Index<'_>,
    endpoint: &ScrapeEndpoint,
    monitoring: &ObjectMeta,
    cluster: bool,
    collector_namespace: &str,
) -> Result<(), String> {
    let secret_ref = endpoint
        .authorization_secret()
        .ok_or("no authorization secret")?;
    let namespace = secret_namespace(secret_ref, monitoring, cluster)?;
    let path = endpoint.path.as_deref().unwrap_or("/metrics");
    token_chain(index, namespace, &secret_ref.name, path)?;
    let collector = service_account_subject(COLLECTOR_SERVICE_ACCOUNT, collector_namespace);
    let readable = index
        .rules_in(&collector, namespace)
        .any(|rule| grants_secret_read(rule, &secret_ref.name));
    if !readable {
        return Err(format!(
            "the collector ({collector_namespace}/{COLLECTOR_SERVICE_ACCOUNT}) may not get, list and watch Secret {namespace}/{}",
            secret_ref.name
        ));
    }
    tls_chain(index, endpoint, monitoring, cluster, &collector)
}

/// What the chain reads of a prometheus-operator endpoint, a PodMonitor's or a ServiceMonitor's.
#[derive(Clone, Copy)]
struct OperatorClient<'e> {
    authorization: Option<&'e SafeAuthorization>,
    path: Option<&'e str>,
    tls: Option<&'e SafeTlsConfig>,
}

impl<'e> OperatorClient<'e> {
    fn new(
        authorization: &'e Option<SafeAuthorization>,
        path: &'e Option<String>,
        tls: &'e Option<SafeTlsConfig>,
    ) -> Self {
        Self {
            authorization: authorization.as_ref(),
            path: path.as_deref(),
            tls: tls.as_ref(),
        }
    }
}

/// The chain of one PodMonitor or ServiceMonitor endpoint, up to its first broken link: the
/// token Secret is read from the monitor's namespace, by the operator.
fn operator_chain(
    index: &Index<'_>,
    endpoint: OperatorClient<'_>,
    monitor: &ObjectMeta,
) -> Result<(), String> {
    let secret = endpoint
        .authorization
        .and_then(|a| a.credentials.as_ref())
        .ok_or("no authorization credentials")?;
    let namespace = monitor.namespace.as_deref().unwrap_or("default");
    let path = endpoint.path.unwrap_or("/metrics");
    token_chain(index, namespace, &secret.name, path)?;
    if let Some(tls) = endpoint.tls
        && tls.cert.is_some() != tls.key_secret.is_some()
    {
        return Err(
            "tlsConfig has only one of cert and keySecret (the operator requires both)".to_owned(),
        );
    }
    Ok(())
}

/// Links 1 to 3: Secret `name` exists in `namespace`, is a token Secret of a ServiceAccount
/// beside it, and that account may get `path`.
fn token_chain(index: &Index<'_>, namespace: &str, name: &str, path: &str) -> Result<(), String> {
    let secret = index
        .secrets
        .get(&(namespace, name))
        .ok_or_else(|| format!("Secret {namespace}/{name} does not exist"))?;
    if secret.type_.as_deref() != Some("kubernetes.io/service-account-token") {
        return Err(format!(
            "Secret {namespace}/{name} is not a service-account-token Secret"
        ));
    }
    let account = secret
        .metadata
        .annotations
        .as_ref()
        .and_then(|a| a.get(SERVICE_ACCOUNT_ANNOTATION))
        .ok_or_else(|| {
            format!("Secret {namespace}/{name} has no {SERVICE_ACCOUNT_ANNOTATION} annotation")
        })?;
    if !index.accounts.contains_key(&(namespace, account.as_str())) {
        return Err(format!(
            "ServiceAccount {namespace}/{account} named by the Secret does not exist"
        ));
    }
    let reader = service_account_subject(account, namespace);
    // Non-resource URLs can only be granted cluster-wide.
    if !index
        .cluster_rules_for(&reader)
        .any(|rule| grants_url(rule, path))
    {
        return Err(format!(
            "ServiceAccount {namespace}/{account} may not get {path}"
        ));
    }
    Ok(())
}

/// The Secrets of an endpoint's `tls` block, by field: `ca`, `cert`, `key`.
fn tls_secrets(
    endpoint: &ScrapeEndpoint,
) -> impl Iterator<Item = (&'static str, &SecretKeySelector)> {
    endpoint.tls.iter().flat_map(|tls| {
        [("ca", &tls.ca), ("cert", &tls.cert), ("key", &tls.key)]
            .into_iter()
            .filter_map(|(field, s)| Some((field, s.as_ref()?.secret.as_ref()?)))
    })
}

/// The TLS links of one endpoint: the Secrets are the user's (not among the objects), so
/// each needs only its namespace right and the collector's grant.
fn tls_chain(
    index: &Index<'_>,
    endpoint: &ScrapeEndpoint,
    monitoring: &ObjectMeta,
    cluster: bool,
    collector: &Subject,
) -> Result<(), String> {
    if let Some(tls) = &endpoint.tls
        && tls.cert.is_some() != tls.key.is_some()
    {
        return Err("tls has only one of cert and key (GMP requires both)".to_owned());
    }
    for (field, secret_ref) in tls_secrets(endpoint) {
        let namespace = secret_namespace(secret_ref, monitoring, cluster)
            .map_err(|e| format!("tls.{field}: {e}"))?;
        if !index
            .rules_in(collector, namespace)
            .any(|rule| grants_secret_read(rule, &secret_ref.name))
        {
            return Err(format!(
                "the collector ({}/{}) may not get, list and watch Secret {namespace}/{} (tls.{field})",
                collector.namespace.as_deref().unwrap_or_default(),
                collector.name,
                secret_ref.name
            ));
        }
    }
    Ok(())
}

/// The namespace a Secret reference is read from, as GMP reads it for the monitoring's kind.
fn secret_namespace<'o>(
    secret_ref: &'o SecretKeySelector,
    monitoring: &'o ObjectMeta,
    cluster: bool,
) -> Result<&'o str, String> {
    match (cluster, &secret_ref.namespace) {
        (true, Some(ns)) => Ok(ns.as_str()),
        (true, None) => {
            Err("secret reference without namespace (GMP reads it from `default`)".to_owned())
        }
        (false, Some(_)) => {
            Err("PodMonitoring secret reference names a namespace (GMP rejects it)".to_owned())
        }
        (false, None) => Ok(monitoring.namespace.as_deref().unwrap_or_default()),
    }
}

fn name(meta: &ObjectMeta) -> &str {
    meta.name.as_deref().unwrap_or_default()
}

fn role_ref<'o>(object: &'o Object<'_>) -> Option<&'o RoleRef> {
    match object {
        Object::ClusterRoleBinding(b) => Some(&b.role_ref),
        Object::RoleBinding(b) => Some(&b.role_ref),
        _ => None,
    }
}

fn subjects<'o>(object: &'o Object<'_>) -> &'o [Subject] {
    match object {
        Object::ClusterRoleBinding(b) => b.subjects.as_deref().unwrap_or_default(),
        Object::RoleBinding(b) => b.subjects.as_deref().unwrap_or_default(),
        _ => &[],
    }
}

fn is(subject: &Subject, who: &Subject) -> bool {
    subject.kind == who.kind && subject.name == who.name && subject.namespace == who.namespace
}

fn has(list: &[String], wanted: &str) -> bool {
    list.iter().any(|v| v == wanted || v == "*")
}

fn grants_url(rule: &PolicyRule, path: &str) -> bool {
    let urls = rule.non_resource_urls.as_deref().unwrap_or_default();
    has(&rule.verbs, "get")
        && urls.iter().any(|url| {
            url == path
                || url
                    .strip_suffix('*')
                    .is_some_and(|stem| path.starts_with(stem))
        })
}

fn grants_secret_read(rule: &PolicyRule, secret: &str) -> bool {
    let names = rule.resource_names.as_deref().unwrap_or_default();
    has(rule.api_groups.as_deref().unwrap_or_default(), "")
        && has(rule.resources.as_deref().unwrap_or_default(), "secrets")
        && (names.is_empty() || names.iter().any(|n| n == secret))
        && ["get", "list", "watch"]
            .iter()
            .all(|verb| has(&rule.verbs, verb))
}

/// The objects by what looks them up.
struct Index<'a> {
    objects: &'a [Object<'a>],
    secrets: BTreeMap<(&'a str, &'a str), &'a Secret>,
    accounts: BTreeMap<(&'a str, &'a str), &'a ServiceAccount>,
}

impl<'a> Index<'a> {
    fn new(objects: &'a [Object<'a>]) -> Self {
        let key =
            |meta: &'a ObjectMeta| (meta.namespace.as_deref().unwrap_or_default(), name(meta));
        let mut index = Self {
            objects,
            secrets: BTreeMap::new(),
            accounts: BTreeMap::new(),
        };
        for object in objects {
            match object {
                Object::Secret(s) => {
                    index.secrets.insert(key(&s.metadata), s.as_ref());
                }
                Object::ServiceAccount(a) => {
                    index.accounts.insert(key(&a.metadata), a.as_ref());
                }
                _ => {}
            }
        }
        index
    }

    /// The rules a roleRef points at: a ClusterRole, or a Role in the binding's namespace.
    /// ClusterRoles every cluster has resolve too, with no rules this check relies on.
    fn role(&self, role_ref: &RoleRef, binding_ns: Option<&str>) -> Option<&'a [PolicyRule]> {
        if role_ref.kind == "ClusterRole"
            && BUILT_IN_CLUSTER_ROLES.contains(&role_ref.name.as_str())
        {
            return Some(&[]);
        }
        self.objects
            .iter()
            .find_map(|o| match (o, role_ref.kind.as_str()) {
                (Object::ClusterRole(c), "ClusterRole") if name(&c.metadata) == role_ref.name => {
                    Some(c.rules.as_deref().unwrap_or_default())
                }
                (Object::Role(c), "Role")
                    if name(&c.metadata) == role_ref.name
                        && c.metadata.namespace.as_deref() == binding_ns =>
                {
                    Some(c.rules.as_deref().unwrap_or_default())
                }
                _ => None,
            })
    }

    /// Rules bound to `who` cluster-wide.
    fn cluster_rules_for(&self, who: &'a Subject) -> impl Iterator<Item = &'a PolicyRule> + '_ {
        self.bound_rules(who, None)
    }

    /// Rules bound to `who` that apply in `namespace`: cluster-wide ones and that namespace's.
    fn rules_in(
        &self,
        who: &'a Subject,
        namespace: &'a str,
    ) -> impl Iterator<Item = &'a PolicyRule> + '_ {
        self.bound_rules(who, Some(namespace))
    }

    fn bound_rules(
        &self,
        who: &'a Subject,
        namespace: Option<&'a str>,
    ) -> impl Iterator<Item = &'a PolicyRule> + '_ {
        self.objects
            .iter()
            .filter(move |o| match o {
                Object::ClusterRoleBinding(_) => true,
                Object::RoleBinding(b) => {
                    namespace.is_some() && b.metadata.namespace.as_deref() == namespace
                }
                _ => false,
            })
            .filter(move |o| subjects(o).iter().any(|s| is(s, who)))
            .filter_map(move |o| {
                let role_ref = role_ref(o)?;
                self.role(role_ref, o.metadata().namespace.as_deref())
            })
            .flatten()
    }
}

impl crate::objects::bundle::Bundle {
    /// Every broken link of this bundle's scrape chain (see [`broken_links`]) on its cluster
    /// flavor; always empty for a bundle this crate built, which its tests prove.
    pub fn broken_links(&self) -> Vec<BrokenLink> {
        let collector = self.plan().collector();
        broken_links(
            self.objects(),
            collector.map_or("", |c| c.namespace.as_str()),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Where a link breaks is data, not text to split: a binding name holding `: ` (RBAC names
    /// may) stays whole.
    #[test]
    fn a_broken_link_keeps_its_object_whole() -> Result<(), serde_json::Error> {
        let binding: Object<'static> = serde_json::from_value(serde_json::json!({
            "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding",
            "metadata": {"name": "a: b"},
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "missing"},
            "subjects": []
        }))?;
        let broken = broken_links([binding], "gmp-system");
        let link = broken
            .iter()
            .find(|l| l.rule.contains("does not resolve"))
            .cloned()
            .unwrap_or_else(|| BrokenLink::whole(format!("{broken:?}")));
        assert_eq!(
            link.place().as_deref(),
            Some(r#"ClusterRoleBinding "a: b""#)
        );
        assert_eq!(
            link.rule,
            r#"roleRef ClusterRole "missing" does not resolve"#
        );
        assert_eq!(
            link.to_string(),
            r#"ClusterRoleBinding "a: b": roleRef ClusterRole "missing" does not resolve"#
        );
        assert!(
            broken
                .iter()
                .any(|l| l.object.is_none() && l.to_string() == NO_MONITORING)
        );
        Ok(())
    }
}
