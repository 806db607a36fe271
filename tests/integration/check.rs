//! `check::check` through the library API: a bundle made from manifests passes against them,
//! and each drift of the manifests or the bundle is one finding naming the object and field.

use igw_monitoring::Objects;
use igw_monitoring::check::{self, Check};
use igw_monitoring::manifests::{self, Manifests};
use igw_monitoring::{Finding, Given, MetricsSchema, Object, Options, Plan};
use serde_json::{Value, json};

use crate::support::TestResult;

/// A picker Deployment `a` in `ns` (pod labels `app: a, tier: epp`), GIE v1.5.0, with `args`.
pub(crate) fn picker(args: &[&str]) -> Value {
    let mut all = vec!["--pool-name", "pool"];
    all.extend_from_slice(args);
    json!({
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": "a", "namespace": "ns"},
        "spec": {"selector": {"matchLabels": {"app": "a"}}, "template": {
            "metadata": {"labels": {"app": "a", "tier": "epp"}},
            "spec": {"serviceAccountName": "a", "containers": [{
                "name": "epp",
                "image": "registry.k8s.io/gateway-api-inference-extension/epp:v1.5.0",
                "args": all,
                "ports": [{"name": "grpc", "containerPort": 9002},
                          {"name": "metrics", "containerPort": 9090}]}]}}}
    })
}

/// A model server `m` in `ns` sharing the picker's `tier` label.
pub(crate) fn model_server() -> Value {
    json!({
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": "m", "namespace": "ns"},
        "spec": {"selector": {"matchLabels": {"app": "m"}}, "template": {
            "metadata": {"labels": {"app": "m", "tier": "epp"}},
            "spec": {"containers": [{"name": "vllm", "image": "vllm/vllm-openai:v0.8.0",
                "ports": [{"name": "metrics", "containerPort": 8000}]}]}}}
    })
}

/// The ClusterRoleBinding the GIE charts make: the picker may review tokens.
pub(crate) fn reviews() -> Value {
    json!({
        "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding",
        "metadata": {"name": "a-auth"},
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "a-auth"},
        "subjects": [{"kind": "ServiceAccount", "name": "a", "namespace": "ns"}]
    })
}

pub(crate) fn review_role() -> Value {
    json!({
        "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole",
        "metadata": {"name": "a-auth"},
        "rules": [
            {"apiGroups": ["authentication.k8s.io"], "resources": ["tokenreviews"], "verbs": ["create"]},
            {"apiGroups": ["authorization.k8s.io"], "resources": ["subjectaccessreviews"], "verbs": ["create"]}
        ]
    })
}

pub(crate) fn index(objects: &[Value]) -> TestResult<Manifests> {
    let mut index = Manifests::new();
    for (i, object) in objects.iter().enumerate() {
        index.add(&format!("in[{i}]"), object.clone())?;
    }
    Ok(index)
}

/// The plan `render --from` makes of `manifests` with `options` over it, but for the metric
/// schema, laid after discovery (which would refuse one the pickers contradict): a bundle
/// querying other names than its pickers emit is what `check` is there to find.
pub(crate) fn plan_from(manifests: &Manifests, options: Options) -> TestResult<Plan> {
    let (metrics_schema, epp_version) = (options.metrics_schema, options.epp_version.clone());
    let over = Options {
        metrics_schema: None,
        epp_version: None,
        ..options
    };
    let (mut options, _) = manifests::from_manifests(manifests)?.apply(over, &Given::new())?;
    if metrics_schema.is_some() || epp_version.is_some() {
        options.metrics_schema = metrics_schema;
        options.epp_version = epp_version;
    }
    Ok(Plan::try_from(options)?)
}

/// The plan's bundle as objects, to edit like a hand-edited bundle.
pub(crate) fn objects(plan: &Plan) -> TestResult<Vec<Value>> {
    let Value::Object(list) = serde_json::from_str(&plan.to_json_list()?)? else {
        return Err("not a List".into());
    };
    match list.get("items") {
        Some(Value::Array(items)) => Ok(items.clone()),
        _ => Err("no items".into()),
    }
}

