//! Integration tests of the `igw-monitoring` binary: the real executable, driven through its
//! command line, judged by exit code, stdout, stderr and the files it leaves behind.

use igw_monitoring::Objects;
use std::collections::BTreeSet;
use std::ffi::OsStr;
use std::fs;
use std::path::Path;
use std::process::Command;

use igw_monitoring::{ClusterFlavor, Options, Port, Scheme};
use proptest::prelude::*;
use serde_yaml::Value;

pub(crate) use crate::support::{
    Run, TestResult, documents, igw, igw_in, named, names_in, staging_leftovers,
};

/// The kinds of the bundle's seven objects, in the order they are rendered.
const KINDS: [&str; 7] = [
    "ClusterRole",
    "ServiceAccount",
    "ClusterRoleBinding",
    "Secret",
    "ClusterRole",
    "ClusterRoleBinding",
    "ClusterPodMonitoring",
];

/// The seven objects of a bundle, each found by its kind and by the names that tie it to the
/// others, never by its position: the token Secret and the monitoring are one of their kind;
/// the reader's binding is the one whose subject is the ServiceAccount, and the reader role the
/// one it binds; the secret reader is the role naming the Secret, and the collector's binding
/// the one binding it. `docs[PART]` is null when the bundle holds no such object.
#[derive(Clone, Copy, Debug)]
enum Part {
    ReaderRole,
    ServiceAccount,
    ReaderBinding,
    TokenSecret,
    SecretReaderRole,
    CollectorBinding,
    PodMonitoring,
}
use Part::{
    CollectorBinding as COLLECTOR_BINDING, PodMonitoring as POD_MONITORING,
    ReaderBinding as READER_BINDING, ReaderRole as READER_ROLE,
    SecretReaderRole as SECRET_READER_ROLE, ServiceAccount as SERVICE_ACCOUNT,
    TokenSecret as TOKEN_SECRET,
};

/// The documents of `docs` of one of `kinds`.
fn of_kind<'d>(
    docs: &'d [Value],
    kinds: &'static [&'static str],
) -> impl Iterator<Item = &'d Value> {
    docs.iter()
        .filter(move |d| kinds.iter().any(|k| d["kind"] == *k))
}

const BINDINGS: &[&str] = &["ClusterRoleBinding", "RoleBinding"];
const ROLES: &[&str] = &["ClusterRole", "Role"];

impl Part {
    /// The document of this part in `docs`, if there is exactly one.
    fn find(self, docs: &[Value]) -> Option<&Value> {
        let one = |kinds: &'static [&'static str]| {
            let mut found = of_kind(docs, kinds);
            match (found.next(), found.next()) {
                (Some(doc), None) => Some(doc),
                _ => None,
            }
        };
        match self {
            Part::ServiceAccount => one(&["ServiceAccount"]),
            Part::TokenSecret => one(&["Secret"]),
            Part::PodMonitoring => one(&["ClusterPodMonitoring", "PodMonitoring"]),
            Part::ReaderBinding => {
                let account = Part::ServiceAccount.find(docs)?;
                of_kind(docs, BINDINGS).find(|b| {
                    b["subjects"][0]["kind"] == "ServiceAccount"
                        && b["subjects"][0]["name"] == account["metadata"]["name"]
                })
            }
            Part::ReaderRole => {
                let binding = Part::ReaderBinding.find(docs)?;
                let kind = binding["roleRef"]["kind"].as_str()?;
                let name = binding["roleRef"]["name"].as_str()?;
                named(docs, kind, name).first().copied()
            }
            Part::SecretReaderRole => {
                let secret = Part::TokenSecret.find(docs)?;
                of_kind(docs, ROLES).find(|r| {
                    r["rules"][0]["resources"][0] == "secrets"
                        && r["rules"][0]["resourceNames"][0] == secret["metadata"]["name"]
                })
            }
            Part::CollectorBinding => {
                let role = Part::SecretReaderRole.find(docs)?;
                of_kind(docs, BINDINGS).find(|b| {
                    b["roleRef"]["kind"] == role["kind"]
                        && b["roleRef"]["name"] == role["metadata"]["name"]
                })
            }
        }
    }
}

impl std::ops::Index<Part> for Vec<Value> {
    type Output = Value;

    // A part the bundle lacks fails the test here, rather than reading as null and letting an
    // assertion about an absent field pass.
    #[allow(clippy::panic)]
    fn index(&self, part: Part) -> &Value {
        part.find(self)
            .unwrap_or_else(|| panic!("the bundle holds no {part:?}: {self:?}"))
    }
}

/// Renders with `args` (after `render`), expecting success, and returns the seven documents.
fn render_docs(args: &[&str]) -> TestResult<Vec<Value>> {
    let run = igw(["render"].iter().chain(args))?;
    // Warnings (e.g. https verified against the system roots) are no failure.
    if run.code != Some(0) || run.stderr.lines().any(|l| !l.starts_with("warning: ")) {
        return Err(format!("render {args:?} failed:\n{}", run.show()).into());
    }
    let docs = documents(&run.stdout)?;
    let kinds: Vec<&str> = docs.iter().filter_map(|d| d["kind"].as_str()).collect();
    if kinds != KINDS {
        return Err(format!("render {args:?}: kinds {kinds:?}").into());
    }
    Ok(docs)
}

/// `value` as a string, or an empty one.
fn text(value: &Value) -> &str {
    value.as_str().unwrap_or_default()
}

/// The files the library says a Kustomize base of `options` holds, by name.
fn expected_base(options: &Options) -> TestResult<Vec<(String, String)>> {
    Ok(options
        .build()?
        .kustomize_base()?
        .into_iter()
        .map(|f| (f.name, f.contents))
        .collect())
}

