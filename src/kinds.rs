//! One view of every object kind a bundle holds and the scrape chain is made of: [`Object`],
//! borrowed from a bundle or owned when read from YAML, and [`Kind`], its kind alone.
//!
//! Both are generated from one list of kinds, so they cannot drift apart; what a kind is
//! (its `kind` string, its scope, its metadata) comes from kube-core's [`Resource`] of the typed
//! object wherever kube-core knows it.

use std::borrow::Cow;

use gmp_types::{ClusterPodMonitoring, ClusterRules, GlobalRules, PodMonitoring, Rules};
use k8s_openapi::api::core::v1::{ConfigMap, Secret, ServiceAccount};
use k8s_openapi::api::rbac::v1::{ClusterRole, ClusterRoleBinding, Role, RoleBinding};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use k8s_openapi::{ClusterResourceScope, NamespaceResourceScope};
use kube_core::Resource;
use prometheus_operator_types::{PodMonitor, PrometheusRule, ServiceMonitor};
use serde::{Deserialize, Serialize};

/// Whether a kube-core resource scope is the cluster's.
trait Scope {
    const CLUSTER: bool;
}

impl Scope for ClusterResourceScope {
    const CLUSTER: bool = true;
}

impl Scope for NamespaceResourceScope {
    const CLUSTER: bool = false;
}

/// Implemented by the typed object of every [`Kind`]: finds it in an [`Object`].
pub trait BundleKind: Resource<DynamicType = ()> + Clone + Serialize + 'static {
    /// The kind's [`Kind`].
    const KIND: Kind;

    /// The object, if it is of this kind.
    fn of<'o>(object: &'o Object<'_>) -> Option<&'o Self>;
}

macro_rules! kinds {
    ($($(#[$doc:meta])* $kind:ident,)*) => {
        /// One object, borrowed (from a bundle) or owned (read from YAML or JSON by its
        /// `kind`); serializes as the object itself.
        #[derive(Clone, Debug, PartialEq, Deserialize)]
        #[serde(tag = "kind")]
        #[non_exhaustive]
        pub enum Object<'a> {
            $($(#[$doc])* $kind(Cow<'a, $kind>),)*
        }

        /// The kind of an [`Object`].
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
        #[non_exhaustive]
        pub enum Kind {
            $($(#[$doc])* $kind,)*
        }

        impl Kind {
            /// Every kind.
            pub const ALL: &'static [Kind] = &[$(Self::$kind,)*];

            /// The `kind` field's value.
            pub fn as_str(self) -> &'static str {
                match self {
                    $(Self::$kind => stringify!($kind),)*
                }
            }

            /// Whether objects of this kind are cluster-scoped (and so carry no namespace).
            pub fn is_cluster_scoped(self) -> bool {
                match self {
                    $(Self::$kind => <<$kind as Resource>::Scope as Scope>::CLUSTER,)*
                }
            }
        }

        impl<'a> Object<'a> {
            /// The object's kind.
            pub fn kind(&self) -> Kind {
                match self {
                    $(Self::$kind(_) => Kind::$kind,)*
                }
            }

            /// The object's `metadata`.
            pub fn metadata(&self) -> &ObjectMeta {
                match self {
                    $(Self::$kind(o) => o.meta(),)*
                }
            }

            /// The same object, borrowed from this one.
            pub fn borrowed(&self) -> Object<'_> {
                match self {
                    $(Self::$kind(o) => Object::$kind(Cow::Borrowed(o.as_ref())),)*
                }
            }

            /// The object, owned (cloned if it was borrowed).
            pub fn into_owned(self) -> Object<'static> {
                match self {
                    $(Self::$kind(o) => Object::$kind(Cow::Owned(o.into_owned())),)*
                }
            }
        }

        impl Serialize for Object<'_> {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                // Every typed object writes its own apiVersion and kind.
                match self {
                    $(Self::$kind(o) => o.serialize(serializer),)*
                }
            }
        }

        $(
            impl BundleKind for $kind {
                const KIND: Kind = Kind::$kind;

                fn of<'o>(object: &'o Object<'_>) -> Option<&'o Self> {
                    match object {
                        Object::$kind(o) => Some(o.as_ref()),
                        #[allow(unreachable_patterns)]
                        _ => None,
                    }
                }
            }

            impl<'a> From<&'a $kind> for Object<'a> {
                fn from(object: &'a $kind) -> Self {
                    Self::$kind(Cow::Borrowed(object))
                }
            }

            impl From<$kind> for Object<'static> {
                fn from(object: $kind) -> Self {
                    Self::$kind(Cow::Owned(object))
                }
            }
        )*
    };
}

