//! Judges [`Options`] as the API server and the GMP operator would, collecting every problem.

use std::collections::BTreeMap;

use crate::diagnostics::{Error, Problem, Problems, ProblemsBuilder};
use crate::kinds::ServiceAccountRef;
use crate::options::releases;
use crate::options::{
    ClusterFlavor, Collector, LabelSelector, Options, Port, RELEASE_LABEL, ScrapeThrough,
    SecretAccess,
};
use crate::rules;
use gmp_types::Scheme;

/// The annotation that ties the token Secret to its ServiceAccount; the bundle owns it.
pub(crate) const SERVICE_ACCOUNT_ANNOTATION: &str = "kubernetes.io/service-account.name";

/// The API server's limit on all annotations of one object together (keys and values).
const TOTAL_ANNOTATION_BYTES: usize = 256 * 1024;

/// Checks every option on its own (names made from several are judged by the plan); whether
/// `namePrefix` is valid, so that names may be judged with it.
pub(crate) fn fields(found: &mut ProblemsBuilder, options: &Options) -> bool {
    found.rule(
        || "namespace".to_owned(),
        &options.namespace,
        "namespace",
        rules::dns1123_label(&options.namespace),
    );
    check_targets(found, options);
    check_port(found, &|| "port".to_owned(), &options.port);
    let interval = found.duration("interval", &options.interval);
    if let Some(timeout) = &options.timeout {
        let limit = found.duration("timeout", timeout);
        if let (Some(interval), Some(limit)) = (interval, limit)
            && limit > interval
        {
            found.push(
                "timeout".to_owned(),
                timeout,
                format!(
                    "must not be greater than interval ({:?}): GMP rejects a scrape timeout longer than the scrape interval",
                    options.interval
                ),
            );
        }
    }
    found.rule(
        || "path".to_owned(),
        &options.path,
        "metrics path",
        rules::metrics_path(&options.path),
    );
    // A bad prefix would make every name bad: report it once, and judge the names without it.
    let prefix_ok = options.name_prefix.is_empty() || {
        let probe = format!("{}x", options.name_prefix);
        let outcome = rules::dns1123_subdomain(&probe);
        found.rule(
            || "namePrefix".to_owned(),
            &options.name_prefix,
            "name prefix",
            outcome.clone().map_err(|reason| {
                format!("the prefix starts every object name, so it must begin one: {reason}")
            }),
        );
        outcome.is_ok()
    };
    if let Some(instance) = &options.instance {
        found.rule(
            || "instance".to_owned(),
            instance,
            "instance name",
            rules::dns1123_label(instance),
        );
    }
    if let Some(version) = &options.epp_version
        && releases::parse_version(version).is_none()
    {
        found.push(
            "eppVersion".to_owned(),
            version,
            "is not a valid endpoint picker version (must be MAJOR.MINOR, e.g. '1.1')".to_owned(),
        );
    }
    if let Some(subject) = &options.auth_delegation {
        check_service_account_ref(found, "authDelegation", subject);
    }
    check_alerts(found, &options.alerts);
    if let Some(tls) = &options.tls {
        // The block serves the https scrapes: refused only when there is none.
        let https = options.scheme == Scheme::Https
            || options
                .targets
                .iter()
                .any(|t| t.scheme == Some(Scheme::Https));
        let scheme = if https { Scheme::Https } else { Scheme::Http };
        crate::options::tls::check(found, "tls", tls, ("scheme", scheme));
    }
    check_collector(found, options);
    check_scrape_through(found, options);
    found.labels(
        &|| "monitoringLabels".to_owned(),
        &options.monitoring_labels,
    );
    found.labels(&|| "extraLabels".to_owned(), &options.extra_labels);
    for (key, value) in &options.extra_labels {
        if let Some(own) = options
            .monitoring_labels
            .get(key)
            .filter(|own| *own != value)
        {
            found.push(
                format!("extraLabels[{key:?}]"),
                value,
                format!("conflicts with monitoringLabels[{key:?}] ({own:?})"),
            );
        }
    }
    prefix_ok
}

