//! Build, validate and render costs: the default bundle (against serde_yaml serializing the same
//! typed objects, the baseline the template emitter must beat), fleets of 1 to 10,000 targets
//! (streamed, and as a whole bundle), and validation alone on a 10,000-target config.
//! Throughput is reported in output bytes.

// A benchmark that cannot build its input has nothing to measure: failing loudly is the report.
#![allow(clippy::expect_used, missing_docs)]

use igw_monitoring::Objects;
use std::hint::black_box;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use igw_monitoring::Target;
use igw_monitoring::{LabelSelector, Options};

/// Options with `n` targets spread over 50 namespaces.
fn fleet(n: usize) -> Options {
    Options {
        targets: (0..n)
            .map(|i| Target {
                name: format!("t{i}"),
                namespace: Some(format!("ns{}", i % 50)),
                selector: Some(LabelSelector::default().match_label("app", format!("epp-{i}"))),
                preset: None,
                service_selector: None,
                tls: None,
                auth_delegation: None,
                port: None,
                scheme: None,
            })
            .collect(),
        ..Options::default()
    }
}

fn default_bundle(c: &mut Criterion) {
    let options = Options::default();
    let bundle = options.build().expect("valid");
    let bytes = bundle.to_yaml().expect("renders").len() as u64;
    let mut group = c.benchmark_group("default bundle");
    group.throughput(Throughput::Bytes(bytes));
    group.bench_function("build + validate + render (askama)", |b| {
        b.iter(|| {
            black_box(&options)
                .build()
                .and_then(|b| b.to_yaml())
                .expect("renders")
        })
    });
    group.bench_function("render only (askama)", |b| {
        b.iter(|| black_box(&bundle).to_yaml().expect("renders"))
    });
    group.bench_function("render only (serde_yaml baseline)", |b| {
        b.iter(|| {
            let mut out = String::new();
            for object in black_box(&bundle).objects() {
                out.push_str("---\n");
                out.push_str(&serde_yaml::to_string(&object).expect("serializes"));
            }
            out
        })
    });
    group.finish();
}

/// One way of turning options into YAML.
type Render = fn(&Options) -> Result<String, igw_monitoring::Error>;

fn fleets(c: &mut Criterion) {
    // `render_yaml` is what `igw-monitoring render` runs; `build()?.to_yaml()` holds every
    // object at once (what a library user gets with a `Bundle`).
    let paths: [(&str, Render); 2] = [
        ("fleet: render_yaml (streamed)", Options::render_yaml),
        ("fleet: build + to_yaml (whole bundle)", |o| {
            o.build()?.to_yaml()
        }),
    ];
    for (name, render) in paths {
        let mut group = c.benchmark_group(name);
        group.sample_size(20);
        for n in [1, 100, 1_000, 10_000] {
            let options = fleet(n);
            let bytes = render(&options).expect("renders").len() as u64;
            group.throughput(Throughput::Bytes(bytes));
            group.bench_with_input(BenchmarkId::from_parameter(n), &options, |b, options| {
                b.iter(|| render(black_box(options)).expect("renders"))
            });
        }
        group.finish();
    }
    let options = fleet(10_000);
    let mut group = c.benchmark_group("validation");
    group.sample_size(20);
    group.bench_function("10000 targets", |b| {
        b.iter(|| black_box(&options).validate().expect("valid"))
    });
    group.finish();
}

criterion_group!(benches, default_bundle, fleets);
criterion_main!(benches);