/// Asserts that `dir` holds exactly the base of `options`, byte for byte.
pub(crate) fn assert_base(dir: &Path, options: &Options) -> TestResult {
    let expected = expected_base(options)?;
    let wanted: BTreeSet<String> = expected.iter().map(|(name, _)| name.clone()).collect();
    let present = names_in(dir)?;
    if present != wanted {
        return Err(format!("{}: files {present:?}, expected {wanted:?}", dir.display()).into());
    }
    for (name, contents) in &expected {
        if fs::read_to_string(dir.join(name))? != *contents {
            return Err(format!("{}: {name} differs from the library's", dir.display()).into());
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// render

#[test]
fn render_without_options_prints_the_default_bundle() {
    let run = igw(["render"]).unwrap();
    assert_eq!(run.code, Some(0), "{}", run.show());
    assert_eq!(run.stderr, "");
    let expected = Options::default().build().unwrap().to_yaml().unwrap();
    assert_eq!(run.stdout, expected);
    assert!(run.stdout.starts_with(igw_monitoring::emit::HEADER));
}

#[test]
fn render_json_prints_a_kubernetes_list_of_the_seven_objects() {
    let run = igw(["render", "-o", "json"]).unwrap();
    assert_eq!(run.code, Some(0), "{}", run.show());
    assert_eq!(run.stderr, "");
    let list: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(list["apiVersion"], "v1");
    assert_eq!(list["kind"], "List");
    let items = list["items"].as_array().unwrap();
    assert_eq!(items.len(), 7);
    let kinds: Vec<&str> = items.iter().filter_map(|i| i["kind"].as_str()).collect();
    assert_eq!(kinds, KINDS);
    // The same objects as the YAML, and as the library writes them.
    let expected = Options::default().build().unwrap().to_json_list().unwrap();
    assert_eq!(run.stdout, expected);
    let yaml = render_docs(&[]).unwrap();
    for (item, doc) in items.iter().zip(&yaml) {
        assert_eq!(item, &serde_json::to_value(doc).unwrap());
    }
}

#[test]
fn render_long_output_flag_and_yaml_value_are_accepted() {
    let yaml = igw(["render", "--output", "yaml"]).unwrap();
    assert_eq!(yaml.code, Some(0), "{}", yaml.show());
    assert_eq!(yaml.stdout, igw(["render"]).unwrap().stdout);
    let json = igw(["render", "--output", "json"]).unwrap();
    assert_eq!(json.stdout, igw(["render", "-o", "json"]).unwrap().stdout);
}

#[test]
fn namespace_moves_the_service_account_its_secret_and_every_reference() {
    let docs = render_docs(&["--namespace", "monitoring"]).unwrap();
    assert_eq!(docs[SERVICE_ACCOUNT]["metadata"]["namespace"], "monitoring");
    assert_eq!(docs[TOKEN_SECRET]["metadata"]["namespace"], "monitoring");
    assert_eq!(
        docs[READER_BINDING]["subjects"][0]["namespace"],
        "monitoring"
    );
    let secret_ref =
        &docs[POD_MONITORING]["spec"]["endpoints"][0]["authorization"]["credentials"]["secret"];
    assert_eq!(secret_ref["namespace"], "monitoring");
    // Cluster-scoped objects carry no namespace; the collector stays where GMP runs it.
    for i in [
        READER_ROLE,
        READER_BINDING,
        SECRET_READER_ROLE,
        COLLECTOR_BINDING,
        POD_MONITORING,
    ] {
        assert!(docs[i]["metadata"].get("namespace").is_none(), "{i:?}");
    }
    assert_eq!(
        docs[COLLECTOR_BINDING]["subjects"][0]["namespace"],
        "gmp-system"
    );
    let text = igw(["render", "--namespace", "monitoring"]).unwrap().stdout;
    assert!(!text.contains("namespace: default"), "{text}");
}

#[test]
fn autopilot_moves_the_collector_subject_and_renames_its_binding() {
    let standard = render_docs(&[]).unwrap();
    let subject = &standard[COLLECTOR_BINDING]["subjects"][0];
    assert_eq!(subject["namespace"], "gmp-system");
    assert!(
        text(&standard[COLLECTOR_BINDING]["metadata"]["name"]).starts_with("gmp-system:collector:")
    );

    let docs = render_docs(&["--autopilot"]).unwrap();
    let binding = &docs[COLLECTOR_BINDING];
    let subjects = binding["subjects"].as_sequence().unwrap();
    assert_eq!(subjects.len(), 1);
    assert_eq!(subjects[0]["kind"], "ServiceAccount");
    assert_eq!(subjects[0]["name"], "collector");
    assert_eq!(subjects[0]["namespace"], "gke-gmp-system");
    let name = text(&binding["metadata"]["name"]);
    assert!(name.starts_with("gke-gmp-system:collector:"), "{name}");
    assert_eq!(
        binding["roleRef"]["name"],
        docs[SECRET_READER_ROLE]["metadata"]["name"]
    );
    // Nothing else moves.
    assert_eq!(docs[SERVICE_ACCOUNT], standard[SERVICE_ACCOUNT]);
    assert_eq!(docs[POD_MONITORING], standard[POD_MONITORING]);
}

#[test]
fn selector_flags_replace_the_default_app_label() {
    let default = render_docs(&[]).unwrap();
    let selector = &default[POD_MONITORING]["spec"]["selector"];
    assert_eq!(selector["matchLabels"]["app"], "inference-gateway-ext-proc");

    let docs = render_docs(&["--selector", "inferencepool=llama3-8b-epp"]).unwrap();
    let expected: Value =
        serde_yaml::from_str("matchLabels: {inferencepool: llama3-8b-epp}").unwrap();
    assert_eq!(docs[POD_MONITORING]["spec"]["selector"], expected);

    let docs = render_docs(&["--selector", "a=b", "--selector", "c.example.com/d=e"]).unwrap();
    let expected: Value = serde_yaml::from_str("matchLabels: {a: b, c.example.com/d: e}").unwrap();
    assert_eq!(docs[POD_MONITORING]["spec"]["selector"], expected);
}

#[test]
fn selector_value_may_be_empty_and_only_the_first_equals_splits() {
    let docs = render_docs(&["--selector", "tier="]).unwrap();
    assert_eq!(
        docs[POD_MONITORING]["spec"]["selector"]["matchLabels"]["tier"],
        ""
    );
    // `a=b=c` is key `a`, value `b=c`: an invalid label value, reported against --selector.
    let run = igw(["render", "--selector", "a=b=c"]).unwrap();
    assert_eq!(run.code, Some(2), "{}", run.show());
    assert!(
        run.stderr.contains("b=c") && run.stderr.contains("--selector"),
        "{}",
        run.show()
    );
}

#[test]
fn endpoint_flags_land_on_the_pod_monitoring_endpoint() {
    let docs = render_docs(&[
        "--interval",
        "30s",
        "--timeout",
        "10s",
        "--port",
        "9090",
        "--path",
        "/custom/metrics",
        "--scheme",
        "https",
    ])
    .unwrap();
    let endpoints = docs[POD_MONITORING]["spec"]["endpoints"]
        .as_sequence()
        .unwrap();
    assert_eq!(endpoints.len(), 1);
    let endpoint = &endpoints[0];
    assert_eq!(endpoint["interval"], "30s");
    assert_eq!(endpoint["timeout"], "10s");
    // A port number is a number, not the string "9090".
    assert_eq!(endpoint["port"], Value::from(9090));
    assert_eq!(endpoint["path"], "/custom/metrics");
    assert_eq!(endpoint["scheme"], "https");

    let defaults = render_docs(&[]).unwrap();
    let endpoint = &defaults[POD_MONITORING]["spec"]["endpoints"][0];
    assert_eq!(endpoint["interval"], "5s");
    assert!(endpoint.get("timeout").is_none());
    assert_eq!(endpoint["port"], "metrics");
    assert_eq!(endpoint["path"], "/metrics");
    assert_eq!(endpoint["scheme"], "http");
}

#[test]
fn a_named_port_stays_a_name() {
    let docs = render_docs(&["--port", "http-metrics"]).unwrap();
    assert_eq!(
        docs[POD_MONITORING]["spec"]["endpoints"][0]["port"],
        "http-metrics"
    );
    // A leading-dash number reaches the port rule when written with `=`.
    let run = igw(["render", "--port=-1"]).unwrap();
    assert_eq!(run.code, Some(2), "{}", run.show());
    assert!(run.stderr.contains("-1"), "{}", run.show());
}

#[test]
fn name_prefix_prefixes_every_object_and_reference_but_not_the_collector() {
    let plain = render_docs(&[]).unwrap();
    let docs = render_docs(&["--name-prefix", "p-"]).unwrap();
    for (i, (doc, original)) in docs.iter().zip(&plain).enumerate() {
        let name = text(&doc["metadata"]["name"]);
        let original = text(&original["metadata"]["name"]);
        assert_eq!(name, format!("p-{original}"), "{}", KINDS[i]);
    }
    // References follow the names they point at.
    for binding in [READER_BINDING, COLLECTOR_BINDING] {
        assert!(text(&docs[binding]["roleRef"]["name"]).starts_with("p-"));
    }
    assert_eq!(
        docs[READER_BINDING]["subjects"][0]["name"],
        docs[SERVICE_ACCOUNT]["metadata"]["name"]
    );
    assert_eq!(
        docs[SECRET_READER_ROLE]["rules"][0]["resourceNames"][0],
        docs[TOKEN_SECRET]["metadata"]["name"]
    );
    assert_eq!(
        docs[TOKEN_SECRET]["metadata"]["annotations"]["kubernetes.io/service-account.name"],
        docs[SERVICE_ACCOUNT]["metadata"]["name"]
    );
    assert_eq!(
        docs[POD_MONITORING]["spec"]["endpoints"][0]["authorization"]["credentials"]["secret"]["name"],
        docs[TOKEN_SECRET]["metadata"]["name"]
    );
    // GMP's collector ServiceAccount is only referenced, never created: its name stays.
    let collector = &docs[COLLECTOR_BINDING]["subjects"][0];
    assert_eq!(collector["name"], "collector");
    assert_eq!(collector["namespace"], "gmp-system");
}

#[test]
fn labels_go_on_every_object() {
    let docs = render_docs(&["--label", "team=a", "--label", "example.com/env=prod"]).unwrap();
    for (i, doc) in docs.iter().enumerate() {
        let labels = &doc["metadata"]["labels"];
        assert_eq!(labels["team"], "a", "{}", KINDS[i]);
        assert_eq!(labels["example.com/env"], "prod", "{}", KINDS[i]);
    }
    // The monitoring labels stay on the ClusterPodMonitoring.
    let labels = &docs[POD_MONITORING]["metadata"]["labels"];
    assert_eq!(
        labels["app.kubernetes.io/name"],
        "inference-optimized-gateway"
    );
    assert_eq!(
        labels["app.kubernetes.io/part-of"],
        "google-cloud-managed-prometheus"
    );
    // Labels are not selectors.
    assert_eq!(
        docs[POD_MONITORING]["spec"]["selector"],
        render_docs(&[]).unwrap()[POD_MONITORING]["spec"]["selector"]
    );
}

#[test]
fn label_values_that_yaml_reads_as_other_types_stay_strings() {
    let docs = render_docs(&[
        "--label", "flag=yes", "--label", "n=0777", "--label", "z=null",
    ])
    .unwrap();
    let labels = &docs[SERVICE_ACCOUNT]["metadata"]["labels"];
    assert_eq!(labels["flag"], "yes");
    assert_eq!(labels["n"], "0777");
    assert_eq!(labels["z"], "null");
}

#[test]
fn flags_match_the_library_with_the_same_options() {
    let run = igw([
        "render",
        "--namespace",
        "inference",
        "--autopilot",
        "--selector",
        "inferencepool=llama3-8b-epp",
        "--interval",
        "15s",
        "--timeout",
        "10s",
        "--port",
        "8080",
        "--path",
        "/m",
        "--scheme",
        "https",
        "--name-prefix",
        "team-a-",
        "--label",
        "team=a",
    ])
    .unwrap();
    assert_eq!(run.code, Some(0), "{}", run.show());
    let mut options = Options {
        namespace: "inference".to_owned(),
        flavor: ClusterFlavor::Autopilot,
        interval: "15s".to_owned(),
        timeout: Some("10s".to_owned()),
        port: Port::Number(8080),
        path: "/m".to_owned(),
        scheme: Scheme::Https,
        name_prefix: "team-a-".to_owned(),
        ..Options::default()
    };
    options.selector.match_labels =
        [("inferencepool".to_owned(), "llama3-8b-epp".to_owned())].into();
    options
        .extra_labels
        .insert("team".to_owned(), "a".to_owned());
    assert_eq!(run.stdout, options.build().unwrap().to_yaml().unwrap());
}

#[test]
fn render_is_deterministic() {
    let args = [
        "render",
        "--label",
        "z=1",
        "--label",
        "a=2",
        "--selector",
        "z=1",
        "--selector",
        "a=2",
    ];
    let first = igw(args).unwrap();
    let second = igw(args).unwrap();
    assert_eq!(first.code, Some(0), "{}", first.show());
    assert_eq!(first.stdout.as_bytes(), second.stdout.as_bytes());
    let first = igw(["render", "-o", "json", "--autopilot"]).unwrap();
    let second = igw(["render", "-o", "json", "--autopilot"]).unwrap();
    assert_eq!(first.stdout.as_bytes(), second.stdout.as_bytes());
    // Flag order does not matter either.
    let swapped = igw([
        "render",
        "--selector",
        "a=2",
        "--label",
        "a=2",
        "--selector",
        "z=1",
        "--label",
        "z=1",
    ])
    .unwrap();
    assert_eq!(igw(args).unwrap().stdout, swapped.stdout);
}

// ---------------------------------------------------------------------------------------------
// --selector-expression (depends on the kubectl selector syntax parser, selector_syntax.rs)

#[test]
fn selector_expressions_follow_kubectl_syntax() {
    let docs = render_docs(&[
        "--selector",
        "app=epp",
        "--selector-expression",
        "tier in (a,b)",
        "--selector-expression",
        "env notin (dev)",
        "--selector-expression",
        "gpu",
        "--selector-expression",
        "!canary",
    ])
    .unwrap();
    let expected: Value = serde_yaml::from_str(
        "
matchExpressions:
- {key: tier, operator: In, values: [a, b]}
- {key: env, operator: NotIn, values: [dev]}
- {key: gpu, operator: Exists}
- {key: canary, operator: DoesNotExist}
matchLabels: {app: epp}
",
    )
    .unwrap();
    assert_eq!(docs[POD_MONITORING]["spec"]["selector"], expected);
}

#[test]
fn selector_expression_spacing_is_kubectl_s() {
    let spaced = render_docs(&["--selector-expression", "tier  in  ( a , b )"]).unwrap();
    let tight = render_docs(&["--selector-expression", "tier in (a,b)"]).unwrap();
    assert_eq!(spaced[POD_MONITORING], tight[POD_MONITORING]);
    let expressions = &tight[POD_MONITORING]["spec"]["selector"]["matchExpressions"];
    assert_eq!(expressions[0]["operator"], "In");
}

#[test]
fn the_help_s_selector_expression_example_selects_the_named_pools() {
    // `--help`: "Set-based selector ... --selector-expression 'app in (llama3-8b-epp,qwen-7b-epp)'".
    // Its pods must be selected: the default `app: inference-gateway-ext-proc` may not stay
    // beside it, or the selector matches no pod at all.
    let docs = render_docs(&[
        "--selector-expression",
        "app in (llama3-8b-epp,qwen-7b-epp)",
    ])
    .unwrap();
    let selector = &docs[POD_MONITORING]["spec"]["selector"];
    let expected: Value =
        serde_yaml::from_str("{key: app, operator: In, values: [llama3-8b-epp, qwen-7b-epp]}")
            .unwrap();
    assert_eq!(
        selector["matchExpressions"],
        Value::Sequence(vec![expected])
    );
    assert!(
        selector["matchLabels"].get("app").is_none(),
        "the default app label contradicts the expression: {selector:?}"
    );
}

#[test]
fn malformed_selector_expressions_are_refused_naming_the_flag() {
    for expression in ["tier in (", "in (a)", "tier notin a", "tier = = b", "!"] {
        let run = igw(["render", "--selector-expression", expression]).unwrap();
        assert_eq!(run.code, Some(2), "{expression:?}: {}", run.show());
        assert_eq!(run.stdout, "", "{expression:?}");
        assert!(
            run.stderr.contains("--selector-expression"),
            "{expression:?}: {}",
            run.show()
        );
    }
}

// ---------------------------------------------------------------------------------------------
// --config (depends on the config file loader, config.rs, for its error messages)

#[test]
fn config_file_sets_options() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("monitoring.yaml");
    fs::write(
        &path,
        "namespace: from-file
flavor: autopilot
selector:
  matchLabels:
    inferencepool: llama3-8b-epp
port: 8080
scheme: https
interval: 30s
timeout: 20s
path: /stats
namePrefix: f-
extraLabels:
  team: a
",
    )
    .unwrap();
    let docs = render_docs(&["--config", path.to_str().unwrap()]).unwrap();
    assert_eq!(docs[SERVICE_ACCOUNT]["metadata"]["namespace"], "from-file");
    assert_eq!(docs[SERVICE_ACCOUNT]["metadata"]["labels"]["team"], "a");
    assert!(text(&docs[SERVICE_ACCOUNT]["metadata"]["name"]).starts_with("f-"));
    assert_eq!(
        docs[COLLECTOR_BINDING]["subjects"][0]["namespace"],
        "gke-gmp-system"
    );
    let spec = &docs[POD_MONITORING]["spec"];
    let expected: Value =
        serde_yaml::from_str("matchLabels: {inferencepool: llama3-8b-epp}").unwrap();
    assert_eq!(spec["selector"], expected);
    let endpoint = &spec["endpoints"][0];
    assert_eq!(endpoint["port"], Value::from(8080));
    assert_eq!(endpoint["scheme"], "https");
    assert_eq!(endpoint["interval"], "30s");
    assert_eq!(endpoint["timeout"], "20s");
    assert_eq!(endpoint["path"], "/stats");
}

#[test]
fn flags_override_the_config_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("monitoring.yaml");
    fs::write(
        &path,
        "namespace: a\ninterval: 30s\nselector:\n  matchLabels: {x: y}\n",
    )
    .unwrap();
    let config = path.to_str().unwrap();
    let docs = render_docs(&["--config", config, "--namespace", "b"]).unwrap();
    assert_eq!(docs[SERVICE_ACCOUNT]["metadata"]["namespace"], "b");
    assert_eq!(docs[TOKEN_SECRET]["metadata"]["namespace"], "b");
    assert_eq!(docs[READER_BINDING]["subjects"][0]["namespace"], "b");
    // What no flag overrides still comes from the file.
    assert_eq!(
        docs[POD_MONITORING]["spec"]["endpoints"][0]["interval"],
        "30s"
    );
    assert_eq!(
        docs[POD_MONITORING]["spec"]["selector"]["matchLabels"]["x"],
        "y"
    );
    // The flag order does not matter: --config is not applied after the flags.
    let docs = render_docs(&["--namespace", "b", "--config", config]).unwrap();
    assert_eq!(docs[SERVICE_ACCOUNT]["metadata"]["namespace"], "b");
    // --selector replaces the file's selector too.
    let docs = render_docs(&["--config", config, "--selector", "k=v"]).unwrap();
    let expected: Value = serde_yaml::from_str("matchLabels: {k: v}").unwrap();
    assert_eq!(docs[POD_MONITORING]["spec"]["selector"], expected);
}

#[test]
fn a_config_file_with_every_default_renders_the_default_bundle() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("defaults.yaml");
    fs::write(&path, serde_yaml::to_string(&Options::default()).unwrap()).unwrap();
    let run = igw(["render", "--config", path.to_str().unwrap()]).unwrap();
    assert_eq!(run.code, Some(0), "{}", run.show());
    assert_eq!(run.stdout, igw(["render"]).unwrap().stdout);
}