/// The options that only one collector reads: GMP's collector's place and grant, and the
/// release label of a prometheus-operator Prometheus. Each given to the other is refused
/// rather than dropped.
fn check_collector(found: &mut ProblemsBuilder, options: &Options) {
    let gmp = options.collector == Collector::Gmp;
    if let Some(release) = &options.prometheus_release {
        if gmp {
            found.push(
                "prometheusRelease".to_owned(),
                release,
                "needs collector: prometheusOperator (GMP selects no monitors by label)".to_owned(),
            );
        } else {
            found.rule(
                || "prometheusRelease".to_owned(),
                release,
                "label value",
                rules::label_value(release),
            );
            if let Some(own) = options.monitoring_labels.get(RELEASE_LABEL)
                && own != release
            {
                found.push(
                    "prometheusRelease".to_owned(),
                    release,
                    format!("conflicts with monitoringLabels[{RELEASE_LABEL:?}] ({own:?})"),
                );
            }
        }
    }
    if gmp {
        return;
    }
    let gmp_only = [
        (
            "flavor",
            options.flavor != ClusterFlavor::Standard,
            "autopilot",
            "decides where GMP's collector runs",
        ),
        (
            "secretAccess",
            options.secret_access != SecretAccess::Cluster,
            "namespaced",
            "decides how GMP's collector reads the token Secret",
        ),
    ];
    for (field, set, value, what) in gmp_only {
        if set {
            found.push(
                field.to_owned(),
                value,
                format!("{what}: with collector: prometheusOperator there is none (the operator reads the Secrets itself)"),
            );
        }
    }
}

/// What a ServiceMonitor needs: prometheus-operator, and a Service selector for every target
/// (its own, else its preset's); each Service option given without it is refused rather than
/// dropped.
fn check_scrape_through(found: &mut ProblemsBuilder, options: &Options) {
    if options.scrape_through == ScrapeThrough::Pod {
        let selector =
            |at: String, s: &Option<LabelSelector>| s.as_ref().map(|s| (at, s.to_string()));
        let given =
            [
                selector("serviceSelector".to_owned(), &options.service_selector),
                options
                    .service_port
                    .clone()
                    .map(|port| ("servicePort".to_owned(), port)),
            ]
            .into_iter()
            .chain(options.targets.iter().enumerate().map(|(i, t)| {
                selector(format!("targets[{i}].serviceSelector"), &t.service_selector)
            }));
        for (field, value) in given.flatten() {
            found.push(
                field,
                &value,
                "needs scrapeThrough: service (a PodMonitor selects pods, not Services)".to_owned(),
            );
        }
        return;
    }
    if options.collector == Collector::Gmp {
        found.push(
            "scrapeThrough".to_owned(),
            "service",
            "needs collector: prometheusOperator (GMP's monitorings select pods only)".to_owned(),
        );
    }
    if let Some(port) = &options.service_port {
        found.rule(
            || "servicePort".to_owned(),
            port,
            "Service port name",
            rules::iana_svc_name(port),
        );
    }
    // The top-level selector is the one target's; with targets, each has its own.
    if let (false, Some(selector)) = (options.targets.is_empty(), &options.service_selector) {
        found.push(
            "serviceSelector".to_owned(),
            &selector.to_string(),
            "is not read with targets (as selector is not): give each target its own serviceSelector".to_owned(),
        );
    }
    let top = (options.targets.is_empty()).then_some((
        String::new(),
        options.service_selector.as_ref(),
        options.preset.as_ref(),
    ));
    let targets = options.targets.iter().enumerate().map(|(i, t)| {
        (
            format!("targets[{i}]."),
            t.service_selector.as_ref(),
            t.preset.as_ref(),
        )
    });
    for (at, selector, preset) in top.into_iter().chain(targets) {
        match (selector, preset) {
            (Some(selector), _) => {
                check_selector(found, &|| format!("{at}serviceSelector"), selector);
            }
            (None, Some(preset)) if preset.service_selector().is_some() => {}
            (None, Some(preset)) => found.push(
                format!("{at}preset.flavor"),
                preset.flavor.as_str(),
                format!("has no Service to select with scrapeThrough: service (the install's Service has no labels, nor a metrics port): give {at}serviceSelector, or scrape the pods"),
            ),
            (None, None) => found.push(
                "scrapeThrough".to_owned(),
                "service",
                format!("needs {at}serviceSelector: without a preset, the Services' labels cannot be derived from the pods'"),
            ),
        }
    }
}

