//! The config file: defaults, every key, every unknown key at once, typed errors with paths.

// A result other than the error a helper expects fails the test: the panic is the report.
#![allow(clippy::panic)]

use std::collections::BTreeMap;

use igw_monitoring::Scheme;
use igw_monitoring::{
    ClusterFlavor, LabelSelector, MonitoringMode, Names, Options, Port, Preset, PresetFlavor,
    SecretAccess, SelectorRequirement, Target,
};
use igw_monitoring_cli::config::{ConfigError, UnknownKey, load, parse};
use proptest::prelude::*;

fn map(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

/// The `(path, message)` of a type error, failing the test on anything else.
fn type_error(text: &str) -> (String, String) {
    match parse(text) {
        Err(ConfigError::Type { path, message }) => (path, message),
        other => panic!("{text:?}: expected a type error, got {other:?}"),
    }
}

#[test]
fn an_empty_file_or_only_comments_gives_the_defaults() {
    for text in [
        "",
        "\n\n",
        "# just a comment\n  # another\n",
        "---\n",
        "~\n",
    ] {
        assert_eq!(parse(text).unwrap(), Options::default(), "{text:?}");
    }
}

#[test]
fn every_key_is_read() {
    let text = r#"
# Every option, with values unlike the defaults.
namespace: monitoring
flavor: autopilot
secretAccess: namespaced
selector:
  matchLabels:
    app: vllm-llama3-8b-instruct-epp
    tier: "1.0"
  matchExpressions:
    - key: track
      operator: In
      values: [stable, canary]
    - key: legacy
      operator: DoesNotExist
port: http-metrics
scheme: https
tls:
  ca: {secret: epp-ca, key: ca.crt}
  cert: {secret: epp-client, key: tls.crt}
  key: {secret: epp-client, key: tls.key}
  serverName: epp.team-a.svc
  minVersion: TLS13
interval: 30s
timeout: 10s
path: /custom/metrics
names:
  readerClusterRole: reader-role
  serviceAccount: reader-sa
  readerBinding: reader-binding
  tokenSecret: reader-token
  secretReaderRole: secret-reader
  collectorBinding: collector-binding
  podMonitoring: epp-monitoring
namePrefix: team-a-
monitoringLabels:
  app.kubernetes.io/name: my-gateway
extraLabels:
  team: ml-platform
extraAnnotations:
  example.com/owner: "someone@example.com"
monitoring: pod
instance: llama
targets:
  - name: llama
    namespace: team-a
    preset: {flavor: helm-inferencepool, release: llama3-8b}
  - name: qwen
    selector: {matchLabels: {app: qwen-epp}}
    tls: {insecureSkipVerify: true, minVersion: TLS12}
    authDelegation: team-b/qwen-epp
eppVersion: "1.1"
metricsSchema: inference-objective
authDelegation: team-a/llama3-8b-epp
pprof: true
alerts:
  enabled: true
  scope: cluster
  errorRatio: 0.1
  for: 10m
"#;
    let expected = Options {
        namespace: "monitoring".to_owned(),
        flavor: ClusterFlavor::Autopilot,
        secret_access: SecretAccess::Namespaced,
        selector: LabelSelector::default()
            .match_label("app", "vllm-llama3-8b-instruct-epp")
            .match_label("tier", "1.0")
            .match_expression(SelectorRequirement::is_in("track", ["stable", "canary"]))
            .match_expression(SelectorRequirement::does_not_exist("legacy")),
        port: Port::Name("http-metrics".to_owned()),
        scheme: Scheme::Https,
        tls: Some(igw_monitoring::TlsOptions {
            ca: Some(igw_monitoring::SecretKeyRef::new("epp-ca", "ca.crt")),
            cert: Some(igw_monitoring::SecretKeyRef::new("epp-client", "tls.crt")),
            key: Some(igw_monitoring::SecretKeyRef::new("epp-client", "tls.key")),
            server_name: Some("epp.team-a.svc".to_owned()),
            insecure_skip_verify: false,
            min_version: Some(igw_monitoring::TlsVersion::Tls13),
        }),
        interval: "30s".to_owned(),
        timeout: Some("10s".to_owned()),
        path: "/custom/metrics".to_owned(),
        names: Names {
            reader_cluster_role: Some("reader-role".to_owned()),
            service_account: Some("reader-sa".to_owned()),
            reader_binding: Some("reader-binding".to_owned()),
            token_secret: Some("reader-token".to_owned()),
            secret_reader_role: Some("secret-reader".to_owned()),
            collector_binding: Some("collector-binding".to_owned()),
            pod_monitoring: Some("epp-monitoring".to_owned()),
            alerts: None,
            dashboard: None,
        },
        name_prefix: "team-a-".to_owned(),
        monitoring_labels: map(&[("app.kubernetes.io/name", "my-gateway")]),
        extra_labels: map(&[("team", "ml-platform")]),
        extra_annotations: map(&[("example.com/owner", "someone@example.com")]),
        monitoring: MonitoringMode::Pod,
        instance: Some("llama".to_owned()),
        preset: None,
        scrape_through: Default::default(),
        service_selector: None,
        service_port: None,
        targets: vec![
            Target {
                name: "llama".to_owned(),
                namespace: Some("team-a".to_owned()),
                selector: None,
                preset: Some(Preset {
                    flavor: PresetFlavor::HelmInferencepool,
                    release: "llama3-8b".to_owned(),
                    create_inference_pool: true,
                }),
                service_selector: None,
                tls: None,
                auth_delegation: None,
                port: None,
                scheme: None,
            },
            Target {
                name: "qwen".to_owned(),
                namespace: None,
                selector: Some(LabelSelector::default().match_label("app", "qwen-epp")),
                preset: None,
                service_selector: None,
                tls: Some(igw_monitoring::TlsOptions {
                    insecure_skip_verify: true,
                    min_version: Some(igw_monitoring::TlsVersion::Tls12),
                    ..Default::default()
                }),
                auth_delegation: Some("team-b/qwen-epp".to_owned()),
                port: None,
                scheme: None,
            },
        ],
        epp_version: Some("1.1".to_owned()),
        metrics_schema: Some(igw_monitoring::MetricsSchema::InferenceObjective),
        auth_delegation: Some("team-a/llama3-8b-epp".to_owned()),
        pprof: true,
        alerts: igw_monitoring::AlertOptions {
            enabled: true,
            scope: igw_monitoring::RulesScope::Cluster,
            error_ratio: 0.1,
            for_: "10m".to_owned(),
            ..Default::default()
        },
        ..Options::default()
    };
    assert_eq!(parse(text).unwrap(), expected);
}

#[test]
fn a_port_is_a_name_or_a_number() {
    assert_eq!(parse("port: 9090").unwrap().port, Port::Number(9090));
    assert_eq!(
        parse("port: metrics-tls").unwrap().port,
        Port::Name("metrics-tls".to_owned())
    );
    assert_eq!(
        parse("port: \"9090\"").unwrap().port,
        Port::Name("9090".to_owned())
    );
}

#[test]
fn keys_left_out_keep_their_defaults() {
    let options = parse("namespace: monitoring\nnames: {serviceAccount: sa}\n").unwrap();
    assert_eq!(options.namespace, "monitoring");
    assert_eq!(options.names.service_account.as_deref(), Some("sa"));
    assert_eq!(options.names.token_secret, None);
    assert_eq!(options.selector, Options::default().selector);
    assert_eq!(options.interval, "5s");
}

#[test]
fn every_unknown_key_is_reported_at_once_with_a_suggestion() {
    let text = "\
namespce: monitoring
names:
  tokenSecrt: token
  serviceAccount: sa
selector:
  match_labels: {app: epp}
  matchExpressions:
    - key: app
      operator: In
      values: [a]
    - key: tier
      operatr: Exists
extraLabels:
  anyKey: is-fine
zzz: 1
";
    let Err(ConfigError::UnknownKeys(keys)) = parse(text) else {
        panic!("expected unknown keys, got {:?}", parse(text));
    };
    let found: Vec<(&str, Option<&str>)> = keys
        .iter()
        .map(|k| (k.path.as_str(), k.suggestion.as_deref()))
        .collect();
    assert_eq!(
        found,
        [
            ("namespce", Some("namespace")),
            ("names.tokenSecrt", Some("tokenSecret")),
            ("selector.match_labels", Some("matchLabels")),
            ("selector.matchExpressions[1].operatr", Some("operator")),
            ("zzz", None),
        ]
    );

    let message = ConfigError::UnknownKeys(keys).to_string();
    let lines: Vec<&str> = message.lines().collect();
    assert_eq!(lines.len(), 5, "{message}");
    assert_eq!(
        lines[1],
        r#"unknown key "names.tokenSecrt" (did you mean "tokenSecret"?)"#
    );
    assert_eq!(
        lines[3],
        r#"unknown key "selector.matchExpressions[1].operatr" (did you mean "operator"?)"#
    );
    // With nothing close, the message lists the keys known at that level.
    assert!(
        lines[4].starts_with(r#"unknown key "zzz" (expected one of: "#),
        "{message}"
    );
    assert!(
        lines[4].contains("namespace") && lines[4].contains("selector"),
        "{message}"
    );
}

#[test]
fn an_unknown_key_display_names_its_path_and_suggestion() {
    let key = UnknownKey {
        path: "names.tokenSecrt".to_owned(),
        suggestion: Some("tokenSecret".to_owned()),
        expected: vec!["tokenSecret".to_owned()],
    };
    assert_eq!(
        key.to_string(),
        r#"unknown key "names.tokenSecrt" (did you mean "tokenSecret"?)"#
    );
}

#[test]
fn a_wrong_type_is_reported_with_its_path() {
    let cases = [
        (
            "selector:\n  matchLabels:\n    app: [epp]\n",
            "selector.matchLabels.app",
            "invalid type: sequence, expected a string",
        ),
        (
            "names: 5",
            "names",
            "invalid type: integer `5`, expected struct Names",
        ),
        (
            "selector: {matchExpressions: [{key: a, operator: In}, {operator: Exists}]}",
            "selector.matchExpressions[1]",
            "missing field `key`",
        ),
        (
            "selector: {matchExpressions: [{key: a, operator: Maybe}]}",
            "selector.matchExpressions[0].operator",
            "unknown variant `Maybe`",
        ),
        (
            "flavor: gke",
            "flavor",
            "unknown variant `gke`, expected `standard` or `autopilot`",
        ),
        (
            "flavor: 1",
            "flavor",
            "expected one of `standard`, `autopilot`",
        ),
        (
            "namespace:",
            "namespace",
            "invalid type: unit value, expected a string",
        ),
        (
            "monitoringLabels: {app.kubernetes.io/name: [x]}",
            "monitoringLabels[\"app.kubernetes.io/name\"]",
            "expected a string",
        ),
    ];
    for (text, path, message) in cases {
        let (found_path, found_message) = type_error(text);
        assert_eq!(found_path, path, "{text:?}");
        assert!(found_message.contains(message), "{text:?}: {found_message}");
        let shown = parse(text).unwrap_err().to_string();
        assert!(shown.starts_with(&format!("{path}: ")), "{shown}");
    }
}

#[test]
fn unquoted_numbers_and_booleans_where_a_string_is_expected_say_to_quote_them() {
    let cases = [
        ("interval: 5", "interval", "integer `5`, expected a string"),
        (
            "selector: {matchLabels: {app: 1.0}}",
            "selector.matchLabels.app",
            "floating point `1.0`, expected a string",
        ),
        (
            "extraLabels: {enabled: true}",
            "extraLabels.enabled",
            "boolean `true`",
        ),
        (
            "names: {serviceAccount: 42}",
            "names.serviceAccount",
            "integer `42`",
        ),
        ("port: 1.5", "port", "expected an integer or a string"),
        (
            "extraAnnotations: {8080: x}",
            "extraAnnotations.8080",
            "integer key",
        ),
    ];
    for (text, path, message) in cases {
        let (found_path, found_message) = type_error(text);
        assert_eq!(found_path, path, "{text:?}");
        assert!(found_message.contains(message), "{text:?}: {found_message}");
        assert!(
            found_message.contains("in quotes"),
            "{text:?}: {found_message}"
        );
    }
    // Quoted, the same values are strings.
    let options = parse("interval: \"5\"\nselector: {matchLabels: {app: \"1.0\"}}").unwrap();
    assert_eq!(options.interval, "5");
    assert_eq!(options.selector.match_labels["app"], "1.0");
}

#[test]
fn unknown_keys_come_before_type_errors() {
    let Err(ConfigError::UnknownKeys(keys)) = parse("interval: 5\nintervl: 5s") else {
        panic!("expected unknown keys");
    };
    assert_eq!(keys.len(), 1);
    assert_eq!(keys[0].suggestion.as_deref(), Some("interval"));
}

#[test]
fn a_yaml_syntax_error_says_where() {
    for text in [
        "namespace: [monitoring\n",
        "selector:\n  matchLabels: {app: a\n",
        "a: b: c",
    ] {
        let Err(ConfigError::Syntax { message }) = parse(text) else {
            panic!("{text:?}: expected a syntax error, got {:?}", parse(text));
        };
        assert!(message.starts_with("invalid YAML: "), "{message}");
        assert!(
            message.contains("line") && message.contains("column"),
            "{message}"
        );
    }
}

#[test]
fn the_top_level_must_be_a_mapping() {
    for text in ["- namespace: a\n", "monitoring\n", "42", "[a, b]"] {
        assert!(
            matches!(parse(text), Err(ConfigError::NotAMapping)),
            "{text:?}: {:?}",
            parse(text)
        );
    }
    assert!(ConfigError::NotAMapping.to_string().contains("mapping"));
}

#[test]
fn load_reads_the_file_and_names_it_when_it_cannot() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("config.yaml");
    std::fs::write(&file, "namespace: from-file\n").unwrap();
    assert_eq!(load(&file).unwrap().0.namespace, "from-file");

    let missing = dir.path().join("missing.yaml");
    let err = load(&missing).unwrap_err();
    assert!(
        matches!(&err, ConfigError::Read { path, .. } if *path == missing),
        "{err:?}"
    );
    let message = err.to_string();
    assert!(
        message.starts_with(&format!("config file {missing:?}: cannot read: ")),
        "{message}"
    );

    std::fs::write(&file, "namespace: [a\n").unwrap();
    let message = load(&file).unwrap_err().to_string();
    assert!(
        message.starts_with(&format!("config file {file:?}: invalid YAML: ")),
        "{message}"
    );
    assert!(
        message.contains("line") && message.contains("column"),
        "{message}"
    );

    std::fs::write(&file, "namespce: x\n").unwrap();
    let err = load(&file).unwrap_err();
    assert!(
        matches!(&err, ConfigError::InFile { path, source } if *path == file && matches!(**source, ConfigError::UnknownKeys(_))),
        "{err:?}"
    );
    assert!(
        err.to_string()
            .starts_with(&format!("config file {file:?}: unknown key \"namespce\"")),
        "{err}"
    );
}

proptest! {
    #[test]
    fn parse_never_panics_on_any_string(text in any::<String>()) {
        let _ = parse(&text);
    }

    #[test]
    fn parse_never_panics_on_yaml_like_text(text in "[a-zA-Z0-9_.:/{}\\[\\], \n#&*!|>'\"~-]{0,80}") {
        let _ = parse(&text);
    }

    #[test]
    fn parse_never_panics_on_known_keys_with_any_scalar(
        key in prop::sample::select(vec![
            "namespace", "flavor", "selector", "port", "scheme", "interval", "timeout", "path",
            "names", "namePrefix", "monitoringLabels", "extraLabels", "extraAnnotations",
        ]),
        value in "[a-z0-9.:{}\\[\\], -]{0,24}",
    ) {
        let _ = parse(&format!("{key}: {value}\nselector: {{matchExpressions: [{{{value}}}]}}"));
    }
}

#[test]
fn deep_nesting_and_alias_bombs_are_errors_not_crashes() {
    let deep_lists = format!("extraLabels: {}{}", "[".repeat(5000), "]".repeat(5000));
    let deep_maps = format!("names: {}x{}", "{a: ".repeat(2000), "}".repeat(2000));
    // Eleven levels of ten aliases each: 10^12 nodes if expanded.
    let mut bomb = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
    for level in 1..12 {
        let aliases = vec![format!("*a{}", level - 1); 10].join(", ");
        bomb.push_str(&format!("a{level}: &a{level} [{aliases}]\n"));
    }
    for text in [deep_lists, deep_maps, bomb] {
        let result = parse(&text);
        assert!(
            matches!(result, Err(ConfigError::Syntax { .. })),
            "{result:?}"
        );
    }
}

/// A JSON config (read by serde_json, the fast path) gives what the same text read as YAML does:
/// the same options, or the same error.
#[test]
fn a_json_file_reads_as_its_yaml_twin() {
    // The same text with a comment after it is no JSON, so serde_yaml reads it (at the same
    // lines and columns).
    let as_yaml = |json: &str| format!("{json}\n# read as YAML\n");
    let describe = |result: Result<Options, ConfigError>| match result {
        Ok(options) => format!("{options:?}"),
        Err(error) => format!("error: {error}"),
    };
    let mut examples: Vec<String> = [
        "../../examples/fleet.yaml",
        "../../examples/monitoring.yaml",
    ]
    .iter()
    .map(|path| {
        let text = std::fs::read_to_string(path).unwrap_or_default();
        let value: serde_json::Value = serde_yaml::from_str(&text).unwrap_or_default();
        serde_json::to_string_pretty(&value).unwrap_or_default()
    })
    .collect();
    assert!(
        examples
            .iter()
            .all(|json| json.contains("targets") || json.contains("namespace"))
    );
    examples.extend(
        [
            r#"{"namespace": "team-a", "interval": "30s"}"#,
            r#"{"namepsace": "team-a", "selector": {"matchLabel": {"app": "x"}}}"#,
            r#"{"interval": 5}"#,
            r#"{"extraLabels": {"version": 1.0, "on": true}}"#,
            r#"{"namespace": "a", "namespace": "b"}"#,
            r#"{"<<": {"namespace": "merged"}, "interval": "10s"}"#,
            r#"{"targets": [{"name": "a", "selector": {"matchLabels": {"app": "x"}}}, 3]}"#,
            r#"{"port": 9090, "pprof": "yes"}"#,
            "{}",
        ]
        .map(str::to_owned),
    );
    for json in &examples {
        let yaml = as_yaml(json);
        assert!(!json.is_empty() && !yaml.is_empty(), "{json}");
        assert_eq!(
            describe(parse(json)),
            describe(parse(&yaml)),
            "{json}\nread differently from\n{yaml}"
        );
    }
}

/// Aliases within the limit read as their expansion; just past it they are refused, and a file
/// without aliases is never refused for its size below the file limit.
#[test]
fn aliases_expand_up_to_the_limit() {
    use igw_monitoring_cli::config::MAX_ALIAS_EXPANSION;
    let limit = usize::try_from(MAX_ALIAS_EXPANSION).unwrap();
    // A 1 MiB string in a label value, used `n` more times as a target's selector value.
    let scalar = "v".repeat(1024 * 1024);
    let file = |n: usize, alias: bool| {
        let mut text = format!("extraLabels:\n  big: &a {scalar}\ntargets:\n");
        for i in 0..n {
            let value = if alias { "*a" } else { scalar.as_str() };
            text.push_str(&format!(
                "  - {{name: t{i}, selector: {{matchLabels: {{app: {value}}}}}}}\n"
            ));
        }
        text
    };
    // 32 uses (32 MiB) is within the limit and reads as the same file written out.
    let within = limit / (2 * scalar.len());
    assert_eq!(
        parse(&file(within, true)).unwrap(),
        parse(&file(within, false)).unwrap()
    );
    // The limit counts what aliases add beyond the file: one use more than it allows is refused.
    let past = limit / scalar.len() + 2;
    match parse(&file(past, true)) {
        Err(ConfigError::AliasesTooLarge { limit: l }) => assert_eq!(l, MAX_ALIAS_EXPANSION),
        other => panic!("{past} uses: {other:?}"),
    }
    // The same content written out (no alias) is only a big file, not refused for aliases.
    let written = file(40, false);
    assert!(written.len() < limit);
    assert!(!matches!(
        parse(&written),
        Err(ConfigError::AliasesTooLarge { .. })
    ));
}
