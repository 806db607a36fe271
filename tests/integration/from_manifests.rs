//! `manifests::from_manifests` through the library API, as kube-rs users call it: typed
//! objects in, one target per picker out; and any YAML-ish text read without a panic.

use igw_monitoring::manifests::{self, Manifests};
use igw_monitoring::{Given, MetricsSchema, Options, Port, Scheme, Source};
use proptest::prelude::*;

use crate::support::TestResult;

/// A picker Deployment as JSON, with pod labels `labels` and extra `args`.
fn picker(name: &str, labels: serde_json::Value, args: &[&str]) -> serde_json::Value {
    let mut all = vec!["--pool-name", "pool"];
    all.extend_from_slice(args);
    serde_json::json!({
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": name, "namespace": "ns"},
        "spec": {"selector": {"matchLabels": labels}, "template": {
            "metadata": {"labels": labels},
            "spec": {"serviceAccountName": name, "containers": [{
                "name": "epp",
                "image": "ghcr.io/llm-d/llm-d-router-endpoint-picker:v0.8.1",
                "args": all,
                "ports": [{"name": "metrics", "containerPort": 9090}]}]}}}
    })
}

#[test]
fn typed_objects_give_one_target_per_picker() -> TestResult {
    let mut index = Manifests::new();
    index.deployments.push(serde_json::from_value(picker(
        "a",
        serde_json::json!({"app": "a", "tier": "epp"}),
        &[],
    ))?);
    // A model server sharing one of the picker's labels.
    index.deployments.push(serde_json::from_value(picker(
        "m",
        serde_json::json!({"app": "m", "tier": "epp"}),
        &[],
    ))?);
    let model_server = &mut index.deployments[1]
        .spec
        .template
        .spec
        .as_mut()
        .ok_or("spec")?
        .containers[0];
    model_server.name = "vllm".to_owned();
    model_server.image = Some("vllm/vllm-openai:v0.8.0".to_owned());
    // A model server runs no picker flags: a picker is known by its image or its flags.
    model_server.args = None;
    let discovery = manifests::from_manifests(&index)?;
    assert_eq!(discovery.pickers.len(), 1);
    let found = &discovery.pickers[0];
    assert_eq!(found.workload, "Deployment/ns/a");
    assert_eq!(
        found.selector.match_labels.iter().collect::<Vec<_>>(),
        [(&"app".to_owned(), &"a".to_owned())]
    );
    assert_eq!(found.port, Port::default());
    assert_eq!(found.schema, Some(MetricsSchema::InferenceObjective));
    assert!(found.needs_auth_delegation);
    let (options, _) = discovery.apply(Options::default(), &Given::new())?;
    assert_eq!(options.targets.len(), 1);
    assert_eq!(options.targets[0].auth_delegation.as_deref(), Some("ns/a"));
    assert!(options.plan().is_ok());
    Ok(())
}

#[test]
fn flags_of_the_picker_decide_port_scheme_and_auth() -> TestResult {
    let mut index = Manifests::new();
    index.add(
        "in",
        picker(
            "a",
            serde_json::json!({"app": "a"}),
            &[
                "--metrics-port",
                "9191",
                "--metrics-cert-dir=/c",
                "-metrics-endpoint-auth=false",
            ],
        ),
    )?;
    let discovery = manifests::from_manifests(&index)?;
    let found = &discovery.pickers[0];
    assert_eq!(found.port, Port::Number(9191));
    assert_eq!(found.scheme, Scheme::Https);
    assert!(!found.mtls && !found.auth && !found.needs_auth_delegation);
    assert!(
        discovery
            .warnings
            .iter()
            .any(|w| w.field == "targets[0].tls")
    );
    Ok(())
}

#[test]
fn a_review_grant_in_the_input_needs_no_delegation() -> TestResult {
    let mut index = Manifests::new();
    index.read(
        "in",
        &format!(
            "{}\n---\n{}",
            picker("a", serde_json::json!({"app": "a"}), &[]),
            r#"{"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleList", "items": [
                {"kind": "ClusterRole", "metadata": {"name": "reviews"}, "rules": [
                  {"apiGroups": ["authentication.k8s.io"], "resources": ["tokenreviews"], "verbs": ["create"]},
                  {"apiGroups": ["authorization.k8s.io"], "resources": ["*"], "verbs": ["create"]}]}]}
---
kind: ClusterRoleBinding
metadata: {name: a}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: reviews}
subjects: [{kind: ServiceAccount, name: a, namespace: ns}]
"#
        ),
    )?;
    let discovery = manifests::from_manifests(&index)?;
    assert!(!discovery.pickers[0].needs_auth_delegation);
    Ok(())
}