/// The targets: each a name, a namespace and exactly one of a selector and a preset; or, without
/// targets, the top-level `selector` or `preset`.
fn check_targets(found: &mut ProblemsBuilder, options: &Options) {
    if options.targets.is_empty() {
        match &options.preset {
            Some(preset) => {
                if options.selector != Options::default().selector {
                    found.push(
                        "preset".to_owned(),
                        preset.flavor.as_str(),
                        "conflicts with selector: a preset derives the selector, so set one of them".to_owned(),
                    );
                }
                check_preset(found, "preset", preset);
            }
            None => check_selector(found, &|| "selector".to_owned(), &options.selector),
        }
        return;
    }
    let mut seen = std::collections::HashSet::with_capacity(options.targets.len());
    for (i, target) in options.targets.iter().enumerate() {
        // Paths are only formatted for a problem: a valid fleet allocates none per target.
        let at = || format!("targets[{i}]");
        found.rule(
            || format!("{}.name", at()),
            &target.name,
            "target name",
            rules::dns1123_label(&target.name),
        );
        if !seen.insert(target.name.as_str()) {
            found.push(
                format!("{}.name", at()),
                &target.name,
                "is used by another target: target names must be unique".to_owned(),
            );
        }
        if let Some(namespace) = &target.namespace {
            found.rule(
                || format!("{}.namespace", at()),
                namespace,
                "namespace",
                rules::dns1123_label(namespace),
            );
        }
        if let Some(port) = &target.port {
            check_port(found, &|| format!("{}.port", at()), port);
        }
        let scheme_at = match target.scheme {
            Some(_) => format!("{}.scheme", at()),
            None => "scheme".to_owned(),
        };
        let scheme = target.scheme.unwrap_or(options.scheme);
        // The top-level block applies to https targets only: nothing to judge for the others.
        if let Some(tls) = &target.tls {
            crate::options::tls::check(found, &format!("{}.tls", at()), tls, (&scheme_at, scheme));
        }
        if let Some(subject) = &target.auth_delegation {
            check_service_account_ref(found, &format!("{}.authDelegation", at()), subject);
        }
        match (&target.selector, &target.preset) {
            (Some(selector), None) => {
                check_selector(found, &|| format!("{}.selector", at()), selector)
            }
            (None, Some(preset)) => check_preset(found, &format!("{}.preset", at()), preset),
            (selector, _) => found.push(
                at(),
                &target.name,
                format!(
                    "must have exactly one of selector and preset ({})",
                    if selector.is_some() {
                        "both are set"
                    } else {
                        "neither is set"
                    }
                ),
            ),
        }
    }
}

/// A container port: a number from 1 to 65535, or an IANA service name.
fn check_port(found: &mut ProblemsBuilder, at: &dyn Fn() -> String, port: &Port) {
    match port {
        Port::Number(n) => found.rule(
            at,
            &n.to_string(),
            "port number",
            rules::port_number(i64::from(*n)).map(drop),
        ),
        Port::Name(name) => found.rule(at, name, "port name", rules::iana_svc_name(name)),
    }
}

fn check_preset(found: &mut ProblemsBuilder, at: &str, preset: &crate::options::Preset) {
    if preset.flavor.needs_release() {
        let (_, value) = preset.label();
        let outcome = if preset.release.is_empty() {
            Err(format!(
                "the {} preset derives its label from the release name",
                preset.flavor.as_str()
            ))
        } else {
            rules::label_value(&value).map_err(|reason| {
                format!("its pods' label value {value:?} would be invalid: {reason}")
            })
        };
        found.rule(
            || format!("{at}.release"),
            &preset.release,
            "release name",
            outcome,
        );
    }
    if !preset.create_inference_pool && !preset.has_poolless_shape() {
        found.push(
            format!("{at}.createInferencePool"),
            "false",
            format!(
                "the {} install always has an InferencePool (only helm-standalone, llm-d-router-gateway and llm-d-router-standalone have a value that turns it off)",
                preset.flavor.as_str()
            ),
        );
    }
}

