//! The bad-input catalogue: one table of invalid inputs (config files, flags, or both), each with
//! the field path (or config key path, or flag) it must be blamed on and a fragment of the rule.
//!
//! Every case is judged twice: through the library (`config::parse`, clap's `try_parse_from`,
//! `OptionArgs::apply`, `Options::build`) and through the real binary, as `render` (exit 2,
//! nothing on stdout, stderr names the field) and as `kustomize --out` (exit 2, nothing written,
//! no staging folder left). A new top-level option without a case fails the coverage test.

use std::fs;

use clap::Parser;
use igw_monitoring::{Error, Options, Problems};
use igw_monitoring_cli::Cli;
use igw_monitoring_cli::args::Command as CliCommand;
use igw_monitoring_cli::config;

use crate::support::{igw, staging_leftovers};

// ---------------------------------------------------------------------------------------------
// The cases

/// Where a case must be refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Expect {
    /// `Options::build` reports a problem naming `field` (among the options it names, as
    /// `Problems::mentions` sees them) whose rule contains `rule`.
    Problem,
    /// `config::parse` fails with a message containing `field` (the key path) and `rule`.
    Config,
    /// clap refuses the command line with a message containing `field` (the flag) and `rule`.
    Clap,
    /// `OptionArgs::check` refuses flags clap accepts (a key given twice, an empty value that
    /// would mean unset), with a message containing `field` (the flag) and `rule`.
    Flags,
}

/// One invalid input.
#[derive(Debug)]
struct Case {
    /// Arguments after `render` (or after `kustomize --out DIR`).
    flags: Vec<String>,
    /// Text of a config file passed with `--config`, if any.
    config: Option<String>,
    expect: Expect,
    /// Field path, config key path or flag, as described by [`Expect`].
    field: String,
    /// A fragment of the rule (or of the loader's or clap's message).
    rule: String,
}

impl Case {
    /// The input, short enough for an assertion message even when it is huge.
    fn label(&self) -> String {
        let mut label = format!("flags {:?}", self.flags);
        if let Some(text) = &self.config {
            let chars = text.chars().count();
            if chars > 160 {
                let head: String = text.chars().take(160).collect();
                label.push_str(&format!(", config {head:?}... ({chars} characters)"));
            } else {
                label.push_str(&format!(", config {text:?}"));
            }
        }
        format!(
            "{label} => {:?} at {:?} containing {:?}",
            self.expect, self.field, self.rule
        )
    }
}

fn strings(args: &[&str]) -> Vec<String> {
    args.iter().map(|a| (*a).to_owned()).collect()
}

/// A config file whose options `Options::build` refuses.
fn cfg(text: impl Into<String>, field: impl Into<String>, rule: &str) -> Case {
    Case {
        flags: Vec::new(),
        config: Some(text.into()),
        expect: Expect::Problem,
        field: field.into(),
        rule: rule.to_owned(),
    }
}

/// Flags whose options `Options::build` refuses.
fn flag(args: &[&str], field: impl Into<String>, rule: &str) -> Case {
    Case {
        flags: strings(args),
        config: None,
        expect: Expect::Problem,
        field: field.into(),
        rule: rule.to_owned(),
    }
}

/// A config file with flags over it, whose options `Options::build` refuses.
fn both(text: &str, args: &[&str], field: impl Into<String>, rule: &str) -> Case {
    Case {
        flags: strings(args),
        config: Some(text.to_owned()),
        expect: Expect::Problem,
        field: field.into(),
        rule: rule.to_owned(),
    }
}

/// A config file the loader refuses, reporting `path`.
fn cfg_err(text: impl Into<String>, path: &str, rule: &str) -> Case {
    Case {
        flags: Vec::new(),
        config: Some(text.into()),
        expect: Expect::Config,
        field: path.to_owned(),
        rule: rule.to_owned(),
    }
}

/// A command line clap refuses, naming `flag`.
fn clap(args: &[&str], flag: &str, rule: &str) -> Case {
    Case {
        flags: strings(args),
        config: None,
        expect: Expect::Clap,
        field: flag.to_owned(),
        rule: rule.to_owned(),
    }
}

/// Flags `OptionArgs::check` refuses, naming `flag`.
fn flags_err(args: &[&str], flag: &str, rule: &str) -> Case {
    Case {
        flags: strings(args),
        config: None,
        expect: Expect::Flags,
        field: flag.to_owned(),
        rule: rule.to_owned(),
    }
}

/// `s` as a YAML double-quoted scalar (JSON's string syntax is a subset of it).
fn q(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_default()
}

/// `key: "value"`.
fn kv(key: &str, value: &str) -> String {
    format!("{key}: {}\n", q(value))
}

/// `outer: {"key": "value"}` in block style.
fn map1(outer: &str, key: &str, value: &str) -> String {
    format!("{outer}:\n  {}: {}\n", q(key), q(value))
}

/// `selector.matchLabels` holding one pair.
fn match_label(key: &str, value: &str) -> String {
    format!("selector:\n  matchLabels:\n    {}: {}\n", q(key), q(value))
}

/// `selector.matchExpressions` holding one requirement (`values` as YAML flow text, if any).
fn expression(key: &str, operator: &str, values: Option<&str>) -> String {
    let mut text = format!(
        "selector:\n  matchExpressions:\n  - key: {}\n    operator: {operator}\n",
        q(key)
    );
    if let Some(values) = values {
        text.push_str(&format!("    values: {values}\n"));
    }
    text
}

/// The field path of `key` in the map option `map`, as the library writes it.
fn at(map: &str, key: &str) -> String {
    format!("{map}[{key:?}]")
}

// Fragments of the rules, as the library words them.
const NS_RULE: &str = "is not a valid namespace (a lowercase RFC 1123 label";
const MAX_63: &str = "must be no more than 63 characters";
const MAX_253: &str = "must be no more than 253 characters";
const KEY_RULE: &str = "is not a valid label key";
const NAME_PART_EMPTY: &str = "name part must be non-empty";
const NAME_PART_CHARS: &str = "name part must consist of alphanumeric characters";
const NAME_PART_LONG: &str = "name part must be no more than 63 characters";
const PREFIX_EMPTY: &str = "prefix part must be non-empty";
const PREFIX_CHARS: &str = "prefix part a lowercase RFC 1123 subdomain";
const VALUE_CHARS: &str = "is not a valid label value (a valid label must be an empty string";
const VALUE_LONG: &str = "is not a valid label value (must be no more than 63 characters";
const PORT_RANGE: &str = "must be between 1 and 65535, inclusive";
const PORT_CHARS: &str = "must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)";
const SYNTAX: &str = "must be a whole number followed by a unit";
const POSITIVE: &str = "must be greater than zero";
const OVERFLOW: &str = "must be no more than 2562047h47m16s854ms";
const ONCE: &str = "must give each unit at most once";
const GREATER: &str = "must not be greater than interval";
const SUBDOMAIN: &str = "is not a valid object name (a lowercase RFC 1123 subdomain";
const OBJECT_LONG: &str = "is not a valid object name (must be no more than 253 characters";
const RBAC: &str = "is not a valid RBAC object name";
const PREFIX_RULE: &str = "the prefix starts every object name, so it must begin one";
const MONITORING_NAME: &str = "ClusterPodMonitoring name";
const ANNOTATION_KEY: &str = "is not a valid annotation key";
const INVALID_TYPE: &str = "invalid type";
const UNKNOWN_VARIANT: &str = "unknown variant";
const QUOTES: &str = "put the value in quotes";
const NOT_A_MAPPING: &str = "must be a mapping of option names to values";