#[test]
fn pickers_that_disagree_on_port_or_scheme_get_their_own() -> TestResult {
    let mut index = Manifests::new();
    index.add("a", picker("a", serde_json::json!({"app": "a"}), &[]))?;
    index.add(
        "b",
        picker(
            "b",
            serde_json::json!({"app": "b"}),
            &["--metrics-port=9191", "--metrics-cert-dir=/certs"],
        ),
    )?;
    let discovery = manifests::from_manifests(&index)?;
    let (options, _) = discovery.apply(Options::default(), &Given::new())?;
    let plan = igw_monitoring::Plan::try_from(options)?;
    let scrapes: Vec<(String, Scheme)> = plan
        .targets()
        .iter()
        .map(|t| (plan.port_of(t).to_string(), plan.scheme_of(t)))
        .collect();
    assert_eq!(
        scrapes,
        [
            ("metrics".to_owned(), Scheme::Http),
            ("9191".to_owned(), Scheme::Https)
        ]
    );
    // Each monitoring carries its own, and the bundle checks clean against the manifests
    // (both pickers delegated, the https one verified by the system roots: a warning).
    let check = plan.check(&index);
    assert!(check.is_clean(), "{:#?}", check.findings);
    // Given in the options, a port one picker does not serve on is refused, naming it; a
    // scheme both do not serve likewise.
    let options = Options {
        port: Port::Number(9090),
        ..Options::default()
    };
    let problems = discovery
        .apply(options, &Given::new())
        .err()
        .ok_or("a port picker b does not serve on was accepted")?;
    let text = problems.to_string();
    assert!(problems.mentions("port"), "{text}");
    assert!(
        text.contains("Deployment/ns/b serves /metrics on port 9191") && !text.contains("ns/a "),
        "{text}"
    );
    let mut given = Given::new();
    given.set("scheme", Source::Flag("--scheme"));
    let problems = discovery
        .apply(Options::default(), &given)
        .err()
        .ok_or("scheme http given over a TLS picker was accepted")?;
    assert!(
        problems
            .to_string()
            .contains("(given by --scheme) contradicts the manifests: Deployment/ns/b serves /metrics over TLS"),
        "{problems}"
    );
    Ok(())
}

#[test]
fn pickers_that_disagree_on_the_metric_schema_are_refused() -> TestResult {
    let mut index = Manifests::new();
    index.add("a", picker("a", serde_json::json!({"app": "a"}), &[]))?;
    let mut b = picker("b", serde_json::json!({"app": "b"}), &[]);
    b["spec"]["template"]["spec"]["containers"][0]["image"] =
        serde_json::json!("ghcr.io/llm-d/llm-d-router-endpoint-picker:v0.11.0");
    index.add("b", b)?;
    let discovery = manifests::from_manifests(&index)?;
    let problems = discovery
        .apply(Options::default(), &Given::new())
        .err()
        .ok_or("accepted")?;
    assert!(problems.mentions("metricsSchema"), "{problems}");
    let options = Options {
        metrics_schema: Some(MetricsSchema::LlmDEppMigration),
        ..Options::default()
    };
    assert!(discovery.apply(options, &Given::new()).is_ok());
    Ok(())
}

#[test]
fn the_alias_walk_bounds_expansion() {
    let mut text = String::from("a: &a [\"xxxxxxxxxxxxxxxx\"]\n");
    let mut previous = 'a';
    for name in 'b'..='p' {
        text.push_str(&format!(
            "{name}: &{name} [*{previous}, *{previous}, *{previous}]\n"
        ));
        previous = name;
    }
    assert!(manifests::aliases_within(&text, 1 << 30));
    assert!(!manifests::aliases_within(&text, 1 << 10));
    assert!(manifests::aliases_within("no aliases: here", 0));
}

/// Fragments YAML and kubectl output are made of, so that generated texts reach deep.
fn yamlish() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        Just("kind: Deployment\n".to_owned()),
        Just("kind: List\nitems:\n".to_owned()),
        Just("- kind: Service\n".to_owned()),
        Just("spec:\n  template:\n    spec:\n      containers:\n      - name: epp\n".to_owned()),
        Just("        args: [--metrics-port, \"0\"]\n".to_owned()),
        Just("  selector: {app: x}\n".to_owned()),
        Just("metadata: {name: a, labels: {app: x}}\n".to_owned()),
        Just("---\n".to_owned()),
        Just("&a x\n".to_owned()),
        Just("*a\n".to_owned()),
        Just("kind: InferencePool\nspec: {endpointPickerRef: {name: s}}\n".to_owned()),
        Just("{\"kind\": \"List\", \"items\": [null, 1, {}]}\n".to_owned()),
        "[ -~\n]{0,12}",
    ];
    prop::collection::vec(piece, 0..12).prop_map(|pieces| pieces.concat())
}

proptest! {
    #[test]
    fn any_yamlish_text_is_read_or_refused_without_a_panic(text in yamlish()) {
        let mut index = Manifests::new();
        if index.read("in", &text).is_ok()
            && let Ok(discovery) = manifests::from_manifests(&index)
        {
            let _ = discovery.apply(Options::default(), &Given::new());
        }
    }
}

/// A warning about a picker names it as the object, not as a field: `check -o json` and the
/// text print it in the one shape of findings.
#[test]
fn discovery_warnings_name_the_picker_as_their_object() -> TestResult {
    let mut index = Manifests::new();
    let mut deployment = picker("a", serde_json::json!({"app": "a"}), &[]);
    deployment["spec"]["template"]["spec"]["containers"][0]["ports"] = serde_json::json!([]);
    deployment["spec"]["template"]["spec"]["containers"][0]["image"] =
        serde_json::json!("ghcr.io/llm-d/llm-d-router-endpoint-picker:main");
    index.deployments.push(serde_json::from_value(deployment)?);
    let discovery = manifests::from_manifests(&index)?;
    let about_a: Vec<_> = discovery
        .warnings
        .iter()
        .filter(|w| w.object.as_ref().is_some_and(|o| *o == "Deployment/ns/a"))
        .collect();
    // No metrics port declared, and an image tag of no release.
    assert_eq!(about_a.len(), 2, "{:#?}", discovery.warnings);
    for warning in about_a {
        assert_eq!(warning.field, "", "{warning:#?}");
        assert!(
            warning.to_string().starts_with("Deployment/ns/a: "),
            "{warning}"
        );
    }
    Ok(())
}
