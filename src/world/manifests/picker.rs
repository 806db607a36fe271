//! Facts about one endpoint picker read from its pod template: its container, the flags it
//! runs with, its image's release, its ServiceAccount and the review rights granted to it.

use k8s_openapi::api::core::v1::Container;
use k8s_openapi::api::rbac::v1::{ClusterRole, ClusterRoleBinding, PolicyRule, Subject};

use super::{EPP_CONTAINER, Workload};
use crate::kinds::ServiceAccountRef;
use crate::options::releases::{Project, Version};

/// The EPP's boolean flags: Go's `flag` package gives them a value only as `-name=value`; a
/// word after `-name` is not its value.
const BOOL_FLAGS: &[&str] = &[
    "metrics-endpoint-auth",
    "enable-pprof",
    "secure-serving",
    "health-checking",
    "ha-enable-leader-election",
    "tracing",
    "zap-devel",
];

/// Flags only an endpoint picker runs with: the pool it picks for, or (standalone, without a
/// pool) the endpoints it selects.
const PICKER_FLAGS: &[&str] = &["pool-name", "poolName", "endpoint-selector"];

/// The flags a container runs with, as the EPP's Go `flag` package reads them: the words after
/// the program (`command[1..]`, then `args`; without `command`, the image's entrypoint takes
/// `args`), `-name` or `--name`, `=value` or, for a flag that is not boolean, the next word.
/// Reading stops at `--` or at the first word that is not a flag, as Go's does; the last of
/// a flag given twice wins.
pub(crate) fn flags(container: &Container) -> Vec<(&str, &str)> {
    // The program itself is no flag.
    let after_program = container.command.as_deref().unwrap_or_default().get(1..);
    let words: Vec<&str> = after_program
        .into_iter()
        .flatten()
        .chain(container.args.iter().flatten())
        .map(String::as_str)
        .collect();
    let mut found = Vec::new();
    let mut i = 0;
    while let Some(word) = words.get(i) {
        i += 1;
        if *word == "--" {
            break;
        }
        let Some(bare) = word.strip_prefix("--").or_else(|| word.strip_prefix('-')) else {
            break;
        };
        if bare.is_empty() || bare.starts_with('-') || bare.starts_with('=') {
            break;
        }
        match bare.split_once('=') {
            Some((name, value)) => found.push((name, value)),
            None if BOOL_FLAGS.contains(&bare) => found.push((bare, "true")),
            None => match words.get(i) {
                Some(value) => {
                    found.push((bare, value));
                    i += 1;
                }
                // Go refuses a flag without its value; the picker would not start.
                None => found.push((bare, "")),
            },
        }
    }
    found
}

/// The value of flag `name` of the container (its last), as [`flags`] reads them.
fn flag<'c>(container: &'c Container, name: &str) -> Option<&'c str> {
    flags(container)
        .into_iter()
        .rev()
        .find(|(n, _)| *n == name)
        .map(|(_, v)| v)
}

/// A boolean flag's value as Go's `strconv.ParseBool` reads it; `None` for anything else (the
/// picker refuses to start).
fn go_bool(value: &str) -> Option<bool> {
    match value {
        "1" | "t" | "T" | "TRUE" | "true" | "True" => Some(true),
        "0" | "f" | "F" | "FALSE" | "false" | "False" => Some(false),
        _ => None,
    }
}

/// An image reference split as the container runtime does: `[registry/]path[:tag][@digest]`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct ImageRef<'i> {
    /// Registry and repository path, e.g. `registry.k8s.io/gateway-api-inference-extension/epp`.
    pub(crate) repository: &'i str,
    /// The tag, when one is given (a digest alone pins no release name).
    pub(crate) tag: Option<&'i str>,
}

impl<'i> ImageRef<'i> {
    /// Splits `image`: the digest (`@sha256:...`) first, then a tag after the last `:` that
    /// follows the last `/` (a registry's `host:port/` is not a tag).
    pub(crate) fn parse(image: &'i str) -> Self {
        let named = image.split_once('@').map_or(image, |(named, _)| named);
        let last_slash = named.rfind('/').map_or(0, |i| i + 1);
        match named.get(last_slash..).and_then(|last| last.rfind(':')) {
            Some(colon) => Self {
                repository: named.get(..last_slash + colon).unwrap_or(named),
                tag: named
                    .get(last_slash + colon + 1..)
                    .filter(|t| !t.is_empty()),
            },
            None => Self {
                repository: named,
                tag: None,
            },
        }
    }

