//! What the manifests say, laid under the options the user gave: discovery fills what was not
//! given and judges what was, naming the option, where it was given and the object that says
//! otherwise.

use std::collections::BTreeSet;

use gmp_types::Scheme;

use super::discover::{Discovered, Discovery};
use crate::diagnostics::{Problem, Problems, Warning, listed};
use crate::options::given::{Given, Source};
use crate::options::releases::{self, MetricsSchema};
use crate::options::{Options, Port, ScrapeThrough, Target};

impl Discovery {
    /// Lays what the manifests say under `options` (a config file's and flags' choices, with
    /// `given` recording which of them the user gave and where): one target per picker, with
    /// its own `authDelegation` when its ServiceAccount may not review tokens.
    ///
    /// An option is the user's when `given` records it or its value is not the default. A
    /// given `port`, `scheme`, `tls`, `metricsSchema` or `eppVersion` is kept, and refused
    /// where a picker serves otherwise (the problem names the option, its source and the
    /// picker); one not given is the pickers' (each target's own `port`/`scheme` when they
    /// differ). Choosing the pods themselves (`targets`, `preset`, `selector`) conflicts with
    /// the manifests and is refused. Pickers that emit different metric names are refused
    /// unless the options settle it (the alerts and dashboard query one schema).
    pub fn apply(
        &self,
        mut options: Options,
        given: &Given,
    ) -> Result<(Options, Vec<Warning>), Problems> {
        let defaults = Options::default();
        let mine = Mine::of(&options, &defaults, given);
        let mut problems = self.choosing_pods(&options, &defaults, given);
        let mut warnings = self.warnings.clone();
        self.judge_given(&options, &mine, &mut problems, &mut warnings);
        // Port and scheme not given: the pickers' (shared when they agree, each target's own
        // when they do not).
        let own_ports = mine.port.is_none() && self.differ(|a, b| a.port == b.port);
        let own_schemes = mine.scheme.is_none() && self.differ(|a, b| a.scheme == b.scheme);
        if let (None, false, Some(first)) = (&mine.port, own_ports, self.pickers.first()) {
            options.port = first.port.clone();
        }
        if let (None, false, Some(first)) = (&mine.scheme, own_schemes, self.pickers.first()) {
            options.scheme = first.scheme;
        }
        if mine.schema.is_none() && mine.version.is_none() {
            let known: Vec<MetricsSchema> = self.pickers.iter().filter_map(|p| p.schema).collect();
            let schemas = known.iter().map(|s| s.as_str().to_owned()).collect();
            if let Some(problem) = self.disagreeing("metricsSchema", schemas) {
                problems.push(problem);
            } else {
                options.metrics_schema = known.first().copied();
            }
        }
        if options.scrape_through == ScrapeThrough::Service {
            for p in self.pickers.iter().filter(|p| p.service_selector.is_none()) {
                problems.push(Problem {
                    field: "scrapeThrough".to_owned(),
                    also: vec!["manifests".to_owned()],
                    value: "service".to_owned(),
                    rule: format!(
                        "finds no labelled Service in front of the pods of {} in the manifests (a ServiceMonitor selects Services by their labels): scrape its pods",
                        p.workload
                    ),
                });
            }
        }
        options.targets = self
            .pickers
            .iter()
            .map(|p| Target {
                name: p.name.clone(),
                namespace: Some(p.namespace.clone()),
                selector: Some(p.selector.clone()),
                port: own_ports.then(|| p.port.clone()),
                scheme: own_schemes.then_some(p.scheme),
                // Each picker that may not review tokens gets its own binding; one the options
                // delegate already (`authDelegation`) is bound once.
                auth_delegation: p
                    .needs_auth_delegation
                    .then(|| p.service_account.to_string()),
                preset: None,
                // The Services' only where a ServiceMonitor selects them: a PodMonitor's option
                // would be refused.
                service_selector: (options.scrape_through == ScrapeThrough::Service)
                    .then(|| p.service_selector.clone())
                    .flatten(),
                tls: None,
            })
            .collect();
        if problems.is_empty() {
            Ok((options, warnings))
        } else {
            Err(Problems(problems))
        }
    }

