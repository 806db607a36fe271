//! Manifests the user did not write (chart output, cluster dumps, other teams' YAML), read
//! through the library: values the API server would refuse are refused, the objects a cluster
//! holds beside a workload are that workload, a picker is known by its container, and every
//! reader and message stays bounded (issue 20).

use igw_monitoring::manifests::{self, Manifests};
use igw_monitoring::{Given, MetricsSchema, MonitoringMode, Options, Plan};

use crate::support::TestResult;

/// A picker Deployment `name` in `namespace` with pod labels `labels` (flow YAML), image
/// `image` and container `args` (flow YAML items after `--pool-name pool`).
fn picker(name: &str, namespace: &str, labels: &str, image: &str, args: &str) -> String {
    format!(
        "---\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {name}\n  namespace: {namespace}\n  uid: uid-{namespace}-{name}\nspec:\n  selector:\n    matchLabels: {labels}\n  template:\n    metadata:\n      labels: {labels}\n    spec:\n      serviceAccountName: {name}\n      containers:\n      - name: epp\n        image: {image}\n        args: [--pool-name, pool{args}]\n        ports:\n        - name: metrics\n          containerPort: 9090\n"
    )
}

const IMAGE: &str = "registry.k8s.io/gateway-api-inference-extension/epp:v1.5.0";

fn read(text: &str) -> Result<Manifests, igw_monitoring::Problems> {
    let mut index = Manifests::new();
    index.read("in.yaml", text)?;
    Ok(index)
}

/// Every value the scrape chain reads of an object, set to what the API server refuses, is
/// refused by the reader with the document, the field and the rule; a valid manifest around
/// it reads.
#[test]
fn values_the_api_server_refuses_are_refused_when_read() -> TestResult {
    let good = picker("epp", "inference", "{app: epp}", IMAGE, "");
    assert!(read(&good).is_ok());
    let hostile = [
        "--server=https://attacker:443",
        "--context=other",
        "-n",
        "a\nfinding: forged",
        "nul\u{0}name",
        "UPPER",
        "quote\"d",
        "",
    ];
    let places: [(&str, &str, &str); 6] = [
        (
            "  name: epp\n  namespace",
            "  name: {}\n  namespace",
            "metadata.name",
        ),
        (
            "  namespace: inference",
            "  namespace: {}",
            "metadata.namespace",
        ),
        (
            "      - name: epp",
            "      - name: {}",
            "spec.template.spec.containers[0].name",
        ),
        (
            "      serviceAccountName: epp",
            "      serviceAccountName: {}",
            "spec.template.spec.serviceAccountName",
        ),
        (
            "        - name: metrics",
            "        - name: {}",
            "ports[0].name",
        ),
        (
            "      labels: {app: epp}",
            "      labels: {app: {}}",
            "metadata.labels",
        ),
    ];
    for value in hostile {
        for (from, to, field) in places {
            // The empty ServiceAccount name is "none"; empty and upper-case label values are
            // valid.
            let valid = field.contains("labels") && matches!(value, "" | "UPPER");
            if valid || (value.is_empty() && field.contains("serviceAccount")) {
                continue;
            }
            let quoted = serde_json::to_string(value)?;
            let text = good.replacen(from, &to.replace("{}", &quoted), 1);
            let problems = match read(&text) {
                Ok(_) => return Err(format!("{field} = {value:?} was read").into()),
                Err(problems) => problems,
            };
            let shown = problems.to_string();
            assert!(
                problems.iter().any(|p| p.field.starts_with("in.yaml[0] ")
                    && p.field.contains(field)
                    && p.rule.contains("the API server refuses this Deployment")),
                "{field} = {value:?}: {shown}"
            );
            // Nothing of the value reaches the message raw.
            assert!(
                !shown.contains("\nfinding: forged") && !shown.contains('\u{0}'),
                "{shown}"
            );
        }
    }
    Ok(())
}