/// Why no set of labels can satisfy every requirement of `selector` at once, if none can: per
/// key, the values `matchLabels` and `In` allow, less those `NotIn` forbid, must leave one, and
/// a key may not be both required and forbidden.
fn selects_nothing(selector: &LabelSelector) -> Option<String> {
    use crate::options::SelectorOperator as Op;
    // `matchLabels` alone names each key once, and one requirement a key is always met: the
    // common case of a fleet costs nothing here.
    if selector.match_expressions.is_empty() {
        return None;
    }
    use std::collections::BTreeSet;
    #[derive(Default)]
    struct Key<'s> {
        allowed: Option<BTreeSet<&'s str>>,
        forbidden: BTreeSet<&'s str>,
        present: bool,
        absent: bool,
    }
    fn allow<'s>(key: &mut Key<'s>, values: BTreeSet<&'s str>) {
        key.present = true;
        key.allowed = Some(match key.allowed.take() {
            Some(allowed) => allowed.intersection(&values).copied().collect(),
            None => values,
        });
    }
    let mut keys: BTreeMap<&str, Key<'_>> = BTreeMap::new();
    for (key, value) in &selector.match_labels {
        let entry = keys.entry(key.as_str()).or_default();
        allow(entry, BTreeSet::from([value.as_str()]));
    }
    for requirement in &selector.match_expressions {
        let entry = keys.entry(requirement.key.as_str()).or_default();
        let values = requirement.values.iter().map(String::as_str);
        match requirement.operator {
            Op::In => allow(entry, values.collect()),
            Op::NotIn => entry.forbidden.extend(values),
            Op::Exists => entry.present = true,
            Op::DoesNotExist => entry.absent = true,
        }
    }
    keys.into_iter().find_map(|(name, key)| {
        if key.present && key.absent {
            Some(format!("label {name:?} must be both present and absent"))
        } else if key
            .allowed
            .is_some_and(|allowed| allowed.difference(&key.forbidden).next().is_none())
        {
            Some(format!(
                "no value of label {name:?} meets every requirement"
            ))
        } else {
            None
        }
    })
}

/// Alert thresholds are positive finite numbers (ratios at most 1); `for` is a duration.
fn check_alerts(found: &mut ProblemsBuilder, alerts: &crate::options::AlertOptions) {
    let thresholds = [
        (
            "p99LatencySeconds",
            alerts.p99_latency_seconds,
            f64::INFINITY,
        ),
        ("errorRatio", alerts.error_ratio, 1.0),
        ("queueSize", alerts.queue_size, f64::INFINITY),
        ("kvCacheUtilization", alerts.kv_cache_utilization, 1.0),
    ];
    for (field, value, max) in thresholds {
        if !(value.is_finite() && value > 0.0 && value <= max) {
            let rule = if max.is_finite() {
                format!("is not a valid alert threshold (must be greater than 0 and at most {max})")
            } else {
                "is not a valid alert threshold (must be a finite number greater than 0)".to_owned()
            };
            found.push(format!("alerts.{field}"), &value.to_string(), rule);
        }
    }
    found.duration("alerts.for", &alerts.for_);
}

/// A `NAMESPACE/NAME` reference to a ServiceAccount.
fn check_service_account_ref(found: &mut ProblemsBuilder, field: &str, subject: &str) {
    found.rule(
        || field.to_owned(),
        subject,
        "ServiceAccount reference",
        subject.parse::<ServiceAccountRef>().map(drop),
    );
}

