//! Names and their blame: each object's name made once from the options (given, or the
//! default qualified and prefixed), with the options it came from, and every name judged by
//! its kind's rule as it will reach its object, so that a problem names every option involved.

use std::collections::{HashMap, HashSet};

use super::{ObjectId, Plan};
use crate::diagnostics::{Problem, ProblemsBuilder};
use crate::kinds::Kind;
use crate::options::{
    COLLECTOR_SERVICE_ACCOUNT, MonitoringMode, Options, RulesScope, SecretAccess,
};
use crate::rules;

/// Where a name came from: the options that were set and made it what it is.
#[derive(Clone, Debug, Default)]
pub(super) struct Sources {
    /// The name's own option (`names.tokenSecret`), set or not.
    own: &'static str,
    /// Whether `own` was set.
    given: bool,
    /// The other options that went into it, as set by the user.
    from: Vec<&'static str>,
    /// The target whose option `own` is (`targets[i].<own>`), when it is a target's.
    pub(super) of_target: Option<usize>,
}

impl Sources {
    fn given(own: &'static str) -> Self {
        Self {
            own,
            given: true,
            from: Vec::new(),
            of_target: None,
        }
    }

    fn derived(own: &'static str, from: Option<&Sources>) -> Self {
        let mut inherited = Vec::new();
        if let Some(from) = from {
            if from.given {
                inherited.push(from.own);
            }
            inherited.extend(&from.from);
        }
        Self {
            own,
            given: false,
            from: inherited,
            of_target: None,
        }
    }

    fn and(mut self, field: &'static str) -> Self {
        if !self.from.contains(&field) {
            self.from.push(field);
        }
        self
    }

    /// Every option involved: the name's own first.
    pub(super) fn fields(&self, target: Option<usize>) -> Vec<String> {
        let mut fields = vec![match self.of_target {
            Some(i) => format!("targets[{i}].{}", self.own),
            None => self.own.to_owned(),
        }];
        if let Some(i) = target {
            fields.push(format!("targets[{i}].name"));
        }
        fields.extend(self.from.iter().map(|f| (*f).to_owned()));
        fields
    }
}

/// How names are made: the default qualified for cluster-scoped objects, then the prefix.
pub(super) struct Naming<'o> {
    pub(super) prefix: &'o str,
    /// The instance name or namespace cluster-scoped default names carry, and its option.
    pub(super) qualifier: Option<(&'o str, &'static str)>,
}

/// A name as its object gets it, the same name before the prefix (which names derived from it
/// start from), and where it came from.
pub(super) struct Named {
    pub(super) name: String,
    pub(super) base: String,
    pub(super) sources: Sources,
}

impl Naming<'_> {
    /// The given name, or the default (qualified when `qualify`) with the sources of the name it
    /// derives from, if any; then the prefix.
    pub(super) fn name<'s>(
        &self,
        own: &'static str,
        given: Option<&String>,
        default: impl FnOnce() -> (String, Option<&'s Sources>),
        qualify: bool,
    ) -> Named {
        let (base, sources) = match given {
            Some(given) => (given.clone(), Sources::given(own)),
            None => {
                let (default, from) = default();
                let sources = Sources::derived(own, from);
                match self.qualifier.filter(|_| qualify) {
                    Some((q, field)) => (format!("{q}-{default}"), sources.and(field)),
                    None => (default, sources),
                }
            }
        };
        let (name, sources) = if self.prefix.is_empty() {
            (base.clone(), sources)
        } else {
            (format!("{}{base}", self.prefix), sources.and("namePrefix"))
        };
        Named {
            name,
            base,
            sources,
        }
    }
}

/// What cluster-scoped default names carry so that installations never share one: the
/// instance name, else a namespace other than `default`, else nothing (the seed's names).
pub(super) fn qualifier(options: &Options) -> Option<(&str, &'static str)> {
    let q = if let Some(instance) = &options.instance {
        (instance.as_str(), "instance")
    } else if options.namespace != "default" {
        (options.namespace.as_str(), "namespace")
    } else {
        return None;
    };
    // An invalid one is reported on its own field; names built from it would only repeat that.
    rules::dns1123_label(q.0).is_ok().then_some(q)
}