    /// Each given option the manifests also say, judged at every picker.
    fn judge_given(
        &self,
        options: &Options,
        mine: &Mine,
        problems: &mut Vec<Problem>,
        warnings: &mut Vec<Warning>,
    ) {
        let mut judge = |field: &str,
                         value: &str,
                         source: &Option<Source>,
                         holds: Holds,
                         verdict: &dyn Fn(&Discovered) -> Verdict| {
            if let Some(source) = source {
                problems.extend(self.contradicting(field, value, source, holds, verdict, warnings));
            }
        };
        // One endpoint for every target: a picker serving elsewhere is never scraped.
        let port = &options.port;
        judge(
            "port",
            &port.to_string(),
            &mine.port,
            Holds::Everywhere,
            &|p| Some(serves_on(p, port).map_err(|on| format!("serves /metrics on port {on}"))),
        );
        let scheme = options.scheme;
        judge(
            "scheme",
            scheme.as_str(),
            &mine.scheme,
            Holds::Everywhere,
            &|p| Some(serving(p, scheme)),
        );
        // The block applies to the https scrapes: wrong only where there is none.
        let some = Holds::Somewhere { warn: false };
        judge("tls", "set", &mine.tls, some, &|p| {
            Some(serving(p, Scheme::Https))
        });
        // The queries take one schema: given, it settles pickers that differ, but a schema no
        // picker emits finds nothing at all.
        let warn = Holds::Somewhere { warn: true };
        if let Some(wanted) = options.metrics_schema {
            judge("metricsSchema", wanted.as_str(), &mine.schema, warn, &|p| {
                let emitted = releases::emitted_at(p.project?, p.version?);
                Some(wanted.finds(&emitted).then_some(()).ok_or_else(|| {
                    let names = listed(emitted.iter().map(|s| s.as_str()));
                    format!("runs {}, whose metrics are {names}", image(p))
                }))
            });
        }
        if let Some(text) = options.epp_version.as_deref() {
            let wanted = releases::parse_version(text);
            judge("eppVersion", text, &mine.version, warn, &|p| {
                let (major, minor) = p.version?;
                Some(
                    (Some((major, minor)) == wanted)
                        .then_some(())
                        .ok_or_else(|| format!("runs {}, version {major}.{minor}", image(p))),
                )
            });
        }
    }

    /// The options that choose the pods themselves, which the manifests do here.
    fn choosing_pods(&self, options: &Options, defaults: &Options, given: &Given) -> Vec<Problem> {
        let conflict = |field: &str, value: String| {
            Problem {
            field: field.to_owned(),
            also: vec!["manifests".to_owned()],
            value,
            rule: "conflicts with reading the endpoint pickers from manifests, which choose the pods themselves".to_owned(),
        }
        };
        let mut problems = Vec::new();
        if !options.targets.is_empty() {
            problems.push(conflict(
                "targets",
                format!("{} targets", options.targets.len()),
            ));
        }
        if let Some(preset) = &options.preset {
            problems.push(conflict("preset", preset.flavor.as_str().to_owned()));
        }
        if options.selector != defaults.selector || given.contains("selector") {
            problems.push(conflict("selector", format!("{:?}", options.selector)));
        }
        if let Some(selector) = &options.service_selector {
            problems.push(conflict("serviceSelector", selector.to_string()));
        }
        problems
    }

    /// The problem of a given option (`field`, shown as `value`, from `source`) that pickers
    /// contradict (`verdict`: what a picker does instead, or `None` when its manifests cannot
    /// say), as `holds` asks; pickers it leaves standing are warned about when it says so.
    fn contradicting(
        &self,
        field: &str,
        value: &str,
        source: &Source,
        holds: Holds,
        verdict: &dyn Fn(&Discovered) -> Verdict,
        warnings: &mut Vec<Warning>,
    ) -> Option<Problem> {
        let verdicts: Vec<(&Discovered, Result<(), String>)> = self
            .pickers
            .iter()
            .filter_map(|p| Some((p, verdict(p)?)))
            .collect();
        let against: Vec<(&Discovered, &String)> = verdicts
            .iter()
            .filter_map(|(p, v)| Some((*p, v.as_ref().err()?)))
            .collect();
        let (first, says) = against.first()?;
        if let Holds::Somewhere { warn } = holds
            && against.len() < verdicts.len()
        {
            if warn {
                warnings.extend(against.iter().map(|(p, says)| {
                    Warning::option(
                        field,
                        format!(
                            "{value:?} (given by {source}): {} {says}; alerts, dashboard and verify find none of its series",
                            p.workload
                        ),
                    )
                }));
            }
            return None;
        }
        let others = against.len() - 1;
        Some(Problem {
            field: field.to_owned(),
            also: Vec::new(),
            value: value.to_owned(),
            rule: format!(
                "(given by {source}) contradicts the manifests: {} {says}{}; leave {field} out to take the manifests' value, or change the manifests",
                first.workload,
                match others {
                    0 => String::new(),
                    1 => " (and 1 more picker)".to_owned(),
                    n => format!(" (and {n} more pickers)"),
                }
            ),
        })
    }