kinds! {
    /// A ClusterRole.
    ClusterRole,
    /// A namespaced Role.
    Role,
    /// A ServiceAccount.
    ServiceAccount,
    /// A ClusterRoleBinding.
    ClusterRoleBinding,
    /// A namespaced RoleBinding.
    RoleBinding,
    /// A Secret.
    Secret,
    /// A ClusterPodMonitoring.
    ClusterPodMonitoring,
    /// A namespaced PodMonitoring.
    PodMonitoring,
    /// Namespaced rule groups.
    Rules,
    /// Cluster-wide rule groups.
    ClusterRules,
    /// Rule groups over every cluster of the metrics scope (a fleet's, in one cluster).
    GlobalRules,
    /// A prometheus-operator PodMonitor.
    PodMonitor,
    /// A prometheus-operator ServiceMonitor.
    ServiceMonitor,
    /// prometheus-operator's rule groups.
    PrometheusRule,
    /// A ConfigMap: the Grafana dashboard, for the sidecar of kube-prometheus-stack's Grafana.
    ConfigMap,
}

impl<'a> From<&'a Object<'_>> for Object<'a> {
    fn from(object: &'a Object<'_>) -> Self {
        object.borrowed()
    }
}

impl Kind {
    /// Whether objects of this kind take RBAC's path-segment names (any string but `.`, `..`
    /// and those holding `/` or `%`) rather than DNS subdomains.
    pub fn has_path_segment_names(self) -> bool {
        matches!(
            self,
            Self::ClusterRole | Self::Role | Self::ClusterRoleBinding | Self::RoleBinding
        )
    }
}

impl std::fmt::Display for Kind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Any object, by kind, namespace and name: how findings, warnings and reports name it
/// (`Kind/namespace/name`, or `Kind/name` when it has no namespace), and how `check -o json`
/// writes it (that text).
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ObjectRef {
    /// Its kind (`Deployment`, `ClusterPodMonitoring`, ...).
    pub kind: &'static str,
    /// Its namespace; `None` when cluster-scoped.
    pub namespace: Option<String>,
    /// Its name.
    pub name: String,
}

impl ObjectRef {
    /// The object of `kind` named `name` in `namespace` (`None`: cluster-scoped).
    pub fn new(kind: &'static str, namespace: Option<&str>, name: &str) -> Self {
        Self {
            kind,
            namespace: namespace.map(str::to_owned),
            name: name.to_owned(),
        }
    }

    /// The object `meta` names, of `kind`: namespaced when `meta` has a namespace.
    pub fn of(kind: &'static str, meta: &ObjectMeta) -> Self {
        Self::new(
            kind,
            meta.namespace.as_deref(),
            meta.name.as_deref().unwrap_or(""),
        )
    }
}

impl std::fmt::Display for ObjectRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.namespace {
            Some(namespace) => write!(f, "{}/{namespace}/{}", self.kind, self.name),
            None => write!(f, "{}/{}", self.kind, self.name),
        }
    }
}

impl Serialize for ObjectRef {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

/// Compares with the text the reference is written as, `Kind/namespace/name`.
impl PartialEq<str> for ObjectRef {
    fn eq(&self, text: &str) -> bool {
        let rest = text
            .strip_prefix(self.kind)
            .and_then(|r| r.strip_prefix('/'));
        let rest = match (&self.namespace, rest) {
            (Some(ns), Some(rest)) => rest
                .strip_prefix(ns.as_str())
                .and_then(|r| r.strip_prefix('/')),
            (None, rest) => rest,
            (Some(_), None) => None,
        };
        rest == Some(self.name.as_str())
    }
}

impl PartialEq<&str> for ObjectRef {
    fn eq(&self, text: &&str) -> bool {
        *self == **text
    }
}

/// A ServiceAccount, by namespace and name; written `namespace/name`, as `authDelegation` takes
/// it.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ServiceAccountRef {
    /// Its namespace.
    pub namespace: String,
    /// Its name.
    pub name: String,
}

impl ServiceAccountRef {
    /// The ServiceAccount `name` in `namespace`.
    pub fn new(namespace: &str, name: &str) -> Self {
        Self {
            namespace: namespace.to_owned(),
            name: name.to_owned(),
        }
    }

    /// The user name the API server gives its tokens: `system:serviceaccount:<ns>:<name>`.
    pub fn user(&self) -> String {
        format!("system:serviceaccount:{}:{}", self.namespace, self.name)
    }