// ---------------------------------------------------------------------------------------------
// Invalid input: exit 2, nothing on stdout, nothing written, stderr says what and where.

/// One invalid command line: extra `render` arguments (or a config file's text) and what stderr
/// must mention.
struct Bad {
    args: &'static [&'static str],
    /// Written to `bad.yaml` in a fresh folder and passed as `--config bad.yaml`, if set.
    config: Option<&'static str>,
    stderr_mentions: &'static [&'static str],
}

const fn flags(args: &'static [&'static str], stderr_mentions: &'static [&'static str]) -> Bad {
    Bad {
        args,
        config: None,
        stderr_mentions,
    }
}

const fn config(text: &'static str, stderr_mentions: &'static [&'static str]) -> Bad {
    Bad {
        args: &[],
        config: Some(text),
        stderr_mentions,
    }
}

/// Runs every case as `render` and as `kustomize --out`, and describes each way one misbehaved.
fn failures_of(cases: &[Bad]) -> TestResult<Vec<String>> {
    let mut failures = Vec::new();
    for case in cases {
        let dir = tempfile::tempdir()?;
        let mut args: Vec<String> = case.args.iter().map(|a| (*a).to_owned()).collect();
        if let Some(text) = case.config {
            fs::write(dir.path().join("bad.yaml"), text)?;
            args.extend(["--config".to_owned(), "bad.yaml".to_owned()]);
        }
        let out = dir.path().join("base");
        let kustomize: Vec<String> = [
            "kustomize".to_owned(),
            "--out".to_owned(),
            "base".to_owned(),
        ]
        .into_iter()
        .chain(args.iter().cloned())
        .collect();
        let render: Vec<String> = ["render".to_owned()]
            .into_iter()
            .chain(args.iter().cloned())
            .collect();
        for command in [render, kustomize] {
            let run = igw_in(Some(dir.path()), &command)?;
            let label = match case.config {
                Some(text) => format!("{command:?} with bad.yaml = {text:?}"),
                None => format!("{command:?}"),
            };
            let mut wrong = Vec::new();
            if run.code != Some(2) {
                wrong.push(format!("exit code {:?}, expected 2", run.code));
            }
            if !run.stdout.is_empty() {
                wrong.push("stdout is not empty".to_owned());
            }
            for needle in case.stderr_mentions {
                if !run.stderr.contains(needle) {
                    wrong.push(format!("stderr does not mention {needle:?}"));
                }
            }
            if out.exists() {
                wrong.push("--out folder was created".to_owned());
            }
            let leftovers = staging_leftovers(dir.path())?;
            if !leftovers.is_empty() {
                wrong.push(format!("staging folders left: {leftovers:?}"));
            }
            if !wrong.is_empty() {
                failures.push(format!(
                    "{label}: {}\n  stderr: {}",
                    wrong.join("; "),
                    run.stderr.trim_end().replace('\n', "\n          ")
                ));
            }
        }
    }
    Ok(failures)
}

#[test]
fn invalid_flags_exit_2_with_nothing_written_and_name_the_flag_and_value() {
    let cases = [
        flags(&["--namespace", "Bad_NS"], &["--namespace", "Bad_NS"]),
        flags(&["--namespace", "a.b"], &["--namespace", "a.b"]),
        flags(&["--port", "0"], &["--port", "\"0\""]),
        flags(&["--port", "70000"], &["--port", "70000"]),
        flags(&["--port", "65536"], &["--port", "65536"]),
        flags(&["--port", "99999999999"], &["--port", "99999999999"]),
        flags(&["--port", "Bad_Name"], &["--port", "Bad_Name"]),
        flags(&["--interval", "5"], &["--interval", "\"5\""]),
        flags(&["--interval", "0s"], &["--interval", "0s"]),
        flags(&["--interval", "1d"], &["--interval", "1d"]),
        // The default interval is 5s: the timeout may not exceed it.
        flags(&["--timeout", "10s"], &["--timeout", "10s", "5s"]),
        flags(
            &["--interval", "30s", "--timeout", "1m"],
            &["--timeout", "1m", "30s"],
        ),
        flags(&["--selector", "novalue"], &["--selector", "novalue"]),
        flags(
            &["--selector", "app=Bad Value!"],
            &["--selector", "Bad Value!"],
        ),
        flags(&["--selector", "=v"], &["--selector"]),
        flags(&["--scheme", "ftp"], &["--scheme", "ftp"]),
        flags(&["--path", "metrics"], &["--path", "metrics"]),
        flags(&["--path", "/a?b"], &["--path", "/a?b"]),
        flags(&["--name-prefix", "UPPER"], &["--name-prefix", "UPPER"]),
        flags(&["--label", "novalue"], &["--label", "novalue"]),
        flags(&["--label", "Bad/Key/x=v"], &["--label", "Bad/Key/x"]),
        flags(&["--unknown-flag"], &["--unknown-flag"]),
        // Every problem at once.
        flags(
            &[
                "--namespace",
                "Bad_NS",
                "--interval",
                "5",
                "--path",
                "metrics",
            ],
            &["--namespace", "Bad_NS", "--interval", "--path"],
        ),
    ];
    let failures = failures_of(&cases).unwrap();
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn invalid_config_files_exit_2_with_nothing_written_and_name_the_key() {
    let cases = [
        // The file does not exist (`--config bad.yaml`, never written).
        Bad {
            args: &["--config", "missing.yaml"],
            config: None,
            stderr_mentions: &["missing.yaml"],
        },
        // Unknown keys, with the closest known key suggested.
        config("namespce: a\n", &["namespce", "namespace"]),
        config(
            "names:\n  serviceAcount: x\n",
            &["serviceAcount", "serviceAccount"],
        ),
        config(
            "selector:\n  matchLabel: {a: b}\n",
            &["matchLabel", "matchLabels"],
        ),
        // Not YAML at all: the message names the file.
        config("namespace: a\n  - b: [\n", &["bad.yaml"]),
        // Wrong types, with the key's path.
        config("port: [1]\n", &["port"]),
        config("interval: [30s]\n", &["interval"]),
        config("names:\n  serviceAccount: [x]\n", &["names.serviceAccount"]),
        config("flavor: hybrid\n", &["flavor", "hybrid"]),
        config("scheme: ftp\n", &["scheme", "ftp"]),
        // Valid YAML, invalid options: reported with the key and value, not against a flag.
        config("namespace: Bad_NS\n", &["namespace", "Bad_NS"]),
        config("interval: 10s\ntimeout: 20s\n", &["timeout", "20s"]),
    ];
    let failures = failures_of(&cases).unwrap();
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn options_from_the_config_file_are_not_blamed_on_flags() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("c.yaml"), "namespace: Bad_NS\n").unwrap();
    let run = igw_in(Some(dir.path()), ["render", "--config", "c.yaml"]).unwrap();
    assert_eq!(run.code, Some(2), "{}", run.show());
    assert!(!run.stderr.contains("[from --namespace]"), "{}", run.show());
    // A flag overriding the bad value repairs it.
    let run = igw_in(
        Some(dir.path()),
        ["render", "--config", "c.yaml", "--namespace", "good"],
    )
    .unwrap();
    assert_eq!(run.code, Some(0), "{}", run.show());
}

// ---------------------------------------------------------------------------------------------
// kustomize

#[test]
fn kustomize_writes_the_ten_files_of_the_base() {
    let parent = tempfile::tempdir().unwrap();
    let out = parent.path().join("base");
    let run = igw(["kustomize", "--out", out.to_str().unwrap()]).unwrap();
    assert_eq!(run.code, Some(0), "{}", run.show());
    assert_eq!(run.stdout, "");
    assert_eq!(run.stderr, "");
    let names = names_in(&out).unwrap();
    assert_eq!(names.len(), 10, "{names:?}");
    for name in ["kustomization.yaml", "kustomizeconfig.yaml", "openapi.json"] {
        assert!(names.contains(name), "{name} missing from {names:?}");
    }
    assert_eq!(names.iter().filter(|n| n.ends_with(".yaml")).count(), 9);
    assert_base(&out, &Options::default()).unwrap();

    // Each object file is one document of the bundle; the kustomization lists them in order.
    let kustomization: Value =
        serde_yaml::from_str(&fs::read_to_string(out.join("kustomization.yaml")).unwrap()).unwrap();
    assert_eq!(kustomization["kind"], "Kustomization");
    let resources: Vec<&str> = kustomization["resources"]
        .as_sequence()
        .unwrap()
        .iter()
        .map(text)
        .collect();
    assert_eq!(resources.len(), 7);
    let bundle = render_docs(&[]).unwrap();
    for (file, expected) in resources.iter().zip(&bundle) {
        let docs = documents(&fs::read_to_string(out.join(file)).unwrap()).unwrap();
        assert_eq!(docs, vec![expected.clone()], "{file}");
    }
    let openapi: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(out.join("openapi.json")).unwrap()).unwrap();
    assert!(openapi.is_object());
    assert_eq!(
        staging_leftovers(parent.path()).unwrap(),
        Vec::<String>::new()
    );
}

