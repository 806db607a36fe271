//! The user's own manifests as the source of truth: read YAML streams and kubectl's `List`s
//! into an index of the objects the scrape chain depends on ([`Manifests`]), find every endpoint
//! picker in it and what a scrape of it needs ([`from_manifests`]), and lay that over
//! [`Options`] ([`Discovery::apply`]).
//!
//! kube-rs users who listed objects from a cluster fill a [`Manifests`] directly (its fields
//! are public, typed with k8s-openapi) and call [`from_manifests`]; nothing here does I/O.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use k8s_openapi::api::apps::v1::{DaemonSet, Deployment, StatefulSet};
use k8s_openapi::api::core::v1::{Container, Pod, PodTemplateSpec, Service, ServiceAccount};
use k8s_openapi::api::rbac::v1::{ClusterRole, ClusterRoleBinding, PolicyRule, Role, RoleBinding};
use serde_json::Value;

use crate::error::{Problem, Problems};
use crate::options::{LabelSelector, Options, Port, Target};
use crate::releases::{self, MetricsSchema, Project, Version};
use crate::tls::Warning;
use gmp_types::Scheme;

/// The most bytes one manifest input may have; the command does not read past it.
pub const MAX_MANIFEST_BYTES: u64 = 256 * 1024 * 1024;

/// The most a YAML text's aliases may add to it (see [`aliases_within`]).
pub const MAX_ALIAS_EXPANSION: u64 = 64 * 1024 * 1024;

/// How deeply `List`s may nest inside `List`s; kubectl prints one level.
const MAX_LIST_DEPTH: usize = 8;

/// The container name every endpoint-picker chart and manifest gives the picker.
pub const EPP_CONTAINER: &str = "epp";

/// An InferencePool, as far as the scrape chain needs it: which Service fronts its picker.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct InferencePool {
    /// `apiVersion`: `inference.networking.k8s.io/v1` or `inference.networking.x-k8s.io/v1alpha2`.
    pub api_version: String,
    /// Its namespace (`default` when the manifest leaves it out).
    pub namespace: String,
    /// Its name.
    pub name: String,
    /// The picker's Service: `spec.endpointPickerRef.name` (v1) or `spec.extensionRef.name`
    /// (v1alpha2).
    pub picker_service: Option<String>,
}

impl InferencePool {
    /// Reads the pool view from an object of kind `InferencePool` of either API version.
    pub fn from_value(value: &Value) -> Self {
        let text = |v: Option<&Value>| v.and_then(Value::as_str).map(str::to_owned);
        let spec = value.get("spec");
        let reference = spec
            .and_then(|s| s.get("endpointPickerRef").or_else(|| s.get("extensionRef")))
            .and_then(|r| r.get("name"));
        Self {
            api_version: text(value.get("apiVersion")).unwrap_or_default(),
            namespace: text(value.pointer("/metadata/namespace"))
                .unwrap_or_else(|| "default".to_owned()),
            name: text(value.pointer("/metadata/name")).unwrap_or_default(),
            picker_service: text(reference),
        }
    }
}

/// The objects of the input the scrape chain depends on, by kind; everything else is left out.
#[derive(Clone, Debug, Default)]
pub struct Manifests {
    /// Deployments (pickers and model servers).
    pub deployments: Vec<Deployment>,
    /// StatefulSets (pickers and model servers).
    pub stateful_sets: Vec<StatefulSet>,
    /// DaemonSets: never pickers, but their pods must not be selected.
    pub daemon_sets: Vec<DaemonSet>,
    /// Bare Pods: never pickers, but they must not be selected.
    pub pods: Vec<Pod>,
    /// Services (a pool's names its picker's).
    pub services: Vec<Service>,
    /// ServiceAccounts.
    pub service_accounts: Vec<ServiceAccount>,
    /// ClusterRoles (what a binding grants).
    pub cluster_roles: Vec<ClusterRole>,
    /// ClusterRoleBindings (who may create TokenReviews and SubjectAccessReviews).
    pub cluster_role_bindings: Vec<ClusterRoleBinding>,
    /// Roles.
    pub roles: Vec<Role>,
    /// RoleBindings.
    pub role_bindings: Vec<RoleBinding>,
    /// InferencePools of both API versions.
    pub inference_pools: Vec<InferencePool>,
}

/// One pod template of the input and the object that owns it.
#[derive(Clone, Copy, Debug)]
pub struct Workload<'m> {
    /// `Deployment`, `StatefulSet`, `DaemonSet` or `Pod`.
    pub kind: &'static str,
    /// Its namespace (`default` when left out).
    pub namespace: &'m str,
    /// Its name.
    pub name: &'m str,
    /// Labels of its pods.
    pub labels: Option<&'m BTreeMap<String, String>>,
    /// Its pods' spec.
    pub spec: Option<&'m k8s_openapi::api::core::v1::PodSpec>,
}

