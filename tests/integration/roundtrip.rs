//! Property tests: any valid options render to YAML that reads back (YAML 1.2 with serde_yaml,
//! YAML 1.1 with PyYAML) as the typed objects built, byte-identical on every render; any string
//! given to any option yields a bundle or an error, never a panic.

use crate::support::{assert_round_trip, objects_json, read_as_yaml_1_1};
use igw_monitoring::Objects;
use igw_monitoring::{AlertOptions, MetricsSchema, MonitoringMode, RulesScope, Target};
use igw_monitoring::{
    ClusterFlavor, LabelSelector, Names, Options, Port, Scheme, SecretAccess, SelectorOperator,
    SelectorRequirement,
};
use igw_monitoring::{SecretKeyRef, TlsOptions, TlsVersion};
use proptest::collection::{btree_map, vec};
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::TestRunner;

/// Valid values that YAML 1.1 or 1.2 would read as something else if written plainly.
const KEYWORDS: [&str; 12] = [
    "yes", "no", "on", "off", "y", "n", "null", "true", "0777", "1e3", "123", "0x1f",
];

fn dns_label() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-z0-9]([-a-z0-9]{0,14}[a-z0-9])?",
        proptest::sample::select(&KEYWORDS[..]).prop_map(str::to_owned),
    ]
}

fn subdomain() -> impl Strategy<Value = String> {
    vec(dns_label(), 1..3).prop_map(|parts| parts.join("."))
}

fn label_value() -> impl Strategy<Value = String> {
    prop_oneof![
        "([A-Za-z0-9]([-A-Za-z0-9_.]{0,20}[A-Za-z0-9])?)?",
        proptest::sample::select(&["1_000", "True", "NULL", "2001-12-14", "1.5", "Off"][..])
            .prop_map(str::to_owned),
        dns_label(),
    ]
}

fn label_key() -> impl Strategy<Value = String> {
    (
        proptest::option::of(subdomain()),
        label_value().prop_filter("non-empty", |v| !v.is_empty()),
    )
        .prop_map(|(prefix, name)| match prefix {
            Some(prefix) => format!("{prefix}/{name}"),
            None => name,
        })
}

fn labels(max: usize) -> impl Strategy<Value = std::collections::BTreeMap<String, String>> {
    btree_map(label_key(), label_value(), 0..max)
}

fn requirement() -> impl Strategy<Value = SelectorRequirement> {
    (
        label_key(),
        proptest::sample::select(vec![
            SelectorOperator::In,
            SelectorOperator::NotIn,
            SelectorOperator::Exists,
            SelectorOperator::DoesNotExist,
        ]),
        vec(label_value(), 1..4),
    )
        .prop_map(|(key, operator, values)| SelectorRequirement {
            key,
            operator,
            values: if operator.takes_values() {
                values
            } else {
                vec![]
            },
        })
}

fn selector() -> impl Strategy<Value = LabelSelector> {
    (labels(3), vec(requirement(), 0..3))
        .prop_map(|(match_labels, match_expressions)| LabelSelector {
            match_labels,
            match_expressions,
        })
        .prop_filter("a selector selects something", |s| !s.is_empty())
        // One requirement a key: then none can contradict another (contradictions are refused).
        .prop_filter("each key once", |s| {
            let mut keys = std::collections::BTreeSet::new();
            s.match_labels.keys().all(|k| keys.insert(k.as_str()))
                && s.match_expressions
                    .iter()
                    .all(|r| keys.insert(r.key.as_str()))
        })
}

fn duration_ms() -> impl Strategy<Value = (String, u64)> {
    prop_oneof![
        (1u64..600).prop_map(|s| (format!("{s}s"), s * 1000)),
        (1u64..60, 0u64..60).prop_map(|(m, s)| (format!("{m}m{s}s"), (m * 60 + s) * 1000)),
        (1u64..90_000).prop_map(|ms| (format!("{ms}ms"), ms)),
    ]
}

/// Strings YAML could misread, and any Unicode at all: annotation values take every string.
fn annotation_value() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        "[-?:,#&*!|>'\"%@` ~=<.\n\t]{0,4}[a-z0-9 :#.\u{85}\u{2028}]{0,8}",
        proptest::sample::select(&KEYWORDS[..]).prop_map(str::to_owned),
    ]
}