/// Judges names as they reach their objects and finds objects of one id.
struct NameCheck<'f, 'p> {
    found: &'f mut ProblemsBuilder,
    /// The option sets already blamed: a problem whose options include one of them adds
    /// nothing (a default derived from a bad name is bad for the same reason).
    blamed: HashSet<Vec<String>>,
    /// Each id seen, with where its name came from (borrowed: a valid fleet formats nothing).
    seen: HashMap<&'p ObjectId, (&'p Sources, Option<usize>)>,
    /// The options already refused on their own: names made from them would repeat that.
    refused: HashSet<String>,
}

impl<'f, 'p> NameCheck<'f, 'p> {
    fn new(found: &'f mut ProblemsBuilder) -> Self {
        Self {
            refused: found.fields().map(str::to_owned).collect(),
            found,
            blamed: HashSet::new(),
            seen: HashMap::new(),
        }
    }

    fn object(&mut self, id: &'p ObjectId, sources: &'p Sources, target: Option<usize>) {
        if self.name(id.kind, &id.name, sources, target) {
            return;
        }
        // (Cluster)PodMonitorings come only from targets, each named `<base>-<target>`: distinct
        // whenever the target names are, which the field rules require. Only the other objects
        // (a handful, whatever the fleet's size) can share an id.
        if matches!(
            id.kind,
            Kind::ClusterPodMonitoring | Kind::PodMonitoring | Kind::PodMonitor
        ) {
            return;
        }
        let (other, other_target) = match self.seen.entry(id) {
            std::collections::hash_map::Entry::Vacant(slot) => {
                slot.insert((sources, target));
                return;
            }
            std::collections::hash_map::Entry::Occupied(seen) => *seen.get(),
        };
        let other = other.fields(other_target);
        let mut fields = sources.fields(target);
        for field in &other {
            if !fields.contains(field) {
                fields.push(field.clone());
            }
        }
        let kind = id.kind;
        let place = id
            .namespace
            .as_deref()
            .map(|ns| format!(" in namespace {ns:?}"))
            .unwrap_or_default();
        self.blame(
            fields,
            &id.name,
            format!(
                "gives two objects the same {kind} name{place} (the other from {}): no two objects may share kind, namespace and name",
                other.join(" + ")
            ),
        );
    }

    /// Judges one name by `kind`'s rule; whether it was found bad.
    fn name(&mut self, kind: Kind, name: &str, sources: &Sources, target: Option<usize>) -> bool {
        let (what, outcome) = if kind.has_path_segment_names() {
            ("RBAC object name", rules::path_segment_name(name))
        } else {
            ("object name", rules::dns1123_subdomain(name))
        };
        let Err(reason) = outcome else { return false };
        let fields = sources.fields(target);
        let mut rule = format!("is not a valid {what} ({reason}), as every {kind} name must be");
        if !sources.given {
            let from = if fields.len() > 1 {
                fields[1..].join(" + ")
            } else {
                "the defaults".to_owned()
            };
            rule.push_str(&format!(
                "; it is derived from {from}: set {} to choose another",
                sources.own
            ));
        }
        self.blame(fields, name, rule);
        true
    }

    fn blame(&mut self, fields: Vec<String>, value: &str, rule: String) {
        let mut key = fields.clone();
        key.sort();
        // Every subset of a handful of options.
        let blamed_before = (1..(1u32 << key.len().min(8))).any(|mask| {
            let subset: Vec<String> = key
                .iter()
                .enumerate()
                .filter(|(i, _)| mask & (1 << i) != 0)
                .map(|(_, f)| f.clone())
                .collect();
            self.blamed.contains(&subset)
        });
        if blamed_before || key.iter().any(|f| self.refused.contains(f)) {
            return;
        }
        self.blamed.insert(key);
        let mut fields = fields.into_iter();
        let field = fields.next().unwrap_or_default();
        self.found.push_problem(Problem {
            field,
            also: fields.collect(),
            value: value.to_owned(),
            rule,
        });
    }
}

/// The name of every object kind the plan makes, before namespaces and targets.
pub(super) struct Names {
    pub(super) account: Named,
    pub(super) reader_role: Named,
    pub(super) reader_binding: Named,
    pub(super) token_secret: Named,
    pub(super) secret_reader_role: Named,
    pub(super) collector_binding: Named,
    /// The monitorings' base name (each target's is `<base>-<target>`).
    pub(super) monitoring: Named,
    pub(super) alerts: Named,
    pub(super) dashboard: Named,
}