    /// The two parts of `namespace/name`, unchecked; `None` without a `/`. The plan reads
    /// references with this after [`FromStr`](std::str::FromStr) judged them, so that an
    /// invalid one still names its binding in the problems.
    pub(crate) fn split(text: &str) -> Option<Self> {
        let (namespace, name) = text.split_once('/')?;
        Some(Self::new(namespace, name))
    }
}

impl std::fmt::Display for ServiceAccountRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.namespace, self.name)
    }
}

/// Reads `namespace/name`, each part held to the API server's rule for it; the error is the
/// rule broken.
impl std::str::FromStr for ServiceAccountRef {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        let account = Self::split(text).ok_or_else(|| "must be NAMESPACE/NAME".to_owned())?;
        crate::rules::dns1123_label(&account.namespace)
            .map_err(|reason| format!("namespace part: {reason}"))?;
        crate::rules::dns1123_subdomain(&account.name)
            .map_err(|reason| format!("name part: {reason}"))?;
        Ok(account)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kube_kind<K: BundleKind>() -> (Kind, String, bool) {
        (
            K::KIND,
            K::kind(&()).into_owned(),
            K::KIND.is_cluster_scoped(),
        )
    }

    #[test]
    fn an_object_ref_is_written_and_compared_as_kind_namespace_name() {
        let namespaced = ObjectRef::new("Deployment", Some("ns"), "a");
        let cluster = ObjectRef::new("ClusterPodMonitoring", None, "m");
        assert_eq!(namespaced.to_string(), "Deployment/ns/a");
        assert_eq!(cluster.to_string(), "ClusterPodMonitoring/m");
        assert_eq!(namespaced, "Deployment/ns/a");
        assert_eq!(cluster, "ClusterPodMonitoring/m");
        for other in [
            "Deployment/ns/b",
            "Deployment/n/a",
            "StatefulSet/ns/a",
            "Deployment/a",
            "",
        ] {
            assert!(namespaced != other, "{other}");
        }
        assert!(cluster != "ClusterPodMonitoring/x/m");
        assert_eq!(
            serde_json::to_string(&[namespaced, cluster]).unwrap_or_default(),
            r#"["Deployment/ns/a","ClusterPodMonitoring/m"]"#
        );
    }

    #[test]
    fn a_service_account_ref_reads_and_writes_namespace_slash_name() {
        let account: Result<ServiceAccountRef, _> = "team-x/epp.reader".parse();
        assert_eq!(account, Ok(ServiceAccountRef::new("team-x", "epp.reader")));
        let account = account.unwrap_or_else(|_| ServiceAccountRef::new("", ""));
        assert_eq!(account.to_string(), "team-x/epp.reader");
        assert_eq!(account.user(), "system:serviceaccount:team-x:epp.reader");
        for (text, rule) in [
            ("epp", "must be NAMESPACE/NAME"),
            ("Team/epp", "namespace part: "),
            ("team.x/epp", "namespace part: "),
            ("team/Epp", "name part: "),
            ("team/", "name part: "),
            ("team/a/b", "name part: "),
        ] {
            let err = text.parse::<ServiceAccountRef>().err().unwrap_or_default();
            assert!(err.starts_with(rule), "{text}: {err}");
        }
        // Unchecked, for the plan: an invalid reference still has its two parts.
        assert_eq!(
            ServiceAccountRef::split("Team/Epp"),
            Some(ServiceAccountRef::new("Team", "Epp"))
        );
        assert_eq!(ServiceAccountRef::split("epp"), None);
    }

    /// The generated kind strings are kube-core's; the scopes are the upstream CRDs' and RBAC's.
    #[test]
    fn kinds_are_kube_cores() {
        let kinds = [
            kube_kind::<ClusterRole>(),
            kube_kind::<Role>(),
            kube_kind::<ServiceAccount>(),
            kube_kind::<ClusterRoleBinding>(),
            kube_kind::<RoleBinding>(),
            kube_kind::<Secret>(),
            kube_kind::<ClusterPodMonitoring>(),
            kube_kind::<PodMonitoring>(),
            kube_kind::<Rules>(),
            kube_kind::<ClusterRules>(),
            kube_kind::<GlobalRules>(),
            kube_kind::<PodMonitor>(),
            kube_kind::<ServiceMonitor>(),
            kube_kind::<PrometheusRule>(),
            kube_kind::<ConfigMap>(),
        ];
        assert_eq!(kinds.len(), Kind::ALL.len());
        for (kind, kube, cluster) in kinds {
            assert_eq!(kind.as_str(), kube);
            // GlobalRules is the one cluster-scoped kind not named Cluster*.
            let upstream = kube.starts_with("Cluster") || kube == "GlobalRules";
            assert_eq!(cluster, upstream, "{kube}");
        }
    }
}