pub(crate) fn check_objects(manifests: &Manifests, objects: &[Value]) -> TestResult<Check> {
    let objects: Vec<Object<'static>> = objects
        .iter()
        .map(|o| serde_json::from_value(o.clone()))
        .collect::<Result<_, _>>()?;
    Ok(check::check(manifests, objects, None))
}

fn monitoring(objects: &mut [Value]) -> TestResult<&mut Value> {
    objects
        .iter_mut()
        .find(|o| o["kind"] == "ClusterPodMonitoring")
        .ok_or_else(|| "no monitoring".into())
}

/// The one finding of `check`, which must name `field` and mention `rule`.
/// Where a finding is, as its text names it: `OBJECT FIELD`, or the option alone.
fn place(finding: &Finding) -> String {
    match &finding.object {
        Some(object) => format!("{object} {}", finding.field),
        None => finding.field.clone(),
    }
}

pub(crate) fn one_finding(check: &Check, field: &str, rule: &str) {
    assert_eq!(check.findings.len(), 1, "{field}: {:#?}", check.findings);
    let finding = &check.findings[0];
    assert!(
        place(finding).contains(field) && finding.rule.contains(rule),
        "{field} / {rule}: {finding}"
    );
}

const MONITORING: &str = "ClusterPodMonitoring/inference-optimized-gateway-monitoring-a";

#[test]
fn a_bundle_from_the_manifests_passes_and_says_what_it_scrapes() -> TestResult {
    let manifests = index(&[picker(&[]), model_server(), reviews(), review_role()])?;
    let plan = plan_from(&manifests, Options::default())?;
    let check = plan.check(&manifests);
    assert!(check.is_clean(), "{:#?}", check.findings);
    assert!(check.warnings.is_empty(), "{:#?}", check.warnings);
    assert_eq!(check.monitorings.len(), 1);
    assert_eq!(check.monitorings[0].monitoring, MONITORING);
    assert_eq!(check.monitorings[0].pickers, ["Deployment/ns/a"]);
    // The same bundle read back as objects (no schema given, no rules: names not checked).
    assert!(check_objects(&manifests, &objects(&plan)?)?.is_clean());
    Ok(())
}

#[test]
fn drift_in_the_manifests_is_one_finding_naming_the_object() -> TestResult {
    let clean = [picker(&[]), model_server(), reviews(), review_role()];
    let plan = plan_from(&index(&clean)?, Options::default())?;
    let bundle = objects(&plan)?;

    // The metrics port renamed.
    let mut renamed = clean.clone();
    renamed[0]["spec"]["template"]["spec"]["containers"][0]["ports"][1]["name"] = json!("prom");
    let check = check_objects(&index(&renamed)?, &bundle)?;
    one_finding(
        &check,
        &format!("{MONITORING} spec.endpoints[0].port"),
        "names no port of container epp of Deployment/ns/a (its ports: grpc 9002, prom 9090)",
    );

    // The picker moved /metrics with --metrics-port: the named port is no longer it.
    let moved = [
        picker(&["--metrics-port=9091"]),
        model_server(),
        reviews(),
        review_role(),
    ];
    let check = check_objects(&index(&moved)?, &bundle)?;
    one_finding(&check, "spec.endpoints[0].port", "serves /metrics on 9091");

    // TLS switched on.
    let tls = [
        picker(&["--metrics-cert-dir=/certs"]),
        model_server(),
        reviews(),
        review_role(),
    ];
    let check = check_objects(&index(&tls)?, &bundle)?;
    one_finding(
        &check,
        "spec.endpoints[0].scheme",
        "serves /metrics over TLS",
    );

    // The TokenReview rights removed.
    let check = check_objects(&index(&[picker(&[]), model_server()])?, &bundle)?;
    one_finding(
        &check,
        "Deployment/ns/a spec.template.spec.serviceAccountName",
        "may not create TokenReviews",
    );
    assert_eq!(check.findings[0].value.as_deref(), Some("ns/a"));

    // The role losing one of the two reviews is as bad.
    let mut half = review_role();
    if let Some(rules) = half["rules"].as_array_mut() {
        rules.pop();
    }
    let check = check_objects(
        &index(&[picker(&[]), model_server(), reviews(), half])?,
        &bundle,
    )?;
    one_finding(&check, "serviceAccountName", "may not create TokenReviews");

    // A model server that now carries the picker's labels too.
    let mut alike = model_server();
    alike["spec"]["template"]["metadata"]["labels"] =
        json!({"app": "a", "tier": "epp", "role": "model"});
    let check = check_objects(
        &index(&[picker(&[]), alike, reviews(), review_role()])?,
        &bundle,
    )?;
    one_finding(
        &check,
        "spec.selector",
        "also selects pods that run no endpoint picker (Deployment/ns/m)",
    );
    assert_eq!(check.findings[0].also, ["Deployment/ns/m"]);
    Ok(())
}