/// A Deployment with its ReplicaSet and Pods, as a cluster holds them: the owned objects carry
/// the picker's labels and are its pods, so the selector is the one the Deployment alone gets.
#[test]
fn a_workloads_replica_sets_and_pods_are_its_own() -> TestResult {
    let deployment = picker("epp", "inference", "{app: epp}", IMAGE, "");
    let alone = manifests::from_manifests(&read(&deployment)?)?;
    let owned = format!(
        "{deployment}---\napiVersion: apps/v1\nkind: ReplicaSet\nmetadata:\n  name: epp-5d8f7c9b4\n  namespace: inference\n  ownerReferences: [{{apiVersion: apps/v1, kind: Deployment, name: epp, uid: uid-inference-epp, controller: true}}]\nspec:\n  selector: {{matchLabels: {{app: epp, pod-template-hash: 5d8f7c9b4}}}}\n  template:\n    metadata: {{labels: {{app: epp, pod-template-hash: 5d8f7c9b4}}}}\n    spec: {{containers: [{{name: epp, image: {IMAGE}}}]}}\n---\napiVersion: v1\nkind: Pod\nmetadata:\n  name: epp-5d8f7c9b4-x2x9z\n  namespace: inference\n  labels: {{app: epp, pod-template-hash: 5d8f7c9b4}}\n  ownerReferences: [{{apiVersion: apps/v1, kind: ReplicaSet, name: epp-5d8f7c9b4, uid: other, controller: true}}]\nspec: {{containers: [{{name: epp, image: {IMAGE}}}]}}\n"
    );
    assert_eq!(manifests::from_manifests(&read(&owned)?)?, alone);
    // A Pod whose ReplicaSet was not dumped belongs to the Deployment its hash names.
    let orphan = owned.replacen(
        "kind: ReplicaSet\nmetadata:\n  name: epp-5d8f7c9b4",
        "kind: ReplicaSet\nmetadata:\n  name: unrelated",
        1,
    );
    let orphan = orphan.replace("ownerReferences: [{apiVersion: apps/v1, kind: Deployment, name: epp, uid: uid-inference-epp, controller: true}]", "labels: {}");
    assert!(
        manifests::from_manifests(&read(&orphan)?).is_err(),
        "an unowned ReplicaSet with the picker's labels is another workload"
    );
    Ok(())
}

/// Every kind that makes pods is a pod template a derived selector must leave out.
#[test]
fn every_workload_kind_is_a_pod_template_to_leave_out() -> TestResult {
    let deployment = picker("epp", "inference", "{app: epp, tier: epp}", IMAGE, "");
    let template = "template: {metadata: {labels: {app: epp, tier: other}}, spec: {containers: [{name: c, image: busybox}]}}";
    let others = [
        format!("apiVersion: apps/v1\nkind: ReplicaSet\nmetadata: {{name: rs, namespace: inference}}\nspec: {{selector: {{matchLabels: {{app: epp}}}}, {template}}}"),
        format!("apiVersion: batch/v1\nkind: Job\nmetadata: {{name: job, namespace: inference}}\nspec: {{{template}}}"),
        format!("apiVersion: batch/v1\nkind: CronJob\nmetadata: {{name: cron, namespace: inference}}\nspec: {{schedule: '* * * * *', jobTemplate: {{spec: {{{template}}}}}}}"),
        format!("apiVersion: v1\nkind: ReplicationController\nmetadata: {{name: rc, namespace: inference}}\nspec: {{{template}}}"),
        "apiVersion: v1\nkind: Pod\nmetadata: {name: bare, namespace: inference, labels: {app: epp, tier: other}}\nspec: {containers: [{name: c, image: busybox}]}".to_owned(),
    ];
    for other in others {
        let text = format!("{deployment}---\n{other}\n");
        let discovery = manifests::from_manifests(&read(&text)?)?;
        let selector = &discovery.pickers[0].selector.match_labels;
        assert_eq!(
            selector.get("tier").map(String::as_str),
            Some("epp"),
            "{other}: {selector:?}"
        );
    }
    Ok(())
}

