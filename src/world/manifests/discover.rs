//! Discovery: every endpoint picker of the manifests, the selector that sets its pods apart,
//! and the options that scrape it.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use k8s_openapi::Resource;
use k8s_openapi::api::core::v1::{Container, Service};

use super::picker::{
    Serving, is_picker, may_review, picker_container, release_of, service_account_of,
};
use super::{INFERENCE_POOL, Manifests, Workload, name_of, namespace_of};
use crate::diagnostics::Warning;
use crate::diagnostics::{Problem, Problems, SHOWN_NAMES, listed};
use crate::kinds::{ObjectRef, ServiceAccountRef};
use crate::options::releases::{self, MetricsSchema, Project, Version};
use crate::options::selector::Matcher;
use crate::options::{LabelSelector, MonitoringMode, Port, SERVICE_METRICS_PORT};
use gmp_types::Scheme;

/// One endpoint picker found in the manifests, and what a scrape of it needs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Discovered {
    /// The workload running it.
    pub workload: ObjectRef,
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
    /// Its ServiceAccount.
    pub service_account: ServiceAccountRef,
    /// Whether nothing in the input lets that ServiceAccount create TokenReviews and
    /// SubjectAccessReviews (with auth on: every scrape would get 500).
    pub needs_auth_delegation: bool,
    /// The picker container's image.
    pub image: Option<String>,
    /// The release its image tag names, when it names one.
    pub version: Option<Version>,
    /// The metric schema that release emits.
    pub schema: Option<MetricsSchema>,
    /// The project its image is a release of, when the image names one.
    pub project: Option<Project>,
    /// The port `/metrics` is served on: `--metrics-port`, else the picker's default.
    pub serving_port: u16,
    /// The picker container's named ports, each with its number.
    pub named_ports: BTreeMap<String, i32>,
    /// The labels that set apart the Service in front of its pods (for `scrapeThrough:
    /// service`): of the labelled Services of its namespace selecting them, one with the port
    /// `http-metrics` first; one pair no other Service of the input has
    /// (`app.kubernetes.io/name` first), else all of them. `None` when no labelled Service
    /// selects its pods.
    pub service_selector: Option<LabelSelector>,
}

/// Every endpoint picker of the input, and what the reading found worth a warning.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Discovery {
    /// The pickers, in the order their pools (then their workloads) appear.
    pub pickers: Vec<Discovered>,
    /// A Service that selects nothing, an unknown image tag, TLS references to fill in, ...
    pub warnings: Vec<Warning>,
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
/// that selects `labels` (those of template `me`) and no other pod template of `workloads`.
/// Linear in the labels and the templates sharing them: a pair carried by `me` alone is
/// enough; else the pairs are added in order, keeping only the other templates that carry
/// every pair so far, until none is left.
fn smallest_selector(
    labels: &BTreeMap<String, String>,
    preferred: &BTreeMap<String, String>,
    known: &BTreeSet<&'static str>,
    index: &LabelIndex<'_>,
    workloads: &[Workload<'_>],
    me: usize,
    monitoring: MonitoringMode,
) -> Option<BTreeMap<String, String>> {
    // A PodMonitoring selects pods of its own namespace only: others elsewhere do not count.
    let namespace = workloads.get(me).map(|w| w.namespace);
    let rival = |j: usize| {
        j != me
            && (monitoring == MonitoringMode::Cluster
                || workloads.get(j).map(|w| w.namespace) == namespace)
    };
    let mut order: Vec<(&String, &String)> = preferred
        .iter()
        .filter(|(k, v)| labels.get(*k) == Some(v))
        .collect();
    let mut ordered: HashSet<&str> = order.iter().map(|(k, _)| k.as_str()).collect();
    let rest = |well_known: bool| {
        labels
            .iter()
            .filter(move |(k, _)| known.contains(k.as_str()) == well_known)
    };
    for pair in rest(true).chain(rest(false)) {
        if ordered.insert(pair.0.as_str()) {
            order.push(pair);
        }
    }
    for (k, v) in &order {
        if index
            .carrying(k, v)
            .is_some_and(|p| p.iter().all(|&j| j == me))
        {
            return Some(BTreeMap::from([((*k).clone(), (*v).clone())]));
        }
    }
    // No one label sets it apart: grow in the same order until the set does.
    let mut grown = BTreeMap::new();
    let mut others: Option<Vec<usize>> = None;
    for (k, v) in order {
        grown.insert(k.clone(), v.clone());
        let left = match others.take() {
            None => index
                .carrying(k, v)
                .into_iter()
                .flatten()
                .copied()
                .filter(|&j| rival(j))
                .collect(),
            Some(mut left) => {
                left.retain(|&j| {
                    workloads
                        .get(j)
                        .and_then(|w| w.labels)
                        .and_then(|l| l.get(k))
                        == Some(v)
                });
                left
            }
        };
        if left.is_empty() {
            return Some(grown);
        }
        others = Some(left);
    }
    None
}

/// Which pod templates carry each label pair, so that judging a selector costs the templates
/// sharing its rarest pair, not every template of the input.
struct LabelIndex<'m> {
    postings: HashMap<(&'m str, &'m str), Vec<usize>>,
}

