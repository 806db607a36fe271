//! Names near their limits: generated option sets whose every name is valid on its own, many of
//! which derive object names that are too long (a monitoring name is `names.podMonitoring`, `-`,
//! the target's name, all after `namePrefix`) or that two objects of one kind share. Every set is
//! either refused, with problems naming options the set gave, or renders objects the API server
//! would take (`name_check.py`, `crd_validate.py`) and no two of which share kind, namespace and
//! name. One Python process of each validator judges the whole batch.

use igw_monitoring::Objects;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use igw_monitoring::{AlertOptions, MonitoringMode, RulesScope, Target};
use igw_monitoring::{
    ClusterFlavor, Error, LabelSelector, Names, Options, Plan, Problem, Problems, SecretAccess,
};
use proptest::collection::vec;
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::TestRunner;

use crate::support::{TestResult, conformance_python, shared_dir};

/// Option sets per run: enough for every kind of derived clash, one validator run each.
const SETS: usize = 400;

/// The API server's limit on a DNS subdomain name (ServiceAccount, Secret, GMP objects).
const SUBDOMAIN_MAX: usize = 253;

/// The `names.*` fields, in the order of [`slot`].
const NAME_FIELDS: [&str; 8] = [
    "readerClusterRole",
    "serviceAccount",
    "readerBinding",
    "tokenSecret",
    "secretReaderRole",
    "collectorBinding",
    "podMonitoring",
    "alerts",
];

/// Whether the `names.*` field of that index names an RBAC object (a path segment name, of any
/// length) rather than a DNS subdomain.
const RBAC: [bool; 8] = [true, false, true, false, true, true, false, false];

/// Index of the authDelegation binding's name in [`resolved`] (it has no `names.*` field).
const AUTH_DELEGATION: usize = 8;

fn slot(names: &mut Names, field: usize) -> Option<&mut Option<String>> {
    Some(match field {
        0 => &mut names.reader_cluster_role,
        1 => &mut names.service_account,
        2 => &mut names.reader_binding,
        3 => &mut names.token_secret,
        4 => &mut names.secret_reader_role,
        5 => &mut names.collector_binding,
        6 => &mut names.pod_monitoring,
        7 => &mut names.alerts,
        _ => return None,
    })
}

fn resolved(plan: &Plan, field: usize) -> Option<String> {
    let identity = plan.identities().first()?;
    Some(match field {
        0 => plan.reader_role().name.clone(),
        1 => identity.service_account().name.clone(),
        2 => plan.reader_binding().name.clone(),
        3 => identity.token_secret().name.clone(),
        4 => identity.secret_reader_role()?.name.clone(),
        5 => identity.collector_binding()?.name.clone(),
        6 => {
            // The base name, before a target's `-<name>`.
            let target = plan.targets().first()?;
            let name = &target.monitoring().name;
            match target.name() {
                Some(t) => name.strip_suffix(t)?.strip_suffix('-')?.to_owned(),
                None => name.clone(),
            }
        }
        7 => plan.alerts()?.objects().first()?.name.clone(),
        AUTH_DELEGATION => plan.auth_delegations().first()?.binding().name.clone(),
        _ => return None,
    })
}

/// `stem` (a valid name) repeated to exactly `len` characters, ending in an alphanumeric, so that
/// it stays a valid name of its kind.
fn fit(stem: &str, len: usize) -> String {
    let mut name: String = stem.chars().cycle().take(len).collect();
    if !name.ends_with(|c: char| c.is_ascii_alphanumeric()) {
        name.pop();
        name.push('z');
    }
    name
}

fn label_stem() -> impl Strategy<Value = String> {
    "[a-z0-9]([-a-z0-9]{0,8}[a-z0-9])?"
}

/// An RFC 1123 label (namespaces, instance, target names): short, or 56 to 63 characters.
fn label() -> impl Strategy<Value = String> {
    (label_stem(), prop_oneof![1usize..=20, 56usize..=63]).prop_map(|(s, n)| fit(&s, n))
}