/// The names whose rule is an RFC 1123 subdomain (and so has a length limit and no capitals).
const SUBDOMAIN_NAMES: [&str; 3] = ["serviceAccount", "tokenSecret", "podMonitoring"];
/// The RBAC object names: any path segment name (no `/`, `%`, not `.` or `..`, not empty).
const RBAC_NAMES: [&str; 4] = [
    "readerClusterRole",
    "readerBinding",
    "secretReaderRole",
    "collectorBinding",
];

/// Every bad input, with where and why it must be refused.
fn catalogue() -> Vec<Case> {
    let mib = 1024 * 1024;
    let mut cases = vec![
        // ---- namespace
        cfg("namespace: Bad_NS\n", "namespace", NS_RULE),
        flag(
            &["--namespace", "a.b"],
            "namespace",
            "must not contain dots",
        ),
        cfg("namespace: \"\"\n", "namespace", NS_RULE),
        flag(&["--namespace", ""], "namespace", NS_RULE),
        cfg(kv("namespace", &"a".repeat(64)), "namespace", MAX_63),
        cfg("namespace: -a\n", "namespace", NS_RULE),
        flag(&["--namespace", "ünï"], "namespace", NS_RULE),
        cfg(kv("namespace", &"n".repeat(mib)), "namespace", MAX_63),
        both(
            "namespace: good\n",
            &["--namespace", "UPPER"],
            "namespace",
            NS_RULE,
        ),
        cfg_err("namespace: [a]\n", "namespace", INVALID_TYPE),
        cfg_err("namespace: {a: b}\n", "namespace", INVALID_TYPE),
        cfg_err("namespace: 5\n", "namespace", QUOTES),
        // ---- flavor
        cfg_err("flavor: hybrid\n", "flavor", UNKNOWN_VARIANT),
        cfg_err("flavor: Autopilot\n", "flavor", UNKNOWN_VARIANT),
        cfg_err("flavor: 1\n", "flavor", INVALID_TYPE),
        cfg_err("flavor: [standard]\n", "flavor", INVALID_TYPE),
        clap(&["--autopilot=maybe"], "--autopilot", "invalid value"),
        // ---- monitoring (cluster | pod)
        cfg_err("monitoring: both\n", "monitoring", UNKNOWN_VARIANT),
        cfg_err("monitoring: [pod]\n", "monitoring", INVALID_TYPE),
        // ---- collector (gmp | prometheusOperator), prometheusRelease
        cfg_err("collector: prometheus\n", "collector", UNKNOWN_VARIANT),
        cfg_err("collector: [gmp]\n", "collector", INVALID_TYPE),
        clap(&["--collector", "po"], "--collector", "invalid value"),
        cfg(
            "collector: prometheusOperator\nflavor: autopilot\n",
            "flavor",
            "decides where GMP's collector runs",
        ),
        cfg(
            "collector: prometheusOperator\nsecretAccess: namespaced\n",
            "secretAccess",
            "decides how GMP's collector reads the token Secret",
        ),
        cfg(
            "prometheusRelease: kps\n",
            "prometheusRelease",
            "needs collector: prometheusOperator",
        ),
        cfg(
            "collector: prometheusOperator\nprometheusRelease: 'a b'\n",
            "prometheusRelease",
            "is not a valid label value",
        ),
        cfg(
            "collector: prometheusOperator\nprometheusRelease: kps\nmonitoringLabels: {release: other}\n",
            "prometheusRelease",
            "conflicts with monitoringLabels",
        ),
        cfg_err(
            "prometheusRelease: [kps]\n",
            "prometheusRelease",
            INVALID_TYPE,
        ),
        // ---- scrapeThrough (pod | service), serviceSelector, servicePort
        cfg_err(
            "scrapeThrough: endpoints\n",
            "scrapeThrough",
            UNKNOWN_VARIANT,
        ),
        clap(
            &["--scrape-through", "svc"],
            "--scrape-through",
            "invalid value",
        ),
        cfg(
            "scrapeThrough: service\npreset: {flavor: helm-inferencepool, release: r}\n",
            "scrapeThrough",
            "needs collector: prometheusOperator",
        ),
        flag(
            &[
                "--collector",
                "prometheusOperator",
                "--scrape-through",
                "service",
            ],
            "scrapeThrough",
            "needs serviceSelector",
        ),
        cfg(
            "collector: prometheusOperator\nscrapeThrough: service\ntargets: [{name: a, selector: {matchLabels: {app: a}}}]\n",
            "scrapeThrough",
            "needs targets[0].serviceSelector",
        ),
        cfg(
            "collector: prometheusOperator\nscrapeThrough: service\npreset: {flavor: raw-v0.3, release: r}\n",
            "preset.flavor",
            "has no Service to select",
        ),
        cfg(
            "collector: prometheusOperator\nscrapeThrough: service\nserviceSelector: {}\n",
            "serviceSelector",
            "must name at least one label",
        ),
        cfg(
            "collector: prometheusOperator\nserviceSelector: {matchLabels: {app: a}}\n",
            "serviceSelector",
            "needs scrapeThrough: service",
        ),
        cfg(
            "collector: prometheusOperator\ntargets: [{name: a, selector: {matchLabels: {app: a}}, serviceSelector: {matchLabels: {app: a}}}]\n",
            "targets[0].serviceSelector",
            "needs scrapeThrough: service",
        ),
        cfg(
            "collector: prometheusOperator\nscrapeThrough: service\nserviceSelector: {matchLabels: {app: a}}\ntargets: [{name: a, selector: {matchLabels: {app: a}}, serviceSelector: {matchLabels: {app: a}}}]\n",
            "serviceSelector",
            "is not read with targets",
        ),
        clap(
            &["--service-selector", "a in"],
            "--service-selector",
            "invalid value",
        ),
        flag(
            &["--service-port", "http-metrics"],
            "servicePort",
            "needs scrapeThrough: service",
        ),
        flag(
            &[
                "--collector",
                "prometheusOperator",
                "--scrape-through",
                "service",
                "--service-selector",
                "app=a",
                "--service-port",
                "Bad_Port",
            ],
            "servicePort",
            "is not a valid Service port name",
        ),
        // ---- instance
        cfg(
            "instance: Bad_Instance\n",
            "instance",
            "is not a valid instance name",
        ),
        cfg("instance: a.b\n", "instance", "must not contain dots"),
        cfg(
            format!("instance: {}\n", "i".repeat(64)),
            "instance",
            MAX_63,
        ),
        // ---- preset
        cfg_err(
            "preset: {flavor: helm, release: x}\n",
            "preset.flavor",
            UNKNOWN_VARIANT,
        ),
        cfg_err("preset: helm-inferencepool\n", "preset", INVALID_TYPE),
        cfg(
            "preset: {flavor: raw-v0.3}\n",
            "preset.release",
            "derives its label from the release name",
        ),
        cfg(
            "preset: {flavor: helm-inferencepool, release: Bad Name}\n",
            "preset.release",
            "would be invalid",
        ),
        cfg(
            format!(
                "preset: {{flavor: helm-standalone, release: {}}}\n",
                "r".repeat(60)
            ),
            "preset.release",
            "would be invalid",
        ),
        cfg(
            "selector: {matchLabels: {a: b}}\npreset: {flavor: raw-v0.1}\n",
            "preset",
            "conflicts with selector",
        ),
        cfg(
            "preset: {flavor: helm-inferencepool, release: x, createInferencePool: false}\n",
            "preset.createInferencePool",
            "always has an InferencePool",
        ),
        cfg_err(
            "preset: {flavor: helm-standalone, release: x, createInferencePool: nope}\n",
            "preset.createInferencePool",
            INVALID_TYPE,
        ),
        cfg(
            "targets: [{name: a, preset: {flavor: raw-v0.3, release: x, createInferencePool: false}}]\n",
            "targets[0].preset.createInferencePool",
            "always has an InferencePool",
        ),
        flag(
            &["--preset", "raw-v0.1", "--create-inference-pool=false"],
            "preset.createInferencePool",
            "always has an InferencePool",
        ),
        clap(
            &["--create-inference-pool=false"],
            "--preset",
            "required arguments were not provided",
        ),
        clap(
            &["--preset", "raw-v0.2", "--release", "x"],
            "invalid value 'raw-v0.2' for '--preset <FLAVOR>'",
            "[possible values: raw-v0.1, raw-v0.3, helm-inferencepool, helm-standalone, llm-d-router-gateway, llm-d-router-standalone]",
        ),
        clap(
            &[
                "--preset",
                "helm-standalone",
                "--release",
                "x",
                "--create-inference-pool=maybe",
            ],
            "--create-inference-pool",
            "invalid value",
        ),
        // ---- metricsSchema
        cfg_err(
            "metricsSchema: llm_d_epp\n",
            "metricsSchema",
            UNKNOWN_VARIANT,
        ),
        cfg_err(
            "metricsSchema: [llm-d-epp]\n",
            "metricsSchema",
            INVALID_TYPE,
        ),
        clap(
            &["--metrics-schema", "inference_objective"],
            "invalid value 'inference_objective' for '--metrics-schema <SCHEMA>'",
            "[possible values: inference-model, inference-objective, llm-d-epp, llm-d-epp-migration]",
        ),
        cfg(
            "targets: [{name: a, preset: {flavor: raw-v0.3, release: x}}, {name: b, preset: {flavor: llm-d-router-gateway, release: y}}]\neppVersion: \"1.1\"\n",
            "metricsSchema",
            "the presets' endpoint pickers emit different metric names",
        ),
        both(
            "targets: [{name: a, preset: {flavor: helm-standalone, release: x}}, {name: b, preset: {flavor: llm-d-router-standalone, release: y}}]\n",
            &["--epp-version", "0.9"],
            "metricsSchema",
            "must be given",
        ),
        // ---- targets
        cfg(
            "targets: [{name: Bad_Name, selector: {matchLabels: {a: b}}}]\n",
            "targets[0].name",
            "is not a valid target name",
        ),
        cfg(
            "targets: [{name: a, selector: {matchLabels: {a: b}}}, {name: a, selector: {matchLabels: {a: c}}}]\n",
            "targets[1].name",
            "target names must be unique",
        ),
        cfg("targets: [{name: a}]\n", "targets[0]", "neither is set"),
        cfg(
            "targets: [{name: a, selector: {matchLabels: {a: b}}, preset: {flavor: raw-v0.1}}]\n",
            "targets[0]",
            "both are set",
        ),
        cfg(
            "targets: [{name: a, namespace: Bad_NS, selector: {matchLabels: {a: b}}}]\n",
            "targets[0].namespace",
            NS_RULE,
        ),
        cfg(
            "targets: [{name: a, selector: {matchLabels: {a: -b}}}]\n",
            "targets[0].selector.matchLabels[\"a\"]",
            VALUE_CHARS,
        ),
        cfg(
            "targets: [{name: a, selector: {}}]\n",
            "targets[0].selector",
            "must name at least one label",
        ),
        cfg(
            "targets: [{name: a, preset: {flavor: raw-v0.3, release: \"\"}}]\n",
            "targets[0].preset.release",
            "derives its label from the release name",
        ),
        cfg_err(
            "targets: [{name: a, selectr: {}}]\n",
            "targets[0].selectr",
            "did you mean \"selector\"",
        ),
        cfg_err("targets: {name: a}\n", "targets", INVALID_TYPE),
        // ---- eppVersion
        cfg("eppVersion: \"1\"\n", "eppVersion", "must be MAJOR.MINOR"),
        cfg("eppVersion: v1.1\n", "eppVersion", "must be MAJOR.MINOR"),
        cfg("eppVersion: 1.x\n", "eppVersion", "must be MAJOR.MINOR"),
        cfg_err("eppVersion: 1.1\n", "eppVersion", QUOTES),
        // ---- authDelegation
        cfg(
            "authDelegation: epp\n",
            "authDelegation",
            "must be NAMESPACE/NAME",
        ),
        cfg(
            "authDelegation: Bad_NS/epp\n",
            "authDelegation",
            "namespace part",
        ),
        cfg(
            "authDelegation: ns/Bad_Name\n",
            "authDelegation",
            "name part",
        ),
        // ---- pprof
        cfg_err("pprof: yes please\n", "pprof", INVALID_TYPE),
        // ---- alerts
        cfg(
            "alerts: {errorRatio: 2}\n",
            "alerts.errorRatio",
            "at most 1",
        ),
        cfg(
            "alerts: {kvCacheUtilization: 0}\n",
            "alerts.kvCacheUtilization",
            "greater than 0",
        ),
        cfg(
            "alerts: {p99LatencySeconds: -1}\n",
            "alerts.p99LatencySeconds",
            "greater than 0",
        ),
        cfg(
            "alerts: {queueSize: .inf}\n",
            "alerts.queueSize",
            "finite number",
        ),
        cfg("alerts: {for: 1d}\n", "alerts.for", "write hours instead"),
        cfg_err("alerts: {scope: global}\n", "alerts.scope", UNKNOWN_VARIANT),
        cfg_err("alerts: {treshold: 1}\n", "alerts.treshold", "unknown key"),
        cfg_err(
            "alerts: {errorRatio: high}\n",
            "alerts.errorRatio",
            INVALID_TYPE,
        ),
        flag(
            &["--alert-queue-size", "0"],
            "alerts.queueSize",
            "greater than 0",
        ),
        flag(&["--alert-for", "5"], "alerts.for", SYNTAX),
        clap(
            &["--alert-error-ratio", "abc"],
            "--alert-error-ratio",
            "invalid value",
        ),
        clap(
            &["--rules-scope", "global"],
            "--rules-scope",
            "invalid value",
        ),
        // ---- secretAccess (cluster | namespaced)
        cfg_err("secretAccess: both\n", "secretAccess", UNKNOWN_VARIANT),
        cfg_err("secretAccess: Cluster\n", "secretAccess", UNKNOWN_VARIANT),
        cfg_err("secretAccess: 1\n", "secretAccess", INVALID_TYPE),
        cfg_err("secretAccess: [cluster]\n", "secretAccess", INVALID_TYPE),
        clap(
            &["--secret-access", "both"],
            "--secret-access",
            "invalid value",
        ),
        clap(
            &["--secret-access", "Cluster"],
            "--secret-access",
            "invalid value",
        ),
        clap(
            &["--secret-access", "1"],
            "--secret-access",
            "invalid value",
        ),
        cfg(
            "secretAccess: namespaced\nnames:\n  collectorBinding: \"a%b\"\n",
            "names.collectorBinding",
            "may not contain '%'",
        ),
        flag(
            &["--secret-access", "namespaced", "--namespace", "Bad_NS"],
            "namespace",
            NS_RULE,
        ),
        // ---- selector.matchLabels
        clap(&["--selector", "novalue"], "--selector", "is not KEY=VALUE"),
        flag(
            &["--selector", "="],
            at("selector.matchLabels", ""),
            NAME_PART_EMPTY,
        ),
        flag(
            &["--selector", "app=Bad Value!"],
            at("selector.matchLabels", "app"),
            VALUE_CHARS,
        ),
        flag(
            &["--selector", "a/=v"],
            at("selector.matchLabels", "a/"),
            NAME_PART_EMPTY,
        ),
        cfg(
            match_label("UPPER.example.com/x", "a"),
            at("selector.matchLabels", "UPPER.example.com/x"),
            PREFIX_CHARS,
        ),
        cfg(
            match_label("a b", "v"),
            at("selector.matchLabels", "a b"),
            NAME_PART_CHARS,
        ),
        cfg(
            match_label("/a", "v"),
            at("selector.matchLabels", "/a"),
            PREFIX_EMPTY,
        ),
        cfg(
            match_label("app", &"v".repeat(64)),
            at("selector.matchLabels", "app"),
            VALUE_LONG,
        ),
        cfg(
            match_label("app", "-a"),
            at("selector.matchLabels", "app"),
            VALUE_CHARS,
        ),
        cfg(
            match_label("app", "ünï"),
            at("selector.matchLabels", "app"),
            VALUE_CHARS,
        ),
        cfg(
            "selector:\n  matchLabels: {}\n",
            "selector",
            "must name at least one label",
        ),
        cfg("selector: {}\n", "selector", "must name at least one label"),
        cfg_err("selector: x\n", "selector", INVALID_TYPE),
        cfg_err(
            "selector:\n  matchLabels: [a]\n",
            "selector.matchLabels",
            INVALID_TYPE,
        ),
        cfg_err(
            "selector:\n  matchLabels:\n    app: 1\n",
            "selector.matchLabels.app",
            QUOTES,
        ),
        // ---- selector.matchExpressions
        cfg(
            expression("tier", "In", None),
            "selector.matchExpressions[0].values",
            "must not be empty when the operator is In",
        ),
        cfg(
            expression("tier", "NotIn", Some("[]")),
            "selector.matchExpressions[0].values",
            "must not be empty when the operator is NotIn",
        ),
        cfg(
            expression("tier", "Exists", Some("[a]")),
            "selector.matchExpressions[0].values",
            "must be empty when the operator is Exists",
        ),
        cfg(
            expression("tier", "DoesNotExist", Some("[a, b]")),
            "selector.matchExpressions[0].values",
            "must be empty when the operator is DoesNotExist",
        ),
        cfg(
            expression("tier", "In", Some("[\"a b\"]")),
            "selector.matchExpressions[0].values[0]",
            VALUE_CHARS,
        ),
        cfg(
            expression("tier", "NotIn", Some(&format!("[ok, {}]", "v".repeat(64)))),
            "selector.matchExpressions[0].values[1]",
            VALUE_LONG,
        ),
        cfg(
            expression("Bad Key", "Exists", None),
            "selector.matchExpressions[0].key",
            KEY_RULE,
        ),
        cfg(
            expression("", "Exists", None),
            "selector.matchExpressions[0].key",
            NAME_PART_EMPTY,
        ),
        cfg(
            "selector:\n  matchExpressions:\n  - {key: a, operator: Exists}\n  - {key: -b, operator: Exists}\n",
            "selector.matchExpressions[1].key",
            NAME_PART_CHARS,
        ),
        flag(
            &["--selector-expression", "a in (-x)"],
            "selector.matchExpressions[0].values[0]",
            VALUE_CHARS,
        ),
        flag(
            &["--selector-expression", "UPPER.example.com/x"],
            "selector.matchExpressions[0].key",
            PREFIX_CHARS,
        ),
        clap(
            &["--selector-expression", "a in (b c)"],
            "--selector-expression",
            "expected ',' or ')'",
        ),
        clap(
            &["--selector-expression", "Bad Key"],
            "--selector-expression",
            "expected an operator",
        ),
        cfg_err(
            expression("tier", "Foo", Some("[a]")),
            "selector.matchExpressions[0].operator",
            UNKNOWN_VARIANT,
        ),
        cfg_err(
            expression("tier", "in", Some("[a]")),
            "selector.matchExpressions[0].operator",
            UNKNOWN_VARIANT,
        ),
        cfg_err(
            "selector:\n  matchExpressions:\n  - key: a\n",
            "selector.matchExpressions[0]",
            "missing field `operator`",
        ),
        cfg_err(
            "selector:\n  matchExpressions:\n  - key: a\n    operator: Exists\n    x: 1\n",
            "selector.matchExpressions[0].x",
            "unknown key",
        ),
        // ---- port
        flag(&["--port", "0"], "port", PORT_RANGE),
        flag(&["--port=-1"], "port", PORT_RANGE),
        flag(&["--port", "65536"], "port", PORT_RANGE),
        clap(&["--port", "99999999999"], "--port", PORT_RANGE),
        cfg("port: 0\n", "port", PORT_RANGE),
        cfg("port: -1\n", "port", PORT_RANGE),
        cfg("port: 65536\n", "port", PORT_RANGE),
        cfg_err("port: 99999999999\n", "port", "expected a port name"),
        flag(&["--port", ""], "port", PORT_CHARS),
        cfg("port: \"\"\n", "port", PORT_CHARS),
        flag(&["--port", "METRICS"], "port", PORT_CHARS),
        // Quoted, so a name (a flag's "1234" is the port number 1234, which is valid).
        cfg(
            "port: \"1234\"\n",
            "port",
            "must contain at least one letter (a-z)",
        ),
        flag(
            &["--port=-m"],
            "port",
            "must not begin or end with a hyphen",
        ),
        cfg("port: m-\n", "port", "must not begin or end with a hyphen"),
        flag(
            &["--port", "a--b"],
            "port",
            "must not contain consecutive hyphens",
        ),
        cfg(
            kv("port", "abcdefghijklmnop"),
            "port",
            "must be no more than 15 characters",
        ),
        flag(&["--port", "my port"], "port", PORT_CHARS),
        cfg(kv("port", "mëtrics"), "port", PORT_CHARS),
        cfg_err("port: [1]\n", "port", "expected a port name"),
        cfg_err("port: 1.5\n", "port", INVALID_TYPE),
        cfg_err("port: true\n", "port", INVALID_TYPE),
        // ---- scheme
        clap(&["--scheme", "ftp"], "--scheme", "invalid value"),
        clap(&["--scheme", "HTTP"], "--scheme", "invalid value"),
        cfg_err("scheme: ftp\n", "scheme", UNKNOWN_VARIANT),
        cfg_err("scheme: HTTP\n", "scheme", UNKNOWN_VARIANT),
        cfg_err("scheme: \"\"\n", "scheme", UNKNOWN_VARIANT),
        // ---- tls
        flag(
            &["--tls-ca-secret", "ca:ca.crt"],
            "tls",
            "is not https, but tls is set",
        ),
        cfg(
            "tls: {serverName: epp.svc}\n",
            "scheme",
            "GMP would scrape over plain HTTP",
        ),
        flag(
            &["--scheme", "https", "--tls-ca-secret", "CA:ca.crt"],
            "tls.ca.secret",
            "is not a valid Secret name (a lowercase RFC 1123 subdomain",
        ),
        cfg(
            "scheme: https\ntls: {ca: {secret: ca, key: \"ca crt\"}}\n",
            "tls.ca.key",
            "is not a valid Secret key (a valid config key must consist of alphanumeric",
        ),
        flag(
            &["--scheme", "https", "--tls-ca-secret", "ca:.."],
            "tls.ca.key",
            "must not be '..'",
        ),
        flag(
            &["--scheme", "https", "--tls-ca-secret", "ca:..data"],
            "tls.ca.key",
            "must not start with '..'",
        ),
        flag(
            &["--scheme", "https", "--tls-cert-secret", "client:tls.crt"],
            "tls.cert",
            "a client certificate needs its private key",
        ),
        flag(
            &["--scheme", "https", "--tls-key-secret", "client:tls.key"],
            "tls.key",
            "only used with its client certificate",
        ),
        flag(
            &[
                "--scheme",
                "https",
                "--tls-cert-secret",
                "c:tls.crt",
                "--tls-key-secret",
                "C_:tls.key",
            ],
            "tls.key.secret",
            "is not a valid Secret name",
        ),
        flag(
            &[
                "--scheme",
                "https",
                "--tls-ca-secret",
                "ca:ca.crt",
                "--tls-insecure-skip-verify",
            ],
            "tls.insecureSkipVerify",
            "contradicts tls.ca",
        ),
        flag(
            &["--scheme", "https", "--tls-server-name", "epp_svc"],
            "tls.serverName",
            "must be a DNS name or an IP address",
        ),
        cfg(
            "scheme: https\ntls: {serverName: \"\"}\n",
            "tls.serverName",
            "is not a valid server name",
        ),
        cfg(
            "scheme: https\ntargets:\n- name: a\n  selector: {matchLabels: {app: x}}\n  tls: {cert: {secret: c, key: tls.crt}}\n",
            "targets[0].tls.cert",
            "a client certificate needs its private key",
        ),
        cfg(
            "targets:\n- name: a\n  selector: {matchLabels: {app: x}}\n  tls: {}\n",
            "targets[0].tls",
            "is not https",
        ),
        clap(
            &["--tls-ca-secret", "ca"],
            "--tls-ca-secret",
            "is not SECRET:KEY",
        ),
        clap(
            &["--tls-min-version", "1.2"],
            "invalid value '1.2' for '--tls-min-version <VERSION>'",
            "[possible values: TLS10, TLS11, TLS12, TLS13]",
        ),
        clap(
            &["--tls-min-version", "tls12"],
            "invalid value 'tls12' for '--tls-min-version <VERSION>'",
            "[possible values: TLS10, TLS11, TLS12, TLS13]",
        ),
        cfg_err(
            "tls: {minVersion: TLS14}\n",
            "tls.minVersion",
            UNKNOWN_VARIANT,
        ),
        cfg_err("tls: {ca: ca}\n", "tls.ca", INVALID_TYPE),
        cfg_err("tls: {ca: {secret: ca}}\n", "tls.ca", "missing field"),
        cfg_err(
            "tls: {insecureSkipVerify: yes}\n",
            "tls.insecureSkipVerify",
            "",
        ),
        cfg_err("tls: {caFile: /x}\n", "tls.caFile", "unknown"),
        // ---- interval
        flag(&["--interval", ""], "interval", "must be non-empty"),
        cfg("interval: \"\"\n", "interval", "must be non-empty"),
        flag(&["--interval", "5"], "interval", SYNTAX),
        flag(&["--interval", "5 s"], "interval", SYNTAX),
        cfg("interval: 1.5s\n", "interval", SYNTAX),
        flag(&["--interval=-1s"], "interval", SYNTAX),
        cfg("interval: 1d\n", "interval", "must not use the unit 'd'"),
        flag(
            &["--interval", "1w"],
            "interval",
            "must not use the unit 'w'",
        ),
        cfg("interval: 1y\n", "interval", "must not use the unit 'y'"),
        flag(&["--interval", "0"], "interval", POSITIVE),
        cfg("interval: 0s\n", "interval", POSITIVE),
        flag(&["--interval", "5S"], "interval", SYNTAX),
        cfg("interval: s\n", "interval", SYNTAX),
        flag(&["--interval", "1s1m"], "interval", ONCE),
        cfg("interval: 9999999999999999h\n", "interval", OVERFLOW),
        cfg_err("interval: 5\n", "interval", QUOTES),
        cfg_err("interval: [30s]\n", "interval", INVALID_TYPE),
        // ---- timeout
        cfg("timeout: \"\"\n", "timeout", "must be non-empty"),
        flag(&["--timeout", "5"], "timeout", SYNTAX),
        flag(&["--timeout=-1s"], "timeout", SYNTAX),
        cfg("timeout: 1.5s\n", "timeout", SYNTAX),
        flag(&["--timeout", "1d"], "timeout", "must not use the unit 'd'"),
        cfg("timeout: 0s\n", "timeout", POSITIVE),
        cfg("timeout: 1s1m\n", "timeout", ONCE),
        flag(&["--timeout", "9999999999999999h"], "timeout", OVERFLOW),
        cfg_err("timeout: 5\n", "timeout", QUOTES),
        // timeout > interval, in several spellings
        flag(
            &["--interval", "1m", "--timeout", "61s"],
            "timeout",
            GREATER,
        ),
        cfg("interval: 100ms\ntimeout: 1s\n", "timeout", GREATER),
        // The default interval is 5s.
        flag(&["--timeout", "6s"], "timeout", GREATER),
        cfg("interval: 1h\ntimeout: 3601s\n", "timeout", GREATER),
        cfg("interval: 1m30s\ntimeout: 90001ms\n", "timeout", GREATER),
        both("interval: 30s\n", &["--timeout", "31s"], "timeout", GREATER),
        both("timeout: 10s\n", &["--interval", "9s"], "timeout", GREATER),
        // ---- path
        flag(&["--path", ""], "path", "must start with '/'"),
        cfg("path: metrics\n", "path", "must start with '/'"),
        flag(&["--path", "/a b"], "path", "must not contain whitespace"),
        cfg(kv("path", "/a?x=1"), "path", "must not contain '?'"),
        flag(&["--path", "/a#f"], "path", "must not contain '#'"),
        cfg(
            kv("path", "/a\tb"),
            "path",
            "must not contain control characters",
        ),
        cfg(
            kv("path", "/a\0b"),
            "path",
            "must not contain control characters",
        ),
        flag(
            &["--path", "/a\u{7f}"],
            "path",
            "must not contain control characters",
        ),
        cfg_err("path: 5\n", "path", QUOTES),
        // ---- names: derived names and wrong types
        cfg(
            map1("names", "serviceAccount", &"s".repeat(250)),
            "names.tokenSecret",
            "it is derived from names.serviceAccount",
        ),
        // Each option valid on its own, the names made of them not: a ClusterPodMonitoring is
        // named `names.podMonitoring`, `-`, the target's name (250 + 1 + 5 = 256 characters).
        cfg(
            format!(
                "{}targets: [{{name: llama, selector: {{matchLabels: {{a: b}}}}}}]\n",
                map1("names", "podMonitoring", &"m".repeat(250))
            ),
            "names.podMonitoring",
            MONITORING_NAME,
        ),
        // namePrefix, the default monitoring name and a 63-character target name:
        // 189 + 38 + 1 + 63 = 291 characters.
        cfg(
            format!(
                "{}targets:\n- {{name: {}, selector: {{matchLabels: {{a: b}}}}}}\n- {{name: {}, selector: {{matchLabels: {{a: c}}}}}}\n",
                kv("namePrefix", &format!("{}-", "p".repeat(188))),
                "a".repeat(63),
                "b".repeat(63)
            ),
            "namePrefix",
            MONITORING_NAME,
        ),
        // Two ClusterRoles of one name (secretAccess and monitoring both default to cluster).
        cfg(
            "names:\n  readerClusterRole: epp-reader\n  secretReaderRole: epp-reader\n",
            "names.secretReaderRole",
            "same ClusterRole",
        ),
        cfg_err("names: x\n", "names", INVALID_TYPE),
        cfg_err(
            "names:\n  serviceAccount: [x]\n",
            "names.serviceAccount",
            INVALID_TYPE,
        ),
        cfg_err(
            "names:\n  podMonitoring: 1\n",
            "names.podMonitoring",
            QUOTES,
        ),
        // ---- namePrefix
        flag(&["--name-prefix", "UPPER"], "namePrefix", PREFIX_RULE),
        cfg("namePrefix: -x\n", "namePrefix", PREFIX_RULE),
        flag(&["--name-prefix", "a_b"], "namePrefix", PREFIX_RULE),
        cfg(kv("namePrefix", &"p".repeat(260)), "namePrefix", MAX_253),
        // A valid prefix that makes the names too long.
        cfg(
            kv("namePrefix", &format!("{}-", "p".repeat(240))),
            "names.serviceAccount",
            OBJECT_LONG,
        ),
        cfg_err("namePrefix: [a]\n", "namePrefix", INVALID_TYPE),
        // ---- extraLabels and monitoringLabels: conflicts, flags, types
        cfg(
            map1("extraLabels", "app.kubernetes.io/name", "other"),
            at("extraLabels", "app.kubernetes.io/name"),
            "conflicts with monitoringLabels[\"app.kubernetes.io/name\"]",
        ),
        flag(
            &["--label", "app.kubernetes.io/part-of=x"],
            at("extraLabels", "app.kubernetes.io/part-of"),
            "conflicts with monitoringLabels",
        ),
        cfg(
            "monitoringLabels: {team: a}\nextraLabels: {team: b}\n",
            at("extraLabels", "team"),
            "conflicts with monitoringLabels[\"team\"]",
        ),
        both(
            "monitoringLabels: {team: a}\n",
            &["--label", "team=b"],
            at("extraLabels", "team"),
            "conflicts with monitoringLabels",
        ),
        flag(&["--label", "=v"], at("extraLabels", ""), NAME_PART_EMPTY),
        clap(&["--label", "novalue"], "--label", "is not KEY=VALUE"),
        cfg(
            map1("extraLabels", "big", &"v".repeat(mib)),
            at("extraLabels", "big"),
            VALUE_LONG,
        ),
        cfg(
            map1("extraLabels", &format!("{}/x", "p".repeat(254)), "v"),
            at("extraLabels", &format!("{}/x", "p".repeat(254))),
            "prefix part must be no more than 253 characters",
        ),
        cfg_err("extraLabels: {a: 1}\n", "extraLabels.a", QUOTES),
        cfg_err("extraLabels: {a: true}\n", "extraLabels.a", QUOTES),
        cfg_err(
            "extraLabels: {1: a}\n",
            "extraLabels.1",
            "put the key in quotes",
        ),
        cfg_err("extraLabels: [a]\n", "extraLabels", INVALID_TYPE),
        cfg_err("monitoringLabels: x\n", "monitoringLabels", INVALID_TYPE),
        cfg_err("monitoringLabels: {a: 1.0}\n", "monitoringLabels.a", QUOTES),
        // ---- extraAnnotations
        cfg(
            map1("extraAnnotations", "a b", "x"),
            at("extraAnnotations", "a b"),
            ANNOTATION_KEY,
        ),
        cfg(
            map1("extraAnnotations", "", "x"),
            at("extraAnnotations", ""),
            ANNOTATION_KEY,
        ),
        cfg(
            map1("extraAnnotations", "Bad.Example.com/x", "x"),
            at("extraAnnotations", "Bad.Example.com/x"),
            PREFIX_CHARS,
        ),
        cfg(
            map1(
                "extraAnnotations",
                "kubernetes.io/service-account.name",
                "x",
            ),
            at("extraAnnotations", "kubernetes.io/service-account.name"),
            "is reserved",
        ),
        cfg(
            map1("extraAnnotations", "big", &"x".repeat(256 * 1024)),
            "extraAnnotations",
            "must have at most 262144 bytes",
        ),
        cfg(
            format!(
                "extraAnnotations:\n  a: {}\n  b: {}\n",
                q(&"x".repeat(140_000)),
                q(&"y".repeat(140_000))
            ),
            "extraAnnotations",
            "must have at most 262144 bytes",
        ),
        // Under the limit alone, but the token Secret also carries the reserved annotation
        // (34 bytes of key and the ServiceAccount's name), so its annotations exceed 256 KiB.
        cfg(
            map1("extraAnnotations", "a", &"x".repeat(256 * 1024 - 1)),
            "extraAnnotations",
            "must have at most 262144 bytes",
        ),
        cfg_err("extraAnnotations: {a: 1}\n", "extraAnnotations.a", QUOTES),
        cfg_err("extraAnnotations: [a]\n", "extraAnnotations", INVALID_TYPE),
        // ---- unknown keys at several depths
        cfg_err("namespce: a\n", "namespce", "did you mean \"namespace\""),
        cfg_err("Namespace: a\n", "Namespace", "did you mean \"namespace\""),
        cfg_err(
            "name_prefix: a-\n",
            "name_prefix",
            "did you mean \"namePrefix\"",
        ),
        cfg_err(
            "secretAcess: namespaced\n",
            "secretAcess",
            "did you mean \"secretAccess\"",
        ),
        cfg_err(
            "names:\n  tokenSecrt: x\n",
            "names.tokenSecrt",
            "did you mean \"tokenSecret\"",
        ),
        cfg_err("names:\n  x: y\n", "names.x", "unknown key"),
        cfg_err(
            "selector:\n  matchLabel: {a: b}\n",
            "selector.matchLabel",
            "did you mean \"matchLabels\"",
        ),
        // ---- the file as a whole
        cfg_err(
            "namespace: a\nnamespace: b\n",
            "namespace",
            "duplicate entry",
        ),
        cfg_err(
            "extraLabels:\n  a: b\n  a: c\n",
            "extraLabels",
            "duplicate entry",
        ),
        cfg_err("- a\n- b\n", "config file", NOT_A_MAPPING),
        cfg_err("just a string\n", "config file", NOT_A_MAPPING),
        cfg_err("42\n", "config file", NOT_A_MAPPING),
        cfg_err("namespace: [a\n", "invalid YAML", "line"),
    ];

    // Aliases that would expand a small file into gigabytes: a 1 MiB scalar used 2,000 times
    // (2 GiB), the same behind a tag, and nested lists (a billion laughs, 10^9 nodes).
    let mib_scalar = "x".repeat(1024 * 1024);
    let uses = |n: usize| -> String {
        (0..n)
            .map(|i| format!("  - {{name: t{i}, selector: {{matchLabels: {{app: *a}}}}}}\n"))
            .collect()
    };
    cases.push(cfg_err(
        format!(
            "extraLabels:\n  big: &a {mib_scalar}\ntargets:\n{}",
            uses(2000)
        ),
        "aliases",
        "repeat more than 64 MiB",
    ));
    cases.push(cfg_err(
        format!(
            "extraLabels:\n  big: !t &a {mib_scalar}\ntargets:\n{}",
            uses(100)
        ),
        "aliases",
        "repeat more than 64 MiB",
    ));
    let mut laughs = String::from("l0: &l0 [x, x, x, x, x, x, x, x, x, x]\n");
    for level in 1..9 {
        let items = vec![format!("*l{}", level - 1); 10].join(", ");
        laughs.push_str(&format!("l{level}: &l{level} [{items}]\n"));
    }
    cases.push(cfg_err(laughs, "invalid YAML", "repetition limit"));

    // Every label map, every bad key and every bad value.
    let name64 = "k".repeat(64);
    let bad_keys = [
        ("", NAME_PART_EMPTY),
        ("a/", NAME_PART_EMPTY),
        ("/a", PREFIX_EMPTY),
        ("UPPER.example.com/x", PREFIX_CHARS),
        (name64.as_str(), NAME_PART_LONG),
        ("a b", NAME_PART_CHARS),
    ];
    let value64 = "v".repeat(64);
    let bad_values = [
        (value64.as_str(), VALUE_LONG),
        ("-a", VALUE_CHARS),
        ("a b", VALUE_CHARS),
        ("ünï", VALUE_CHARS),
    ];
    for map in ["monitoringLabels", "extraLabels"] {
        for (i, (key, rule)) in bad_keys.iter().enumerate() {
            // Half of the extraLabels keys come from `--label`.
            if map == "extraLabels" && i % 2 == 1 {
                cases.push(flag(
                    &["--label", format!("{key}=v").as_str()],
                    at(map, key),
                    rule,
                ));
            } else {
                cases.push(cfg(map1(map, key, "v"), at(map, key), rule));
            }
        }
        for (i, (value, rule)) in bad_values.iter().enumerate() {
            if map == "extraLabels" && i % 2 == 0 {
                cases.push(flag(
                    &["--label", format!("team={value}").as_str()],
                    at(map, "team"),
                    rule,
                ));
            } else {
                cases.push(cfg(map1(map, "team", value), at(map, "team"), rule));
            }
        }
    }

    // Every name: the rules of its kind of object.
    let too_long = "n".repeat(254);
    for name in SUBDOMAIN_NAMES {
        let field = format!("names.{name}");
        for (value, rule) in [
            (too_long.as_str(), OBJECT_LONG),
            ("UPPER", SUBDOMAIN),
            ("..", SUBDOMAIN),
            ("a/b", SUBDOMAIN),
            ("a%b", SUBDOMAIN),
            ("", SUBDOMAIN),
            ("a_b", SUBDOMAIN),
            ("-a", SUBDOMAIN),
            ("a.", SUBDOMAIN),
        ] {
            cases.push(cfg(map1("names", name, value), field.as_str(), rule));
        }
    }
    for name in RBAC_NAMES {
        let field = format!("names.{name}");
        for (value, rule) in [
            ("..", "may not be '..'"),
            (".", "may not be '.'"),
            ("a/b", "may not contain '/'"),
            ("a%b", "may not contain '%'"),
            ("", "must be non-empty"),
        ] {
            cases.push(cfg(
                map1("names", name, value),
                field.as_str(),
                &format!("{RBAC} ({rule}"),
            ));
        }
    }

    // 10 000 matchLabels entries, one of them bad.
    let mut many = String::from("selector:\n  matchLabels:\n");
    for i in 0..10_000 {
        if i == 6_789 {
            many.push_str("    \"bad key\": v\n");
        } else {
            many.push_str(&format!("    key-{i}: value-{i}\n"));
        }
    }
    cases.push(cfg(
        many,
        at("selector.matchLabels", "bad key"),
        NAME_PART_CHARS,
    ));
    // ---- no silent conflicts, empty is not unset, negative numbers are values (issue 12)
    cases.extend([
        flags_err(
            &["--selector", "app=a", "--selector", "app=b"],
            "--selector",
            "given twice",
        ),
        flags_err(
            &["--label", "team=a", "--label", "team=b"],
            "--label",
            "given twice",
        ),
        flags_err(&["--instance="], "--instance", "must not be empty"),
        cfg("instance: ''\n", "instance", "is not a valid instance name"),
        clap(
            &["--preset", "raw-v0.3", "--release", "x", "--selector", "a=b"],
            "--preset",
            "cannot be used with",
        ),
        flag(
            &["--alert-queue-size", "-1"],
            "alerts.queueSize",
            "is not a valid alert threshold",
        ),
        flag(
            &["--alert-p99-latency", "-0.5"],
            "alerts.p99LatencySeconds",
            "is not a valid alert threshold",
        ),
        flag(
            &["--selector", "app=a", "--selector-expression", "app notin (a)"],
            "selector",
            "selects no pod",
        ),
        flag(
            &[
                "--selector-expression",
                "tier in (a)",
                "--selector-expression",
                "tier notin (a)",
            ],
            "selector",
            "selects no pod",
        ),
        cfg(
            "targets:\n- name: a\n  selector:\n    matchExpressions:\n    - {key: tier, operator: Exists}\n    - {key: tier, operator: DoesNotExist}\n",
            "targets[0].selector",
            "selects no pod",
        ),
    ]);
    cases
}

