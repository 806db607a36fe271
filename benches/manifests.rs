//! Reading and discovering in the user's manifests: 10,000 workloads (5,000 pickers, each with a
//! model server whose labels overlap its own, and a Service per picker) as a YAML stream and as
//! kubectl's JSON List, read into the index and searched for pickers (throughput in input
//! bytes); and the bundle made of them checked against them (`check`, in monitorings).

// A benchmark that cannot build its input has nothing to measure: failing loudly is the report.
#![allow(clippy::expect_used, missing_docs)]

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use igw_monitoring::manifests::{self, Manifests};
use igw_monitoring::{Given, Options, Plan};

/// `n` workloads over 50 namespaces: every other one a picker, the rest model servers sharing
/// its `pool` label.
fn workloads(n: usize) -> Vec<serde_json::Value> {
    (0..n)
        .map(|i| {
            let picker = i % 2 == 0;
            let pool = format!("pool-{}", i / 2);
            let (name, container, image) = if picker {
                (
                    format!("{pool}-epp"),
                    "epp",
                    "registry.k8s.io/gateway-api-inference-extension/epp:v1.5.0",
                )
            } else {
                (format!("{pool}-vllm"), "vllm", "vllm/vllm-openai:v0.8.0")
            };
            let labels = serde_json::json!({"app": name, "pool": pool, "team": "ml"});
            serde_json::json!({
                "apiVersion": "apps/v1", "kind": "Deployment",
                "metadata": {"name": name, "namespace": format!("ns{}", i % 50)},
                "spec": {"selector": {"matchLabels": {"app": name}}, "template": {
                    "metadata": {"labels": labels},
                    "spec": {"containers": [{"name": container, "image": image,
                        "args": ["--pool-name", pool],
                        "ports": [{"name": "metrics", "containerPort": 9090}]}]}}}
            })
        })
        .collect()
}

fn discover(c: &mut Criterion) {
    let items = workloads(10_000);
    let json = serde_json::to_string(
        &serde_json::json!({"apiVersion": "v1", "kind": "List", "items": items}),
    )
    .expect("JSON");
    let yaml: String = items
        .iter()
        .map(|item| format!("---\n{}", serde_yaml::to_string(item).expect("YAML")))
        .collect();
    let mut group = c.benchmark_group("10,000 workloads");
    group.sample_size(10);
    for (format, text) in [("JSON List", &json), ("YAML stream", &yaml)] {
        group.throughput(Throughput::Bytes(text.len() as u64));
        group.bench_function(format!("read + discover ({format})"), |b| {
            b.iter(|| {
                let mut index = Manifests::new();
                index.read("bench", black_box(text)).expect("reads");
                manifests::from_manifests(&index).expect("discovers")
            })
        });
    }
    // The nesting bound every YAML reader checks first: its share of reading the stream.
    group.throughput(Throughput::Bytes(yaml.len() as u64));
    group.bench_function("nesting bound alone (YAML stream)", |b| {
        b.iter(|| manifests::nesting_within(black_box(&yaml), manifests::MAX_NESTING))
    });
    // `check`: the 5,000 monitorings of the bundle discovered above, judged against the same
    // manifests (read once, as the command reads them once).
    let mut index = Manifests::new();
    index.read("bench", &json).expect("reads");
    // Every picker runs as its namespace's default ServiceAccount; let each review tokens.
    for ns in 0..50 {
        index.add("bench", serde_json::json!({
            "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding",
            "metadata": {"name": format!("ns{ns}-reviews")},
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "system:auth-delegator"},
            "subjects": [{"kind": "ServiceAccount", "name": "default", "namespace": format!("ns{ns}")}]
        })).expect("adds");
    }
    let (options, _) = manifests::from_manifests(&index)
        .expect("discovers")
        .apply(Options::default(), &Given::new())
        .expect("applies");
    let plan = Plan::try_from(options).expect("plans");
    group.throughput(Throughput::Elements(plan.targets().len() as u64));
    group.bench_function("check 5,000 monitorings", |b| {
        b.iter(|| {
            let check = black_box(&plan).check(black_box(&index));
            assert!(check.is_clean(), "{:?}", check.findings.first());
            check
        })
    });
    group.finish();
}

criterion_group!(benches, discover);
criterion_main!(benches);