#[test]
fn kustomize_creates_missing_parent_folders_and_relative_paths_work() {
    let parent = tempfile::tempdir().unwrap();
    let run = igw_in(Some(parent.path()), ["kustomize", "--out", "deploy/base"]).unwrap();
    assert_eq!(run.code, Some(0), "{}", run.show());
    assert_base(&parent.path().join("deploy/base"), &Options::default()).unwrap();
    assert_eq!(
        staging_leftovers(parent.path()).unwrap(),
        Vec::<String>::new()
    );
    assert_eq!(
        staging_leftovers(&parent.path().join("deploy")).unwrap(),
        Vec::<String>::new()
    );
}

#[test]
fn kustomize_into_an_empty_existing_folder_needs_no_force() {
    let parent = tempfile::tempdir().unwrap();
    let out = parent.path().join("base");
    fs::create_dir(&out).unwrap();
    let run = igw(["kustomize", "--out", out.to_str().unwrap()]).unwrap();
    assert_eq!(run.code, Some(0), "{}", run.show());
    assert_base(&out, &Options::default()).unwrap();
}

#[test]
fn kustomize_rewrites_its_own_folder_and_check_follows() {
    let parent = tempfile::tempdir().unwrap();
    let out = parent.path().join("base");
    let out_arg = out.to_str().unwrap();

    let first = igw(["kustomize", "--out", out_arg]).unwrap();
    assert_eq!(first.code, Some(0), "{}", first.show());
    // Again over the folder it generated: no --force needed.
    let again = igw(["kustomize", "--out", out_arg]).unwrap();
    assert_eq!(again.code, Some(0), "{}", again.show());
    assert_eq!(again.stdout, "");
    assert_base(&out, &Options::default()).unwrap();

    let check = igw(["kustomize", "--out", out_arg, "--check"]).unwrap();
    assert_eq!(check.code, Some(0), "{}", check.show());
    assert_eq!(check.stderr, "");

    // Different options: the base is replaced as a whole (the renamed collector binding's old
    // file goes away).
    let autopilot = igw(["kustomize", "--out", out_arg, "--autopilot"]).unwrap();
    assert_eq!(autopilot.code, Some(0), "{}", autopilot.show());
    let options = Options {
        flavor: ClusterFlavor::Autopilot,
        ..Options::default()
    };
    assert_base(&out, &options).unwrap();
    assert!(
        names_in(&out)
            .unwrap()
            .iter()
            .any(|n| n.contains("gke-gmp-system"))
    );
    // Checked against other options, it is stale; against its own, up to date.
    let stale = igw(["kustomize", "--out", out_arg, "--check"]).unwrap();
    assert_eq!(stale.code, Some(1), "{}", stale.show());
    let fresh = igw(["kustomize", "--out", out_arg, "--check", "--autopilot"]).unwrap();
    assert_eq!(fresh.code, Some(0), "{}", fresh.show());
    assert_eq!(
        staging_leftovers(parent.path()).unwrap(),
        Vec::<String>::new()
    );
}