impl<'m> LabelIndex<'m> {
    /// The templates carrying the pair `k=v`.
    fn carrying<'s>(&'s self, k: &'s str, v: &'s str) -> Option<&'s Vec<usize>> {
        self.postings.get(&(k, v))
    }

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
        let matcher = Matcher::of_service(selector);
        rarest
            .into_iter()
            .flatten()
            .copied()
            .filter(move |&j| workloads.get(j).is_some_and(|w| matcher.matches(w.labels)))
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
pub(crate) type Candidate = (usize, Option<String>, Option<BTreeMap<String, String>>);

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
        match_labels: &'s BTreeMap<String, String>,
    ) -> Box<dyn Iterator<Item = usize> + 's> {
        match Some(match_labels).filter(|m| !m.is_empty()) {
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
) -> (Vec<Candidate>, Vec<Warning>) {
    let (workloads, index) = (&templates.workloads, &templates.index);
    let mut taken: HashSet<usize> = HashSet::new();
    let services: HashMap<(&str, &str), &Service> = manifests
        .services
        .iter()
        .map(|s| ((namespace_of(&s.metadata), name_of(&s.metadata)), s))
        .collect();
    // Each picker's workload (an index into `workloads`), its pool, its Service's selector.
    let mut found: Vec<Candidate> = Vec::new();
    let mut warnings = Vec::new();
    let warn = |warnings: &mut Vec<Warning>, object: ObjectRef, message: String| {
        warnings.push(Warning::object(object, "", message));
    };
    for pool in &manifests.inference_pools {
        let at = ObjectRef::new(INFERENCE_POOL, Some(&pool.namespace), &pool.name);
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
                workloads
                    .get(i)
                    .is_some_and(|w| w.kind.deploys_pickers() && w.namespace == pool.namespace)
            })
            .collect();
        // The Service only says where the picker is; its container says what it is: a model
        // server a Service selects by mistake is no picker.
        let (chosen, not_pickers): (Vec<usize>, Vec<usize>) = selected
            .iter()
            .partition(|&&i| workloads.get(i).and_then(picker_container).is_some());
        if chosen.is_empty() {
            warn(
                &mut warnings,
                ObjectRef::new(Service::KIND, Some(&pool.namespace), service_name),
                if not_pickers.is_empty() {
                    "selects no Deployment or StatefulSet of the input: the pool's picker is not here".to_owned()
                } else {
                    format!(
                        "selects {}, which run{} no endpoint-picker container (a picker image, or --pool-name): the pool's picker is not here",
                        listed(
                            not_pickers
                                .iter()
                                .filter_map(|&i| workloads.get(i).map(Workload::id))
                        ),
                        if not_pickers.len() == 1 { "s" } else { "" }
                    )
                },
            );
        }
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
        if workload.kind.deploys_pickers()
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

/// Whether the input holds an endpoint picker at all, by [`discover`]'s search (whether it can
/// be monitored aside).
pub fn holds_picker(manifests: &Manifests) -> bool {
    !find_pickers(manifests, &Templates::new(manifests))
        .0
        .is_empty()
}