    /// Whether some picker differs from the first by `same`.
    fn differ(&self, same: impl Fn(&Discovered, &Discovered) -> bool) -> bool {
        self.pickers
            .first()
            .is_some_and(|first| self.pickers.iter().any(|p| !same(first, p)))
    }

    /// The problem of pickers that differ in `what`, which the bundle has one of.
    fn disagreeing(&self, what: &str, values: Vec<String>) -> Option<Problem> {
        let distinct: BTreeSet<String> = values.into_iter().collect();
        (distinct.len() > 1).then(|| Problem {
            field: what.to_owned(),
            also: vec!["manifests".to_owned()],
            value: distinct.into_iter().collect::<Vec<_>>().join(", "),
            rule: format!(
                "differ between the endpoint pickers ({}); the bundle has one: set {what}",
                self.pickers
                    .iter()
                    .map(|p| p.workload.to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        })
    }
}

/// What a picker's manifests say of a given value: `None` when they cannot tell, else whether
/// it holds there, or what the picker does instead.
type Verdict = Option<Result<(), String>>;

/// Where a given value must hold.
#[derive(Clone, Copy)]
enum Holds {
    /// At every picker (one endpoint for all).
    Everywhere,
    /// At some picker whose manifests tell; the rest are `warn`ed about, when asked.
    Somewhere {
        /// Whether a picker it does not hold at is a warning.
        warn: bool,
    },
}

/// Whether a scrape of `port` reaches where `picker` serves `/metrics`; else the port it serves
/// on, as the user would name it.
fn serves_on(picker: &Discovered, port: &Port) -> Result<(), String> {
    let served = i32::from(picker.serving_port);
    let reaches = match port {
        Port::Number(n) => *n == served,
        Port::Name(name) => picker.named_ports.get(name) == Some(&served),
    };
    if reaches {
        return Ok(());
    }
    let names: Vec<&str> = picker
        .named_ports
        .iter()
        .filter(|(_, n)| **n == served)
        .map(|(name, _)| name.as_str())
        .collect();
    Err(match names.first() {
        Some(name) => format!("{served} ({name})"),
        None => served.to_string(),
    })
}

/// Whether `picker` serves `/metrics` with `scheme`; else how it does, as its flags say.
fn serving(picker: &Discovered, scheme: Scheme) -> Result<(), String> {
    if picker.scheme == scheme {
        return Ok(());
    }
    Err(match picker.scheme {
        Scheme::Https => "serves /metrics over TLS (--metrics-cert-dir): https",
        Scheme::Http => "serves /metrics over plain HTTP (no --metrics-cert-dir): http",
    }
    .to_owned())
}

/// The picker's image, as findings name it.
fn image(picker: &Discovered) -> &str {
    picker.image.as_deref().unwrap_or_default()
}

/// Where each option the manifests also say was given (`None`: not given, the manifests'
/// to say). A value away from its default counts as given in code, for callers with no
/// [`Given`] to pass.
struct Mine {
    port: Option<Source>,
    scheme: Option<Source>,
    tls: Option<Source>,
    schema: Option<Source>,
    version: Option<Source>,
}

impl Mine {
    fn of(options: &Options, defaults: &Options, given: &Given) -> Self {
        let source = |path: &str, differs: bool| {
            given
                .source(path)
                .cloned()
                .or_else(|| differs.then_some(Source::Code))
        };
        Self {
            port: source("port", options.port != defaults.port),
            scheme: source("scheme", options.scheme != defaults.scheme),
            tls: source("tls", options.tls.is_some()),
            schema: source("metricsSchema", options.metrics_schema.is_some()),
            version: source("eppVersion", options.epp_version.is_some()),
        }
    }
}