impl Workload<'_> {
    /// `Kind/namespace/name`, as findings name objects.
    pub fn id(&self) -> String {
        format!("{}/{}/{}", self.kind, self.namespace, self.name)
    }
}

fn namespace_of(meta: &k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta) -> &str {
    meta.namespace.as_deref().unwrap_or("default")
}

fn name_of(meta: &k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta) -> &str {
    meta.name.as_deref().unwrap_or("")
}

fn template<'m>(
    kind: &'static str,
    meta: &'m k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta,
    template: Option<&'m PodTemplateSpec>,
) -> Workload<'m> {
    Workload {
        kind,
        namespace: namespace_of(meta),
        name: name_of(meta),
        labels: template
            .and_then(|t| t.metadata.as_ref())
            .and_then(|m| m.labels.as_ref()),
        spec: template.and_then(|t| t.spec.as_ref()),
    }
}

impl Manifests {
    /// An empty index.
    pub fn new() -> Self {
        Self::default()
    }

    /// Reads one input (a YAML stream or JSON; `source` names it in problems) into the index:
    /// every document, and every item of a `List` (`kind: List` or any `*List` with `items`).
    /// Empty documents, objects of other kinds, and `null` items are skipped; a document that
    /// is not an object, or an object of a known kind that does not read as that kind, is a
    /// problem. Every problem of the input comes at once.
    pub fn read(&mut self, source: &str, text: &str) -> Result<(), Problems> {
        read_objects(source, text, &mut |at, kind, value| {
            self.insert(at, kind, value)
        })
    }

    /// Adds one object (or `List`) read elsewhere; `at` names it in problems.
    pub fn add(&mut self, at: &str, value: Value) -> Result<(), Problems> {
        let mut problems = Vec::new();
        walk(at, value, 0, &mut problems, &mut |at, kind, value| {
            self.insert(at, kind, value)
        });
        into_result(problems)
    }

    /// Files one object of kind `kind` under its kind; other kinds are left out.
    fn insert(&mut self, at: &str, kind: &str, value: Value) -> Result<(), Problem> {
        fn typed<T: serde::de::DeserializeOwned>(
            value: Value,
            into: &mut Vec<T>,
        ) -> Result<(), String> {
            serde_json::from_value(value)
                .map(|object| into.push(object))
                .map_err(|e| e.to_string())
        }
        let read = match kind {
            "Deployment" => typed(value, &mut self.deployments),
            "StatefulSet" => typed(value, &mut self.stateful_sets),
            "DaemonSet" => typed(value, &mut self.daemon_sets),
            "Pod" => typed(value, &mut self.pods),
            "Service" => typed(value, &mut self.services),
            "ServiceAccount" => typed(value, &mut self.service_accounts),
            "ClusterRole" => typed(value, &mut self.cluster_roles),
            "ClusterRoleBinding" => typed(value, &mut self.cluster_role_bindings),
            "Role" => typed(value, &mut self.roles),
            "RoleBinding" => typed(value, &mut self.role_bindings),
            "InferencePool" => {
                self.inference_pools.push(InferencePool::from_value(&value));
                Ok(())
            }
            _ => Ok(()),
        };
        read.map_err(|error| does_not_read(at, kind, &error))
    }

    /// Every pod template of the input: Deployments, StatefulSets, DaemonSets, then Pods.
    pub fn workloads(&self) -> impl Iterator<Item = Workload<'_>> {
        let deployments = self
            .deployments
            .iter()
            .map(|d| template("Deployment", &d.metadata, Some(&d.spec.template)));
        let stateful_sets = self
            .stateful_sets
            .iter()
            .map(|s| template("StatefulSet", &s.metadata, Some(&s.spec.template)));
        let daemon_sets = self
            .daemon_sets
            .iter()
            .map(|d| template("DaemonSet", &d.metadata, Some(&d.spec.template)));
        let pods = self.pods.iter().map(|p| Workload {
            kind: "Pod",
            namespace: namespace_of(&p.metadata),
            name: name_of(&p.metadata),
            labels: p.metadata.labels.as_ref(),
            spec: p.spec.as_ref(),
        });
        deployments
            .chain(stateful_sets)
            .chain(daemon_sets)
            .chain(pods)
    }
}

/// The problem of an object of a known kind that does not read as that kind.
pub(crate) fn does_not_read(at: &str, kind: &str, error: &impl std::fmt::Display) -> Problem {
    Problem {
        field: at.to_owned(),
        also: Vec::new(),
        value: kind.to_owned(),
        rule: format!("does not read as a {kind}: {error}"),
    }
}

fn into_result(problems: Vec<Problem>) -> Result<(), Problems> {
    if problems.is_empty() {
        Ok(())
    } else {
        Err(Problems(problems))
    }
}