#[test]
fn drift_in_the_bundle_is_one_finding_naming_the_field() -> TestResult {
    let manifests = index(&[picker(&[]), model_server(), reviews(), review_role()])?;
    let plan = plan_from(&manifests, Options::default())?;

    let mut bundle = objects(&plan)?;
    monitoring(&mut bundle)?["spec"]["selector"] = json!({"matchLabels": {"app": "gone"}});
    let check = check_objects(&manifests, &bundle)?;
    one_finding(
        &check,
        "spec.selector",
        "selects no endpoint-picker pod template",
    );
    assert!(check.warnings.iter().any(
        |w| w.object.as_ref().is_some_and(|o| *o == "Deployment/ns/a")
            && w.rule.contains("no monitoring of the bundle selects")
    ));

    let mut bundle = objects(&plan)?;
    monitoring(&mut bundle)?["spec"]["selector"] = json!({"matchLabels": {"tier": "epp"}});
    let check = check_objects(&manifests, &bundle)?;
    one_finding(&check, "spec.selector", "Deployment/ns/m");

    let mut bundle = objects(&plan)?;
    monitoring(&mut bundle)?["spec"]["selector"] =
        json!({"matchExpressions": [{"key": "app", "operator": "In", "values": ["a", "b"]}]});
    assert!(check_objects(&manifests, &bundle)?.is_clean());
    monitoring(&mut bundle)?["spec"]["selector"] =
        json!({"matchExpressions": [{"key": "app", "operator": "Matches", "values": ["a"]}]});
    let check = check_objects(&manifests, &bundle)?;
    assert!(
        check
            .findings
            .iter()
            .any(|f| f.field.ends_with("matchExpressions[0].operator")),
        "{:#?}",
        check.findings
    );
    // The operator is the one finding: a selector the API server refuses selects nothing, and
    // saying so again would be noise.
    assert_eq!(check.findings.len(), 1, "{:#?}", check.findings);
    assert_eq!(check.findings[0].value.as_deref(), Some("Matches"));

    let mut bundle = objects(&plan)?;
    monitoring(&mut bundle)?["spec"]["endpoints"][0]["port"] = json!(9091);
    one_finding(
        &check_objects(&manifests, &bundle)?,
        "spec.endpoints[0].port",
        "serves /metrics on: 9090",
    );
    monitoring(&mut bundle)?["spec"]["endpoints"][0]["port"] = json!(9090);
    assert!(check_objects(&manifests, &bundle)?.is_clean());

    let mut bundle = objects(&plan)?;
    monitoring(&mut bundle)?["spec"]["endpoints"][0]["scheme"] = json!("https");
    one_finding(
        &check_objects(&manifests, &bundle)?,
        "spec.endpoints[0].scheme",
        "plain HTTP",
    );

    // No token sent to a picker that checks one; the bundle's own chain is then whole still.
    let mut bundle = objects(&plan)?;
    if let Some(endpoint) = monitoring(&mut bundle)?["spec"]["endpoints"][0].as_object_mut() {
        endpoint.remove("authorization");
    }
    let check = check_objects(&manifests, &bundle)?;
    assert!(
        check.findings.iter().any(|f| f.field.ends_with("spec.endpoints[0].authorization")
            && f.rule.contains("401")),
        "{:#?}",
        check.findings
    );
    Ok(())
}