/// Finds every endpoint picker of the input: through each InferencePool's Service to the
/// Deployment or StatefulSet whose pods it selects, then any other workload with a picker
/// container (a picker image, or a picker's flags). For each it derives a scrape target (see
/// [`Discovered`]). A picker whose pods no selector can set apart from every other pod
/// template of the input is a problem naming the workloads; so is an input without a picker.
pub fn from_manifests(manifests: &Manifests) -> Result<Discovery, Problems> {
    discover(manifests, MonitoringMode::Cluster)
}

/// [`from_manifests`] for the monitoring the bundle will have (`monitoring`): with
/// PodMonitorings, each selecting pods of its own namespace, a picker's labels need only set
/// it apart within its namespace (the same Helm release installed in two namespaces).
pub fn discover(manifests: &Manifests, monitoring: MonitoringMode) -> Result<Discovery, Problems> {
    let templates = Templates::new(manifests);
    let known = well_known_keys();
    let (found, mut warnings) = find_pickers(manifests, &templates);
    let mut problems = Vec::new();
    let mut pickers = Vec::new();
    let mut names = BTreeSet::new();
    // Pickers no selector sets apart, told once.
    let mut unmatched: HashSet<usize> = HashSet::new();
    for (i, pool, service_selector) in found {
        let Some(&workload) = templates.workloads.get(i) else {
            continue;
        };
        let empty = BTreeMap::new();
        let labels = workload.labels.unwrap_or(&empty);
        let Some(selector) = smallest_selector(
            labels,
            service_selector.as_ref().unwrap_or(&empty),
            &known,
            &templates.index,
            &templates.workloads,
            i,
            monitoring,
        ) else {
            if unmatched.insert(i) {
                problems.extend(not_set_apart(&templates, i, monitoring, &mut unmatched));
            }
            continue;
        };
        let container = picker_container(&workload);
        let Some(port) = scrape_port(&workload, container, &mut problems, &mut warnings) else {
            continue;
        };
        let name = target_name(workload.name, &names);
        names.insert(name.clone());
        let picker = Discovered {
            pool,
            name,
            selector: LabelSelector {
                match_labels: selector,
                match_expressions: Vec::new(),
            },
            port,
            ..facts(
                manifests,
                &workload,
                container,
                pickers.len(),
                &mut warnings,
            )
        };
        pickers.push(picker);
    }
    if pickers.is_empty() && problems.is_empty() {
        let named = manifests
            .sources
            .iter()
            .map(|source| match source.as_str() {
                "-" => "- (standard input)",
                other => other,
            });
        problems.push(Problem {
            field: "manifests".to_owned(),
            also: Vec::new(),
            value: listed(named),
            rule: "hold no endpoint picker (an InferencePool's Service selecting a Deployment or StatefulSet, or a container named epp)".to_owned(),
        });
    }
    if problems.is_empty() {
        Ok(Discovery { pickers, warnings })
    } else {
        Err(Problems(problems))
    }
}

/// The problem of picker `i`, whose pod labels set it apart from no other pod template (for
/// `monitoring`: within its namespace for PodMonitorings); the pickers alike are told with it
/// and marked `unmatched`, so they are one problem, not one each listing all the others.
fn not_set_apart(
    templates: &Templates<'_>,
    i: usize,
    monitoring: MonitoringMode,
    unmatched: &mut HashSet<usize>,
) -> Option<Problem> {
    let workloads = &templates.workloads;
    let workload = workloads.get(i)?;
    let empty = BTreeMap::new();
    let labels = workload.labels.unwrap_or(&empty);
    let alike: Vec<usize> = templates
        .index
        .selected(workloads, labels)
        .filter(|&j| {
            j != i
                && (monitoring == MonitoringMode::Cluster
                    || workloads.get(j).map(|w| w.namespace) == Some(workload.namespace))
        })
        .collect();
    let elsewhere = monitoring == MonitoringMode::Cluster
        && !alike.is_empty()
        && alike.iter().all(|&j| {
            workloads
                .get(j)
                .is_some_and(|w| w.namespace != workload.namespace)
        });
    unmatched.extend(alike.iter().copied());
    let ids = alike
        .iter()
        .filter_map(|&j| workloads.get(j).map(Workload::id));
    Some(Problem {
        field: workload.id().to_string(),
        also: ids
            .clone()
            .take(SHOWN_NAMES)
            .map(|id| id.to_string())
            .collect(),
        value: format!("{labels:?}"),
        rule: format!(
            "its pod labels do not set its pods apart from those of {}: no selector can select only the picker's pods (give its pods a label of their own{})",
            if alike.is_empty() {
                "another workload".to_owned()
            } else {
                listed(ids)
            },
            if elsewhere {
                ", or scrape each namespace with its own PodMonitoring: monitoring pod, --monitoring pod"
            } else {
                ""
            }
        ),
    })
}

