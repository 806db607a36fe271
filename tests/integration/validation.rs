//! Invalid options are refused with every problem at once, each naming field, value and rule.

// Valid options where invalid ones are expected fail the test: the panic is the report.
#![allow(clippy::panic)]

use igw_monitoring::Objects;
use igw_monitoring::{
    Bundle, Error, LabelSelector, Names, Options, Port, Problems, SelectorOperator,
    SelectorRequirement,
};

fn problems(options: Options) -> Problems {
    match options.build() {
        Err(Error::Invalid(problems)) => problems,
        other => panic!("expected invalid options, got {other:?}"),
    }
}

#[test]
fn a_bad_label_value_is_reported_with_field_value_and_rule() {
    let found = problems(Options {
        selector: LabelSelector::default().match_label("app", "Bad Value!"),
        ..Options::default()
    });
    assert_eq!(found.len(), 1);
    let text = found.to_string();
    assert!(
        text.starts_with(
            "  selector.matchLabels[\"app\"]: \"Bad Value!\" is not a valid label value (a valid label must be an empty string or consist of alphanumeric characters"
        ),
        "{text}"
    );
}

#[test]
fn every_problem_is_reported_at_once() {
    let found = problems(Options {
        namespace: "Not_A_Namespace".to_owned(),
        selector: LabelSelector::default()
            .match_label("bad key!", "ok")
            .match_expression(SelectorRequirement {
                key: "tier".to_owned(),
                operator: SelectorOperator::In,
                values: vec![],
            })
            .match_expression(SelectorRequirement {
                key: "debug".to_owned(),
                operator: SelectorOperator::Exists,
                values: vec!["x".to_owned()],
            }),
        port: Port::Number(0),
        interval: "5".to_owned(),
        timeout: Some("1d".to_owned()),
        path: "metrics".to_owned(),
        names: Names {
            service_account: Some("Reader".to_owned()),
            reader_cluster_role: Some("..".to_owned()),
            ..Names::default()
        },
        monitoring_labels: [("app".to_owned(), "-x".to_owned())].into(),
        extra_labels: [("app".to_owned(), "other".to_owned())].into(),
        extra_annotations: [(
            "kubernetes.io/service-account.name".to_owned(),
            "x".to_owned(),
        )]
        .into(),
        ..Options::default()
    });
    let expected = [
        "namespace",
        "selector.matchLabels[\"bad key!\"]",
        "selector.matchExpressions[0].values",
        "selector.matchExpressions[1].values",
        "port",
        "interval",
        "timeout",
        "path",
        "names.readerClusterRole",
        "names.serviceAccount",
        "monitoringLabels[\"app\"]",
        "extraLabels[\"app\"]",
        "extraAnnotations[\"kubernetes.io/service-account.name\"]",
    ];
    for field in expected {
        assert!(found.mentions(field), "no problem for {field} in:\n{found}");
    }
    let fields: Vec<&str> = found.iter().map(|p| p.field.as_str()).collect();
    assert!(fields.iter().all(|f| expected.contains(f)), "{fields:?}");
}

#[test]
fn timeout_longer_than_interval_is_refused() {
    let found = problems(Options {
        interval: "5s".to_owned(),
        timeout: Some("5001ms".to_owned()),
        ..Options::default()
    });
    let problem = found
        .iter()
        .next()
        .map(|p| (p.field.as_str(), p.value.as_str()));
    assert_eq!(problem, Some(("timeout", "5001ms")));
    assert_eq!(found.len(), 1, "{found}");
    // equal is fine
    assert!(
        Bundle::builder()
            .interval("1m")
            .timeout("60s")
            .build()
            .is_ok()
    );
}

#[test]
fn port_numbers_are_checked_against_the_valid_range() {
    for bad in [0, -1, 65536, i32::MAX, i32::MIN] {
        assert!(
            problems(Options {
                port: Port::Number(bad),
                ..Options::default()
            })
            .mentions("port")
        );
    }
    for good in [1u16, 9090, 65535] {
        assert!(Bundle::builder().port(good).build().is_ok(), "{good}");
    }
}