#[test]
fn check_reports_changed_extra_and_missing_files_and_writes_nothing() {
    let parent = tempfile::tempdir().unwrap();
    let out = parent.path().join("base");
    let out_arg = out.to_str().unwrap();
    assert_eq!(igw(["kustomize", "--out", out_arg]).unwrap().code, Some(0));

    // One edited file.
    let edited = out.join("kustomization.yaml");
    let mut text = fs::read_to_string(&edited).unwrap();
    text.push_str("namePrefix: edited-\n");
    fs::write(&edited, &text).unwrap();
    let check = igw(["kustomize", "--out", out_arg, "--check"]).unwrap();
    assert_eq!(check.code, Some(1), "{}", check.show());
    assert!(
        check.stdout.contains("kustomization.yaml"),
        "{}",
        check.show()
    );
    assert!(check.stdout.contains("changed"), "{}", check.show());
    assert_eq!(
        fs::read_to_string(&edited).unwrap(),
        text,
        "--check rewrote the file"
    );

    // An extra file, reported as extra and left alone.
    fs::write(out.join("notes.txt"), "mine").unwrap();
    let check = igw(["kustomize", "--out", out_arg, "--check"]).unwrap();
    assert_eq!(check.code, Some(1), "{}", check.show());
    let extra_line = check
        .stdout
        .lines()
        .find(|line| line.contains("notes.txt"))
        .unwrap_or_else(|| panic!("notes.txt not reported: {}", check.show()));
    assert!(extra_line.starts_with("extra"), "{extra_line}");
    assert!(!extra_line.contains("changed"), "{extra_line}");
    assert_eq!(fs::read_to_string(out.join("notes.txt")).unwrap(), "mine");

    // A missing file.
    let removed = "openapi.json";
    fs::remove_file(out.join(removed)).unwrap();
    let check = igw(["kustomize", "--out", out_arg, "--check"]).unwrap();
    assert_eq!(check.code, Some(1), "{}", check.show());
    let missing_line = check
        .stdout
        .lines()
        .find(|line| line.contains(removed))
        .unwrap_or_else(|| panic!("{removed} not reported: {}", check.show()));
    assert!(missing_line.starts_with("missing"), "{missing_line}");
    assert!(!out.join(removed).exists(), "--check wrote {removed}");
    assert_eq!(
        staging_leftovers(parent.path()).unwrap(),
        Vec::<String>::new()
    );

    // Writing again refuses to delete the file the tool did not write...
    let refused = igw(["kustomize", "--out", out_arg]).unwrap();
    assert_eq!(refused.code, Some(2), "{}", refused.show());
    assert!(refused.stderr.contains("notes.txt"), "{}", refused.show());
    assert_eq!(fs::read_to_string(out.join("notes.txt")).unwrap(), "mine");
    // ... and with --force repairs all three.
    assert_eq!(
        igw(["kustomize", "--out", out_arg, "--force"])
            .unwrap()
            .code,
        Some(0)
    );
    assert_base(&out, &Options::default()).unwrap();
    let check = igw(["kustomize", "--out", out_arg, "--check"]).unwrap();
    assert_eq!(check.code, Some(0), "{}", check.show());
}

#[test]
fn check_of_a_missing_folder_is_stale_and_creates_nothing() {
    let parent = tempfile::tempdir().unwrap();
    let out = parent.path().join("base");
    let check = igw(["kustomize", "--out", out.to_str().unwrap(), "--check"]).unwrap();
    assert_eq!(check.code, Some(1), "{}", check.show());
    assert!(
        check.stdout.contains("missing kustomization.yaml"),
        "{}",
        check.show()
    );
    assert!(!out.exists());
    assert!(names_in(parent.path()).unwrap().is_empty());
}