fn check_selector(found: &mut ProblemsBuilder, at: &dyn Fn() -> String, selector: &LabelSelector) {
    if selector.is_empty() {
        found.push(
            at(),
            "{}",
            "must name at least one label: an empty selector scrapes every pod in the cluster"
                .to_owned(),
        );
    }
    let before = found.len();
    found.labels(&|| format!("{}.matchLabels", at()), &selector.match_labels);
    for (i, requirement) in selector.match_expressions.iter().enumerate() {
        let at = || format!("{}.matchExpressions[{i}]", at());
        found.rule(
            || format!("{}.key", at()),
            &requirement.key,
            "label key",
            rules::qualified_name(&requirement.key),
        );
        let operator = requirement.operator;
        if operator.takes_values() && requirement.values.is_empty() {
            found.push(
                format!("{}.values", at()),
                "[]",
                format!(
                    "must not be empty when the operator is {}",
                    operator.as_str()
                ),
            );
        }
        if !operator.takes_values() && !requirement.values.is_empty() {
            found.push(
                format!("{}.values", at()),
                &format!("{:?}", requirement.values),
                format!("must be empty when the operator is {}", operator.as_str()),
            );
        }
        for (j, value) in requirement.values.iter().enumerate() {
            found.rule(
                || format!("{}.values[{j}]", at()),
                value,
                "label value",
                rules::label_value(value),
            );
        }
    }
    // A selector malformed on its own says why already; a well-formed one may still select
    // nothing at all.
    if found.len() == before
        && let Some(reason) = selects_nothing(selector)
    {
        found.push(
            at(),
            &selector.to_string(),
            format!("selects no pod ({reason}): GMP would scrape nothing, silently"),
        );
    }
}

/// The annotations, with the token Secret's own (naming `service_account`) counted in.
pub(crate) fn annotations(
    found: &mut ProblemsBuilder,
    annotations: &BTreeMap<String, String>,
    service_account: &str,
) {
    // The token Secret carries one annotation more than the others: count it in.
    let mut total = SERVICE_ACCOUNT_ANNOTATION.len() + service_account.len();
    for (key, value) in annotations {
        total = total.saturating_add(key.len()).saturating_add(value.len());
        found.rule(
            || format!("extraAnnotations[{key:?}]"),
            key,
            "annotation key",
            rules::qualified_name(key),
        );
        if key == SERVICE_ACCOUNT_ANNOTATION {
            found.push(
                format!("extraAnnotations[{key:?}]"),
                value,
                "is reserved: the bundle sets it on the token Secret to name its ServiceAccount"
                    .to_owned(),
            );
        }
    }
    if total > TOTAL_ANNOTATION_BYTES {
        found.push(
            "extraAnnotations".to_owned(),
            &format!("{total} bytes on the token Secret"),
            format!(
                "is too long: all annotations of an object together (the token Secret's own included) must have at most {TOTAL_ANNOTATION_BYTES} bytes"
            ),
        );
    }
}

/// The rules that judge single values, recorded as they are found.
impl ProblemsBuilder {
    fn duration(&mut self, field: &str, value: &str) -> Option<std::time::Duration> {
        match rules::scrape_duration(value) {
            Ok(duration) => Some(duration),
            Err(reason) => {
                self.push(
                    field.to_owned(),
                    value,
                    format!("is not a valid scrape duration ({reason})"),
                );
                None
            }
        }
    }

    fn labels(&mut self, field: &dyn Fn() -> String, labels: &BTreeMap<String, String>) {
        for (key, value) in labels {
            let at = || format!("{}[{key:?}]", field());
            self.rule(at, key, "label key", rules::qualified_name(key));
            self.rule(at, value, "label value", rules::label_value(value));
        }
    }
}

/// Refuses a cluster name no PromQL matcher or shell word should carry.
pub(crate) fn check_cluster(cluster: &str) -> Result<(), Error> {
    let rule = if cluster.is_empty() {
        "must not be empty"
    } else if cluster.chars().any(char::is_control) {
        "must not contain control characters"
    } else {
        return Ok(());
    };
    Err(Error::Invalid(Problems(vec![Problem {
        field: "cluster".to_owned(),
        also: Vec::new(),
        value: cluster.to_owned(),
        rule: rule.to_owned(),
    }])))
}
