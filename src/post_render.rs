//! Inside the install: what a Helm post-renderer (or an Argo CD plugin after `helm template`)
//! does with a chart's output. The input stream goes back out byte for byte, then the bundle
//! for the pickers found in it, by `render --from`'s rules; an output whose bundle would not
//! scrape those pickers (what `check --against` finds) is refused, so a broken scrape chain
//! fails the install instead of failing silently later.

use crate::diagnostics::{Problems, Warning};
use crate::options::Options;
use crate::options::given::Given;
use crate::plan::Plan;
use crate::world::check::Check;
use crate::world::manifests::{self, Manifests};
use crate::write::Objects;

/// What to do with a chart output that holds no endpoint picker.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum NoPicker {
    /// Refuse it: monitoring was asked for and there is nothing to monitor (the default).
    #[default]
    Refuse,
    /// Pass the input through alone, with no bundle.
    PassThrough,
}

/// A chart output post-rendered: [`PostRendered::output`] is what the installer applies.
#[derive(Debug)]
pub struct PostRendered {
    /// The input, unchanged, then the bundle (a `---` between them).
    pub output: String,
    /// The bundle's plan; `None` when the input held no picker and was passed through.
    pub plan: Option<Plan>,
    /// The bundle judged against the input (no findings, or this would be an error).
    pub check: Check,
    /// What the manifests and the plan warned about, in that order.
    pub warnings: Vec<Warning>,
}

/// Why a chart output was not post-rendered.
#[derive(Debug, thiserror::Error)]
pub enum PostRenderError {
    /// The input is no manifest stream the tool reads, or its pickers cannot be monitored as
    /// they are (no selector sets one apart, no picker at all).
    #[error("invalid manifests:\n{0}")]
    Manifests(Problems),
    /// The options, laid over what the manifests say, are refused.
    #[error("invalid options:\n{0}")]
    Options(Problems),
    /// The bundle would not scrape the pickers of the input: the findings of
    /// [`crate::check::check`].
    #[error("the bundle would not scrape the endpoint pickers: {} finding(s)", .0.findings.len())]
    Broken(Box<Check>),
    /// The bundle could not be written.
    #[error(transparent)]
    Emit(crate::Error),
}

/// Post-renders `input` (a YAML stream; `source` names it in problems): `options` over what its
/// manifests say (`given` records which options the user gave), resolved as `render --from`
/// resolves them, then judged against the input.
pub fn post_render(
    source: &str,
    input: &str,
    options: Options,
    given: &Given,
    no_picker: NoPicker,
) -> Result<PostRendered, PostRenderError> {
    let mut index = Manifests::new();
    index
        .read(source, input)
        .map_err(PostRenderError::Manifests)?;
    if no_picker == NoPicker::PassThrough && !manifests::holds_picker(&index) {
        return Ok(PostRendered {
            output: input.to_owned(),
            plan: None,
            check: Check::default(),
            warnings: Vec::new(),
        });
    }
    let discovery =
        manifests::discover(&index, options.monitoring).map_err(PostRenderError::Manifests)?;
    let (options, mut warnings) = discovery
        .apply(options, given)
        .map_err(PostRenderError::Options)?;
    let plan = Plan::try_from(options).map_err(|error| match error {
        crate::Error::Invalid(problems) => PostRenderError::Options(problems),
        other => PostRenderError::Emit(other),
    })?;
    let check = plan.check(&index);
    if !check.is_clean() {
        return Err(PostRenderError::Broken(Box::new(check)));
    }
    warnings.extend_from_slice(plan.warnings());
    let bundle = plan.to_yaml().map_err(PostRenderError::Emit)?;
    Ok(PostRendered {
        output: joined(input, &bundle),
        plan: Some(plan),
        check,
        warnings,
    })
}

/// `input` and then `bundle` as one stream: a document separator between them, so the bundle's
/// header comment and first object never join the input's last document.
fn joined(input: &str, bundle: &str) -> String {
    let mut output = String::with_capacity(input.len() + bundle.len() + 5);
    output.push_str(input);
    if !input.is_empty() && !input.ends_with('\n') {
        output.push('\n');
    }
    output.push_str("---\n");
    output.push_str(bundle);
    output
}

#[cfg(test)]
mod tests {
    use super::*;

    const PICKER: &str = "\
---
# Source: pool/templates/epp.yaml
apiVersion: apps/v1
kind: Deployment
metadata:
  name: pool-epp
  namespace: inference
spec:
  selector:
    matchLabels: {app: pool-epp}
  template:
    metadata:
      labels: {app: pool-epp}
    spec:
      containers:
      - name: epp
        image: registry.k8s.io/gateway-api-inference-extension/epp:v1.5.0
        args: [--pool-name, pool]
# a trailing comment, kept";

    #[test]
    fn the_input_comes_back_byte_for_byte_then_the_bundle() -> Result<(), PostRenderError> {
        let done = post_render(
            "-",
            PICKER,
            Options::default(),
            &Given::new(),
            NoPicker::Refuse,
        )?;
        let rest = done.output.strip_prefix(PICKER).unwrap_or_default();
        assert!(
            rest.starts_with("\n---\n# Generated by igw-monitoring"),
            "{rest}"
        );
        let plan = done.plan.as_ref().map(|p| p.targets().len());
        assert_eq!(plan, Some(1));
        assert!(rest.contains("app: pool-epp"), "{rest}");
        Ok(())
    }

    #[test]
    fn no_picker_is_refused_unless_passed_through() -> Result<(), PostRenderError> {
        let input = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a, namespace: b}\n";
        let refused = post_render(
            "-",
            input,
            Options::default(),
            &Given::new(),
            NoPicker::Refuse,
        );
        let Err(PostRenderError::Manifests(problems)) = refused else {
            panic!("not refused: {refused:?}");
        };
        assert!(
            problems.to_string().contains("hold no endpoint picker"),
            "{problems}"
        );
        let through = post_render(
            "-",
            input,
            Options::default(),
            &Given::new(),
            NoPicker::PassThrough,
        )?;
        assert_eq!(through.output, input);
        assert!(through.plan.is_none());
        Ok(())
    }

    #[test]
    fn a_bundle_that_would_not_scrape_is_refused_with_the_findings() {
        // The picker asks for client certificates; the options give none.
        let input = PICKER.replace(
            "args: [--pool-name, pool]",
            "args: [--pool-name, pool, --metrics-cert-dir, /certs, --metrics-client-ca-file, /ca/ca.crt]",
        );
        let result = post_render(
            "-",
            &input,
            Options::default(),
            &Given::new(),
            NoPicker::Refuse,
        );
        match result {
            Err(PostRenderError::Broken(check)) => assert!(!check.findings.is_empty()),
            other => panic!("not refused as broken: {other:?}"),
        }
    }
}