// ---------------------------------------------------------------------------------------------
// Through the library

/// Why `case` was not refused the way it says, through the library; `None` when it was.
fn library_failure(case: &Case) -> Option<String> {
    let base = match &case.config {
        None => Options::default(),
        Some(text) => match (config::parse(text), case.expect) {
            (Err(e), Expect::Config) => {
                let message = e.to_string();
                return (!message.contains(&case.field) || !message.contains(&case.rule))
                    .then(|| format!("config::parse said: {message}"));
            }
            (Err(e), _) => return Some(format!("config::parse refused the file: {e}")),
            (Ok(_), Expect::Config) => {
                return Some("config::parse accepted the file".to_owned());
            }
            (Ok(options), _) => options,
        },
    };
    let argv = ["igw-monitoring", "render"]
        .into_iter()
        .map(str::to_owned)
        .chain(case.flags.iter().cloned());
    let cli = match (Cli::try_parse_from(argv), case.expect) {
        (Err(e), Expect::Clap) => {
            let message = e.to_string();
            return (!message.contains(&case.field) || !message.contains(&case.rule))
                .then(|| format!("clap said: {message}"));
        }
        (Err(e), _) => return Some(format!("clap refused the flags: {e}")),
        (Ok(_), Expect::Clap) => return Some("clap accepted the flags".to_owned()),
        (Ok(cli), _) => cli,
    };
    let CliCommand::Render { options: args, .. } = &cli.command else {
        return Some(format!("not a render command: {:?}", cli.command));
    };
    match (args.check(), case.expect) {
        (Err(message), Expect::Flags) => {
            return (!message.contains(&case.field) || !message.contains(&case.rule))
                .then(|| format!("OptionArgs::check said: {message}"));
        }
        (Err(message), _) => return Some(format!("OptionArgs::check refused: {message}")),
        (Ok(()), Expect::Flags) => return Some("OptionArgs::check accepted the flags".to_owned()),
        (Ok(()), _) => {}
    }
    match args.apply(base).build() {
        Ok(_) => Some("Options::build accepted the options".to_owned()),
        Err(Error::Invalid(problems)) => {
            // One problem must both name the field and break the rule.
            let found = problems.iter().any(|p| {
                p.rule.contains(&case.rule) && Problems(vec![p.clone()]).mentions(&case.field)
            });
            (!found).then(|| {
                let all: Vec<String> = problems
                    .iter()
                    .map(|p| format!("{:?} {:?}", p.field, p.rule))
                    .collect();
                format!("Options::build reported:\n      {}", all.join("\n      "))
            })
        }
        Err(other) => Some(format!("Options::build failed otherwise: {other}")),
    }
}

