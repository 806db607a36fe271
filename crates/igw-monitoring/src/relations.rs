//! The scrape chain, checked on any set of objects: what this crate renders, what Kustomize
//! makes of it, or what a cluster holds. Nothing in Kubernetes warns when a link is missing (GMP
//! just skips the scrape), so the links are checked here:
//!
//! 1. each (Cluster)PodMonitoring endpoint's secret exists in the namespace the reference names;
//! 2. it is a service-account-token Secret whose annotation names a ServiceAccount beside it;
//! 3. that ServiceAccount is bound to a ClusterRole granting `get` on the endpoint's path;
//! 4. GMP's collector can `get`, `list` and `watch` that Secret;
//! 5. every binding's `roleRef` resolves, and cluster-scoped objects carry no namespace.

use std::collections::BTreeMap;

use gmp_types::{ClusterPodMonitoring, PodMonitoring, ScrapeEndpoint};
use k8s_openapi::api::core::v1::{Secret, ServiceAccount};
use k8s_openapi::api::rbac::v1::{
    ClusterRole, ClusterRoleBinding, PolicyRule, Role, RoleBinding, RoleRef, Subject,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use serde::Deserialize;

use crate::bundle::Object;
use crate::options::COLLECTOR_SERVICE_ACCOUNT;
use crate::validate::SERVICE_ACCOUNT_ANNOTATION;

/// One object of the kinds the chain is made of, read from YAML or JSON by its `kind`.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(tag = "kind")]
#[allow(clippy::large_enum_variant)] // read once per object; boxing would only add noise
pub enum Resource {
    /// A ClusterRole.
    ClusterRole(ClusterRole),
    /// A namespaced Role.
    Role(Role),
    /// A ServiceAccount.
    ServiceAccount(ServiceAccount),
    /// A ClusterRoleBinding.
    ClusterRoleBinding(ClusterRoleBinding),
    /// A namespaced RoleBinding.
    RoleBinding(RoleBinding),
    /// A Secret.
    Secret(Secret),
    /// A ClusterPodMonitoring.
    ClusterPodMonitoring(ClusterPodMonitoring),
    /// A PodMonitoring.
    PodMonitoring(PodMonitoring),
}

impl From<Object<'_>> for Resource {
    fn from(object: Object<'_>) -> Self {
        match object {
            Object::ClusterRole(o) => Self::ClusterRole(o.clone()),
            Object::ServiceAccount(o) => Self::ServiceAccount(o.clone()),
            Object::ClusterRoleBinding(o) => Self::ClusterRoleBinding(o.clone()),
            Object::Secret(o) => Self::Secret(o.clone()),
            Object::ClusterPodMonitoring(o) => Self::ClusterPodMonitoring(o.clone()),
        }
    }
}

impl Resource {
    fn metadata(&self) -> &ObjectMeta {
        match self {
            Self::ClusterRole(o) => &o.metadata,
            Self::Role(o) => &o.metadata,
            Self::ServiceAccount(o) => &o.metadata,
            Self::ClusterRoleBinding(o) => &o.metadata,
            Self::RoleBinding(o) => &o.metadata,
            Self::Secret(o) => &o.metadata,
            Self::ClusterPodMonitoring(o) => &o.metadata,
            Self::PodMonitoring(o) => &o.metadata,
        }
    }

    fn kind(&self) -> &'static str {
        match self {
            Self::ClusterRole(_) => "ClusterRole",
            Self::Role(_) => "Role",
            Self::ServiceAccount(_) => "ServiceAccount",
            Self::ClusterRoleBinding(_) => "ClusterRoleBinding",
            Self::RoleBinding(_) => "RoleBinding",
            Self::Secret(_) => "Secret",
            Self::ClusterPodMonitoring(_) => "ClusterPodMonitoring",
            Self::PodMonitoring(_) => "PodMonitoring",
        }
    }

    fn cluster_scoped(&self) -> bool {
        matches!(
            self,
            Self::ClusterRole(_) | Self::ClusterRoleBinding(_) | Self::ClusterPodMonitoring(_)
        )
    }
}

