//! `render --from`: the real endpoint-picker manifests of `../shared/reference/epp/`, with
//! model servers planted beside them, give bundles that scrape exactly the pickers; hostile and
//! malformed manifests give exit 2 or warnings, never a panic.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde_yaml::Value;

use crate::cli::{TestResult, igw};

fn shared_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared")
}

/// The documents of a YAML stream, empty ones left out.
fn documents(text: &str) -> Result<Vec<Value>, serde_yaml::Error> {
    let mut values = Vec::new();
    for document in serde_yaml::Deserializer::from_str(text) {
        let value = Value::deserialize(document)?;
        if !value.is_null() {
            values.push(value);
        }
    }
    Ok(values)
}

/// One pod template of the input: `Kind/namespace/name`, its labels, whether it runs `epp`
/// and that container's port names.
struct Template {
    id: String,
    labels: BTreeMap<String, String>,
    picker: bool,
    ports: Vec<String>,
}

fn templates(objects: &[Value]) -> Vec<Template> {
    let mut found = Vec::new();
    for object in objects {
        let kind = object["kind"].as_str().unwrap_or_default();
        if !matches!(kind, "Deployment" | "StatefulSet") {
            continue;
        }
        let template = &object["spec"]["template"];
        let labels =
            serde_yaml::from_value(template["metadata"]["labels"].clone()).unwrap_or_default();
        let containers = template["spec"]["containers"]
            .as_sequence()
            .cloned()
            .unwrap_or_default();
        let epp = containers
            .iter()
            .find(|c| c["name"].as_str() == Some("epp"));
        found.push(Template {
            id: format!(
                "{kind}/{}/{}",
                object["metadata"]["namespace"]
                    .as_str()
                    .unwrap_or("default"),
                object["metadata"]["name"].as_str().unwrap_or_default()
            ),
            labels,
            picker: epp.is_some(),
            ports: epp
                .and_then(|c| c["ports"].as_sequence())
                .into_iter()
                .flatten()
                .filter_map(|p| p["name"].as_str().map(str::to_owned))
                .collect(),
        });
    }
    found
}

/// Model servers beside each picker, in its namespace, sharing all its pod labels but one
/// (the others' values too), so that only a well-chosen selector leaves them out.
fn model_servers(pickers: &[&Template]) -> String {
    let mut text = String::new();
    for (i, picker) in pickers.iter().enumerate() {
        let namespace = picker.id.split('/').nth(1).unwrap_or("default");
        let mut labels = picker.labels.clone();
        if let Some(key) = labels.keys().next().cloned() {
            labels.insert(key.clone(), format!("{}-model", labels[&key]));
        }
        labels.insert("app".to_owned(), format!("vllm-{i}"));
        let labels: String = labels
            .iter()
            .map(|(k, v)| format!("        {k:?}: {v:?}\n"))
            .collect();
        text.push_str(&format!(
            "---\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: vllm-{i}\n  namespace: {namespace}\nspec:\n  selector:\n    matchLabels:\n      app: vllm-{i}\n  template:\n    metadata:\n      labels:\n{labels}    spec:\n      containers:\n      - name: vllm\n        image: vllm/vllm-openai:v0.8.0\n        ports:\n        - name: http\n          containerPort: 8000\n        - name: metrics\n          containerPort: 8000\n"
        ));
    }
    text
}

/// Whether a rendered selector (matchLabels and In/NotIn/Exists/DoesNotExist) selects `labels`.
fn matches(selector: &Value, labels: &BTreeMap<String, String>) -> bool {
    let pairs = selector["matchLabels"]
        .as_mapping()
        .cloned()
        .unwrap_or_default();
    let by_labels = pairs.iter().all(|(k, v)| {
        labels
            .get(k.as_str().unwrap_or_default())
            .map(String::as_str)
            == v.as_str()
    });
    let by_expressions = selector["matchExpressions"]
        .as_sequence()
        .into_iter()
        .flatten()
        .all(|e| {
            let value = labels.get(e["key"].as_str().unwrap_or_default());
            let values: Vec<&str> = e["values"]
                .as_sequence()
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
                .collect();
            match e["operator"].as_str() {
                Some("In") => value.is_some_and(|v| values.contains(&v.as_str())),
                Some("NotIn") => !value.is_some_and(|v| values.contains(&v.as_str())),
                Some("Exists") => value.is_some(),
                _ => value.is_none(),
            }
        });
    by_labels && by_expressions
}