// ---------------------------------------------------------------------------------------------
// Through the command

/// Each way the binary misbehaved on `case`, as `render` and as `kustomize --out`.
fn command_failures(case: &Case) -> std::io::Result<Vec<String>> {
    let dir = tempfile::tempdir()?;
    let mut args: Vec<String> = Vec::new();
    if let Some(text) = &case.config {
        let file = dir.path().join("bad.yaml");
        fs::write(&file, text)?;
        args.push("--config".to_owned());
        args.push(file.to_string_lossy().into_owned());
    }
    args.extend(case.flags.iter().cloned());
    let out = dir.path().join("base");
    let render: Vec<String> = std::iter::once("render".to_owned())
        .chain(args.iter().cloned())
        .collect();
    let kustomize: Vec<String> = ["kustomize".to_owned(), "--out".to_owned()]
        .into_iter()
        .chain(std::iter::once(out.to_string_lossy().into_owned()))
        .chain(args.iter().cloned())
        .collect();
    let mut failures = Vec::new();
    for (name, command) in [("render", render), ("kustomize", kustomize)] {
        let run = igw(&command)?;
        let mut wrong = Vec::new();
        if run.code != Some(2) {
            wrong.push(format!("exit code {:?}, expected 2", run.code));
        }
        if !run.stdout.is_empty() {
            wrong.push(format!("stdout is not empty ({} bytes)", run.stdout.len()));
        }
        for needle in [&case.field, &case.rule] {
            if !run.stderr.contains(needle.as_str()) {
                wrong.push(format!("stderr does not mention {needle:?}"));
            }
        }
        if out.exists() {
            wrong.push("the --out folder exists".to_owned());
        }
        let leftovers = staging_leftovers(dir.path())?;
        if !leftovers.is_empty() {
            wrong.push(format!("staging folders left: {leftovers:?}"));
        }
        if !wrong.is_empty() {
            let stderr: String = run.stderr.trim_end().chars().take(2_000).collect();
            failures.push(format!(
                "{name}: {}\n      stderr: {}",
                wrong.join("; "),
                stderr.replace('\n', "\n              ")
            ));
        }
    }
    Ok(failures)
}