/// A DNS subdomain stem: labels joined by dots.
fn subdomain_stem() -> impl Strategy<Value = String> {
    vec(label_stem(), 1..4).prop_map(|labels| labels.join("."))
}

/// An RBAC name stem: labels joined by dots or colons (`gmp-system:collector:x` style).
fn rbac_stem() -> impl Strategy<Value = String> {
    vec((label_stem(), prop_oneof![Just('.'), Just(':')]), 1..4).prop_map(|parts| {
        let mut stem = String::new();
        for (i, (label, sep)) in parts.into_iter().enumerate() {
            if i > 0 {
                stem.push(sep);
            }
            stem.push_str(&label);
        }
        stem
    })
}

/// One `names.*` value: unset, short, or at the subdomain limit (RBAC names also beyond it,
/// which they may be: only the names derived from them are bounded).
fn name_value(rbac: bool) -> BoxedStrategy<Option<String>> {
    let stem = if rbac {
        rbac_stem().boxed()
    } else {
        subdomain_stem().boxed()
    };
    let long_max = if rbac { 300 } else { SUBDOMAIN_MAX };
    prop_oneof![
        5 => Just(None),
        2 => (stem.clone(), 1usize..=40).prop_map(|(s, n)| Some(fit(&s, n))),
        2 => (stem, 240usize..=long_max).prop_map(|(s, n)| Some(fit(&s, n))),
    ]
    .boxed()
}

fn names() -> impl Strategy<Value = Names> {
    let [a, b, c, d, e, f, g, h] = RBAC.map(name_value);
    (a, b, c, d, e, f, g, h).prop_map(
        |(
            reader_cluster_role,
            service_account,
            reader_binding,
            token_secret,
            secret_reader_role,
            collector_binding,
            pod_monitoring,
            alerts,
        )| Names {
            reader_cluster_role,
            service_account,
            reader_binding,
            token_secret,
            secret_reader_role,
            collector_binding,
            pod_monitoring,
            // The same value as the alerts': both are namespaced names of the same rule.
            dashboard: alerts.clone(),
            alerts,
        },
    )
}

/// `namePrefix`: none, or up to about 60 characters that begin a valid name (ending in an
/// alphanumeric, `-` or `.`).
fn name_prefix() -> impl Strategy<Value = String> {
    prop_oneof![
        1 => Just(String::new()),
        1 => (subdomain_stem(), 1usize..=59, prop_oneof![Just(""), Just("-"), Just(".")])
            .prop_map(|(s, n, end)| format!("{}{end}", fit(&s, n))),
    ]
}

/// 0 to 4 targets with unique names, some in their own namespaces.
fn targets() -> impl Strategy<Value = Vec<Target>> {
    vec((label(), proptest::option::of(label())), 0..=4).prop_map(|targets| {
        let mut seen = BTreeSet::new();
        targets
            .into_iter()
            .filter(|(name, _)| seen.insert(name.clone()))
            .enumerate()
            .map(|(i, (name, namespace))| Target {
                name,
                namespace,
                selector: Some(LabelSelector::default().match_label("app", format!("epp-{i}"))),
                preset: None,
                service_selector: None,
                tls: None,
                auth_delegation: None,
                port: None,
                scheme: None,
            })
            .collect()
    })
}

/// Two names to make equal (indexes into [`NAME_FIELDS`], or [`AUTH_DELEGATION`]); biased to
/// the pairs that name two objects of one kind.
fn same_pair() -> impl Strategy<Value = (usize, usize)> {
    prop_oneof![
        // Two ClusterRoles (secretAccess: cluster with monitoring: cluster).
        2 => Just((0, 4)),
        // Two ClusterRoleBindings (the same), or a binding and the authDelegation binding.
        2 => Just((2, 5)),
        1 => Just((2, AUTH_DELEGATION)),
        1 => Just((5, AUTH_DELEGATION)),
        2 => (0usize..8, 0usize..=AUTH_DELEGATION),
    ]
}