/// The port to scrape a picker on: the container port `metrics` when that is where it serves,
/// else the number `--metrics-port` says (or its default, warned about); `None` with a
/// problem when the flag is no port number.
fn scrape_port(
    workload: &Workload<'_>,
    container: Option<&Container>,
    problems: &mut Vec<Problem>,
    warnings: &mut Vec<Warning>,
) -> Option<Port> {
    let named = container
        .and_then(|c| c.ports.as_ref())
        .into_iter()
        .flatten()
        .find(|p| p.name.as_deref() == Some("metrics"));
    match Serving::of(container).port_flag {
        Some(text) => match text.parse::<u16>() {
            Ok(n) if n > 0 => Some(match named {
                Some(p) if p.container_port == i32::from(n) => Port::default(),
                _ => Port::from(n),
            }),
            _ => {
                problems.push(Problem {
                    field: format!("{}: --metrics-port", workload.id()),
                    also: Vec::new(),
                    value: text.to_owned(),
                    rule: "is not a port number from 1 to 65535".to_owned(),
                });
                None
            }
        },
        None if named.is_some() => Some(Port::default()),
        None => {
            warnings.push(Warning::object(
                workload.id(),
                "",
                format!(
                    "declares no container port named metrics: scraping port {}, the picker's default",
                    releases::METRICS_PORT.number
                ),
            ));
            Some(Port::from(releases::METRICS_PORT.number))
        }
    }
}

/// What the manifests say of the picker of `workload` (its `target`-th), but for its pool,
/// name, selector and port, with the warnings they call for: how it serves `/metrics`, who it
/// runs as, and its release.
fn facts(
    manifests: &Manifests,
    workload: &Workload<'_>,
    container: Option<&Container>,
    target: usize,
    warnings: &mut Vec<Warning>,
) -> Discovered {
    let id = workload.id();
    let serving = Serving::of(container);
    let Serving {
        tls, mtls, auth, ..
    } = serving;
    serving_warnings(&id, target, serving, warnings);
    let account = service_account_of(workload);
    let needs_auth_delegation = auth
        && !may_review(
            &manifests.cluster_role_bindings,
            &manifests.cluster_roles,
            &account,
        );
    if needs_auth_delegation && account.name == "default" {
        warnings.push(Warning::object(
            id.clone(),
            "",
            format!(
                "runs as the namespace's default ServiceAccount ({}/default): binding it to system:auth-delegator lets every pod of {} that uses it review tokens; give the picker a ServiceAccount of its own",
                workload.namespace, workload.namespace
            ),
        ));
    }
    let image = container.and_then(|c| c.image.clone());
    let (project, version, schema) = release(&id, image.as_deref(), warnings);
    Discovered {
        workload: id,
        pool: None,
        namespace: workload.namespace.to_owned(),
        name: String::new(),
        selector: LabelSelector::default(),
        port: Port::default(),
        scheme: if tls { Scheme::Https } else { Scheme::Http },
        mtls,
        auth,
        service_account: account,
        needs_auth_delegation,
        image,
        version,
        schema,
        project,
        serving_port: serving
            .port_flag
            .and_then(|text| text.parse().ok())
            .unwrap_or(releases::METRICS_PORT.number),
        named_ports: container
            .and_then(|c| c.ports.as_ref())
            .into_iter()
            .flatten()
            .filter_map(|p| Some((p.name.clone()?, p.container_port)))
            .collect(),
        service_selector: service_selector(manifests, workload),
    }
}