// ---------------------------------------------------------------------------------------------
// The tests

#[test]
fn the_catalogue_is_large_and_covers_every_option() {
    let cases = catalogue();
    // The README states the catalogue's size; the figure must be this one.
    let readme = include_str!("../../../../README.md");
    let stated: Vec<usize> = readme
        .split("a catalogue of ")
        .skip(1)
        .filter_map(|rest| rest.split_once(" invalid inputs"))
        .filter_map(|(number, _)| number.replace(',', "").parse().ok())
        .collect();
    assert_eq!(
        stated,
        [cases.len()],
        "README's figure for the bad-input catalogue"
    );
    assert!(
        cases.len() >= 110,
        "only {} cases in the catalogue",
        cases.len()
    );
    let schema = schemars::schema_for!(Options);
    let properties = schema.as_value()["properties"]
        .as_object()
        .expect("the schema of Options has properties");
    assert!(!properties.is_empty());
    let uncovered: Vec<&String> = properties
        .keys()
        .filter(|key| {
            !cases.iter().any(|case| {
                let root = case.field.split(['.', '[']).next().unwrap_or_default();
                let in_config = case.config.as_deref().is_some_and(|text| {
                    text.lines().any(|line| {
                        line.strip_prefix(key.as_str())
                            .is_some_and(|rest| rest.starts_with(':'))
                    })
                });
                root == key.as_str() || in_config
            })
        })
        .collect();
    assert!(
        uncovered.is_empty(),
        "options without a bad-input case: {uncovered:?}"
    );
}

