//! Each preset, in its chart's default shape and (where a chart has one) without an
//! InferencePool, renders a selector that matches the endpoint picker pods of the real
//! manifests in `../shared/reference/epp/`, and no other shape's; the `epp` container serves
//! `/metrics` on the release table's port; and every install of FACTS.md's pod-label table
//! (the ones without a manifest too) gets exactly its label.

use std::collections::BTreeMap;

use serde::Deserialize;

use crate::support::{TestResult, shared_dir};
use igw_monitoring::releases::{self, METRICS_PORT};
use igw_monitoring::{LabelSelector, Options, Preset, PresetFlavor, SelectorOperator};

/// A preset's flavor and its `createInferencePool`.
type Shape = (PresetFlavor, bool);

/// A Deployment's pod-template labels and the ports of its `epp` container.
struct PickerPods {
    labels: BTreeMap<String, String>,
    ports: Vec<(String, i64)>,
}

/// The Deployments of `file` that run an `epp` container.
fn picker_pods(file: &str) -> Result<Vec<PickerPods>, Box<dyn std::error::Error>> {
    let text = std::fs::read_to_string(shared_dir().join("reference/epp").join(file))?;
    let mut found = Vec::new();
    for document in serde_yaml::Deserializer::from_str(&text) {
        let value = serde_yaml::Value::deserialize(document)?;
        if value["kind"].as_str() != Some("Deployment") {
            continue;
        }
        let template = &value["spec"]["template"];
        let containers = template["spec"]["containers"]
            .as_sequence()
            .cloned()
            .unwrap_or_default();
        let Some(epp) = containers
            .iter()
            .find(|c| c["name"].as_str() == Some("epp"))
        else {
            continue;
        };
        let labels: BTreeMap<String, String> =
            serde_yaml::from_value(template["metadata"]["labels"].clone())?;
        let ports = epp["ports"]
            .as_sequence()
            .into_iter()
            .flatten()
            .filter_map(|p| Some((p["name"].as_str()?.to_owned(), p["containerPort"].as_i64()?)))
            .collect();
        found.push(PickerPods { labels, ports });
    }
    if found.is_empty() {
        return Err(format!("{file}: no Deployment with an epp container").into());
    }
    Ok(found)
}

/// Whether `labels` satisfy every requirement of `selector`.
fn matches(selector: &LabelSelector, labels: &BTreeMap<String, String>) -> bool {
    selector
        .match_labels
        .iter()
        .all(|(k, v)| labels.get(k) == Some(v))
        && selector.match_expressions.iter().all(|r| {
            let value = labels.get(&r.key);
            match r.operator {
                SelectorOperator::In => value.is_some_and(|v| r.values.contains(v)),
                SelectorOperator::NotIn => value.is_none_or(|v| !r.values.contains(v)),
                SelectorOperator::Exists => value.is_some(),
                SelectorOperator::DoesNotExist => value.is_none(),
            }
        })
}

fn selector(
    flavor: PresetFlavor,
    release: &str,
    create_inference_pool: bool,
) -> Result<LabelSelector, igw_monitoring::Error> {
    let options = Options {
        preset: Some(Preset {
            flavor,
            release: release.to_owned(),
            create_inference_pool,
        }),
        ..Options::default()
    };
    Ok(options.plan()?.targets()[0].selector().clone())
}