/// What [`walk`] hands every object to: where it is, its kind, the object.
pub(crate) type Visit<'v> = dyn FnMut(&str, &str, Value) -> Result<(), Problem> + 'v;

/// Reads one input (a YAML stream or JSON, within [`MAX_MANIFEST_BYTES`] and
/// [`MAX_ALIAS_EXPANSION`]) and hands every object of it, `List`s opened, to `visit`; every
/// problem of the input comes at once.
pub(crate) fn read_objects(
    source: &str,
    text: &str,
    visit: &mut Visit<'_>,
) -> Result<(), Problems> {
    let mut problems = Vec::new();
    for (at, value) in documents(source, text)? {
        walk(&at, value, 0, &mut problems, visit);
    }
    into_result(problems)
}

/// Hands `value` to `visit` if it is an object, or each item if it is a `List` (`kind: List`
/// or any `*List` with `items`, nested at most [`MAX_LIST_DEPTH`] deep). `null`s are skipped;
/// anything else that is not an object, or has no kind, is a problem.
fn walk(at: &str, value: Value, depth: usize, problems: &mut Vec<Problem>, visit: &mut Visit<'_>) {
    let problem = |value: &str, rule: &str| Problem {
        field: at.to_owned(),
        also: Vec::new(),
        value: value.to_owned(),
        rule: rule.to_owned(),
    };
    let Value::Object(mut map) = value else {
        if !value.is_null() {
            problems.push(problem(
                &shown(&value),
                "is not a Kubernetes object (a mapping with apiVersion and kind)",
            ));
        }
        return;
    };
    let Some(kind) = map.get("kind").and_then(Value::as_str).map(str::to_owned) else {
        problems.push(problem("", "has no kind: not a Kubernetes object"));
        return;
    };
    if kind.ends_with("List") && map.contains_key("items") {
        if depth >= MAX_LIST_DEPTH {
            problems.push(problem(&kind, "nests Lists too deeply"));
            return;
        }
        match map.remove("items") {
            Some(Value::Array(items)) => {
                for (i, item) in items.into_iter().enumerate() {
                    walk(
                        &format!("{at}.items[{i}]"),
                        item,
                        depth + 1,
                        problems,
                        visit,
                    );
                }
            }
            Some(Value::Null) | None => {}
            Some(other) => problems.push(problem(&shown(&other), "items is not a list")),
        }
        return;
    }
    if let Err(problem) = visit(at, &kind, Value::Object(map)) {
        problems.push(problem);
    }
}

/// A value shortened for a problem: its JSON text.
fn shown(value: &Value) -> String {
    let text = value.to_string();
    if text.chars().count() > 80 {
        format!("{}...", text.chars().take(80).collect::<String>())
    } else {
        text
    }
}

/// The documents of one input, each with where it is (`SOURCE[DOC]`).
fn documents(source: &str, text: &str) -> Result<Vec<(String, Value)>, Problems> {
    let refuse = |value: String, rule: String| {
        Problems(vec![Problem {
            field: source.to_owned(),
            also: Vec::new(),
            value,
            rule,
        }])
    };
    if text.len() as u64 > MAX_MANIFEST_BYTES {
        return Err(refuse(
            format!("{} bytes", text.len()),
            format!(
                "is larger than {} MiB, the most a manifest input may have",
                MAX_MANIFEST_BYTES / (1024 * 1024)
            ),
        ));
    }
    // kubectl's `-o json` is one JSON document: serde_json reads it several times faster.
    let trimmed = text.trim_start();
    if (trimmed.starts_with('{') || trimmed.starts_with('['))
        && let Ok(value) = serde_json::from_str::<Value>(text)
    {
        return Ok(vec![(source.to_owned(), value)]);
    }
    if !aliases_within(text, MAX_ALIAS_EXPANSION) {
        return Err(refuse(
            String::new(),
            format!(
                "has aliases (`*name`) that repeat more than {} MiB of content, the most they may add",
                MAX_ALIAS_EXPANSION / (1024 * 1024)
            ),
        ));
    }
    let mut documents = Vec::new();
    for (i, document) in serde_yaml::Deserializer::from_str(text).enumerate() {
        let at = format!("{source}[{i}]");
        let value = serde::Deserialize::deserialize(document).map_err(|e: serde_yaml::Error| {
            refuse(String::new(), format!("is not valid YAML: {e}"))
        })?;
        documents.push((at, value));
    }
    Ok(documents)
}