/// Valid TLS settings: a CA or verification off, a client certificate or not, a server name.
fn tls_options() -> impl Strategy<Value = TlsOptions> {
    let key = || {
        (
            "[a-z]([-a-z0-9.]{0,10}[a-z0-9])?",
            "[-_a-zA-Z0-9][-._a-zA-Z0-9]{0,8}",
        )
            .prop_filter("a subdomain", |(s, _)| {
                !s.contains("..") && !s.contains(".-") && !s.contains("-.")
            })
            .prop_map(|(s, k)| SecretKeyRef::new(s, k))
    };
    (
        proptest::option::of(key()),
        proptest::option::of((key(), key())),
        proptest::option::of(
            "[a-zA-Z][a-z0-9]{0,5}(\\.[a-z][a-z0-9]{0,5}){0,2}|10\\.[0-9]\\.0\\.1|fd00::1",
        ),
        any::<bool>(),
        proptest::option::of(proptest::sample::select(
            &[
                TlsVersion::Tls10,
                TlsVersion::Tls11,
                TlsVersion::Tls12,
                TlsVersion::Tls13,
            ][..],
        )),
    )
        .prop_map(
            |(ca, client, server_name, insecure, min_version)| TlsOptions {
                insecure_skip_verify: insecure && ca.is_none(),
                ca,
                cert: client.clone().map(|(c, _)| c),
                key: client.map(|(_, k)| k),
                server_name,
                min_version,
            },
        )
}