#[test]
fn port_names_follow_iana_rules() {
    for bad in [
        "",
        "METRICS",
        "1234",
        "-metrics",
        "metrics-",
        "a--b",
        "sixteen-chars-xx",
    ] {
        assert!(
            Bundle::builder().port(bad).build().is_err(),
            "{bad:?} accepted"
        );
    }
    for good in ["metrics", "http-metrics", "m1", "fifteen-chars-x"] {
        assert!(
            Bundle::builder().port(good).build().is_ok(),
            "{good:?} refused"
        );
    }
}

#[test]
fn an_empty_selector_is_refused() {
    let found = problems(Options {
        selector: LabelSelector::default(),
        ..Options::default()
    });
    assert!(found.mentions("selector"), "{found}");
}

#[test]
fn huge_values_are_refused_and_shortened_in_messages() {
    let huge = "a".repeat(1 << 20);
    let found = problems(Options {
        namespace: huge.clone(),
        ..Options::default()
    });
    let text = found.to_string();
    assert!(text.len() < 1000, "message of {} bytes", text.len());
    assert!(text.contains("(1048576 characters)"), "{text}");
    let annotations = problems(Options {
        extra_annotations: [("big".to_owned(), huge)].into(),
        ..Options::default()
    });
    assert!(annotations.mentions("extraAnnotations"), "{annotations}");
}

#[test]
fn a_derived_name_too_long_names_its_source() {
    let found = problems(Options {
        names: Names {
            service_account: Some("a".repeat(250)),
            ..Names::default()
        },
        ..Options::default()
    });
    let fields: Vec<&str> = found.iter().map(|p| p.field.as_str()).collect();
    assert_eq!(fields, ["names.tokenSecret"], "{found}");
    assert!(
        found
            .to_string()
            .contains("derived from names.serviceAccount"),
        "{found}"
    );
}

#[test]
fn derived_names_follow_the_service_account_and_the_flavor() -> Result<(), Error> {
    let bundle = Bundle::builder()
        .flavor(igw_monitoring::ClusterFlavor::Autopilot)
        .names(Names {
            service_account: Some("scraper".to_owned()),
            ..Names::default()
        })
        .build()?;
    let plan = bundle.plan();
    let identity = &plan.identities()[0];
    assert_eq!(identity.token_secret().name, "scraper-secret");
    assert_eq!(
        identity.collector_binding().map(|b| b.name.as_str()),
        Some("gke-gmp-system:collector:scraper-secret-read")
    );
    assert_eq!(plan.reader_binding().name, "scraper-role-binding");
    Ok(())
}

/// A valid plan still says what a risky TLS choice means, once per configuration: the shared
/// one under `scheme` or `tls`, a target's own under `targets[i].tls`.
#[test]
fn tls_warnings_name_the_configuration_they_are_about() -> Result<(), Error> {
    use igw_monitoring::{Scheme, SecretKeyRef, Target, TlsOptions};
    let fields = |options: &Options| -> Result<Vec<(String, String)>, Error> {
        Ok(options
            .plan()?
            .warnings()
            .iter()
            .map(|w| (w.field.clone(), w.rule.clone()))
            .collect())
    };
    assert!(fields(&Options::default())?.is_empty());
    let https = Options {
        scheme: Scheme::Https,
        ..Options::default()
    };
    let warned = fields(&https)?;
    assert_eq!(warned.len(), 1, "{warned:?}");
    assert_eq!(warned[0].0, "scheme");
    assert!(warned[0].1.contains("system roots"), "{warned:?}");

    let verified = TlsOptions::builder()
        .ca(SecretKeyRef::new("ca", "ca.crt"))
        .server_name("epp.svc")
        .build();
    let target = |name: &str, tls: Option<TlsOptions>| Target {
        name: name.to_owned(),
        namespace: None,
        selector: Some(LabelSelector::default().match_label("app", name)),
        preset: None,
        service_selector: None,
        tls,
        auth_delegation: None,
        port: None,
        scheme: None,
    };
    let options = Options {
        tls: Some(verified.clone()),
        targets: vec![
            target("a", None),
            target(
                "b",
                Some(TlsOptions::builder().insecure_skip_verify(true).build()),
            ),
            target(
                "c",
                Some(
                    TlsOptions::builder()
                        .ca(SecretKeyRef::new("c", "ca"))
                        .build(),
                ),
            ),
        ],
        ..https
    };
    let warned = fields(&options)?;
    let at: Vec<&str> = warned.iter().map(|(f, _)| f.as_str()).collect();
    assert_eq!(at, ["targets[1].tls", "targets[2].tls"], "{warned:?}");
    assert!(warned[0].1.contains("not verified"), "{warned:?}");
    assert!(warned[1].1.contains("no serverName"), "{warned:?}");
    Ok(())
}