/// Whether a YAML text's aliases add at most `limit` bytes when expanded (counting each
/// repeated scalar's bytes and one per repeated node), judged before anything is built from it.
/// A text without `*` has no alias and is not looked at again.
///
/// The same parser (serde_yaml replays an alias's events at each use) walks the text into
/// nothing but a running count: the scalars it sees are borrowed, so the walk allocates nothing
/// and stops at the limit. Without aliases the count stays below the text's length (every node
/// takes at least a byte of it), so the text's length plus the limit bounds what aliases add.
/// A text that is invalid YAML for another reason is within the limit: reading it reports that.
pub fn aliases_within(text: &str, limit: u64) -> bool {
    if !text.contains('*') {
        return true;
    }
    let budget = Budget {
        left: std::cell::Cell::new((text.len() as u64).saturating_add(limit)),
        exceeded: std::cell::Cell::new(false),
    };
    for document in serde_yaml::Deserializer::from_str(text) {
        let walked = serde::de::DeserializeSeed::deserialize(Measure(&budget), document);
        if walked.is_err() {
            break;
        }
    }
    !budget.exceeded.get()
}

/// What a text's expansion may still cost (see [`aliases_within`]).
struct Budget {
    left: std::cell::Cell<u64>,
    exceeded: std::cell::Cell<bool>,
}

/// Walks one YAML node, spending its cost from the budget.
#[derive(Clone, Copy)]
struct Measure<'b>(&'b Budget);

impl Measure<'_> {
    /// One node of `bytes` scalar bytes: an error once the budget is spent.
    fn spend<E: serde::de::Error>(self, bytes: usize) -> Result<(), E> {
        let cost = (bytes as u64).saturating_add(1);
        match self.0.left.get().checked_sub(cost) {
            Some(left) => {
                self.0.left.set(left);
                Ok(())
            }
            None => {
                self.0.exceeded.set(true);
                Err(E::custom("alias expansion limit"))
            }
        }
    }
}

impl<'de> serde::de::DeserializeSeed<'de> for Measure<'_> {
    type Value = ();

    fn deserialize<D: serde::Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> serde::de::Visitor<'de> for Measure<'_> {
    type Value = ();

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("any YAML node")
    }

    fn visit_bool<E: serde::de::Error>(self, _: bool) -> Result<(), E> {
        self.spend(0)
    }

    fn visit_i64<E: serde::de::Error>(self, _: i64) -> Result<(), E> {
        self.spend(0)
    }

    fn visit_u64<E: serde::de::Error>(self, _: u64) -> Result<(), E> {
        self.spend(0)
    }

    fn visit_f64<E: serde::de::Error>(self, _: f64) -> Result<(), E> {
        self.spend(0)
    }

    fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<(), E> {
        self.spend(v.len())
    }

    fn visit_unit<E: serde::de::Error>(self) -> Result<(), E> {
        self.spend(0)
    }

    fn visit_none<E: serde::de::Error>(self) -> Result<(), E> {
        self.spend(0)
    }

    fn visit_some<D: serde::Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        serde::de::DeserializeSeed::deserialize(self, deserializer)
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        self.spend(0)?;
        while seq.next_element_seed(self)?.is_some() {}
        Ok(())
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        self.spend(0)?;
        while map.next_key_seed(self)?.is_some() {
            map.next_value_seed(self)?;
        }
        Ok(())
    }

    /// A tagged node (`!tag value`): the tag, then the value.
    fn visit_enum<A: serde::de::EnumAccess<'de>>(self, data: A) -> Result<(), A::Error> {
        use serde::de::VariantAccess;
        let ((), variant) = data.variant_seed(self)?;
        variant.newtype_variant_seed(self)
    }
}

/// One endpoint picker found in the manifests, and what a scrape of it needs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Discovered {
    /// The workload running it, `Kind/namespace/name`.
    pub workload: String,
    /// The InferencePool it serves (`namespace/name`), when one names its Service.
    pub pool: Option<String>,
    /// Namespace of its pods.
    pub namespace: String,
    /// The target's name: the workload's, made an RFC 1123 label.
    pub name: String,
    /// The smallest selector that selects its pods and no other pod template of the input.
    pub selector: LabelSelector,
    /// The metrics port: the container port `metrics`, or `--metrics-port` as a number.
    pub port: Port,
    /// `https` when `--metrics-cert-dir` is set.
    pub scheme: Scheme,
    /// Whether `--metrics-client-ca-file` asks scrapes for a client certificate.
    pub mtls: bool,
    /// Whether `/metrics` checks tokens (off with `--metrics-endpoint-auth=false`).
    pub auth: bool,
    /// Its ServiceAccount, `namespace/name`.
    pub service_account: String,
    /// Whether nothing in the input lets that ServiceAccount create TokenReviews and
    /// SubjectAccessReviews (with auth on: every scrape would get 500).
    pub needs_auth_delegation: bool,
    /// The picker container's image.
    pub image: Option<String>,
    /// The release its image tag names, when it names one.
    pub version: Option<Version>,
    /// The metric schema that release emits.
    pub schema: Option<MetricsSchema>,
}