/// The request metric of each schema: the one a bundle of that release must query.
const REQUEST_METRICS: [&str; 3] = [
    "inference_model_request_duration_seconds",
    "inference_objective_request_duration_seconds",
    "llm_d_epp_request_duration_seconds",
];

#[test]
#[ignore = "needs ../shared and the offline validators (Python): run ../shared/conformance/setup.sh --with-checkov, then cargo test -- --include-ignored"]
fn render_from_every_real_manifest_scrapes_exactly_its_pickers() -> TestResult {
    let dir = tempfile::tempdir()?;
    let mut bundles = Vec::new();
    // Which schema each manifest's image names (LDR's chart defaults to tag main: the newest).
    let expected = [
        ("gie-v1.0.0-raw-manifests.yaml", REQUEST_METRICS[0]),
        (
            "gie-v1.5.0-inferencepool-chart-gke.yaml",
            REQUEST_METRICS[1],
        ),
        (
            "gie-v1.5.0-standalone-chart-no-pool.yaml",
            REQUEST_METRICS[1],
        ),
        (
            "llm-d-router-v0.10.0-gateway-chart-gmp.yaml",
            REQUEST_METRICS[2],
        ),
    ];
    let listed: Vec<_> = std::fs::read_dir(shared_dir().join("reference/epp"))?
        .filter_map(Result::ok)
        .filter(|e| e.path().extension().is_some_and(|x| x == "yaml"))
        .collect();
    assert_eq!(
        listed.len(),
        expected.len(),
        "a new reference manifest needs its row here"
    );
    for (file, metric) in expected {
        let text = std::fs::read_to_string(shared_dir().join("reference/epp").join(file))?;
        let objects = documents(&text)?;
        let originals = templates(&objects);
        let pickers: Vec<&Template> = originals.iter().filter(|t| t.picker).collect();
        assert!(!pickers.is_empty(), "{file}: no picker");
        let input = dir.path().join(file);
        std::fs::write(&input, format!("{text}\n{}", model_servers(&pickers)))?;
        let all = templates(&documents(&std::fs::read_to_string(&input)?)?);

        let run = igw(["render".as_ref(), "--from".as_ref(), input.as_os_str()])?;
        assert_eq!(run.code, Some(0), "{file}: {}", run.show());
        let rendered = documents(&run.stdout)?;
        let monitorings: Vec<&Value> = rendered
            .iter()
            .filter(|o| o["kind"].as_str() == Some("ClusterPodMonitoring"))
            .collect();
        assert_eq!(
            monitorings.len(),
            pickers.len(),
            "{file}: one monitoring per picker"
        );
        for picker in &pickers {
            let selecting: Vec<&&Value> = monitorings
                .iter()
                .filter(|m| matches(&m["spec"]["selector"], &picker.labels))
                .collect();
            assert_eq!(selecting.len(), 1, "{file}: {} selected once", picker.id);
            let monitoring = selecting[0];
            for other in all.iter().filter(|t| t.id != picker.id) {
                assert!(
                    !matches(&monitoring["spec"]["selector"], &other.labels),
                    "{file}: the monitoring of {} also selects {}",
                    picker.id,
                    other.id
                );
            }
            let port = monitoring["spec"]["endpoints"][0]["port"]
                .as_str()
                .ok_or("port by name")?;
            assert!(
                picker.ports.iter().any(|p| p == port),
                "{file}: port {port} is not on {}'s epp container",
                picker.id
            );
            assert_eq!(port, "metrics");
        }
        let objects: Vec<igw_monitoring::Object<'static>> =
            serde_yaml::Deserializer::from_str(&run.stdout)
                .map(igw_monitoring::Object::deserialize)
                .collect::<Result<_, _>>()?;
        let broken = igw_monitoring::relations::broken_links(objects, "gmp-system");
        assert!(broken.is_empty(), "{file}: {broken:?}");

        let alerts = igw(["alerts".as_ref(), "--from".as_ref(), input.as_os_str()])?;
        assert_eq!(alerts.code, Some(0), "{file}: {}", alerts.show());
        for name in REQUEST_METRICS {
            assert_eq!(
                alerts.stdout.contains(name),
                name == metric,
                "{file}: alerts and {name}"
            );
        }
        let bundle = dir.path().join(format!("bundle-{file}"));
        std::fs::write(&bundle, &run.stdout)?;
        bundles.push(bundle);
    }
    let output = std::process::Command::new(shared_dir().join("conformance/check.sh"))
        .args(&bundles)
        .output()?;
    let report = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success() && report.contains(" 0 failed"),
        "{report}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    Ok(())
}