#[test]
#[ignore = "needs ../shared: run cargo test -- --include-ignored"]
fn every_preset_selects_the_pods_of_its_real_manifest() -> TestResult {
    use PresetFlavor::*;
    // (manifest, release name of its install, the presets that must select its pods: flavor
    // and createInferencePool). GIE's two charts share one library, as do llm-d-router's, so a
    // chart's default install labels its pods as its sibling does.
    let cases: [(&str, &str, &[Shape]); 4] = [
        (
            "gie-v1.0.0-raw-manifests.yaml",
            "vllm-llama3-8b-instruct",
            &[(RawV03, true)],
        ),
        (
            "gie-v1.5.0-inferencepool-chart-gke.yaml",
            "vllm-llama3-8b-instruct",
            &[(HelmInferencepool, true), (HelmStandalone, true)],
        ),
        (
            "gie-v1.5.0-standalone-chart-no-pool.yaml",
            "gemma",
            &[(HelmStandalone, false)],
        ),
        (
            "llm-d-router-v0.10.0-gateway-chart-gmp.yaml",
            "qwen2-7b",
            &[(LlmDRouterGateway, true), (LlmDRouterStandalone, true)],
        ),
    ];
    let every_shape: Vec<Shape> = PresetFlavor::ALL
        .into_iter()
        .flat_map(|f| [(f, true), (f, false)])
        .filter(|(f, pool)| *pool || releases::pod_label(*f, false).is_some())
        .collect();
    let mut wrong = Vec::new();
    for (file, release, selecting) in cases {
        let pods = picker_pods(file)?;
        for &(flavor, pool) in &every_shape {
            let selector = selector(flavor, release, pool)?;
            let should = selecting.contains(&(flavor, pool));
            for pod in &pods {
                if matches(&selector, &pod.labels) != should {
                    wrong.push(format!(
                        "{file}: {} (createInferencePool {pool}) selects {selector:?}, the pods carry {:?}; it should {}match",
                        flavor.as_str(),
                        pod.labels,
                        if should { "" } else { "not " }
                    ));
                }
            }
        }
        for pod in &pods {
            let port = (METRICS_PORT.name.to_owned(), i64::from(METRICS_PORT.number));
            if !pod.ports.contains(&port) {
                wrong.push(format!(
                    "{file}: the epp container has no port {port:?}: {:?}",
                    pod.ports
                ));
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    Ok(())
}

/// The pod-label table of `../shared/reference/FACTS.md` (section 3), row by row: each install
/// it describes, default or not, is a preset shape whose selector is exactly its label.
#[test]
#[ignore = "needs ../shared: run cargo test -- --include-ignored"]
fn every_preset_shape_has_the_label_the_facts_describe() -> TestResult {
    use PresetFlavor::*;
    let facts = std::fs::read_to_string(shared_dir().join("reference/FACTS.md"))?;
    let rows: Vec<(String, String)> = facts
        .lines()
        .skip_while(|l| !l.starts_with("| install | EPP pod label |"))
        .skip(2)
        .take_while(|l| l.starts_with('|'))
        .filter_map(|l| {
            let cells: Vec<&str> = l.trim_matches('|').split('|').map(str::trim).collect();
            Some((
                cells.first()?.to_string(),
                cells.get(1)?.trim_matches('`').to_owned(),
            ))
        })
        .collect();
    assert!(rows.len() >= 8, "the facts' pod-label table: {rows:?}");
    let mut seen = Vec::new();
    for (install, label) in &rows {
        let no_pool = install.contains(": false");
        let shape = if install.contains("raw manifests v0.1") {
            (RawV01, true)
        } else if install.contains("raw manifests v0.3") {
            (RawV03, true)
        } else if install.contains("chart `inferencepool`") {
            (HelmInferencepool, true)
        } else if install.contains("chart `standalone`") {
            (HelmStandalone, !no_pool)
        } else if install.contains("`llm-d-router-gateway`") {
            (LlmDRouterGateway, !no_pool)
        } else if install.contains("`llm-d-router-standalone`") {
            (LlmDRouterStandalone, !no_pool)
        } else {
            return Err(format!("an install the presets do not know: {install}").into());
        };
        let (key, value) = label
            .split_once(": ")
            .ok_or(format!("not KEY: VALUE: {label}"))?;
        let release = "r";
        let expected = value
            .replace("<release>", release)
            .replace("<pool>", release);
        let selector = selector(shape.0, release, shape.1)?;
        let wanted = LabelSelector::default().match_label(key, expected);
        assert_eq!(selector, wanted, "{install}");
        seen.push(shape);
    }
    // Every shape a preset has is described there.
    for flavor in PresetFlavor::ALL {
        assert!(seen.contains(&(flavor, true)), "{flavor:?}: no row");
        if releases::pod_label(flavor, false).is_some() && flavor != LlmDRouterGateway {
            assert!(
                seen.contains(&(flavor, false)),
                "{flavor:?} without a pool: no row"
            );
        }
    }
    Ok(())
}