/// Gives `names.<a>` the name object `b` resolves to (or, when that would not be a valid
/// `names.<a>`, the other way round), so that two objects may end up with one name.
fn share_name(options: &mut Options, (a, b): (usize, usize)) {
    if a == b {
        return;
    }
    // What the names resolve to before the prefix: the plan of the same options without it
    // (options whose names are bad even so have nothing to share).
    let Ok(plan) = Options {
        name_prefix: String::new(),
        ..options.clone()
    }
    .plan() else {
        return;
    };
    let fits =
        |field: usize, v: &str| RBAC[field] || (v.len() <= SUBDOMAIN_MAX && !v.contains(':'));
    let (to, value) = match (resolved(&plan, b), resolved(&plan, a)) {
        (Some(v), _) if fits(a, &v) => (a, v),
        (_, Some(v)) if b < AUTH_DELEGATION && fits(b, &v) => (b, v),
        _ => return,
    };
    if let Some(slot) = slot(&mut options.names, to) {
        *slot = Some(value);
    }
}

prop_compose! {
    fn near_limit_options()(
        namespace in prop_oneof![Just("default".to_owned()), label()],
        instance in proptest::option::of(label()),
        name_prefix in name_prefix(),
        names in names(),
        targets in targets(),
        pod_mode in any::<bool>(),
        namespaced_access in any::<bool>(),
        autopilot in any::<bool>(),
        (alerts_on, cluster_rules) in (any::<bool>(), any::<bool>()),
        auth_delegation in proptest::option::of((
            label(),
            (subdomain_stem(), prop_oneof![1usize..=30, 240usize..=SUBDOMAIN_MAX])
                .prop_map(|(s, n)| fit(&s, n)),
        )),
        same in proptest::option::weighted(0.35, same_pair()),
    ) -> Options {
        let mut options = Options {
            namespace,
            instance,
            name_prefix,
            names,
            targets,
            monitoring: if pod_mode { MonitoringMode::Pod } else { MonitoringMode::Cluster },
            secret_access: if namespaced_access { SecretAccess::Namespaced } else { SecretAccess::Cluster },
            flavor: if autopilot { ClusterFlavor::Autopilot } else { ClusterFlavor::Standard },
            alerts: AlertOptions {
                enabled: alerts_on,
                scope: if cluster_rules { RulesScope::Cluster } else { RulesScope::Namespaced },
                ..AlertOptions::default()
            },
            auth_delegation: auth_delegation.map(|(ns, name)| format!("{ns}/{name}")),
            ..Options::default()
        };
        if let Some(pair) = same {
            share_name(&mut options, pair);
        }
        options
    }
}

/// Every option path under the top-level options `options` sets away from their defaults: a
/// problem of a refused set must name one of them.
fn paths_set(options: &Options) -> Vec<String> {
    let default = Options::default();
    let mut paths = Vec::new();
    let mut set = |is_set: bool, path: &str| {
        if is_set {
            paths.push(path.to_owned());
        }
    };
    set(options.namespace != default.namespace, "namespace");
    set(options.instance.is_some(), "instance");
    set(!options.name_prefix.is_empty(), "namePrefix");
    set(options.auth_delegation.is_some(), "authDelegation");
    set(options.monitoring != default.monitoring, "monitoring");
    set(
        options.secret_access != default.secret_access,
        "secretAccess",
    );
    set(options.flavor != default.flavor, "flavor");
    for field in ["alerts", "alerts.enabled", "alerts.scope"] {
        set(options.alerts != default.alerts, field);
    }
    for field in NAME_FIELDS {
        set(options.names != default.names, &format!("names.{field}"));
    }
    for (i, target) in options.targets.iter().enumerate() {
        paths.push(format!("targets[{i}]"));
        paths.push(format!("targets[{i}].name"));
        if target.namespace.is_some() {
            paths.push(format!("targets[{i}].namespace"));
        }
    }
    paths
}

/// The top-level option of a path: `names` of `names.podMonitoring`, `targets` of `targets[0]`.
fn top_level(path: &str) -> &str {
    path.split(['.', '[']).next().unwrap_or_default()
}

