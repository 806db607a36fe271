//! The outputs the command makes from the plan, one object at a time (the JSON list, Terraform,
//! the alerts, the verify steps, the Kustomize base), are byte for byte those of a whole
//! `Bundle`, and those of the whole-text writers they replaced (kept here as the oracles): for
//! the named cases, the fleets, hostile annotations and property-generated options.

use igw_monitoring::Objects;
use igw_monitoring::terraform::{MANIFEST, RESOURCE_TYPE, resource_names};
use igw_monitoring::{Bundle, Error, MonitoringMode, Options, Plan, VerifyFormat, VerifyOptions};
use proptest::prelude::*;

use crate::roundtrip::valid_options;
use crate::support::{TestResult, cases, fleet, operator_cases};
use crate::terraform::{decode, hostile_options};

/// The JSON list as it was written before streaming: one JSON value of every object.
fn json_list_oracle(bundle: &Bundle) -> Result<String, serde_json::Error> {
    let items = bundle
        .objects()
        .iter()
        .map(serde_json::to_value)
        .collect::<Result<Vec<_>, _>>()?;
    let list = serde_json::json!({ "apiVersion": "v1", "kind": "List", "items": items });
    let mut text = serde_json::to_string_pretty(&list)?;
    text.push('\n');
    Ok(text)
}

/// The Terraform text as it was written before streaming: one HCL body of every resource,
/// formatted at once (without the read-back check, which `terraform_matches` judges).
fn terraform_oracle(bundle: &Bundle) -> Result<String, Box<dyn std::error::Error>> {
    let mut body = hcl::Body::builder();
    for (name, object) in resource_names(bundle.objects())
        .into_iter()
        .zip(bundle.objects())
    {
        body = body.add_block(
            hcl::Block::builder("resource")
                .add_label(RESOURCE_TYPE)
                .add_label(name)
                .add_attribute((MANIFEST, hcl::to_expression(serde_json::to_value(object)?)?))
                .build(),
        );
    }
    let text = hcl::format::to_string(&body.build())?;
    Ok(format!("{}\n\n{text}", igw_monitoring::emit::HEADER))
}

/// Every streamed output of `options` against the bundle's and the oracles'.
fn assert_streams_as_built(label: &str, options: &Options) -> Result<(), String> {
    let fail = |what: &str| format!("{label}: {what} differs");
    let bundle = options.build().map_err(|e| format!("{label}: {e}"))?;
    let plan = options.plan().map_err(|e| format!("{label}: {e}"))?;
    let streamed_json = plan.to_json_list().map_err(|e| e.to_string())?;
    if streamed_json != bundle.to_json_list().map_err(|e| e.to_string())? {
        return Err(fail("plan and bundle JSON"));
    }
    if streamed_json != json_list_oracle(&bundle).map_err(|e| e.to_string())? {
        return Err(fail("JSON and the one-value JSON"));
    }
    terraform_matches(label, &plan, &bundle)?;
    let alerts: Vec<_> = plan.alert_objects().collect();
    let held: Vec<_> = bundle.alert_objects().cloned().collect();
    if alerts != held || alerts[..] != bundle.objects()[bundle.objects().len() - held.len()..] {
        return Err(fail("alert objects"));
    }
    let yaml = |objects: Vec<_>| objects.to_yaml().map_err(|e| e.to_string());
    if yaml(plan.alert_objects().collect())? != yaml(held)? {
        return Err(fail("alerts YAML"));
    }
    for format in [VerifyFormat::Text, VerifyFormat::Script] {
        // A cluster name filters nothing under prometheus-operator, which refuses one.
        let clusters: &[Option<&str>] = if plan.collector().is_some() {
            &[None, Some("prod-1")]
        } else {
            &[None]
        };
        for &cluster in clusters {
            let options = VerifyOptions {
                cluster: cluster.map(str::to_owned),
                format,
                ..Default::default()
            };
            let mut written = Vec::new();
            plan.write_verify(&options, &mut written)
                .map_err(|e| e.to_string())?;
            if written
                != bundle
                    .plan()
                    .verify(&options)
                    .map_err(|e| e.to_string())?
                    .as_bytes()
            {
                return Err(fail(&format!("verify {format:?} {cluster:?}")));
            }
        }
    }
    let base = plan.kustomize_base().map_err(|e| e.to_string())?;
    if base != bundle.kustomize_base().map_err(|e| e.to_string())? {
        return Err(fail("Kustomize base"));
    }
    Ok(())
}

/// The plan's Terraform is the bundle's and the one-body writer's; refused by both for the same
/// value exactly when the one-body text does not decode to the objects.
fn terraform_matches(label: &str, plan: &Plan, bundle: &Bundle) -> Result<(), String> {
    let oracle = terraform_oracle(bundle).map_err(|e| e.to_string())?;
    let expected: Vec<serde_json::Value> = bundle
        .objects()
        .iter()
        .map(serde_json::to_value)
        .collect::<Result<_, _>>()
        .map_err(|e| e.to_string())?;
    let decodes =
        decode(&oracle).is_ok_and(|resources| resources.into_iter().map(|(_, m)| m).eq(expected));
    match (plan.to_terraform(), bundle.to_terraform()) {
        (Ok(streamed), Ok(held)) if streamed == held && streamed == oracle && decodes => Ok(()),
        (
            Err(Error::NotHcl { object, value }),
            Err(Error::NotHcl {
                object: o,
                value: v,
            }),
        ) if object == o && value == v && !decodes => Ok(()),
        (streamed, held) => Err(format!(
            "{label}: Terraform: plan {:?}, bundle {:?}, one-body text decodes: {decodes}",
            streamed.map(|t| t.len()),
            held.map(|t| t.len())
        )),
    }
}

#[test]
fn every_case_streams_as_its_bundle_writes() -> TestResult {
    for (name, options) in cases().into_iter().chain(operator_cases()) {
        assert_streams_as_built(name, &options)?;
    }
    for mode in [MonitoringMode::Cluster, MonitoringMode::Pod] {
        let mut options = fleet(mode);
        options.alerts.enabled = true;
        assert_streams_as_built("fleet with alerts", &options)?;
    }
    assert_streams_as_built("hostile annotations", &hostile_options())?;
    Ok(())
}

/// hcl-rs's known misescapes (see `values_hcl_rs_cannot_escape_are_refused`), on every object:
/// the plan refuses as the bundle does, naming the first object.
#[test]
fn the_plan_refuses_what_hcl_cannot_carry_as_the_bundle_does() -> TestResult {
    for value in ["${a} $${b}", "${a} $%{b}", "%{a} %%{b}"] {
        let mut options = fleet(MonitoringMode::Pod);
        options
            .extra_annotations
            .insert("h.example.com/x".to_owned(), value.to_owned());
        assert_streams_as_built(value, &options)?;
        assert!(
            matches!(options.plan()?.to_terraform(), Err(Error::NotHcl { object, .. }) if object == "ClusterRole/monitoring-inference-gateway-metrics-reader"),
            "{value:?}"
        );
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn valid_options_stream_as_their_bundle_writes(options in valid_options()) {
        assert_streams_as_built("generated", &options).map_err(TestCaseError::fail)?;
    }
}