/// Every broken link of the scrape chain among `resources`, for a cluster whose GMP collector
/// runs in `collector_namespace`; empty when the chain is closed for every endpoint.
pub fn broken_links(resources: &[Resource], collector_namespace: &str) -> Vec<String> {
    let index = Index::new(resources);
    let mut broken = Vec::new();
    for resource in resources {
        let meta = resource.metadata();
        let what = format!("{} {:?}", resource.kind(), name(meta));
        match (resource.cluster_scoped(), &meta.namespace) {
            (true, Some(ns)) => {
                broken.push(format!("{what}: cluster-scoped but has namespace {ns:?}"))
            }
            (false, None) => broken.push(format!("{what}: namespaced but has no namespace")),
            _ => {}
        }
        if let Some(role_ref) = role_ref(resource) {
            let binding_ns = meta.namespace.as_deref();
            if index.role(role_ref, binding_ns).is_none() {
                broken.push(format!(
                    "{what}: roleRef {} {:?} does not resolve",
                    role_ref.kind, role_ref.name
                ));
            }
        }
    }
    let monitorings = resources.iter().filter_map(|r| match r {
        Resource::ClusterPodMonitoring(m) => Some((&m.metadata, &m.spec.endpoints, true)),
        Resource::PodMonitoring(m) => Some((&m.metadata, &m.spec.endpoints, false)),
        _ => None,
    });
    let mut any = false;
    for (meta, endpoints, cluster) in monitorings {
        any = true;
        for (i, endpoint) in endpoints.iter().enumerate() {
            let what = format!(
                "{} {:?} endpoint {i}",
                if cluster {
                    "ClusterPodMonitoring"
                } else {
                    "PodMonitoring"
                },
                name(meta)
            );
            if let Err(link) = endpoint_chain(&index, endpoint, meta, cluster, collector_namespace)
            {
                broken.push(format!("{what}: {link}"));
            }
        }
    }
    if !any {
        broken.push("no ClusterPodMonitoring or PodMonitoring".to_owned());
    }
    broken
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
        .authorization
        .as_ref()
        .and_then(|a| a.credentials.as_ref())
        .and_then(|c| c.secret.as_ref())
        .ok_or("no authorization secret")?;
    let namespace = match (cluster, &secret_ref.namespace) {
        (true, Some(ns)) => ns.as_str(),
        (true, None) => {
            return Err(
                "secret reference without namespace (GMP reads it from `default`)".to_owned(),
            );
        }
        (false, Some(_)) => {
            return Err(
                "PodMonitoring secret reference names a namespace (GMP rejects it)".to_owned(),
            );
        }
        (false, None) => monitoring.namespace.as_deref().unwrap_or_default(),
    };
    let secret = index
        .secrets
        .get(&(namespace, secret_ref.name.as_str()))
        .ok_or_else(|| format!("Secret {namespace}/{} does not exist", secret_ref.name))?;
    if secret.type_.as_deref() != Some("kubernetes.io/service-account-token") {
        return Err(format!(
            "Secret {namespace}/{} is not a service-account-token Secret",
            secret_ref.name
        ));
    }
    let account = secret
        .metadata
        .annotations
        .as_ref()
        .and_then(|a| a.get(SERVICE_ACCOUNT_ANNOTATION))
        .ok_or_else(|| {
            format!(
                "Secret {namespace}/{} has no {SERVICE_ACCOUNT_ANNOTATION} annotation",
                secret_ref.name
            )
        })?;
    if !index.accounts.contains_key(&(namespace, account.as_str())) {
        return Err(format!(
            "ServiceAccount {namespace}/{account} named by the Secret does not exist"
        ));
    }
    let path = endpoint.path.as_deref().unwrap_or("/metrics");
    let reader = Subject {
        kind: "ServiceAccount".to_owned(),
        name: account.clone(),
        namespace: Some(namespace.to_owned()),
        ..Default::default()
    };
    // Non-resource URLs can only be granted cluster-wide.
    if !index
        .cluster_rules_for(&reader)
        .any(|rule| grants_url(rule, path))
    {
        return Err(format!(
            "ServiceAccount {namespace}/{account} may not get {path}"
        ));
    }
    let collector = Subject {
        kind: "ServiceAccount".to_owned(),
        name: COLLECTOR_SERVICE_ACCOUNT.to_owned(),
        namespace: Some(collector_namespace.to_owned()),
        ..Default::default()
    };
    let readable = index
        .rules_in(&collector, namespace)
        .any(|rule| grants_secret_read(rule, &secret_ref.name));
    if !readable {
        return Err(format!(
            "the collector ({collector_namespace}/{COLLECTOR_SERVICE_ACCOUNT}) may not get, list and watch Secret {namespace}/{}",
            secret_ref.name
        ));
    }
    Ok(())
}

