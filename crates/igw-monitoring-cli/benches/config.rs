//! Config loading, the part of a whole-process fleet render the library's benchmarks do not see:
//! the same 1,000- and 10,000-target fleets as YAML (serde_yaml) and as JSON (serde_json), then
//! the whole command in process (load, render, write to memory). Throughput is in input bytes.

// A benchmark that cannot build its input has nothing to measure: failing loudly is the report.
#![allow(clippy::expect_used, missing_docs)]

use std::ffi::OsString;
use std::hint::black_box;

use clap::Parser;
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use igw_monitoring_cli::config::parse;
use igw_monitoring_cli::{Cli, run};

/// A fleet of `n` targets over 50 namespaces, as YAML (the shape `scripts/bench-process.sh` uses).
fn fleet_yaml(n: usize) -> String {
    let mut text = String::from("targets:\n");
    for i in 0..n {
        text.push_str(&format!(
            "  - name: t{i}\n    namespace: ns{}\n    selector: {{matchLabels: {{app: epp-{i}}}}}\n",
            i % 50
        ));
    }
    text
}

fn as_json(yaml: &str) -> String {
    let value: serde_json::Value = serde_yaml::from_str(yaml).expect("fleet is YAML");
    serde_json::to_string(&value).expect("serializes")
}

fn config(c: &mut Criterion) {
    let mut group = c.benchmark_group("config: parse");
    group.sample_size(20);
    for n in [1_000, 10_000] {
        let yaml = fleet_yaml(n);
        let json = as_json(&yaml);
        for (format, text) in [("yaml", &yaml), ("json", &json)] {
            group.throughput(Throughput::Bytes(text.len() as u64));
            group.bench_with_input(BenchmarkId::new(format, n), text, |b, text| {
                b.iter(|| parse(black_box(text)).expect("valid"))
            });
        }
    }
    group.finish();

    let dir = tempfile::tempdir().expect("temporary folder");
    let mut group = c.benchmark_group("command: render --config (in process)");
    group.sample_size(20);
    let yaml = fleet_yaml(1_000);
    let json = as_json(&yaml);
    for (format, text) in [("yaml", yaml), ("json", json)] {
        let path = dir.path().join(format!("fleet.{format}"));
        std::fs::write(&path, &text).expect("writes");
        let args: [OsString; 4] = [
            "igw-monitoring".into(),
            "render".into(),
            "--config".into(),
            path.into(),
        ];
        let cli = Cli::try_parse_from(args).expect("valid command line");
        group.throughput(Throughput::Bytes(text.len() as u64));
        group.bench_function(BenchmarkId::new(format, 1_000), |b| {
            b.iter(|| {
                let mut out = Vec::new();
                run(black_box(&cli), &mut out, &mut std::io::sink());
                out
            })
        });
    }
    group.finish();
}

criterion_group!(benches, config);
criterion_main!(benches);