/// See [`Discovered::service_selector`].
fn service_selector(manifests: &Manifests, workload: &Workload<'_>) -> Option<LabelSelector> {
    let fronting: Vec<&Service> = (manifests.services.iter())
        .filter(|s| namespace_of(&s.metadata) == workload.namespace && labels_of(s).is_some())
        .filter(|s| {
            let selector = s.spec.as_ref().and_then(|spec| spec.selector.as_ref());
            selector.is_some_and(|sel| Matcher::of_service(sel).matches(workload.labels))
        })
        .collect();
    let metrics_port = |s: &&&Service| {
        (s.spec
            .as_ref()
            .and_then(|spec| spec.ports.as_ref())
            .into_iter()
            .flatten())
        .any(|p| p.name.as_deref() == Some(SERVICE_METRICS_PORT))
    };
    let service = (fronting.iter().find(metrics_port)).or(fronting.first())?;
    let labels = labels_of(service)?;
    let unique = |(key, value): (&String, &String)| {
        let shared = (manifests.services.iter())
            .filter(|other| !std::ptr::eq(*other, *service))
            .any(|other| labels_of(other).and_then(|l| l.get(key)) == Some(value));
        (!shared).then(|| (key.clone(), value.clone()))
    };
    let preferred = labels.get_key_value(NAME_LABEL).and_then(unique);
    let match_labels = preferred
        .or_else(|| labels.iter().find_map(unique))
        .map_or_else(|| labels.clone(), |pair| BTreeMap::from([pair]));
    Some(LabelSelector {
        match_labels,
        match_expressions: Vec::new(),
    })
}

/// A Service's labels, if it has any.
fn labels_of(service: &Service) -> Option<&BTreeMap<String, String>> {
    service.metadata.labels.as_ref().filter(|l| !l.is_empty())
}

/// The label the charts name their objects by, and so a Service's best single label.
const NAME_LABEL: &str = "app.kubernetes.io/name";

/// The warnings of how picker `id` (the `target`-th) serves `/metrics`: TLS references the
/// manifests cannot give, and a token nobody checks.
fn serving_warnings(
    id: &ObjectRef,
    target: usize,
    serving: Serving<'_>,
    warnings: &mut Vec<Warning>,
) {
    if serving.tls {
        let mtls = serving.mtls;
        warnings.push(Warning::option(
            format!("targets[{target}].tls"),
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
        ));
    }
    if !serving.auth {
        warnings.push(Warning::object(id.clone(), "", "--metrics-endpoint-auth=false: the picker checks no token (the bundle's reader token is sent but not needed), and needs no auth delegation"));
    }
}

/// The project, release and metric schema of a picker's `image`, warning (for picker `id`)
/// when its tag names no release this tool knows.
fn release(
    id: &ObjectRef,
    image: Option<&str>,
    warnings: &mut Vec<Warning>,
) -> (Option<Project>, Option<Version>, Option<MetricsSchema>) {
    let (project, version) = image.map_or((None, None), release_of);
    if let (Some(project), Some(version)) = (project, version) {
        return (
            Some(project),
            Some(version),
            Some(releases::schema_at(project, version)),
        );
    }
    // A project's unreleased tags (LDR charts default to `main`) are closest to its newest
    // release; an image of no known project leaves the default alone.
    let newest = project.and_then(releases::newest).map(|r| r.schema);
    warnings.push(Warning::object(
        id.clone(),
        "",
        format!(
            "image {:?} names no release this tool knows (a tag such as main): the metric schema stays {}, unless metricsSchema (--metrics-schema) says",
            image.unwrap_or(""),
            newest.map_or_else(
                || "the default".to_owned(),
                |s| format!("{}, its project's newest release's", s.as_str())
            )
        ),
    ));
    (project, version, newest)
}