fn name(meta: &ObjectMeta) -> &str {
    meta.name.as_deref().unwrap_or_default()
}

fn role_ref(resource: &Resource) -> Option<&RoleRef> {
    match resource {
        Resource::ClusterRoleBinding(b) => Some(&b.role_ref),
        Resource::RoleBinding(b) => Some(&b.role_ref),
        _ => None,
    }
}

fn subjects(resource: &Resource) -> &[Subject] {
    match resource {
        Resource::ClusterRoleBinding(b) => b.subjects.as_deref().unwrap_or_default(),
        Resource::RoleBinding(b) => b.subjects.as_deref().unwrap_or_default(),
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
    resources: &'a [Resource],
    secrets: BTreeMap<(&'a str, &'a str), &'a Secret>,
    accounts: BTreeMap<(&'a str, &'a str), &'a ServiceAccount>,
}

impl<'a> Index<'a> {
    fn new(resources: &'a [Resource]) -> Self {
        let key =
            |meta: &'a ObjectMeta| (meta.namespace.as_deref().unwrap_or_default(), name(meta));
        let mut index = Self {
            resources,
            secrets: BTreeMap::new(),
            accounts: BTreeMap::new(),
        };
        for resource in resources {
            match resource {
                Resource::Secret(s) => {
                    index.secrets.insert(key(&s.metadata), s);
                }
                Resource::ServiceAccount(a) => {
                    index.accounts.insert(key(&a.metadata), a);
                }
                _ => {}
            }
        }
        index
    }

    /// The rules a roleRef points at: a ClusterRole, or a Role in the binding's namespace.
    fn role(&self, role_ref: &RoleRef, binding_ns: Option<&str>) -> Option<&'a [PolicyRule]> {
        self.resources
            .iter()
            .find_map(|r| match (r, role_ref.kind.as_str()) {
                (Resource::ClusterRole(c), "ClusterRole") if name(&c.metadata) == role_ref.name => {
                    Some(c.rules.as_deref().unwrap_or_default())
                }
                (Resource::Role(c), "Role")
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
        self.resources
            .iter()
            .filter(move |r| match r {
                Resource::ClusterRoleBinding(_) => true,
                Resource::RoleBinding(b) => {
                    namespace.is_some() && b.metadata.namespace.as_deref() == namespace
                }
                _ => false,
            })
            .filter(move |r| subjects(r).iter().any(|s| is(s, who)))
            .filter_map(move |r| {
                let role_ref = role_ref(r)?;
                self.role(role_ref, r.metadata().namespace.as_deref())
            })
            .flatten()
    }
}

impl crate::bundle::Bundle {
    /// Every broken link of this bundle's scrape chain (see [`broken_links`]) on its cluster
    /// flavor; always empty for a bundle this crate built, which its tests prove.
    pub fn broken_links(&self) -> Vec<String> {
        let resources: Vec<Resource> = self.objects().into_iter().map(Resource::from).collect();
        broken_links(&resources, self.flavor().collector_namespace())
    }
}