#[test]
fn a_pod_monitoring_sees_only_its_namespace() -> TestResult {
    let manifests = index(&[picker(&[]), reviews(), review_role()])?;
    let plan = plan_from(
        &manifests,
        Options {
            monitoring: igw_monitoring::MonitoringMode::Pod,
            ..Options::default()
        },
    )?;
    assert!(plan.check(&manifests).is_clean());
    let mut bundle = objects(&plan)?;
    let pod_monitoring = bundle
        .iter_mut()
        .find(|o| o["kind"] == "PodMonitoring")
        .ok_or("no PodMonitoring")?;
    pod_monitoring["metadata"]["namespace"] = json!("elsewhere");
    let check = check_objects(&manifests, &bundle)?;
    assert!(
        check
            .findings
            .iter()
            .any(|f| place(f).starts_with("PodMonitoring/elsewhere/")
                && f.rule.contains("only pods of its own namespace, elsewhere")),
        "{:#?}",
        check.findings
    );
    Ok(())
}

#[test]
fn tls_auth_and_schema_follow_the_pickers_flags_and_image() -> TestResult {
    // mTLS on the picker, https and a CA in the bundle, but no client certificate.
    let mtls = [
        picker(&[
            "--metrics-cert-dir=/certs",
            "--metrics-client-ca-file=/ca/ca.crt",
        ]),
        reviews(),
        review_role(),
    ];
    let manifests = index(&mtls)?;
    let options = Options {
        tls: Some(igw_monitoring::TlsOptions {
            ca: Some(igw_monitoring::SecretKeyRef::new("epp-ca", "ca.crt")),
            ..Default::default()
        }),
        ..Options::default()
    };
    let check = plan_from(&manifests, options.clone())?.check(&manifests);
    one_finding(
        &check,
        "spec.endpoints[0].tls.cert",
        "--metrics-client-ca-file",
    );
    let with_cert = Options {
        tls: Some(igw_monitoring::TlsOptions {
            cert: Some(igw_monitoring::SecretKeyRef::new("epp-client", "tls.crt")),
            key: Some(igw_monitoring::SecretKeyRef::new("epp-client", "tls.key")),
            ..options.tls.clone().unwrap_or_default()
        }),
        ..options
    };
    assert!(
        plan_from(&manifests, with_cert)?
            .check(&manifests)
            .is_clean()
    );

    // Auth off: the token is not needed (a warning), and no review rights either.
    let manifests = index(&[picker(&["--metrics-endpoint-auth=false"])])?;
    let check = plan_from(&manifests, Options::default())?.check(&manifests);
    assert!(check.is_clean(), "{:#?}", check.findings);
    assert!(
        check
            .warnings
            .iter()
            .any(|w| w.field.ends_with("spec.endpoints[0].authorization")
                && w.rule.contains("--metrics-endpoint-auth=false")),
        "{:#?}",
        check.warnings
    );

    // A plan querying the names of another release.
    let manifests = index(&[picker(&[]), reviews(), review_role()])?;
    let options = Options {
        metrics_schema: Some(MetricsSchema::LlmDEpp),
        ..Options::default()
    };
    let check = plan_from(&manifests, options)?.check(&manifests);
    one_finding(&check, "metricsSchema", "emits inference-objective names");
    // The migration mode's fallback names are this picker's: nothing to find.
    let options = Options {
        metrics_schema: Some(MetricsSchema::LlmDEppMigration),
        ..Options::default()
    };
    assert!(plan_from(&manifests, options)?.check(&manifests).is_clean());

    // A hand-edited bundle's rules, judged one by one.
    let options = Options {
        metrics_schema: Some(MetricsSchema::InferenceModel),
        ..Options::default()
    };
    let mut with_alerts = options;
    with_alerts.alerts.enabled = true;
    let plan = plan_from(&manifests, with_alerts)?;
    let check = check_objects(&manifests, &objects(&plan)?)?;
    assert!(!check.findings.is_empty());
    assert!(
        check
            .findings
            .iter()
            .all(|f| place(f).contains(" spec.groups[0].rules[")
                && f.rule.contains("queries inference-model names")),
        "{:#?}",
        check.findings
    );
    Ok(())
}

