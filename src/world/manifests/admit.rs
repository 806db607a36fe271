//! The API server's rules for what the index reads of an object: its name, namespace and
//! labels, its pods' labels, container names, port names and ServiceAccount, a Service's
//! selector, a binding's ServiceAccount subjects. Manifests come from other people (a chart's
//! output, a cluster dump): a value the API server would refuse is refused here before it
//! reaches a selector, a message or a generated command (a Deployment named
//! `--server=https://...` would otherwise be a kubectl flag in `verify`'s script).

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{PodSpec, PodTemplateSpec};
use k8s_openapi::api::rbac::v1::Subject;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

use crate::diagnostics::Problem;
use crate::rules;

/// The problems of one object, as its fields are judged.
pub(super) struct Admit<'a> {
    at: &'a str,
    kind: &'a str,
    problems: Vec<Problem>,
}

impl<'a> Admit<'a> {
    /// Judges the object of kind `kind` at `at` (the input and document).
    pub(super) fn new(at: &'a str, kind: &'a str) -> Self {
        Self {
            at,
            kind,
            problems: Vec::new(),
        }
    }

    /// Records `outcome` of judging `value` of `field` as a `what`.
    fn rule(&mut self, field: &str, value: &str, what: &str, outcome: Result<(), String>) {
        if let Err(reason) = outcome {
            self.problems.push(Problem {
                field: format!("{} {field}", self.at),
                also: Vec::new(),
                value: value.to_owned(),
                rule: format!(
                    "is not a valid {what} ({reason}): the API server refuses this {}, so it is not read",
                    self.kind
                ),
            });
        }
    }

    /// `metadata`: name, namespace, labels.
    pub(super) fn metadata(&mut self, meta: &ObjectMeta) {
        if meta.name.is_none() && meta.generate_name.is_some() {
            // Named by the API server when created; nothing here can refer to it yet.
        } else {
            self.name(meta.name.as_ref());
        }
        self.namespace(meta.namespace.as_deref());
        self.labels("metadata.labels", meta.labels.as_ref());
    }

    /// `metadata.name`, by its kind's rule.
    pub(super) fn name(&mut self, name: Option<&String>) {
        let name = name.map_or("", String::as_str);
        let (what, outcome) = match self.kind {
            "Service" => ("Service name", rules::dns1123_label(name)),
            "ClusterRole" | "ClusterRoleBinding" | "Role" | "RoleBinding" => {
                ("RBAC object name", rules::path_segment_name(name))
            }
            _ => ("object name", rules::dns1123_subdomain(name)),
        };
        self.rule("metadata.name", name, what, outcome);
    }

    /// `metadata.namespace`, when given.
    pub(super) fn namespace(&mut self, namespace: Option<&str>) {
        if let Some(namespace) = namespace {
            self.rule(
                "metadata.namespace",
                namespace,
                "namespace",
                rules::dns1123_label(namespace),
            );
        }
    }

    /// A map of labels (or a selector's pairs) at `field`.
    pub(super) fn labels(&mut self, field: &str, labels: Option<&BTreeMap<String, String>>) {
        for (key, value) in labels.into_iter().flatten() {
            let at = format!("{field}[{key:?}]");
            self.rule(&at, key, "label key", rules::qualified_name(key));
            self.rule(&at, value, "label value", rules::label_value(value));
        }
    }

    /// A pod template at `field`: its labels and its pods' spec.
    pub(super) fn template(&mut self, field: &str, template: Option<&PodTemplateSpec>) {
        let Some(template) = template else {
            return;
        };
        let labels = template.metadata.as_ref().and_then(|m| m.labels.as_ref());
        self.labels(&format!("{field}.metadata.labels"), labels);
        self.pod_spec(&format!("{field}.spec"), template.spec.as_ref());
    }

    /// A pod spec at `field`: container names, their port names, the ServiceAccount.
    pub(super) fn pod_spec(&mut self, field: &str, spec: Option<&PodSpec>) {
        let Some(spec) = spec else {
            return;
        };
        for (i, container) in spec.containers.iter().enumerate() {
            let at = format!("{field}.containers[{i}]");
            self.rule(
                &format!("{at}.name"),
                &container.name,
                "container name",
                rules::dns1123_label(&container.name),
            );
            for (j, port) in container.ports.iter().flatten().enumerate() {
                if let Some(name) = &port.name {
                    self.rule(
                        &format!("{at}.ports[{j}].name"),
                        name,
                        "port name",
                        rules::iana_svc_name(name),
                    );
                }
            }
        }
        for (key, account) in [
            ("serviceAccountName", &spec.service_account_name),
            ("serviceAccount", &spec.service_account),
        ] {
            if let Some(account) = account.as_deref().filter(|a| !a.is_empty()) {
                self.rule(
                    &format!("{field}.{key}"),
                    account,
                    "ServiceAccount name",
                    rules::dns1123_subdomain(account),
                );
            }
        }
    }

    /// A binding's subjects: the ServiceAccounts' names and namespaces.
    pub(super) fn subjects(&mut self, subjects: Option<&[Subject]>) {
        for (i, subject) in subjects.into_iter().flatten().enumerate() {
            if subject.kind != "ServiceAccount" {
                continue;
            }
            self.rule(
                &format!("subjects[{i}].name"),
                &subject.name,
                "ServiceAccount name",
                rules::dns1123_subdomain(&subject.name),
            );
            if let Some(namespace) = &subject.namespace {
                self.rule(
                    &format!("subjects[{i}].namespace"),
                    namespace,
                    "namespace",
                    rules::dns1123_label(namespace),
                );
            }
        }
    }

    /// A Service name another object refers to at `field`.
    pub(super) fn service_name(&mut self, field: &str, name: &str) {
        self.rule(field, name, "Service name", rules::dns1123_label(name));
    }

    /// Every problem found, if any.
    pub(super) fn finish(self) -> Result<(), Vec<Problem>> {
        if self.problems.is_empty() {
            Ok(())
        } else {
            Err(self.problems)
        }
    }
}