prop_compose! {
    pub(crate) fn valid_options()(
        namespace in dns_label(),
        autopilot in any::<bool>(),
        namespaced_access in any::<bool>(),
        pod_mode in any::<bool>(),
        instance in proptest::option::of(dns_label()),
        targets in vec((dns_label(), proptest::option::of(dns_label()), selector(), proptest::option::of(tls_options())), 0..4),
        tls in proptest::option::of(tls_options()),
        epp_version in proptest::option::of((0u8..3, 0u8..12).prop_map(|(a, b)| format!("{a}.{b}"))),
        metrics_schema in proptest::option::of(proptest::sample::select(&MetricsSchema::ALL[..])),
        auth_delegation in proptest::option::of((dns_label(), subdomain()).prop_map(|(ns, n)| format!("{ns}/{n}"))),
        pprof in any::<bool>(),
        (alerts_on, cluster_rules) in (any::<bool>(), any::<bool>()),
        selector in selector(),
        port in prop_oneof![
            (1i32..=65535).prop_map(Port::Number),
            "[a-z]([-a-z0-9]{0,10}[a-z0-9])?"
                .prop_filter("no '--'", |n| !n.contains("--"))
                .prop_map(Port::Name),
        ],
        https in any::<bool>(),
        (interval, interval_ms) in duration_ms(),
        timeout in proptest::option::of(duration_ms()),
        path in "/[-a-zA-Z0-9/_.~]{0,20}",
        service_account in proptest::option::of(subdomain()),
        pod_monitoring in proptest::option::of(subdomain()),
        reader_cluster_role in proptest::option::of("[^/%\u{0}-\u{1f}]{1,12}"
            .prop_filter("not . or ..", |n| n != "." && n != "..")),
        name_prefix in proptest::option::of("[a-z0-9]{1,5}[-.]"),
        monitoring_labels in labels(3),
        extra_labels in labels(3),
        extra_annotations in btree_map(label_key(), annotation_value(), 0..4),
    ) -> Options {
        Options {
            namespace,
            flavor: if autopilot { ClusterFlavor::Autopilot } else { ClusterFlavor::Standard },
            secret_access: if namespaced_access { SecretAccess::Namespaced } else { SecretAccess::Cluster },
            monitoring: if pod_mode { MonitoringMode::Pod } else { MonitoringMode::Cluster },
            // GMP: Autopilot and namespaced access, generated here, are its alone.
            collector: igw_monitoring::Collector::Gmp,
            prometheus_release: None,
            scrape_through: Default::default(),
            service_selector: None,
            service_port: None,
            instance,
            preset: None,
            // Target names must be unique: keep the first of each.
            targets: {
                let mut seen = std::collections::BTreeSet::new();
                targets
                    .into_iter()
                    .filter(|(name, _, _, _)| seen.insert(name.clone()))
                    // TLS needs https.
                    .map(|(name, namespace, selector, tls)| Target {
                        // Some targets delegate their picker's own ServiceAccount.
                        auth_delegation: (name.len() % 2 == 0).then(|| format!("team-x/{name}-epp")),
                        port: None,
                        scheme: None,
                        name, namespace, selector: Some(selector), preset: None, service_selector: None, tls: tls.filter(|_| https),
                    })
                    .collect()
            },
            epp_version,
            metrics_schema,
            auth_delegation,
            pprof,
            alerts: AlertOptions {
                enabled: alerts_on,
                scope: if cluster_rules { RulesScope::Cluster } else { RulesScope::Namespaced },
                ..AlertOptions::default()
            },
            selector,
            port,
            scheme: if https { Scheme::Https } else { Scheme::Http },
            tls: tls.filter(|_| https),
            interval,
            timeout: timeout.filter(|(_, ms)| *ms <= interval_ms).map(|(t, _)| t),
            path,
            names: Names { service_account, pod_monitoring, reader_cluster_role, ..Names::default() },
            name_prefix: name_prefix.unwrap_or_default(),
            monitoring_labels: monitoring_labels
                .into_iter()
                .filter(|(k, _)| !extra_labels.contains_key(k))
                .collect(),
            extra_labels,
            extra_annotations: extra_annotations
                .into_iter()
                .filter(|(k, _)| k != "kubernetes.io/service-account.name")
                .collect(),
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2048))]

    #[test]
    fn valid_options_render_and_read_back_as_built(options in valid_options()) {
        let bundle = options.build().map_err(|e| TestCaseError::fail(e.to_string()))?;
        let yaml = assert_round_trip(&bundle).map_err(TestCaseError::fail)?;
        prop_assert_eq!(&bundle.to_yaml().map_err(|e| TestCaseError::fail(e.to_string()))?, &yaml);
        // The streaming render writes exactly what the bundle does.
        prop_assert_eq!(&options.render_yaml().map_err(|e| TestCaseError::fail(e.to_string()))?, &yaml);
        // Owned options (whose targets move into the plan) plan the same as borrowed ones.
        prop_assert_eq!(igw_monitoring::Plan::try_from(options.clone()).ok(), options.plan().ok());
        prop_assert!(yaml.ends_with('\n') && !yaml.ends_with("\n\n"));
        prop_assert!(yaml.lines().all(|l| !l.ends_with(' ')), "trailing space in\n{}", yaml);
    }

    /// Any string in any string option: a bundle that reads back as built, or a list of problems.
    #[test]
    fn arbitrary_strings_never_panic(
        text in prop_oneof![any::<String>(), "[-a-z0-9./:~ ]{0,12}"],
        field in 0usize..12,
    ) {
        let mut options = Options::default();
        match field {
            0 => options.namespace = text,
            1 => options.selector = LabelSelector::default().match_label(text, "v"),
            2 => options.selector = LabelSelector::default().match_label("k", text),
            3 => options.selector = LabelSelector::default()
                .match_expression(SelectorRequirement::is_in("k", [text])),
            4 => options.port = Port::Name(text),
            5 => options.interval = text,
            6 => options.timeout = Some(text),
            7 => options.path = text,
            8 => options.names.token_secret = Some(text),
            9 => options.names.collector_binding = Some(text),
            10 => { options.extra_labels.insert("k".to_owned(), text); }
            _ => { options.extra_annotations.insert("k".to_owned(), text); }
        }
        match options.build() {
            Ok(bundle) => {
                let yaml = assert_round_trip(&bundle).map_err(TestCaseError::fail)?;
                prop_assert_eq!(options.render_yaml().ok(), Some(yaml));
            }
            Err(igw_monitoring::Error::Invalid(problems)) => {
                prop_assert!(!problems.is_empty());
                // Owned options are refused with the same problems.
                let owned = igw_monitoring::Plan::try_from(options.clone());
                prop_assert!(
                    matches!(&owned, Err(igw_monitoring::Error::Invalid(p)) if *p == problems),
                    "owned options gave {:?}", owned.map(|_| ())
                );
                // The streaming render refuses the same options with the same problems.
                let streamed = options.render_yaml();
                prop_assert!(
                    matches!(&streamed, Err(igw_monitoring::Error::Invalid(p)) if *p == problems),
                    "render_yaml gave {:?}", streamed.map(|_| ())
                );
            }
            Err(other) => prop_assert!(false, "unexpected error {}", other),
        }
    }
}

/// YAML 1.1 (PyYAML, as kubectl reads) sees property-generated bundles as built; one reader
/// process for a batch of generated cases.
#[test]
#[ignore = "needs the offline validators (Python): run ../shared/conformance/setup.sh --with-checkov, then cargo test -- --include-ignored"]
fn yaml_1_1_reads_generated_bundles_as_built() -> crate::support::TestResult {
    let mut runner = TestRunner::deterministic();
    let strategy = valid_options();
    let mut texts = Vec::new();
    let mut expected = Vec::new();
    for _ in 0..1000 {
        let options = strategy
            .new_tree(&mut runner)
            .map_err(|e| e.to_string())?
            .current();
        let bundle = options.build()?;
        texts.push(bundle.to_yaml()?);
        expected.push(objects_json(&bundle));
    }
    let read = read_as_yaml_1_1(&texts)?;
    assert_eq!(read.len(), texts.len());
    for ((read, expected), text) in read.iter().zip(&expected).zip(&texts) {
        assert_eq!(read, expected, "YAML 1.1 reads differently:\n{text}");
    }
    Ok(())
}