/// Every endpoint picker of the input, and what the reading found worth a warning.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Discovery {
    /// The pickers, in the order their pools (then their workloads) appear.
    pub pickers: Vec<Discovered>,
    /// A Service that selects nothing, an unknown image tag, TLS references to fill in, ...
    pub warnings: Vec<Warning>,
}

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
fn is_picker(container: &Container) -> bool {
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

fn selects(selector: &BTreeMap<String, String>, labels: Option<&BTreeMap<String, String>>) -> bool {
    !selector.is_empty()
        && selector
            .iter()
            .all(|(k, v)| labels.and_then(|l| l.get(k)) == Some(v))
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

/// Label keys the installs' charts and manifests select their pickers by (the release table's).
fn well_known_keys() -> BTreeSet<&'static str> {
    releases::RELEASES
        .iter()
        .flat_map(|r| std::iter::once(r.pod_label).chain(r.pod_label_without_pool))
        .map(|l| l.key)
        .collect()
}

/// The smallest matchLabels selector (preferring `preferred`'s pairs, then well-known keys)
/// that selects `labels` and no pod template in `others`.
fn smallest_selector(
    labels: &BTreeMap<String, String>,
    preferred: &BTreeMap<String, String>,
    known: &BTreeSet<&'static str>,
    selects_another: impl Fn(&BTreeMap<String, String>) -> bool,
) -> Option<BTreeMap<String, String>> {
    let mut order: Vec<(&String, &String)> = preferred
        .iter()
        .filter(|(k, v)| labels.get(*k) == Some(v))
        .collect();
    let rest = |well_known: bool| {
        labels
            .iter()
            .filter(move |(k, _)| known.contains(k.as_str()) == well_known)
    };
    for pair in rest(true).chain(rest(false)) {
        if !order.contains(&pair) {
            order.push(pair);
        }
    }
    let unique = |selector: &BTreeMap<String, String>| !selects_another(selector);
    for (k, v) in &order {
        let one = BTreeMap::from([((*k).clone(), (*v).clone())]);
        if unique(&one) {
            return Some(one);
        }
    }
    // No one label sets it apart: grow in the same order until the set does.
    let mut grown = BTreeMap::new();
    for (k, v) in order {
        grown.insert(k.clone(), v.clone());
        if unique(&grown) {
            return Some(grown);
        }
    }
    None
}

/// Which pod templates carry each label pair, so that judging a selector costs the templates
/// sharing its rarest pair, not every template of the input.
struct LabelIndex<'m> {
    postings: HashMap<(&'m str, &'m str), Vec<usize>>,
}

impl<'m> LabelIndex<'m> {
    fn new(workloads: &[Workload<'m>]) -> Self {
        let mut postings: HashMap<(&str, &str), Vec<usize>> = HashMap::new();
        for (i, workload) in workloads.iter().enumerate() {
            for (k, v) in workload.labels.into_iter().flatten() {
                postings
                    .entry((k.as_str(), v.as_str()))
                    .or_default()
                    .push(i);
            }
        }
        Self { postings }
    }

    /// The templates of `workloads` that `selector` (non-empty) selects.
    fn selected<'s>(
        &'s self,
        workloads: &'s [Workload<'_>],
        selector: &'s BTreeMap<String, String>,
    ) -> impl Iterator<Item = usize> + 's {
        let rarest = selector
            .iter()
            .map(|(k, v)| self.postings.get(&(k.as_str(), v.as_str())))
            .min_by_key(|p| p.map_or(0, Vec::len))
            .flatten();
        rarest.into_iter().flatten().copied().filter(move |&j| {
            workloads
                .get(j)
                .is_some_and(|w| selects(selector, w.labels))
        })
    }

    /// Whether `selector` selects a template of `workloads` other than `me`'s.
    fn selects_another(
        &self,
        workloads: &[Workload<'_>],
        selector: &BTreeMap<String, String>,
        me: usize,
    ) -> bool {
        self.selected(workloads, selector).any(|j| j != me)
    }
}

/// A workload name as a target name: an RFC 1123 label of at most 40 characters.
fn target_name(name: &str, taken: &BTreeSet<String>) -> String {
    let mut base: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .take(40)
        .collect();
    base = base.trim_matches('-').to_owned();
    if base.is_empty() {
        base = "epp".to_owned();
    }
    let mut candidate = base.clone();
    let mut n = 2;
    while taken.contains(&candidate) {
        candidate = format!("{base}-{n}");
        n += 1;
    }
    candidate
}

/// A picker found: its workload's index, its pool, its Service's selector.
pub(crate) type Found = (usize, Option<String>, Option<BTreeMap<String, String>>);

/// The input's pod templates and the index of their label pairs, made once.
pub(crate) struct Templates<'m> {
    /// Every pod template, in [`Manifests::workloads`]' order.
    pub(crate) workloads: Vec<Workload<'m>>,
    index: LabelIndex<'m>,
}

impl<'m> Templates<'m> {
    pub(crate) fn new(manifests: &'m Manifests) -> Self {
        let workloads: Vec<Workload<'m>> = manifests.workloads().collect();
        let index = LabelIndex::new(&workloads);
        Self { workloads, index }
    }