/// A picker Deployment in `namespace` with pod labels `labels` and extra `args`.
fn picker(name: &str, namespace: &str, labels: &str, args: &str) -> String {
    format!(
        "---\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {name}\n  namespace: {namespace}\nspec:\n  selector:\n    matchLabels: {labels}\n  template:\n    metadata:\n      labels: {labels}\n    spec:\n      serviceAccountName: {name}\n      containers:\n      - name: epp\n        image: registry.k8s.io/gateway-api-inference-extension/epp:v1.5.0\n        args: [--pool-name, pool{args}]\n        ports:\n        - name: metrics\n          containerPort: 9090\n"
    )
}

fn render_from(dir: &Path, text: &str, extra: &[&str]) -> TestResult<crate::cli::Run> {
    let file = dir.join("in.yaml");
    std::fs::write(&file, text)?;
    let mut args = vec![
        "render".to_owned(),
        "--from".to_owned(),
        file.display().to_string(),
    ];
    args.extend(extra.iter().map(|s| (*s).to_owned()));
    Ok(igw(args)?)
}

#[test]
fn malformed_and_hostile_manifests_exit_2_and_name_the_problem() -> TestResult {
    let dir = tempfile::tempdir()?;
    let bomb = {
        let mut text =
            String::from("a: &a [\"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\"]\n");
        let mut previous = 'a';
        for name in 'b'..='z' {
            text.push_str(&format!(
                "{name}: &{name} [*{previous}, *{previous}, *{previous}, *{previous}]\n"
            ));
            previous = name;
        }
        text
    };
    let huge_list = format!(
        "{{\"kind\": \"List\", \"items\": [{}]}}",
        vec!["{\"kind\": \"ConfigMap\", \"metadata\": {\"name\": \"x\"}}"; 200_000].join(",")
    );
    let cases: Vec<(&str, String, &str)> = vec![
        (
            "a sequence",
            "- a\n- b\n".to_owned(),
            "is not a Kubernetes object",
        ),
        (
            "a scalar",
            "hello\n".to_owned(),
            "is not a Kubernetes object",
        ),
        ("invalid YAML", "kind: [\n".to_owned(), "is not valid YAML"),
        (
            "no kind",
            "apiVersion: v1\nmetadata: {}\n".to_owned(),
            "has no kind",
        ),
        (
            "a Deployment of the wrong shape",
            "kind: Deployment\nspec: 3\n".to_owned(),
            "does not read as a Deployment",
        ),
        (
            "items not a list",
            "kind: List\nitems: 3\n".to_owned(),
            "items is not a list",
        ),
        // serde_yaml's own repetition limit may stop it before the alias budget does.
        ("an alias bomb", bomb, "aliases|repetition limit"),
        (
            "a huge List of nothing",
            huge_list,
            "hold no endpoint picker",
        ),
        ("nothing", String::new(), "hold no endpoint picker"),
        (
            "two pickers alike",
            format!(
                "{}{}",
                picker("a", "ns", "{app: epp}", ""),
                picker("b", "ns", "{app: epp}", "")
            ),
            "Deployment/ns/b",
        ),
        (
            "a picker its model server cannot be told from",
            format!(
                "{}{}",
                picker("a", "ns", "{app: x}", ""),
                picker("vllm", "ns", "{app: x, more: y}", "")
                    .replace("name: epp", "name: vllm")
                    .replace("gateway-api-inference-extension/epp", "vllm")
            ),
            "do not set its pods apart",
        ),
        (
            "a bad --metrics-port",
            picker("a", "ns", "{app: x}", ", --metrics-port=http"),
            "--metrics-port",
        ),
    ];
    for (what, text, expected) in cases {
        let run = render_from(dir.path(), &text, &[])?;
        assert_eq!(run.code, Some(2), "{what}: {}", run.show());
        assert!(run.stdout.is_empty(), "{what}: {}", run.show());
        assert!(
            expected.split('|').any(|e| run.stderr.contains(e)),
            "{what}: {}",
            run.show()
        );
        assert!(!run.stderr.contains("panicked"), "{what}: {}", run.show());
    }
    Ok(())
}

