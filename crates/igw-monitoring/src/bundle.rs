//! The built bundle: its objects as typed Kubernetes values, ready for kube-rs or YAML.

use std::collections::BTreeMap;

use gmp_types::{
    Authorization, ClusterPodMonitoring, ClusterPodMonitoringSpec, PodMonitoring, ScrapeEndpoint,
    SecretSelector,
};
use k8s_openapi::api::core::v1::{Secret, ServiceAccount};
use k8s_openapi::api::rbac::v1::{
    ClusterRole, ClusterRoleBinding, PolicyRule, Role, RoleBinding, RoleRef, Subject,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{
    LabelSelector, LabelSelectorRequirement, ObjectMeta,
};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use serde::Serialize;

use crate::error::Error;
use crate::options::{
    COLLECTOR_SERVICE_ACCOUNT, ClusterFlavor, Options, Port, ResolvedNames, SecretAccess,
};
use crate::validate::{self, SERVICE_ACCOUNT_ANNOTATION};

/// The Secret key the control plane writes the ServiceAccount token under.
pub const TOKEN_KEY: &str = "token";

/// The objects of one metrics-collection setup, built from valid [`Options`].
///
/// The fields are read-only so that what is rendered is always what was validated.
#[derive(Clone, Debug, PartialEq)]
pub struct Bundle {
    flavor: ClusterFlavor,
    reader_role: ClusterRole,
    service_account: ServiceAccount,
    reader_binding: ClusterRoleBinding,
    token_secret: Secret,
    secret_reader: SecretReader,
    pod_monitoring: ClusterPodMonitoring,
}

/// The grant that lets GMP's collector read the token Secret, in the form
/// [`SecretAccess`] chose.
#[derive(Clone, Debug, PartialEq)]
pub enum SecretReader {
    /// A ClusterRole bound cluster-wide (the seed document's form).
    Cluster {
        /// Grants get/list/watch on the one Secret.
        role: ClusterRole,
        /// Binds it to the collector.
        binding: ClusterRoleBinding,
    },
    /// A Role bound in the Secret's namespace: the least privilege that works.
    Namespaced {
        /// Grants get/list/watch on the one Secret.
        role: Role,
        /// Binds it to the collector.
        binding: RoleBinding,
    },
}

impl SecretReader {
    /// The role, then its binding.
    pub fn objects(&self) -> [Object<'_>; 2] {
        match self {
            Self::Cluster { role, binding } => [
                Object::ClusterRole(role),
                Object::ClusterRoleBinding(binding),
            ],
            Self::Namespaced { role, binding } => {
                [Object::Role(role), Object::RoleBinding(binding)]
            }
        }
    }

    /// The binding's subjects (GMP's collector).
    pub fn subjects(&self) -> &[Subject] {
        match self {
            Self::Cluster { binding, .. } => binding.subjects.as_deref(),
            Self::Namespaced { binding, .. } => binding.subjects.as_deref(),
        }
        .unwrap_or_default()
    }
}

/// One object, borrowed; serializes as the object itself. The kinds a bundle holds, and the
/// kinds the scrape chain is made of.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
#[serde(untagged)]
pub enum Object<'a> {
    /// A ClusterRole.
    ClusterRole(&'a ClusterRole),
    /// A namespaced Role.
    Role(&'a Role),
    /// A ServiceAccount.
    ServiceAccount(&'a ServiceAccount),
    /// A ClusterRoleBinding.
    ClusterRoleBinding(&'a ClusterRoleBinding),
    /// A namespaced RoleBinding.
    RoleBinding(&'a RoleBinding),
    /// A Secret.
    Secret(&'a Secret),
    /// A ClusterPodMonitoring.
    ClusterPodMonitoring(&'a ClusterPodMonitoring),
    /// A namespaced PodMonitoring.
    PodMonitoring(&'a PodMonitoring),
}

impl<'a> Object<'a> {
    /// The object's `metadata`.
    pub fn metadata(&self) -> &'a ObjectMeta {
        match *self {
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

    /// The object's `kind`.
    pub fn kind(&self) -> &'static str {
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

    /// Whether the kind is cluster-scoped (and so must carry no namespace).
    pub fn is_cluster_scoped(&self) -> bool {
        matches!(
            self,
            Self::ClusterRole(_) | Self::ClusterRoleBinding(_) | Self::ClusterPodMonitoring(_)
        )
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

    /// The role and binding letting GMP's collector read the token Secret.
    pub fn secret_reader(&self) -> &SecretReader {
        &self.secret_reader
    }

    /// The ClusterPodMonitoring that tells GMP what to scrape and with which token.
    pub fn pod_monitoring(&self) -> &ClusterPodMonitoring {
        &self.pod_monitoring
    }

    /// Every object, in the order they are rendered and applied (the seed document's order).
    pub fn objects(&self) -> Vec<Object<'_>> {
        let [secret_role, secret_binding] = self.secret_reader.objects();
        vec![
            Object::ClusterRole(&self.reader_role),
            Object::ServiceAccount(&self.service_account),
            Object::ClusterRoleBinding(&self.reader_binding),
            Object::Secret(&self.token_secret),
            secret_role,
            secret_binding,
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
        let namespaced = options.secret_access == SecretAccess::Namespaced;
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
                role_ref: role_ref("ClusterRole", &names.reader_cluster_role),
                subjects: Some(vec![reader_subject]),
            },
            token_secret: Secret {
                metadata: secret_meta,
                type_: Some("kubernetes.io/service-account-token".to_owned()),
                ..Default::default()
            },
            secret_reader: secret_reader(
                options,
                names,
                meta(&names.secret_reader_role, namespaced, labels),
                meta(&names.collector_binding, namespaced, labels),
            ),
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

/// The role and binding of the collector's read access to the token Secret.
fn secret_reader(
    options: &Options,
    names: &ResolvedNames,
    role_meta: ObjectMeta,
    binding_meta: ObjectMeta,
) -> SecretReader {
    let rules = Some(vec![PolicyRule {
        api_groups: Some(vec![String::new()]),
        resources: Some(vec!["secrets".to_owned()]),
        resource_names: Some(vec![names.token_secret.clone()]),
        verbs: ["get", "list", "watch"].map(str::to_owned).to_vec(),
        ..Default::default()
    }]);
    let subjects = Some(vec![Subject {
        kind: "ServiceAccount".to_owned(),
        name: COLLECTOR_SERVICE_ACCOUNT.to_owned(),
        namespace: Some(options.flavor.collector_namespace().to_owned()),
        ..Default::default()
    }]);
    match options.secret_access {
        SecretAccess::Cluster => SecretReader::Cluster {
            role: ClusterRole {
                metadata: role_meta,
                rules,
                ..Default::default()
            },
            binding: ClusterRoleBinding {
                metadata: binding_meta,
                role_ref: role_ref("ClusterRole", &names.secret_reader_role),
                subjects,
            },
        },
        SecretAccess::Namespaced => SecretReader::Namespaced {
            role: Role {
                metadata: role_meta,
                rules,
            },
            binding: RoleBinding {
                metadata: binding_meta,
                role_ref: role_ref("Role", &names.secret_reader_role),
                subjects,
            },
        },
    }
}

fn non_empty(map: BTreeMap<String, String>) -> Option<BTreeMap<String, String>> {
    (!map.is_empty()).then_some(map)
}

fn role_ref(kind: &str, name: &str) -> RoleRef {
    RoleRef {
        api_group: Some("rbac.authorization.k8s.io".to_owned()),
        kind: kind.to_owned(),
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