#[test]
fn check_and_force_conflict() {
    let parent = tempfile::tempdir().unwrap();
    let out = parent.path().join("base");
    let run = igw([
        "kustomize",
        "--out",
        out.to_str().unwrap(),
        "--check",
        "--force",
    ])
    .unwrap();
    assert_eq!(run.code, Some(2), "{}", run.show());
    assert_eq!(run.stdout, "");
    assert!(!out.exists());
}

#[test]
fn kustomize_refuses_a_foreign_folder_unless_forced() {
    let parent = tempfile::tempdir().unwrap();
    let out = parent.path().join("mine");
    fs::create_dir(&out).unwrap();
    fs::write(out.join("notes.txt"), "keep me").unwrap();
    let out_arg = out.to_str().unwrap();

    let run = igw(["kustomize", "--out", out_arg]).unwrap();
    assert_eq!(run.code, Some(2), "{}", run.show());
    assert_eq!(run.stdout, "");
    assert!(run.stderr.contains("--force"), "{}", run.show());
    assert!(run.stderr.contains("mine"), "{}", run.show());
    assert_eq!(
        names_in(&out).unwrap(),
        BTreeSet::from(["notes.txt".to_owned()])
    );
    assert_eq!(
        fs::read_to_string(out.join("notes.txt")).unwrap(),
        "keep me"
    );
    assert_eq!(
        staging_leftovers(parent.path()).unwrap(),
        Vec::<String>::new()
    );

    // A kustomization.yaml without the generated-by header is not this tool's either.
    fs::write(out.join("kustomization.yaml"), "resources: []\n").unwrap();
    let run = igw(["kustomize", "--out", out_arg]).unwrap();
    assert_eq!(run.code, Some(2), "{}", run.show());
    assert_eq!(
        fs::read_to_string(out.join("kustomization.yaml")).unwrap(),
        "resources: []\n"
    );

    let forced = igw(["kustomize", "--out", out_arg, "--force"]).unwrap();
    assert_eq!(forced.code, Some(0), "{}", forced.show());
    assert_eq!(forced.stdout, "");
    assert!(!out.join("notes.txt").exists());
    assert_base(&out, &Options::default()).unwrap();
    assert_eq!(
        staging_leftovers(parent.path()).unwrap(),
        Vec::<String>::new()
    );
}

#[test]
fn kustomize_refuses_a_regular_file_as_out() {
    let parent = tempfile::tempdir().unwrap();
    let file = parent.path().join("base");
    fs::write(&file, "not a folder").unwrap();
    for extra in [&[][..], &["--force"][..]] {
        let run = igw(["kustomize", "--out", file.to_str().unwrap()]
            .iter()
            .chain(extra))
        .unwrap();
        assert_eq!(run.code, Some(2), "{extra:?}: {}", run.show());
        assert_eq!(run.stdout, "");
        assert!(run.stderr.contains("base"), "{}", run.show());
        assert_eq!(fs::read_to_string(&file).unwrap(), "not a folder");
    }
    assert_eq!(
        staging_leftovers(parent.path()).unwrap(),
        Vec::<String>::new()
    );
}

#[test]
fn kustomize_with_invalid_options_creates_nothing_and_keeps_an_existing_base() {
    let parent = tempfile::tempdir().unwrap();
    let out = parent.path().join("base");
    let out_arg = out.to_str().unwrap();
    let run = igw(["kustomize", "--out", out_arg, "--namespace", "Bad_NS"]).unwrap();
    assert_eq!(run.code, Some(2), "{}", run.show());
    assert_eq!(run.stdout, "");
    assert!(run.stderr.contains("Bad_NS"), "{}", run.show());
    assert!(!out.exists());
    assert!(names_in(parent.path()).unwrap().is_empty());

    // Over an existing base, invalid options leave it as it was.
    assert_eq!(igw(["kustomize", "--out", out_arg]).unwrap().code, Some(0));
    for flag in [&["--namespace", "Bad_NS"][..], &["--port", "0"][..]] {
        let run = igw(["kustomize", "--out", out_arg].iter().chain(flag)).unwrap();
        assert_eq!(run.code, Some(2), "{flag:?}: {}", run.show());
        let run = igw(["kustomize", "--out", out_arg, "--check"]
            .iter()
            .chain(flag))
        .unwrap();
        assert_eq!(run.code, Some(2), "--check {flag:?}: {}", run.show());
        assert_eq!(run.stdout, "");
    }
    assert_base(&out, &Options::default()).unwrap();
    assert_eq!(
        names_in(parent.path()).unwrap(),
        BTreeSet::from(["base".to_owned()])
    );
}

#[test]
fn kustomize_is_deterministic() {
    let parent = tempfile::tempdir().unwrap();
    let mut contents = Vec::new();
    for name in ["one", "two"] {
        let out = parent.path().join(name);
        let args = [
            "kustomize",
            "--out",
            out.to_str().unwrap(),
            "--label",
            "b=1",
            "--label",
            "a=2",
        ];
        assert_eq!(igw(args).unwrap().code, Some(0));
        let files: Vec<(String, Vec<u8>)> = names_in(&out)
            .unwrap()
            .into_iter()
            .map(|n| {
                let bytes = fs::read(out.join(&n)).unwrap();
                (n, bytes)
            })
            .collect();
        contents.push(files);
    }
    assert_eq!(contents[0], contents[1]);
}

// ---------------------------------------------------------------------------------------------
// schema, crd, completions, help, version

#[test]
fn schema_prints_the_config_file_json_schema() {
    let run = igw(["schema"]).unwrap();
    assert_eq!(run.code, Some(0), "{}", run.show());
    assert_eq!(run.stderr, "");
    let schema: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    let properties = schema["properties"].as_object().unwrap();
    for key in [
        "namespace",
        "flavor",
        "selector",
        "port",
        "scheme",
        "interval",
        "timeout",
        "path",
        "names",
        "namePrefix",
        "monitoringLabels",
        "extraLabels",
        "extraAnnotations",
    ] {
        assert!(
            properties.contains_key(key),
            "{key} missing from {properties:?}"
        );
    }
    // Unknown keys are refused by the loader, and the schema says so.
    assert_eq!(
        schema["additionalProperties"],
        serde_json::Value::Bool(false)
    );
    assert_eq!(igw(["schema"]).unwrap().stdout, run.stdout);
}

#[test]
fn crd_prints_the_custom_resource_definitions() {
    let run = igw(["crd"]).unwrap();
    assert_eq!(run.code, Some(0), "{}", run.show());
    assert_eq!(run.stderr, "");
    let docs = documents(&run.stdout).unwrap();
    assert_eq!(docs.len(), 5);
    let expected = [
        ("clusterpodmonitorings", "ClusterPodMonitoring", "Cluster"),
        ("podmonitorings", "PodMonitoring", "Namespaced"),
        ("rules", "Rules", "Namespaced"),
        ("clusterrules", "ClusterRules", "Cluster"),
        ("globalrules", "GlobalRules", "Cluster"),
    ];
    for (doc, (plural, kind, scope)) in docs.iter().zip(expected) {
        assert_eq!(doc["apiVersion"], "apiextensions.k8s.io/v1");
        assert_eq!(doc["kind"], "CustomResourceDefinition");
        assert_eq!(
            doc["metadata"]["name"],
            format!("{plural}.monitoring.googleapis.com").as_str()
        );
        assert_eq!(doc["spec"]["group"], "monitoring.googleapis.com");
        assert_eq!(doc["spec"]["names"]["plural"], plural);
        assert_eq!(doc["spec"]["names"]["kind"], kind);
        assert_eq!(doc["spec"]["scope"], scope);
    }
}

#[test]
fn completions_print_a_script_for_the_shell() {
    for shell in ["bash", "zsh", "fish"] {
        let run = igw(["completions", shell]).unwrap();
        assert_eq!(run.code, Some(0), "{shell}: {}", run.show());
        assert_eq!(run.stderr, "");
        assert!(run.stdout.contains("igw-monitoring"), "{shell}");
        assert!(run.stdout.contains("kustomize"), "{shell}");
    }
    let run = igw(["completions", "tcsh"]).unwrap();
    assert_eq!(run.code, Some(2), "{}", run.show());
    assert_eq!(run.stdout, "");
}