    /// The last path component: the image's own name (`epp`).
    fn name(&self) -> &'i str {
        self.repository
            .rsplit_once('/')
            .map_or(self.repository, |(_, name)| name)
    }
}

/// Whether a container is an endpoint picker: it runs a picker image, or the flags only a
/// picker runs with (a picker built from source has an image of its own). Its name alone
/// (`epp`) proves nothing.
pub(super) fn is_picker(container: &Container) -> bool {
    let image = ImageRef::parse(container.image.as_deref().unwrap_or(""));
    matches!(
        image.name(),
        "epp" | "llm-d-router-endpoint-picker" | "llm-d-inference-scheduler"
    ) || flags(container)
        .iter()
        .any(|(name, _)| PICKER_FLAGS.contains(name))
}

/// The picker's project and version from its image (`…/epp:v1.5.0`, with or without a
/// digest), when the tag is a release.
pub(crate) fn release_of(image: &str) -> (Option<Project>, Option<Version>) {
    let image = ImageRef::parse(image);
    let project = if image.repository.contains("gateway-api-inference-extension") {
        Some(Project::Gie)
    } else if image.repository.contains("llm-d") {
        Some(Project::LlmDRouter)
    } else {
        None
    };
    let version = image.tag.and_then(|tag| {
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
/// ServiceAccount `account` create TokenReviews and SubjectAccessReviews (both
/// cluster-scoped, so a RoleBinding cannot).
pub(crate) fn may_review<'r>(
    bindings: impl IntoIterator<Item = &'r ClusterRoleBinding>,
    roles: impl IntoIterator<Item = &'r ClusterRole> + Clone,
    account: &ServiceAccountRef,
) -> bool {
    let (mut tokens, mut accesses) = (false, false);
    for binding in bindings {
        let bound = binding
            .subjects
            .iter()
            .flatten()
            .any(|s| names_service_account(s, account));
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

/// Whether an RBAC subject takes in the ServiceAccount `account`, as the API server's
/// authorizer decides: the ServiceAccount itself, its user name
/// (`system:serviceaccount:NS:NAME`), or a group it is in (`system:serviceaccounts`,
/// `system:serviceaccounts:NS`, `system:authenticated`).
pub(crate) fn names_service_account(subject: &Subject, account: &ServiceAccountRef) -> bool {
    match subject.kind.as_str() {
        "ServiceAccount" => {
            subject.name == account.name
                && subject.namespace.as_deref() == Some(account.namespace.as_str())
        }
        "User" => subject.name == account.user(),
        "Group" => match subject.name.as_str() {
            "system:serviceaccounts" | "system:authenticated" => true,
            group => {
                group.strip_prefix("system:serviceaccounts:") == Some(account.namespace.as_str())
            }
        },
        _ => false,
    }
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
        // Paths: set when not empty.
        let set = |value: Option<&str>| value.is_some_and(|v| !v.is_empty());
        let tls = set(flag(container, "metrics-cert-dir"));
        Self {
            port_flag: flag(container, "metrics-port"),
            tls,
            mtls: tls && set(flag(container, "metrics-client-ca-file")),
            // On by default; a value Go cannot read stops the picker, so it stays on.
            auth: flag(container, "metrics-endpoint-auth")
                .and_then(go_bool)
                .unwrap_or(true),
        }
    }
}

/// The ServiceAccount a pod template runs as, in the workload's namespace: `default` when it
/// names none.
pub(crate) fn service_account_of(workload: &Workload<'_>) -> ServiceAccountRef {
    let name = workload
        .spec
        .and_then(|s| {
            s.service_account_name
                .as_deref()
                .or(s.service_account.as_deref())
        })
        .filter(|s| !s.is_empty())
        .unwrap_or("default");
    ServiceAccountRef::new(workload.namespace, name)
}

/// The picker container of a workload ([`is_picker`]): the one named `epp` if several are.
pub(crate) fn picker_container<'m>(workload: &Workload<'m>) -> Option<&'m Container> {
    let mut pickers = workload.spec?.containers.iter().filter(|c| is_picker(c));
    let first = pickers.next()?;
    Some(
        std::iter::once(first)
            .chain(pickers)
            .find(|c| c.name == EPP_CONTAINER)
            .unwrap_or(first),
    )
}