    /// The templates a selector with these `matchLabels` may select: those carrying its
    /// rarest pair, or every template when it has none. The caller still judges each.
    pub(crate) fn candidates<'s>(
        &'s self,
        match_labels: Option<&'s BTreeMap<String, String>>,
    ) -> Box<dyn Iterator<Item = usize> + 's> {
        match match_labels.filter(|m| !m.is_empty()) {
            Some(pairs) => Box::new(
                pairs
                    .iter()
                    .map(|(k, v)| self.index.postings.get(&(k.as_str(), v.as_str())))
                    .min_by_key(|p| p.map_or(0, Vec::len))
                    .flatten()
                    .into_iter()
                    .flatten()
                    .copied(),
            ),
            None => Box::new(0..self.workloads.len()),
        }
    }
}

/// Every endpoint picker of the input (see [`from_manifests`]) and the warnings finding them
/// gave: through each InferencePool's Service to the Deployments or StatefulSets it selects,
/// then any other Deployment or StatefulSet with a picker container.
pub(crate) fn find_pickers(
    manifests: &Manifests,
    templates: &Templates<'_>,
) -> (Vec<Found>, Vec<Warning>) {
    let (workloads, index) = (&templates.workloads, &templates.index);
    let mut taken: HashSet<usize> = HashSet::new();
    let services: HashMap<(&str, &str), &Service> = manifests
        .services
        .iter()
        .map(|s| ((namespace_of(&s.metadata), name_of(&s.metadata)), s))
        .collect();
    // Each picker's workload (an index into `workloads`), its pool, its Service's selector.
    let mut found: Vec<Found> = Vec::new();
    let mut warnings = Vec::new();
    let warn = |warnings: &mut Vec<Warning>, field: String, message: String| {
        warnings.push(Warning { field, message });
    };
    for pool in &manifests.inference_pools {
        let at = format!("InferencePool/{}/{}", pool.namespace, pool.name);
        let Some(service_name) = &pool.picker_service else {
            warn(&mut warnings, at, "names no endpoint-picker Service (spec.endpointPickerRef.name / spec.extensionRef.name)".to_owned());
            continue;
        };
        let service = services
            .get(&(pool.namespace.as_str(), service_name.as_str()))
            .copied();
        let Some(service) = service else {
            warn(
                &mut warnings,
                at,
                format!("its picker Service {service_name:?} is not in the input"),
            );
            continue;
        };
        let selector = service
            .spec
            .as_ref()
            .and_then(|s| s.selector.clone())
            .unwrap_or_default();
        let selected: Vec<usize> = index
            .selected(workloads, &selector)
            .filter(|&i| {
                workloads.get(i).is_some_and(|w| {
                    matches!(w.kind, "Deployment" | "StatefulSet") && w.namespace == pool.namespace
                })
            })
            .collect();
        if selected.is_empty() {
            warn(
                &mut warnings,
                format!("Service/{}/{service_name}", pool.namespace),
                "selects no Deployment or StatefulSet of the input: the pool's picker is not here"
                    .to_owned(),
            );
        }
        let with_picker: Vec<usize> = selected
            .iter()
            .copied()
            .filter(|&i| workloads.get(i).and_then(picker_container).is_some())
            .collect();
        let chosen = if with_picker.is_empty() {
            selected
        } else {
            with_picker
        };
        for i in chosen {
            if taken.insert(i) {
                found.push((
                    i,
                    Some(format!("{}/{}", pool.namespace, pool.name)),
                    Some(selector.clone()),
                ));
            }
        }
    }
    for (i, workload) in workloads.iter().enumerate() {
        if matches!(workload.kind, "Deployment" | "StatefulSet")
            && !taken.contains(&i)
            && workload
                .spec
                .is_some_and(|s| s.containers.iter().any(is_picker))
        {
            found.push((i, None, None));
        }
    }
    (found, warnings)
}