#[test]
fn bundles_are_read_as_yaml_or_json_lists_and_bad_objects_are_problems() -> TestResult {
    let manifests = index(&[picker(&[]), reviews(), review_role()])?;
    let plan = plan_from(&manifests, Options::default())?;
    for text in [plan.to_yaml()?, plan.to_json_list()?] {
        let objects = check::read_bundle("bundle", &format!("{text}\n"))?;
        assert_eq!(objects.len(), plan.object_count());
        assert!(check::check(&manifests, objects, None).is_clean());
    }
    // Kinds a bundle does not hold are left out; one that does not read as its kind is refused.
    let objects = check::read_bundle("b", "kind: Namespace\nmetadata: {name: x}\n")?;
    assert!(objects.is_empty());
    let problems = check::read_bundle("b", "kind: PodMonitoring\nspec: 3\n")
        .err()
        .ok_or("read")?;
    assert!(
        problems
            .iter()
            .any(|p| p.rule.contains("does not read as a PodMonitoring")),
        "{problems}"
    );
    // An empty bundle scrapes nothing, which the chain check says.
    let check = check::check(&manifests, Vec::<Object<'static>>::new(), None);
    assert!(
        check
            .findings
            .iter()
            .any(|f| f.rule.contains(igw_monitoring::relations::NO_MONITORING))
    );
    Ok(())
}

#[test]
fn every_picker_that_may_not_review_tokens_gets_its_own_delegation() -> TestResult {
    let mut b = picker(&[]);
    b["metadata"]["name"] = json!("b");
    b["spec"]["template"]["metadata"]["labels"] = json!({"app": "b", "tier": "epp"});
    b["spec"]["template"]["spec"]["serviceAccountName"] = json!("b");
    // A third picker running as `a` too: one binding serves both.
    let mut c = b.clone();
    c["metadata"]["name"] = json!("c");
    c["spec"]["template"]["metadata"]["labels"] = json!({"app": "c", "tier": "epp"});
    c["spec"]["template"]["spec"]["serviceAccountName"] = json!("a");
    let manifests = index(&[picker(&[]), b, c])?;
    let plan = plan_from(&manifests, Options::default())?;
    let subjects: Vec<String> = plan
        .auth_delegations()
        .iter()
        .map(|d| format!("{}/{}", d.subject().namespace, d.subject().name))
        .collect();
    assert_eq!(subjects, ["ns/a", "ns/b"]);
    for target in plan.targets() {
        assert!(
            plan.auth_delegation_of(target).is_some(),
            "{:?}",
            target.name()
        );
    }
    let check = plan.check(&manifests);
    assert!(check.is_clean(), "{:#?}", check.findings);
    assert_eq!(check.pickers.len(), 3);
    // Without the bindings, each picker is a finding of its own.
    let bundle: Vec<Value> = objects(&plan)?
        .into_iter()
        .filter(|o| o["roleRef"]["name"] != "system:auth-delegator")
        .collect();
    let check = check_objects(&manifests, &bundle)?;
    let named: Vec<String> = check.findings.iter().map(place).collect();
    assert_eq!(
        named,
        [
            "Deployment/ns/a spec.template.spec.serviceAccountName",
            "Deployment/ns/b spec.template.spec.serviceAccountName",
            "Deployment/ns/c spec.template.spec.serviceAccountName",
        ]
    );
    Ok(())
}
