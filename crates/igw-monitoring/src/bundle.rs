//! The built bundle: the seven objects as typed Kubernetes values, ready for kube-rs or YAML.

use std::collections::BTreeMap;

use gmp_types::{
    Authorization, ClusterPodMonitoring, ClusterPodMonitoringSpec, ScrapeEndpoint, SecretSelector,
};
use k8s_openapi::api::core::v1::{Secret, ServiceAccount};
use k8s_openapi::api::rbac::v1::{ClusterRole, ClusterRoleBinding, PolicyRule, RoleRef, Subject};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{
    LabelSelector, LabelSelectorRequirement, ObjectMeta,
};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use serde::Serialize;

use crate::error::Error;
use crate::options::{COLLECTOR_SERVICE_ACCOUNT, ClusterFlavor, Options, Port, ResolvedNames};
use crate::validate::{self, SERVICE_ACCOUNT_ANNOTATION};

/// The Secret key the control plane writes the ServiceAccount token under.
pub const TOKEN_KEY: &str = "token";

/// The seven objects of one metrics-collection setup, built from valid [`Options`].
///
/// The fields are read-only so that what is rendered is always what was validated.
#[derive(Clone, Debug, PartialEq)]
pub struct Bundle {
    flavor: ClusterFlavor,
    reader_role: ClusterRole,
    service_account: ServiceAccount,
    reader_binding: ClusterRoleBinding,
    token_secret: Secret,
    secret_reader_role: ClusterRole,
    collector_binding: ClusterRoleBinding,
    pod_monitoring: ClusterPodMonitoring,
}