#[test]
fn choosing_the_pods_beside_from_is_refused() -> TestResult {
    let dir = tempfile::tempdir()?;
    for extra in [
        &["--preset", "raw-v0.1"][..],
        &["--selector", "app=x"],
        &["--target", "t=app=x"],
    ] {
        let run = render_from(dir.path(), &picker("a", "ns", "{app: x}", ""), extra)?;
        assert_eq!(run.code, Some(2), "{extra:?}: {}", run.show());
        assert!(
            run.stderr
                .contains("conflicts with reading the endpoint pickers"),
            "{}",
            run.show()
        );
    }
    Ok(())
}

#[test]
fn flags_apply_over_what_the_manifests_say() -> TestResult {
    let dir = tempfile::tempdir()?;
    let text = picker("a", "ns", "{app: x}", ", --metrics-port=9091");
    let run = render_from(dir.path(), &text, &[])?;
    assert_eq!(run.code, Some(0), "{}", run.show());
    assert!(run.stdout.contains("port: 9091\n"), "{}", run.show());
    let run = render_from(
        dir.path(),
        &text,
        &["--port", "metrics", "--metrics-schema", "llm-d-epp"],
    )?;
    assert_eq!(run.code, Some(0), "{}", run.show());
    // `--port metrics` is the default: the manifests' number stays; the schema flag wins.
    assert!(run.stdout.contains("port: 9091\n"), "{}", run.show());
    Ok(())
}

#[test]
fn warnings_go_to_stderr_and_the_bundle_still_renders() -> TestResult {
    let dir = tempfile::tempdir()?;
    let pool = "---\napiVersion: inference.networking.k8s.io/v1\nkind: InferencePool\nmetadata: {name: p, namespace: ns}\nspec:\n  endpointPickerRef: {name: p-epp}\n---\napiVersion: v1\nkind: Service\nmetadata: {name: p-epp, namespace: ns}\nspec:\n  selector: {app: nothing}\n";
    let text = format!(
        "{pool}{}",
        picker(
            "a",
            "ns",
            "{app: x}",
            ", --metrics-cert-dir=/certs, --metrics-client-ca-file=/ca/ca.crt"
        )
        .replace("epp:v1.5.0", "epp:main")
    );
    let run = render_from(dir.path(), &text, &[])?;
    assert_eq!(run.code, Some(0), "{}", run.show());
    for expected in [
        "warning: Service/ns/p-epp: selects no Deployment or StatefulSet",
        "warning: targets[0].tls: Deployment/ns/a serves /metrics over TLS",
        "--tls-ca-secret",
        "--tls-cert-secret",
        "names no release this tool knows",
    ] {
        assert!(run.stderr.contains(expected), "{expected}: {}", run.show());
    }
    assert!(run.stdout.contains("scheme: https\n"), "{}", run.show());
    // Nothing grants the picker's ServiceAccount the reviews: the bundle delegates it.
    assert!(
        run.stdout.contains("system:auth-delegator"),
        "{}",
        run.show()
    );
    Ok(())
}

#[test]
fn stdin_and_kubectl_json_lists_are_read() -> TestResult {
    let value: serde_json::Value = serde_yaml::from_str(&picker("a", "ns", "{app: x}", ""))?;
    let list = serde_json::json!({"apiVersion": "v1", "kind": "List", "items": [
        value,
        {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding",
         "metadata": {"name": "a-reviews"},
         "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "system:auth-delegator"},
         "subjects": [{"kind": "ServiceAccount", "name": "a", "namespace": "ns"}]}
    ]});
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_igw-monitoring"))
        .args(["render", "--from", "-"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()?;
    {
        use std::io::Write;
        let mut stdin = child.stdin.take().ok_or("stdin")?;
        stdin.write_all(serde_json::to_string_pretty(&list)?.as_bytes())?;
    }
    let output = child.wait_with_output()?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(stdout.contains("app: x\n"), "{stdout}");
    // The picker may review tokens already: no delegation.
    assert!(!stdout.contains("system:auth-delegator"), "{stdout}");
    Ok(())
}