#[test]
fn top_level_help_has_examples_and_exit_codes() {
    let run = igw(["--help"]).unwrap();
    assert_eq!(run.code, Some(0), "{}", run.show());
    for needle in [
        "render",
        "kustomize",
        "schema",
        "crd",
        "completions",
        "Examples:",
        "Exit codes:",
    ] {
        assert!(run.stdout.contains(needle), "{needle}: {}", run.show());
    }
}

#[test]
fn render_help_has_examples_and_exit_codes() {
    let run = igw(["render", "--help"]).unwrap();
    assert_eq!(run.code, Some(0), "{}", run.show());
    for needle in [
        "--namespace",
        "--autopilot",
        "--selector",
        "--config",
        "Examples:",
        "Exit codes:",
    ] {
        assert!(run.stdout.contains(needle), "{needle}: {}", run.show());
    }
}

#[test]
fn version_prints_the_crate_version() {
    let run = igw(["--version"]).unwrap();
    assert_eq!(run.code, Some(0), "{}", run.show());
    assert_eq!(
        run.stdout.trim_end(),
        format!("igw-monitoring {}", env!("CARGO_PKG_VERSION"))
    );
}

#[test]
fn an_unknown_output_format_is_a_usage_error() {
    let run = igw(["render", "-o", "xml"]).unwrap();
    assert_eq!(run.code, Some(2), "{}", run.show());
    assert_eq!(run.stdout, "");
    assert!(
        run.stderr.contains("xml") && run.stderr.contains("json"),
        "{}",
        run.show()
    );
}

#[test]
fn no_subcommand_is_a_usage_error() {
    let run = igw::<[&str; 0], &str>([]).unwrap();
    assert_eq!(run.code, Some(2), "{}", run.show());
    assert_eq!(run.stdout, "");
    assert!(run.stderr.contains("Usage"), "{}", run.show());
}

// ---------------------------------------------------------------------------------------------
// Properties: the binary agrees with the library on any namespace it is given.

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn any_namespace_renders_as_the_library_does_or_exits_2(
        namespace in prop_oneof![
            "[a-z0-9][a-z0-9-]{0,20}[a-z0-9]",
            "[^\u{0}]{0,70}",
        ]
    ) {
        let run = igw(["render".to_owned(), format!("--namespace={namespace}")]).unwrap();
        let options = Options { namespace: namespace.clone(), ..Options::default() };
        match options.build() {
            Ok(bundle) => {
                prop_assert_eq!(run.code, Some(0), "{}", run.show());
                prop_assert_eq!(&run.stdout, &bundle.to_yaml().unwrap());
            }
            Err(_) => {
                prop_assert_eq!(run.code, Some(2), "{}", run.show());
                prop_assert_eq!(run.stdout.as_str(), "");
                prop_assert!(run.stderr.contains("--namespace"), "{}", run.show());
            }
        }
    }

    #[test]
    fn out_of_range_port_numbers_exit_2(port in prop_oneof![-100_000i64..=0, 65_536i64..=i64::MAX]) {
        let run = igw(["render".to_owned(), format!("--port={port}")]).unwrap();
        prop_assert_eq!(run.code, Some(2), "{}", run.show());
        prop_assert_eq!(run.stdout.as_str(), "");
        prop_assert!(run.stderr.contains(&port.to_string()), "{}", run.show());
    }

    #[test]
    fn in_range_port_numbers_render_as_numbers(port in 1u16..=65_535) {
        let docs = render_docs(&["--port", &port.to_string()]).unwrap();
        prop_assert_eq!(&docs[POD_MONITORING]["spec"]["endpoints"][0]["port"], &Value::from(port));
    }
}

#[test]
fn verify_prints_the_checks_and_a_script_that_parses() {
    let text = igw([
        "verify",
        "--autopilot",
        "--namespace",
        "monitoring",
        "--cluster",
        "prod-1",
    ])
    .unwrap();
    assert_eq!(text.code, Some(0), "{}", text.show());
    assert!(
        text.stdout.contains(
            "kubectl get --namespace=monitoring --output=jsonpath='{.data.token}' -- secret inference-gateway-sa-metrics-reader-secret | base64 --decode"
        ),
        "{}",
        text.show()
    );
    assert!(
        text.stdout
            .contains("--as=system:serviceaccount:gke-gmp-system:collector"),
        "{}",
        text.show()
    );
    assert!(
        text.stdout.contains("cluster=\"prod-1\""),
        "{}",
        text.show()
    );

    let script = igw(["verify", "--format", "script", "--epp-version", "1.1"]).unwrap();
    assert_eq!(script.code, Some(0), "{}", script.show());
    assert!(
        script.stdout.starts_with("#!/usr/bin/env bash\n"),
        "{}",
        script.show()
    );
    assert!(
        script.stdout.contains("set -euo pipefail"),
        "{}",
        script.show()
    );
    assert!(
        script.stdout.contains("inference_objective_request_total"),
        "{}",
        script.show()
    );
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("check.sh");
    fs::write(&file, &script.stdout).unwrap();
    let parsed = std::process::Command::new("bash")
        .arg("-n")
        .arg(&file)
        .output()
        .unwrap();
    assert!(
        parsed.status.success(),
        "{}",
        String::from_utf8_lossy(&parsed.stderr)
    );

    let bad = igw(["verify", "--namespace", "Bad_NS"]).unwrap();
    assert_eq!(bad.code, Some(2), "{}", bad.show());
    assert!(bad.stdout.is_empty(), "{}", bad.show());
}

#[test]
fn alerts_and_dashboard_print_their_objects() {
    let alerts = igw(["alerts", "--rules-scope", "cluster", "--epp-version", "1.1"]).unwrap();
    assert_eq!(alerts.code, Some(0), "{}", alerts.show());
    let docs = documents(&alerts.stdout).unwrap();
    assert_eq!(docs.len(), 1, "{}", alerts.show());
    assert_eq!(docs[0]["kind"], "ClusterRules");
    assert!(alerts.stdout.contains("inference_objective_request_total"));

    let board = igw(["dashboard", "--cluster", "prod-1"]).unwrap();
    assert_eq!(board.code, Some(0), "{}", board.show());
    let json: serde_json::Value = serde_json::from_str(&board.stdout).unwrap();
    assert_eq!(json["mosaicLayout"]["columns"], 48);
    assert!(
        board.stdout.contains("cluster=\\\"prod-1\\\""),
        "{}",
        board.show()
    );

    let bad = igw(["alerts", "--alert-error-ratio", "2"]).unwrap();
    assert_eq!(bad.code, Some(2), "{}", bad.show());
    assert!(bad.stdout.is_empty());
    assert!(bad.stderr.contains("alerts.errorRatio"), "{}", bad.show());
}

/// Every subcommand and format prints, for a fleet, exactly what the library writes from a whole
/// bundle: the command makes its outputs from the plan, one object (or target) at a time.
#[test]
fn every_output_of_a_fleet_is_the_whole_bundles() -> TestResult {
    let mut options = Options {
        monitoring: igw_monitoring::MonitoringMode::Pod,
        auth_delegation: Some("ns1/epp".to_owned()),
        targets: (0..60)
            .map(|i| igw_monitoring::Target {
                name: format!("t{i}"),
                namespace: Some(format!("ns{}", i % 3)),
                selector: Some(
                    igw_monitoring::LabelSelector::default().match_label("app", format!("epp-{i}")),
                ),
                preset: None,
                service_selector: None,
                tls: None,
                auth_delegation: None,
                port: None,
                scheme: None,
            })
            .collect(),
        ..Options::default()
    };
    options.alerts.enabled = true;
    let dir = tempfile::tempdir()?;
    let config = dir.path().join("fleet.json");
    fs::write(&config, serde_json::to_string(&options)?)?;
    let config = config.to_string_lossy().into_owned();
    let bundle = options.build()?;
    let verify = |format, cluster: Option<&str>| {
        bundle.plan().verify(&igw_monitoring::VerifyOptions {
            cluster: cluster.map(str::to_owned),
            format,
            ..Default::default()
        })
    };
    let (text, script) = (
        igw_monitoring::VerifyFormat::Text,
        igw_monitoring::VerifyFormat::Script,
    );
    let expected: [(&[&str], String); 9] = [
        (&["render"], bundle.to_yaml()?),
        (&["render", "-o", "json"], bundle.to_json_list()?),
        (&["render", "-o", "terraform"], bundle.to_terraform()?),
        (&["verify"], verify(text, None)?),
        (
            &["verify", "--cluster", "prod-1"],
            verify(text, Some("prod-1"))?,
        ),
        (&["verify", "--format", "script"], verify(script, None)?),
        (
            &["alerts"],
            bundle
                .alert_objects()
                .cloned()
                .collect::<Vec<_>>()
                .to_yaml()?,
        ),
        (&["dashboard"], bundle.plan().dashboard(None)?),
        (
            &["dashboard", "--cluster", "prod-1"],
            bundle.plan().dashboard(Some("prod-1"))?,
        ),
    ];
    for (args, expected) in expected {
        let run = igw(args.iter().copied().chain(["--config", &config]))?;
        assert_eq!(run.code, Some(0), "{args:?}: {}", run.show());
        assert!(
            run.stdout == expected,
            "{args:?}: differs from the library's"
        );
    }
    let base = dir.path().join("base");
    let base_arg = base.to_string_lossy().into_owned();
    let run = igw(["kustomize", "--out", &base_arg, "--config", &config])?;
    assert_eq!(run.code, Some(0), "{}", run.show());
    assert_base(&base, &options)
}