/// An InferencePool whose Service selects only a model server has no picker here: the model
/// server is not made one, and nothing binds its ServiceAccount to system:auth-delegator.
#[test]
fn a_service_alone_makes_no_picker() -> TestResult {
    let text = "apiVersion: inference.networking.k8s.io/v1\nkind: InferencePool\nmetadata: {name: pool, namespace: ns}\nspec: {endpointPickerRef: {name: pool-epp}}\n---\napiVersion: v1\nkind: Service\nmetadata: {name: pool-epp, namespace: ns}\nspec: {selector: {app: vllm}}\n---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {name: vllm, namespace: ns}\nspec:\n  selector: {matchLabels: {app: vllm}}\n  template:\n    metadata: {labels: {app: vllm}}\n    spec: {containers: [{name: vllm, image: vllm/vllm-openai:v0.8.0, args: [--port, '8000']}]}\n";
    let problems = match manifests::from_manifests(&read(text)?) {
        Ok(found) => return Err(format!("a model server was made a picker: {found:?}").into()),
        Err(problems) => problems,
    };
    assert!(
        problems.to_string().contains("hold no endpoint picker"),
        "{problems}"
    );
    Ok(())
}

/// Image references with digests, and a registry's port, still name the release's tag.
#[test]
fn digest_pinned_images_get_their_tags_schema() -> TestResult {
    for (image, schema) in [
        (
            "registry.k8s.io/gateway-api-inference-extension/epp:v1.0.0@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
            MetricsSchema::InferenceModel,
        ),
        (
            "localhost:5000/gateway-api-inference-extension/epp:v1.5.0",
            MetricsSchema::InferenceObjective,
        ),
        (
            "ghcr.io/llm-d/llm-d-router-endpoint-picker:v0.10.0@sha256:ab",
            MetricsSchema::LlmDEpp,
        ),
    ] {
        let discovery =
            manifests::from_manifests(&read(&picker("epp", "ns", "{app: epp}", image, ""))?)?;
        assert_eq!(discovery.pickers[0].schema, Some(schema), "{image}");
    }
    Ok(())
}

/// Boolean flags as Go's flag package reads them: a separate word is never a boolean's value,
/// and reading stops at the first word that is not a flag.
#[test]
fn flags_are_read_as_gos_flag_package_reads_them() -> TestResult {
    // (args after `--pool-name pool`, auth on, TLS on)
    let cases = [
        ("", true, false),
        (", --metrics-endpoint-auth=false", false, false),
        (", -metrics-endpoint-auth=0", false, false),
        (", --metrics-endpoint-auth=F", false, false),
        // `false` is no value of the boolean: auth stays on, and Go stops at the word.
        (", --metrics-endpoint-auth, 'false'", true, false),
        (
            ", --metrics-endpoint-auth, 'false', --metrics-cert-dir, /certs",
            true,
            false,
        ),
        (", --metrics-endpoint-auth=nope", true, false),
        (", --metrics-cert-dir, /certs", true, true),
        (
            ", --metrics-cert-dir=/certs, --metrics-endpoint-auth=false",
            false,
            true,
        ),
        (", --metrics-cert-dir=", true, false),
        (", --, --metrics-cert-dir=/certs", true, false),
        (", stray, --metrics-cert-dir=/certs", true, false),
        // A string flag takes the next word, whatever it looks like.
        (", --zap-encoder, --metrics-cert-dir=/certs", true, false),
    ];
    for (args, auth, tls) in cases {
        let discovery =
            manifests::from_manifests(&read(&picker("epp", "ns", "{app: epp}", IMAGE, args))?)?;
        let found = &discovery.pickers[0];
        assert_eq!(
            (found.auth, found.scheme == igw_monitoring::Scheme::Https),
            (auth, tls),
            "{args}"
        );
    }
    Ok(())
}