#[test]
fn a_targets_own_port_and_scheme_are_judged_and_scraped() -> Result<(), Box<dyn std::error::Error>>
{
    use igw_monitoring::{Scheme, SecretKeyRef, Target, TlsOptions};
    let target = |name: &str, port: Option<Port>, scheme: Option<Scheme>| Target {
        name: name.to_owned(),
        namespace: None,
        selector: Some(LabelSelector::default().match_label("app", name)),
        preset: None,
        service_selector: None,
        tls: None,
        auth_delegation: None,
        port,
        scheme,
    };
    let found = problems(Options {
        targets: vec![
            target("a", Some(Port::Number(0)), None),
            target("b", Some(Port::Name("Not A Name".to_owned())), None),
            Target {
                tls: Some(
                    TlsOptions::builder()
                        .ca(SecretKeyRef::new("ca", "ca.crt"))
                        .build(),
                ),
                ..target("c", None, Some(Scheme::Http))
            },
        ],
        ..Options::default()
    });
    for field in ["targets[0].port", "targets[1].port", "targets[2].scheme"] {
        assert!(found.mentions(field), "{field}: {found}");
    }
    // The top-level tls serves the https scrapes only: refused when there is none, else left
    // off the http targets (as `render --from` makes a fleet of pickers that differ).
    let found = problems(Options {
        tls: Some(
            TlsOptions::builder()
                .ca(SecretKeyRef::new("ca", "ca.crt"))
                .build(),
        ),
        targets: vec![
            target("a", None, Some(Scheme::Http)),
            target("b", None, None),
        ],
        ..Options::default()
    });
    assert!(found.mentions("scheme") && found.mentions("tls"), "{found}");
    let mixed = Options {
        tls: Some(
            TlsOptions::builder()
                .ca(SecretKeyRef::new("ca", "ca.crt"))
                .build(),
        ),
        targets: vec![
            target("a", None, Some(Scheme::Https)),
            target("b", None, None),
        ],
        ..Options::default()
    }
    .build()?;
    let plan = mixed.plan();
    let tls: Vec<bool> = plan
        .targets()
        .iter()
        .map(|t| plan.tls_of(t).is_some())
        .collect();
    assert_eq!(tls, [true, false]);
    assert_eq!(mixed.to_yaml()?.matches("      ca:\n").count(), 1);

    let bundle = Options {
        targets: vec![
            target("a", None, None),
            target("b", Some(Port::Number(9191)), Some(Scheme::Https)),
            target("c", Some(Port::Name("metrics".to_owned())), None),
        ],
        ..Options::default()
    }
    .build()?;
    let yaml = bundle.to_yaml()?;
    let endpoints: Vec<(String, String)> = yaml
        .split("kind: ClusterPodMonitoring\n")
        .skip(1)
        .map(|m| {
            let field = |key: &str| {
                m.lines()
                    .find_map(|l| l.trim().strip_prefix(key).map(str::to_owned))
                    .unwrap_or_default()
            };
            (field("port: "), field("scheme: "))
        })
        .collect();
    assert_eq!(
        endpoints,
        [
            ("metrics".to_owned(), "http".to_owned()),
            ("9191".to_owned(), "https".to_owned()),
            ("metrics".to_owned(), "http".to_owned()),
        ]
    );
    // A target's https with no CA warns as the top level's does, under its own field.
    let warned = bundle.plan().warnings();
    assert!(
        warned
            .iter()
            .any(|w| w.field == "targets[1].scheme" && w.rule.contains("system roots")),
        "{warned:?}"
    );
    Ok(())
}