/// Finds every endpoint picker of the input: through each InferencePool's Service to the
/// Deployment or StatefulSet whose pods it selects, then any other workload with a picker
/// container (named `epp`, or a picker image). For each it derives a scrape target (see
/// [`Discovered`]). A picker whose pods no selector can set apart from every other pod
/// template of the input is a problem naming the workloads; so is an input without a picker.
pub fn from_manifests(manifests: &Manifests) -> Result<Discovery, Problems> {
    let templates = Templates::new(manifests);
    let (workloads, index) = (&templates.workloads, &templates.index);
    let known = well_known_keys();
    let (found, mut warnings) = find_pickers(manifests, &templates);
    let warn = |warnings: &mut Vec<Warning>, field: String, message: String| {
        warnings.push(Warning { field, message });
    };
    let mut problems = Vec::new();
    let mut pickers = Vec::new();
    let mut names = BTreeSet::new();
    for (i, pool, service_selector) in found {
        let Some(&workload) = workloads.get(i) else {
            continue;
        };
        let id = workload.id();
        let empty = BTreeMap::new();
        let labels = workload.labels.unwrap_or(&empty);
        let Some(selector) = smallest_selector(
            labels,
            service_selector.as_ref().unwrap_or(&empty),
            &known,
            |selector| index.selects_another(workloads, selector, i),
        ) else {
            let alike: Vec<String> = workloads
                .iter()
                .enumerate()
                .filter(|(j, w)| *j != i && selects(labels, w.labels))
                .map(|(_, w)| w.id())
                .collect();
            problems.push(Problem {
                field: id,
                also: alike.clone(),
                value: format!("{labels:?}"),
                rule: format!(
                    "its pod labels do not set its pods apart from those of {}: no selector can select only the picker's pods (give its pods a label of their own)",
                    if alike.is_empty() { "another workload".to_owned() } else { alike.join(", ") }
                ),
            });
            continue;
        };
        let container = picker_container(&workload);
        let port = match Serving::of(container).port_flag {
            Some(text) => match text.parse::<u16>() {
                Ok(n) if n > 0 => {
                    let named = container
                        .and_then(|c| c.ports.as_ref())
                        .into_iter()
                        .flatten()
                        .find(|p| p.name.as_deref() == Some("metrics"));
                    match named {
                        Some(p) if p.container_port == i32::from(n) => Port::default(),
                        _ => Port::from(n),
                    }
                }
                _ => {
                    problems.push(Problem {
                        field: format!("{id}: --metrics-port"),
                        also: Vec::new(),
                        value: text.to_owned(),
                        rule: "is not a port number from 1 to 65535".to_owned(),
                    });
                    continue;
                }
            },
            None => {
                let named = container
                    .and_then(|c| c.ports.as_ref())
                    .into_iter()
                    .flatten()
                    .any(|p| p.name.as_deref() == Some("metrics"));
                if named {
                    Port::default()
                } else {
                    warn(
                        &mut warnings,
                        id.clone(),
                        format!(
                            "declares no container port named metrics: scraping port {}, the picker's default",
                            releases::METRICS_PORT.number
                        ),
                    );
                    Port::from(releases::METRICS_PORT.number)
                }
            }
        };
        let Serving {
            tls, mtls, auth, ..
        } = Serving::of(container);
        let name = target_name(workload.name, &names);
        names.insert(name.clone());
        if tls {
            warn(
                &mut warnings,
                format!("targets[{}].tls", pickers.len()),
                format!(
                    "{id} serves /metrics over TLS (--metrics-cert-dir): scraping with https; the manifests cannot say which Secret holds its CA{}, so set tls.ca (--tls-ca-secret){} and, unless its certificate names the pod's IP, tls.serverName (--tls-server-name)",
                    if mtls {
                        " or the client certificate its --metrics-client-ca-file trusts"
                    } else {
                        ""
                    },
                    if mtls {
                        ", tls.cert and tls.key (--tls-cert-secret, --tls-key-secret)"
                    } else {
                        ""
                    },
                ),
            );
        }
        if !auth {
            warn(&mut warnings, id.clone(), "--metrics-endpoint-auth=false: the picker checks no token (the bundle's reader token is sent but not needed), and needs no auth delegation".to_owned());
        }
        let account = service_account_of(&workload);
        let needs_auth_delegation = auth
            && !may_review(
                &manifests.cluster_role_bindings,
                &manifests.cluster_roles,
                workload.namespace,
                account,
            );
        if needs_auth_delegation && account == "default" {
            warn(
                &mut warnings,
                id.clone(),
                format!(
                    "runs as the namespace's default ServiceAccount ({}/default): binding it to system:auth-delegator lets every pod of {} that uses it review tokens; give the picker a ServiceAccount of its own",
                    workload.namespace, workload.namespace
                ),
            );
        }
        let image = container.and_then(|c| c.image.clone());
        let (project, version) = image.as_deref().map_or((None, None), release_of);
        let schema = match (project, version) {
            (Some(project), Some(version)) => Some(releases::schema_at(project, version)),
            _ => {
                // A project's unreleased tags (LDR charts default to `main`) are closest to its
                // newest release; an image of no known project leaves the default alone.
                let newest = project.and_then(releases::newest).map(|r| r.schema);
                warn(
                    &mut warnings,
                    id.clone(),
                    format!(
                        "image {:?} names no release this tool knows (a tag such as main): the metric schema stays {}, unless metricsSchema (--metrics-schema) says",
                        image.as_deref().unwrap_or(""),
                        newest.map_or_else(
                            || "the default".to_owned(),
                            |s| format!("{}, its project's newest release's", s.as_str())
                        )
                    ),
                );
                newest
            }
        };
        pickers.push(Discovered {
            workload: id,
            pool,
            namespace: workload.namespace.to_owned(),
            name,
            selector: LabelSelector {
                match_labels: selector,
                match_expressions: Vec::new(),
            },
            port,
            scheme: if tls { Scheme::Https } else { Scheme::Http },
            mtls,
            auth,
            service_account: format!("{}/{account}", workload.namespace),
            needs_auth_delegation,
            image,
            version,
            schema,
        });
    }
    if pickers.is_empty() && problems.is_empty() {
        problems.push(Problem {
            field: "manifests".to_owned(),
            also: Vec::new(),
            value: String::new(),
            rule: "hold no endpoint picker (an InferencePool's Service selecting a Deployment or StatefulSet, or a container named epp)".to_owned(),
        });
    }
    if problems.is_empty() {
        Ok(Discovery { pickers, warnings })
    } else {
        Err(Problems(problems))
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

impl Discovery {
    /// Lays what the manifests say under `options` (a config file's and flags' choices): one
    /// target per picker, with its own `authDelegation` when its ServiceAccount may not review
    /// tokens. The options win where they differ from their defaults (`port`, `scheme`,
    /// `metricsSchema`/`eppVersion`, `tls`); choosing the pods
    /// themselves (`targets`, `preset`, a `selector` other than the default) conflicts with
    /// the manifests and is refused. Pickers that differ in port or scheme get their own
    /// (`targets[].port`, `targets[].scheme`); pickers that emit different metric names are
    /// refused unless the options settle it (the alerts and dashboard query one schema).
    pub fn apply(&self, mut options: Options) -> Result<(Options, Vec<Warning>), Problems> {
        let defaults = Options::default();
        let mut problems = Vec::new();
        let conflict = |field: &str, value: String| {
            Problem {
            field: field.to_owned(),
            also: vec!["manifests".to_owned()],
            value,
            rule: "conflicts with reading the endpoint pickers from manifests, which choose the pods themselves".to_owned(),
        }
        };
        if !options.targets.is_empty() {
            problems.push(conflict(
                "targets",
                format!("{} targets", options.targets.len()),
            ));
        }
        if let Some(preset) = &options.preset {
            problems.push(conflict("preset", preset.flavor.as_str().to_owned()));
        }
        if options.selector != defaults.selector {
            problems.push(conflict("selector", format!("{:?}", options.selector)));
        }
        let warnings = self.warnings.clone();
        let agreed = |what: &str, values: Vec<String>, problems: &mut Vec<Problem>| {
            let distinct: BTreeSet<&String> = values.iter().collect();
            if distinct.len() > 1 {
                problems.push(Problem {
                    field: what.to_owned(),
                    also: vec!["manifests".to_owned()],
                    value: distinct.into_iter().cloned().collect::<Vec<_>>().join(", "),
                    rule: format!(
                        "differ between the endpoint pickers ({}); the bundle has one: set {what}",
                        self.pickers
                            .iter()
                            .map(|p| p.workload.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                });
                false
            } else {
                true
            }
        };
        // Port and scheme: the options' when given, else the pickers' (shared when they
        // agree, each target's own when they do not).
        let differ = |same: &dyn Fn(&Discovered, &Discovered) -> bool| {
            self.pickers
                .first()
                .is_some_and(|first| self.pickers.iter().any(|p| !same(first, p)))
        };
        let own_ports = options.port == defaults.port && differ(&|a, b| a.port == b.port);
        if options.port == defaults.port
            && let (Some(first), false) = (self.pickers.first(), own_ports)
        {
            options.port = first.port.clone();
        }
        let own_schemes = options.scheme == defaults.scheme && differ(&|a, b| a.scheme == b.scheme);
        if options.scheme == defaults.scheme
            && let (Some(first), false) = (self.pickers.first(), own_schemes)
        {
            options.scheme = first.scheme;
        }
        if options.metrics_schema.is_none() && options.epp_version.is_none() {
            let known: Vec<MetricsSchema> = self.pickers.iter().filter_map(|p| p.schema).collect();
            let schemas = known.iter().map(|s| s.as_str().to_owned()).collect();
            if agreed("metricsSchema", schemas, &mut problems) {
                options.metrics_schema = known.first().copied();
            }
        }
        options.targets = self
            .pickers
            .iter()
            .map(|p| Target {
                name: p.name.clone(),
                namespace: Some(p.namespace.clone()),
                selector: Some(p.selector.clone()),
                preset: None,
                tls: None,
                port: own_ports.then(|| p.port.clone()),
                scheme: own_schemes.then_some(p.scheme),
                // Each picker that may not review tokens gets its own binding; one the options
                // delegate already (`authDelegation`) is bound once.
                auth_delegation: p.needs_auth_delegation.then(|| p.service_account.clone()),
            })
            .collect();
        if problems.is_empty() {
            Ok((options, warnings))
        } else {
            Err(Problems(problems))
        }
    }
}