/// Review rights granted to a group the ServiceAccount is in, or to its user name, count.
#[test]
fn review_rights_through_groups_and_users_are_seen() -> TestResult {
    let deployment = picker("epp", "ns", "{app: epp}", IMAGE, "");
    for subject in [
        "{kind: Group, apiGroup: rbac.authorization.k8s.io, name: 'system:serviceaccounts'}",
        "{kind: Group, apiGroup: rbac.authorization.k8s.io, name: 'system:serviceaccounts:ns'}",
        "{kind: Group, apiGroup: rbac.authorization.k8s.io, name: 'system:authenticated'}",
        "{kind: User, apiGroup: rbac.authorization.k8s.io, name: 'system:serviceaccount:ns:epp'}",
        "{kind: ServiceAccount, name: epp, namespace: ns}",
    ] {
        let text = format!(
            "{deployment}---\napiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata: {{name: reviews}}\nroleRef: {{apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: 'system:auth-delegator'}}\nsubjects: [{subject}]\n"
        );
        let index = read(&text)?;
        let discovery = manifests::from_manifests(&index)?;
        assert!(!discovery.pickers[0].needs_auth_delegation, "{subject}");
        let (options, _) = discovery.apply(Options::default(), &Given::new())?;
        let check = Plan::try_from(options)?.check(&index);
        assert!(check.is_clean(), "{subject}: {:?}", check.findings);
    }
    for other in [
        "{kind: Group, apiGroup: rbac.authorization.k8s.io, name: 'system:serviceaccounts:other'}",
        "{kind: User, apiGroup: rbac.authorization.k8s.io, name: 'system:serviceaccount:ns:other'}",
    ] {
        let text = format!(
            "{deployment}---\napiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata: {{name: reviews}}\nroleRef: {{apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: 'system:auth-delegator'}}\nsubjects: [{other}]\n"
        );
        assert!(
            manifests::from_manifests(&read(&text)?)?.pickers[0].needs_auth_delegation,
            "{other}"
        );
    }
    Ok(())
}

/// The same object given twice (the same file twice, a dump beside its manifests) is read
/// once; given twice with other contents, it is refused naming both places.
#[test]
fn an_object_given_twice_is_read_once() -> TestResult {
    let text = picker("epp", "ns", "{app: epp}", IMAGE, "");
    let mut index = Manifests::new();
    index.read("a.yaml", &text)?;
    index.read("b.yaml", &text)?;
    assert_eq!(index.deployments.len(), 1);
    assert_eq!(manifests::from_manifests(&index)?.pickers.len(), 1);
    let changed = text.replace("containerPort: 9090", "containerPort: 9091");
    let problems = match index.read("c.yaml", &changed) {
        Ok(()) => return Err("a changed copy was read".into()),
        Err(problems) => problems,
    };
    assert!(
        problems
            .iter()
            .any(|p| p.field == "c.yaml[0]" && p.also == ["a.yaml[0]"]),
        "{problems}"
    );
    Ok(())
}

/// The same Helm release in two namespaces: their pickers share every label, which a
/// ClusterPodMonitoring cannot tell apart (refused, saying so) and PodMonitorings can.
#[test]
fn one_release_in_two_namespaces_needs_pod_monitorings() -> TestResult {
    let labels = "{inferencepool: vllm-epp}";
    let text = format!(
        "{}{}",
        picker("vllm-epp", "team-a", labels, IMAGE, ""),
        picker("vllm-epp", "team-b", labels, IMAGE, "")
    );
    let index = read(&text)?;
    let refused = match manifests::from_manifests(&index) {
        Ok(_) => return Err("two namespaces' alike pickers were told apart cluster-wide".into()),
        Err(problems) => problems,
    };
    assert!(
        refused.to_string().contains("--monitoring pod"),
        "{refused}"
    );
    let discovery = manifests::discover(&index, MonitoringMode::Pod)?;
    assert_eq!(discovery.pickers.len(), 2);
    let options = Options {
        monitoring: MonitoringMode::Pod,
        ..Default::default()
    };
    let (options, _) = discovery.apply(options, &Given::new())?;
    let check = Plan::try_from(options)?.check(&index);
    assert!(check.is_clean(), "{:?}", check.findings);
    Ok(())
}