impl Names {
    /// Every name: defaults of cluster-scoped objects are qualified; derived names follow
    /// their source.
    pub(super) fn resolve(naming: &Naming<'_>, options: &Options) -> Self {
        let given = &options.names;
        let pod_mode = options.monitoring == MonitoringMode::Pod;
        let namespaced_grant = pod_mode || options.secret_access == SecretAccess::Namespaced;
        let collector_namespace = options.flavor.collector_namespace();
        let seed = |name: &str| (name.to_owned(), None);
        let account = naming.name(
            "names.serviceAccount",
            given.service_account.as_ref(),
            || seed("inference-gateway-sa-metrics-reader"),
            false,
        );
        let derived = |suffix: &str| (format!("{}-{suffix}", account.base), Some(&account.sources));
        let reader_role = naming.name(
            "names.readerClusterRole",
            given.reader_cluster_role.as_ref(),
            || seed("inference-gateway-metrics-reader"),
            true,
        );
        let reader_binding = naming.name(
            "names.readerBinding",
            given.reader_binding.as_ref(),
            || derived("role-binding"),
            true,
        );
        let token_secret = naming.name(
            "names.tokenSecret",
            given.token_secret.as_ref(),
            || derived("secret"),
            false,
        );
        let secret_reader_role = naming.name(
            "names.secretReaderRole",
            given.secret_reader_role.as_ref(),
            || derived("secret-read"),
            !namespaced_grant,
        );
        let collector_binding = naming.name(
            "names.collectorBinding",
            given.collector_binding.as_ref(),
            || {
                (
                    format!(
                        "{collector_namespace}:{COLLECTOR_SERVICE_ACCOUNT}:{}",
                        secret_reader_role.base
                    ),
                    Some(&secret_reader_role.sources),
                )
            },
            false,
        );
        let monitoring = naming.name(
            "names.podMonitoring",
            given.pod_monitoring.as_ref(),
            || seed("inference-optimized-gateway-monitoring"),
            !pod_mode,
        );
        let alerts = naming.name(
            "names.alerts",
            given.alerts.as_ref(),
            || seed("inference-gateway-endpoint-picker-alerts"),
            options.alerts.scope == RulesScope::Cluster,
        );
        let dashboard = naming.name(
            "names.dashboard",
            given.dashboard.as_ref(),
            || seed("inference-gateway-endpoint-picker-dashboard"),
            false,
        );
        Self {
            account,
            reader_role,
            reader_binding,
            token_secret,
            secret_reader_role,
            collector_binding,
            monitoring,
            alerts,
            dashboard,
        }
    }
}

/// Every name of `plan`, as it will reach its object, by its kind's rule; then no two ids
/// alike. `delegations` are the auth delegations' sources, in the plan's order;
/// `named_targets` whether the options listed targets (whose monitorings carry their names).
pub(super) fn check_names(
    found: &mut ProblemsBuilder,
    plan: &Plan,
    names: &Names,
    delegations: &[Sources],
    named_targets: bool,
) {
    let mut check = NameCheck::new(found);
    check.object(&plan.reader_role, &names.reader_role.sources, None);
    for identity in &plan.identities {
        check.object(&identity.service_account, &names.account.sources, None);
    }
    check.object(&plan.reader_binding, &names.reader_binding.sources, None);
    for identity in &plan.identities {
        check.object(&identity.token_secret, &names.token_secret.sources, None);
        if let Some(role) = &identity.secret_reader_role {
            check.object(role, &names.secret_reader_role.sources, None);
        }
        if let Some(binding) = &identity.collector_binding {
            check.object(binding, &names.collector_binding.sources, None);
        }
    }
    let monitoring = &names.monitoring;
    if named_targets {
        // A base name bad on its own is reported once, not once per target.
        let kind = plan
            .targets
            .first()
            .map_or(Kind::ClusterPodMonitoring, |t| t.monitoring.kind);
        check.name(kind, &monitoring.name, &monitoring.sources, None);
    }
    for (i, target) in plan.targets.iter().enumerate() {
        let index = target.name.is_some().then_some(i);
        check.object(&target.monitoring, &monitoring.sources, index);
    }
    for (delegation, sources) in plan.auth_delegations.iter().zip(delegations) {
        check.object(&delegation.binding, sources, None);
    }
    if let Some(alerts) = &plan.alerts {
        for object in &alerts.objects {
            check.object(object, &names.alerts.sources, None);
        }
    }
    check.object(&plan.dashboard, &names.dashboard.sources, None);
}