/// Whether `problem` names one of `paths`, or an option under the same top-level key as one
/// (`names.tokenSecret`, derived from a given `names.serviceAccount`, counts as `names`).
fn names_one_of(problem: &Problem, paths: &[String]) -> bool {
    let one = Problems(vec![problem.clone()]);
    paths.iter().any(|path| one.mentions(path))
        || paths
            .iter()
            .any(|path| top_level(path) == top_level(&problem.field))
}

/// Starts `python script args...`, its output captured.
fn start(python: &Path, script: &Path, args: &[PathBuf]) -> std::io::Result<Child> {
    Command::new(python)
        .arg(script)
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
}

/// Waits for a validator: whether it exited 0, and its stdout and stderr.
fn finish(child: Child) -> std::io::Result<(bool, String)> {
    let output = child.wait_with_output()?;
    let mut text = String::from_utf8_lossy(&output.stdout).into_owned();
    text.push_str(&String::from_utf8_lossy(&output.stderr));
    Ok((output.status.success(), text))
}

/// The set a validator's output line is about, by its file name `set-NNN.yaml`.
fn set_of_line(line: &str) -> Option<usize> {
    let at = line.find("/set-")? + "/set-".len();
    line[at..].split(".yaml").next()?.parse().ok()
}

/// The kind of misbehaviour an issue is, for the report's summary.
fn issue_kind(issue: &str) -> &'static str {
    if issue.starts_with("name_check") {
        "name_check.py errors"
    } else if issue.starts_with("crd") {
        "crd_validate.py errors"
    } else if issue.starts_with("two ") {
        "two objects of one kind, namespace and name"
    } else {
        "wrong problems"
    }
}

/// The options a set gives away from the defaults, as a config file's JSON.
fn given_options(options: &Options) -> String {
    let (Ok(serde_json::Value::Object(given)), Ok(serde_json::Value::Object(default))) = (
        serde_json::to_value(options),
        serde_json::to_value(Options::default()),
    ) else {
        return format!("{options:?}");
    };
    let given: serde_json::Map<String, serde_json::Value> = given
        .into_iter()
        .filter(|(key, value)| default.get(key) != Some(value))
        .collect();
    serde_json::Value::Object(given).to_string()
}

/// `text` with each word longer than 60 characters cut to its head and length.
fn shorten(text: &str) -> String {
    text.split(' ')
        .map(|word| match word.char_indices().nth(40) {
            Some((at, _)) if word.chars().count() > 60 => {
                format!("{}...({} chars)", &word[..at], word.chars().count())
            }
            _ => word.to_owned(),
        })
        .collect::<Vec<_>>()
        .join(" ")
}