/// 2,000 pickers no selector tells apart are one problem naming a few, not 2,000 problems
/// each naming every other (213 MiB before).
#[test]
fn alike_pickers_are_one_bounded_problem() -> TestResult {
    let text: String = (0..2000)
        .map(|i| picker(&format!("epp-{i}"), "ns", "{app: epp}", IMAGE, ""))
        .collect();
    let problems = match manifests::from_manifests(&read(&text)?) {
        Ok(_) => return Err("alike pickers were told apart".into()),
        Err(problems) => problems,
    };
    assert_eq!(problems.len(), 1, "{problems}");
    let shown = problems.to_string();
    assert!(shown.len() < 2048, "{} bytes", shown.len());
    assert!(shown.contains("and 1996 more"), "{shown}");
    Ok(())
}

/// Input kubectl reads: a byte-order mark, YAML merge keys, concatenated JSON objects.
#[test]
fn a_bom_merge_keys_and_concatenated_json_are_read() -> TestResult {
    let plain = picker("epp", "ns", "{app: epp}", IMAGE, "");
    let expected = manifests::from_manifests(&read(&plain)?)?;
    let bom = format!("\u{feff}{plain}");
    assert_eq!(manifests::from_manifests(&read(&bom)?)?, expected);
    let merged = plain
        .replacen(
            "---\n",
            "---\ncommon: &common\n  name: epp\n  namespace: ns\n  uid: uid-ns-epp\n---\n",
            1,
        )
        .replacen(
            "metadata:\n  name: epp\n  namespace: ns\n  uid: uid-ns-epp\n",
            "metadata:\n  <<: *common\n",
            1,
        );
    // An anchor lives in one document: the merge and its anchor share it.
    let merged = merged
        .replacen("---\ncommon: &common", "---\nx-common: &common", 1)
        .replacen("\n---\napiVersion", "\napiVersion", 1);
    assert_eq!(
        manifests::from_manifests(&read(&merged)?)?,
        expected,
        "{merged}"
    );
    let value: serde_json::Value = serde_yaml::from_str(&plain)?;
    let json = format!(
        "{}\n{}",
        serde_json::to_string(&value)?,
        serde_json::to_string(
            &serde_json::json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "x"}})
        )?
    );
    assert_eq!(manifests::from_manifests(&read(&json)?)?, expected);
    Ok(())
}

/// Deeply nested collections are refused by the reader before libyaml spends seconds on them.
#[test]
fn deep_nesting_is_refused_at_once() {
    for text in [
        "{\"a\":".repeat(200_000),
        "[".repeat(1_000_000),
        "- ".repeat(500_000),
        format!("a: {}", "[".repeat(129)),
    ] {
        let problems = read(&text).err().map(|p| p.to_string()).unwrap_or_default();
        assert!(
            problems.contains("nests collections more than 128 deep"),
            "{problems}"
        );
    }
    // 128 deep is within: the document is refused for what it is, not for its depth.
    let within = format!("a: {}1{}", "[".repeat(127), "]".repeat(127));
    let problems = read(&within)
        .err()
        .map(|p| p.to_string())
        .unwrap_or_default();
    assert!(!problems.contains("nests"), "{problems}");
}

/// A selector search over a workload with many labels stays linear: 2,000 labels each shared
/// with another workload, the last one its own.
#[test]
fn a_picker_with_many_shared_labels_gets_the_pair_that_sets_it_apart() -> TestResult {
    let labels: Vec<String> = (0..2000).map(|i| format!("k{i}: v")).collect();
    let shared = format!("{{{}}}", labels.join(", "));
    let mine = format!("{{{}, own: yes-{}}}", labels.join(", "), "x");
    let text = format!(
        "{}{}",
        picker("epp", "ns", &mine, IMAGE, ""),
        picker("other", "ns", &shared, "busybox", "").replace("--pool-name, pool", "--x, y")
    );
    let discovery = manifests::from_manifests(&read(&text)?)?;
    let selector = &discovery.pickers[0].selector.match_labels;
    assert_eq!(selector.len(), 1, "{selector:?}");
    assert_eq!(selector.get("own").map(String::as_str), Some("yes-x"));
    Ok(())
}