/// One object of a bundle, borrowed; serializes as the object itself.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
#[serde(untagged)]
pub enum Object<'a> {
    /// A ClusterRole.
    ClusterRole(&'a ClusterRole),
    /// A ServiceAccount.
    ServiceAccount(&'a ServiceAccount),
    /// A ClusterRoleBinding.
    ClusterRoleBinding(&'a ClusterRoleBinding),
    /// A Secret.
    Secret(&'a Secret),
    /// A ClusterPodMonitoring.
    ClusterPodMonitoring(&'a ClusterPodMonitoring),
}

impl Object<'_> {
    /// The object's `metadata`.
    pub fn metadata(&self) -> &ObjectMeta {
        match self {
            Self::ClusterRole(o) => &o.metadata,
            Self::ServiceAccount(o) => &o.metadata,
            Self::ClusterRoleBinding(o) => &o.metadata,
            Self::Secret(o) => &o.metadata,
            Self::ClusterPodMonitoring(o) => &o.metadata,
        }
    }

    /// The object's `kind`.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::ClusterRole(_) => "ClusterRole",
            Self::ServiceAccount(_) => "ServiceAccount",
            Self::ClusterRoleBinding(_) => "ClusterRoleBinding",
            Self::Secret(_) => "Secret",
            Self::ClusterPodMonitoring(_) => "ClusterPodMonitoring",
        }
    }
}

impl Options {
    /// Checks every option and builds the bundle, or returns every problem found.
    pub fn build(&self) -> Result<Bundle, Error> {
        let names = validate::check(self).map_err(Error::Invalid)?;
        Ok(Bundle::assemble(self, &names))
    }
}

impl Bundle {
    /// A builder starting from the seed document's defaults.
    pub fn builder() -> crate::BundleBuilder {
        crate::BundleBuilder::default()
    }

    /// The cluster flavor the bundle was built for.
    pub fn flavor(&self) -> ClusterFlavor {
        self.flavor
    }

    /// ClusterRole granting `get` on the metrics endpoint.
    pub fn reader_role(&self) -> &ClusterRole {
        &self.reader_role
    }

    /// The ServiceAccount whose token scrapes the endpoint.
    pub fn service_account(&self) -> &ServiceAccount {
        &self.service_account
    }

    /// ClusterRoleBinding of the reader role to the ServiceAccount.
    pub fn reader_binding(&self) -> &ClusterRoleBinding {
        &self.reader_binding
    }

    /// The ServiceAccount's token Secret, filled in by the control plane.
    pub fn token_secret(&self) -> &Secret {
        &self.token_secret
    }

    /// ClusterRole letting GMP's collector read the token Secret.
    pub fn secret_reader_role(&self) -> &ClusterRole {
        &self.secret_reader_role
    }

    /// ClusterRoleBinding of that role to GMP's collector ServiceAccount.
    pub fn collector_binding(&self) -> &ClusterRoleBinding {
        &self.collector_binding
    }

    /// The ClusterPodMonitoring that tells GMP what to scrape and with which token.
    pub fn pod_monitoring(&self) -> &ClusterPodMonitoring {
        &self.pod_monitoring
    }

    /// Every object, in the order they are rendered and applied (the seed document's order).
    pub fn objects(&self) -> [Object<'_>; 7] {
        [
            Object::ClusterRole(&self.reader_role),
            Object::ServiceAccount(&self.service_account),
            Object::ClusterRoleBinding(&self.reader_binding),
            Object::Secret(&self.token_secret),
            Object::ClusterRole(&self.secret_reader_role),
            Object::ClusterRoleBinding(&self.collector_binding),
            Object::ClusterPodMonitoring(&self.pod_monitoring),
        ]
    }

    fn assemble(options: &Options, names: &ResolvedNames) -> Self {
        let meta = |name: &str, namespaced: bool, labels: &BTreeMap<String, String>| ObjectMeta {
            name: Some(name.to_owned()),
            namespace: namespaced.then(|| options.namespace.clone()),
            labels: non_empty(labels.clone()),
            annotations: non_empty(options.extra_annotations.clone()),
            ..Default::default()
        };
        let labels = &options.extra_labels;
        let reader_subject = Subject {
            kind: "ServiceAccount".to_owned(),
            name: names.service_account.clone(),
            namespace: Some(options.namespace.clone()),
            ..Default::default()
        };
        let collector_subject = Subject {
            kind: "ServiceAccount".to_owned(),
            name: COLLECTOR_SERVICE_ACCOUNT.to_owned(),
            namespace: Some(options.flavor.collector_namespace().to_owned()),
            ..Default::default()
        };
        let mut secret_meta = meta(&names.token_secret, true, labels);
        secret_meta.annotations.get_or_insert_default().insert(
            SERVICE_ACCOUNT_ANNOTATION.to_owned(),
            names.service_account.clone(),
        );
        let mut monitoring_labels = options.monitoring_labels.clone();
        monitoring_labels.extend(labels.iter().map(|(k, v)| (k.clone(), v.clone())));
        Self {
            flavor: options.flavor,
            reader_role: ClusterRole {
                metadata: meta(&names.reader_cluster_role, false, labels),
                rules: Some(vec![PolicyRule {
                    non_resource_urls: Some(vec![options.path.clone()]),
                    verbs: vec!["get".to_owned()],
                    ..Default::default()
                }]),
                ..Default::default()
            },
            service_account: ServiceAccount {
                metadata: meta(&names.service_account, true, labels),
                ..Default::default()
            },
            reader_binding: ClusterRoleBinding {
                metadata: meta(&names.reader_binding, false, labels),
                role_ref: cluster_role_ref(&names.reader_cluster_role),
                subjects: Some(vec![reader_subject]),
            },
            token_secret: Secret {
                metadata: secret_meta,
                type_: Some("kubernetes.io/service-account-token".to_owned()),
                ..Default::default()
            },
            secret_reader_role: ClusterRole {
                metadata: meta(&names.secret_reader_role, false, labels),
                rules: Some(vec![PolicyRule {
                    api_groups: Some(vec![String::new()]),
                    resources: Some(vec!["secrets".to_owned()]),
                    resource_names: Some(vec![names.token_secret.clone()]),
                    verbs: ["get", "list", "watch"].map(str::to_owned).to_vec(),
                    ..Default::default()
                }]),
                ..Default::default()
            },
            collector_binding: ClusterRoleBinding {
                metadata: meta(&names.collector_binding, false, labels),
                role_ref: cluster_role_ref(&names.secret_reader_role),
                subjects: Some(vec![collector_subject]),
            },
            pod_monitoring: ClusterPodMonitoring {
                metadata: meta(&names.pod_monitoring, false, &monitoring_labels),
                spec: ClusterPodMonitoringSpec {
                    selector: label_selector(options),
                    endpoints: vec![ScrapeEndpoint {
                        port: match &options.port {
                            Port::Number(n) => IntOrString::Int(*n),
                            Port::Name(name) => IntOrString::String(name.clone()),
                        },
                        scheme: Some(options.scheme),
                        interval: options.interval.clone(),
                        timeout: options.timeout.clone(),
                        path: Some(options.path.clone()),
                        authorization: Some(Authorization {
                            type_: Some("Bearer".to_owned()),
                            // Always written: left out, GMP reads the Secret from `default`.
                            credentials: Some(SecretSelector::new(
                                names.token_secret.clone(),
                                TOKEN_KEY,
                                Some(options.namespace.clone()),
                            )),
                        }),
                        ..Default::default()
                    }],
                    ..Default::default()
                },
                status: None,
            },
        }
    }
}

fn non_empty(map: BTreeMap<String, String>) -> Option<BTreeMap<String, String>> {
    (!map.is_empty()).then_some(map)
}

fn cluster_role_ref(name: &str) -> RoleRef {
    RoleRef {
        api_group: Some("rbac.authorization.k8s.io".to_owned()),
        kind: "ClusterRole".to_owned(),
        name: name.to_owned(),
    }
}

fn label_selector(options: &Options) -> LabelSelector {
    let selector = &options.selector;
    LabelSelector {
        match_labels: non_empty(selector.match_labels.clone()),
        match_expressions: (!selector.match_expressions.is_empty()).then(|| {
            selector
                .match_expressions
                .iter()
                .map(|r| LabelSelectorRequirement {
                    key: r.key.clone(),
                    operator: r.operator.as_str().to_owned(),
                    values: (!r.values.is_empty()).then(|| r.values.clone()),
                })
                .collect()
        }),
    }
}
