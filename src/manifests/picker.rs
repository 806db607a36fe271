//! Facts about one endpoint picker read from its pod template: its container, the flags it
//! runs with, its image's release, its ServiceAccount and the review rights granted to it.

use k8s_openapi::api::core::v1::Container;
use k8s_openapi::api::rbac::v1::{ClusterRole, ClusterRoleBinding, PolicyRule};

use super::{EPP_CONTAINER, Workload};
use crate::releases::{Project, Version};

/// A flag of the picker container (`--name=value`, `--name value`, or Go's single dash).
fn flag<'c>(container: &'c Container, name: &str) -> Option<&'c str> {
    let words: Vec<&str> = container
        .command
        .iter()
        .flatten()
        .chain(container.args.iter().flatten())
        .map(String::as_str)
        .collect();
    for (i, word) in words.iter().enumerate() {
        let Some(bare) = word.strip_prefix("--").or_else(|| word.strip_prefix('-')) else {
            continue;
        };
        if let Some(value) = bare.strip_prefix(name) {
            if let Some(value) = value.strip_prefix('=') {
                return Some(value);
            }
            if value.is_empty() {
                return Some(
                    words
                        .get(i + 1)
                        .filter(|next| !next.starts_with('-'))
                        .copied()
                        .unwrap_or("true"),
                );
            }
        }
    }
    None
}

/// Whether a container is an endpoint picker: named `epp`, or running a picker image.
pub(super) fn is_picker(container: &Container) -> bool {
    if container.name == EPP_CONTAINER {
        return true;
    }
    let image = container.image.as_deref().unwrap_or("");
    let last = image.rsplit_once('/').map_or(image, |(_, last)| last);
    let path = last.split(['@', ':']).next().unwrap_or("");
    matches!(
        path,
        "epp" | "llm-d-router-endpoint-picker" | "llm-d-inference-scheduler"
    )
}

/// The picker's project and version from its image (`…/epp:v1.5.0`), when the tag is a release.
pub(crate) fn release_of(image: &str) -> (Option<Project>, Option<Version>) {
    let (path, tag) = match image.rsplit_once('/') {
        Some((_, last)) => match last.split_once('@') {
            Some(_) => (image, None),
            None => (image, last.split_once(':').map(|(_, tag)| tag)),
        },
        None => (image, image.split_once(':').map(|(_, tag)| tag)),
    };
    let project = if path.contains("gateway-api-inference-extension") {
        Some(Project::Gie)
    } else if path.contains("llm-d") {
        Some(Project::LlmDRouter)
    } else {
        None
    };
    let version = tag.and_then(|tag| {
        let mut parts = tag.strip_prefix('v').unwrap_or(tag).split(['.', '-']);
        let major = parts.next()?.parse().ok()?;
        let minor = parts.next()?.parse().ok()?;
        Some((major, minor))
    });
    (project, version)
}

/// Whether a rule grants `create` on `resource` of `group`.
fn grants(rule: &PolicyRule, group: &str, resource: &str) -> bool {
    let any = |list: &Option<Vec<String>>, want: &str| {
        list.iter().flatten().any(|x| x == "*" || x == want)
    };
    rule.verbs.iter().any(|v| v == "*" || v == "create")
        && any(&rule.api_groups, group)
        && any(&rule.resources, resource)
}

/// ClusterRoles of Kubernetes itself that grant the reviews; they are never in manifests.
const BUILT_IN_REVIEWERS: &[&str] = &["system:auth-delegator", "cluster-admin"];

/// Whether one of `bindings` (with `roles`, the ClusterRoles they may name) lets the
/// ServiceAccount `namespace/name` create TokenReviews and SubjectAccessReviews (both
/// cluster-scoped, so a RoleBinding cannot).
pub(crate) fn may_review<'r>(
    bindings: impl IntoIterator<Item = &'r ClusterRoleBinding>,
    roles: impl IntoIterator<Item = &'r ClusterRole> + Clone,
    namespace: &str,
    name: &str,
) -> bool {
    let (mut tokens, mut accesses) = (false, false);
    for binding in bindings {
        let bound = binding.subjects.iter().flatten().any(|s| {
            s.kind == "ServiceAccount"
                && s.name == name
                && s.namespace.as_deref() == Some(namespace)
        });
        if !bound || binding.role_ref.kind != "ClusterRole" {
            continue;
        }
        if BUILT_IN_REVIEWERS.contains(&binding.role_ref.name.as_str()) {
            return true;
        }
        for role in roles.clone() {
            if role.metadata.name.as_deref() != Some(binding.role_ref.name.as_str()) {
                continue;
            }
            for rule in role.rules.iter().flatten() {
                tokens |= grants(rule, "authentication.k8s.io", "tokenreviews");
                accesses |= grants(rule, "authorization.k8s.io", "subjectaccessreviews");
            }
        }
    }
    tokens && accesses
}

/// What a picker container's flags say about its `/metrics` endpoint.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Serving<'c> {
    /// `--metrics-port`, as given.
    pub(crate) port_flag: Option<&'c str>,
    /// `--metrics-cert-dir` is set: `/metrics` is served over TLS.
    pub(crate) tls: bool,
    /// TLS and `--metrics-client-ca-file`: a scrape needs a client certificate.
    pub(crate) mtls: bool,
    /// `/metrics` checks tokens (unless `--metrics-endpoint-auth=false`).
    pub(crate) auth: bool,
}

impl<'c> Serving<'c> {
    pub(crate) fn of(container: Option<&'c Container>) -> Self {
        let Some(container) = container else {
            return Self {
                auth: true,
                ..Self::default()
            };
        };
        let set = |value: Option<&str>| {
            value.is_some_and(|v| !matches!(v, "" | "false" | "0" | "False" | "FALSE"))
        };
        let tls = set(flag(container, "metrics-cert-dir"));
        Self {
            port_flag: flag(container, "metrics-port"),
            tls,
            mtls: tls && set(flag(container, "metrics-client-ca-file")),
            auth: !matches!(
                flag(container, "metrics-endpoint-auth"),
                Some("false" | "0" | "False" | "FALSE" | "f" | "F")
            ),
        }
    }
}

/// The ServiceAccount a pod template runs as: `default` when it names none.
pub(crate) fn service_account_of<'m>(workload: &Workload<'m>) -> &'m str {
    workload
        .spec
        .and_then(|s| {
            s.service_account_name
                .as_deref()
                .or(s.service_account.as_deref())
        })
        .filter(|s| !s.is_empty())
        .unwrap_or("default")
}

/// The picker container of a workload: the one named `epp`, else one running a picker image.
pub(crate) fn picker_container<'m>(workload: &Workload<'m>) -> Option<&'m Container> {
    let containers = &workload.spec?.containers;
    containers
        .iter()
        .find(|c| c.name == EPP_CONTAINER)
        .or_else(|| containers.iter().find(|c| is_picker(c)))
}