#[test]
#[ignore = "needs the offline validators (Python): run ../shared/conformance/setup.sh --with-checkov, then cargo test -- --include-ignored"]
fn names_near_their_limits_are_refused_or_valid_and_distinct() -> TestResult {
    let python = conformance_python()?;
    let conformance = shared_dir().join("conformance");
    let dir = tempfile::tempdir()?;
    let mut runner = TestRunner::deterministic();
    let strategy = near_limit_options();
    let mut sets = Vec::with_capacity(SETS);
    let mut files = Vec::new();
    // What is wrong with each set, by its index.
    let mut wrong: BTreeMap<usize, Vec<String>> = BTreeMap::new();
    let (mut accepted, mut refused) = (0usize, 0usize);
    for i in 0..SETS {
        let options = strategy
            .new_tree(&mut runner)
            .map_err(|e| e.to_string())?
            .current();
        match options.build() {
            Ok(bundle) => {
                accepted += 1;
                let mut ids = BTreeSet::new();
                for object in bundle.objects() {
                    let meta = object.metadata();
                    if !ids.insert((object.kind(), meta.namespace.clone(), meta.name.clone())) {
                        wrong.entry(i).or_default().push(format!(
                            "two {} objects named {:?} (namespace {:?})",
                            object.kind(),
                            meta.name.as_deref().unwrap_or_default(),
                            meta.namespace.as_deref().unwrap_or("none"),
                        ));
                    }
                }
                let file = dir.path().join(format!("set-{i:03}.yaml"));
                std::fs::write(&file, bundle.to_yaml()?)?;
                files.push(file);
            }
            Err(Error::Invalid(problems)) => {
                refused += 1;
                let given = paths_set(&options);
                for problem in &problems {
                    if problem.field.is_empty() {
                        wrong
                            .entry(i)
                            .or_default()
                            .push(format!("a problem without a field: {problem}"));
                    } else if !names_one_of(problem, &given) {
                        wrong.entry(i).or_default().push(format!(
                            "a problem naming no option the set gives ({given:?}): {problem}"
                        ));
                    }
                }
                if problems.is_empty() {
                    wrong
                        .entry(i)
                        .or_default()
                        .push("refused without a problem".to_owned());
                }
            }
            Err(other) => {
                wrong
                    .entry(i)
                    .or_default()
                    .push(format!("refused otherwise: {other}"));
            }
        }
        sets.push(options);
    }

    // One run of each validator over every accepted set.
    let mut unattributed = Vec::new();
    if !files.is_empty() {
        let mut crd_args: Vec<PathBuf> = std::fs::read_dir(shared_dir().join("reference/crds"))?
            .map(|entry| entry.map(|e| e.path()))
            .collect::<Result<_, _>>()?;
        crd_args.retain(|p| p.extension().is_some_and(|e| e == "yaml"));
        crd_args.sort();
        crd_args.insert(0, "--prom-duration".into());
        crd_args.insert(0, "--strict".into());
        crd_args.push("--".into());
        crd_args.extend(files.iter().cloned());
        // Both at once: the CRD check (CEL rules in Python) takes most of the time.
        let names = start(&python, &conformance.join("name_check.py"), &files)?;
        let crds = start(&python, &conformance.join("crd_validate.py"), &crd_args)?;
        let (ok, report) = finish(names)?;
        let (crd_ok, crd_report) = finish(crds)?;
        for (ok, report, what) in [(ok, report, "name_check"), (crd_ok, crd_report, "crd")] {
            let mut attributed = false;
            for line in report.lines().filter(|l| l.starts_with("ERROR")) {
                match set_of_line(line) {
                    Some(i) => {
                        attributed = true;
                        wrong.entry(i).or_default().push(format!("{what}: {line}"));
                    }
                    None => unattributed.push(format!("{what}: {line}")),
                }
            }
            if !ok && !attributed {
                unattributed.push(format!("{what} failed:\n{report}"));
            }
        }
    }

    let dir_text = format!("{}/", dir.path().display());
    // Sets per kind of misbehaviour, and up to three examples of each.
    let mut kinds: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for (i, issues) in &wrong {
        let mut seen = BTreeSet::new();
        for issue in issues {
            let kind = issue_kind(issue);
            if seen.insert(kind) {
                kinds.entry(kind).or_default().push(*i);
            }
        }
    }
    let summary = kinds
        .iter()
        .map(|(kind, sets)| format!("{} with {kind}", sets.len()))
        .collect::<Vec<_>>()
        .join(", ");
    let mut report = format!(
        "{SETS} option sets: {accepted} accepted, {refused} refused; {} misbehave ({summary})",
        wrong.len()
    );
    eprintln!("{report}");
    let examples: BTreeSet<usize> = kinds
        .values()
        .flat_map(|sets| sets.iter().take(3).copied())
        .collect();
    for i in &examples {
        report.push_str(&format!("\n--- set {i}: {}", given_options(&sets[*i])));
        let issues = &wrong[i];
        for issue in issues.iter().take(4) {
            report.push_str(&format!("\n    {}", shorten(&issue.replace(&dir_text, ""))));
        }
        if issues.len() > 4 {
            report.push_str(&format!("\n    ... and {} more", issues.len() - 4));
        }
    }
    for line in &unattributed {
        report.push_str(&format!("\n{line}"));
    }
    assert!(
        accepted * 10 > SETS && refused * 10 > SETS,
        "the generator is trivial: {report}"
    );
    assert!(wrong.is_empty() && unattributed.is_empty(), "{report}");
    Ok(())
}