#[test]
fn the_library_refuses_every_bad_input_naming_the_field_and_rule() {
    let failures: Vec<String> = catalogue()
        .iter()
        .filter_map(|case| library_failure(case).map(|why| format!("{}\n    {why}", case.label())))
        .collect();
    assert!(
        failures.is_empty(),
        "{} of the catalogue's cases misbehave through the library:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn the_command_exits_2_writes_nothing_and_names_the_field_for_every_bad_input() {
    let cases = catalogue();
    let threads = std::thread::available_parallelism().map_or(4, |n| n.get().min(8));
    let chunk = cases.len().div_ceil(threads);
    let failures: Vec<String> = std::thread::scope(|scope| {
        let workers: Vec<_> = cases
            .chunks(chunk)
            .map(|chunk| {
                scope.spawn(move || {
                    chunk
                        .iter()
                        .flat_map(|case| match command_failures(case) {
                            Ok(wrong) if wrong.is_empty() => Vec::new(),
                            Ok(wrong) => {
                                vec![format!("{}\n    {}", case.label(), wrong.join("\n    "))]
                            }
                            Err(e) => vec![format!("{}\n    could not run: {e}", case.label())],
                        })
                        .collect::<Vec<String>>()
                })
            })
            .collect();
        workers
            .into_iter()
            .flat_map(|worker| worker.join().expect("a worker thread panicked"))
            .collect()
    });
    assert!(
        failures.is_empty(),
        "{} of the catalogue's cases misbehave through the command:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