#[test]
fn dashboard_refuses_a_cluster_name_verify_refuses() -> TestResult {
    for cluster in ["", "a\nb"] {
        let run = igw(["dashboard", "--cluster", cluster])?;
        assert_eq!(run.code, Some(2), "{cluster:?}: {}", run.show());
        assert!(run.stdout.is_empty(), "{}", run.show());
        assert!(run.stderr.contains("cluster: "), "{}", run.show());
    }
    Ok(())
}

#[test]
fn dashboard_gives_each_collector_its_own() -> TestResult {
    let po = ["dashboard", "--collector", "prometheusOperator"];
    let run = igw(po)?;
    assert_eq!(run.code, Some(0), "{}", run.show());
    let board: serde_json::Value = serde_json::from_str(&run.stdout)?;
    assert!(
        board["panels"].as_array().is_some_and(|p| p.len() >= 12),
        "{}",
        run.stdout
    );
    let run = igw(po
        .iter()
        .copied()
        .chain(["--config-map", "--namespace", "monitoring"]))?;
    assert_eq!(run.code, Some(0), "{}", run.show());
    let map: serde_json::Value = serde_yaml::from_str(&run.stdout)?;
    assert_eq!(map["kind"], "ConfigMap");
    assert_eq!(map["metadata"]["labels"]["grafana_dashboard"], "1");
    assert_eq!(map["metadata"]["namespace"], "monitoring");
    // What the other collector's dashboard takes is refused, naming the flag.
    for (args, flag) in [
        (vec!["dashboard", "--config-map"], "--config-map"),
        (
            po.iter().copied().chain(["--cluster", "prod"]).collect(),
            "--cluster",
        ),
    ] {
        let run = igw(&args)?;
        assert_eq!(run.code, Some(2), "{args:?}: {}", run.show());
        assert!(run.stdout.is_empty(), "{}", run.show());
        assert!(run.stderr.contains(&format!("{flag}: ")), "{}", run.show());
    }
    Ok(())
}

#[test]
fn many_problems_are_shown_as_the_first_ones_and_a_count() -> TestResult {
    let targets: Vec<String> = (0..500).map(|i| format!("Bad_{i}=app=x")).collect();
    let mut args = vec!["render".to_owned()];
    for target in &targets {
        args.extend(["--target".to_owned(), target.clone()]);
    }
    let run = igw(&args)?;
    assert_eq!(run.code, Some(2), "{}", run.show());
    let listed = run
        .stderr
        .lines()
        .filter(|l| l.contains("targets["))
        .count();
    assert_eq!(listed, 20, "{}", run.show());
    assert!(
        run.stderr
            .contains("... and 480 more (500 problems in all)"),
        "{}",
        run.show()
    );
    Ok(())
}

#[test]
fn an_endless_config_file_is_read_only_up_to_the_limit() -> TestResult {
    let run = igw(["render", "--config", "/dev/zero"])?;
    assert_eq!(run.code, Some(2), "{}", run.show());
    assert!(run.stdout.is_empty(), "{}", run.show());
    assert!(run.stderr.contains("larger than 64 MiB"), "{}", run.show());
    Ok(())
}

/// Runs `igw-monitoring` with `args`, failing (and killing it) if it takes over 20 seconds: a
/// command that blocks on a FIFO must fail the test, not hang it.
fn igw_within_deadline(args: &[&OsStr]) -> TestResult<Run> {
    let mut child = Command::new(env!("CARGO_BIN_EXE_igw-monitoring"))
        .args(args)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()?;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while child.try_wait()?.is_none() {
        if std::time::Instant::now() > deadline {
            child.kill()?;
            return Err(format!("igw-monitoring {args:?} still runs after 20 s").into());
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let output = child.wait_with_output()?;
    Ok(Run {
        code: output.status.code(),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    })
}

/// A FIFO, or a link to a device, in the output folder is never opened: the command neither
/// blocks nor reads without end, and treats the entry as not its own.
#[test]
fn special_files_in_the_folder_are_never_opened() -> TestResult {
    let root = tempfile::tempdir()?;
    let out = root.path().join("base");
    fs::create_dir(&out)?;
    let fifo = out.join("pipe");
    let made = Command::new("mkfifo").arg(&fifo).status()?;
    assert!(made.success(), "mkfifo failed");
    std::os::unix::fs::symlink("/dev/zero", out.join("zero"))?;
    let run = igw_within_deadline(&["kustomize".as_ref(), "--out".as_ref(), out.as_os_str()])?;
    assert_eq!(run.code, Some(2), "{}", run.show());
    assert!(
        run.stderr.contains("pipe") && run.stderr.contains("zero"),
        "{}",
        run.show()
    );

    // A generated base whose kustomization became a FIFO is stale under --check.
    fs::remove_dir_all(&out)?;
    let written = igw(["kustomize".as_ref(), "--out".as_ref(), out.as_os_str()])?;
    assert_eq!(written.code, Some(0), "{}", written.show());
    let kustomization = out.join("kustomization.yaml");
    fs::remove_file(&kustomization)?;
    assert!(
        Command::new("mkfifo")
            .arg(&kustomization)
            .status()?
            .success()
    );
    let check = igw_within_deadline(&[
        "kustomize".as_ref(),
        "--out".as_ref(),
        out.as_os_str(),
        "--check".as_ref(),
    ])?;
    assert_eq!(check.code, Some(1), "{}", check.show());
    assert!(
        check.stdout.contains("changed kustomization.yaml"),
        "{}",
        check.show()
    );
    Ok(())
}

/// `--scheme https` without a CA renders (exit 0) and says on stderr which roots verify the
/// endpoint picker; with a CA and a server name it says nothing; TLS over http is refused.
#[test]
fn tls_choices_warn_on_stderr_and_contradictions_exit_2() -> TestResult {
    let run = igw(["render", "--scheme", "https"])?;
    assert_eq!(run.code, Some(0), "{}", run.show());
    assert!(
        run.stderr
            .starts_with("warning: scheme: https without a CA")
            && run.stderr.contains("system roots"),
        "{}",
        run.show()
    );
    let run = igw([
        "render",
        "--scheme",
        "https",
        "--tls-ca-secret",
        "epp-ca:ca.crt",
        "--tls-cert-secret",
        "epp-client:tls.crt",
        "--tls-key-secret",
        "epp-client:tls.key",
        "--tls-server-name",
        "epp.default.svc",
        "--tls-min-version",
        "TLS13",
    ])?;
    assert_eq!(
        (run.code, run.stderr.as_str()),
        (Some(0), ""),
        "{}",
        run.show()
    );
    let docs = documents(&run.stdout)?;
    let tls = &docs[POD_MONITORING]["spec"]["endpoints"][0]["tls"];
    assert_eq!(tls["ca"]["secret"]["name"], "epp-ca");
    assert_eq!(tls["cert"]["secret"]["key"], "tls.crt");
    assert_eq!(tls["key"]["secret"]["namespace"], "default");
    assert_eq!(tls["minVersion"], "TLS13");
    assert_eq!(tls["serverName"], "epp.default.svc");
    let run = igw(["render", "--tls-insecure-skip-verify"])?;
    assert_eq!(run.code, Some(2), "{}", run.show());
    assert!(
        run.stdout.is_empty() && run.stderr.contains("[from --tls-insecure-skip-verify]"),
        "{}",
        run.show()
    );
    Ok(())
}
